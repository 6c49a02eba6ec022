/**
 * Where a team job's partners read its operands and write its output (runtime/team.ts): the team's
 * arena (runtime/shared-arena.ts), a SharedArrayBuffer every member maps. The leader reads its own
 * arrays and takes band 0 before the job opens, so only what the partners' bands read is copied in:
 *  - the input as it is when a split layer left it in the arena or it lies in a SharedArrayBuffer of
 *    its own (a large .npy part, http/shared-bodies.ts: read in place by an id for this job,
 *    runtime/team-weights.ts jobId), else copied in, all but what band 0 alone reads (KernelJob.partnerInput: a conv row
 *    band's input rows above the partners' first),
 *    a row band job's band by band: band 1's before the job opens, the others after (stageRest);
 *  - of the weights, all but band 0's own (KernelJob.leaderWeights: a channel band's kernels, a
 *    linear band's rows); a weight in a SharedArrayBuffer of its own (a cached model's, or a
 *    request's large .npy part) is read in place, by its id (runtime/team-weights.ts jobId);
 *  - the bias, the epilogue's bytes, a residual (read in place when a split layer left it there).
 * The output: an arena region every member writes (BandJob.inArena), a shared buffer of its own
 * every member writes (BandJob.into: an operator call's answer, runtime/lent-answers.ts), or a fresh
 * array the leader's bands go straight into and the partners' bands are copied into out of an arena region. Neither is
 * cleared: every band sets its outputs (a conv band whose kernel adds clears its rows first).
 */
import { uncleared } from '../tensor/tensor.js';
import type { SharedArena } from './shared-arena.js';
import { epilogueBytes } from './team-epilogue.js';
import type { BandEpilogue } from './team-epilogue.js';
import { copyRegion } from './team-kernels.js';
import type { KernelJob } from './team-kernels.js';
import { lastingShared } from './team-weights.js';
import type { SharedWeightIds } from './team-weights.js';

/** A job of any kind: its kernel's description (runtime/team-kernels.ts), its operands and its bands. */
export interface BandJob extends KernelJob {
  x: Float32Array;
  weight?: Float32Array;
  /** A second weight (an MLP job's W₂), placed as the first: read in place from a shared buffer of its own, else copied in. */
  weight2?: Float32Array;
  bias?: Float32Array;
  outLen: number;
  bounds: number[];
  partners: number;
  /**
   * The output is a region of the team's arena, which every member writes straight into and the
   * caller releases (runtime/split.ts: a layer whose output the run drops); by default a fresh
   * array, the partners' bands copied into it out of the arena.
   */
  inArena?: boolean;
  /**
   * Otherwise, where the output goes: a shared buffer of its own (an operator call's answer, lent
   * to the main thread: runtime/lent-answers.ts), which every member writes straight into, so
   * nothing is copied out; by default a fresh array.
   */
  into?: Float32Array;
  /** What a conv applies to every band as it is written: its fused activation, a residual add before it (runtime/team-epilogue.ts); an MLP job's residual. */
  epilogue?: BandEpilogue;
}

/** A weight where the partners read it: `buf` its shared buffer's id, or −1 for a copy in the arena. */
export interface PlacedWeight {
  at: Float32Array;
  buf: number;
}

/** The job's operands as the partners see them (views into the arena, or shared weights), and the leader's result. */
export interface JobOperands {
  x: Float32Array;
  /** Where the partners read x: −1 in the arena, else its shared buffer's id (team-protocol.ts X_BUF). */
  xBuf: number;
  weight: PlacedWeight | null;
  weight2: PlacedWeight | null;
  bias: Float32Array | null;
  /** The epilogue's bytes (team-epilogue.ts epilogueBytes) in a region of `bytes` bytes. */
  epilogue: { at: Float32Array; bytes: number } | null;
  residual: Float32Array | null;
  /** The whole output as the partners write it. */
  out: Float32Array;
  /** Where the partners find `out`: −1 in the arena, else its shared buffer's id (team-protocol.ts OUT_BUF). */
  outBuf: number;
  /** What the job answers: `out` itself (inArena, or into), or the fresh array the leader writes. */
  result: Float32Array;
  /** Floats copied into the arena for the partners (Team.lastJob.stagedFloats), stageRest's included. */
  staged: number;
  /**
   * A row-band job's input rows for bands 2 and on, copied once the job is open (band 1's are in
   * before it); `ready(k)` is called once bands [0, k) can be read. Null when everything is in.
   */
  stageRest: ((ready: (bands: number) => void) => void) | null;
}

/**
 * Copies in what the partners read (above); every region taken is pushed onto `temps`, which the
 * caller releases once the job is over (also when this throws part-way).
 */
export function stageOperands(job: BandJob, arena: SharedArena, shared: SharedWeightIds, temps: Float32Array[], partners: number, seq: number): JobOperands {
  let staged = 0;
  const temp = (n: number) => {
    const t = arena.alloc(n);
    temps.push(t);
    return t;
  };
  const stage = (src: Float32Array) => {
    staged += src.length;
    const t = temp(src.length);
    t.set(src);
    return t;
  };
  let stageRest: JobOperands['stageRest'] = null;
  const stageInput = (x: Float32Array): Float32Array => {
    const part = job.partnerInput?.(job.bounds) ?? null;
    if (!part) return stage(x);
    const t = temp(x.length);
    staged += part.region.count * part.region.unit * (part.to - part.from);
    const { bounds } = job;
    const bands = bounds.length - 1;
    // band by band when the partners have two bands or more: a partner computes band 1 while the
    // leader copies the rest in (a pool worker's 3×3 128→128 conv at 112², its input fresh from
    // the main thread: 0.85–1.7 ms of copying, all of it before the job opened)
    const through = part.through;
    if (!through || bands < 3) {
      copyRegion(part.region, x, t, part.from, part.to);
      return t;
    }
    const below = (band: number) => (band === bands - 1 ? part.to : Math.max(part.from, Math.min(part.to, through(bounds[band + 1]))));
    let at = below(1);
    copyRegion(part.region, x, t, part.from, at);
    stageRest = (ready) => {
      for (let band = 2; band < bands; band++) {
        const end = Math.max(at, below(band));
        copyRegion(part.region, x, t, at, end);
        at = end;
        ready(band + 1);
      }
    };
    return t;
  };
  const place = (w: Float32Array, leaderOnly: number): PlacedWeight => {
    if (w.buffer instanceof SharedArrayBuffer && w.buffer !== arena.buffer) return { at: w, buf: shared.jobId(w.buffer, partners, seq) };
    const at = temp(w.length);
    at.set(w.subarray(leaderOnly), leaderOnly);
    staged += w.length - leaderOnly;
    return { at, buf: -1 };
  };
  const inShared = job.x.buffer instanceof SharedArrayBuffer && job.x.buffer !== arena.buffer;
  const x = arena.owns(job.x) || inShared ? job.x : stageInput(job.x);
  const xBuf = inShared ? shared.jobId(job.x.buffer as SharedArrayBuffer, partners, seq) : -1;
  const weight = job.weight ? place(job.weight, job.leaderWeights(job.bounds)) : null;
  const weight2 = job.weight2 ? place(job.weight2, 0) : null;
  const bias = job.bias ? stage(job.bias) : null;
  let epilogue: JobOperands['epilogue'] = null;
  const bytes = job.epilogue ? epilogueBytes(job.epilogue) : null;
  if (bytes) {
    const at = temp(Math.ceil(bytes.length / 4));
    new Uint8Array(at.buffer, at.byteOffset, bytes.length).set(bytes);
    epilogue = { at, bytes: bytes.length };
  }
  const r = job.epilogue?.residual ?? null;
  const residual = r && !arena.owns(r) ? stage(r) : r;
  const into = !job.inArena && job.into ? job.into : null;
  const out = job.inArena ? arena.alloc(job.outLen) : (into ?? temp(job.outLen));
  const outBuf = into ? shared.idOf(lastingShared(into.buffer as SharedArrayBuffer)) : -1;
  return { x, xBuf, weight, weight2, bias, epilogue, residual, out, outBuf, result: job.inArena || into ? out : uncleared(job.outLen), staged, stageRest };
}
