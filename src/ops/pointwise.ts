/**
 * Building blocks of the element-wise math and logic families (math.ts, logic.ts): a unary op
 * and an n-ary broadcasting op, each with its shape rule, its cost, its receptive-field rule, its
 * kernel and the folding of known values (ONNX shape arithmetic: Equal, Where, Mod … on int64
 * shape tensors fold to constants, so Reshape and Expand downstream see known targets).
 *
 *   unary      y = f(x), same shape; `flops` per element; the field passes through
 *   broadcast  y = f(x₀, x₁, …) under NumPy/ONNX broadcasting (broadcast.ts); `flops` per output
 *              element (a variadic Min of k inputs does k − 1 operations, so k − 1 times that);
 *              fields merge as add's do (mergeRF)
 *
 * Integer semantics: a folded value is `integer` when the op says so for its inputs' kinds
 * (a comparison is bool, so integer; Where takes its branches' kind); `f` is told whether every
 * input is integer, as ONNX's int64 Mod and Pow differ from the float ones, and an integer result
 * of mixed inputs is truncated (ONNX Pow's output has its base's type).
 * Kernels: one input maps in a flat loop; two walk the broadcast with nd.ts's strided loop; more
 * (where) read through one broadcast index array per input, never an allocation per element.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { mergeRF } from './receptive-field.js';
import { broadcastIndex } from './broadcast.js';
import { inferBroadcast } from './merge.js';
import { elementRate, mayFold } from './common.js';
import { MAX_FOLD_WORK } from '../limits.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, Intermediate, OpDef, Shape, TensorValue, VjpContext } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { binaryBroadcast } from '../tensor/nd.js';
import { sumToShape } from './vjp-kernels.js';
import type { Tensor } from '../tensor/tensor.js';

export interface UnaryDef<A> {
  name: string;
  summary: string;
  pytorch: string;
  attrs?: z.ZodType<A>;
  /** FLOPs per element, as the obvious implementation counts them. */
  flops: number;
  /** MAX_RUN_WORK units a run takes an element where the loop is slower than its FLOPs say (Inferred.runWork; folding keeps the FLOPs): the op's measured rate. */
  runRate?: number;
  /** The function, specialised once per call for the attributes; `integer` when folding an integer value. */
  fn: (a: A) => (x: number, integer: boolean) => number;
  /** Whether the result is integer given the input's kind (default: the same kind). */
  integerOut?: (integerIn: boolean) => boolean;
  /** dy/dx at input x with output y (PyTorch autograd's choice at a kink). */
  grad?: (a: A) => (x: number, y: number) => number;
  /** A bool output (logicalNot): the input gets no gradient (null), as PyTorch gives none. */
  boolOutput?: boolean;
}

/**
 * MAX_RUN_WORK units an element of the shared loops below, for an op that states no rate of its own:
 * each calls its op's function through one call site (abs, neg, floor, reciprocal 13–16 ns an
 * element of [1, 64, 56, 56] at load 5, beside sqrt's 18.9 at its rate 210; minimum 46, equal 22,
 * less 27 beside mod's 20 at 275: a review's timing, 2026-12-05, 2-vCPU AMD EPYC VM), in units of
 * about 0.3 ns (pool.ts). Without them, a 4096² chain of abs passed as the sqrt chain had.
 */
export const UNARY_LOOP_RATE = 150;
export const BROADCAST_LOOP_RATE = 275;

/** Element-wise y = f(x), folded when x is a known value. */
export function unaryOp<A = Record<string, never>>(d: UnaryDef<A>): OpDef<A, null> {
  const attrs = (d.attrs ?? z.strictObject({})) as z.ZodType<A>;
  const op: OpDef<A, null> = {
    name: d.name,
    summary: d.summary,
    pytorch: d.pytorch,
    inputNames: ['x'],
    minInputs: 1,
    attrs,
    infer(ctx) {
      const x = ctx.inputs[0];
      const v = ctx.values[0];
      let value: TensorValue | null = null;
      if (v && mayFold(ctx, v.data.length)) {
        const f = d.fn(ctx.attrs);
        value = { data: v.data.map((e) => f(e, v.integer)), integer: d.integerOut ? d.integerOut(v.integer) : v.integer };
      }
      return { outputs: [x], values: [value], weights: [], cost: { ...ZERO_COST, elementwise: d.flops * numel(x) }, ...elementRate(d.runRate ?? UNARY_LOOP_RATE, numel(x)), plan: null };
    },
    receptiveField: (ctx) => ctx.rf[0],
    run(ctx) {
      const x = ctx.inputs[0].data;
      const f = d.fn(ctx.attrs);
      const out = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) out[i] = f(x[i], false);
      return [tensor(ctx.inputs[0].shape, out)];
    },
  };
  if (d.boolOutput) op.vjp = (ctx: VjpContext<A, null>) => ctx.inputs.map(() => null);
  if (d.grad) {
    const grad = d.grad;
    op.vjp = (ctx: VjpContext<A, null>) => {
      const x = ctx.inputs[0];
      const out = new Float32Array(x.data.length);
      const g = ctx.gradOutputs[0]?.data;
      if (g) {
        const dy = grad(ctx.attrs);
        const y = ctx.forward[0].data;
        for (let i = 0; i < out.length; i++) out[i] = g[i] * dy(x.data[i], y[i]);
      }
      return [tensor(x.shape, out)];
    };
  }
  return op;
}

/**
 * For every output element, the flat index each input reads (broadcastIndex), or null for an
 * input of the output's own shape (read in place). One array per input, never per element.
 */
function sources(shapes: readonly Shape[], out: Shape): (Int32Array | null)[] {
  return shapes.map((s) => (readInPlace(s, out) ? null : broadcastIndex(s, out)));
}

/** An input of the output's own shape, read in place (sources gives it no index). */
const readInPlace = (s: Shape, out: Shape) => numel(s) === numel(out) && s.length === out.length;

/**
 * What broadcastOp's VJP allocates beside the gradients it returns (OpInferred.vjpIntermediates):
 * each differentiable input's gradient over the output's shape, all at once, before its sum to
 * the input's shape, and the index each broadcast input reads (sources: int32, one an output element).
 */
function broadcastVjpIntermediates(shapes: readonly Shape[], out: Shape, noGradient: readonly number[]): Intermediate[] {
  return [
    ...shapes.flatMap((_, i) => (noGradient.includes(i) ? [] : [{ shape: out, what: `input ${i}'s gradient over the output's shape ${fmtShape(out)}, before its sum to its own` }])),
    ...shapes.flatMap((s, i) => (readInPlace(s, out) ? [] : [{ shape: out, what: `the element input ${i} ${fmtShape(s)} reads at each output (int32)` }])),
  ];
}

/** Evaluates f over broadcast inputs: the fold of known values and, on Float32Arrays, the kernel. */
export function broadcastApply(
  data: readonly ArrayLike<number>[],
  shapes: readonly Shape[],
  out: Shape,
  f: (args: number[]) => number,
  into: { [i: number]: number; length: number },
): void {
  const from = sources(shapes, out);
  const args = new Array<number>(data.length).fill(0);
  for (let k = 0; k < into.length; k++) {
    for (let i = 0; i < data.length; i++) {
      const idx = from[i];
      args[i] = data[i][idx ? idx[k] : k];
    }
    into[k] = f(args);
  }
}

export interface BroadcastDef<A> {
  name: string;
  summary: string;
  pytorch: string;
  inputNames: readonly string[];
  /** Min and Max take any number of inputs (≥ 1), folded left to right. */
  variadic?: boolean;
  minInputs?: number;
  attrs?: z.ZodType<A>;
  /** FLOPs per output element per operation (a variadic op of k inputs does k − 1 operations). */
  flops: number;
  /** MAX_RUN_WORK units a run takes an output element where the loop is slower than its FLOPs say (Inferred.runWork; folding keeps the FLOPs): the op's measured rate. */
  runRate?: number;
  /** The function of all inputs' elements; `integer` when every input is integer (ONNX's int64 semantics). */
  fn: (a: A) => (args: number[], integer: boolean) => number;
  /** Whether the result is integer, given each input's kind (default: all inputs integer). */
  integerOut?: (integerIn: boolean[]) => boolean;
  /** Operand values read as learned parameters when an imported node reads a float initializer (Pow's exponent is not). */
  foldsConstantOperands?: boolean;
  /**
   * ∂y/∂x_i at one output element (its inputs' elements and y), written into `into` for every
   * input; inputs listed in `noGradient` (where's condition) get none. Absent: the output is not
   * differentiable (a comparison): every input gradient is null, as PyTorch's bool outputs have none.
   */
  partials?: (a: A) => (args: number[], y: number, into: number[]) => void;
  noGradient?: readonly number[];
}

/** The fold of a broadcasting op on known inputs, bounded in size and in work (MAX_FOLD_WORK). */
export function foldBroadcast<A>(
  ctx: InferContext<A>,
  out: Shape,
  f: (args: number[], integer: boolean) => number,
  integerOut: (integerIn: boolean[]) => boolean,
): TensorValue | null {
  const vs = ctx.values;
  const n = numel(out);
  if (vs.length < ctx.inputs.length || vs.some((v) => v === null) || !mayFold(ctx, n) || n * vs.length > MAX_FOLD_WORK) return null;
  const kinds = vs.map((v) => v!.integer);
  const integer = kinds.every(Boolean);
  const data = new Array<number>(n);
  broadcastApply(
    vs.map((v) => v!.data),
    ctx.inputs,
    out,
    (args) => f(args, integer),
    data,
  );
  const integerResult = integerOut(kinds);
  // an integer result of mixed inputs (Pow of an int64 base by a float exponent) holds integers, as ONNX's output type does
  if (integerResult && !integer) for (let k = 0; k < n; k++) data[k] = Math.trunc(data[k]);
  return { data, integer: integerResult };
}

/** Element-wise op over broadcast inputs (NumPy rules), folded when every input is known. */
export function broadcastOp<A = Record<string, never>>(d: BroadcastDef<A>): OpDef<A, null> {
  const attrs = (d.attrs ?? z.strictObject({})) as z.ZodType<A>;
  const integerOut = d.integerOut ?? ((k: boolean[]) => k.every(Boolean));
  return {
    name: d.name,
    summary: d.summary,
    pytorch: d.pytorch,
    inputNames: d.inputNames,
    minInputs: d.minInputs ?? d.inputNames.length,
    ...(d.variadic ? { variadic: true } : {}),
    ...(d.foldsConstantOperands ? { foldsConstantOperands: true } : {}),
    attrs,
    infer(ctx) {
      const out = inferBroadcast(ctx);
      const ops = d.variadic ? ctx.inputs.length - 1 : 1;
      return {
        outputs: [out],
        values: [foldBroadcast(ctx, out, d.fn(ctx.attrs), integerOut)],
        weights: [],
        cost: { ...ZERO_COST, elementwise: d.flops * ops * numel(out) },
        ...elementRate(d.runRate ?? BROADCAST_LOOP_RATE, numel(out)),
        plan: null,
        ...(d.partials ? { vjpIntermediates: broadcastVjpIntermediates(ctx.inputs, out, d.noGradient ?? []) } : {}),
      };
    },
    receptiveField: (ctx) => mergeRF(ctx.layer, ctx.rf, ctx.warn, ctx.inputs),
    run(ctx) {
      const out = ctx.outputs[0];
      const f = d.fn(ctx.attrs);
      if (ctx.inputs.length === 2) {
        // nd.ts's strided walk (no index arrays); the pair goes through one reused argument array
        const pair = [0, 0];
        return [
          binaryBroadcast(ctx.inputs[0], ctx.inputs[1], out, (a, b) => {
            pair[0] = a;
            pair[1] = b;
            return f(pair, false);
          }),
        ];
      }
      const res = new Float32Array(numel(out));
      broadcastApply(
        ctx.inputs.map((t: Tensor) => t.data),
        ctx.inputs.map((t: Tensor) => t.shape),
        out,
        (args) => f(args, false),
        res,
      );
      return [tensor(out, res)];
    },
    vjp(ctx) {
      const ins = ctx.inputs;
      if (!d.partials) return ins.map(() => null);
      const out = ctx.outputs[0];
      const n = numel(out);
      const g = ctx.gradOutputs[0]?.data;
      const noGrad = new Set(d.noGradient ?? []);
      // each input's gradient over the output shape, then summed over its broadcast dims
      const full = ins.map((_, i) => (noGrad.has(i) ? null : new Float32Array(n)));
      if (g) {
        const partial = d.partials(ctx.attrs);
        const from = sources(ins.map((t: Tensor) => t.shape), out);
        const args = new Array<number>(ins.length).fill(0);
        const into = new Array<number>(ins.length).fill(0);
        const y = ctx.forward[0].data;
        for (let k = 0; k < n; k++) {
          if (g[k] === 0) continue;
          for (let i = 0; i < ins.length; i++) args[i] = ins[i].data[from[i] ? from[i]![k] : k];
          partial(args, y[k], into);
          for (let i = 0; i < ins.length; i++) if (full[i]) full[i]![k] = g[k] * into[i];
        }
      }
      return full.map((f, i) => (f ? sumToShape(f, out, ins[i].shape) : null));
    },
  };
}
