/**
 * Element-wise math (ONNX opsets 7–27; torch equivalents named per op). Output shape = the input's
 * (unary) or the broadcast of the inputs (binary and variadic, NumPy rules). Known values fold
 * (shape arithmetic: Swin's window partition computes pads with Mod, ViT's position code Pow/Sqrt).
 *
 *   sqrt √x · exp eˣ · log ln x · neg −x · abs |x| · reciprocal 1/x · floor ⌊x⌋ · ceil ⌈x⌉
 *   sin, cos   in float64 of the float32 input, rounded once (sinusoidal position codes: torch.sin of
 *              arange·freq, arguments in the thousands of radians)
 *   sign       −1 (x < 0), 0 (x = ±0 or NaN), 1 (x > 0): torch.sign (ONNX Sign)
 *   pow        xʸ (ONNX Pow; int64 inputs stay integer)
 *   mod        fmod = false: a − b·⌊a/b⌋, the sign of the divisor (torch.remainder, ONNX Mod fmod 0,
 *              Python's %); fmod = true: a − b·trunc(a/b), the sign of the dividend (torch.fmod, C)
 *   minimum, maximum   element-wise over any number of inputs (ONNX Min/Max are variadic), with
 *              NaN propagating as torch.minimum does
 *
 * FLOPs: 1 per output element per operation (a k-input Min does k − 1 comparisons); floor and ceil
 * count 1 (a rounding), sign 1 (a comparison). Receptive fields pass through (unary) or merge as add's (mergeRF).
 * VJPs (PyTorch autograd; broadcast operands sum the gradient over their broadcast dims): sqrt
 * g/(2y), exp g·y, log g/x, sin g·cos x, cos −g·sin x, neg −g, abs g·sign(x) (0 at 0), reciprocal −g·y², floor, ceil and sign 0;
 * pow ∂x = g·e·x^(e−1), ∂e = g·y·ln x; mod ∂a = g, ∂b = −g·⌊a/b⌋ (fmod: trunc); minimum and
 * maximum send g to the inputs that attain the extremum, split evenly on ties.
 */
import { z } from 'zod';
import { broadcastOp, unaryOp } from './pointwise.js';

export const sqrt = unaryOp({
  name: 'sqrt',
  summary: 'Element-wise square root',
  pytorch: 'torch.sqrt',
  flops: 1,
  // a run: unaryOp's loop through the op's function, 25 ns an element of [1, 256, 56, 56] quiet, 21–52 loaded (bench/op-rates.ts,
  // 2026-12-05, shared 2 vCPU): ~0.4 of its rate's time at 0.3 ns a unit, as the conv's quiet 0.084 ns is 0.28 of its MAC's (pool.ts)
  runRate: 210,
  fn: () => (x) => Math.sqrt(x),
  integerOut: () => false,
  grad: () => (_x, y) => 1 / (2 * y),
});
// a run's rates (unaryOp's loop through the op's function; bench/op-rates.ts, 2026-12-05, shared 2 vCPU; units of about 0.3 ns,
// pool.ts, set as sqrt's): exp 13.7 ns an element of [1, 256, 56, 56] quiet (10.7–28 loaded), sin and cos 27.7 (17–23 loaded)
export const exp = unaryOp({ name: 'exp', summary: 'Element-wise eˣ', pytorch: 'torch.exp', flops: 1, runRate: 110, fn: () => Math.exp, integerOut: () => false, grad: () => (_x, y) => y });
export const sin = unaryOp({ name: 'sin', summary: 'Element-wise sine (radians)', pytorch: 'torch.sin', flops: 1, runRate: 230, fn: () => Math.sin, integerOut: () => false, grad: () => (x) => Math.cos(x) });
export const cos = unaryOp({ name: 'cos', summary: 'Element-wise cosine (radians)', pytorch: 'torch.cos', flops: 1, runRate: 230, fn: () => Math.cos, integerOut: () => false, grad: () => (x) => -Math.sin(x) });
export const log = unaryOp({
  name: 'log',
  summary: 'Element-wise natural logarithm',
  pytorch: 'torch.log',
  flops: 1,
  // a run: 31 ns an element of [1, 256, 56, 56] quiet, 19.5–34 loaded (set as sqrt's)
  runRate: 260,
  fn: () => Math.log,
  integerOut: () => false,
  grad: () => (x) => 1 / x,
});
export const neg = unaryOp({ name: 'neg', summary: 'Element-wise negation', pytorch: 'torch.neg', flops: 1, fn: () => (x) => -x, grad: () => () => -1 });
export const abs = unaryOp({ name: 'abs', summary: 'Element-wise absolute value', pytorch: 'torch.abs', flops: 1, fn: () => Math.abs, grad: () => (x) => Math.sign(x) });
export const reciprocal = unaryOp({
  name: 'reciprocal',
  summary: 'Element-wise 1/x',
  pytorch: 'torch.reciprocal',
  flops: 1,
  fn: () => (x) => 1 / x,
  integerOut: () => false,
  grad: () => (_x, y) => -y * y,
});
export const sign = unaryOp({
  name: 'sign',
  summary: 'Element-wise sign: −1, 0 or 1 (0 for NaN and −0, as torch.sign)',
  pytorch: 'torch.sign',
  flops: 1,
  fn: () => (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  grad: () => () => 0,
});
export const floor = unaryOp({ name: 'floor', summary: 'Element-wise ⌊x⌋', pytorch: 'torch.floor', flops: 1, fn: () => Math.floor, grad: () => () => 0 });
export const ceil = unaryOp({ name: 'ceil', summary: 'Element-wise ⌈x⌉', pytorch: 'torch.ceil', flops: 1, fn: () => Math.ceil, grad: () => () => 0 });

export const pow = broadcastOp({
  name: 'pow',
  summary: 'Element-wise xʸ with broadcasting (integer inputs give integers, as ONNX Pow)',
  pytorch: 'torch.pow',
  inputNames: ['x', 'exponent'],
  flops: 1,
  // a run: Math.pow, 143–232 ns an element of two [1, 256, 56, 56] tensors, 40 ns by a scalar
  // (bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC, shared), in units of about 0.3 ns (pool.ts);
  // a fold keeps its FLOP (weight standardisation's pow folds at import: graph/fold-budget.ts)
  runRate: 500,
  // C's pow (PyTorch's): 1^y = 1 and (−1)^±∞ = 1 for any y, NaN included; JavaScript's ** gives NaN there
  fn: () => ([x, y], integer) => (x === 1 || (x === -1 && Math.abs(y) === Infinity) ? 1 : integer ? Math.trunc(x ** y) : x ** y),
  // ONNX Pow's output has X's type: an int64 base stays integer even under a float exponent
  integerOut: ([x]) => x,
  // torch: ∂x = e·x^(e−1) (0 where e = 0); ∂e = y·ln x (0 where x = 0 and e ≥ 0)
  partials: () => ([x, e], y, into) => {
    into[0] = e === 0 ? 0 : e * x ** (e - 1);
    into[1] = x === 0 && e >= 0 ? 0 : y * Math.log(x);
  },
});

export const ModAttrs = z.strictObject({ fmod: z.boolean().default(false) });
export const mod = broadcastOp({
  name: 'mod',
  summary: 'Element-wise remainder with broadcasting: the sign of the divisor (torch.remainder), or of the dividend with fmod (torch.fmod)',
  pytorch: 'torch.remainder / torch.fmod',
  inputNames: ['a', 'b'],
  attrs: ModAttrs,
  flops: 1,
  // a run: fmod of two [1, 256, 56, 56] tensors 33 ns an element quiet, 27–67 loaded (bench/op-rates.ts, 2026-12-05, shared
  // 2 vCPU), in units of about 0.3 ns (pool.ts; set as sqrt's)
  runRate: 275,
  fn: (attrs) =>
    attrs.fmod
      ? ([a, b]) => a % b
      : ([a, b]) => {
          const r = a % b;
          // JS % takes the dividend's sign; the remainder takes the divisor's
          return r !== 0 && r < 0 !== b < 0 ? r + b : r;
        },
  // torch: ∂a = 1, ∂b = −⌊a/b⌋ (remainder) or −trunc(a/b) (fmod)
  partials: (attrs) => ([a, b], _y, into) => {
    into[0] = 1;
    into[1] = attrs.fmod ? -Math.trunc(a / b) : -Math.floor(a / b);
  },
});

/** The gradient of a min or max goes to the inputs that attain it, split evenly on ties (torch.maximum halves it). */
const extremum = () => (args: number[], y: number, into: number[]) => {
  let ties = 0;
  for (const a of args) if (a === y) ties++;
  for (let i = 0; i < args.length; i++) into[i] = args[i] === y ? 1 / ties : 0;
};

/** torch.minimum / torch.maximum: a NaN in any input makes the output NaN (Math.min does the same). */
export const minimum = broadcastOp({
  name: 'minimum',
  summary: 'Element-wise minimum of one or more tensors, with broadcasting',
  pytorch: 'torch.minimum',
  inputNames: ['a', 'b'],
  minInputs: 1,
  variadic: true,
  flops: 1,
  fn: () => (args) => Math.min(...args),
  partials: extremum,
});
export const maximum = broadcastOp({
  name: 'maximum',
  summary: 'Element-wise maximum of one or more tensors, with broadcasting',
  pytorch: 'torch.maximum',
  inputNames: ['a', 'b'],
  minInputs: 1,
  variadic: true,
  flops: 1,
  fn: () => (args) => Math.max(...args),
  partials: extremum,
});
