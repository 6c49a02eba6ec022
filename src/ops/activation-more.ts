/**
 * The activations of transformers and modern CNNs: gelu (exact and tanh), tanh, erf, mish, elu,
 * selu, celu, softplus, softsign, hardTanh, and prelu (a learned slope). Output shape = input
 * shape; the receptive field passes through. A transcendental (exp, log, tanh, erf) counts 1 FLOP,
 * as in activation.ts. FLOPs per element (counted as the obvious implementation does):
 *   gelu exact  5   0.5·x·(1 + erf(x/√2)): divide, erf, add, two multiplies
 *   gelu tanh   9   0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): x³ 2, ×c, +x, ×k, tanh, +1, two ×
 *   tanh 1          erf 1
 *   mish 5          x·tanh(softplus(x)): exp, add, log, tanh, multiply
 *   elu 4           compare, exp, subtract 1, × alpha          selu 5   elu, × scale
 *   celu 5          compare, divide by alpha, exp, subtract 1, × alpha
 *   softplus 5      × beta, compare with threshold, exp, log1p, ÷ beta
 *   softsign 3      abs, add 1, divide
 *   hardTanh 2      two clamps                                 prelu 2  compare, multiply
 * prelu's slope is a weight: numParameters (1, or one per channel of dim 1) learned parameters,
 * initialised to 0.25 (torch.nn.PReLU).
 * VJPs: g·f′(x), with PyTorch autograd's choice at each kink: elu/selu/celu take the negative
 * branch at 0 (alpha, scale·alpha, 1), hardTanh 0 at both bounds, prelu and leakyRelu the slope at
 * 0, softplus 1 past its threshold.
 */
import { z } from 'zod';
import { elementwise, gradOutput } from './activation-kit.js';
import { normalizeAxis } from './axes.js';
import { erf } from './special.js';
import { erf32 } from './erf32.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, Shape } from './types.js';
import { fmtShape } from '../errors.js';
import { tensor } from '../tensor/tensor.js';
import { clampSimd } from './clamp-simd.js';
import { CLAMP_RATE } from './activation.js';

const none = z.strictObject({});
const SQRT1_2 = Math.SQRT1_2;
/** 2/√π, erf's slope at 0; and 1/√(2π), the normal density's peak. */
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** GELU's tanh approximation (Hendrycks & Gimpel): √(2/π) and the cubic's coefficient. */
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;
/** SELU's constants (Klambauer et al. 2017, torch.nn.SELU and ONNX Selu's defaults). */
export const SELU_ALPHA = 1.6732632423543772848170429916717;
export const SELU_SCALE = 1.0507009873554804934193349852946;

export const GeluAttrs = z.strictObject({
  approximate: z.enum(['none', 'tanh']).default('none').describe("'none': exact 0.5·x·(1 + erf(x/√2)); 'tanh': the tanh approximation"),
});
export const gelu = elementwise({
  name: 'gelu',
  summary: "x·Φ(x): exact with erf (approximate 'none') or the tanh approximation (approximate 'tanh')",
  pytorch: 'torch.nn.GELU',
  attrs: GeluAttrs,
  flopsPerElement: (a) => (a.approximate === 'tanh' ? 9 : 5),
  // a run: exact 48–60 ns an element of [1, 256, 56, 56], tanh 43.5 (bench/op-rates.ts, 2026-12-05,
  // 2 vCPU AMD EPYC, load 9–12), in units of about 0.3 ns (pool.ts)
  runRate: 200,
  fn: (a) =>
    a.approximate === 'tanh'
      ? (x) => 0.5 * x * (1 + Math.tanh(GELU_K * (x + GELU_C * x * x * x)))
      : (x) => 0.5 * x * (1 + erf32(x * SQRT1_2)),
  // exact: erf to float32 accuracy (erf32.ts), the double-precise fdlibm erf was 20× slower
  kernel: (a) =>
    a.approximate === 'tanh'
      ? (x, out) => {
          for (let i = 0; i < x.length; i++) {
            const v = x[i];
            out[i] = 0.5 * v * (1 + Math.tanh(GELU_K * (v + GELU_C * v * v * v)));
          }
        }
      : (x, out) => {
          for (let i = 0; i < x.length; i++) {
            const v = x[i];
            out[i] = 0.5 * v * (1 + erf32(v * SQRT1_2));
          }
        },
  // exact: Φ(x) + x·φ(x); tanh: 0.5·(1 + t) + 0.5·x·(1 − t²)·k·(1 + 3c·x²)
  grad: (a) =>
    a.approximate === 'tanh'
      ? (x) => {
          const t = Math.tanh(GELU_K * (x + GELU_C * x * x * x));
          return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * x * x);
        }
      : (x) => 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
});

/**
 * GELU in place over rows of `cols` values, after adding a bias (a linear layer's,
 * runtime/fuse-patterns.ts): per column (bias[c], rows of a channels-last [rows × C]) or per row
 * (bias[r], a channels-first [C × positions]). v = fround(y + bias) exactly as the bias add's
 * float32 output, then the gelu kernel's formula, so the fused pass equals add-then-gelu bit for bit.
 */
export function geluInPlace(y: Float32Array, approximate: 'none' | 'tanh', bias: Float32Array | null, cols: number, biasPerRow = false): void {
  const n = y.length;
  for (let at = 0, r = 0; at < n; at += cols, r++) {
    const end = Math.min(at + cols, n);
    const rowBias = bias && biasPerRow ? bias[r] : 0;
    const colBias = biasPerRow ? null : bias;
    if (approximate === 'tanh') {
      for (let i = at, c = 0; i < end; i++, c++) {
        const v = colBias ? Math.fround(y[i] + colBias[c]) : bias ? Math.fround(y[i] + rowBias) : y[i];
        y[i] = 0.5 * v * (1 + Math.tanh(GELU_K * (v + GELU_C * v * v * v)));
      }
    } else {
      for (let i = at, c = 0; i < end; i++, c++) {
        const v = colBias ? Math.fround(y[i] + colBias[c]) : bias ? Math.fround(y[i] + rowBias) : y[i];
        y[i] = 0.5 * v * (1 + erf32(v * SQRT1_2));
      }
    }
  }
}

export const tanh = elementwise({
  name: 'tanh',
  summary: 'tanh(x)',
  pytorch: 'torch.nn.Tanh',
  attrs: none,
  flopsPerElement: 1,
  // a run: Math.tanh, 42–46 ns an element (bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC,
  // shared), in units of about 0.3 ns (pool.ts)
  runRate: 150,
  fn: () => Math.tanh,
  kernel: () => (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]);
  },
  // from the output, as PyTorch's tanh_backward: 1 − y²
  grad: () => (_x, y) => 1 - y * y,
});

export const erfOp = elementwise({
  name: 'erf',
  summary: 'The error function 2/√π ∫₀ˣ e^(−t²) dt (exact GELU in ONNX graphs)',
  pytorch: 'torch.erf',
  attrs: none,
  flopsPerElement: 1,
  // a run: erf32's loop, 5.7–19 ns an element of [1, 256, 56, 56] (bench/op-rates.ts, 2026-12-05,
  // load 9–12), in units of about 0.3 ns (pool.ts) at the middle of that range
  runRate: 50,
  fn: () => erf32,
  // erf32.ts: float32-accurate (within one ulp of the double-precise special.ts erf), 20× faster
  kernel: () => (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = erf32(x[i]);
  },
  grad: () => (x) => TWO_OVER_SQRT_PI * Math.exp(-x * x),
});

/** log(1 + eˣ) without overflow: eˣ is Infinity past 709, where the result is x to double precision. */
const softplusOf = (x: number) => (x > 30 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const sigmoidOf = (x: number) => 1 / (1 + Math.exp(-x));

export const mish = elementwise({
  name: 'mish',
  summary: 'x·tanh(softplus(x))',
  pytorch: 'torch.nn.Mish',
  attrs: none,
  flopsPerElement: 5,
  // a run: tanh of log1p of exp through mapTensor, 130–250 ns an element (bench/op-rates.ts,
  // 2026-12-05, 2 vCPU AMD EPYC, shared; 22–42 ns a unit of its cost's 5 FLOPs + 1 written), in units of about 0.3 ns (pool.ts)
  runRate: 600,
  fn: () => (x) => x * Math.tanh(softplusOf(x)),
  // tanh(sp) + x·σ(x)·(1 − tanh²(sp)), PyTorch's mish_backward
  grad: () => (x) => {
    const t = Math.tanh(softplusOf(x));
    return t + x * sigmoidOf(x) * (1 - t * t);
  },
});

export const EluAttrs = z.strictObject({ alpha: z.number().default(1) });
export const elu = elementwise({
  name: 'elu',
  summary: 'x if x > 0 else alpha·(eˣ − 1)',
  pytorch: 'torch.nn.ELU',
  attrs: EluAttrs,
  flopsPerElement: 4,
  // a run: mapTensor's loop of Math.expm1, 20 ns an element quiet, 23–100 loaded (bench/op-rates.ts, 2026-12-05, 2 vCPU AMD
  // EPYC, shared), in units of about 0.3 ns (pool.ts; set as math.ts sqrt's, ~0.4 of the rate's time quiet)
  runRate: 170,
  fn: (a) => (x) => (x > 0 ? x : a.alpha * Math.expm1(x)),
  grad: (a) => (x) => (x > 0 ? 1 : a.alpha * Math.exp(x)),
});

export const SeluAttrs = z.strictObject({
  /** ONNX Selu's attributes; PyTorch's nn.SELU fixes them to these defaults. */
  alpha: z.number().default(SELU_ALPHA),
  gamma: z.number().default(SELU_SCALE),
});
export const selu = elementwise({
  name: 'selu',
  summary: 'scale·(x if x > 0 else alpha·(eˣ − 1)), alpha ≈ 1.6733, scale ≈ 1.0507',
  pytorch: 'torch.nn.SELU',
  attrs: SeluAttrs,
  flopsPerElement: 5,
  // a run: elu's Math.expm1 loop through mapTensor (23.6 and 20.1 ns an element against elu's 24.0, a review's timing at load 5): its rate
  runRate: 170,
  fn: (a) => (x) => a.gamma * (x > 0 ? x : a.alpha * Math.expm1(x)),
  grad: (a) => (x) => a.gamma * (x > 0 ? 1 : a.alpha * Math.exp(x)),
});

export const CeluAttrs = z.strictObject({ alpha: z.number().refine((v) => v !== 0, 'alpha must not be 0').default(1) });
export const celu = elementwise({
  name: 'celu',
  summary: 'max(0, x) + min(0, alpha·(e^(x/alpha) − 1))',
  pytorch: 'torch.nn.CELU',
  attrs: CeluAttrs,
  flopsPerElement: 5,
  // a run: elu's Math.expm1 loop through mapTensor (23.6 and 20.1 ns an element against elu's 24.0, a review's timing at load 5): its rate
  runRate: 170,
  fn: (a) => (x) => (x > 0 ? x : a.alpha * Math.expm1(x / a.alpha)),
  grad: (a) => (x) => (x > 0 ? 1 : Math.exp(x / a.alpha)),
});

export const SoftplusAttrs = z.strictObject({
  /** 0 is allowed, as in PyTorch: log1p(e⁰)/0 = ∞ (0·±∞ NaN), its gradient e⁰/(e⁰ + 1) = 1/2. */
  beta: z.number().default(1),
  /** Past beta·x > threshold the result is x (PyTorch's numerical cut-over). */
  threshold: z.number().default(20),
});
export const softplus = elementwise({
  name: 'softplus',
  summary: 'log(1 + e^(beta·x))/beta; x where beta·x > threshold',
  pytorch: 'torch.nn.Softplus',
  attrs: SoftplusAttrs,
  flopsPerElement: 5,
  // a run: log1p of exp through mapTensor, 50 ns an element quiet, 89–111 loaded (bench/op-rates.ts, 2026-12-05, 2 vCPU AMD
  // EPYC, shared), in units of about 0.3 ns (pool.ts; set as math.ts sqrt's)
  runRate: 400,
  fn: (a) => (x) => (a.beta * x > a.threshold ? x : softplusOf(a.beta * x) / a.beta),
  grad: (a) => (x) => (a.beta * x > a.threshold ? 1 : sigmoidOf(a.beta * x)),
});

export const softsign = elementwise({
  name: 'softsign',
  summary: 'x / (1 + |x|)',
  pytorch: 'torch.nn.Softsign',
  attrs: none,
  flopsPerElement: 3,
  // a run: mapTensor's loop, 3.7–23.7 ns an element of [1, 256, 56, 56], 31.7 of [2048, 2048] (bench/op-rates.ts, load 11–15), counted 4 units
  runRate: 100,
  fn: () => (x) => x / (1 + Math.abs(x)),
  grad: () => (x) => 1 / (1 + Math.abs(x)) ** 2,
});

export const HardTanhAttrs = z
  .strictObject({ minVal: z.number().default(-1), maxVal: z.number().default(1) })
  .refine((a) => a.minVal < a.maxVal, { message: 'minVal must be below maxVal', path: ['maxVal'] });
export const hardTanh = elementwise({
  name: 'hardTanh',
  summary: 'min(max(x, minVal), maxVal); [−1, 1] by default',
  pytorch: 'torch.nn.Hardtanh',
  attrs: HardTanhAttrs,
  flopsPerElement: 2,
  // a run: clip's loop (kernel, below), 1.1 ns an element of [1, 256, 56, 56], 1.3 of [2048, 2048] (bench/op-rates.ts,
  // 2026-12-06, load 12–13; mapTensor's loop ran 3.2 and 8.6 there, 41 in chains at load 14, and was rated 100)
  runRate: CLAMP_RATE,
  fn: (a) => (x) => Math.min(Math.max(x, a.minVal), a.maxVal),
  // clip's min/max four lanes at a time (ops/clamp-simd.ts, the same bits): mapTensor's loop mispredicted its compares
  kernel: (a) => (x, out) => clampSimd(x, out, a.minVal, a.maxVal),
  // PyTorch's hardtanh_backward: 1 on the open interval, 0 at both bounds
  grad: (a) => (x) => (x > a.minVal && x < a.maxVal ? 1 : 0),
});

/** torch.nn.PReLU's initial slope. */
const PRELU_INIT = 0.25;
export const PreluAttrs = z.strictObject({
  numParameters: z.number().int().positive().default(1).describe('1 (one shared slope) or the channel count (one slope per channel)'),
  init: z.number().default(PRELU_INIT),
  /** The channel dim the slopes run along: 1 in PyTorch; an ONNX slope of shape [C, 1, 1] broadcasts along dim −3. */
  channelDim: z.number().int().default(1),
});
type PreluAttrs = z.infer<typeof PreluAttrs>;
interface PreluPlan {
  /** Elements that share one slope (the product of the dims after the channel dim); all of them when numParameters is 1. */
  inner: number;
  channels: number;
}

/** MAX_RUN_WORK units a run of prelu takes an element (Inferred.runWork). */
const PRELU_ELEMENT = 30;

export const prelu: OpDef<PreluAttrs, PreluPlan> = {
  name: 'prelu',
  summary: 'x if x > 0 else a·x, with a learned slope a (one, or one per channel)',
  pytorch: 'torch.nn.PReLU',
  inputNames: ['x'],
  minInputs: 1,
  attrs: PreluAttrs,
  attrsFromWeights: (weights, attrs) => {
    const w = weights.weight;
    return w && w.length === 1 ? { numParameters: w[0], ...attrs } : attrs;
  },
  infer(ctx) {
    const x: Shape = ctx.inputs[0];
    const n = ctx.attrs.numParameters;
    // inner ≥ 1 so the kernel's slope-by-slope walk always advances (an empty input has no slopes to walk)
    let plan: PreluPlan = { inner: Math.max(1, numel(x)), channels: 1 };
    if (n > 1) {
      if (x.length < 2) ctx.fail('RANK_MISMATCH', `prelu with numParameters=${n} needs (N, C, …), got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
      const dim = normalizeAxis(ctx, ctx.attrs.channelDim, x.length, 'channelDim');
      if (x[dim] !== n) ctx.fail('CHANNEL_MISMATCH', `numParameters=${n} but the input ${fmtShape(x)} has ${x[dim]} channels along dim ${dim}`, 'numParameters', { shapes: { input: x } });
      plan = { inner: Math.max(1, numel(x.slice(dim + 1))), channels: n };
    }
    return {
      outputs: [x],
      weights: [{ name: 'weight', shape: [n], trainable: true, init: { kind: 'constant', value: ctx.attrs.init } }],
      cost: { ...ZERO_COST, elementwise: 2 * numel(x) },
      // a run: the slope-by-slope loop, 7.4–7.7 ns an element of [1, 256, 56, 56] (bench/op-rates.ts,
      // 2026-12-05, load 9–12), in units of about 0.3 ns (pool.ts)
      runWork: PRELU_ELEMENT * numel(x),
      plan,
    };
  },
  receptiveField: (ctx) => ctx.rf[0],
  fusesIntoConvEpilogue: true, // point-wise with a per-channel constant
  run(ctx) {
    const x = ctx.inputs[0].data;
    const a = ctx.weights.weight.data;
    const { inner, channels } = ctx.plan;
    const out = new Float32Array(x.length);
    // element i's slope is a[(i / inner) mod channels]: walk slope by slope
    for (let base = 0, c = 0; base < x.length; base += inner, c = (c + 1) % channels) {
      const s = a[c];
      for (let i = base; i < base + inner; i++) out[i] = x[i] > 0 ? x[i] : s * x[i];
    }
    return [tensor(ctx.inputs[0].shape, out)];
  },
  vjp(ctx) {
    const x = ctx.inputs[0].data;
    const out = new Float32Array(x.length);
    const g = gradOutput(ctx);
    if (!g) return [tensor(ctx.inputs[0].shape, out)];
    const a = ctx.weights.weight.data;
    const { inner, channels } = ctx.plan;
    // the slope at 0, as PyTorch's prelu backward
    for (let base = 0, c = 0; base < x.length; base += inner, c = (c + 1) % channels) {
      const s = a[c];
      for (let i = base; i < base + inner; i++) out[i] = x[i] > 0 ? g[i] : s * g[i];
    }
    return [tensor(ctx.inputs[0].shape, out)];
  },
};
