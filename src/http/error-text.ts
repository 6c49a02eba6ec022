/**
 * Errors echo what the request said (an unknown model's name, a key, a path through a tensor's
 * name), and a JSON body may be 64 MiB: a 30 MB model name was answered twice over (a 60 MB 404,
 * message and `model`), logged whole, and held the event loop 6.4 s (2026-12-05). An error's
 * strings are bounded here before it is answered, logged or stored with a job: one longer than
 * MAX_ERROR_STRING keeps its beginning and its end (the advice after an echoed name), and says how
 * much it left out. The catalog's own messages stay far below it (the longest, UNKNOWN_MODEL's list
 * of the zoo, about 1 KB).
 */
import { ConvlensError } from '../errors.js';

export const MAX_ERROR_STRING = 16_384;
const HEAD = 12_288;
const TAIL = 2_048;

/** `text` as is, or its first and last characters with how many were left out between them. */
export function boundText(text: string): string {
  if (text.length <= MAX_ERROR_STRING) return text;
  // a cut between the two halves of a surrogate pair (an emoji) would leave a lone half, which JSON
  // can only send as an escape no client decodes: the head ends before the pair, the tail starts after it
  const head = isHighSurrogate(text.charCodeAt(HEAD - 1)) ? HEAD - 1 : HEAD;
  const tail = isLowSurrogate(text.charCodeAt(text.length - TAIL)) ? TAIL - 1 : TAIL;
  return `${text.slice(0, head)}…[${text.length - head - tail} characters left out]…${text.slice(text.length - tail)}`;
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** A detail's value with its strings bounded (objects and arrays to a few levels; an issue list holds strings in objects). */
function bound(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return boundText(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => bound(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [boundText(k), bound(v, depth + 1)]));
}

/** Whether a value holds a string (a key included) longer than MAX_ERROR_STRING. */
function overlong(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return value.length > MAX_ERROR_STRING;
  if (depth > 4 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => overlong(v, depth + 1));
  return Object.entries(value).some(([k, v]) => k.length > MAX_ERROR_STRING || overlong(v, depth + 1));
}

/** The error itself when every string of it is within MAX_ERROR_STRING, else a copy with them bounded (same code, status and stack). */
export function boundedError(e: ConvlensError): ConvlensError {
  if (e.message.length <= MAX_ERROR_STRING && !overlong(e.details, 0)) return e;
  const copy = new ConvlensError(e.code, boundText(e.message), bound(e.details, 0) as ConvlensError['details']);
  copy.stack = e.stack === undefined ? undefined : boundText(e.stack);
  return copy;
}
