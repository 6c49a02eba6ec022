/** Request options (dtype, FLOP convention, bias) from the body or the query string. */
import { ConvlensError, jsonPath } from '../errors.js';
import { AnalyzeOptionsSchema } from '../analysis/report.js';
import type { AnalyzeOptions } from '../analysis/report.js';

const BOOL = { true: true, false: false, '1': true, '0': false } as Record<string, boolean>;

export function parseOptions(raw: unknown, where: 'body' | 'query'): AnalyzeOptions {
  let input = raw ?? {};
  if (where === 'query' && typeof raw === 'object' && raw !== null) {
    const q = raw as Record<string, unknown>;
    input = {
      ...(q.dtype !== undefined ? { dtype: q.dtype } : {}),
      ...(q.flops !== undefined ? { flops: q.flops } : {}),
      ...(q.includeBias !== undefined ? { includeBias: BOOL[String(q.includeBias)] ?? q.includeBias } : {}),
    };
  }
  const parsed = AnalyzeOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = where === 'body' ? jsonPath(['options', ...(issue.path as (string | number)[])]) : `query.${issue.path.join('.')}`;
    throw new ConvlensError('INVALID_OPTION', `option ${issue.path.join('.') || '(options)'}: ${issue.message}`, { path });
  }
  return parsed.data;
}
