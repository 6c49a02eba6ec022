/**
 * Compare two networks (before → after, as a pull request changes a model): totals with absolute
 * and percentage deltas, per-layer differences, added and removed layers, and gates such as
 * `--max-macs-increase 5%` for CI. Pure functions of two reports.
 *
 * Matching layers, in three passes over the layers still unmatched, each in execution order:
 * 1. by name: the same layer name on both sides (whatever the op; an op change is reported);
 * 2. by module path (analysis/modules.ts), in order: the remaining sequences are aligned (below)
 *    with layers equal when their module paths are; this pairs a torchvision-named graph with its
 *    ONNX export (`layer1.0.conv1` and `/layer1/layer1.0/conv1/Conv`), an op change reported;
 * 3. by position, where names changed: the remaining sequences are aligned with layers equal when
 *    their ops are.
 * Aligning: a longest common subsequence of the two sequences (so pairs never cross); among those
 * of that length, the one pairing the most layers alike (same op, params and output shape); ties
 * prefer the earliest layers. Above MAX_ALIGNMENT_CELLS (n·m) the k-th remaining layer of each key
 * is paired with the k-th instead.
 * What stays unmatched is removed (before) or added (after).
 *
 * A gate is named, in its result and its message, as the surface gave it (`givenAs`): the CLI by
 * its flag (`--max-macs-increase`), REST by the body's path (`$.gates.macs`), GraphQL by the
 * argument's (`$.gates[0].maxIncrease`), each the path its errors name; `flag` is the CLI flag,
 * whichever surface gave the gate.
 *
 * Percentages are relative to before: null when before is 0 and after is not (an increase from
 * nothing), 0 when both are 0. Totals are the reports' (MACs, FLOPs and memory of executed layers;
 * depth is the structure's weighted depth). Peak memory and latency are optional: given by the
 * caller for both sides (analyses of their own), they are compared and gated like the rest.
 */
import { z } from 'zod';
import { ConvlensError } from '../errors.js';
import { modulePaths } from './modules.js';
import type { LayerReport, Report } from './report.js';

export const COMPARE_METRICS = ['params', 'buffers', 'macs', 'flops', 'memoryBytes', 'layers', 'depth', 'peakMemoryBytes', 'latencySeconds'] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number];

/** Human labels for tables and messages. */
export const METRIC_LABELS: Record<CompareMetric, string> = {
  params: 'params',
  buffers: 'buffers',
  macs: 'MACs',
  flops: 'FLOPs',
  memoryBytes: 'memory access (bytes)',
  layers: 'layers',
  depth: 'depth',
  // activations only: 'peak memory' read as what inference holds, and resnet18 → resnet34 showed it unchanged (+40 MB of weights)
  peakMemoryBytes: 'peak activations (bytes)',
  latencySeconds: 'latency (s)',
};

/** The gate flag of each metric: `--max-<flag>-increase`. */
export const GATE_FLAGS: Record<CompareMetric, string> = {
  params: '--max-params-increase',
  buffers: '--max-buffers-increase',
  macs: '--max-macs-increase',
  flops: '--max-flops-increase',
  memoryBytes: '--max-memory-increase',
  layers: '--max-layers-increase',
  depth: '--max-depth-increase',
  peakMemoryBytes: '--max-peak-memory-increase',
  latencySeconds: '--max-latency-increase',
};

/** Above this many cells (unmatched before × unmatched after), position matching is greedy per op. */
export const MAX_ALIGNMENT_CELLS = 4_000_000;

export const DeltaSchema = z.object({
  before: z.number(),
  after: z.number(),
  delta: z.number().describe('after − before'),
  percent: z.number().nullable().describe('100·delta/before; 0 when both are 0; null when before is 0 and after is not'),
});
export type Delta = z.infer<typeof DeltaSchema>;

/** Optional totals of analyses a report does not hold (peak activation memory, roofline latency). */
export const CompareExtrasSchema = z.strictObject({
  peakMemoryBytes: z.number().nonnegative().optional().describe('peak activation memory, bytes'),
  latencySeconds: z.number().nonnegative().optional().describe('estimated latency on a device, seconds'),
});
export type CompareExtras = z.infer<typeof CompareExtrasSchema>;

const LayerRefSchema = z.object({ name: z.string(), op: z.string(), outputShape: z.array(z.number()).nullable(), params: z.number(), macs: z.number(), flops: z.number(), memoryBytes: z.number() });
export type LayerRef = z.infer<typeof LayerRefSchema>;

export const LayerDiffSchema = z.object({
  before: z.string().describe('layer name in the first network'),
  after: z.string().describe('layer name in the second network'),
  matchedBy: z.enum(['name', 'path', 'position']).describe('name: same name; path: same module path and op; position: aligned by op in execution order where names changed'),
  op: z.object({ before: z.string(), after: z.string() }),
  outputShape: z.object({ before: z.array(z.number()).nullable(), after: z.array(z.number()).nullable() }),
  params: DeltaSchema,
  macs: DeltaSchema,
  flops: DeltaSchema,
  memoryBytes: DeltaSchema,
  changed: z.boolean().describe('op, output shape or any count differs'),
});
export type LayerDiff = z.infer<typeof LayerDiffSchema>;

const Side = z.object({ name: z.string(), inputs: z.array(z.object({ name: z.string(), shape: z.array(z.number()) })).describe('its inputs and their shapes (batch first)'), layers: z.number(), complete: z.boolean(), flops: z.string().describe('FLOP convention'), dtype: z.string(), includeBias: z.boolean() });

export const ComparisonSchema = z
  .object({
    before: Side,
    after: Side,
    complete: z.boolean().describe('both analyses complete; otherwise the totals are lower bounds and their deltas prove nothing'),
    conventionsDiffer: z.array(z.string()).describe('counting conventions that differ between the two reports (the FLOPs and bytes then compare different things)'),
    totals: z.array(z.object({ metric: z.enum(COMPARE_METRICS), ...DeltaSchema.shape })).describe('one row per metric present on both sides, in COMPARE_METRICS order'),
    layers: z.object({
      matched: z.array(LayerDiffSchema).describe('every matched pair, in the second network\'s execution order'),
      added: z.array(LayerRefSchema).describe('layers only in the second network'),
      removed: z.array(LayerRefSchema).describe('layers only in the first network'),
    }),
  })
  .describe('the second network relative to the first');
export type Comparison = z.infer<typeof ComparisonSchema>;

export function delta(before: number, after: number): Delta {
  const d = after - before;
  return { before, after, delta: d, percent: before !== 0 ? (100 * d) / before : d === 0 ? 0 : null };
}

const memoryOf = (l: LayerReport) => l.memoryAccess.bytes;
const ref = (l: LayerReport): LayerRef => ({ name: l.name, op: l.op, outputShape: l.outputShape, params: l.params, macs: l.macs, flops: l.flops, memoryBytes: memoryOf(l) });
const sameShape = (a: readonly number[] | null, b: readonly number[] | null) => (a === null || b === null ? a === b : a.length === b.length && a.every((v, i) => v === b[i]));
function alike(a: LayerReport, b: LayerReport): boolean {
  return a.op === b.op && a.params === b.params && sameShape(a.outputShape, b.outputShape);
}

/**
 * Aligns two sequences in order: a longest common subsequence under "same key", and among those
 * the one with the most `alike` pairs (same op, params and output shape); ties prefer the earliest
 * elements. Above MAX_ALIGNMENT_CELLS, the k-th element of each key is paired with the k-th.
 * Returns pairs of indices into `a` and `b`.
 */
export function align(a: readonly LayerReport[], b: readonly LayerReport[], key: (l: LayerReport) => string): [number, number][] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return [];
  const ka = a.map(key);
  const kb = b.map(key);
  if (n * m > MAX_ALIGNMENT_CELLS) {
    // b's indices by key, and how many of each a has taken (pushes and a cursor: copying or
    // shifting the lists costs k² for a key k layers share, and these graphs are the large ones)
    const queues = new Map<string, { at: number[]; taken: number }>();
    kb.forEach((k, j) => (queues.get(k) ?? queues.set(k, { at: [], taken: 0 }).get(k)!).at.push(j));
    const pairs: [number, number][] = [];
    ka.forEach((k, i) => {
      const q = queues.get(k);
      if (q && q.taken < q.at.length) pairs.push([i, q.at[q.taken++]]);
    });
    return pairs;
  }
  // score over suffixes a[i..], b[j..]: pairs·(n+m+1) + alike pairs, so the length wins first.
  const weight = n + m + 1;
  const score = new Float64Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  const gain = (i: number, j: number) => (ka[i] === kb[j] ? weight + (alike(a[i], b[j]) ? 1 : 0) : -1);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const g = gain(i, j);
      score[at(i, j)] = Math.max(score[at(i + 1, j)], score[at(i, j + 1)], g > 0 ? score[at(i + 1, j + 1)] + g : 0);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const g = gain(i, j);
    if (g > 0 && score[at(i, j)] === score[at(i + 1, j + 1)] + g) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (score[at(i, j)] === score[at(i + 1, j)]) i++;
    else j++;
  }
  return pairs;
}

function diff(a: LayerReport, b: LayerReport, matchedBy: LayerDiff['matchedBy']): LayerDiff {
  const d = {
    params: delta(a.params, b.params),
    macs: delta(a.macs, b.macs),
    flops: delta(a.flops, b.flops),
    memoryBytes: delta(memoryOf(a), memoryOf(b)),
  };
  const changed = a.op !== b.op || !sameShape(a.outputShape, b.outputShape) || Object.values(d).some((x) => x.delta !== 0);
  return { before: a.name, after: b.name, matchedBy, op: { before: a.op, after: b.op }, outputShape: { before: a.outputShape, after: b.outputShape }, ...d, changed };
}

/** Matches the layers of two reports (the three passes of the header). */
export function matchLayers(before: Report, after: Report): Comparison['layers'] {
  const A = before.layers;
  const B = after.layers;
  const partner = new Map<number, { i: number; by: LayerDiff['matchedBy'] }>(); // after index → before index
  const taken = new Set<number>();
  const match = (i: number, j: number, by: LayerDiff['matchedBy']) => {
    partner.set(j, { i, by });
    taken.add(i);
  };
  const indexOf = new Map(A.map((l, i) => [l.name, i]));
  B.forEach((l, j) => {
    const i = indexOf.get(l.name);
    if (i !== undefined) match(i, j, 'name');
  });

  const paths = [A, B].map((layers) => modulePaths(layers.map((l) => l.name)).map((p) => p.join('.')));
  const pathOf = new Map<LayerReport, string>();
  [A, B].forEach((layers, s) => layers.forEach((l, k) => pathOf.set(l, paths[s][k])));
  const pass = (by: LayerDiff['matchedBy'], key: (l: LayerReport) => string) => {
    const restA = A.map((_, i) => i).filter((i) => !taken.has(i));
    const restB = B.map((_, j) => j).filter((j) => !partner.has(j));
    const pairs = align(
      restA.map((i) => A[i]),
      restB.map((j) => B[j]),
      key,
    );
    for (const [x, y] of pairs) match(restA[x], restB[y], by);
  };
  pass('path', (l) => pathOf.get(l)!);
  pass('position', (l) => l.op);

  const matched: LayerDiff[] = [];
  const added: LayerRef[] = [];
  B.forEach((l, j) => {
    const p = partner.get(j);
    if (p) matched.push(diff(A[p.i], l, p.by));
    else added.push(ref(l));
  });
  return { matched, added, removed: A.filter((_, i) => !taken.has(i)).map(ref) };
}

function totalsOf(r: Report, extras: CompareExtras): Partial<Record<CompareMetric, number>> {
  const t = r.totals;
  return { params: t.params, buffers: t.buffers, macs: t.macs, flops: t.flops, memoryBytes: t.memoryAccess.bytes, layers: t.layers, depth: r.structure.depth, ...extras };
}

const side = (r: Report) => ({ name: r.name, inputs: r.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })), layers: r.totals.layers, complete: r.totals.complete, flops: r.conventions.flops, dtype: r.conventions.dtype, includeBias: r.conventions.includeBias });

export interface CompareOptions {
  /** Totals of other analyses of the first network (peak memory, latency). */
  before?: CompareExtras;
  /** The same for the second network; a metric is compared only when both sides give it. */
  after?: CompareExtras;
}

/** The second network relative to the first. */
export function compareReports(before: Report, after: Report, options: CompareOptions = {}): Comparison {
  const tb = totalsOf(before, CompareExtrasSchema.parse(options.before ?? {}));
  const ta = totalsOf(after, CompareExtrasSchema.parse(options.after ?? {}));
  const totals = COMPARE_METRICS.filter((m) => tb[m] !== undefined && ta[m] !== undefined).map((metric) => ({ metric, ...delta(tb[metric]!, ta[metric]!) }));
  const conventionsDiffer = (['flops', 'dtype', 'includeBias'] as const)
    .filter((k) => before.conventions[k] !== after.conventions[k])
    .map((k) => `${k}: ${String(before.conventions[k])} → ${String(after.conventions[k])}`);
  return {
    before: side(before),
    after: side(after),
    complete: before.totals.complete && after.totals.complete,
    conventionsDiffer,
    totals,
    layers: matchLayers(before, after),
  };
}

// ---- gates ----

export const ThresholdSchema = z.object({
  value: z.number().describe('the largest increase allowed (negative: a decrease is required)'),
  unit: z.enum(['absolute', 'percent']).describe('absolute: in the metric\'s own unit; percent: of the first network\'s value'),
});
export type Threshold = z.infer<typeof ThresholdSchema>;

export const GateSchema = z.object({
  metric: z.enum(COMPARE_METRICS),
  maxIncrease: ThresholdSchema,
  givenAs: z.string().optional().describe('where the request gave the gate (`$.gates.macs`), to name it by; the CLI flag when absent'),
});
export type Gate = z.infer<typeof GateSchema>;

/**
 * `5%`, `+2.5 %`, `0`, `1e6`, `-10%` → a threshold; anything else is INVALID_OPTION (at `path` when given).
 * A negative limit asks for a decrease: `-10%` fails unless the value fell by at least 10 %.
 */
export function parseThreshold(text: string, path = '$'): Threshold {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(%?)\s*$/i.exec(text);
  const value = m ? Number(m[1]) : NaN;
  if (!m) throw new ConvlensError('INVALID_OPTION', `'${text}' is not an increase limit: write a number (an absolute increase: 0, 1e6) or a percentage (5%)`, { path });
  // 1e400 is written as a number but reads as Infinity: said so, not "is not an increase limit"
  if (!Number.isFinite(value)) throw new ConvlensError('INVALID_OPTION', `'${text}' is past the largest number (about 1.8e308): write a finite increase limit`, { path });
  // every metric compared is a count or a size, never below 0: it can fall by 100 % at most
  if (m[2] && value < -100) throw new ConvlensError('INVALID_OPTION', `'${text}' can never pass: a count or size falls by 100 % at most (-100% asks for 0)`, { path });
  return { value, unit: m[2] ? 'percent' : 'absolute' };
}

/**
 * `{ macs: '5%', params: '0' }` → gates, in COMPARE_METRICS order. With `basePath`, where the
 * request gave the limits (`$.gates`), each gate is named by its path there (`$.gates.macs`), where
 * its errors are too; without, its errors are at `$.macs` and it is named by its CLI flag.
 */
export function parseGates(limits: Partial<Record<CompareMetric, string>>, basePath?: string): Gate[] {
  return COMPARE_METRICS.filter((m) => limits[m] !== undefined).map((metric) => {
    const path = `${basePath ?? '$'}.${metric}`;
    return { metric, maxIncrease: parseThreshold(limits[metric]!, path), ...(basePath !== undefined && { givenAs: path }) };
  });
}

export const GateResultSchema = z.object({
  metric: z.enum(COMPARE_METRICS),
  givenAs: z.string().describe('the gate as this request named it, as its message does: the CLI flag (`--max-macs-increase`), the REST body\'s path (`$.gates.macs`), the GraphQL argument\'s (`$.gates[0].maxIncrease`)'),
  flag: z.string().describe('the CLI flag of this gate (`--max-macs-increase`), whichever surface gave it'),
  threshold: z.string().describe('as written: `5%`, `0`'),
  status: z.enum(['pass', 'fail', 'unknown']),
  reason: z.enum(['incomplete', 'unavailable']).nullable().describe('why the status is unknown: an incomplete analysis (the CLI exits 4), or a metric neither report holds (a usage error)'),
  delta: DeltaSchema.nullable(),
  message: z.string(),
});
export type GateResult = z.infer<typeof GateResultSchema>;

export const GateVerdictSchema = z.object({
  passed: z.boolean().describe('every gate passed'),
  results: z.array(GateResultSchema),
  failures: z.array(z.string()).describe('messages of the failed and unknown gates'),
});
export type GateVerdict = z.infer<typeof GateVerdictSchema>;

export const formatThreshold = (t: Threshold) => `${t.value}${t.unit === 'percent' ? '%' : ''}`;
// below 1e-4 in exponent form: nine fraction digits made a latency of 3e-12 s read "0 → 0"
/** One formatter: toLocaleString with options builds one per call (60 µs). */
const NINE_DIGITS = new Intl.NumberFormat('en-US', { maximumFractionDigits: 9 });
const fmt = (v: number) => (v !== 0 && Math.abs(v) < 1e-4 ? String(Number(v.toPrecision(6))) : NINE_DIGITS.format(Number(v.toPrecision(12))));
const signed = (v: number) => (v > 0 ? `+${fmt(v)}` : fmt(v));
const signedPercent = (p: number | null) => (p === null ? 'from 0' : `${p > 0 ? '+' : ''}${p.toFixed(2)}%`);

/**
 * Each gate against a comparison. A percentage gate on a metric that was 0 fails on any increase.
 * When either analysis is incomplete, a delta of lower bounds proves nothing: the gate is unknown
 * (reason incomplete) unless `allowIncomplete`, which gates on the analysed layers alone.
 */
export function evaluateGates(cmp: Comparison, gates: readonly Gate[], options: { allowIncomplete?: boolean } = {}): GateVerdict {
  const results = gates.map((g): GateResult => {
    const base = { metric: g.metric, givenAs: g.givenAs ?? GATE_FLAGS[g.metric], flag: GATE_FLAGS[g.metric], threshold: formatThreshold(g.maxIncrease) };
    const label = METRIC_LABELS[g.metric];
    const row = cmp.totals.find((t) => t.metric === g.metric);
    if (!row) {
      return { ...base, status: 'unknown', reason: 'unavailable', delta: null, message: `${label}: not available on both sides, so ${base.givenAs} cannot be checked` };
    }
    const d: Delta = { before: row.before, after: row.after, delta: row.delta, percent: row.percent };
    const change = `${label} ${fmt(row.before)} → ${fmt(row.after)} (${signed(row.delta)}, ${signedPercent(row.percent)})`;
    if (!cmp.complete && !options.allowIncomplete) {
      return { ...base, status: 'unknown', reason: 'incomplete', delta: d, message: `${change}: an analysis is incomplete (unsupported operators), so the delta proves nothing` };
    }
    const { value, unit } = g.maxIncrease;
    const fail = unit === 'absolute' ? row.delta > value : row.percent === null ? row.delta > 0 : row.percent > value;
    const limit = `${base.givenAs} ${base.threshold}`;
    return { ...base, status: fail ? 'fail' : 'pass', reason: null, delta: d, message: `${change} ${fail ? 'exceeds' : 'within'} ${limit}` };
  });
  const failures = results.filter((r) => r.status !== 'pass').map((r) => r.message);
  return { passed: failures.length === 0, results, failures };
}
