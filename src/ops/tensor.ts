/**
 * Tensor plumbing that imported graphs are full of: reshape, transpose, split, slice, pad,
 * squeeze, unsqueeze, expand, gather, shape, cast, identity and reduceMean. Semantics are ONNX's
 * (opsets 11–18); parameters come from attributes or, as in newer opsets, from constant inputs,
 * whose values the analyzer folds (Shape → Gather → Concat → Reshape evaluates to a constant).
 *
 * None of these does arithmetic except reduceMean (one FLOP per input element: the additions and
 * the division). Receptive fields follow the spatial axes wherever they move; an op that merges
 * them makes the field global, one that crops or pads them shifts it.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { globalRF, resample } from './receptive-field.js';
import { MAX_FOLDED_ELEMENTS, broadcastShapes, broadcastValue } from './broadcast.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, OpDef, RunContext, TensorRF, TensorValue } from './types.js';
import { broadcastTo, pad as padTensor, permute, stridedSlice } from '../tensor/nd.js';
import { tensor } from '../tensor/tensor.js';

/** Data-preserving ops (reshape, squeeze, identity …) hand the same buffer on under the new shape. */
const sameData = (ctx: RunContext<unknown, unknown>) => [tensor(ctx.outputs[0], ctx.inputs[0].data)];

const ints = z.array(z.number().int()).max(64);

/** An op parameter given as an attribute or as the value of a constant input. */
function param<A>(ctx: InferContext<A>, attr: readonly number[] | undefined, input: number, name: string, required: boolean): readonly number[] | null {
  if (attr !== undefined) return attr;
  const v = ctx.values[input];
  if (v) return v.data;
  if (ctx.inputs[input] !== undefined && ctx.inputs[input].length > 0 && !v) {
    ctx.fail('INVALID_ATTRIBUTE', `${name} comes from input ${input}, whose value is not a constant convlens can evaluate`, 'inputs');
  }
  if (required) ctx.fail('INVALID_ATTRIBUTE', `${name} is required (attribute or constant input ${input})`, name);
  return null;
}

function normAxis<A>(ctx: InferContext<A>, axis: number, rank: number, field: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) ctx.fail('INVALID_ATTRIBUTE', `axis ${axis} is out of range for rank ${rank}`, field);
  return a;
}

const passValue = (v: TensorValue | null): TensorValue | null => v;

/** RF of a tensor whose spatial axes moved: `where[d]` is the new position of input dim d, or −1 if it vanished. */
function moveDims(rf: TensorRF | null, where: (d: number) => number): TensorRF | null {
  if (!rf) return rf;
  const dims = rf.dims.map(where) as [number, number];
  if (dims.some((d) => d < 0)) return rf.global ? rf : { ...rf, global: true };
  return { ...rf, dims };
}

export const ReshapeAttrs = z.strictObject({ shape: ints.optional(), allowZero: z.boolean().default(false) });
export const reshape: OpDef<z.infer<typeof ReshapeAttrs>, null> = {
  name: 'reshape',
  summary: 'Reshape (ONNX rules: 0 copies the input dimension, −1 is inferred)',
  pytorch: 'torch.reshape',
  inputNames: ['data', 'shape'],
  minInputs: 1,
  attrs: ReshapeAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const target = param(ctx, ctx.attrs.shape, 1, 'shape', true)!;
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
    return { outputs: [out], values: [passValue(ctx.values[0])], weights: [], cost: ZERO_COST, plan: null };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    const [x, y] = [ctx.inputs[0], ctx.outputs[0]];
    if (!rf || rf.global) return rf;
    // Spatial axes survive when they are the trailing two dims on both sides, unchanged (channel shuffle's views).
    const trailing = rf.dims[0] === x.length - 2 && rf.dims[1] === x.length - 1;
    if (trailing && y.length >= 3 && y[y.length - 2] === x[x.length - 2] && y[y.length - 1] === x[x.length - 1]) {
      return { ...rf, dims: [y.length - 2, y.length - 1] };
    }
    return globalRF(rf, [x[rf.dims[0]], x[rf.dims[1]]]);
  },
  run: sameData,
};

export const TransposeAttrs = z.strictObject({ perm: ints.optional() });
export const transpose: OpDef<z.infer<typeof TransposeAttrs>, { perm: number[] }> = {
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
    return { outputs: [perm.map((p) => x[p])], values: [value], weights: [], cost: ZERO_COST, plan: { perm } };
  },
  receptiveField: (ctx) => moveDims(ctx.rf[0], (d) => ctx.plan.perm.indexOf(d)),
  run: (ctx) => [permute(ctx.inputs[0], ctx.plan.perm)],
};

export const SplitAttrs = z.strictObject({ axis: z.number().int().default(0), split: ints.optional(), numOutputs: z.number().int().positive().max(4096).default(2) });
export const split: OpDef<z.infer<typeof SplitAttrs>, { axis: number; sizes: number[] }> = {
  name: 'split',
  summary: 'Split along an axis into given sizes or equal parts',
  pytorch: 'torch.split',
  inputNames: ['data', 'split'],
  minInputs: 1,
  attrs: SplitAttrs,
  outputCount: (a) => a.split?.length ?? a.numOutputs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const axis = normAxis(ctx, ctx.attrs.axis, x.length, 'axis');
    let sizes = param(ctx, ctx.attrs.split, 1, 'split', false) as number[] | null;
    if (!sizes) {
      const n = ctx.attrs.numOutputs;
      const each = Math.ceil(x[axis] / n);
      sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(each, x[axis] - i * each)));
    }
    if (sizes.reduce((a, b) => a + b, 0) !== x[axis]) {
      ctx.fail('SHAPE_MISMATCH', `split sizes [${sizes.join(', ')}] do not sum to ${x[axis]} (axis ${axis} of ${fmtShape(x)})`, 'split', { shapes: { data: x } });
    }
    const outputs = sizes.map((s) => x.map((d, i) => (i === axis ? s : d)));
    return { outputs, weights: [], cost: ZERO_COST, plan: { axis, sizes: [...sizes] } };
  },
  // Splits along the channel axis (the usual case) keep the field; along a spatial axis, output 0's is shown.
  receptiveField: (ctx) => ctx.rf[0],
  run(ctx) {
    const x = ctx.inputs[0];
    const { axis, sizes } = ctx.plan;
    let start = 0;
    return sizes.map((size, i) => {
      const starts = x.shape.map((_, d) => (d === axis ? start : 0));
      start += size;
      return stridedSlice(x, starts, x.shape.map(() => 1), ctx.outputs[i]);
    });
  },
};

export const SliceAttrs = z.strictObject({ starts: ints.optional(), ends: ints.optional(), axes: ints.optional(), steps: ints.optional() });
export interface SlicePlan {
  axes: number[];
  starts: number[];
  steps: number[];
}
export const slice: OpDef<z.infer<typeof SliceAttrs>, SlicePlan> = {
  name: 'slice',
  summary: 'Strided slice along axes (ONNX clamping rules)',
  pytorch: 'torch.Tensor.__getitem__',
  inputNames: ['data', 'starts', 'ends', 'axes', 'steps'],
  minInputs: 1,
  attrs: SliceAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const starts = param(ctx, ctx.attrs.starts, 1, 'starts', true)!;
    const ends = param(ctx, ctx.attrs.ends, 2, 'ends', true)!;
    const axes = (param(ctx, ctx.attrs.axes, 3, 'axes', false) ?? starts.map((_, i) => i)).map((a) => normAxis(ctx, a, x.length, 'axes'));
    const steps = param(ctx, ctx.attrs.steps, 4, 'steps', false) ?? starts.map(() => 1);
    const out = [...x];
    const plan: SlicePlan = { axes: [], starts: [], steps: [] };
    axes.forEach((a, i) => {
      const dim = x[a];
      const step = steps[i];
      if (step === 0) ctx.fail('INVALID_ATTRIBUTE', `slice step 0`, 'steps');
      const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
      let s = starts[i] < 0 ? starts[i] + dim : starts[i];
      let e = ends[i] < 0 ? ends[i] + dim : ends[i];
      if (step > 0) {
        s = clamp(s, 0, dim);
        e = clamp(e, 0, dim);
      } else {
        s = clamp(s, 0, dim - 1);
        e = clamp(e, -1, dim - 1);
      }
      out[a] = Math.max(0, Math.ceil((e - s) / step));
      plan.axes.push(a);
      plan.starts.push(s);
      plan.steps.push(step);
    });
    const v = ctx.values[0];
    let value: TensorValue | null = null;
    if (v && x.length === 1) {
      const data: number[] = [];
      for (let i = plan.starts[0], n = 0; n < out[0]; i += plan.steps[0], n++) data.push(v.data[i]);
      value = { data, integer: v.integer };
    }
    return { outputs: [out], values: [value], weights: [], cost: ZERO_COST, plan };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    if (!rf || rf.global) return rf;
    const axes = rf.axes.map((ax, k) => {
      const i = ctx.plan.axes.indexOf(rf.dims[k]);
      if (i < 0) return ax;
      return ctx.plan.steps[i] > 0 ? resample(ax, ctx.plan.steps[i], 0, ctx.plan.starts[i]) : null;
    });
    if (axes.some((a) => a === null)) return { ...rf, global: true };
    return { ...rf, axes: axes as TensorRF['axes'] };
  },
  run(ctx) {
    const x = ctx.inputs[0];
    const starts = x.shape.map(() => 0);
    const steps = x.shape.map(() => 1);
    ctx.plan.axes.forEach((a, i) => {
      starts[a] = ctx.plan.starts[i];
      steps[a] = ctx.plan.steps[i];
    });
    return [stridedSlice(x, starts, steps, ctx.outputs[0])];
  },
};

export const PadAttrs = z.strictObject({ pads: ints.optional(), mode: z.enum(['constant', 'reflect', 'edge', 'wrap']).default('constant'), value: z.number().default(0) });
export const pad: OpDef<z.infer<typeof PadAttrs>, { begin: number[] }> = {
  name: 'pad',
  summary: 'Pad (or, with negative pads, crop) every axis: pads = [begin…, end…]',
  pytorch: 'torch.nn.functional.pad',
  inputNames: ['data', 'pads', 'constantValue', 'axes'],
  minInputs: 1,
  attrs: PadAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const pads = param(ctx, ctx.attrs.pads, 1, 'pads', true)!;
    const axesV = ctx.values[3];
    const axes = axesV ? axesV.data.map((a) => normAxis(ctx, a, x.length, 'axes')) : x.map((_, i) => i);
    if (pads.length !== 2 * axes.length) ctx.fail('INVALID_ATTRIBUTE', `${pads.length} pads for ${axes.length} axes`, 'pads', { shapes: { data: x } });
    const begin = x.map(() => 0);
    const out = [...x];
    axes.forEach((a, i) => {
      begin[a] = pads[i];
      out[a] = x[a] + pads[i] + pads[i + axes.length];
    });
    return { outputs: [out], weights: [], cost: ZERO_COST, plan: { begin } };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    if (!rf || rf.global) return rf;
    return { ...rf, axes: rf.axes.map((ax, k) => resample(ax, 1, 0, -ctx.plan.begin[rf.dims[k]])) };
  },
  run(ctx) {
    const value = ctx.inputs[2]?.data.length ? ctx.inputs[2].data[0] : ctx.attrs.value;
    return [padTensor(ctx.inputs[0], ctx.plan.begin, ctx.outputs[0], ctx.attrs.mode, value)];
  },
};

const AxesAttrs = z.strictObject({ axes: ints.optional() });

export const squeeze: OpDef<z.infer<typeof AxesAttrs>, { removed: number[] }> = {
  name: 'squeeze',
  summary: 'Remove size-1 dimensions (all of them, or the given axes)',
  pytorch: 'torch.squeeze',
  inputNames: ['data', 'axes'],
  minInputs: 1,
  attrs: AxesAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const given = param(ctx, ctx.attrs.axes, 1, 'axes', false);
    const removed = given ? given.map((a) => normAxis(ctx, a, x.length, 'axes')) : x.flatMap((d, i) => (d === 1 ? [i] : []));
    for (const a of removed) if (x[a] !== 1) ctx.fail('SHAPE_MISMATCH', `cannot squeeze axis ${a} of size ${x[a]} in ${fmtShape(x)}`, 'axes');
    return { outputs: [x.filter((_, i) => !removed.includes(i))], values: [passValue(ctx.values[0])], weights: [], cost: ZERO_COST, plan: { removed } };
  },
  receptiveField: (ctx) => moveDims(ctx.rf[0], (d) => (ctx.plan.removed.includes(d) ? -1 : d - ctx.plan.removed.filter((r) => r < d).length)),
  run: sameData,
};

export const unsqueeze: OpDef<z.infer<typeof AxesAttrs>, { inserted: number[] }> = {
  name: 'unsqueeze',
  summary: 'Insert size-1 dimensions at the given axes of the output',
  pytorch: 'torch.unsqueeze',
  inputNames: ['data', 'axes'],
  minInputs: 1,
  attrs: AxesAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const given = param(ctx, ctx.attrs.axes, 1, 'axes', true)!;
    const rank = x.length + given.length;
    const inserted = given.map((a) => normAxis(ctx, a, rank, 'axes')).sort((a, b) => a - b);
    const out: number[] = [];
    for (let i = 0, k = 0; i < rank; i++) out.push(inserted.includes(i) ? 1 : x[k++]);
    return { outputs: [out], values: [passValue(ctx.values[0])], weights: [], cost: ZERO_COST, plan: { inserted } };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    if (!rf) return rf;
    const kept: number[] = [];
    for (let i = 0; i < ctx.outputs[0].length; i++) if (!ctx.plan.inserted.includes(i)) kept.push(i);
    return moveDims(rf, (d) => kept[d]);
  },
  run: sameData,
};

export const expand: OpDef<Record<string, never>, null> = {
  name: 'expand',
  summary: 'Broadcast to a shape (bidirectional, NumPy rules)',
  pytorch: 'torch.Tensor.expand',
  inputNames: ['input', 'shape'],
  minInputs: 2,
  attrs: z.strictObject({}),
  infer(ctx) {
    const x = ctx.inputs[0];
    const target = param(ctx, undefined, 1, 'shape', true)!;
    const out = broadcastShapes([x, target]);
    if (!out) return ctx.fail('SHAPE_MISMATCH', `cannot expand ${fmtShape(x)} to [${target.join(', ')}]`, 'inputs', { shapes: { input: x } });
    const v = ctx.values[0];
    const value = v && numel(out) <= MAX_FOLDED_ELEMENTS ? broadcastValue(v, x, out) : null;
    return { outputs: [out], values: [value], weights: [], cost: ZERO_COST, plan: null };
  },
  receptiveField: (ctx) => moveDims(ctx.rf[0], (d) => d + ctx.outputs[0].length - ctx.inputs[0].length),
  run: (ctx) => [broadcastTo(ctx.inputs[0], ctx.outputs[0])],
};

export const GatherAttrs = z.strictObject({ axis: z.number().int().default(0) });
export const gather: OpDef<z.infer<typeof GatherAttrs>, { axis: number; indicesRank: number }> = {
  name: 'gather',
  summary: 'Take entries along an axis by index',
  pytorch: 'torch.index_select',
  inputNames: ['data', 'indices'],
  minInputs: 2,
  attrs: GatherAttrs,
  infer(ctx) {
    const [x, idx] = ctx.inputs;
    const axis = normAxis(ctx, ctx.attrs.axis, x.length, 'axis');
    const out = [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)];
    const [v, iv] = ctx.values;
    let value: TensorValue | null = null;
    if (v && iv && x.length === 1) {
      const data = iv.data.map((i) => {
        const j = i < 0 ? i + x[0] : i;
        if (j < 0 || j >= x[0]) ctx.fail('INVALID_ATTRIBUTE', `index ${i} is out of range for ${fmtShape(x)}`, 'inputs');
        return v.data[j];
      });
      value = { data, integer: v.integer };
    }
    return { outputs: [out], values: [value], weights: [], cost: ZERO_COST, plan: { axis, indicesRank: idx.length } };
  },
  receptiveField(ctx) {
    const { axis, indicesRank } = ctx.plan;
    return moveDims(ctx.rf[0], (d) => (d === axis ? -1 : d < axis ? d : d + indicesRank - 1));
  },
  run(ctx) {
    const [x, indices] = ctx.inputs;
    const { axis } = ctx.plan;
    const dim = x.shape[axis];
    const inner = numel(x.shape.slice(axis + 1));
    const outer = numel(x.shape.slice(0, axis));
    const k = indices.data.length;
    const out = new Float32Array(outer * k * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        const i = indices.data[j] < 0 ? indices.data[j] + dim : indices.data[j];
        out.set(x.data.subarray((o * dim + i) * inner, (o * dim + i + 1) * inner), (o * k + j) * inner);
      }
    }
    return [tensor(ctx.outputs[0], out)];
  },
};

export const ShapeAttrs = z.strictObject({ start: z.number().int().optional(), end: z.number().int().optional() });
export const shape: OpDef<z.infer<typeof ShapeAttrs>, null> = {
  name: 'shape',
  summary: 'The shape of a tensor, as a 1-D int64 tensor (a constant once shapes are known)',
  pytorch: 'torch.Tensor.size',
  inputNames: ['data'],
  minInputs: 1,
  attrs: ShapeAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + x.length : v, 0), x.length);
    const dims = x.slice(clamp(ctx.attrs.start ?? 0), clamp(ctx.attrs.end ?? x.length));
    return { outputs: [[dims.length]], values: [{ data: dims, integer: true }], weights: [], cost: ZERO_COST, plan: null };
  },
  receptiveField: () => null,
  run(ctx) {
    const x = ctx.inputs[0].shape;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + x.length : v, 0), x.length);
    return [tensor(ctx.outputs[0], Float32Array.from(x.slice(clamp(ctx.attrs.start ?? 0), clamp(ctx.attrs.end ?? x.length))))];
  },
};

const INTEGER_TYPES = new Set(['int8', 'uint8', 'int16', 'int32', 'int64', 'bool', 'uint16', 'uint32', 'uint64']);
export const CastAttrs = z.strictObject({ to: z.string().default('float32') });
export const cast: OpDef<z.infer<typeof CastAttrs>, null> = {
  name: 'cast',
  summary: 'Change the element type',
  pytorch: 'torch.Tensor.to',
  inputNames: ['input'],
  minInputs: 1,
  attrs: CastAttrs,
  infer(ctx) {
    const v = ctx.values[0];
    const integer = INTEGER_TYPES.has(ctx.attrs.to);
    const value = v ? { data: integer ? v.data.map(Math.trunc) : v.data, integer } : null;
    return { outputs: [ctx.inputs[0]], values: [value], weights: [], cost: ZERO_COST, plan: null };
  },
  receptiveField: (ctx) => ctx.rf[0],
  run(ctx) {
    const x = ctx.inputs[0];
    const to = ctx.attrs.to;
    if (!INTEGER_TYPES.has(to)) return [x];
    const f = to === 'bool' ? (v: number) => (v !== 0 ? 1 : 0) : Math.trunc;
    return [tensor(x.shape, x.data.map(f))];
  },
};

export const identity: OpDef<Record<string, never>, null> = {
  name: 'identity',
  summary: 'Pass the input through',
  pytorch: 'torch.nn.Identity',
  inputNames: ['input'],
  minInputs: 1,
  attrs: z.strictObject({}),
  infer: (ctx) => ({ outputs: [ctx.inputs[0]], values: [passValue(ctx.values[0])], weights: [], cost: ZERO_COST, plan: null }),
  receptiveField: (ctx) => ctx.rf[0],
  run: (ctx) => [ctx.inputs[0]],
};

export const ReduceMeanAttrs = z.strictObject({ axes: ints.optional(), keepDims: z.boolean().default(true) });
export const reduceMean: OpDef<z.infer<typeof ReduceMeanAttrs>, { axes: number[] }> = {
  name: 'reduceMean',
  summary: 'Mean over axes (all axes by default)',
  pytorch: 'torch.mean',
  inputNames: ['data', 'axes'],
  minInputs: 1,
  attrs: ReduceMeanAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const given = param(ctx, ctx.attrs.axes, 1, 'axes', false);
    const axes = given ? given.map((a) => normAxis(ctx, a, x.length, 'axes')) : x.map((_, i) => i);
    const out = ctx.attrs.keepDims ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i));
    return { outputs: [out], weights: [], cost: { ...ZERO_COST, elementwise: numel(x) }, plan: { axes } };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    if (!rf) return rf;
    const x = ctx.inputs[0];
    if (rf.dims.some((d) => ctx.plan.axes.includes(d))) return globalRF(rf, [x[rf.dims[0]], x[rf.dims[1]]]);
    if (ctx.attrs.keepDims) return rf;
    return moveDims(rf, (d) => d - ctx.plan.axes.filter((a) => a < d).length);
  },
  run(ctx) {
    const x = ctx.inputs[0];
    const reduced = x.shape.map((d, i) => (ctx.plan.axes.includes(i) ? 1 : d));
    const sums = new Float64Array(numel(reduced));
    const own = x.shape;
    const rank = own.length;
    const idx = new Array<number>(rank).fill(0);
    const rStrides = reduced.map((_, d) => numel(reduced.slice(d + 1)));
    for (let i = 0; i < x.data.length; i++) {
      let r = 0;
      for (let d = 0; d < rank; d++) if (reduced[d] !== 1 || own[d] === 1) r += (reduced[d] === 1 ? 0 : idx[d]) * rStrides[d];
      sums[r] += x.data[i];
      for (let d = rank - 1; d >= 0; d--) {
        if (++idx[d] < own[d]) break;
        idx[d] = 0;
      }
    }
    const n = x.data.length / sums.length;
    return [tensor(ctx.outputs[0], Float32Array.from(sums, (v) => v / n))];
  },
};
