/**
 * The kinds of job a team runs (runtime/team.ts), each cut into bands whose results depend on
 * their band alone, so any split gives the one-thread kernel's bits:
 *  - conv: a convolution by output rows or output channels (team-protocol.ts computeBand);
 *  - maxPool: max pooling (values only, the inference kernel) by input planes (image·channel);
 *  - planeMean: global average pooling by planes;
 *  - linear: a fully connected layer by output features: the op's own kernel
 *    (ops/linear.ts linearColumns) on the band's columns, in place, and its epilogue (an activation,
 *    a residual add) over them;
 *  - heads: one sequence's attention heads (ops/attention-kernels.ts attendHead), x its q|k|v;
 *  - mlp: a ConvNeXt block's fused MLP by positions (runtime/fuse-mlp.ts mlpColumns): x its normed
 *    input, the weight W₁, the second weight (team-protocol.ts W2_*) W₂, the bias its vectors in one
 *    array (mlpVectors), the epilogue's residual the block's.
 * A job is described in the control block by its KIND, MODE and up to PARAM_INTS integers at
 * PARAMS; leader and partners build the same band kernel from it (bandKernel), over their own
 * arrays (the leader's) or views into the arena (a partner's).
 */
import type { ConvPlan } from '../ops/conv.js';
import type { AxisGeometry } from '../ops/geometry.js';
import { inputRows } from '../ops/geometry.js';
import { linearColumns } from '../ops/linear.js';
import { maxPoolPlanes, planeMeans } from '../ops/pool-kernels.js';
import { KIND, MODE, MODE_CHANNELS, PLAN, bandParts, computeBand, readPlan, writePlan } from './team-protocol.js';
import { keptKernels } from '../ops/conv-winograd.js';
import type { BandRegion } from './team-protocol.js';
import { bandWithEpilogue } from './team-epilogue.js';
import type { BandEpilogue } from './team-epilogue.js';
import { mlpColumns } from './fuse-mlp.js';
import { attendHead } from '../ops/attention-kernels.js';
import type { MlpOperands } from './fuse-mlp.js';

export const KIND_CONV = 0;
export const KIND_MAX_POOL = 1;
export const KIND_PLANE_MEAN = 2;
export const KIND_LINEAR = 3;
export const KIND_MLP = 4;
export const KIND_HEADS = 5;

const PARAMS = PLAN;
const AXIS: Exclude<keyof AxisGeometry, 'ceilMode'>[] = ['in', 'kernel', 'stride', 'dilation', 'effKernel', 'padBegin', 'padEnd', 'out'];

const writeGeo = (ctl: Int32Array, at: number, geo: AxisGeometry[]) => geo.forEach((g, a) => AXIS.forEach((k, i) => (ctl[at + a * AXIS.length + i] = g[k])));
const readGeo = (ctl: Int32Array, at: number): AxisGeometry[] =>
  [0, 1].map((a) => Object.fromEntries(AXIS.map((k, i) => [k, ctl[at + a * AXIS.length + i]])) as unknown as AxisGeometry);

/**
 * A job's kernel: its kind, its parameters for the control block, its output's band layout, and
 * what of its operands only band 0 (the leader's) reads.
 */
export interface KernelJob {
  kind: number;
  /** Written at PARAMS (the partner reads them back in bandKernel). */
  write(ctl: Int32Array): void;
  region: BandRegion;
  /** Floats of the weight, from its start, that only band 0 (the leader's) reads: never staged. */
  leaderWeights(bounds: number[]): number;
  /**
   * The part of x the other bands read, units [from, to) of a region of x; absent or null: all of
   * it. `through(end)`, when given: the units below which a band ending at `end` reads, so that the
   * part can be staged band by band (runtime/team-operands.ts).
   */
  partnerInput?(bounds: number[]): PartnerInput | null;
}

export interface PartnerInput {
  region: BandRegion;
  from: number;
  to: number;
  through?: (end: number) => number;
}

/**
 * A convolution by output rows or output channels (MODE_ROWS, MODE_CHANNELS): band 0's kernels (a
 * channel band) or the input rows above the other bands' first output row's top tap (a row band)
 * are the leader's alone.
 */
export function convJob(p: ConvPlan, mode: number, weightLength: number): KernelJob {
  const [gh, gw] = p.geo;
  return {
    kind: KIND_CONV,
    write: (ctl) => {
      ctl[MODE] = mode;
      writePlan(ctl, p);
    },
    region: convRegion(mode, p),
    leaderWeights: (bounds) => (mode === MODE_CHANNELS ? bounds[1] * (weightLength / p.cout) : 0),
    // the input rows the partners' output rows read (ops/geometry.ts inputRows), to the input's end
    partnerInput: (bounds) =>
      mode === MODE_CHANNELS
        ? null
        : {
            region: { count: p.n * p.cin, stride: gh.in * gw.in, unit: gw.in },
            from: inputRows(gh, bounds[1], bounds[bounds.length - 1])[0],
            to: gh.in,
            through: (end) => inputRows(gh, end - 1, end)[1],
          },
  };
}

/** Max pooling of H×W planes (bands: planes, image·channel). */
export function maxPoolJob(H: number, W: number, geo: AxisGeometry[]): KernelJob {
  return {
    kind: KIND_MAX_POOL,
    write: (ctl) => {
      ctl.set([H, W], PARAMS);
      writeGeo(ctl, PARAMS + 2, geo);
    },
    region: { count: 1, stride: 0, unit: geo[0].out * geo[1].out },
    leaderWeights: () => 0,
  };
}

/** Global average pooling of planes of `plane` floats (bands: planes). */
export function planeMeanJob(plane: number): KernelJob {
  return { kind: KIND_PLANE_MEAN, write: (ctl) => (ctl[PARAMS] = plane), region: { count: 1, stride: 0, unit: 1 }, leaderWeights: () => 0 };
}

/** A linear layer of `rows` rows (bands: output features). */
export function linearJob(rows: number, inFeatures: number, outFeatures: number): KernelJob {
  return {
    kind: KIND_LINEAR,
    write: (ctl) => ctl.set([rows, inFeatures, outFeatures], PARAMS),
    region: { count: rows, stride: outFeatures, unit: 1 },
    leaderWeights: (bounds) => bounds[1] * inFeatures,
  };
}

/** One sequence's attention heads, t tokens of C channels, x its q|k|v [t × 3C] (bands: heads; ops/attention-kernels.ts attendHead). */
export function headsJob(t: number, c: number, heads: number): KernelJob {
  return {
    kind: KIND_HEADS,
    write: (ctl) => ctl.set([t, c, heads], PARAMS),
    region: { count: t, stride: c, unit: c / heads },
    leaderWeights: () => 0,
  };
}

/** MLP flags (PARAMS + 6): which optional vectors the job's vector array holds. */
const MLP_FC1_BIAS = 1;
const MLP_FC2_BIAS = 2;
const MLP_SCALE = 4;

/** A ConvNeXt block's MLP (bands: positions, every image; runtime/fuse-mlp.ts). */
export function mlpJob(o: MlpOperands): KernelJob {
  const flags = (o.fc1Bias ? MLP_FC1_BIAS : 0) | (o.fc2Bias ? MLP_FC2_BIAS : 0) | (o.scale ? MLP_SCALE : 0);
  return {
    kind: KIND_MLP,
    write: (ctl) => ctl.set([o.n, o.c, o.hidden, o.c2, o.positions, o.approximate === 'tanh' ? 1 : 0, flags], PARAMS),
    region: { count: o.n * o.c2, stride: o.positions, unit: 1 },
    leaderWeights: () => 0,
  };
}

/** An MLP job's vectors in one array, in this order: W₁'s bias (if any), b₁, W₂'s bias (if any), b₂, γ (if any). */
export function mlpVectors(o: MlpOperands): Float32Array {
  const parts = [o.fc1Bias, o.b1, o.fc2Bias, o.b2, o.scale].filter((v): v is Float32Array => v !== null);
  const all = new Float32Array(parts.reduce((a, v) => a + v.length, 0));
  let at = 0;
  for (const v of parts) {
    all.set(v, at);
    at += v.length;
  }
  return all;
}

/** The operands an MLP job's control block describes, over the member's own arrays. */
function mlpOf(ctl: Int32Array, h0: Float32Array, w1: Float32Array, w2: Float32Array, vectors: Float32Array, residual: Float32Array | null): MlpOperands {
  const [n, c, hidden, c2, positions, tanh, flags] = ctl.subarray(PARAMS, PARAMS + 7);
  let at = 0;
  const take = (len: number, present = true) => {
    if (!present) return null;
    at += len;
    return vectors.subarray(at - len, at);
  };
  const fc1Bias = take(hidden, (flags & MLP_FC1_BIAS) !== 0);
  const b1 = take(hidden)!;
  const fc2Bias = take(c2, (flags & MLP_FC2_BIAS) !== 0);
  const b2 = take(c2)!;
  const scale = take(c2, (flags & MLP_SCALE) !== 0);
  return { n, c, hidden, c2, positions, approximate: tanh ? 'tanh' : 'none', h0, w1, fc1Bias, b1, w2, fc2Bias, b2, scale, residual: scale ? residual : null };
}

/** The conv's band layout (rows of every channel, or one block of channels). */
export function convRegion(mode: number, p: ConvPlan): BandRegion {
  const OW = p.geo[1].out;
  const plane = p.geo[0].out * OW;
  return mode === MODE_CHANNELS ? { count: 1, stride: 0, unit: plane } : { count: p.n * p.cout, stride: plane, unit: OW };
}

/** Copies a band's region of `src` (a whole output) into `dst` (another). */
export function copyRegion(r: BandRegion, src: Float32Array, dst: Float32Array, from: number, to: number): void {
  bandParts(r, from, to, (at, n) => dst.set(src.subarray(at, at + n), at));
}

export type BandFn = (from: number, to: number) => void;

/**
 * The band kernel of the job described in `ctl`, over x, w, b and the whole output `out`, whatever
 * `out` held (neither an arena region nor the leader's result is cleared: a conv band whose kernel
 * adds clears its region first). `epilogue`: what a conv applies to each band as it writes it
 * (runtime/team-epilogue.ts); an MLP's residual. `w2`: an MLP's second weight.
 */
export function bandKernel(ctl: Int32Array, x: Float32Array, w: Float32Array, b: Float32Array | undefined, out: Float32Array, epilogue: BandEpilogue | null = null, w2?: Float32Array): BandFn {
  const kind = ctl[KIND];
  if (kind === KIND_CONV) {
    const mode = ctl[MODE];
    const plan = readPlan(ctl);
    // a row band of a Winograd conv uses the kernels the band before it transformed on this thread
    const kept = keptKernels();
    const compute = (from: number, to: number) => computeBand(mode, plan, x, w, b, out, from, to, kept);
    if (!epilogue) return compute;
    return bandWithEpilogue(compute, convRegion(mode, plan), out, epilogue);
  }
  if (kind === KIND_MAX_POOL) {
    const [H, W] = [ctl[PARAMS], ctl[PARAMS + 1]];
    const geo = readGeo(ctl, PARAMS + 2);
    return (from, to) => maxPoolPlanes(x, H, W, geo, out, from, to);
  }
  if (kind === KIND_PLANE_MEAN) {
    const plane = ctl[PARAMS];
    return (from, to) => planeMeans(x, plane, out, from, to);
  }
  if (kind === KIND_LINEAR) {
    const [rows, ci, co] = [ctl[PARAMS], ctl[PARAMS + 1], ctl[PARAMS + 2]];
    // the op's kernel on the band's output features, written in place as columns [from, to) of each
    // row (every value set: nothing to clear), then what the executor fuses after it (a GELU, a
    // residual add), over the band's part of each row
    const compute = (from: number, to: number) => linearColumns(x, rows, ci, w, b, co, from, to, out);
    if (!epilogue) return compute;
    return bandWithEpilogue(compute, { count: rows, stride: co, unit: 1 }, out, epilogue);
  }
  if (kind === KIND_HEADS) {
    const plan = { t: ctl[PARAMS], c: ctl[PARAMS + 1], heads: ctl[PARAMS + 2] };
    // this member's scratch for the job: a head's kᵀ and scores
    const scratch = { kT: new Float32Array((plan.c / plan.heads) * plan.t), probs: [new Float32Array(plan.t * plan.t)] };
    return (from, to) => {
      for (let hd = from; hd < to; hd++) attendHead(x, 0, plan, scratch, out, hd);
    };
  }
  if (kind === KIND_MLP) {
    if (!w2 || !b) throw new RangeError('an MLP job needs its second weight (W2_*) and its vectors (the bias)');
    const o = mlpOf(ctl, x, w, w2, b, epilogue?.residual ?? null);
    return (from, to) => mlpColumns(o, from, to, out);
  }
  throw new RangeError(`no band kernel of kind ${kind}`);
}
