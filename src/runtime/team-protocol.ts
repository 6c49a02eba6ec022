/**
 * The control block a team shares (runtime/team.ts, team-partner.ts): one Int32Array over a
 * SharedArrayBuffer, written by the leader, read by the partners, and the band kernel both run.
 *
 * A job is one layer cut into bands (a convolution's output rows or channels; another kind's
 * planes, output features or positions: runtime/team-kernels.ts). The leader
 * writes the descriptor, opens CLAIM at (seq, 1) (band 0 is its own, so partners never read band
 * 0's kernels and they need not be copied), bumps SEQ and notifies; then every member,
 * leader included, claims bands with compareExchange on CLAIM until none is left, writes each band
 * straight into the shared output, and adds 1 to DONE. The leader waits (Atomics.wait) until DONE
 * counts every band. No message crosses threads per job: only the SharedArrayBuffers given to a
 * partner once, when it is spawned.
 *
 * Why CLAIM carries the job's sequence number (its low 11 bits): a partner that woke late may read
 * the next job's descriptor half-written; its claim then fails, because the leader closes CLAIM
 * (index past every band) before it writes anything for the next job.
 */
import { convRows, convRowsOverwrites } from '../ops/conv.js';
import type { KeptKernels } from '../ops/conv-winograd.js';
import type { ConvPlan } from '../ops/conv.js';
import type { AxisGeometry } from '../ops/geometry.js';

/** Indices into the control block. */
export const SEQ = 0;
export const CLAIM = 1;
export const DONE = 2;
/** Set to 1 to make every partner leave its loop and exit. */
export const STOP = 3;
/** Partners with an index below this take part in the current job (the others sit it out). */
export const ALLOWED = 4;
export const NBANDS = 5;
export const MODE = 6;
/** The job's kind (runtime/team-kernels.ts: conv, max pooling, plane means, linear, a ConvNeXt block's MLP). */
export const KIND = 7;
/** The job's parameters: a conv's plan (n, cin, cout, groups, then 8 per axis), or another kind's: 20 ints. */
export const PLAN = 8;
export const X_LEN = 28;
export const W_OFF = 29;
export const W_LEN = 30;
export const B_OFF = 31;
export const B_LEN = 32;
export const OUT_OFF = 33;
export const OUT_LEN = 34;
/** Where x lies in the arena (floats): a split layer's output, or a copy. */
export const X_OFF = 35;
/** A conv job's fused activation (runtime/team-epilogue.ts activationOf): its bytes in the arena (floats offset, byte length; 0: none). */
export const EPI_OFF = 36;
export const EPI_LEN = 37;
/** A conv job's residual (runtime/team-epilogue.ts), or an MLP job's (the block's input), in the arena: floats offset and length (0: none). */
export const R_OFF = 38;
export const R_LEN = 39;
export const BOUNDS = 40;
export const MAX_BANDS = 32;
/** One int per partner: PARTNER_STARTING, READY, FAILED or GONE. */
export const STATE = 80;
export const MAX_PARTNERS = 16;
/** Microseconds the partners spent in this job's bands, and the units (rows, channels, planes …) they computed: the leader balances the next bands by them. */
export const WORK_US = STATE + MAX_PARTNERS;
export const WORK_UNITS = WORK_US + 1;
/** How long (µs) partners spin before they sleep (SPIN_MS unless the leader says otherwise). */
export const SPIN_US = WORK_UNITS + 1;
/**
 * Where the job's weight lies: −1, in the arena at W_OFF (copied in by the leader); else the id of
 * a SharedArrayBuffer of its own (a cached model's kept weights, runtime/weight-store.ts
 * shareKept), which the leader posted to every partner's port before the first job that reads it,
 * W_OFF floats into it.
 */
export const W_BUF = SPIN_US + 1;
/**
 * When a partner started the job's first partner band, on the wall clock (wallMicros); NO_START
 * until one has. The leader reads it against its own clock at the notify (Team.lastJob.lagMs: how
 * late partners start, a futex wake-up or longer when the host runs something else on their CPU).
 */
export const START_US = W_BUF + 1;
/**
 * A second weight (an MLP job's W₂: runtime/team-kernels.ts), as W_BUF, W_OFF and W_LEN place the
 * first: −1 in the arena, else a shared buffer's id; W2_LEN 0 when the job has none.
 */
export const W2_BUF = START_US + 1;
export const W2_OFF = W2_BUF + 1;
export const W2_LEN = W2_OFF + 1;
/**
 * Bands whose input the partners may read: [0, STAGED). A row-band conv's input is copied into the
 * arena band by band (runtime/team-operands.ts stageRest): band 1's rows before the job opens, the
 * rest while a partner computes band 1; a partner that claims a band not staged yet waits for it
 * (waitStaged). Every other job is staged whole before it opens (STAGED = its bands).
 */
export const STAGED = W2_LEN + 1;
/**
 * One int per band: the job's SEQ once a partner has written that band. The leader copies a
 * partner's band out of the arena as soon as it is done, between its own bands, rather than all of
 * them after its last (runtime/team.ts): only what finishes last is copied while nothing else runs.
 */
export const BAND_DONE = STAGED + 1;
/**
 * Where the job's input lies: −1, in the arena at X_OFF (a split layer's output, or copied in by the
 * leader); else the id of a SharedArrayBuffer of its own (a request's large .npy part, which the
 * route read into shared memory: http/shared-bodies.ts), posted for this job to the partners it
 * lets in (runtime/team-weights.ts jobId), X_OFF floats into it.
 */
export const X_BUF = BAND_DONE + MAX_BANDS;
/**
 * Where the job's output lies: −1, in the arena at OUT_OFF; else the id of a SharedArrayBuffer of
 * its own (an operator call's answer, lent to the main thread: runtime/lent-answers.ts), posted
 * once to every partner (runtime/team-weights.ts idOf), OUT_OFF floats into it.
 */
export const OUT_BUF = X_BUF + 1;
export const CONTROL_INTS = OUT_BUF + 1;
/** START_US before any partner has started a band of the job. */
export const NO_START = -0x80000000;
/**
 * The wall clock in microseconds modulo 2^32, as an int32 (performance.timeOrigin is each thread's
 * start on the process's clock, so the threads agree): the difference of two, `| 0`, is right
 * across the wrap.
 */
export const wallMicros = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000) | 0;

/**
 * Milliseconds from `openUs` to `startedUs` (both wallMicros; START_US as the partners left it):
 * null when no partner started (NO_START), 0 for a start a hair before the open (the threads'
 * clocks agree to microseconds).
 */
export const startLagMs = (startedUs: number, openUs: number): number | null => (startedUs === NO_START ? null : Math.max(0, ((startedUs - openUs) | 0) / 1000));

export const PARTNER_STARTING = 0;
export const PARTNER_READY = 1;
/** Died (an exception, or the thread exited) while it held a band: the job cannot finish. */
export const PARTNER_FAILED = 2;
/** Left between jobs (STOP, or its thread exited idle): it holds nothing. */
export const PARTNER_GONE = 3;

/** Bands of output rows [from, to) of every channel. */
export const MODE_ROWS = 0;
/** Bands of output channels [from, to) (one image, one group: a contiguous block of the output). */
export const MODE_CHANNELS = 1;

const SEQ_BITS = 11;
const IDX_MASK = 0xfffff;
export const seqPart = (seq: number): number => seq & ((1 << SEQ_BITS) - 1);
export const openClaim = (seq: number): number => seqPart(seq) << 20;
export const closedClaim = (seq: number): number => (seqPart(seq) << 20) | IDX_MASK;

/**
 * Where a band's results lie in the whole output: for c < count, [c·stride + from·unit,
 * c·stride + to·unit) (conv rows: every channel's rows; planes and channel blocks: one contiguous
 * block; linear: a column block of each row). The leader copies the partners' bands out of the
 * arena by it (runtime/team-kernels.ts copyRegion), and a band's epilogue walks it
 * (runtime/team-epilogue.ts).
 */
export interface BandRegion {
  count: number;
  stride: number;
  unit: number;
}

/** Calls fn(at, n) for each contiguous part of band [from, to) of region r: n floats from `at`. */
export function bandParts(r: BandRegion, from: number, to: number, fn: (at: number, n: number) => void): void {
  for (let c = 0, at = 0; c < r.count; c++, at += r.stride) fn(at + from * r.unit, (to - from) * r.unit);
}

/** The next unclaimed band of job `seq`, or −1 when none is left (or the job is no longer current). */
export function claim(ctl: Int32Array, seq: number, bands: number): number {
  const s = seqPart(seq);
  for (;;) {
    const v = Atomics.load(ctl, CLAIM);
    if (v >>> 20 !== s) return -1;
    const i = v & IDX_MASK;
    if (i >= bands) return -1;
    if (Atomics.compareExchange(ctl, CLAIM, v, v + 1) === v) return i;
  }
}

const AXIS: Exclude<keyof AxisGeometry, 'ceilMode'>[] = ['in', 'kernel', 'stride', 'dilation', 'effKernel', 'padBegin', 'padEnd', 'out'];

export function writePlan(ctl: Int32Array, p: ConvPlan): void {
  ctl.set([p.n, p.cin, p.cout, p.groups], PLAN);
  p.geo.forEach((g, a) => AXIS.forEach((k, i) => (ctl[PLAN + 4 + a * AXIS.length + i] = g[k])));
}

export function readPlan(ctl: Int32Array): ConvPlan {
  const axis = (a: number) => Object.fromEntries(AXIS.map((k, i) => [k, ctl[PLAN + 4 + a * AXIS.length + i]])) as unknown as AxisGeometry;
  return { n: ctl[PLAN], cin: ctl[PLAN + 1], cout: ctl[PLAN + 2], groups: ctl[PLAN + 3], geo: [axis(0), axis(1)] };
}

/**
 * One band of the convolution into `out` (the whole output): ops/conv.ts's convRows fills its
 * region, cleared first when the conv's kernel adds into it (convRowsOverwrites: the depthwise
 * kernels), since `out` is never cleared (an arena region is reused from job to job, the leader's
 * result allocated uncleared: runtime/team-operands.ts). Clearing every band cost
 * the leader about 3 ms of a two-thread ResNet-50 forward (a pass over every output). `kept`: the
 * job's Winograd kernels, transformed once per thread for all its row bands. A channel
 * band is the convolution by those kernels alone: the same dot products in the same order, so the
 * same bits as the whole conv.
 */
export function computeBand(mode: number, p: ConvPlan, x: Float32Array, w: Float32Array, b: Float32Array | undefined, out: Float32Array, from: number, to: number, kept?: KeptKernels): void {
  const OH = p.geo[0].out;
  const OW = p.geo[1].out;
  const plane = OH * OW;
  const clear = !convRowsOverwrites(p);
  if (mode === MODE_ROWS) {
    if (clear) for (let c = 0; c < p.n * p.cout; c++) out.fill(0, c * plane + from * OW, c * plane + to * OW);
    convRows(x, w, b, p, from, to, out, kept);
    return;
  }
  const K = (p.cin / p.groups) * p.geo[0].kernel * p.geo[1].kernel;
  const block = out.subarray(from * plane, to * plane);
  if (clear) block.fill(0);
  convRows(x, w.subarray(from * K, to * K), b?.subarray(from, to), { ...p, cout: to - from }, 0, OH, block);
}

/**
 * How long a thread spins on the control block before it sleeps in Atomics.wait: a partner after
 * its job (the next layer of a run usually comes within this), the leader for the partners' last
 * bands. Waking a thread from Atomics.wait costs tens of microseconds on an idle machine and up to
 * a scheduler slice on a busy one, and a partner woken late leaves its band to the leader (the
 * layer then runs on one thread); a spin costs the CPU time of a thread that has nothing else to do,
 * which a busy machine gives to others: measured on ResNet-50 at 224 at load ~10 (busiest thread's
 * CPU per forward, median of 10): spin 1 ms 258 ms, 0.3 ms 243, none 240 (one thread alone 319).
 * A quarter of a millisecond covers a futex wake-up and the short gaps between the layers of a run.
 * Longer is worse here: partners held spinning through a whole ResNet-50 forward (up to 20 ms
 * between jobs; a sleeping partner starts its band 100–200 µs after the notify) made two-thread
 * forwards slower, 223 against 198 ms and 239 against 214 (12 interleaved forwards each,
 * 2026-11-30 07:15 UTC). Nor does waking a sleeping partner earlier help: rung as soon as the
 * leader knew a job was coming (before its staging), then spinning for it, the partners left the
 * leader waiting longer (ms per forward, 32 interleaved forwards: 37.6 against 16.5, 24.8 against
 * 12.3; forwards 226 against 204 and 192 against 192): a partner whose job came after its spin
 * slept again and needed a second wake-up.
 */
export const SPIN_MS = 0.25;

/**
 * A partner that claimed band `band` of the current job waits until its input is staged (STAGED
 * past it): it spins (the leader copies a band's rows in well under a millisecond), then sleeps on
 * STAGED. The leader always leaves STAGED at the job's bands, also when its staging throws.
 */
export function waitStaged(ctl: Int32Array, band: number): void {
  if (spinUntil(() => Atomics.load(ctl, STAGED) > band, 1)) return;
  for (let v = Atomics.load(ctl, STAGED); v <= band; v = Atomics.load(ctl, STAGED)) Atomics.wait(ctl, STAGED, v, 50);
}

/** Polls `ready` until it holds (true) or `ms` have passed (false). */
export function spinUntil(ready: () => boolean, ms: number): boolean {
  const end = performance.now() + ms;
  for (;;) {
    // the clock read every 64 polls: it costs more than a load
    for (let i = 0; i < 64; i++) if (ready()) return true;
    if (performance.now() > end) return false;
  }
}
