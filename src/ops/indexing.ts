/**
 * Indexing: regions of a tensor chosen by index. slice and split pick strided or consecutive
 * ranges, gather picks entries by an index tensor, pad places the input at an offset inside a
 * larger output (negative pads crop, as a step-1 slice does). Semantics are ONNX's (opsets
 * 11–18, onnx.ai/onnx/operators); parameters come from attributes or constant inputs.
 *
 *   split   ONNX Split / torch.split: sizes sum to x.shape[axis]; without sizes, numOutputs parts
 *           of ceil(dim / numOutputs), the last one smaller
 *   slice   ONNX Slice / x[start:end:step]: start, end negative + dim, then clamped to [0, dim]
 *           (step > 0) or [0, dim − 1] and [−1, dim − 1] (step < 0); out = max(0, ceil((e − s)/step))
 *   pad     ONNX Pad / torch.nn.functional.pad: pads = [begin₀ …, end₀ …] per axis (all axes, or
 *           the constant `axes` input); out = in + begin + end; modes constant, reflect, edge, wrap
 *           (wrap with a negative pad: cropped first, then wrapped, as PyTorch's circular pad; a
 *           pad over what the crop leaves is refused; constant: crops over the axis are refused,
 *           as PyTorch's narrow, whatever the other side adds)
 *   gather  ONNX Gather / torch.index_select: y.shape = x.shape[:axis] + idx.shape + x.shape[axis+1:],
 *           y[…, j…, …] = x[…, idx[j…], …], negative indices + dim
 *
 * No arithmetic: zero FLOPs. Receptive fields: a slice along a spatial axis resamples the field
 * (step, start), a split along one gives each piece the field of the slice it is (offset by where
 * it starts, the units it leaves out its border), a pad shifts it by the begin pad, gather along a
 * spatial axis makes it global.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { badIndices, indexMessage, validIndex } from './index-faults.js';
import { moveDims, resample } from './receptive-field.js';
import { distinctAxes, normalizeAxis } from './axes.js';
import { IntList, MAX_INT_LIST, MAX_LAYER_OUTPUTS, attrOrConstant, mayFold } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, TensorRF, TensorValue } from './types.js';
import { pad as padTensor, stridedSlice } from '../tensor/nd.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { foldMovement } from './fold-movement.js';
import { gatherVjp, padVjp, sliceVjp, splitVjp } from './vjp-plumbing.js';

/** Most outputs a split may declare: each is a tensor and a graph edge, so the count is bounded. */

export const SplitAttrs = z.strictObject({ axis: z.number().int().default(0), split: IntList.optional(), numOutputs: z.number().int().positive().max(MAX_LAYER_OUTPUTS, { error: `at most ${MAX_LAYER_OUTPUTS} outputs` }).default(2) });
/** The field of a split's piece [start, start + size) of an axis of n units (as `slice` gives it); other axes as they are. */
function splitPieceField(rf: TensorRF | null, axis: number, start: number, size: number, n: number): TensorRF | null {
  if (!rf || rf.global) return rf;
  const k = rf.dims.indexOf(axis);
  if (k < 0) return rf;
  return { ...rf, axes: rf.axes.map((ax, i) => (i === k ? resample(ax, 1, 0, start, n - size) : ax)) };
}

export const split: OpDef<z.infer<typeof SplitAttrs>, { axis: number; sizes: number[] }> = {
  name: 'split',
  summary: 'Split along an axis into given sizes or equal parts',
  pytorch: 'torch.split',
  foldsConstantOperands: true, // a learned table split into rows (MViT's temporal position embedding, repeat_interleave'd) is read by Split alone
  inputNames: ['data', 'split'],
  minInputs: 1,
  attrs: SplitAttrs,
  // sizes given as input 1 (an operator call's, known): one output each (at most MAX_LAYER_OUTPUTS: infer refuses more)
  outputCount: (a, values) => a.split?.length ?? (values?.[1] ? Math.min(values[1].length, MAX_LAYER_OUTPUTS + 1) : a.numOutputs),
  infer(ctx) {
    const x = ctx.inputs[0];
    const axis = normalizeAxis(ctx, ctx.attrs.axis, x.length, 'axis');
    let sizes = attrOrConstant(ctx, ctx.attrs.split, 1, 'split', false) as number[] | null;
    if (!sizes) {
      const n = ctx.attrs.numOutputs;
      const each = Math.ceil(x[axis] / n);
      sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(each, x[axis] - i * each)));
    }
    const field = ctx.attrs.split !== undefined || ctx.inputs.length < 2 ? 'split' : ['inputs', 1];
    if (sizes.length === 0 || sizes.length > MAX_LAYER_OUTPUTS) ctx.fail('INVALID_ATTRIBUTE', `split takes 1 to ${MAX_LAYER_OUTPUTS} sizes (one output each), got ${sizes.length}`, field, { shapes: { data: x } });
    // sizes from input 1 are known only now: the layer's outputs were declared before (a spec's
    // numOutputs, an ONNX node's outputs), and a part with no output, or an output with no part, is an error
    if (ctx.attrs.split === undefined && ctx.declaredOutputs !== undefined && sizes.length !== ctx.declaredOutputs) {
      ctx.fail('INVALID_ATTRIBUTE', `split sizes [${sizes.join(', ')}] from input 1 make ${sizes.length} output${sizes.length === 1 ? '' : 's'}, the layer declares ${ctx.declaredOutputs} (numOutputs; an ONNX node's outputs)`, field, { shapes: { data: x } });
    }
    const negative = sizes.findIndex((s) => s < 0);
    if (negative >= 0) ctx.fail('INVALID_ATTRIBUTE', `split size ${sizes[negative]} (at ${negative}) is negative`, field, { shapes: { data: x } });
    if (sizes.reduce((a, b) => a + b, 0) !== x[axis]) {
      ctx.fail('SHAPE_MISMATCH', `split sizes [${sizes.join(', ')}] do not sum to ${x[axis]} (axis ${axis} of ${fmtShape(x)})`, 'split', { shapes: { data: x } });
    }
    const outputs = sizes.map((s) => x.map((d, i) => (i === axis ? s : d)));
    // known values fold part by part (torch's repeat_interleave splits a folded Expand of its counts)
    const v = ctx.values[0];
    let start = 0;
    const values = outputs.map((out) => {
      const starts = x.map((_, d) => (d === axis ? start : 0));
      start += out[axis];
      return v && mayFold(ctx, numel(out)) ? foldMovement(v, x, (t) => stridedSlice(t, starts, x.map(() => 1), out)) : null;
    });
    return { outputs, values, weights: [], cost: ZERO_COST, plan: { axis, sizes: [...sizes] } };
  },
  // Splits along the channel axis (the usual case) keep the field; along a spatial axis each piece is
  // a slice (as `slice` computes it): piece i's unit x is input unit x + start_i, so its box starts
  // start_i·j later, and the n − size_i units it leaves out are its border. Output 0's is the layer's.
  receptiveField: (ctx) => splitPieceField(ctx.rf[0], ctx.plan.axis, 0, ctx.plan.sizes[0], ctx.inputs[0][ctx.plan.axis]),
  outputFields(ctx) {
    let start = 0;
    return ctx.plan.sizes.map((size) => {
      // from the input's field (the layer's is piece 0's, its border already in)
      const field = splitPieceField(ctx.rf[0], ctx.plan.axis, start, size, ctx.inputs[0][ctx.plan.axis]);
      start += size;
      return field;
    });
  },
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
  vjp: splitVjp,
};

/**
 * Slice bounds are clamped to the axis, so any whole number is one: torch.onnx writes x[1:] with an
 * end of INT64_MAX (9223372036854775807, past a double's exact integers), and a JSON spec copying it
 * is not refused as an unsafe integer.
 */
const BoundList = z.array(z.number().refine(Number.isInteger, 'must be a whole number')).max(MAX_INT_LIST);
export const SliceAttrs = z.strictObject({ starts: BoundList.optional(), ends: BoundList.optional(), axes: IntList.optional(), steps: IntList.optional() });
export interface SlicePlan {
  axes: number[];
  starts: number[];
  steps: number[];
}
export const slice: OpDef<z.infer<typeof SliceAttrs>, SlicePlan> = {
  name: 'slice',
  summary: 'Strided slice along axes (ONNX clamping rules)',
  pytorch: 'torch.Tensor.__getitem__',
  emptyOutputs: true,
  foldsConstantOperands: true, // a learned table cut to the input's size (a position embedding's pos[:, :T], q/k/v from one weight) is read by Slice alone
  inputNames: ['data', 'starts', 'ends', 'axes', 'steps'],
  minInputs: 1,
  attrs: SliceAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const starts = attrOrConstant(ctx, ctx.attrs.starts, 1, 'starts', true)!;
    const ends = attrOrConstant(ctx, ctx.attrs.ends, 2, 'ends', true)!;
    const axes = distinctAxes(ctx, attrOrConstant(ctx, ctx.attrs.axes, 3, 'axes', false) ?? starts.map((_, i) => i), x.length, 'axes');
    const steps = attrOrConstant(ctx, ctx.attrs.steps, 4, 'steps', false) ?? starts.map(() => 1);
    // one start, end, axis and step per sliced axis (ONNX: 1-D tensors of the same length)
    for (const [field, list] of [['ends', ends], ['axes', axes], ['steps', steps]] as const) {
      if (list.length !== starts.length) ctx.fail('INVALID_ATTRIBUTE', `slice: starts has ${starts.length} values and ${field} ${list.length}; each sliced axis takes one of each`, field, { shapes: { data: x } });
    }
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
    // any rank folds (torch's F.pad export slices a [k, 2] pads value backwards)
    const value: TensorValue | null = v && mayFold(ctx, numel(out)) ? foldMovement(v, x, (t) => sliceKernel(t, plan, out)) : null;
    return { outputs: [out], values: [value], weights: [], cost: ZERO_COST, runWork: sliceWork(x, plan, out), plan };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    if (!rf || rf.global) return rf;
    const axes = rf.axes.map((ax, k) => {
      const i = ctx.plan.axes.indexOf(rf.dims[k]);
      if (i < 0) return ax;
      // a crop loses what it leaves out (structure.ts's border b): in = step·out + c
      const d = rf.dims[k];
      return ctx.plan.steps[i] > 0 ? resample(ax, ctx.plan.steps[i], 0, ctx.plan.starts[i], ctx.inputs[0][d] - ctx.plan.steps[i] * ctx.outputs[0][d]) : null;
    });
    if (axes.some((a) => a === null)) return { ...rf, global: true };
    const kept = axes as TensorRF['axes'];
    // a step over a field axis takes one phase of the map (a Focus stem's x[..., 1::2, ::2]); a slice
    // of a piece stays a piece of the first map (torch.onnx writes x[:, 0::2, 1::2] as two Slices)
    const strided = rf.dims.some((d) => (ctx.plan.steps[ctx.plan.axes.indexOf(d)] ?? 1) > 1);
    return { ...rf, axes: kept, ...(strided || rf.phase ? { phase: { of: rf.phase?.of ?? rf, axes: kept } } : {}) };
  },
  run: (ctx) => [sliceKernel(ctx.inputs[0], ctx.plan, ctx.outputs[0])],
  vjp: sliceVjp,
};

/**
 * MAX_RUN_WORK units a run of slice takes (Inferred.runWork). tensor/nd.ts stridedSlice copies
 * the output's innermost contiguous run with one subarray copy where it holds 16 floats or more
 * (SLICE_RUN a run: runs of 64 ran 1.1 ns an element, about 70 ns a run), else walks it element by
 * element (SLICE_ROW a row of the output's last axis + SLICE_ELEMENT an element: step 2 over
 * [1, 64, 112, 112] ran 3.0–4.9 ns an element, rows of 8 4.0–4.6, rows of 1 of [1048576, 4] 10–28). It
 * was counted 1 an element written: bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC, load 3–8 (3.1
 * at load 12–16); units of about 0.3 ns (pool.ts); a fold counts nothing. Rows of 1 again at these
 * rates (2026-12-06, load 14–16): [1048576, 4] 38 ns an element, [4194304, 2] 37, a column of
 * [2048, 2048] 46, of [1, 64, 256, 256] 15: 0.16–0.49 ns a unit; rows of 15 of [65536, 64] 0.33.
 */
export const SLICE_RUN = 300;
export const SLICE_ROW = 80;
export const SLICE_ELEMENT = 12;
/** tensor/nd.ts's RUN_MIN: the shortest run stridedSlice copies whole. */
const SLICE_RUN_MIN = 16;

function sliceWork(x: readonly number[], plan: SlicePlan, out: readonly number[]): number {
  const n = numel(out);
  if (n === 0 || out.length === 0) return 0;
  const steps = x.map(() => 1);
  plan.axes.forEach((a, i) => (steps[a] = plan.steps[i]));
  // the run stridedSlice finds: axes [k, rank) all at step 1, all but axis k whole
  let k = out.length;
  while (k > 0 && steps[k - 1] === 1) {
    k--;
    if (out[k] !== x[k]) break;
  }
  const run = numel(out.slice(k));
  return run >= SLICE_RUN_MIN ? SLICE_RUN * (n / run) : SLICE_ROW * (n / out[out.length - 1]) + SLICE_ELEMENT * n;
}

function sliceKernel(x: Tensor, plan: SlicePlan, out: readonly number[]): Tensor {
  const starts = x.shape.map(() => 0);
  const steps = x.shape.map(() => 1);
  plan.axes.forEach((a, i) => {
    starts[a] = plan.starts[i];
    steps[a] = plan.steps[i];
  });
  return stridedSlice(x, starts, steps, out);
}

/**
 * MAX_RUN_WORK units a run of pad takes (Inferred.runWork), in every mode: PAD_ROW an output row
 * (tensor/nd.ts padRows' visit of each row of the last axis) and PAD_ELEMENT an output element. A
 * pad was counted 1 an element written, and ran at 0.7 ns an element in rows of 2048 but 54–118 ns
 * in rows of 4 and of 3 (320–360 ns a row: [262144, 4] reflect, [1048576, 1] constant and edge
 * padded on their last axis), 1.5–5.5 ns in rows of 72 (reflect, edge, wrap, constant of
 * [1, 256, 56, 56] by 8): bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC, load 11–16; units of
 * about 0.3 ns (pool.ts).
 */
export const PAD_ROW = 1200;
export const PAD_ELEMENT = 5;

export const PadAttrs = z.strictObject({ pads: IntList.optional(), mode: z.enum(['constant', 'reflect', 'edge', 'wrap']).default('constant'), value: z.number().default(0) });
export const pad: OpDef<z.infer<typeof PadAttrs>, { begin: number[] }> = {
  name: 'pad',
  summary: 'Pad (or, with negative pads, crop) every axis: pads = [begin…, end…]',
  pytorch: 'torch.nn.functional.pad',
  inputNames: ['data', 'pads', 'constantValue', 'axes'],
  minInputs: 1,
  attrs: PadAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const pads = attrOrConstant(ctx, ctx.attrs.pads, 1, 'pads', true)!;
    const axesV = ctx.values[3];
    const axes = axesV ? distinctAxes(ctx, [...axesV.data], x.length, 'axes') : x.map((_, i) => i);
    if (pads.length !== 2 * axes.length) ctx.fail('INVALID_ATTRIBUTE', `${pads.length} pads for ${axes.length} axes`, 'pads', { shapes: { data: x } });
    const begin = x.map(() => 0);
    const out = [...x];
    axes.forEach((a, i) => {
      begin[a] = pads[i];
      out[a] = x[a] + pads[i] + pads[i + axes.length];
      // a reflection reads at most size − 1 units past the edge, a wrap at most what the crops leave
      // (PyTorch refuses more; a wrap past a crop's remainder reads memory it never wrote, or is refused)
      const kept = x[a] - Math.max(-pads[i], 0) - Math.max(-pads[i + axes.length], 0);
      // reflect, edge: an empty output is refused (PyTorch: "input is too small. Calculated output W: 0" when every padded axis is empty; convlens refuses any empty output of rank ≥ 2 anyway, NON_POSITIVE_SIZE), also in 1-D, where an empty tensor is otherwise allowed (constant and circular give one)
      if ((ctx.attrs.mode === 'reflect' || ctx.attrs.mode === 'edge') && out[a] <= 0) {
        ctx.fail('NON_POSITIVE_SIZE', `${ctx.attrs.mode} padding [${pads[i]}, ${pads[i + axes.length]}] on axis ${a} of ${fmtShape(x)} leaves ${out[a]} units (PyTorch: input is too small, calculated output ${out[a]})`, 'pads', { shapes: { data: x } });
      }
      // constant: PyTorch crops first (narrow), so crops over the axis are refused even where the other side's pad makes the output positive
      if (ctx.attrs.mode === 'constant' && kept < 0) {
        ctx.fail('INVALID_ATTRIBUTE', `constant padding [${pads[i]}, ${pads[i + axes.length]}] on axis ${a} of ${fmtShape(x)} crops ${x[a] - kept} units of ${x[a]} (PyTorch: start + length exceeds dimension size)`, 'pads', { shapes: { data: x } });
      }
      const most = ctx.attrs.mode === 'reflect' ? x[a] - 1 : ctx.attrs.mode === 'wrap' ? kept : Infinity;
      for (const p of [pads[i], pads[i + axes.length]]) {
        if (p > most) {
          const why = ctx.attrs.mode === 'reflect' ? 'Padding size should be less than the corresponding input dimension' : kept < x[a] ? `a wrap reads the ${kept} the negative pad leaves, and cannot wrap ${p}` : 'Padding value causes wrapping around more than once';
          ctx.fail('INVALID_ATTRIBUTE', `${ctx.attrs.mode} padding of ${p} on axis ${a} of ${fmtShape(x)}: at most ${most} there (PyTorch: ${why})`, 'pads', { shapes: { data: x } });
        }
      }
    });
    // an empty output (a 1-D pad cropped to nothing) visits one row of no elements: nothing to charge
    const rows = numel(out) === 0 ? 0 : out.length === 0 ? 1 : numel(out.slice(0, -1));
    return { outputs: [out], weights: [], cost: ZERO_COST, runWork: PAD_ROW * rows + PAD_ELEMENT * numel(out), plan: { begin } };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    if (!rf || rf.global) return rf;
    // padding adds pixels (a negative border b: a reflection pad of 3 before an unpadded 7×7 conv nets 0)
    return { ...rf, axes: rf.axes.map((ax, k) => resample(ax, 1, 0, -ctx.plan.begin[rf.dims[k]], ctx.inputs[0][rf.dims[k]] - ctx.outputs[0][rf.dims[k]])) };
  },
  run(ctx) {
    const value = ctx.inputs[2]?.data.length ? ctx.inputs[2].data[0] : ctx.attrs.value;
    return [padTensor(ctx.inputs[0], ctx.plan.begin, ctx.outputs[0], ctx.attrs.mode, value)];
  },
  vjp: padVjp,
};

/**
 * MAX_RUN_WORK units a run of gather takes (Inferred.runWork): GATHER_ROW a row it copies (one
 * subarray copy for each index and each row before the axis) + GATHER_ELEMENT an output element.
 * It was counted 1 an element written, and ran at 42 ns an element gathering rows of 1 (axis 1 of
 * [4096, 1024] at 512 indices), 10 ns an element in rows of 4, 1.0–1.6 in rows of 64
 * (bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC, load 3–8); units of about 0.3 ns (pool.ts).
 */
export const GATHER_ROW = 200;
export const GATHER_ELEMENT = 3;

export const GatherAttrs = z.strictObject({ axis: z.number().int().default(0) });
/** Known values gathered along an axis of any rank (a row of folded boxes, boxes[i]): outer × indices × inner, as the kernel does. */
function gatherValues(data: readonly number[], indices: readonly number[], outer: number, dim: number, inner: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const i of indices) {
      const start = (o * dim + (i < 0 ? i + dim : i)) * inner;
      for (let k = 0; k < inner; k++) out.push(data[start + k]);
    }
  }
  return out;
}

export const gather: OpDef<z.infer<typeof GatherAttrs>, { axis: number; indicesRank: number }> = {
  name: 'gather',
  summary: 'Take entries along an axis by index',
  pytorch: 'torch.index_select',
  inputNames: ['data', 'indices'],
  minInputs: 2,
  // a float initializer gathered from is a learned table (an embedding; Swin's relative-position bias table)
  foldsConstantOperands: true,
  attrs: GatherAttrs,
  infer(ctx) {
    const [x, idx] = ctx.inputs;
    const axis = normalizeAxis(ctx, ctx.attrs.axis, x.length, 'axis');
    const out = [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)];
    const [v, iv] = ctx.values;
    // known indices (constants) are checked here; indices that are data, in the kernel
    const dim = x[axis];
    if (iv) {
      const bad = iv.data.findIndex((i) => !validIndex(i, dim));
      if (bad >= 0) ctx.fail('INVALID_ATTRIBUTE', indexMessage(iv.data[bad], axis, x, bad, idx), ['inputs', 1], { shapes: { data: x, indices: idx } });
    }
    let value: TensorValue | null = null;
    // integer data only: a float table gathered from is a learned embedding, which stays a layer (its params count)
    if (v && iv && (x.length === 1 || v.integer) && mayFold(ctx, numel(out))) value = { data: gatherValues(v.data, iv.data, numel(x.slice(0, axis)), dim, numel(x.slice(axis + 1))), integer: v.integer };
    // run copies a row of the axes after `axis` for each index and each row before it
    const runWork = GATHER_ROW * numel(x.slice(0, axis)) * numel(idx) + GATHER_ELEMENT * numel(out);
    return { outputs: [out], values: [value], weights: [], cost: ZERO_COST, runWork, plan: { axis, indicesRank: idx.length } };
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
    for (let j = 0; j < k; j++) {
      const v = indices.data[j];
      if (!validIndex(v, dim)) badIndices({ data: x.shape, indices: indices.shape })(indexMessage(v, axis, x.shape, j, indices.shape));
    }
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        const i = indices.data[j] < 0 ? indices.data[j] + dim : indices.data[j];
        out.set(x.data.subarray((o * dim + i) * inner, (o * dim + i + 1) * inner), (o * k + j) * inner);
      }
    }
    return [tensor(ctx.outputs[0], out)];
  },
  vjp: gatherVjp,
};
