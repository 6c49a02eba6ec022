/**
 * An answer's JSON as bytes a worker moves back to the event loop (http/offload-worker.ts): written
 * where it was computed, so its objects and text never cross the loop.
 */
import { ConvlensError } from '../errors.js';

/** Bytes the pool can move: a small Buffer is a slice of a shared pool, which must not be moved, so it is copied out. */
export const movable = (bytes: Buffer): Uint8Array => (bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes));

/**
 * `value` as UTF-8 JSON the pool can move. A value whose text would pass V8's longest string (about
 * 2^29 characters) is 413 RESPONSE_TOO_LARGE, as an answer over MAX_RESPONSE_BYTES is, not an
 * internal error: JSON.stringify throws a RangeError there (a report of very many layers with
 * every analysis, under a raised MAX_ANALYSIS_WORK).
 */
export function jsonAnswerBytes(value: unknown): Uint8Array {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new ConvlensError('RESPONSE_TOO_LARGE', 'the answer as JSON would be longer than a string can be (about 2^29 characters); ask for fewer analyses (explain, memory, depth) or split the network', { path: '$' });
  }
  return movable(Buffer.from(text));
}
