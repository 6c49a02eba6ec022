/**
 * The element-wise activation builder every point-wise activation uses (activation.ts,
 * activation-more.ts): output shape = input shape, `flopsPerElement` FLOPs per element, the
 * receptive field passes through, the kernel maps each element, and the VJP is g·f′(x) element by
 * element from the op's derivative.
 */
import type { z } from 'zod';
import { elementRate } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, VjpContext } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

export interface Elementwise<A> {
  name: string;
  summary: string;
  pytorch: string;
  attrs: z.ZodType<A>;
  flopsPerElement: number | ((a: A) => number);
  /** MAX_RUN_WORK units a run takes an element where the kernel is slower than its FLOPs say (Inferred.runWork; folding keeps the FLOPs): the op's measured rate. */
  runRate?: number;
  /** The function applied to every element, specialised once per call for the attributes. */
  fn: (a: A) => (x: number) => number;
  /**
   * The same function as a whole loop written out in the op's own source (the hot activations):
   * mapTensor's call f(d[i]) sees a different f for every op and turns megamorphic (relu was 25%
   * of a ResNet-50 forward), while a loop of its own stays monomorphic and inlines the arithmetic.
   * Must compute exactly what `fn` does (test/ops/activation.test.ts compares them).
   */
  kernel?: (a: A) => (x: Float32Array, out: Float32Array) => void;
  /** The VJP as a loop of its own, for the same reason (the ERF's reverse pass runs it per layer): out = g·f′(x). */
  gradKernel?: (a: A) => (x: Float32Array, y: Float32Array, g: Float32Array, out: Float32Array) => void;
  /**
   * dy/dx at input x with output y, specialised once per call: the VJP is g·dy/dx element by
   * element. At a kink it is the one PyTorch's autograd takes (stated per op).
   */
  grad: (a: A) => (x: number, y: number) => number;
  facts?: (a: A) => Record<string, unknown>;
  /** A float initializer it reads is a learned parameter (OpDef.foldsConstantOperands: clip of Swin V2's logit_scale). */
  foldsConstantOperands?: boolean;
}

export function mapTensor(x: Tensor, f: (v: number) => number): Tensor {
  const out = new Float32Array(x.data.length);
  const d = x.data;
  for (let i = 0; i < d.length; i++) out[i] = f(d[i]);
  return tensor(x.shape, out);
}

/** ∂L/∂output i as a flat array, or null when that output does not reach L (zeros). */
export function gradOutput(ctx: VjpContext<unknown, unknown>, i = 0): Float32Array | null {
  return ctx.gradOutputs[i]?.data ?? null;
}

export function elementwise<A>(d: Elementwise<A>): OpDef<A, null> {
  return {
    name: d.name,
    summary: d.summary,
    pytorch: d.pytorch,
    inputNames: ['x'],
    minInputs: 1,
    attrs: d.attrs,
    infer(ctx) {
      const x = ctx.inputs[0];
      const per = typeof d.flopsPerElement === 'number' ? d.flopsPerElement : d.flopsPerElement(ctx.attrs);
      return { outputs: [x], weights: [], cost: { ...ZERO_COST, elementwise: per * numel(x) }, ...elementRate(d.runRate, numel(x)), plan: null };
    },
    receptiveField: (ctx) => ctx.rf[0],
    fusesIntoConvEpilogue: true, // point-wise: a conv applies it to each output as it writes (analysis/deployed.ts)
    run(ctx) {
      const x = ctx.inputs[0];
      if (!d.kernel) return [mapTensor(x, d.fn(ctx.attrs))];
      const out = new Float32Array(x.data.length);
      d.kernel(ctx.attrs)(x.data, out);
      return [tensor(x.shape, out)];
    },
    // point-wise: each element is read before it is overwritten, so the kernel may write into its input
    runInPlace(ctx, target) {
      const x = ctx.inputs[target];
      if (d.kernel) d.kernel(ctx.attrs)(x.data, x.data);
      else {
        const f = d.fn(ctx.attrs);
        const v = x.data;
        for (let i = 0; i < v.length; i++) v[i] = f(v[i]);
      }
      return x;
    },
    vjp(ctx) {
      const x = ctx.inputs[0];
      const out = new Float32Array(x.data.length);
      const g = gradOutput(ctx);
      if (!g) return [tensor(x.shape, out)];
      if (d.gradKernel) {
        d.gradKernel(ctx.attrs)(x.data, ctx.forward[0].data, g, out);
        return [tensor(x.shape, out)];
      }
      const dy = d.grad(ctx.attrs);
      const [xd, yd] = [x.data, ctx.forward[0].data];
      for (let i = 0; i < xd.length; i++) out[i] = g[i] * dy(xd[i], yd[i]);
      return [tensor(x.shape, out)];
    },
    ...(d.facts ? { facts: d.facts } : {}),
    ...(d.foldsConstantOperands ? { foldsConstantOperands: true } : {}),
  };
}

