/**
 * What POST /v1/analyze and GET /v1/models/{name}/report share: the options of a query string
 * (counting options and the extra analyses of analysis/extras.ts), and the answer in a format.
 */
import type { FastifyReply } from 'fastify';
import { EXTRAS_OPTION_KEYS, planExtras, ReportOptionsSchema, splitOptions } from '../analysis/extras.js';
import type { OptionPath, ReportOptions } from '../analysis/extras.js';
import { SHOWN_IN, formatsShowing } from '../analysis/render.js';
import type { ShownAnalysis } from '../analysis/render.js';
import { ConvlensError } from '../errors.js';
import { dict } from '../records.js';
import type { TaskContext, TaskPool } from '../runtime/pool.js';
import type { AnalyzeTask, AnalyzeTaskResult } from '../runtime/tasks.js';
import { MEDIA_TYPES } from './formats.js';
import { OFFLOAD_WORKER } from './offload.js';
import type { OffloadTask } from './offload.js';
import type { ReportFormat } from './formats.js';
import { parseRequest } from './requests.js';
import { duplicateKeyMessage, jsonTextFault } from '../json-text.js';

/** A dimension as written in a shape: decimal digits, no sign, exponent, radix prefix or fraction. */
const DECIMAL_DIGITS = /^[0-9]+$/;

/** Shapes for ONNX inputs from `?input=1,3,224,224` (the first input) and `?input.<name>=…`. */
export function inputShapes(query: Record<string, unknown>): Record<string, number[]> {
  // keyed by input names: a record without a prototype (`?input.constructor=…` names an input)
  const out = dict<number[]>();
  for (const [key, raw] of Object.entries(query)) {
    if (key !== 'input' && !key.startsWith('input.')) continue;
    // given twice, one value would be silently lost
    if (Array.isArray(raw)) throw new ConvlensError('INVALID_OPTION', `query.${key} is given ${raw.length} times; give each input's shape once`, { path: `query.${key}` });
    const text = String(raw);
    // separators as --input takes them (cli/io.ts shape): a comma, x, X or ×
    const spelt = text.split(/[,xX×]/).map((d) => d.trim());
    const dims = spelt.map(Number);
    // plain decimal digits: Number() also reads 1e2, +64, 0x40 and 64.0 as sizes, spellings no shape is written in;
    // a safe integer: past 2^53 − 1 a number is read as another (…993 as …992), as the CLI's --input says
    if (spelt.some((d) => !DECIMAL_DIGITS.test(d)) || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
      throw new ConvlensError('INVALID_OPTION', `${key} must be positive integers in decimal digits up to 2^53 − 1 separated by commas, e.g. 1,3,224,224; got ${JSON.stringify(text)}`, { path: `query.${key}` });
    }
    out[key === 'input' ? '' : key.slice('input.'.length)] = dims;
  }
  return out;
}

/** Option keys of a query string: the counting options and the extras. */
export const OPTION_KEYS = ['dtype', 'flops', 'includeBias', ...EXTRAS_OPTION_KEYS] as const;
const queryPath: OptionPath = (key) => `query.${key}`;

/** `?device=`: a built-in id, or a custom profile as JSON (checked with the options). */
function queryDevice(text: string): unknown {
  if (!text.trimStart().startsWith('{')) return text;
  let profile: unknown;
  try {
    profile = JSON.parse(text);
  } catch (e) {
    throw new ConvlensError('INVALID_OPTION', `?device is neither a device id nor a JSON profile: ${(e as Error).message}`, { path: 'query.device' });
  }
  const fault = jsonTextFault(text);
  if (fault?.kind === 'duplicate') throw new ConvlensError('INVALID_OPTION', `?device: ${duplicateKeyMessage(fault)}`, { path: 'query.device' });
  return profile;
}

/**
 * The options given in the query (types already checked), or null when it gives none; the device
 * and convention resolved, so a misspelt one costs no worker time.
 */
export function queryOptions(q: Partial<Record<(typeof OPTION_KEYS)[number], unknown>>): ReportOptions | null {
  const given = OPTION_KEYS.filter((k) => q[k] !== undefined);
  if (!given.length) return null;
  const options = parseRequest(ReportOptionsSchema, Object.fromEntries(given.map((k) => [k, k === 'device' ? queryDevice(String(q.device)) : q[k]])), { in: 'query' });
  planExtras(splitOptions(options).extras, queryPath);
  return options;
}

/** The options that add an analysis to the report. */
const ANALYSES: readonly (readonly [keyof ReportOptions, ShownAnalysis])[] = [
  ['memory', 'memory'],
  ['inPlace', 'inPlace'],
  ['device', 'device'],
  ['convention', 'convention'],
  ['explain', 'explain'],
  ['deployed', 'deployed'],
  ['erf', 'erf'],
  ['depth', 'modules'],
  ['topK', 'modules'],
];

/**
 * An analysis asked for in a format that does not show it would be silently dropped, so it is
 * refused, at `?<option>` or `$.options.<option>` where it was given: erf (the HTML report's
 * section; POST /v1/erf alone), explain (json and csv), any of them with netron.
 */
export function checkFormatOptions(options: ReportOptions, format: ReportFormat, query: Record<string, unknown>): void {
  const shown = SHOWN_IN[format];
  for (const [key, analysis] of ANALYSES) {
    const v = options[key];
    if (v === undefined || v === false || shown.includes(analysis)) continue;
    const path = query[key] !== undefined ? `query.${key}` : `$.options.${key}`;
    if (key === 'erf') {
      throw new ConvlensError('INVALID_OPTION', `erf adds the effective receptive field to the HTML report (format html), not to ${format}; POST /v1/erf computes it on its own`, { path });
    }
    // the REST formats (the command line's table is not one); depth and topK ask for the module summary, which csv and netron lack
    const where = formatsShowing(analysis).filter((f) => f !== 'table');
    throw new ConvlensError('INVALID_OPTION', `format ${format} does not show ${key}${analysis === 'modules' ? ' (the module summary)' : ''}; it shows in ${where.join(', ')}`, { path });
  }
}

/**
 * The analysis in a worker, answered in `format`: the report as JSON, or the text rendered in the
 * worker (the module tables of md and html at the options' depth and topK).
 */
export async function sendAnalysis(pool: TaskPool, reply: FastifyReply, task: AnalyzeTask, format: ReportFormat, tasks: TaskContext): Promise<unknown> {
  const transfer = task.source.kind === 'onnx' ? [task.source.bytes.buffer as ArrayBuffer] : undefined;
  if (format === 'json') {
    // the report written as JSON in the worker: a 100,000-node ONNX file's 54 MB report, cloned to the
    // event loop and stringified there, held it 4.3 s
    const answer = await pool.run<Uint8Array>('analyze', { kind: 'report', input: task } satisfies OffloadTask, transfer, { filename: OFFLOAD_WORKER, ...tasks });
    return reply.type(MEDIA_TYPES.json).send(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength));
  }
  const { depth, topK } = task.options as ReportOptions;
  const result = await pool.run<AnalyzeTaskResult>('analyze', { ...task, render: { formats: [format], depth, topK } }, transfer, tasks);
  return reply.type(MEDIA_TYPES[format]).send(result.renderings![format]);
}
