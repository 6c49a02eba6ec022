/**
 * softmax and logSoftmax along one dim (output shape = input shape). Each row along `dim` is
 * shifted by its max first, as PyTorch does, so exp never overflows.
 *   softmax     y = exp(x − m) / Σ exp(x − m)                 m = max along dim
 *   logSoftmax  y = x − m − log Σ exp(x − m)
 * FLOPs per element: softmax 5 (max, subtract, exp, sum, divide); logSoftmax 5 (max, subtract,
 * exp, sum, subtract; the log once per row is not counted, as the row's divide is not).
 * Receptive field: passes through over channels (per position); along a spatial dim of the field
 * (or, coerced to 2-D, from one on) every output reads the whole row's sum: global.
 * VJPs, from the forward output y and g = ∂L/∂y:
 *   softmax     ∂L/∂x = y·(g − Σ_dim g·y)
 *   logSoftmax  ∂L/∂x = g − exp(y)·Σ_dim g
 */
import { z } from 'zod';
import { normalizeAxis } from './axes.js';
import { globalOver } from './receptive-field.js';
import { gradOutput } from './activation-kit.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, RunContext, Shape } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

/** FLOPs per element of both (see the header). */
const FLOPS_PER_ELEMENT = 5;

export const SoftmaxAttrs = z.strictObject({
  dim: z.number().int().default(1),
  /** ONNX Softmax/LogSoftmax before opset 13: the input coerced to 2-D at dim, normalised over all of dims [dim, rank) at once. */
  coerce2d: z.boolean().default(false),
});
type SoftmaxAttrs = z.infer<typeof SoftmaxAttrs>;
interface Plan {
  /** The tensor as [outer, size, inner]; a row is the size elements at stride inner. */
  size: number;
  inner: number;
}

/**
 * Calls `row(base, inner, size)` for every row of a tensor of this shape: the row's elements sit
 * at base, base + inner, …, base + (size − 1)·inner.
 */
function eachRow(shape: Shape, p: Plan, row: (base: number, inner: number, size: number) => void): void {
  const { size, inner } = p;
  const outer = numel(shape) / Math.max(1, size * inner);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) row(o * size * inner + i, inner, size);
}

/** The row's max m and Σ exp(x − m), with exp(x − m) written to `out` when given. */
function shiftedExp(x: Float32Array, base: number, inner: number, size: number, out: Float32Array | null): { max: number; sum: number } {
  const end = base + size * inner;
  let max = -Infinity;
  for (let at = base; at < end; at += inner) max = Math.max(max, x[at]);
  let sum = 0;
  for (let at = base; at < end; at += inner) {
    const e = Math.exp(x[at] - max);
    if (out) out[at] = e;
    sum += e;
  }
  return { max, sum };
}

/**
 * MAX_RUN_WORK units a run takes an element (Inferred.runWork): shiftedExp's strided walk, then the
 * row's divide (softmax) or log and subtract (logSoftmax). bench/op-rates.ts, 2026-12-05, 2 vCPU AMD
 * EPYC, load 9–12: softmax 16.7–21 ns an element of [1024, 1000] or [1, 256, 56, 56] along dim 1,
 * logSoftmax 16.7–41.8 of [1024, 1000]; in units of about 0.3 ns (pool.ts).
 */
const SOFTMAX_ELEMENT = 70;
const LOG_SOFTMAX_ELEMENT = 140;

function along(name: string, summary: string, pytorch: string, rate: number, run: (ctx: RunContext<SoftmaxAttrs, Plan>) => Tensor[], vjp: OpDef<SoftmaxAttrs, Plan>['vjp']): OpDef<SoftmaxAttrs, Plan> {
  return {
    name,
    summary,
    pytorch,
    inputNames: ['x'],
    minInputs: 1,
    attrs: SoftmaxAttrs,
    infer(ctx) {
      const x = ctx.inputs[0];
      // PyTorch wraps a 0-d tensor's dim as a rank-1 tensor's (−1 or 0): one row of one element, softmax 1
      if (x.length === 0 && ctx.attrs.dim !== 0 && ctx.attrs.dim !== -1) ctx.fail('INVALID_ATTRIBUTE', `dim=${ctx.attrs.dim} is out of range for a 0-d input (input []): valid values are -1…0`, 'dim');
      const rows = x.length === 0 ? [1] : x;
      const dim = normalizeAxis(ctx, ctx.attrs.dim, rows.length, 'dim');
      const plan = ctx.attrs.coerce2d ? { size: numel(rows.slice(dim)), inner: 1 } : { size: rows[dim], inner: numel(rows.slice(dim + 1)) };
      return { outputs: [x], weights: [], cost: { ...ZERO_COST, elementwise: FLOPS_PER_ELEMENT * numel(x) }, runWork: rate * numel(x), plan };
    },
    receptiveField(ctx) {
      // normalising along a spatial axis mixes all of it (every output reads the row's sum): global
      const x = ctx.inputs[0];
      const dim = ((ctx.attrs.dim % x.length) + x.length) % x.length;
      const rf = ctx.rf[0];
      return rf && rf.dims.some((d) => (ctx.attrs.coerce2d ? d >= dim : d === dim)) ? globalOver(rf, x) : rf;
    },
    fusesIntoConvEpilogue: false, // not point-wise: it needs the whole of dim before writing one output
    run,
    vjp,
  };
}

// a learned tensor normalised (BiFPN's softmax fusion weights, softmax(w)) is read by Softmax alone
export const softmax: OpDef<SoftmaxAttrs, Plan> = { ...along(
  'softmax',
  'exp(x) / Σ exp(x) along dim',
  'torch.nn.Softmax',
  SOFTMAX_ELEMENT,
  (ctx) => {
    const x = ctx.inputs[0];
    const out = new Float32Array(x.data.length);
    eachRow(x.shape, ctx.plan, (base, inner, size) => {
      const { sum } = shiftedExp(x.data, base, inner, size, out);
      for (let k = 0, at = base; k < size; k++, at += inner) out[at] /= sum;
    });
    return [tensor(x.shape, out)];
  },
  (ctx) => {
    const x = ctx.inputs[0];
    const out = new Float32Array(x.data.length);
    const g = gradOutput(ctx);
    if (!g) return [tensor(x.shape, out)];
    const y = ctx.forward[0].data;
    eachRow(x.shape, ctx.plan, (base, inner, size) => {
      let dot = 0;
      for (let k = 0, at = base; k < size; k++, at += inner) dot += g[at] * y[at];
      for (let k = 0, at = base; k < size; k++, at += inner) out[at] = y[at] * (g[at] - dot);
    });
    return [tensor(x.shape, out)];
  },
), foldsConstantOperands: true };

export const logSoftmax = along(
  'logSoftmax',
  'x − log Σ exp(x) along dim (log of softmax, computed stably)',
  'torch.nn.LogSoftmax',
  LOG_SOFTMAX_ELEMENT,
  (ctx) => {
    const x = ctx.inputs[0];
    const out = new Float32Array(x.data.length);
    eachRow(x.shape, ctx.plan, (base, inner, size) => {
      const { max, sum } = shiftedExp(x.data, base, inner, size, null);
      // (x − m) − log Σ, as the header: x − (m + log Σ) rounds m + log Σ at m's magnitude (1e12:
      // log 3 kept to 1.2e-4; 3e38: log 2 lost entirely)
      const logSum = Math.log(sum);
      for (let k = 0, at = base; k < size; k++, at += inner) out[at] = x.data[at] - max - logSum;
    });
    return [tensor(x.shape, out)];
  },
  (ctx) => {
    const x = ctx.inputs[0];
    const out = new Float32Array(x.data.length);
    const g = gradOutput(ctx);
    if (!g) return [tensor(x.shape, out)];
    const y = ctx.forward[0].data;
    eachRow(x.shape, ctx.plan, (base, inner, size) => {
      let sum = 0;
      for (let k = 0, at = base; k < size; k++, at += inner) sum += g[at];
      for (let k = 0, at = base; k < size; k++, at += inner) out[at] = g[at] - Math.exp(y[at]) * sum;
    });
    return [tensor(x.shape, out)];
  },
);
