/**
 * add and concat: where paths meet (ResNet shortcuts; Inception and DenseNet).
 * PyTorch: torch.add (broadcasting, NumPy rules) and torch.cat.
 *   add, mul, sub, div: (inputs − 1) operations per output element
 *   concat: same shape except along `dim`; a copy, no arithmetic
 * Receptive fields merge: the largest is kept, misaligned paths are reported (Araujo et al.).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { mergeRF } from './receptive-field.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, OpDef, Shape } from './types.js';

/** NumPy/ONNX multidirectional broadcasting; null when the shapes are incompatible. */
export function broadcastShapes(shapes: readonly Shape[]): number[] | null {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) return null;
    }
  }
  return out;
}

export function inferBroadcast<A>(ctx: InferContext<A>): number[] {
  const out = broadcastShapes(ctx.inputs);
  if (!out) {
    ctx.fail(
      'SHAPE_MISMATCH',
      `layer '${ctx.layer}': cannot broadcast input shapes ${ctx.inputs.map(fmtShape).join(' and ')}`,
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
}

/** Element-wise arithmetic with broadcasting: (inputs − 1) operations per output element. */
function arithmetic(d: Arithmetic): OpDef<Record<string, never>, null> {
  return {
    name: d.name,
    summary: d.summary,
    pytorch: d.pytorch,
    inputNames: ['a', 'b'],
    minInputs: 2,
    variadic: d.variadic,
    attrs: z.strictObject({}),
    infer(ctx) {
      const out = inferBroadcast(ctx);
      return { outputs: [out], weights: [], cost: { ...ZERO_COST, elementwise: (ctx.inputs.length - 1) * numel(out) }, plan: null };
    },
    receptiveField: (ctx) => mergeRF(ctx.layer, ctx.rf, ctx.warn),
  };
}

export const add = arithmetic({ name: 'add', summary: 'Element-wise sum of two or more tensors, with broadcasting (residual shortcuts)', pytorch: 'torch.add', variadic: true });
export const mul = arithmetic({ name: 'mul', summary: 'Element-wise product with broadcasting (squeeze-excitation scaling, gating)', pytorch: 'torch.mul', variadic: true });
export const sub = arithmetic({ name: 'sub', summary: 'Element-wise a − b with broadcasting', pytorch: 'torch.sub', variadic: false });
export const div = arithmetic({ name: 'div', summary: 'Element-wise a / b with broadcasting', pytorch: 'torch.div', variadic: false });

export const ConcatAttrs = z.strictObject({ dim: z.number().int().default(1) });
export type ConcatAttrs = z.infer<typeof ConcatAttrs>;

export const concat: OpDef<z.infer<typeof ConcatAttrs>, { dim: number }> = {
  name: 'concat',
  summary: 'Concatenation along a dimension (channels by default)',
  pytorch: 'torch.cat',
  inputNames: ['a', 'b'],
  minInputs: 1,
  variadic: true,
  attrs: ConcatAttrs,
  infer(ctx) {
    const first = ctx.inputs[0];
    const dim = ctx.attrs.dim < 0 ? ctx.attrs.dim + first.length : ctx.attrs.dim;
    if (dim < 0 || dim >= first.length) {
      ctx.fail('INVALID_ATTRIBUTE', `layer '${ctx.layer}': dim=${ctx.attrs.dim} is out of range for input ${fmtShape(first)}`, 'dim', { shapes: { input0: first } });
    }
    let total = 0;
    ctx.inputs.forEach((s, i) => {
      const bad = s.length !== first.length || s.some((d, k) => k !== dim && d !== first[k]);
      if (bad) {
        ctx.fail(
          'SHAPE_MISMATCH',
          `layer '${ctx.layer}': input ${i} ${fmtShape(s)} does not match input 0 ${fmtShape(first)} outside dim ${dim}`,
          'inputs',
          { shapes: { input0: first, [`input${i}`]: s } },
        );
      }
      total += s[dim];
    });
    const out = [...first];
    out[dim] = total;
    return { outputs: [out], weights: [], cost: ZERO_COST, plan: { dim } };
  },
  receptiveField: (ctx) => mergeRF(ctx.layer, ctx.rf, ctx.warn),
};
