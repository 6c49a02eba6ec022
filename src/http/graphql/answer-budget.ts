/**
 * How much a GraphQL answer may carry. REST writes a large answer in pieces (http/stream.ts); a
 * GraphQL answer is built whole and serialized in one JSON.stringify on the main thread, so a
 * selection of many megabytes stalls every other request meanwhile (a 1024² upsample by 8 held
 * /healthz for 16 s, then failed with V8's "Invalid string length" as a 500). The tensors' `data`
 * and `base64` and the jobs' `result` that one operation selects are charged against one budget:
 * MAX_RESPONSE_BYTES, at most GRAPHQL_MAX_ANSWER_BYTES. Past it, the field is 413's
 * RESPONSE_TOO_LARGE (null, with the error) before anything is encoded; runOperator and run are
 * refused whole before they run when what their outputs and captures select is already past what
 * is left (graphql/results.ts graphqlAnswer, runtime/answer-bound.ts).
 *
 * A report's fields (analyze's layers, memory, explain, csv, markdown …), a comparison's layer
 * lists and markdown, and a sweep's sizes are charged too, at sizes the worker measured
 * (runtime/answer-fit.ts; resolvers: graphql/charged.ts): all of them against the same budget, and those
 * that are objects rather than rendered text against GRAPHQL_MAX_TREE_BYTES as well, since the
 * event loop rebuilds, walks and serializes them (58 MB of layers held it 3.5 s). A field over
 * either is left out by the worker, so the event loop neither receives nor builds it.
 */
import { ConvlensError } from '../../errors.js';
import { ANSWER_CHARGES } from '../../runtime/answer-fit.js';
import type { FieldCharge } from '../../runtime/answer-fit.js';

/** Most bytes of tensor data and job results one GraphQL answer carries (REST streams more, up to MAX_RESPONSE_BYTES). */
export const GRAPHQL_MAX_ANSWER_BYTES = 64 * 2 ** 20;

/** Most bytes of report objects (every report field but the renderings) one GraphQL answer carries. */
export const GRAPHQL_MAX_TREE_BYTES = 8 * 2 ** 20;

/** Bytes charged so far, per operation (its resolver context: one object a request), per budget. */
const ledgers = { answer: new WeakMap<object, number>(), tree: new WeakMap<object, number>() };
type Ledger = keyof typeof ledgers;

const budgetName: Record<Ledger, string> = {
  answer: 'limit of a GraphQL answer, which is built whole in memory',
  tree: "limit of a GraphQL answer's report objects, which are built and serialized on the event loop",
};

function tooLarge(what: string, bytes: number, before: number, limit: number, ledger: Ledger, advice: string, extra: Record<string, unknown> = {}): ConvlensError {
  return new ConvlensError(
    'RESPONSE_TOO_LARGE',
    `${what} could take ${bytes} bytes${before ? ` (after ${before} for the fields before it)` : ''}, over the ${limit}-byte ${budgetName[ledger]}; ${advice}`,
    { limit, estimate: before + bytes, ...extra },
  );
}

/** What the operation of `ctx` has charged to the answer's budget so far (a run's tensors are checked against the rest before it runs: graphql/results.ts graphqlAnswer). */
export const chargedSoFar = (ctx: object | undefined): number => (ctx ? (ledgers.answer.get(ctx) ?? 0) : 0);

/** Charges `bytes` (an upper bound of what the field will write) to the operation of `ctx`; RESPONSE_TOO_LARGE past `limit`. */
export function chargeAnswer(ctx: object | undefined, bytes: number, limit: number, what: string, advice: string, ledger: Ledger = 'answer', extra?: Record<string, unknown>): void {
  const charged = ledgers[ledger];
  const before = ctx ? (charged.get(ctx) ?? 0) : 0;
  if (before + bytes > limit) throw tooLarge(what, bytes, before, limit, ledger, advice, extra);
  if (ctx) charged.set(ctx, before + bytes);
}

/** What a charged field is called in its error, and what to do instead. */
export interface FieldLabel {
  what: string;
  advice: string;
}

/**
 * Charges a field at the size the worker measured (runtime/answer-fit.ts: the charge under `field`
 * on `parent`'s ANSWER_CHARGES), to the answer's budget and, for objects, to the tree budget:
 * RESPONSE_TOO_LARGE naming the field and the budget, before the event loop builds any of it. A
 * field the worker left out is refused even when the ledgers here would have let it pass (they
 * can: an earlier field refused here was charged there).
 */
export function chargeField(ctx: object | undefined, parent: Record<string, any>, field: string, limits: { answer: number; tree: number }, label: FieldLabel): void {
  const c = (parent?.[ANSWER_CHARGES] as Record<string, FieldCharge> | undefined)?.[field];
  if (!c) return;
  const { what, advice } = label;
  const extra = { field };
  chargeAnswer(ctx, c.bytes, limits.answer, what, advice, 'answer', extra);
  if (c.tree) {
    try {
      chargeAnswer(ctx, c.bytes, limits.tree, what, advice, 'tree', extra);
    } catch (e) {
      // the answer's charge is given back: the field is not written
      if (ctx) ledgers.answer.set(ctx, (ledgers.answer.get(ctx) ?? 0) - c.bytes);
      throw e;
    }
  }
  if (c.refused) {
    if (ctx) {
      ledgers.answer.set(ctx, (ledgers.answer.get(ctx) ?? 0) - c.bytes);
      if (c.tree) ledgers.tree.set(ctx, (ledgers.tree.get(ctx) ?? 0) - c.bytes);
    }
    throw tooLarge(what, c.bytes, c.refused.before, c.refused.limit, c.refused.budget, advice, extra);
  }
}
