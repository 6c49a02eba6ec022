/**
 * rotaryEmbedding: rotary position embedding (RoPE; ONNX RotaryEmbedding, opset 23, as its reference
 * implementation onnx/reference/ops/op_rotary_embedding.py computes it). Inputs x, cos, sin and
 * optionally positionIds:
 *   x            (B, S, H·D) with numHeads H given, or (B, H, S, D)
 *   cos, sin     (B, S, R/2) without positionIds; (P, R/2), rows gathered by positionIds (B, S), with
 * R = rotaryEmbeddingDim (0: the head size D; even, at most D). In each head of each position the
 * first R values are rotated in pairs (x1, x2) by the position's angles, the other D − R pass through:
 *   y1 = cos·x1 − sin·x2,   y2 = sin·x1 + cos·x2
 * pairs (i, i + R/2) (the halves, GPT-NeoX's rotate_half), or (2i, 2i + 1) with interleaved (GPT-J's).
 *   params = 0 (the caches are inputs: ONNX's are constants or computed, PyTorch's buffers)
 *   FLOPs  = 3 per rotated value (4 multiplications and 2 additions a pair)
 * Receptive field: positions do not mix; the values of a head do (pairs R/2 apart): where x's last
 * dim is spatial (as a (N, C, L) or (N, C, H, W) tensor's), the field spans it, the others keep theirs.
 * VJP: ∂x is ∂y rotated by the opposite angles (the rotation's transpose); the caches get none.
 */
import { z } from 'zod';
import { ConvlensError, fmtShape } from '../errors.js';
import { mergeRF, summaryAlong } from './receptive-field.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';

export const RotaryEmbeddingAttrs = z.strictObject({
  interleaved: z.boolean().default(false).describe('rotate pairs (2i, 2i + 1) (GPT-J) rather than (i, i + R/2) (GPT-NeoX)'),
  numHeads: z.number().int().min(0).default(0).describe('H, for an x of (B, S, H·D); 0 for an x of (B, H, S, D)'),
  rotaryEmbeddingDim: z.number().int().min(0).default(0).describe('R: the leading values of each head rotated (0: all D)'),
});
type RotaryEmbeddingAttrs = z.infer<typeof RotaryEmbeddingAttrs>;

/** x as (B, S, H, D) in memory: strides of b, s, h (d is 1); R rotated; caches gathered by positionIds or not. */
export interface RotaryPlan {
  b: number;
  s: number;
  h: number;
  d: number;
  r: number;
  strides: [number, number, number];
  positions: boolean;
}

function rotaryPlan(ctx: InferContext<RotaryEmbeddingAttrs>): RotaryPlan {
  const [x, cos, sin, ids] = ctx.inputs;
  const a = ctx.attrs;
  let b: number, s: number, h: number, d: number, strides: [number, number, number];
  if (x.length === 4) {
    [b, h, s, d] = x;
    strides = [h * s * d, d, s * d];
  } else if (x.length === 3) {
    if (a.numHeads === 0) ctx.fail('INVALID_ATTRIBUTE', `an input of rank 3 ${fmtShape(x)} needs numHeads (ONNX num_heads) to split its last dim into heads`, 'numHeads', { shapes: { input: x } });
    if (x[2] % a.numHeads !== 0) ctx.fail('INVALID_ATTRIBUTE', `numHeads=${a.numHeads} does not divide the last dim of ${fmtShape(x)}`, 'numHeads', { shapes: { input: x } });
    [b, s] = x;
    h = a.numHeads;
    d = x[2] / h;
    strides = [s * h * d, h * d, d];
  } else {
    return ctx.fail('RANK_MISMATCH', `rotaryEmbedding needs x of (B, S, H·D) or (B, H, S, D), got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
  }
  const r = a.rotaryEmbeddingDim || d;
  if (r % 2 !== 0 || r > d) ctx.fail('INVALID_ATTRIBUTE', `rotaryEmbeddingDim=${r} must be even and at most the head size ${d}`, 'rotaryEmbeddingDim', { shapes: { input: x } });
  // a positionIds input of any rank is read as one (a rank-0 one was taken for none, its id ignored)
  const positions = ids !== undefined;
  if (positions && (ids.length !== 2 || ids[0] !== b || ids[1] !== s)) ctx.fail('SHAPE_MISMATCH', `positionIds ${fmtShape(ids)} must be (${b}, ${s}) for x ${fmtShape(x)}`, ['inputs', 3], { shapes: { input: x } });
  const want = positions ? `(P, ${r / 2})` : `(${b}, ${s}, ${r / 2})`;
  for (const [k, c] of [[1, cos], [2, sin]] as const) {
    const fits = positions ? c.length === 2 && c[1] === r / 2 : c.length === 3 && c[0] === b && c[1] === s && c[2] === r / 2;
    if (!fits) ctx.fail('SHAPE_MISMATCH', `the ${k === 1 ? 'cos' : 'sin'} cache ${fmtShape(c)} must be ${want} for x ${fmtShape(x)}`, ['inputs', k], { shapes: { input: x } });
  }
  // gathered by the same ids, the caches hold the same positions (a sin shorter than cos was read past its end: NaN)
  if (positions && sin[0] !== cos[0]) ctx.fail('SHAPE_MISMATCH', `the sin cache ${fmtShape(sin)} must have the cos cache's shape ${fmtShape(cos)}`, ['inputs', 2], { shapes: { input: x, cos, sin } });
  return { b, s, h, d, r, strides, positions };
}

/** MAX_RUN_WORK's units a rotated value takes: an element-wise loop's (the shared two-input loop's 275 an element, pointwise.ts). */
const ROTARY_ELEMENT = 275;

export const rotaryEmbedding: OpDef<RotaryEmbeddingAttrs, RotaryPlan> = {
  name: 'rotaryEmbedding',
  summary: 'Rotary position embedding (RoPE): each head’s leading values rotated in pairs by its position’s angles (ONNX RotaryEmbedding)',
  pytorch: 'none (apply_rotary_pos_emb in transformers)',
  inputNames: ['x', 'cos', 'sin', 'positionIds'],
  minInputs: 3,
  attrs: RotaryEmbeddingAttrs,
  infer(ctx) {
    const plan = rotaryPlan(ctx);
    const rotated = plan.b * plan.s * plan.h * plan.r;
    return { outputs: [ctx.inputs[0]], weights: [], cost: { ...ZERO_COST, elementwise: 3 * rotated }, runWork: ROTARY_ELEMENT * numel(ctx.inputs[0]), plan };
  },
  receptiveField(ctx) {
    const x = ctx.inputs[0];
    const rf = ctx.rf[0];
    const last = x.length - 1;
    if (!rf || rf.global || !rf.dims.includes(last)) return rf;
    // a unit reads its whole head along the last dim and its own box along the others (statisticsRF's strip, norm-group.ts)
    return mergeRF(ctx.layer, [rf, summaryAlong(rf, x, [last])], ctx.warn, [x, x.map((n, d) => (d === last ? 1 : n))]);
  },
  run(ctx) {
    const [x, cos, sin, ids] = ctx.inputs;
    return [tensor(x.shape, rotate(x.data, cos.data, sin.data, ids?.data, cos.shape[0], ctx.plan, ctx.attrs.interleaved, 1))];
  },
  // the rotation's transpose (its angle negated) on ∂y; the caches, constants, get none
  vjp(ctx) {
    const [x, cos, sin, ids] = ctx.inputs;
    const g = ctx.gradOutputs[0]?.data ?? new Float32Array(x.data.length);
    return [tensor(x.shape, rotate(g, cos.data, sin.data, ids?.data, cos.shape[0], ctx.plan, ctx.attrs.interleaved, -1)), null, null, ...(ids ? [null] : [])];
  },
};

/** x with each head's pairs rotated by its position's angles (`sign` −1: the opposite angles, the transpose). */
function rotate(x: Float32Array, cos: Float32Array, sin: Float32Array, ids: Float32Array | undefined, rows: number, plan: RotaryPlan, interleaved: boolean, sign: 1 | -1): Float32Array {
  const { b, s, h, r, strides, positions } = plan;
  const half = r / 2;
  const out = Float32Array.from(x);
  for (let bi = 0; bi < b; bi++) {
    for (let si = 0; si < s; si++) {
      const row = positions ? ids![bi * s + si] : bi * s + si;
      // a position id is a row of the caches (ONNX gathers them; no negatives)
      if (positions && !(Number.isInteger(row) && row >= 0 && row < rows)) {
        throw new ConvlensError('INVALID_TENSOR', `positionIds [${b}, ${s}] holds ${row} at [${bi}, ${si}], not a row of the caches (${rows} rows)`, { path: '$.inputs[3]' });
      }
      for (let hi = 0; hi < h; hi++) {
        const base = bi * strides[0] + si * strides[1] + hi * strides[2];
        for (let i = 0; i < half; i++) {
          const c = cos[row * half + i];
          const sn = sign * sin[row * half + i];
          const i1 = interleaved ? base + 2 * i : base + i;
          const i2 = interleaved ? base + 2 * i + 1 : base + i + half;
          const x1 = x[i1];
          const x2 = x[i2];
          out[i1] = c * x1 - sn * x2;
          out[i2] = sn * x1 + c * x2;
        }
      }
    }
  }
  return out;
}
