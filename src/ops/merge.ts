/**
 * add and concat: where paths meet (ResNet shortcuts; Inception and DenseNet).
 * PyTorch: torch.add (broadcasting, NumPy rules) and torch.cat.
 *   add, mul, sub, div: (inputs − 1) operations per output element
 *   div {integer}: the operands are integer tensors (ONNX's int64 Div, as torch.div(…,
 *     rounding_mode='floor') of indices exports): the quotient truncates toward zero, at run time as
 *     when folding (values are float32 at run time, so integers are exact up to 2^24)
 *   concat: same shape except along `dim`; a copy, no arithmetic
 * Receptive fields merge: the largest is kept, misaligned paths are reported (Araujo et al.).
 *
 * Vector-Jacobian products (g = ∂L/∂y; Σ↓ sums over the dims an input was broadcast along,
 * vjp-kernels.ts sumToShape):
 *   add  ∂a = Σ↓ g                     sub  ∂a = Σ↓ g, ∂b = −Σ↓ g
 *   mul  ∂xᵢ = Σ↓ (g · Π_{j≠i} xⱼ)     div  ∂a = Σ↓ (g / b), ∂b = −Σ↓ (g · y / b)   (y = a / b)
 *   concat  each input its slice of g along `dim`
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { mergeRF, offsetAlong } from './receptive-field.js';
import { ZERO_COST, numel } from './types.js';
import { broadcastIndex, broadcastShapes, broadcastValue } from './broadcast.js';
import { MAX_FOLD_WORK } from '../limits.js';
import { mayFold } from './common.js';
import { normalizeAxis } from './axes.js';
import type { InferContext, Intermediate, OpDef, RFContext, RunContext, Shape, TensorRF, TensorValue } from './types.js';
import { binaryBroadcast } from '../tensor/nd.js';
import { arithAll, broadcastRows, ROW_KERNELS } from '../tensor/broadcast-loops.js';
import type { Arith } from '../tensor/broadcast-loops.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { gradOrZeros, sumToShape } from './vjp-kernels.js';
import { READS_SHAPES_ONLY } from './types.js';

export function inferBroadcast<A>(ctx: InferContext<A>): number[] {
  const out = broadcastShapes(ctx.inputs);
  if (!out) {
    ctx.fail(
      'SHAPE_MISMATCH',
      `cannot broadcast input shapes ${ctx.inputs.map(fmtShape).join(' and ')}`,
      'inputs',
      { shapes: Object.fromEntries(ctx.inputs.map((s, i) => [`input${i}`, s])) },
    );
  }
  return out;
}

interface Arithmetic {
  name: string;
  summary: string;
  pytorch: string;
  variadic: boolean;
  /** Deployment: a conv's epilogue can do it as it writes (the residual add; analysis/deployed.ts). */
  addsIntoConvEpilogue?: boolean;
  /** Its gradient reads the operands' values (a product or quotient); a sum's does not (OpDef.vjpReads). */
  gradReadsValues?: boolean;
  /** Folds constant inputs (shape arithmetic); the run kernel is `kernel`'s loop, the same float arithmetic. */
  fold: (a: number, b: number, integer: boolean) => number;
  /** The float kernel: tensor/broadcast-loops.ts's flat loops for this operation. */
  kernel: Arith;
  /** ∂L/∂input i from g = ∂L/∂y (shape of y), before the sum over broadcast dims. */
  grad: (g: Tensor, i: number, inputs: Tensor[], y: Tensor) => Tensor;
  /** Integer operands (attribute `integer`) truncate each result toward zero: div's integer quotient. */
  truncatesIntegers?: boolean;
  /**
   * What `grad` allocates for one input beside the gradient the VJP returns (OpInferred.vjpIntermediates),
   * of the output's shape, at most at once for `inputs` operands; absent: nothing (add's is g itself).
   */
  gradScratch?: (out: Shape, inputs: number) => Intermediate[];
}

const NoAttrs = z.strictObject({});
export const DivAttrs = z.strictObject({
  /** The operands are integer tensors: the quotient truncates toward zero (ONNX integer Div). */
  integer: z.boolean().default(false),
});
type ArithmeticAttrs = { integer?: boolean };

const times = (a: number, b: number) => a * b;
/** g · Π_{j≠i} xⱼ, broadcast to g's shape: ∂(x₀·x₁·…)/∂xᵢ applied to g. */
function productOfOthers(g: Tensor, i: number, inputs: Tensor[]): Tensor {
  let acc = g;
  inputs.forEach((x, j) => {
    if (j !== i) acc = binaryBroadcast(acc, x, g.shape, times);
  });
  return acc;
}

/**
 * Element-wise evaluation of small constant inputs, with broadcasting, folding left to right
 * (((a ∘ b) ∘ c) …). Bounded like every fold: the value within the folding budget, and the work
 * (elements × inputs) within MAX_FOLD_WORK, since an add may read one constant a million times.
 */
function foldArithmetic<A>(ctx: InferContext<A>, out: Shape, fold: Arithmetic['fold']): TensorValue | null {
  const { inputs: shapes, values } = ctx;
  const n = numel(out);
  if (values.some((v) => v === null) || !mayFold(ctx, n) || n * values.length > MAX_FOLD_WORK) return null;
  const integer = values.every((v) => v!.integer);
  const data = [...broadcastValue(values[0]!, shapes[0], out).data];
  for (let i = 1; i < values.length; i++) {
    const from = broadcastIndex(shapes[i], out);
    const src = values[i]!.data;
    for (let k = 0; k < n; k++) data[k] = fold(data[k], src[from[k]], integer);
  }
  return { data, integer };
}

/**
 * The residual add in a fused conv's output buffer (runtime/fuse.ts): with two operands the
 * add's loop writes straight into `target` (it has the output's shape; each element is read
 * before it is written), the same a + b as `run` bit for bit. Three or more operands, where the
 * order rounds, are computed as `run` does and copied in.
 */
function sumInPlace(ctx: RunContext<ArithmeticAttrs, null>, target: number): Tensor {
  const t = ctx.inputs[target];
  if (ctx.inputs.length === 2) {
    // the add's one loop, written into the target's buffer (same shape as the output)
    broadcastRows(ROW_KERNELS.add, ctx.inputs[0], ctx.inputs[1], ctx.outputs[0], t.data);
    return t;
  }
  t.data.set(arithAll('add', ctx.inputs, ctx.outputs[0]).data);
  return t;
}

/**
 * MAX_RUN_WORK units a run of add, mul, sub or div takes an operation (Inferred.runWork) where an
 * operand has fewer elements than the output (a broadcast: tensor/broadcast-loops.ts walks its
 * rows): counted 1 a FLOP + 1 an element written, [1, 256, 56, 56] + [1, 256, 1, 1] ran 1.9–3.2 ns
 * an element, + [56] 2.7–4.2, mul by [1, 256, 1, 1] 1.9–3.2, where same shapes ran 0.7–1.0
 * (bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC, load 3–9; 1.8 ns a unit, 3.6 an element, at
 * load 12–16); sub and
 * div share the loop, not measured. Units of about 0.3 ns (pool.ts); same shapes keep their cost
 * (one flat loop, WebAssembly SIMD from 256 elements: add, sub, mul, div 0.6–1.2 ns an element of
 * [1, 256, 56, 56], and of [1048576, 1] or [1, …, 1, 1048576], 0.3–0.6 ns a unit at load 13–16).
 */
export const BROADCAST_OP = 12;
/**
 * … where every operand is the output's shape or a single element (a [1], [1, 1, 1, 1] or []
 * scalar: tensor/broadcast-loops.ts runs one row against the hoisted value, no index walk): add,
 * mul, div, sub by a [1] of [1, 256, 56, 56] ran 2.1–3.1 ns an element (bench/op-rates.ts,
 * 2026-12-06, 2 vCPU AMD EPYC, load 13–16; 0.15–0.24 ns a unit at BROADCAST_OP, the JavaScript
 * row loop a per-channel broadcast runs too, where same shapes run in SIMD at 0.6–1.2).
 */
export const SCALAR_OP = 6;

/** Inferred.runWork of add, mul, sub or div (absent: same shapes, their cost); see BROADCAST_OP and SCALAR_OP. */
function arithmeticWork(inputs: readonly Shape[], out: Shape): { runWork?: number } {
  const n = numel(out);
  const sizes = inputs.map(numel);
  if (sizes.every((s) => s === n)) return {};
  const rate = sizes.every((s) => s === n || s === 1) ? SCALAR_OP : BROADCAST_OP;
  return { runWork: rate * (inputs.length - 1) * n };
}

/** Element-wise arithmetic with broadcasting: (inputs − 1) operations per output element. */
function arithmetic<A extends ArithmeticAttrs>(d: Arithmetic, attrs: z.ZodType<A>): OpDef<A, null> {
  return {
    name: d.name,
    summary: d.summary,
    pytorch: d.pytorch,
    inputNames: ['a', 'b'],
    minInputs: 2,
    variadic: d.variadic,
    foldsConstantOperands: true,
    addsIntoConvEpilogue: d.addsIntoConvEpilogue === true,
    // a sum or difference: its gradients are g summed to each input's shape, whatever the values
    ...(d.gradReadsValues ? {} : { vjpReads: READS_SHAPES_ONLY }),
    attrs,
    infer(ctx) {
      const out = inferBroadcast(ctx);
      const integer = ctx.attrs.integer === true;
      return {
        outputs: [out],
        values: [foldArithmetic(ctx, out, integer ? (a, b) => d.fold(a, b, true) : d.fold)],
        weights: [],
        cost: { ...ZERO_COST, elementwise: (ctx.inputs.length - 1) * numel(out) },
        ...arithmeticWork(ctx.inputs, out),
        plan: null,
        ...(d.gradScratch ? { vjpIntermediates: d.gradScratch(out, ctx.inputs.length) } : {}),
      };
    },
    receptiveField: (ctx) => mergeRF(ctx.layer, ctx.rf, ctx.warn, ctx.inputs),
    run: (ctx) => {
      const y = arithAll(d.kernel, ctx.inputs, ctx.outputs[0]);
      if (d.truncatesIntegers && ctx.attrs.integer) {
        const v = y.data;
        for (let k = 0; k < v.length; k++) v[k] = Math.trunc(v[k]);
      }
      return [y];
    },
    ...(d.addsIntoConvEpilogue ? { runInPlace: sumInPlace } : {}),
    vjp(ctx) {
      const out = ctx.outputs[0];
      const g = tensor(out, gradOrZeros(ctx));
      return ctx.inputs.map((x, i) => sumToShape(d.grad(g, i, ctx.inputs, ctx.forward[0]).data, out, x.shape));
    },
  };
}

export const add = arithmetic({
  name: 'add',
  kernel: 'add',
  summary: 'Element-wise sum of two or more tensors, with broadcasting (residual shortcuts)',
  pytorch: 'torch.add',
  variadic: true,
  addsIntoConvEpilogue: true,
  fold: (a, b) => a + b,
  grad: (g) => g,
}, NoAttrs);
export const mul = arithmetic({
  name: 'mul',
  kernel: 'mul',
  gradReadsValues: true,
  summary: 'Element-wise product with broadcasting (squeeze-excitation scaling, gating)',
  pytorch: 'torch.mul',
  variadic: true,
  fold: (a, b) => a * b,
  grad: productOfOthers,
  // g·x_j over the output's shape, and with three or more operands the product before it while the next factor is applied
  gradScratch: (out, inputs) => [
    { shape: out, what: `g times the other operands over the output's shape ${fmtShape(out)}, before its sum to an operand's shape` },
    ...(inputs > 2 ? [{ shape: out, what: 'the product of g and the operands before it, while the next one multiplies it' }] : []),
  ],
}, NoAttrs);
export const sub = arithmetic({
  name: 'sub',
  kernel: 'sub',
  summary: 'Element-wise a − b with broadcasting',
  pytorch: 'torch.sub',
  variadic: false,
  fold: (a, b) => a - b,
  grad: (g, i) => (i === 0 ? g : tensor(g.shape, g.data.map((v) => -v))),
  gradScratch: (out) => [{ shape: out, what: `−g over the output's shape ${fmtShape(out)}, before its sum to b's shape` }],
}, NoAttrs);
export const div = arithmetic({
  name: 'div',
  kernel: 'div',
  gradReadsValues: true,
  summary: 'Element-wise a / b with broadcasting (integer tensors truncate, as ONNX)',
  pytorch: 'torch.div',
  variadic: false,
  fold: (a, b, integer) => (integer ? Math.trunc(a / b) : a / b),
  // ∂(a/b)/∂b = −a/b² = −y/b
  grad: (g, i, [, b], y) =>
    i === 0 ? binaryBroadcast(g, b, g.shape, (gv, bv) => gv / bv) : binaryBroadcast(tensor(g.shape, g.data.map((gv, k) => gv * y.data[k])), b, g.shape, (gy, bv) => -gy / bv),
  gradScratch: (out) => [
    { shape: out, what: `g·y over the output's shape ${fmtShape(out)}, b's gradient before its division by b` },
    { shape: out, what: "−g·y/b (g/b for a) over the output's shape, before its sum to the operand's shape" },
  ],
  truncatesIntegers: true,
}, DivAttrs);

export const ConcatAttrs = z.strictObject({ dim: z.number().int().default(1) });
export type ConcatAttrs = z.infer<typeof ConcatAttrs>;

/**
 * The field of pieces `xs` (fields `rf`) joined along `dim`: concat's, and the quantized
 * qlinearConcat's (quant-extra.ts). With the shapes, a global path joined along the channels
 * (attention's output) makes the field global; pieces joined along a spatial dim (a roll) start
 * their boxes where they land; a stride's phases joined along the channels are not misaligned.
 */
export function concatRF(ctx: Pick<RFContext<unknown>, 'layer' | 'warn'>, rf: (TensorRF | null)[], xs: readonly Shape[], dim: number): TensorRF | null {
  // a running sum: a concat of 200,000 inputs summed each one's predecessors anew, minutes of a worker
  let at = 0;
  const offsets = xs.map((x) => {
    const start = at;
    at += x[dim] ?? 0;
    return start;
  });
  // pieces, never broadcast: a piece of one unit per spatial axis (a roll's last unit) is a path;
  // a piece's stride-0 axis is spread (expand(x[:, :, :1]) joined to x along the channels; a
  // replicate padding's edge pieces along the concat's own dim)
  return mergeRF(ctx.layer, rf.map((f, i) => offsetAlong(f, dim, offsets[i])), ctx.warn, xs, { along: dim });
}

export const concat: OpDef<z.infer<typeof ConcatAttrs>, { dim: number }> = {
  vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
  name: 'concat',
  summary: 'Concatenation along a dimension (channels by default)',
  pytorch: 'torch.cat',
  foldsConstantOperands: true, // a learned tensor joined to the tokens (ViT's class token, MHA's bias_k) is read by Concat alone
  emptyInputs: true, // an empty piece (torch.roll by 0's slice) adds nothing
  inputNames: ['a', 'b'],
  minInputs: 1,
  variadic: true,
  attrs: ConcatAttrs,
  infer(ctx) {
    const first = ctx.inputs[0];
    const dim = normalizeAxis(ctx, ctx.attrs.dim, first.length, 'dim');
    let total = 0;
    ctx.inputs.forEach((s, i) => {
      const bad = s.length !== first.length || s.some((d, k) => k !== dim && d !== first[k]);
      if (bad) {
        ctx.fail(
          'SHAPE_MISMATCH',
          `input ${i} ${fmtShape(s)} does not match input 0 ${fmtShape(first)} outside dim ${dim}`,
          'inputs',
          { shapes: { input0: first, [`input${i}`]: s } },
        );
      }
      total += s[dim];
    });
    const out = [...first];
    out[dim] = total;
    const vs = ctx.values;
    // folded only within the per-value cap: Concat(v, v) repeated doubles a value at every step
    const foldable = vs.every((v) => v !== null) && mayFold(ctx, numel(out));
    // any rank (Swin's mask indices concat [49, 49, 1] values): per outer index, each input's block in turn
    const inner = numel(out.slice(dim + 1));
    const value = foldable
      ? { data: Array.from({ length: numel(out.slice(0, dim)) }, (_, o) => vs.flatMap((v, i) => v!.data.slice(o * ctx.inputs[i][dim] * inner, (o + 1) * ctx.inputs[i][dim] * inner))).flat(), integer: vs.every((v) => v!.integer) }
      : null;
    return { outputs: [out], values: [value], weights: [], cost: ZERO_COST, plan: { dim } };
  },
  receptiveField: (ctx) => concatRF(ctx, ctx.rf, ctx.inputs, ctx.plan.dim),
  run(ctx) {
    const { dim } = ctx.plan;
    const out = ctx.outputs[0];
    const inner = numel(out.slice(dim + 1));
    const outer = numel(out.slice(0, dim));
    const res = new Float32Array(numel(out));
    const outBlock = out[dim] * inner;
    let at = 0;
    for (const x of ctx.inputs) {
      const block = x.shape[dim] * inner;
      for (let o = 0; o < outer; o++) res.set(x.data.subarray(o * block, (o + 1) * block), o * outBlock + at);
      at += block;
    }
    return [tensor(out, res)];
  },
  vjp(ctx) {
    const { dim } = ctx.plan;
    const out = ctx.outputs[0];
    const g = gradOrZeros(ctx);
    const inner = numel(out.slice(dim + 1));
    const outer = numel(out.slice(0, dim));
    const outBlock = out[dim] * inner;
    let at = 0;
    return ctx.inputs.map((x) => {
      // input x owns columns [at, at + block) of every outer row
      const block = x.shape[dim] * inner;
      const gx = new Float32Array(outer * block);
      for (let o = 0; o < outer; o++) gx.set(g.subarray(o * outBlock + at, o * outBlock + at + block), o * block);
      at += block;
      return tensor(x.shape, gx);
    });
  },
};
