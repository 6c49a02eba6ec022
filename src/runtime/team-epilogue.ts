/**
 * What a split conv applies to its bands as it writes them, so that none of it stays serial after
 * the conv (the executor's fusion group, runtime/execute.ts): the point-wise activation after the
 * host's folded batch norms, or the residual add there and the activation after it. Each gives the
 * values of the executor's own passes over the whole output: the activation is the same in-place
 * kernel on the same final values; the add is the same float32 sum (IEEE addition commutes), done
 * by tensor/arith-simd.ts as the executor's add is.
 *
 * The activation crosses to the partners as bytes in the arena (v8.serialize: Infinity and NaN
 * attributes survive), resolved by name (ops/epilogue-ops.ts); the residual is read from the arena
 * (in place when a split layer left it there, else copied in: runtime/team.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { EPILOGUE_OPS } from '../ops/epilogue-ops.js';
import type { OpDef } from '../ops/types.js';
import { arithSimd } from '../tensor/arith-simd.js';
import { withEpilogue } from '../tensor/gemm.js';
import { tensor } from '../tensor/tensor.js';
import { bandParts } from './team-protocol.js';
import type { BandRegion } from './team-protocol.js';

export interface BandEpilogue {
  /** The activation (an op of EPILOGUE_OPS) and its attributes; null: none. */
  op: OpDef | null;
  attrs: unknown;
  /** Added to the output, element by element (the same layout), before the activation; null: none. */
  residual: Float32Array | null;
}

/** The bytes epilogueBytes made last, for the op and a copy of the attributes they were made from. */
let lastSent: { op: string; attrs: unknown; bytes: Uint8Array } | null = null;

/**
 * The activation's bytes for the partners, or null without one, from the attributes as they are at
 * this job, so a layer whose attributes change between runs sends the new ones. The last bytes are
 * reused while the op and attributes are the same (a copy of them, compared deeply): a run's layers
 * mostly share one activation, and a v8.serialize per job took 1.1 ms of a two-thread ResNet-50
 * forward (about 20 µs a job), the compare a few.
 */
export function epilogueBytes(e: BandEpilogue): Uint8Array | null {
  if (!e.op) return null;
  if (lastSent && lastSent.op === e.op.name && isDeepStrictEqual(lastSent.attrs, e.attrs)) return lastSent.bytes;
  const bytes = serialize({ op: e.op.name, attrs: e.attrs });
  lastSent = { op: e.op.name, attrs: structuredClone(e.attrs), bytes };
  return bytes;
}

/** Whether partners can apply `op` as an epilogue: one of EPILOGUE_OPS (they find it by name). */
export const sendsAsEpilogue = (op: OpDef): boolean => EPILOGUE_OPS.get(op.name) === op;

/**
 * The activation of `bytes` (in shared memory: read, never kept); the leader sends only what
 * sendsAsEpilogue accepts. The last one is reused while the bytes are the same (a run's layers
 * mostly share one activation: one compare instead of a copy and a v8.deserialize per job).
 */
export function activationOf(bytes: Uint8Array): { op: OpDef; attrs: unknown } {
  if (last && Buffer.compare(last.bytes, bytes) === 0) return last.activation;
  // copied out first: v8.deserialize does not read shared memory
  const own = bytes.slice();
  const { op, attrs } = deserialize(own) as { op: string; attrs: unknown };
  const def = EPILOGUE_OPS.get(op);
  // a partner-internal failure, not a user's error: the partner ends and the leader reports
  // PARTNER_FAILED from the catalog (runtime/team.ts); this text only reaches the partner's catch
  if (!def) throw new RangeError(`a split conv's epilogue names '${op}', no in-place activation`);
  last = { bytes: own, activation: { op: def, attrs } };
  return last.activation;
}
let last: { bytes: Uint8Array; activation: { op: OpDef; attrs: unknown } } | null = null;


/**
 * The band function `compute(from, to)` (a conv band into `out`) with `e` applied to each
 * band. The activation alone runs in the band's GEMM copy-out where its path maps (tensor/gemm.ts
 * withEpilogue), else over the band afterwards; a band mapped in part is computed again without it,
 * then mapped whole. With a residual, the band is computed, then each contiguous part of it gets
 * the residual added and the activation applied, while it is in cache.
 */
export function bandWithEpilogue(compute: (from: number, to: number) => void, region: BandRegion, out: Float32Array, e: BandEpilogue): (from: number, to: number) => void {
  const op = e.op;
  const map = op
    ? (v: Float32Array) => {
        op.runInPlace!({ attrs: e.attrs, plan: null, inputs: [tensor([v.length], v)], weights: {}, outputs: [[v.length]], training: false, seed: 0 }, 0);
      }
    : null;
  const residual = e.residual;
  if (residual) {
    return (from, to) => {
      compute(from, to);
      bandParts(region, from, to, (at, n) => {
        arithSimd('add', out, at, out, at, residual, at, n);
        map?.(out.subarray(at, at + n));
      });
    };
  }
  if (!map) return compute;
  return (from, to) => {
    const { covered } = withEpilogue(map, () => compute(from, to));
    if (covered === region.count * (to - from) * region.unit) return;
    if (covered > 0) compute(from, to);
    bandParts(region, from, to, (at, n) => map(out.subarray(at, at + n)));
  };
}
