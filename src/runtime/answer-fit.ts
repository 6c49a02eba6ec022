/**
 * A GraphQL answer's large fields, sized in the worker that computed them (http/graphql/
 * answer-budget.ts charges the sizes on the event loop): analyze's report fields, compare's layer
 * lists and markdown, sweep's sizes. Each selected field is measured as the JSON it will be written
 * as — a rendering (markdown, html, csv, netron) as its JSON string, a list of objects (a report's
 * layers, outputs, warnings, patterns; a comparison's layers.matched, added, removed; a sweep's
 * sizes) as the selected keys of each item, any other analysis (memory, explain, modules …) as its
 * whole JSON — and charged in selection order against the answer's budget (all fields) and the
 * tree budget (every field but the renderings: objects the event loop must rebuild and walk, about
 * 60 ns a byte against a string's copy). A field past either budget is left out of the result, so
 * it never crosses threads, and its charge names the budget it broke; the event loop refuses it
 * (RESPONSE_TOO_LARGE) without building it. Large keys not selected are left out too (a report's
 * lists and the analyses html computes for its charts, a comparison's layers).
 */

/** What the GraphQL selection asks of a result: its charged fields in selection order, the keys selected below its lists. */
export interface AnswerPlan {
  /** Bytes every field of the answer may take together. */
  budget: number;
  /** Bytes the fields that are not renderings may take together. */
  treeBudget: number;
  /** Selected fields, in selection order (GraphQL names; a list below an object as `layers.matched`). */
  fields: string[];
  /** For list fields: the item fields selected (GraphQL names), by the field's name in `fields`. */
  items?: Record<string, string[]>;
  /** explain(layers:): the layers asked for, when given. */
  explainLayers?: string[];
}

/** A field's size in the answer, and the budget it broke when it was left out. */
export interface FieldCharge {
  bytes: number;
  tree: boolean;
  /** Set when the field was left out: the budget it would have broken and what was charged before it. */
  refused?: { budget: 'answer' | 'tree'; before: number; limit: number };
}

/** Renderings: strings built in the worker, the result's `renderings` keys. */
export const RENDERED_FIELDS: Record<string, string> = { markdown: 'md', html: 'html', csv: 'csv', netron: 'netron' };
/** Report's lists of objects, charged by the keys selected below them. */
export const REPORT_LISTS = ['layers', 'outputs', 'warnings', 'patterns'];
/** Report fields that may be large: each charged to the answer's budgets before it resolves. */
export const CHARGED_REPORT_FIELDS = [...REPORT_LISTS, 'memory', 'roofline', 'modules', 'convention', 'explain', 'deployed', ...Object.keys(RENDERED_FIELDS)];
/** Comparison's lists of layers (below `layers`), charged by the keys selected below them. */
export const COMPARISON_LISTS = ['matched', 'added', 'removed'];
/** SweepReport's list of entries, charged by the keys selected below it. */
export const SWEEP_LISTS = ['sizes'];

/** Item fields whose value is read from elsewhere in the item (LayerReport.sourceOpType, LayerDiff's before/after pairs). */
const ITEM_READ: Record<string, (item: Record<string, any>) => unknown> = {
  sourceOpType: (i) => i.source,
  opBefore: (i) => i.op?.before,
  opAfter: (i) => i.op?.after,
  outputShapeBefore: (i) => i.outputShape?.before,
  outputShapeAfter: (i) => i.outputShape?.after,
};
/** Report keys left out of the result when not selected (the analyses html adds for its charts among them). */
const DROPPED_UNSELECTED = [...REPORT_LISTS, 'memory', 'roofline', 'modules', 'convention', 'explain', 'deployed'];

/** The property under which a result (or an object in it) carries its fields' charges, read by the charged resolvers. */
export const ANSWER_CHARGES = 'answerCharges';

const jsonBytes = (v: unknown): number => (v === undefined ? 4 : Buffer.byteLength(JSON.stringify(v) ?? 'null'));

/** Bytes of a list written with only `keys` of each item: `[{"k":v,…},…]` (a nested object's value whole: an upper bound). */
export function listBytes(items: unknown[], keys: string[]): number {
  const named = keys.map((k) => ({ read: ITEM_READ[k] ?? ((i: Record<string, any>) => i?.[k]), head: Buffer.byteLength(JSON.stringify(k)) + 1 }));
  let bytes = 2 + Math.max(0, items.length - 1);
  for (const item of items) {
    bytes += 2 + Math.max(0, named.length - 1);
    for (const { read, head } of named) bytes += head + jsonBytes(read((item ?? {}) as Record<string, any>) ?? null);
  }
  return bytes;
}

/** Where a planned field's value lives: the object holding it, and the object whose resolvers read its charge. */
interface Slot {
  holder: Record<string, any>;
  key: string;
  /** The charge is kept on this object's ANSWER_CHARGES, under `name`. */
  parent: Record<string, any>;
  name: string;
  rendered: boolean;
}

/** Sizes the planned fields in selection order, leaves out those over a budget, and records the charges where their resolvers read them. */
function fitFields(plan: AnswerPlan, slotOf: (field: string) => Slot | undefined): void {
  let total = 0;
  let trees = 0;
  const seen = new Set<string>();
  for (const field of plan.fields) {
    if (seen.has(field)) continue;
    seen.add(field);
    const slot = slotOf(field);
    const value = slot?.holder[slot.key];
    if (!slot || value === undefined || value === null) continue;
    const items = plan.items?.[field];
    const bytes = items && Array.isArray(value) ? listBytes(value, items) : jsonBytes(value);
    const tree = !slot.rendered;
    const charge: FieldCharge = { bytes, tree };
    if (total + bytes > plan.budget) charge.refused = { budget: 'answer', before: total, limit: plan.budget };
    else if (tree && trees + bytes > plan.treeBudget) charge.refused = { budget: 'tree', before: trees, limit: plan.treeBudget };
    if (charge.refused) delete slot.holder[slot.key];
    else {
      total += bytes;
      if (tree) trees += bytes;
    }
    slot.parent[ANSWER_CHARGES] = { ...slot.parent[ANSWER_CHARGES], [slot.name]: charge };
  }
}

/** The explanation cut to the named layers, when every name is one of its layers (else left whole: the event loop refuses the unknown name). */
function explainSubset(e: { layers: { name: string; agrees?: boolean }[] }, names: string[]): unknown {
  const wanted = new Set(names);
  const layers = e.layers.filter((l) => wanted.has(l.name));
  if (new Set(layers.map((l) => l.name)).size < wanted.size) return e;
  return { ...e, layers, agrees: layers.every((l) => l.agrees) };
}

/** An analyze result with its selected fields sized (`answerCharges`), those over a budget and unselected large keys left out. */
export function fitAnswer<T extends Record<string, any>>(result: T, plan: AnswerPlan): T {
  const out: Record<string, any> = { ...result };
  const renderings: Record<string, string> = { ...(result.renderings ?? {}) };
  if (plan.explainLayers && out.explain) out.explain = explainSubset(out.explain, plan.explainLayers);
  for (const key of DROPPED_UNSELECTED) if (!plan.fields.includes(key)) delete out[key];
  out[ANSWER_CHARGES] = {};
  fitFields(plan, (field) => {
    // only the fields the event loop charges (CHARGED_REPORT_FIELDS): another one left out here
    // (totals, structure) resolved to nothing there, an INTERNAL error (review)
    if (!CHARGED_REPORT_FIELDS.includes(field)) return undefined;
    const rendered = RENDERED_FIELDS[field];
    return rendered ? { holder: renderings, key: rendered, parent: out, name: field, rendered: true } : { holder: out, key: field, parent: out, name: field, rendered: false };
  });
  if (result.renderings) out.renderings = renderings;
  return out as T;
}

/**
 * A compare result fitted to the plan: `layers.matched`, `layers.added`, `layers.removed` (charges
 * on the layers object, read by LayerMatches' resolvers) and `markdown` (charge on the comparison);
 * the layers left out when not selected.
 */
export function fitComparison<T extends { comparison: Record<string, any>; markdown?: string }>(result: T, plan: AnswerPlan): T {
  const layers: Record<string, any> = { ...result.comparison.layers, [ANSWER_CHARGES]: {} };
  const comparison: Record<string, any> = { ...result.comparison, [ANSWER_CHARGES]: {} };
  for (const list of COMPARISON_LISTS) if (!plan.fields.includes(`layers.${list}`)) delete layers[list];
  comparison.layers = layers;
  const out: Record<string, any> = { ...result, comparison };
  fitFields(plan, (field) => {
    if (field === 'markdown') return { holder: out, key: 'markdown', parent: comparison, name: field, rendered: true };
    const list = field.startsWith('layers.') ? field.slice('layers.'.length) : undefined;
    return list && COMPARISON_LISTS.includes(list) ? { holder: layers, key: list, parent: layers, name: field, rendered: false } : undefined;
  });
  return out as T;
}

/** A sweep report fitted to the plan: its `sizes` (the charge on the report, read by SweepReport's resolver). */
export function fitSweep<T extends Record<string, any>>(report: T, plan: AnswerPlan): T {
  const out: Record<string, any> = { ...report, [ANSWER_CHARGES]: {} };
  fitFields(plan, (field) => (SWEEP_LISTS.includes(field) ? { holder: out, key: field, parent: out, name: field, rendered: false } : undefined));
  return out as T;
}
