/**
 * A GraphQL analyze answer's report fields, sized in the worker that computed them (http/graphql/
 * answer-budget.ts charges the sizes on the event loop). Each selected field is measured as the
 * JSON it will be written as — a rendering (markdown, html, csv, netron) as its JSON string, a
 * list of objects (layers, outputs, warnings, patterns) as the selected keys of each item, any
 * other analysis (memory, explain, modules …) as its whole JSON — and charged in selection order
 * against the answer's budget (all fields) and the tree budget (every field but the renderings:
 * objects the event loop must rebuild and walk, about 60 ns a byte against a string's copy). A
 * field past either budget is left out of the result, so it never crosses threads, and its charge
 * names the budget it broke; the event loop refuses it (RESPONSE_TOO_LARGE) without building it.
 * Report keys not selected that may be large (layers, outputs, warnings, patterns, and the analyses
 * html computes for its charts) are left out too.
 */

/** What the GraphQL selection asks of a report: its fields in selection order, the keys selected below its lists. */
export interface AnswerPlan {
  /** Bytes every field of the answer may take together. */
  budget: number;
  /** Bytes the fields that are not renderings may take together. */
  treeBudget: number;
  /** Selected Report fields, in selection order (GraphQL names). */
  fields: string[];
  /** For list fields: the item fields selected (GraphQL names). */
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
/** Lists of objects charged by the keys selected below them. */
const LIST_FIELDS = new Set(['layers', 'outputs', 'warnings', 'patterns']);
/** Item fields whose value is computed from another key of the item. */
const ITEM_KEYS: Record<string, string> = { sourceOpType: 'source' };
/** Keys left out of the result when not selected (the analyses html adds for its charts among them). */
const DROPPED_UNSELECTED = [...LIST_FIELDS, 'memory', 'roofline', 'modules', 'convention', 'explain', 'deployed'];

/** The result's property under the `answerCharges` key, read by the Report field resolvers. */
export const ANSWER_CHARGES = 'answerCharges';

const jsonBytes = (v: unknown): number => (v === undefined ? 4 : Buffer.byteLength(JSON.stringify(v) ?? 'null'));

/** Bytes of a list written with only `keys` of each item: `[{"k":v,…},…]`. */
function listBytes(items: unknown[], keys: string[]): number {
  const named = keys.map((k) => ({ key: ITEM_KEYS[k] ?? k, head: Buffer.byteLength(JSON.stringify(k)) + 1 }));
  let bytes = 2 + Math.max(0, items.length - 1);
  for (const item of items) {
    bytes += 2 + Math.max(0, named.length - 1);
    for (const { key, head } of named) bytes += head + jsonBytes((item as Record<string, unknown>)?.[key] ?? null);
  }
  return bytes;
}

/** The explanation cut to the named layers, when every name is one of its layers (else left whole: the event loop refuses the unknown name). */
function explainSubset(e: { layers: { name: string; agrees?: boolean }[] }, names: string[]): unknown {
  const wanted = new Set(names);
  const layers = e.layers.filter((l) => wanted.has(l.name));
  if (new Set(layers.map((l) => l.name)).size < wanted.size) return e;
  return { ...e, layers, agrees: layers.every((l) => l.agrees) };
}

/** The result with its selected fields sized (`answerCharges`), those over a budget and unselected large keys left out. */
export function fitAnswer<T extends Record<string, any>>(result: T, plan: AnswerPlan): T {
  const out: Record<string, any> = { ...result };
  const renderings: Record<string, string> = { ...(result.renderings ?? {}) };
  if (plan.explainLayers && out.explain) out.explain = explainSubset(out.explain, plan.explainLayers);
  for (const key of DROPPED_UNSELECTED) if (!plan.fields.includes(key)) delete out[key];
  const charges: Record<string, FieldCharge> = {};
  let total = 0;
  let trees = 0;
  for (const field of plan.fields) {
    if (charges[field]) continue;
    const rendered = RENDERED_FIELDS[field];
    const value = rendered ? renderings[rendered] : out[field];
    if (value === undefined || value === null) continue;
    const bytes = LIST_FIELDS.has(field) && plan.items?.[field] && Array.isArray(value) ? listBytes(value, plan.items[field]) : jsonBytes(value);
    const tree = !rendered;
    const charge: FieldCharge = { bytes, tree };
    if (total + bytes > plan.budget) charge.refused = { budget: 'answer', before: total, limit: plan.budget };
    else if (tree && trees + bytes > plan.treeBudget) charge.refused = { budget: 'tree', before: trees, limit: plan.treeBudget };
    if (charge.refused) {
      if (rendered) delete renderings[rendered];
      else delete out[field];
    } else {
      total += bytes;
      if (tree) trees += bytes;
    }
    charges[field] = charge;
  }
  if (result.renderings) out.renderings = renderings;
  out[ANSWER_CHARGES] = charges;
  return out as T;
}
