/**
 * Data movement: reshape, transpose, squeeze, unsqueeze and expand. Values are never changed, only
 * rearranged (transpose), re-viewed (reshape, squeeze, unsqueeze: the same buffer under a new
 * shape) or repeated (expand). Semantics are ONNX's (opsets 11–18, onnx.ai/onnx/operators);
 * parameters come from attributes or, as in newer opsets, from constant inputs.
 *
 *   reshape    ONNX Reshape / torch.reshape: 0 copies the input dim (unless allowZero), one −1 is
 *              inferred as numel(x) / ∏(the others); numel must be unchanged
 *   transpose  ONNX Transpose / torch.permute: y.shape[i] = x.shape[perm[i]], default perm reverses
 *   squeeze    ONNX Squeeze / torch.squeeze: removes the given size-1 axes (all size-1 axes if none)
 *   unsqueeze  ONNX Unsqueeze / torch.unsqueeze: inserts size-1 dims at the given axes of the
 *              output (axes ∈ [−r′, r′ − 1], r′ = rank + number of axes)
 *   expand     ONNX Expand / torch.Tensor.expand: y = x broadcast with the target shape (NumPy
 *              rules in both directions, so a target dim of 1 keeps x's)
 *
 * No arithmetic: zero FLOPs. Receptive fields follow the spatial axes wherever they move; a
 * reshape that splits one keeps the field on its outer part (a window of the split factor), one
 * that merges it with another dim makes the field global (receptive-reshape.ts reshapeRF).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { expandRF, moveDims } from './receptive-field.js';
import { reshapeRF } from './receptive-reshape.js';
import { broadcastShapes, broadcastValue } from './broadcast.js';
import { distinctAxes, normalizeAxis } from './axes.js';
import { IntList, attrOrConstant, mayFold, sameData } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, TensorValue } from './types.js';
import { broadcastTo, permute } from '../tensor/nd.js';
import { foldMovement } from './fold-movement.js';
import { expandVjp, reshapeVjp, transposeVjp } from './vjp-plumbing.js';
import { READS_SHAPES_ONLY } from './types.js';

export const ReshapeAttrs = z.strictObject({ shape: IntList.optional(), allowZero: z.boolean().default(false) });
export const reshape: OpDef<z.infer<typeof ReshapeAttrs>, null> = {
  foldsConstantOperands: true, // a weight read through it (torch's Linear as MatMul(x, Transpose(W)) unfolded) is a learned parameter
  vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
  reView: true, // the same buffer under a new shape: no element read or written (types.ts)
  name: 'reshape',
  summary: 'Reshape (ONNX rules: 0 copies the input dimension, −1 is inferred)',
  pytorch: 'torch.reshape',
  inputNames: ['data', 'shape'],
  minInputs: 1,
  attrs: ReshapeAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const target = attrOrConstant(ctx, ctx.attrs.shape, 1, 'shape', true)!;
    const total = numel(x);
    let unknownAt = -1;
    const out = target.map((d, i) => {
      if (d === 0 && !ctx.attrs.allowZero) return x[i];
      if (d === -1) {
        if (unknownAt >= 0) ctx.fail('INVALID_ATTRIBUTE', `shape [${target.join(', ')}] has two −1 entries`, 'shape');
        unknownAt = i;
        return 1;
      }
      return d;
    });
    const known = numel(out);
    if (unknownAt >= 0) out[unknownAt] = known === 0 ? 0 : total / known;
    if (numel(out) !== total || !Number.isInteger(out[unknownAt] ?? 0)) {
      ctx.fail('SHAPE_MISMATCH', `cannot reshape ${fmtShape(x)} (${total} elements) to [${target.join(', ')}]`, 'shape', { shapes: { data: x } });
    }
    return { outputs: [out], values: [ctx.values[0]], weights: [], cost: ZERO_COST, plan: null };
  },
  receptiveField: (ctx) => reshapeRF(ctx.rf[0], ctx.inputs[0], ctx.outputs[0]),
  run: sameData,
  returnsInputData: true,
  vjp: reshapeVjp,
};

export const TransposeAttrs = z.strictObject({ perm: IntList.optional() });
/**
 * MAX_RUN_WORK units a run of transpose takes an element (Inferred.runWork): permute's strided
 * gather. bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC, load 9–12: [2048, 2048] swapped 5.6–16 ns
 * an element, [1, 256, 56, 56] to channels-last 3.1–58; in units of about 0.3 ns (pool.ts).
 */
const TRANSPOSE_ELEMENT = 50;

export const transpose: OpDef<z.infer<typeof TransposeAttrs>, { perm: number[] }> = {
  foldsConstantOperands: true, // a weight read through it (torch's Linear as MatMul(x, Transpose(W)) unfolded) is a learned parameter
  vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
  name: 'transpose',
  summary: 'Permute dimensions (default: reverse them)',
  pytorch: 'torch.permute',
  inputNames: ['data'],
  minInputs: 1,
  attrs: TransposeAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const perm = ctx.attrs.perm ?? x.map((_, i) => x.length - 1 - i);
    if (perm.length !== x.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
      ctx.fail('INVALID_ATTRIBUTE', `perm [${perm.join(', ')}] is not a permutation of ${x.length} dims`, 'perm', { shapes: { data: x } });
    }
    const v = ctx.values[0];
    let value: TensorValue | null = null;
    if (v && x.length <= 1) value = v;
    else if (v && mayFold(ctx, v.data.length)) value = foldMovement(v, x, (t) => permute(t, perm));
    return { outputs: [perm.map((p) => x[p])], values: [value], weights: [], cost: ZERO_COST, runWork: TRANSPOSE_ELEMENT * numel(x), plan: { perm } };
  },
  receptiveField: (ctx) => moveDims(ctx.rf[0], (d) => ctx.plan.perm.indexOf(d)),
  run: (ctx) => [permute(ctx.inputs[0], ctx.plan.perm)],
  vjp: transposeVjp,
};

const AxesAttrs = z.strictObject({ axes: IntList.optional() });

export const squeeze: OpDef<z.infer<typeof AxesAttrs>, { removed: number[] }> = {
  foldsConstantOperands: true, // a weight read through it (torch's Linear as MatMul(x, Transpose(W)) unfolded) is a learned parameter
  reView: true, // the same buffer under a new shape: no element read or written (types.ts)
  name: 'squeeze',
  summary: 'Remove size-1 dimensions (all of them, or the given axes)',
  pytorch: 'torch.squeeze',
  inputNames: ['data', 'axes'],
  minInputs: 1,
  attrs: AxesAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const given = attrOrConstant(ctx, ctx.attrs.axes, 1, 'axes', false);
    const removed = given ? distinctAxes(ctx, given, x.length, 'axes') : x.flatMap((d, i) => (d === 1 ? [i] : []));
    for (const a of removed) if (x[a] !== 1) ctx.fail('SHAPE_MISMATCH', `cannot squeeze axis ${a} of size ${x[a]} in ${fmtShape(x)}`, 'axes');
    return { outputs: [x.filter((_, i) => !removed.includes(i))], values: [ctx.values[0]], weights: [], cost: ZERO_COST, plan: { removed } };
  },
  receptiveField: (ctx) => moveDims(ctx.rf[0], (d) => (ctx.plan.removed.includes(d) ? -1 : d - ctx.plan.removed.filter((r) => r < d).length)),
  run: sameData,
  returnsInputData: true,
  vjp: reshapeVjp,
};

export const unsqueeze: OpDef<z.infer<typeof AxesAttrs>, { inserted: number[] }> = {
  foldsConstantOperands: true, // a weight read through it (torch's Linear as MatMul(x, Transpose(W)) unfolded) is a learned parameter
  reView: true, // the same buffer under a new shape: no element read or written (types.ts)
  name: 'unsqueeze',
  summary: 'Insert size-1 dimensions at the given axes of the output',
  pytorch: 'torch.unsqueeze',
  inputNames: ['data', 'axes'],
  minInputs: 1,
  attrs: AxesAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const given = attrOrConstant(ctx, ctx.attrs.axes, 1, 'axes', true)!;
    // the axes index the output, whose rank counts the inserted dims
    const rank = x.length + given.length;
    const inserted = given.map((a) => normalizeAxis(ctx, a, rank, 'axes')).sort((a, b) => a - b);
    // two axes naming one output dim (−2 and 1 of a rank-3 output) would leave a dim unfilled
    const twice = inserted.find((a, i) => i > 0 && inserted[i - 1] === a);
    if (twice !== undefined) ctx.fail('INVALID_ATTRIBUTE', `axes [${given.join(', ')}] name output dim ${twice} twice (of a rank-${rank} output); each axis may be given once`, 'axes', { shapes: { data: x } });
    const out: number[] = [];
    for (let i = 0, k = 0; i < rank; i++) out.push(inserted.includes(i) ? 1 : x[k++]);
    return { outputs: [out], values: [ctx.values[0]], weights: [], cost: ZERO_COST, plan: { inserted } };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    if (!rf) return rf;
    const kept: number[] = [];
    for (let i = 0; i < ctx.outputs[0].length; i++) if (!ctx.plan.inserted.includes(i)) kept.push(i);
    return moveDims(rf, (d) => kept[d]);
  },
  run: sameData,
  returnsInputData: true,
  vjp: reshapeVjp,
};

export const expand: OpDef<Record<string, never>, null> = {
  name: 'expand',
  summary: 'Broadcast to a shape (bidirectional, NumPy rules)',
  pytorch: 'torch.Tensor.expand',
  inputNames: ['input', 'shape'],
  minInputs: 2,
  // a float initializer expanded is a learned tensor (ViT's class token, expanded over the batch)
  foldsConstantOperands: true,
  attrs: z.strictObject({}),
  infer(ctx) {
    const x = ctx.inputs[0];
    const target = attrOrConstant(ctx, undefined, 1, 'shape', true)!;
    // a target dim is a size: ONNX Expand has no -1 (a size-1 input dim would otherwise broadcast to it)
    const bad = target.find((d) => !(Number.isInteger(d) && d >= 0));
    if (bad !== undefined) {
      return ctx.fail('INVALID_ATTRIBUTE', `cannot expand ${fmtShape(x)} to [${target.join(', ')}]: ${bad} is not a size`, 'inputs', { shapes: { input: x } });
    }
    const out = broadcastShapes([x, target]);
    if (!out) return ctx.fail('SHAPE_MISMATCH', `cannot expand ${fmtShape(x)} to [${target.join(', ')}]`, 'inputs', { shapes: { input: x } });
    const v = ctx.values[0];
    const value = v && mayFold(ctx, numel(out)) ? broadcastValue(v, x, out) : null;
    return { outputs: [out], values: [value], weights: [], cost: ZERO_COST, plan: null };
  },
  // a local field along an expanded axis: every unit reads the one box (stride 0, expandRF)
  receptiveField: (ctx) => expandRF(moveDims(ctx.rf[0], (d) => d + ctx.outputs[0].length - ctx.inputs[0].length), ctx.inputs[0], ctx.outputs[0]),
  run: (ctx) => [broadcastTo(ctx.inputs[0], ctx.outputs[0])],
  vjp: expandVjp,
};
