/**
 * The index of the extreme along a dimension (ONNX ArgMax, ArgMin; torch.argmax, argmin).
 *
 *   argMax/argMin: the index along `dim` of the first extreme (the last with selectLastIndex; NaN
 *   is the extreme, as torch.argmax: the first NaN, or the last one);
 *   without `dim`, of the flattened input (torch); keepDim leaves a size-1 dim
 *
 * Over an empty dim there is no index to give, in ONNX or torch ("Expected reduction dim 0 to have
 * non-zero size"): INVALID_ATTRIBUTE naming it; over the flattened input of no elements
 * NON_POSITIVE_SIZE naming its shape. FLOPs: numel(x) − numel(y) comparisons (n − 1 an output).
 * Known values fold. Receptive field: reduction.ts reducedRF, as the reductions'.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { normalizeAxis } from './axes.js';
import { mayFold } from './common.js';
import { reducedRF } from './reduction.js';
import type { ReducePlan } from './reduction.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, Shape, TensorValue } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { noGradient } from './vjp-plumbing.js';

export const ArgAttrs = z.strictObject({ dim: z.number().int().optional(), keepDim: z.boolean().default(false), selectLastIndex: z.boolean().default(false) });
export type ArgAttrs = z.infer<typeof ArgAttrs>;
interface ArgPlan extends ReducePlan {
  /** The axis searched; −1 for the flattened input. */
  dim: number;
}

/** Index along `dim` (or of the flattened input) of the first (last) extreme; NaN counts as the extreme, as torch. */
function argData(data: ArrayLike<number>, shape: Shape, dim: number, last: boolean, better: (x: number, best: number) => boolean): Float64Array {
  const size = dim < 0 ? data.length : shape[dim];
  const inner = dim < 0 ? 1 : numel(shape.slice(dim + 1));
  const outer = dim < 0 ? 1 : numel(shape.slice(0, dim));
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let best = data[base];
      let at = 0;
      for (let k = 1; k < size; k++) {
        const x = data[base + k * inner];
        // NaN is the extreme (PyTorch): the first NaN, or with selectLastIndex the last one
        if (Number.isNaN(best)) {
          if (!last) break;
          if (Number.isNaN(x)) at = k;
          continue;
        }
        if (better(x, best) || Number.isNaN(x) || (last && x === best)) {
          best = x;
          at = k;
        }
      }
      out[o * inner + i] = at;
    }
  }
  return out;
}

/**
 * MAX_RUN_WORK units a run of argMax or argMin takes an input element (Inferred.runWork): argData's
 * loop calls its comparison through a closure the two ops share, and ran at 3.3–4.5 ns an element
 * along the channels of [1, 256, 56, 56], 15–23 for argMin beside argMax, 25–42 over a flattened
 * [2048, 2048] (bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC, load 11–16), where it was counted
 * 1 a comparison; units of about 0.3 ns (pool.ts).
 */
export const ARG_ELEMENT = 100;

function argReduction(name: string, pytorch: string, what: string, better: (x: number, best: number) => boolean): OpDef<ArgAttrs, ArgPlan> {
  return {
    name,
    summary: `Index of the ${what} along a dimension (of the flattened input without one)`,
    pytorch,
    inputNames: ['data'],
    minInputs: 1,
    attrs: ArgAttrs,
    infer(ctx) {
      const x = ctx.inputs[0];
      const dim = ctx.attrs.dim === undefined ? -1 : normalizeAxis(ctx, ctx.attrs.dim, x.length, 'dim');
      if (dim >= 0 && x[dim] === 0) ctx.fail('INVALID_ATTRIBUTE', `${name} over dim ${dim} of size 0 in ${fmtShape(x)}`, 'dim');
      if (dim < 0 && numel(x) === 0) {
        ctx.fail('NON_POSITIVE_SIZE', `${name} of the flattened input ${fmtShape(x)}, which has no elements: no index to pick (${pytorch} raises: Expected reduction dim to be specified for input.numel() == 0)`, 'inputs', { shapes: { data: x } });
      }
      const axes = dim < 0 ? x.map((_, i) => i) : [dim];
      const out = dim < 0 && !ctx.attrs.keepDim ? [] : ctx.attrs.keepDim ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => i !== dim);
      const v = ctx.values[0];
      const value: TensorValue | null = v && mayFold(ctx, numel(out)) ? { data: Array.from(argData(v.data, x, dim, ctx.attrs.selectLastIndex, better)), integer: true } : null;
      // n − 1 comparisons per output (empty inputs and axes are refused above, so never negative)
      return { outputs: [out], values: [value], weights: [], cost: { ...ZERO_COST, elementwise: numel(x) - numel(out) }, runWork: ARG_ELEMENT * numel(x), plan: { dim, axes } };
    },
    receptiveField: (ctx) => reducedRF({ ...ctx, attrs: { keepDims: ctx.attrs.keepDim } }),
    run(ctx) {
      const x = ctx.inputs[0];
      return [tensor(ctx.outputs[0], Float32Array.from(argData(x.data, x.shape, ctx.plan.dim, ctx.attrs.selectLastIndex, better)))];
    },
    vjp: noGradient,
  };
}

export const argMax = argReduction('argMax', 'torch.argmax', 'maximum', (x, best) => x > best);
export const argMin = argReduction('argMin', 'torch.argmin', 'minimum', (x, best) => x < best);
