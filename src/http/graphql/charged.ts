/**
 * The large fields of analyze, compare and sweep, charged against the answer's budgets
 * (graphql/answer-budget.ts) at the sizes their worker task measured (runtime/answer-fit.ts): the
 * plan each resolver sends its task (the fields selected, in selection order, and the item fields
 * below each list), and the field resolvers that charge each field before it is built.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { ConvlensError } from '../../errors.js';
import { CHARGED_REPORT_FIELDS, COMPARISON_LISTS, REPORT_LISTS, SWEEP_LISTS } from '../../runtime/answer-fit.js';
import type { AnswerPlan } from '../../runtime/answer-fit.js';
import { chargeField, GRAPHQL_MAX_TREE_BYTES } from './answer-budget.js';
import type { FieldLabel } from './answer-budget.js';
import { analysisTypeResolvers } from './analysis.js';
import { selectedFields, selectedUnder } from './selection.js';

type Parent = Record<string, any>;
type Resolver = (p: Parent, args: any, ctx: any, info: GraphQLResolveInfo) => unknown;
export type AnswerLimits = { answer: number; tree: number };

/** The answer's budget (MAX_RESPONSE_BYTES, at most GRAPHQL_MAX_ANSWER_BYTES) and the tree budget within it. */
export const answerLimits = (maxAnswerBytes: number): AnswerLimits => ({ answer: maxAnswerBytes, tree: Math.min(maxAnswerBytes, GRAPHQL_MAX_TREE_BYTES) });

const plan = (limits: AnswerLimits, fields: string[], items: Record<string, string[]>, extra: Partial<AnswerPlan> = {}): AnswerPlan => ({
  budget: limits.answer,
  treeBudget: limits.tree,
  fields,
  items,
  ...extra,
});

/** analyze's plan: every selected Report field in order, the item fields below its lists, explain(layers:). */
export function analyzePlan(info: GraphQLResolveInfo, selected: Map<string, Record<string, unknown>[]>, limits: AnswerLimits): AnswerPlan {
  const explainArgs = selected.get('explain')?.[0]?.layers;
  const items = Object.fromEntries(REPORT_LISTS.filter((f) => selected.has(f)).map((f) => [f, selectedUnder(info, [f])]));
  return plan(limits, [...selected.keys()], items, Array.isArray(explainArgs) ? { explainLayers: explainArgs as string[] } : {});
}

/** compare's plan: layers.matched, added and removed (the item fields below each) and markdown, in selection order. */
export function comparePlan(info: GraphQLResolveInfo, limits: AnswerLimits): AnswerPlan {
  const fields: string[] = [];
  const items: Record<string, string[]> = {};
  for (const field of selectedFields(info).keys()) {
    if (field === 'markdown') fields.push(field);
    if (field !== 'layers') continue;
    for (const list of selectedUnder(info, ['layers']).filter((l) => COMPARISON_LISTS.includes(l))) {
      fields.push(`layers.${list}`);
      items[`layers.${list}`] = selectedUnder(info, ['layers', list]);
    }
  }
  return plan(limits, fields, items);
}

/** sweep's plan: its sizes with the entry fields selected. */
export function sweepPlan(info: GraphQLResolveInfo, limits: AnswerLimits): AnswerPlan {
  const fields = [...selectedFields(info).keys()].filter((f) => SWEEP_LISTS.includes(f));
  return plan(limits, fields, Object.fromEntries(fields.map((f) => [f, selectedUnder(info, [f])])));
}

const REPORT_ADVICE =
  'select fewer fields or list items (explain(layers: […]), a sub-selection of layers), or ask POST /v1/analyze (its answer is written by a worker) with ?format=json, csv, md or html';
const COMPARE_ADVICE = 'select fewer lists or item fields (layers { added { name } }), or ask POST /v1/compare (?format=md for the Markdown alone)';
const SWEEP_ADVICE = "select fewer fields of each size (unsupported and outputs are the large ones) or fewer sizes, or ask POST /v1/sweep (?format=md for the table alone)";

/** Resolvers that charge `fields` (the charge under `chargeName(field)`) before `own`'s resolver, or the parent's key, builds it. */
function charged(fields: string[], limits: AnswerLimits, own: Record<string, Resolver>, label: (field: string) => FieldLabel, chargeName = (f: string) => f) {
  return Object.fromEntries(
    fields.map((field) => [
      field,
      (p: Parent, args: any, ctx: object | undefined, info: GraphQLResolveInfo) => {
        chargeField(ctx, p, chargeName(field), limits, label(chargeName(field)));
        return own[field] ? own[field](p, args, ctx, info) : p[field];
      },
    ]),
  );
}

/** Report, Comparison, LayerMatches and SweepReport resolvers with their large fields charged first. */
export function chargedResolvers(limits: AnswerLimits) {
  const comparison: Record<string, Resolver> = {
    ...analysisTypeResolvers.Comparison,
    // rendered in the compare task when selected (graphql.ts), never here: a comparison of 100,000
    // layers renders for seconds, and one the worker left out must not be rebuilt
    markdown: (p: Parent) => {
      if (typeof p.markdown === 'string') return p.markdown;
      throw new ConvlensError('INTERNAL', "the comparison's markdown was not rendered by the compare task");
    },
  };
  return {
    Report: charged(CHARGED_REPORT_FIELDS, limits, analysisTypeResolvers.Report as Record<string, Resolver>, (f) => ({ what: `the report's ${f}`, advice: REPORT_ADVICE })),
    Comparison: { ...comparison, ...charged(['markdown'], limits, comparison, (f) => ({ what: `the comparison's ${f}`, advice: COMPARE_ADVICE })) },
    LayerMatches: charged(COMPARISON_LISTS, limits, {}, (f) => ({ what: `the comparison's ${f}`, advice: COMPARE_ADVICE }), (f) => `layers.${f}`),
    SweepReport: charged(SWEEP_LISTS, limits, {}, (f) => ({ what: `the sweep's ${f}`, advice: SWEEP_ADVICE })),
  };
}
