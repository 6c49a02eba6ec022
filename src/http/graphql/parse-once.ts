/**
 * One request's document parsed once on each thread: the last document parsed, or the error parsing
 * it threw. One request's checks read its document up to three times (a GET's getInvalid then
 * getRefusal; a POST's operationInvalid, then graphql.ts's preParsing check; a body holding a
 * `__proto__` key, body.ts's name maps before them), and each was a parse of its own; a large body's
 * worker (graphql/prepare.ts) reads it for the name maps and to prepare its fields (mercurius's
 * parse is one more, out of reach: its preParsing hook is given the text only).
 */
import { parse } from 'graphql';
import type { DocumentNode } from 'graphql';

let lastParse: { query: string; maxTokens: number; parsed: { doc: DocumentNode } | { error: unknown } } | null = null;

/** The document parsed as mercurius reads it (at most `maxTokens` tokens), without locations; parsed once for consecutive checks of the same text. */
export function parseOnce(query: string, maxTokens: number): { doc: DocumentNode } | { error: unknown } {
  if (lastParse?.query === query && lastParse.maxTokens === maxTokens) return lastParse.parsed;
  let parsed: { doc: DocumentNode } | { error: unknown };
  try {
    parsed = { doc: parse(query, { noLocation: true, maxTokens }) };
  } catch (error) {
    parsed = { error };
  }
  lastParse = { query, maxTokens, parsed };
  return parsed;
}

/** Lets the last document go (a worker's, once its request is prepared: it is not read again there). */
export function forgetParse(): void {
  lastParse = null;
}
