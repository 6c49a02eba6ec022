/** Request options (dtype, FLOP convention, bias) from the body or the query string. */
import { AnalyzeOptionsSchema } from '../analysis/report.js';
import type { AnalyzeOptions } from '../analysis/report.js';
import { parseRequest } from './requests.js';

const BOOL = { true: true, false: false, '1': true, '0': false } as Record<string, boolean>;

/**
 * Options from a body's `options` object (paths `$.options.…`; unknown keys are INVALID_OPTION
 * naming them) or from the query string's dtype, flops and includeBias (paths `query.…`; the
 * query's other keys are the route's to check).
 */
export function parseOptions(raw: unknown, where: 'body' | 'query'): AnalyzeOptions {
  if (where === 'body') return parseRequest(AnalyzeOptionsSchema, raw ?? {}, { in: 'body', prefix: ['options'] });
  const q = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const input = {
    ...(q.dtype !== undefined ? { dtype: q.dtype } : {}),
    ...(q.flops !== undefined ? { flops: q.flops } : {}),
    ...(q.includeBias !== undefined ? { includeBias: BOOL[String(q.includeBias)] ?? q.includeBias } : {}),
  };
  return parseRequest(AnalyzeOptionsSchema, input, { in: 'query' });
}
