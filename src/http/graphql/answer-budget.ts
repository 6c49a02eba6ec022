/**
 * How much a GraphQL answer may carry. REST writes a large answer in pieces (http/stream.ts); a
 * GraphQL answer is built whole and serialized in one JSON.stringify on the main thread, so a
 * selection of many megabytes stalls every other request meanwhile (a 1024² upsample by 8 held
 * /healthz for 16 s, then failed with V8's "Invalid string length" as a 500). The tensors' `data`
 * and `base64` and the jobs' `result` that one operation selects are charged against one budget:
 * MAX_RESPONSE_BYTES, at most GRAPHQL_MAX_ANSWER_BYTES. Past it, the field is 413's
 * RESPONSE_TOO_LARGE (null, with the error) before anything is encoded.
 */
import { ConvlensError } from '../../errors.js';

/** Most bytes of tensor data and job results one GraphQL answer carries (REST streams more, up to MAX_RESPONSE_BYTES). */
export const GRAPHQL_MAX_ANSWER_BYTES = 64 * 2 ** 20;

/** Bytes charged so far, per operation (its resolver context: one object a request). */
const charged = new WeakMap<object, number>();

/** Charges `bytes` (an upper bound of what the field will write) to the operation of `ctx`; RESPONSE_TOO_LARGE past `limit`. */
export function chargeAnswer(ctx: object | undefined, bytes: number, limit: number, what: string, advice: string): void {
  const before = ctx ? (charged.get(ctx) ?? 0) : 0;
  const total = before + bytes;
  if (total > limit) {
    throw new ConvlensError(
      'RESPONSE_TOO_LARGE',
      `${what} could take ${bytes} bytes${before ? ` (after ${before} for the fields before it)` : ''}, over the ${limit}-byte limit of a GraphQL answer, which is built whole in memory; ${advice}`,
      { limit, estimate: total },
    );
  }
  if (ctx) charged.set(ctx, total);
}
