/**
 * scaledDotProductAttention: attention of given queries, keys and values, no projections
 * (F.scaled_dot_product_attention, torch ≥ 2.0; ONNX Attention, opsets 23–24, which torch.onnx's
 * dynamo exporter writes for it). Inputs q, k, v, either
 *   4-D  q (B, Hq, Sq, D), k (B, Hkv, Sk, D), v (B, Hkv, Sk, Dv) → y (B, Hq, Sq, Dv), or
 *   3-D  q (B, Sq, Hq·D), k (B, Sk, Hkv·D), v (B, Sk, Hkv·Dv) → y (B, Sq, Hq·Dv), with qNumHeads
 *        and kvNumHeads giving Hq and Hkv.
 * Hkv divides Hq (grouped-query attention): query head i reads key/value head ⌊i / (Hq/Hkv)⌋, ONNX's
 * repeat-interleave (onnx 1.20's reading, onnxruntime's). Per head:
 *   y = softmax(scale·q·kᵀ + causal mask)·v,   scale 1/√D by default
 * causal: query i sees keys j ≤ i (ONNX's bottom-right alignment with no past keys: the top-left
 * lower triangle, as onnxruntime 1.30). A mask (input 3, ONNX attn_mask) broadcast to (B, Hq, Sq,
 * keys ≤ Sk): added to the scores, or with boolMask hiding the keys where it is false; keys past a
 * shorter mask are hidden (a last dim of 1 broadcasts, as PyTorch's, unless padMask: ONNX's). A
 * query seeing no key gives a row of zeros (ONNX's errata).
 *   params = 0
 *   MACs   = B·Hq·Sq·Sk·(D + Dv)          q·kᵀ and the weights times v, as attention's
 *   FLOPs  = B·Hq·Sq·Sk·6 element-wise    scale a score, then softmax's 5 (max, subtract, exp, sum, ÷);
 *                                         7 with a mask (its add or select)
 * Receptive field: every output reads every key position: global where a sequence dim is spatial
 * (over q's field, or over k's, v's or the mask's where q has none: constant queries).
 * VJP (q, k and v all): with P the attention weights, ∂v = Pᵀ·∂y, ∂S = P ⊙ (∂y·vᵀ − rowsum(P ⊙ ∂y·vᵀ)),
 * ∂q = scale·∂S·k, ∂k = scale·∂Sᵀ·q, a key/value head's summed over the query heads sharing it.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { globalOver } from './receptive-field.js';
import { ZERO_COST } from './types.js';
import type { InferContext, OpDef, Shape } from './types.js';
import { tensor } from '../tensor/tensor.js';

export const SdpaAttrs = z.strictObject({
  qNumHeads: z.number().int().min(0).default(0).describe('Hq for 3-D inputs (B, S, Hq·D); with 4-D inputs 0 or their head count (ONNX q_num_heads)'),
  kvNumHeads: z.number().int().min(0).default(0).describe('Hkv for 3-D inputs (ONNX kv_num_heads)'),
  isCausal: z.boolean().default(false),
  boolMask: z.boolean().default(false).describe('the mask input (4th) is boolean, true where a key is attended (ONNX bool attn_mask); else it is added to the scores'),
  padMask: z.boolean().default(false).describe('a mask’s last dim shorter than Sk, 1 included, hides the keys past it (ONNX attn_mask, padded with −∞); else a last dim of 1 broadcasts over the keys (PyTorch)'),
  scale: z.number().positive().optional().describe('the scores’ factor (default 1/√D)'),
});
type SdpaAttrs = z.infer<typeof SdpaAttrs>;

export interface SdpaPlan {
  b: number;
  hq: number;
  hkv: number;
  sq: number;
  sk: number;
  d: number;
  dv: number;
  /** 3-D inputs: (B, S, H·D) in memory; else (B, H, S, D). */
  packed: boolean;
  scale: number;
  /** The mask's strides over (B, Hq, Sq, key) (0 where it broadcasts) and its key length (≤ Sk: the keys past it masked), or null without a mask. */
  mask: { strides: [number, number, number, number]; keys: number } | null;
}

/** 6 element-wise FLOPs a score: × scale, then softmax's max, subtract, exp, sum, divide. */
const PER_SCORE = 6;

function sdpaPlan(ctx: InferContext<SdpaAttrs>): SdpaPlan {
  const [q, k, v] = ctx.inputs;
  const a = ctx.attrs;
  const mismatch = (what: string): never => ctx.fail('SHAPE_MISMATCH', `${what} (q ${fmtShape(q)}, k ${fmtShape(k)}, v ${fmtShape(v)})`, 'inputs', { shapes: { q, k, v } });
  if (q.length !== k.length || q.length !== v.length || (q.length !== 3 && q.length !== 4)) mismatch('q, k and v must be all 4-D (B, H, S, D) or all 3-D (B, S, H·D)');
  let b: number, hq: number, hkv: number, sq: number, sk: number, d: number, dv: number;
  const packed = q.length === 3;
  if (packed) {
    if (a.qNumHeads === 0 || a.kvNumHeads === 0) ctx.fail('INVALID_ATTRIBUTE', `3-D inputs need qNumHeads and kvNumHeads (ONNX q_num_heads, kv_num_heads) to split their last dims into heads`, a.qNumHeads === 0 ? 'qNumHeads' : 'kvNumHeads');
    [hq, hkv] = [a.qNumHeads, a.kvNumHeads];
    if (q[2] % hq !== 0 || k[2] % hkv !== 0 || v[2] % hkv !== 0) mismatch(`qNumHeads=${hq} and kvNumHeads=${hkv} must divide q's, k's and v's last dims`);
    [b, sq, d] = [q[0], q[1], q[2] / hq];
    [sk, dv] = [k[1], v[2] / hkv];
    if (k[2] / hkv !== d) mismatch(`k's head size ${k[2] / hkv} must be q's ${d}`);
    if (k[0] !== b || v[0] !== b || v[1] !== sk) mismatch('k and v must share q’s batch and their sequence length');
  } else {
    [b, hq, sq, d] = q;
    [hkv, sk] = [k[1], k[2]];
    // 4-D inputs carry their heads; head counts given beside them must agree (onnxruntime refuses the node otherwise)
    if (a.qNumHeads !== 0 && a.qNumHeads !== hq) ctx.fail('INVALID_ATTRIBUTE', `qNumHeads=${a.qNumHeads} but the 4-D q ${fmtShape(q)} has ${hq} heads`, 'qNumHeads', { shapes: { q, k, v } });
    if (a.kvNumHeads !== 0 && a.kvNumHeads !== hkv) ctx.fail('INVALID_ATTRIBUTE', `kvNumHeads=${a.kvNumHeads} but the 4-D k ${fmtShape(k)} has ${hkv} heads`, 'kvNumHeads', { shapes: { q, k, v } });
    dv = v[3];
    if (k[0] !== b || v[0] !== b || k[3] !== d || v[1] !== hkv || v[2] !== sk) mismatch('k must be (B, Hkv, Sk, D) and v (B, Hkv, Sk, Dv) for q (B, Hq, Sq, D)');
  }
  if (hq % hkv !== 0) mismatch(`the key/value heads (${hkv}) must divide the query heads (${hq})`);
  return { b, hq, hkv, sq, sk, d, dv, packed, scale: a.scale ?? 1 / Math.sqrt(d), mask: maskPlan(ctx, [b, hq, sq, sk]) };
}

/**
 * The mask (input 3), broadcast right-aligned to (B, Hq, Sq, keys) with keys ≤ Sk (ONNX: a shorter
 * last dim is padded with −∞: the keys past it are not attended), as strides; null without one.
 */
function maskPlan(ctx: InferContext<SdpaAttrs>, full: [number, number, number, number]): SdpaPlan['mask'] {
  const m = ctx.inputs[3];
  // with no mask, boolMask would read every key's as false: all hidden, zeros
  if (m === undefined && ctx.attrs.boolMask) ctx.fail('INVALID_ATTRIBUTE', 'boolMask says the mask (input 3) is boolean, but there is no mask: give one, or leave boolMask out', 'boolMask');
  if (m === undefined) return null;
  const padded = [...new Array<number>(Math.max(0, 4 - m.length)).fill(1), ...m];
  // a last dim of 1 broadcasts over the keys (NumPy's rule, PyTorch's) unless padMask (ONNX's: onnx/reference pads any shorter one); a longer one shorter than Sk is padded
  const keys = padded[3] === 1 && !ctx.attrs.padMask ? full[3] : padded[3];
  const fits = m.length <= 4 && padded.slice(0, 3).every((n, i) => n === 1 || n === full[i]) && keys >= 1 && keys <= full[3];
  if (!fits) ctx.fail('SHAPE_MISMATCH', `the mask ${fmtShape(m)} does not broadcast to (B, Hq, Sq, ≤ Sk) = ${fmtShape(full)}`, ['inputs', 3], { shapes: { mask: m } });
  const strides: [number, number, number, number] = [0, 0, 0, padded[3] === 1 ? 0 : 1];
  let step = padded[3];
  for (let i = 2; i >= 0; i--) {
    strides[i] = padded[i] === 1 ? 0 : step;
    step *= padded[i];
  }
  return { strides, keys };
}

/** MAX_RUN_WORK's units a score takes (its D + Dv MACs in a JavaScript loop, and its softmax): 15 a MAC, as a pooling loop's tap, + 60. */
const runWorkOf = (p: SdpaPlan) => p.b * p.hq * p.sq * p.sk * (15 * (p.d + p.dv) + 60);

export const scaledDotProductAttention: OpDef<SdpaAttrs, SdpaPlan> = {
  name: 'scaledDotProductAttention',
  summary: 'softmax(scale·q·kᵀ (+ causal mask))·v per head of given q, k, v, grouped-query heads allowed (F.scaled_dot_product_attention, ONNX Attention)',
  pytorch: 'torch.nn.functional.scaled_dot_product_attention',
  inputNames: ['q', 'k', 'v', 'mask'],
  minInputs: 3,
  attrs: SdpaAttrs,
  infer(ctx) {
    const p = sdpaPlan(ctx);
    const scores = p.b * p.hq * p.sq * p.sk;
    const out: Shape = p.packed ? [p.b, p.sq, p.hq * p.dv] : [p.b, p.hq, p.sq, p.dv];
    const macs = scores * (p.d + p.dv);
    const exact = scores * (2 * p.d - 1) + p.b * p.hq * p.sq * p.dv * (2 * p.sk - 1);
    return { outputs: [out], weights: [], cost: { ...ZERO_COST, macs, exactMacOps: exact, elementwise: (PER_SCORE + (p.mask ? 1 : 0)) * scores }, runWork: runWorkOf(p), plan: p };
  },
  // q's field made global, or (constant queries: DETR's learned ones) the keys', values' or mask's
  receptiveField(ctx) {
    const i = ctx.rf.findIndex((rf) => rf);
    return i < 0 ? null : globalOver(ctx.rf[i], ctx.inputs[i]);
  },
  run(ctx) {
    const [q, k, v] = ctx.inputs.map((t) => t.data);
    const p = ctx.plan;
    const out = new Float32Array(p.b * p.hq * p.sq * p.dv);
    eachRow(p, ctx.attrs, q, k, ctx.inputs[3]?.data, (bi, h, kvh, i, probs, seen) => {
      const yo = at(p, bi, h, i, p.hq, p.sq, p.dv);
      for (let c = 0; c < p.dv; c++) {
        let acc = 0;
        for (let j = 0; j < seen; j++) acc += probs[j] * v[at(p, bi, kvh, j, p.hkv, p.sk, p.dv) + c];
        out[yo + c] = acc;
      }
    });
    return [tensor(p.packed ? [p.b, p.sq, p.hq * p.dv] : [p.b, p.hq, p.sq, p.dv], out)];
  },
  // with P = softmax(S), S = scale·q·kᵀ: ∂v = Pᵀ·∂y, ∂P = ∂y·vᵀ, ∂S = P ⊙ (∂P − rowsum(P ⊙ ∂P)), ∂q = scale·∂S·k, ∂k = scale·∂Sᵀ·q (summed over a key/value head's query heads)
  vjp(ctx) {
    const [q, k, v] = ctx.inputs.slice(0, 3).map((t) => t.data);
    const p = ctx.plan;
    const gy = ctx.gradOutputs[0]?.data;
    const [dq, dk, dv] = [new Float32Array(q.length), new Float64Array(k.length), new Float64Array(v.length)];
    if (gy) {
      const dP = new Float64Array(p.sk);
      eachRow(p, ctx.attrs, q, k, ctx.inputs[3]?.data, (bi, h, kvh, i, probs, seen) => {
        const yo = at(p, bi, h, i, p.hq, p.sq, p.dv);
        const qo = at(p, bi, h, i, p.hq, p.sq, p.d);
        let dot = 0;
        for (let j = 0; j < seen; j++) {
          const vo = at(p, bi, kvh, j, p.hkv, p.sk, p.dv);
          let s = 0;
          for (let c = 0; c < p.dv; c++) {
            s += gy[yo + c] * v[vo + c];
            dv[vo + c] += probs[j] * gy[yo + c];
          }
          dP[j] = s;
          dot += probs[j] * s;
        }
        for (let j = 0; j < seen; j++) {
          const dS = probs[j] * (dP[j] - dot) * p.scale;
          const ko = at(p, bi, kvh, j, p.hkv, p.sk, p.d);
          for (let c = 0; c < p.d; c++) {
            dq[qo + c] += dS * k[ko + c];
            dk[ko + c] += dS * q[qo + c];
          }
        }
      });
    }
    const shapes = ctx.inputs.slice(0, 3).map((t) => t.shape);
    return [tensor(shapes[0], dq), tensor(shapes[1], Float32Array.from(dk)), tensor(shapes[2], Float32Array.from(dv)), ...(p.mask ? [null] : [])];
  },
};

/** The offset of element (batch, head, s, 0) of a tensor of `heads` heads, `n` positions and head size `w`. */
function at(p: SdpaPlan, bi: number, h: number, s: number, heads: number, n: number, w: number): number {
  return p.packed ? (bi * n + s) * heads * w + h * w : ((bi * heads + h) * n + s) * w;
}

/**
 * Each query row's attention weights: softmax(scale·q·kᵀ + mask) over the keys it sees (the first
 * `seen`: all, i + 1 when causal, at most the mask's keys; a key the boolean mask hides or a −∞ one
 * weighs 0; a row that sees none is a row of zeros, ONNX's errata), in float64, handed to `row`.
 */
function eachRow(p: SdpaPlan, attrs: { isCausal: boolean; boolMask: boolean }, q: Float32Array, k: Float32Array, mask: Float32Array | undefined, row: (bi: number, h: number, kvh: number, i: number, probs: Float64Array, seen: number) => void): void {
  const group = p.hq / p.hkv;
  const probs = new Float64Array(p.sk);
  for (let bi = 0; bi < p.b; bi++) {
    for (let h = 0; h < p.hq; h++) {
      const kvh = Math.floor(h / group);
      for (let i = 0; i < p.sq; i++) {
        const qo = at(p, bi, h, i, p.hq, p.sq, p.d);
        const seen = Math.min(attrs.isCausal ? i + 1 : p.sk, p.mask ? p.mask.keys : p.sk);
        const mo = p.mask ? bi * p.mask.strides[0] + h * p.mask.strides[1] + i * p.mask.strides[2] : 0;
        let max = -Infinity;
        for (let j = 0; j < seen; j++) {
          const ko = at(p, bi, kvh, j, p.hkv, p.sk, p.d);
          let dot = 0;
          for (let c = 0; c < p.d; c++) dot += q[qo + c] * k[ko + c];
          const m = mask && p.mask ? mask[mo + j * p.mask.strides[3]] : 0;
          probs[j] = attrs.boolMask ? (m !== 0 ? dot * p.scale : -Infinity) : dot * p.scale + m;
          if (probs[j] > max) max = probs[j];
        }
        let sum = 0;
        for (let j = 0; j < seen; j++) sum += probs[j] = max === -Infinity ? 0 : Math.exp(probs[j] - max);
        for (let j = 0; j < seen; j++) probs[j] = sum > 0 ? probs[j] / sum : 0;
        row(bi, h, kvh, i, probs, seen);
      }
    }
  }
}
