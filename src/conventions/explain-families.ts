/**
 * Formulas of the operator families issue 10 added, for explain.ts: attention, einsum, the
 * learned tensors, layer/group/instance norm, the transformer activations, reductions,
 * element-wise math and logic, sequences, scatter, nonZero, topK, gridSample, the quantized ops
 * and the detection ops. Each restates its op file's header (src/ops/attention.ts, einsum.ts,
 * learned.ts, norm-group.ts, activation-more.ts, softmax.ts, reduction.ts, math.ts, logic.ts,
 * pointwise.ts, sequence.ts, scatter.ts, select.ts, topk.ts, grid-sample.ts, quant.ts,
 * quant-linear.ts, detection.ts); explain.ts evaluates it and compares it with the report.
 * An op is told apart inside its family by the identity of its OpDef, as families.ts does.
 */
import type { AttentionPlan } from '../ops/attention.js';
import { shiftedWindowAttention } from '../ops/window-attention.js';
import type { WindowPlan } from '../ops/window-attention.js';
import { CPB_HIDDEN } from '../ops/window-attention-v2.js';
import { multiscaleAttentionParts } from './multiscale-attention.js';
import { spatioTemporalPositionEncoding } from '../ops/spatiotemporal-position.js';
import type { EinsumPlan } from '../ops/einsum.js';
import type { NormPlan } from '../ops/norm-group.js';
import { dequantizeLinear, dynamicQuantizeLinear, quantizeLinear } from '../ops/quant.js';
import { qlinearConv, qlinearMatMul } from '../ops/quant-linear.js';
import { qlinearConcat, qlinearGlobalAvgPool } from '../ops/quant-extra.js';
import { reduceL2 } from '../ops/reduction.js';
import { resize } from '../ops/resize.js';
import { filterWidth } from '../ops/upsample-plan.js';
import type { ResamplePlan } from '../ops/upsample-plan.js';
import { numel } from '../ops/types.js';
import type { OpDef } from '../ops/types.js';
import { coveredPositions } from '../ops/conv-transpose.js';
import { windowLengthSum } from '../ops/adaptive-windows.js';
import { L, V, ZERO, add, dims, evaluate, mul, sub } from './explain-expr.js';
import type { Expr, Parts } from './explain-expr.js';
import { poolAxes } from './families.js';
import type { Family, LayerFacts } from './types.js';

/** FLOPs per element of the one-op families whose rate does not depend on attributes (activation-more.ts, softmax.ts, learned.ts). */
export const PER_ELEMENT_MORE: Partial<Record<Family, number>> = {
  tanh: 1,
  erf: 1,
  mish: 5,
  elu: 4,
  selu: 5,
  celu: 5,
  softplus: 5,
  softsign: 3,
  hardTanh: 2,
  prelu: 2,
  logSoftmax: 5,
  layerScale: 1,
  mathUnary: 1,
  cumSum: 1,
};

/** quant.ts: quantize 5 (divide, round, add zero point, two clamps), dequantize 2, dynamic quantize 7, per element. */
const QUANTIZE_RATE = new Map<OpDef, number>([
  [quantizeLinear, 5],
  [dequantizeLinear, 2],
  [dynamicQuantizeLinear, 7],
]);
/** quant-linear.ts: requantizing an output is 5 FLOPs (scale, round, zero point, two clamps); ConvInteger and MatMulInteger keep int32. */
const REQUANTIZE = 5;
const REQUANTIZES = new Set<OpDef>([qlinearConv, qlinearMatMul]);

const trainableParams = (f: LayerFacts): Expr => {
  const w = f.weights.filter((x) => x.trainable).map((x) => dims(x.name, x.shape));
  return w.length ? add(...w) : ZERO;
};
const only = (elementwise: Expr, f: LayerFacts): Parts => ({ macs: ZERO, exact: ZERO, bias: ZERO, elementwise, params: trainableParams(f) });

/** The S·T tokens of N samples, the batch apart: N·T (a sequence a sample) or N·windows·T (windowed: Swin's, even one window a sample). */
const tokensOf = (n: number, s: number, t: number, windowed: boolean): Expr =>
  !windowed && s === n ? V('tokens N·T', n, t) : s % n === 0 ? V('tokens N·windows·T', n, s / n, t) : V('tokens', s * t);

/**
 * attention.ts: S sequences of T tokens, C channels, h heads of d = C/h. window-attention.ts (Swin):
 * the same over the padded map, its qkv and proj biases apart, and 1 element-wise op per score for
 * the relative-position bias (+ 1 for the shift mask).
 */
function attentionParts(f: LayerFacts): Parts {
  const p = f.plan as AttentionPlan & Partial<WindowPlan>;
  const { c, heads: h, t, s } = p;
  const d = c / h;
  const tokens = tokensOf(p.n, s, t, f.op === shiftedWindowAttention);
  const scores = V('S·h·T²', s, h, t, t);
  const has = (role: string) => f.weights.some((w) => w.name === role);
  const swin = f.op === shiftedWindowAttention;
  const biasTerms = swin ? [...(has('qkvBias') ? [mul(tokens, V('3C', 3 * c))] : []), ...(has('projBias') ? [mul(tokens, V('C', c))] : [])] : has('inProjBias') ? [mul(tokens, V('4C', 4 * c))] : [];
  const scoreTerms = swin ? [p.masked ? mul(V('bias + mask per score', 2), scores) : mul(V('bias per score', 1), scores)] : [];
  return {
    macs: mul(tokens, add(mul(L(4), V('C²', c, c)), mul(L(2), V('T', t), V('C', c)))),
    exact: add(
      mul(tokens, V('3C', 3 * c), sub(mul(L(2), V('C', c)), L(1))),
      mul(scores, sub(mul(L(2), V('d', d)), L(1))),
      mul(V('S·h·T·d', s, h, t, d), sub(mul(L(2), V('T', t)), L(1))),
      mul(tokens, V('C', c), sub(mul(L(2), V('C', c)), L(1))),
    ),
    bias: biasTerms.length ? add(...biasTerms) : ZERO,
    elementwise: add(mul(tokens, V('C (q scaled)', c)), mul(V('softmax per score', 5), scores), ...scoreTerms),
    params: trainableParams(f),
  };
}

/**
 * resize.ts (as upsample.ts's flopsPerOutput): nearest a copy; else k taps per output over the plan's
 * axes (filterWidth each: 2 linear, 4 cubic, wider with antialias below scale 1), k multiplies and
 * k − 1 adds. A 3-D or 5-D Resize (family resampleNd) and any other (resample) alike.
 */
export function resizeElementwise(f: LayerFacts): Expr {
  const p = f.plan as ResamplePlan;
  if (p.mode === 'nearest' || p.dims.length === 0) return ZERO;
  const taps = p.dims.map((_, k) => filterWidth(p, k));
  return mul(sub(mul(L(2), V(`${p.mode} taps`, ...taps)), L(1)), dims('outputs', f.outputs[0]));
}

const kernels = (f: LayerFacts): number[] => (f.geometry ?? []).map((a) => a.kernel);

/** Σ over outputs of adaptive-pool window lengths along an axis: [⌊j·I/O⌋, ⌈(j+1)·I/O⌉) (adaptive-windows.ts). */
const adaptiveWindowSum = (i: number, o: number): number => windowLengthSum({ in: i, out: o });
/** The axes before an adaptive pool's pooled ones: N·C, or C of an unbatched [C, …spatial] sample (families.ts poolAxes). */
export const poolLeading = (f: LayerFacts): Expr => {
  const { leading, unbatched } = poolAxes(f);
  return V(unbatched ? 'C' : 'N·C', ...leading);
};
/** Σ over outputs of the window lengths along each pooled axis (the output's last axes as many). */
const adaptiveWindows = (f: LayerFacts): Expr => {
  const { pooled } = poolAxes(f);
  const y = f.outputs[0].slice(f.outputs[0].length - pooled.length);
  return V('Σ windows per axis', ...pooled.map((len, a) => adaptiveWindowSum(len, y[a])));
};

/** conv-nd.ts: N·Cout·ΠO·(Cin/g)·ΠK over 1 or 3 spatial axes. */
function convNdParts(f: LayerFacts): Parts {
  const x = f.inputs[0];
  const y = f.outputs[0];
  const g = (f.attrs.groups as number) ?? 1;
  const out = [V('N', y[0]), V('Cout', y[1]), V('ΠO', ...y.slice(2))];
  const per = [V('Cin/g', x[1] / g), V('ΠK', ...kernels(f))];
  const bias = f.weights.some((w) => w.name === 'bias' && w.trainable);
  return {
    macs: mul(...out, ...per),
    exact: mul(sub(mul(L(2), ...per), L(1)), ...out),
    bias: bias ? mul(...out) : ZERO,
    elementwise: ZERO,
    params: add(mul(V('Cout', y[1]), ...per), ...(bias ? [V('bias Cout', y[1])] : [])),
  };
}

/** conv-transpose-nd.ts: N·Cin·ΠI·(Cout/g)·ΠK over input positions; exact 2·MACs − the outputs some tap reaches. */
function convTransposeNdParts(f: LayerFacts): Parts {
  const x = f.inputs[0];
  const y = f.outputs[0];
  const g = (f.attrs.groups as number) ?? 1;
  const per = [V('Cout/g', y[1] / g), V('ΠK', ...kernels(f))];
  const macs = mul(V('N', x[0]), V('Cin', x[1]), V('ΠI', ...x.slice(2)), ...per);
  const reached = V('outputs reached N·Cout·Π covered', y[0], y[1], ...(f.geometry ?? []).map(coveredPositions));
  const bias = f.weights.some((w) => w.name === 'bias' && w.trainable);
  return {
    macs,
    exact: sub(mul(L(2), V('MACs', evaluate(macs))), reached),
    bias: bias ? mul(V('N', y[0]), V('Cout', y[1]), V('ΠO', ...y.slice(2))) : ZERO,
    elementwise: ZERO,
    params: add(mul(V('Cin', x[1]), ...per), ...(bias ? [V('bias Cout', y[1])] : [])),
  };
}

/** einsum.ts: L = ∏ of every label's size; a contraction of k ≥ 2 operands is (k − 1)·L MACs. */
function einsumParts(f: LayerFacts): Parts {
  const { sizes, labels, outRank } = f.plan as EinsumPlan;
  const all = V(`L (${String(f.attrs.equation)})`, ...sizes);
  const ops = f.inputs.length;
  const y = numel(f.outputs[0]);
  if (ops >= 2 && labels.length > outRank) {
    const macs = mul(V('operands − 1', ops - 1), all);
    const summed = V('summed labels', ...sizes.slice(outRank));
    const exact = y === 0 ? ZERO : mul(sub(mul(L(2), V('operands − 1', ops - 1), summed), L(1)), dims('outputs', f.outputs[0]));
    return { macs, exact, bias: ZERO, elementwise: ZERO, params: ZERO };
  }
  return only(ops >= 2 ? mul(V('operands − 1', ops - 1), all) : sub(all, dims('outputs', f.outputs[0])), f);
}

/**
 * window-attention-v2.ts (Swin V2): v1's products over the padded windows, plus the continuous
 * position bias's MLP, Linear(2, 512) → ReLU → Linear(512, h) over the R = (2wh − 1)(2ww − 1)
 * offsets once per forward; element-wise the cosine attention's normalisations of q and k (a square,
 * a sum and a divide per element, a sqrt and a clamp per head vector), the logit scale, the bias, the
 * softmax's 5 and the mask per score, the scale's clamp and exp per head, the ReLU, and the
 * sigmoid's 4 and the ×16 per MLP output.
 */
function windowAttentionV2Parts(f: LayerFacts): Parts {
  const p = f.plan as WindowPlan;
  const { c, heads: h, t, s, win } = p;
  const d = c / h;
  const tokens = tokensOf(p.n, s, t, true);
  const scores = V('S·h·T²', s, h, t, t);
  const R = V('R', 2 * win[0] - 1, 2 * win[1] - 1);
  const hidden = V('hidden', CPB_HIDDEN);
  const has = (role: string) => f.weights.some((w) => w.name === role);
  const bias = [...(has('qkvBias') ? [mul(tokens, V('3C', 3 * c))] : []), ...(has('projBias') ? [mul(tokens, V('C', c))] : []), mul(R, V('b₀', CPB_HIDDEN))];
  return {
    macs: add(mul(tokens, add(mul(L(4), V('C²', c, c)), mul(L(2), V('T', t), V('C', c)))), mul(R, hidden, add(V('in', 2), V('h', h)))),
    exact: add(
      mul(tokens, V('3C', 3 * c), sub(mul(L(2), V('C', c)), L(1))),
      mul(scores, sub(mul(L(2), V('d', d)), L(1))),
      mul(V('S·h·T·d', s, h, t, d), sub(mul(L(2), V('T', t)), L(1))),
      mul(tokens, V('C', c), sub(mul(L(2), V('C', c)), L(1))),
      mul(R, hidden, sub(mul(L(2), V('in', 2)), L(1))),
      mul(R, V('h', h), sub(mul(L(2), hidden), L(1))),
    ),
    bias: add(...bias),
    elementwise: add(
      mul(L(2), tokens, add(V('3C (q, k normalised)', 3 * c), mul(L(2), V('h', h)))),
      mul(V(p.masked ? 'per score (scale, bias, softmax 5, mask)' : 'per score (scale, bias, softmax 5)', p.masked ? 8 : 7), scores),
      mul(L(2), V('h (clamp, exp)', h)),
      mul(R, hidden),
      mul(V('sigmoid 4, ×16', 5), R, V('h', h)),
    ),
    params: trainableParams(f),
  };
}

/** norm-group.ts: 5 per element + 4 per group + the affine map (1 per γ, 1 per β); running statistics: the affine map only (at least 1). */
function normElementwise(f: LayerFacts): Expr {
  const p = f.plan as NormPlan;
  const x = dims('elements', f.inputs[0]);
  const affineOps = f.weights.filter((w) => w.trainable && (w.name === 'weight' || w.name === 'bias')).length;
  if (p.running) return mul(x, V(affineOps ? 'scale+shift' : 'normalise', Math.max(1, affineOps)));
  const perElement = affineOps ? add(V('statistics', 5), V('affine', affineOps)) : V('statistics', 5);
  return add(mul(x, perElement), mul(V('groups', p.outer * p.inner), V('per group', 4)));
}

/** The new families' formulas, or null for a family explain.ts handles itself. */
export function morePartsOf(f: LayerFacts): Parts | null {
  const x = f.inputs[0];
  const y = f.outputs[0];
  const outs = dims('outputs', y);
  switch (f.family) {
    case 'attention':
      return attentionParts(f);
    case 'windowAttentionV2':
      return windowAttentionV2Parts(f);
    case 'multiscaleAttention':
      return multiscaleAttentionParts(f);
    case 'convNd':
      return convNdParts(f);
    case 'convTransposeNd':
      return convTransposeNdParts(f);
    case 'resampleNd': {
      if (f.op === resize) return only(resizeElementwise(f), f);
      // upsample-nd.ts: nearest a copy; linear 2 mul + 1 add per output; trilinear 8 mul + 7 add
      const rate = f.attrs.mode === 'linear' ? 3 : f.attrs.mode === 'trilinear' ? 15 : 0;
      return only(rate ? mul(V(`${String(f.attrs.mode)} per output`, rate), outs) : ZERO, f);
    }
    case 'maxPoolNd':
      return only(mul(sub(V('ΠK', ...kernels(f)), L(1)), outs), f);
    case 'avgPoolNd':
      return only(mul(V('ΠK', ...kernels(f)), outs), f);
    case 'adaptiveAvgPoolNd':
      return only(mul(poolLeading(f), adaptiveWindows(f)), f);
    case 'adaptiveMaxPool':
      // pool-adaptive-max.ts: (window volume − 1) comparisons per output
      return only(sub(mul(poolLeading(f), adaptiveWindows(f)), outs), f);
    case 'positionEmbedding': {
      // spatiotemporal-position.ts: with its tables, T·H·W·C to sum them, then 1 per output element added
      if (f.op === spatioTemporalPositionEncoding) return only(f.weights.length > 1 ? add(V('T·H·W·C', x[1], x[2]), dims('outputs', y)) : ZERO, f);
      // learned.ts's add, 1 per element; relative-position-bias.ts scales the scores first (1 more) unless its scale is 1
      const scaled = f.attrs.scale !== undefined && f.attrs.scale !== 1;
      return only(mul(V('per element', scaled ? 2 : 1), dims('elements', x)), f);
    }
    case 'einsum':
      return einsumParts(f);
    case 'layerNorm':
    case 'groupNorm':
    case 'instanceNorm':
      return only(normElementwise(f), f);
    case 'rmsNorm': {
      // rms-norm.ts: x², the sum, × 1/rms (and × γ) per element; ÷ M, + ε, 1/√ per row
      const affine = f.weights.some((w) => w.name === 'weight');
      const perElement = affine ? add(V('statistics', 3), V('affine', 1)) : V('statistics', 3);
      return only(add(mul(dims('elements', x), perElement), mul(V('rows', (f.plan as { outer: number }).outer), V('per row', 3))), f);
    }
    case 'rotaryEmbedding': {
      // rotary-embedding.ts: 4 multiplications and 2 additions a rotated pair
      const p = f.plan as { b: number; s: number; h: number; r: number };
      return only(mul(V('rotated values (B·S·H·R)', p.b * p.s * p.h * p.r), V('per value', 3)), f);
    }
    case 'sdpa': {
      // sdpa.ts: q·kᵀ and the weights times v are MACs; 6 element-wise a score (× scale, softmax's 5)
      const p = f.plan as { b: number; hq: number; sq: number; sk: number; d: number; dv: number };
      const scores = V('scores (B·Hq·Sq·Sk)', p.b * p.hq * p.sq * p.sk);
      const outs = V('outputs (B·Hq·Sq·Dv)', p.b * p.hq * p.sq * p.dv);
      return {
        macs: mul(scores, add(V('D', p.d), V('Dv', p.dv))),
        exact: add(mul(scores, sub(mul(L(2), V('D', p.d)), L(1))), mul(outs, sub(mul(L(2), V('Sk', p.sk)), L(1)))),
        bias: ZERO,
        elementwise: mul(scores, V((f.plan as { mask: unknown }).mask ? 'per score (with the mask)' : 'per score', (f.plan as { mask: unknown }).mask ? 7 : 6)),
        params: trainableParams(f),
      };
    }
    case 'localResponseNorm':
      // local-response-norm.ts: x², the window's size − 1 additions and its mean, ×α, + k, ^β, ÷
      return only(mul(add(V('window sum', Number(f.attrs.size) - 1), V('x², mean, ×α, + k, ^β, ÷', 6)), dims('elements', x)), f);
    case 'gelu':
      return only(mul(V(`per element (${f.attrs.approximate === 'tanh' ? 'tanh' : 'erf'})`, f.attrs.approximate === 'tanh' ? 9 : 5), dims('elements', x)), f);
    case 'classToken':
      return only(ZERO, f);
    case 'reduce': {
      const axes = (f.plan as { axes: number[] }).axes;
      if (axes.length === 0) return only(ZERO, f);
      return only(f.op === reduceL2 ? mul(L(2), dims('inputs', x)) : sub(dims('inputs', x), outs), f);
    }
    case 'argReduce':
      return only(sub(dims('inputs', x), outs), f);
    case 'mathBinary':
    case 'logic':
      // pointwise.ts: 1 per output element per operation; a variadic op of k inputs does k − 1
      return only(f.op.variadic ? mul(sub(V('inputs', f.inputs.length), L(1)), outs) : mul(V('per output', 1), outs), f);
    case 'range':
      return only(mul(V('per element', 1), outs), f);
    case 'scatter':
      return only(f.attrs.reduction === 'none' || f.attrs.reduction === undefined ? ZERO : dims('updates', f.inputs[2]), f);
    case 'nonZero':
      return only(mul(V('compare', 1), dims('inputs', x)), f);
    case 'topK': {
      const k = (f.plan as { k: number }).k;
      return only(mul(dims('inputs', x), V('⌈log₂(k + 1)⌉', Math.ceil(Math.log2(k + 1)))), f);
    }
    case 'gridSample':
      return only(f.attrs.mode === 'bilinear' ? mul(V('bilinear per output', 7), outs) : f.attrs.mode === 'bicubic' ? mul(V('bicubic per output', 31), outs) : ZERO, f);
    case 'quantize':
      return only(mul(V('per element', QUANTIZE_RATE.get(f.op) ?? 0), dims('elements', x)), f);
    case 'quantArithmetic':
      // quant-extra.ts: the pooling adds each input once and requantizes each output (5); concat requantizes (5)
      if (f.op === qlinearGlobalAvgPool) return only(add(dims('inputs', x), mul(V('requantize', REQUANTIZE), outs)), f);
      if (f.op === qlinearConcat) return only(mul(V('requantize', REQUANTIZE), outs), f);
      return only(mul(V('dequantize ×2, op, quantize', 10), outs), f);
    case 'quantConv':
    case 'quantMatmul': {
      // the integer MACs are intMacs, apart from the float MACs (0)
      const bias = f.weights.some((w) => w.name === 'bias') ? outs : ZERO;
      return { macs: ZERO, exact: ZERO, bias, elementwise: REQUANTIZES.has(f.op) ? mul(V('requantize', REQUANTIZE), outs) : ZERO, params: trainableParams(f) };
    }
    case 'nms': {
      const { b, c, n } = f.plan as { b: number; c: number; n: number };
      const perRun = add(V('threshold', n), mul(V('N', n), V('⌈log₂N⌉', Math.ceil(Math.log2(Math.max(n, 1))))), mul(L(3), V('N', n)), mul(V('IoU', 13), V('N(N − 1)/2', (n * (n - 1)) / 2)));
      return only(mul(V('batches·classes', b, c), perRun), f);
    }
    case 'roiAlign': {
      const a = f.attrs as { samplingRatio: number; outputHeight: number; outputWidth: number; mode: string };
      const grid = a.samplingRatio > 0 ? a.samplingRatio ** 2 : Math.ceil(x[2] / a.outputHeight) * Math.ceil(x[3] / a.outputWidth);
      const perOutput = add(mul(V('samples', grid), V('bilinear + pool', 8)), ...(a.mode === 'avg' ? [V('divide', 1)] : []));
      return only(mul(outs, perOutput), f);
    }
    default: {
      const rate = PER_ELEMENT_MORE[f.family];
      return rate === undefined ? null : only(mul(V('per element', rate), dims('elements', x)), f);
    }
  }
}
