/**
 * Element-wise activations and dropout (softmax: softmax.ts; gelu, tanh, elu …: activation-more.ts). Output shape = input shape; receptive field
 * passes through. FLOPs per element (each op's flopsPerElement, counted as the obvious
 * implementation does):
 *   relu 1 (compare)          relu6 2 (two clamps)         leakyRelu 2 (compare, multiply)
 *   sigmoid 4 (neg, exp, add, divide)                      swish / silu 5 (sigmoid, multiply)
 *   hardSigmoid 4 (add, two clamps, scale)                 hardSwish 5 (hardSigmoid, multiply)
 *   dropout 0 at inference
 *   clip 1 per bound           sigmoidLut 3 (clamp, scale, index)
 * hardSigmoid has two named forms: "pytorch" ReLU6(x + 3)/6 (MobileNetV3) and "notes"
 * max(0, min(1, (x + 1)/2)). Leaky ReLU's slope defaults to PyTorch's 0.01 (the notes use 0.1).
 * VJPs (∂L/∂x for ∂L/∂y = g): g·f′(x) element by element, with the derivative PyTorch's autograd
 * takes at each kink (stated at each op); sigmoidLut's is the
 * exact sigmoid's (a table has no useful derivative); dropout's is g at inference, g·mask/(1 − p)
 * in training.
 */
import { z } from 'zod';
import { elementwise, mapTensor } from './activation-kit.js';
import type { OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { rng } from '../tensor/random.js';
import { clampSimd, reluSimd } from './clamp-simd.js';

/**
 * MAX_RUN_WORK units a run of relu takes an element (Inferred.runWork), and of the clamps (relu6,
 * clip: clamp-simd.ts's loop, a bound more): memory-bound loops whose FLOPs said 1–2.
 */
export const RELU_RATE = 15;
export const CLAMP_RATE = 20;
/**
 * … and of leakyRelu's loop (its factor picked by the compare, no branch): 2.8 ns an element of
 * [1, 256, 56, 56], 8.3 of [2048, 2048] (bench/op-rates.ts, 2026-12-06, 2 vCPU AMD EPYC, load
 * 12–13; the branching loop ran 8.3 and 73 there, and was rated 100).
 */
export const LEAKY_RELU_RATE = 30;

/** PyTorch's nn.LeakyReLU default slope (the notes use 0.1). */
export const LEAKY_RELU_SLOPE = 0.01;
/** ONNX HardSigmoid's defaults: max(0, min(1, 0.2·x + 0.5)). */
const ONNX_HARD_SIGMOID = { alpha: 0.2, beta: 0.5 };
/** (alpha, beta) of the named hardSigmoid forms: the notes' (x + 1)/2, PyTorch's (x + 3)/6. */
const HARD_SIGMOID_NOTES: [number, number] = [0.5, 0.5];
const HARD_SIGMOID_PYTORCH: [number, number] = [1 / 6, 0.5];

const sigmoidOf = (x: number) => 1 / (1 + Math.exp(-x));
const relu6Of = (x: number) => Math.min(Math.max(x, 0), 6);
/**
 * PyTorch's hardswish in float32: x + 3 and x·relu6(x + 3) each rounded before the division (a float64
 * product never overflows, 3.4e38 gave 3.4e38 for torch's inf, and 1 input in 5 came out 1 ulp off).
 * t NaN only when x is: the product is NaN whatever the clamp gives. 5–15% slower than the float64 loop.
 */
const hardSwishOf = (x: number) => {
  const t = Math.fround(x + 3);
  return Math.fround(x * (t > 6 ? 6 : t > 0 ? t : 0)) / 6;
};

const none = z.strictObject({});

/** d sigmoid/dx = s·(1 − s), from the exact sigmoid of x. */
const sigmoidGrad = (x: number) => {
  const s = sigmoidOf(x);
  return s * (1 - s);
};
/** clamp(x, lo, hi)' = 1 on the closed interval [lo, hi], 0 outside (torch.clamp's backward counts the bounds inside). */
const clampGrad = (lo: number, hi: number) => (x: number) => (x >= lo && x <= hi ? 1 : 0);

export const relu = elementwise({
  name: 'relu',
  summary: 'max(0, x)',
  pytorch: 'torch.nn.ReLU',
  attrs: none,
  foldsConstantOperands: true, // a learned tensor rectified (EfficientDet's BiFPN fusion weights, relu(w) / (Σ relu(w) + ε)) is read by Relu alone
  flopsPerElement: 1,
  // NaN stays NaN (PyTorch's relu is clamp_min, which keeps it), −0 gives +0
  fn: () => (x) => (x > 0 || x !== x ? x : 0),
  // the same compares as a lane mask, four at a time: the JS loop's branch mispredicts on activations of random sign (ops/clamp-simd.ts)
  kernel: () => (x, out) => reluSimd(x, out),
  // a run: 0.6–4.9 ns an element in bench/op-rates.ts ([1, 256, 56, 56] and [2048, 2048]), 2.7–20 in chains on [2048, 2048] (2026-12-05,
  // 2 vCPU AMD EPYC, load 7–15): a tensor past the cache but under FRESH_TENSOR_ELEMENTS was 2 units
  // an element, so 11,900 of them (an estimate of 10^11) would have run 40–240 s; units of about 0.3 ns
  runRate: RELU_RATE,
  // relu'(0) = 0, as PyTorch's threshold_backward
  grad: () => (x) => (x > 0 ? 1 : 0),
  gradKernel: () => (x, _y, g, out) => {
    for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? g[i] : 0;
  },
});
export const relu6 = elementwise({
  name: 'relu6',
  summary: 'min(max(0, x), 6)',
  pytorch: 'torch.nn.ReLU6',
  attrs: none,
  flopsPerElement: 2,
  fn: () => relu6Of,
  // relu6Of's answers (−0 → 0, NaN stays) four lanes at a time: the JS loop's branches mispredict (ops/clamp-simd.ts)
  kernel: () => (x, out) => clampSimd(x, out, 0, 6),
  // a run: 3.4–6.1 ns an element of [2048, 2048] (bench/op-rates.ts, load 11–14), as clip's loop
  runRate: CLAMP_RATE,
  // PyTorch's relu6 is hardtanh(0, 6): gradient 1 on the open interval (0, 6), 0 at both kinks
  grad: () => (x) => (x > 0 && x < 6 ? 1 : 0),
  gradKernel: () => (x, _y, g, out) => {
    for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 && x[i] < 6 ? g[i] : 0;
  },
});
export const LeakyReluAttrs = z.strictObject({ negativeSlope: z.number().default(LEAKY_RELU_SLOPE) });
export const leakyRelu = elementwise({
  name: 'leakyRelu',
  summary: 'x if x > 0 else negativeSlope·x',
  pytorch: 'torch.nn.LeakyReLU',
  attrs: LeakyReluAttrs,
  flopsPerElement: 2,
  fn: (a) => (x) => (x > 0 ? x : a.negativeSlope * x),
  runRate: LEAKY_RELU_RATE,
  // v·1 or v·slope picked by the compare as an index, no branch: v > 0 ? v : s·v mispredicted on values of random sign
  // (17–37 ns an element of 2^20, against 1.5–2.2 this way; v·1 is v, and NaN, ±0 and the rest take s·v as before)
  kernel: (a) => (x, out) => {
    const factor = Float64Array.of(a.negativeSlope, 1);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = v * factor[+(v > 0)];
    }
  },
  // the slope at 0, as PyTorch's leaky_relu_backward
  grad: (a) => (x) => (x > 0 ? 1 : a.negativeSlope),
  gradKernel: (a) => (x, _y, g, out) => {
    const s = a.negativeSlope;
    for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? g[i] : g[i] * s;
  },
});
export const sigmoid = elementwise({
  name: 'sigmoid',
  summary: '1 / (1 + exp(−x))',
  pytorch: 'torch.nn.Sigmoid',
  attrs: none,
  foldsConstantOperands: true, // a learned gate (x + sigmoid(g)·f(x)) is read by Sigmoid alone
  flopsPerElement: 4,
  // a run: its loop through Math.exp, 11.5–17.9 ns an element of [1, 256, 56, 56] (bench/op-rates.ts,
  // 2026-12-05, 2 vCPU AMD EPYC, load 9–12), in units of about 0.3 ns (pool.ts)
  runRate: 60,
  fn: () => sigmoidOf,
  kernel: () => (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
  },
  // from the output, as PyTorch's sigmoid_backward: y·(1 − y)
  grad: () => (_x, y) => y * (1 - y),
  gradKernel: () => (_x, y, g, out) => {
    for (let i = 0; i < y.length; i++) out[i] = g[i] * (y[i] * (1 - y[i]));
  },
});
export const swish = elementwise({
  name: 'swish',
  summary: 'x·sigmoid(x) (SiLU)',
  pytorch: 'torch.nn.SiLU',
  attrs: none,
  flopsPerElement: 5,
  // a run: 12.7–16.9 ns an element (as sigmoid's, bench/op-rates.ts, 2026-12-05, load 9–12), in units of about 0.3 ns (pool.ts)
  runRate: 60,
  fn: () => (x) => x * sigmoidOf(x),
  kernel: () => (x, out) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = v * (1 / (1 + Math.exp(-v)));
    }
  },
  // (x·s)' = s·(1 + x·(1 − s)), PyTorch's silu_backward
  grad: () => (x) => {
    const s = sigmoidOf(x);
    return s * (1 + x * (1 - s));
  },
  gradKernel: () => (x, _y, g, out) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const s = 1 / (1 + Math.exp(-v));
      out[i] = g[i] * (s * (1 + v * (1 - s)));
    }
  },
});
export const HardSigmoidAttrs = z.strictObject({
  variant: z
    .enum(['pytorch', 'halfSlope', 'notes'])
    .default('pytorch')
    // `notes` is halfSlope's old name
    .transform((v) => (v === 'notes' ? 'halfSlope' : v))
    .describe('pytorch: ReLU6(x + 3)/6 (MobileNetV3); halfSlope: max(0, min(1, (x + 1)/2)); `notes` is an old name of halfSlope'),
  /** ONNX's general form max(0, min(1, alpha·x + beta)); overrides the variant when given. */
  alpha: z.number().optional(),
  beta: z.number().optional(),
});
export const hardSigmoid = elementwise({
  name: 'hardSigmoid',
  summary: 'variant "pytorch": ReLU6(x + 3)/6; variant "halfSlope": max(0, min(1, (x + 1)/2))',
  pytorch: 'torch.nn.Hardsigmoid',
  attrs: HardSigmoidAttrs,
  flopsPerElement: 4,
  // a run: 5.6–7.9 ns an element of [1, 256, 56, 56], 22.9 of [2048, 2048] (bench/op-rates.ts, load 11–15), counted 5 units
  runRate: 60,
  fn: (a) => {
    const [alpha, beta] = hardSigmoidLine(a);
    // PyTorch computes relu6(x + 3)/6 literally, x + 3 rounded to float32; the general form alpha·x + beta rounds differently
    if (a.alpha === undefined && a.beta === undefined && a.variant === 'pytorch') return (x) => relu6Of(Math.fround(x + 3)) / 6;
    return (x) => Math.min(Math.max(alpha * x + beta, 0), 1);
  },
  kernel: (a) => {
    const [alpha, beta] = hardSigmoidLine(a);
    if (a.alpha === undefined && a.beta === undefined && a.variant === 'pytorch') {
      return (x, out) => {
        for (let i = 0; i < x.length; i++) out[i] = Math.min(Math.max(Math.fround(x[i] + 3), 0), 6) / 6;
      };
    }
    return (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = Math.min(Math.max(alpha * x[i] + beta, 0), 1);
    };
  },
  // variant pytorch: 1/6 on the open interval (−3, 3), as F.hardsigmoid's backward; the other forms
  // are clamp(alpha·x + beta, 0, 1), whose gradient counts the bounds inside (torch.clamp)
  grad: (a) => {
    const [alpha, beta] = hardSigmoidLine(a);
    if (a.alpha === undefined && a.beta === undefined && a.variant === 'pytorch') return (x) => (x > -3 && x < 3 ? 1 / 6 : 0);
    return (x) => {
      const t = alpha * x + beta;
      return t >= 0 && t <= 1 ? alpha : 0;
    };
  },
});

/** (alpha, beta) of hardSigmoid's line max(0, min(1, alpha·x + beta)) for these attributes. */
function hardSigmoidLine(a: z.infer<typeof HardSigmoidAttrs>): [number, number] {
  if (a.alpha !== undefined || a.beta !== undefined) return [a.alpha ?? ONNX_HARD_SIGMOID.alpha, a.beta ?? ONNX_HARD_SIGMOID.beta];
  return a.variant === 'halfSlope' ? HARD_SIGMOID_NOTES : HARD_SIGMOID_PYTORCH;
}
export const ClipAttrs = z.strictObject({ min: z.number().optional(), max: z.number().optional() });
export const clip = elementwise({
  name: 'clip',
  summary: 'min(max(x, min), max); ReLU6 is clip(0, 6)',
  pytorch: 'torch.clamp',
  attrs: ClipAttrs,
  foldsConstantOperands: true, // a learned tensor clamped (Swin V2's logit_scale) is read by Clip alone
  flopsPerElement: (a) => (a.min !== undefined ? 1 : 0) + (a.max !== undefined ? 1 : 0),
  fn: (a) => {
    const [lo, hi] = [a.min ?? -Infinity, a.max ?? Infinity];
    return (x) => Math.min(Math.max(x, lo), hi);
  },
  // the same min/max four lanes at a time: the JS loop's branches mispredict (ops/clamp-simd.ts)
  kernel: (a) => (x, out) => clampSimd(x, out, a.min ?? -Infinity, a.max ?? Infinity),
  runRate: CLAMP_RATE,
  grad: (a) => clampGrad(a.min ?? -Infinity, a.max ?? Infinity),
  gradKernel: (a) => (x, _y, g, out) => {
    const [lo, hi] = [a.min ?? -Infinity, a.max ?? Infinity];
    for (let i = 0; i < x.length; i++) out[i] = x[i] >= lo && x[i] <= hi ? g[i] : 0;
  },
});
export const hardSwish = elementwise({
  name: 'hardSwish',
  summary: 'x·ReLU6(x + 3)/6',
  pytorch: 'torch.nn.Hardswish',
  attrs: none,
  flopsPerElement: 5,
  // a run: 5.6–10.8 ns an element of [1, 256, 56, 56], 8.9 of [2048, 2048] (bench/op-rates.ts, load 11–15), counted 6 units
  runRate: 40,
  fn: () => hardSwishOf,
  kernel: () => (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = hardSwishOf(x[i]);
  },
  // PyTorch's hardswish_backward: 0 below −3, x/3 + 1/2 on [−3, 3), 1 from 3 on. At x = 3 exactly
  // PyTorch 1.13 itself answers 1 in its vectorised loop (every tensor of 8+ floats) but 1.5 in
  // its scalar tail; we take the vectorised answer
  grad: () => (x) => (x < -3 ? 0 : x < 3 ? x / 3 + 0.5 : 1),
  gradKernel: () => (x, _y, g, out) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = g[i] * (v < -3 ? 0 : v < 3 ? v / 3 + 0.5 : 1);
    }
  },
});
export const DropoutAttrs = z.strictObject({ p: z.number().min(0).max(1).default(0.5) });
const dropoutBase = elementwise({
  name: 'dropout',
  summary: 'Inference: identity. Training: zero with probability p, scale the rest by 1/(1 − p), mask from the seed',
  pytorch: 'torch.nn.Dropout',
  attrs: DropoutAttrs,
  flopsPerElement: 0,
  fn: () => (x) => x,
  grad: () => () => 1,
});
export const dropout: OpDef<z.infer<typeof DropoutAttrs>, null> = {
  ...dropoutBase,
  fusesIntoConvEpilogue: false, // identity at inference: an epilogue has nothing to apply (analysis/deployed.ts)
  returnsInputAtInference: true, // F.dropout(x, training=False) returns x itself (types.ts)
  run(ctx) {
    const x = ctx.inputs[0];
    if (!ctx.training) return [x];
    const p = ctx.attrs.p;
    const random = rng(ctx.seed);
    const keep = 1 - p;
    return [mapTensor(x, (v) => (random() < p ? 0 : v / keep))];
  },
  vjp(ctx) {
    const g = ctx.gradOutputs[0];
    const x = ctx.inputs[0];
    if (!g) return [tensor(x.shape)];
    if (!ctx.training) return [g];
    // the forward's mask again, from the same seed: kept elements pass g/(1 − p), dropped ones 0
    const p = ctx.attrs.p;
    const random = rng(ctx.seed);
    const keep = 1 - p;
    return [mapTensor(g, (v) => (random() < p ? 0 : v / keep))];
  },
};

export { softmax, SoftmaxAttrs } from './softmax.js';

/**
 * A sigmoid lookup table over [−8, 8] (the notes: saturating outside, accurate enough for
 * inference): `tableSize` entries sampled evenly, read by nearest entry or linear interpolation.
 * maxError is the largest deviation from the exact sigmoid over a dense sweep of [−10, 10].
 */
/** The table covers [−LUT_RANGE, LUT_RANGE]: sigmoid(±8) is within 3.4e-4 of 0 and 1, the saturation floor. */
export const LUT_RANGE = 8;
/** Largest table accepted (4 MiB of float32), bounding the allocation; far past the size where the saturation error outside ±8 dominates. */
const MAX_TABLE_SIZE = 1 << 20;
/** maxError is measured on [−ERROR_SWEEP_RANGE, ERROR_SWEEP_RANGE] in steps of ERROR_SWEEP_STEP, past the table on both sides. */
const ERROR_SWEEP_RANGE = 10;
const ERROR_SWEEP_STEP = 1e-4;

export const SigmoidLutAttrs = z.strictObject({
  tableSize: z.number().int().min(2).max(MAX_TABLE_SIZE).default(256),
  interpolate: z.boolean().default(false),
});
export type SigmoidLutAttrs = z.infer<typeof SigmoidLutAttrs>;

export function sigmoidTable(a: SigmoidLutAttrs): { fn: (x: number) => number; maxError: number } {
  const n = a.tableSize;
  const table = new Float32Array(n);
  const step = (2 * LUT_RANGE) / (n - 1);
  for (let i = 0; i < n; i++) table[i] = sigmoidOf(-LUT_RANGE + i * step);
  const fn = (x: number) => {
    if (x <= -LUT_RANGE) return table[0];
    if (x >= LUT_RANGE) return table[n - 1];
    const pos = (x + LUT_RANGE) / step;
    if (!a.interpolate) return table[Math.round(pos)];
    const i = Math.floor(pos);
    const f = pos - i;
    return i + 1 < n ? table[i] * (1 - f) + table[i + 1] * f : table[i];
  };
  let maxError = 0;
  const samples = Math.round((2 * ERROR_SWEEP_RANGE) / ERROR_SWEEP_STEP);
  for (let k = 0; k <= samples; k++) {
    const x = -ERROR_SWEEP_RANGE + k * ERROR_SWEEP_STEP;
    maxError = Math.max(maxError, Math.abs(fn(x) - sigmoidOf(x)));
  }
  return { fn, maxError };
}

export const sigmoidLut = elementwise({
  name: 'sigmoidLut',
  summary: 'Sigmoid from a lookup table over [−8, 8] (saturating outside); reports its max error against the exact sigmoid',
  pytorch: 'torch.sigmoid (approximated)',
  attrs: SigmoidLutAttrs,
  flopsPerElement: 3,
  fn: (a) => sigmoidTable(a).fn,
  // the table is piecewise constant (or linear): its own derivative is 0 (or a step function) and
  // useless for a gradient, so the VJP is the exact sigmoid's s·(1 − s) at x (within maxError's reach)
  grad: () => sigmoidGrad,
  facts: (a) => ({ maxError: sigmoidTable(a).maxError }),
});
