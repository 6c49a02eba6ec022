/** Request options (dtype, FLOP convention, bias) from a body's `options` or GraphQL's `options` argument. */
import { AnalyzeOptionsSchema } from '../analysis/report.js';
import type { AnalyzeOptions } from '../analysis/report.js';
import { parseRequest } from './requests.js';

/**
 * Options with their defaults; a bad value or an unknown key is INVALID_OPTION at `$.options.…`
 * (naming the closest known key). The query string's options are AnalyzeQuery's (requests.ts).
 */
export function parseOptions(raw: unknown, _where: 'body' = 'body'): AnalyzeOptions {
  return parseRequest(AnalyzeOptionsSchema, raw ?? {}, { in: 'body', prefix: ['options'] });
}
