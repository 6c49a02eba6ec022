/**
 * Ops about a tensor rather than on its values: shape, cast and identity (ONNX Shape, Cast,
 * Identity; torch.Tensor.size, torch.Tensor.to, torch.nn.Identity). Exported graphs use them for
 * shape arithmetic (Shape → Gather → Concat → Reshape), which the analyzer folds to constants.
 *
 *   shape     y = x.shape[start:end] as a 1-D int64 tensor; start, end negative + rank, then
 *             clamped to [0, rank] (ONNX Shape-15)
 *   cast      y = x converted to `to`; integer types truncate toward zero, the kernel's bool is
 *             (x ≠ 0) (folded constants truncate); float types keep float32 values (convlens
 *             computes in float32)
 *   identity  y = x
 *
 * No arithmetic: zero FLOPs. shape's output has no receptive field; cast and identity pass it on.
 */
import { DTYPE_NAMES, holdsIntegers } from '../tensor/dtype.js';
import { converter } from '../tensor/cast.js';
import { z } from 'zod';
import { ConvlensError } from '../errors.js';
import { ZERO_COST } from './types.js';
import { mayFold } from './common.js';
import type { OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { castVjp, noGradient, reshapeVjp } from './vjp-plumbing.js';
import { READS_SHAPES_ONLY } from './types.js';

/** ONNX Shape's start/end: negative counts from the end, then clamped to [0, rank] (never an error). */
function shapeRange(shape: readonly number[], start: number | undefined, end: number | undefined): number[] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + shape.length : v, 0), shape.length);
  return shape.slice(clamp(start ?? 0), clamp(end ?? shape.length));
}

export const ShapeAttrs = z.strictObject({ start: z.number().int().optional(), end: z.number().int().optional() });
export const shape: OpDef<z.infer<typeof ShapeAttrs>, null> = {
  name: 'shape',
  summary: 'The shape of a tensor, as a 1-D int64 tensor (a constant once shapes are known)',
  pytorch: 'torch.Tensor.size',
  inputNames: ['data'],
  minInputs: 1,
  attrs: ShapeAttrs,
  infer(ctx) {
    const dims = shapeRange(ctx.inputs[0], ctx.attrs.start, ctx.attrs.end);
    return { outputs: [[dims.length]], values: [{ data: dims, integer: true }], weights: [], cost: ZERO_COST, plan: null };
  },
  receptiveField: () => null,
  run: (ctx) => [tensor(ctx.outputs[0], Float32Array.from(shapeRange(ctx.inputs[0].shape, ctx.attrs.start, ctx.attrs.end)))],
  vjp: noGradient,
};

/**
 * The element types: convlens's dtypes, and `other` for an ONNX type it does not hold (string,
 * complex): such a cast is analysed (the shape is kept) but cannot run, since no value of that type
 * exists here (it was passed through as floats).
 */
const CAST_TYPES = [...DTYPE_NAMES, 'other'] as const;
export const CastAttrs = z.strictObject({
  to: z.enum(CAST_TYPES, { error: `must be one of ${DTYPE_NAMES.join(', ')}` }).default('float32'),
});
export const cast: OpDef<z.infer<typeof CastAttrs>, null> = {
  name: 'cast',
  summary: 'Change the element type',
  pytorch: 'torch.Tensor.to',
  inputNames: ['input'],
  minInputs: 1,
  attrs: CastAttrs,
  infer(ctx) {
    const v = ctx.values[0];
    const integer = holdsIntegers(ctx.attrs.to);
    const to = ctx.attrs.to;
    const value = v && to !== 'other' && (!integer || mayFold(ctx, v.data.length)) ? { data: to === 'float64' ? v.data : v.data.map(converter(to)), integer } : null;
    return { outputs: [ctx.inputs[0]], values: [value], weights: [], cost: ZERO_COST, plan: null };
  },
  receptiveField: (ctx) => ctx.rf[0],
  run(ctx) {
    const x = ctx.inputs[0];
    const to = ctx.attrs.to;
    // at the attribute (put under the layer's path by runtime/execute.ts, atLayer)
    if (to === 'other') throw new ConvlensError('UNSUPPORTED_OPERATOR', 'a cast to an element type convlens does not hold (to "other": an ONNX string or complex type) cannot run', { path: '$.to' });
    // float32 and float64 hold every float32 value as it is; the rest round, wrap or saturate (tensor/cast.ts)
    if (to === 'float32' || to === 'float64') return [x];
    return [tensor(x.shape, x.data.map(converter(to)))];
  },
  vjp: castVjp,
};

export const identity: OpDef<Record<string, never>, null> = {
  foldsConstantOperands: true, // a weight read through it (torch's Linear as MatMul(x, Transpose(W)) unfolded) is a learned parameter
  vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
  returnsInputAtInference: true, // nn.Identity's forward is `return input` (types.ts)
  name: 'identity',
  summary: 'Pass the input through',
  pytorch: 'torch.nn.Identity',
  inputNames: ['input'],
  minInputs: 1,
  attrs: z.strictObject({}),
  infer: (ctx) => ({ outputs: [ctx.inputs[0]], values: [ctx.values[0]], weights: [], cost: ZERO_COST, plan: null }),
  receptiveField: (ctx) => ctx.rf[0],
  run: (ctx) => [ctx.inputs[0]],
  vjp: reshapeVjp,
};
