/**
 * Helpers every op family shares: input rank and channel checks, weight specs with PyTorch's
 * initialisation, parameters given as attributes or constant inputs (ONNX moved many attributes
 * to inputs in opsets 10–18), and the pass-through kernel of data-preserving ops.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { MAX_FOLDED_TENSOR } from '../limits.js';
import { numel, tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import type { InferContext, Inferred, LayerField, RunContext, Shape, WeightSpec } from './types.js';

/**
 * Longest integer-list attribute accepted (shapes, perms, axes, starts, ends, pads): far above any
 * real tensor's rank (ONNX models stay under 8), and it bounds the validation work on hostile input.
 */
export const MAX_INT_LIST = 64;
/**
 * Most outputs one layer may have (split's numOutputs, an inlined If's or Loop's outputs): a layer's
 * output names are made before anything is inferred, and 16,777,216 of them took a worker 37–69 s
 * (then 500: a Map's maximum size), from a 130-byte body.
 */
export const MAX_LAYER_OUTPUTS = 4096;
export const IntList = z.array(z.number().int()).max(MAX_INT_LIST);

/** Rank of an image batch (N, C, H, W): what convolution, pooling, resampling and shuffling read. */
export const NCHW_RANK = 4;
/** The first spatial axis (H) of an NCHW tensor; W follows it. */
export const SPATIAL_START = 2;

export function expectRank<A>(ctx: InferContext<A>, index: number, rank: number): Shape {
  const shape = ctx.inputs[index];
  if (shape.length !== rank) {
    ctx.fail(
      'RANK_MISMATCH',
      `input ${index} must have ${rank} dimensions (N, C, H, W), got shape ${fmtShape(shape)}`,
      'inputs',
      { shapes: { [`input${index}`]: shape } },
    );
  }
  return shape;
}

/** Checks an optional declared channel count against the input, and the group divisibility. */
export function checkChannels<A>(
  ctx: InferContext<A>,
  input: Shape,
  declared: number | undefined,
  declaredField: string,
  groups: number,
  outChannels: number,
): void {
  const c = input[1];
  if (declared !== undefined && declared !== c) {
    ctx.fail('CHANNEL_MISMATCH', `${declaredField}=${declared} but the input ${fmtShape(input)} has ${c} channels`, declaredField, {
      shapes: { input },
    });
  }
  if (c % groups !== 0) {
    ctx.fail('INVALID_ATTRIBUTE', `groups=${groups} does not divide ${c} input channels (input ${fmtShape(input)})`, 'groups', {
      shapes: { input },
    });
  }
  if (outChannels % groups !== 0) {
    ctx.fail('INVALID_ATTRIBUTE', `groups=${groups} does not divide ${outChannels} output channels`, 'groups', {
      shapes: { input },
    });
  }
}

/**
 * The weight and optional bias of a conv-like or linear layer, initialised as PyTorch's modules
 * do: both U(−1/√fan_in, 1/√fan_in) with fan_in = weight.size(1)·∏kernel (for a transposed conv,
 * whose weight is [Cin, Cout/g, kh, kw], that is Cout/g·kh·kw, as torch computes it).
 */
export function weightAndBias(weight: Shape, biasChannels: number | null): WeightSpec[] {
  const init = { kind: 'fanIn' as const, fanIn: numel(weight.slice(1)) };
  const specs: WeightSpec[] = [{ name: 'weight', shape: weight, trainable: true, init }];
  if (biasChannels !== null) specs.push({ name: 'bias', shape: [biasChannels], trainable: true, init });
  return specs;
}

/** A per-channel vector filled with one value (BN's affine and running statistics). */
export function channelVector(name: string, channels: number, value: number, trainable: boolean): WeightSpec {
  return { name, shape: [channels], trainable, init: { kind: 'constant', value } };
}

/**
 * An integer op parameter (a shape, sizes, starts, pads, axes) given as an attribute (a JSON spec,
 * older ONNX opsets) or as the value of constant input `input` (newer opsets: Reshape's shape,
 * Slice's starts …), which the analyzer folds. A non-constant input is INVALID_ATTRIBUTE; so is a
 * missing required one, and a value that is not an integer (a float constant of 0.5).
 */
export function attrOrConstant<A>(ctx: InferContext<A>, attr: readonly number[] | undefined, input: number, name: string, required: boolean): readonly number[] | null {
  if (attr !== undefined) return attr;
  const v = ctx.values[input];
  if (v) {
    const bad = v.data.find((d) => !Number.isInteger(d));
    if (bad !== undefined) {
      ctx.fail('INVALID_ATTRIBUTE', `${name} must be integers; input ${input} holds ${bad} in [${v.data.slice(0, 8).join(', ')}${v.data.length > 8 ? ', …' : ''}]`, ['inputs', input]);
    }
    return v.data;
  }
  if (ctx.inputs[input] !== undefined && ctx.inputs[input].length > 0 && !v) {
    ctx.fail('INVALID_ATTRIBUTE', `${name} comes from input ${input}, whose value is not a constant convlens can evaluate`, ['inputs', input]);
  }
  if (required) ctx.fail('INVALID_ATTRIBUTE', `${name} is required (attribute or constant input ${input})`, name);
  return null;
}

/** Whether an op may compute a folded value of `elements` elements: within the per-value cap and the graph's folding budget. */
export function mayFold<A>(ctx: InferContext<A>, elements: number): boolean {
  return elements <= MAX_FOLDED_TENSOR && (ctx.foldable?.(elements) ?? true);
}

/** Data-preserving ops (reshape, squeeze, identity …) hand the same buffer on under the new shape. */
export const sameData = (ctx: RunContext<unknown, unknown>): Tensor[] => [tensor(ctx.outputs[0], ctx.inputs[0].data)];

/** A valid layer convlens does not model: unsupported with the reason in a graph's inference, else UNSUPPORTED_OPERATOR (InferContext.unsupported). */
export function notModelled<A>(ctx: InferContext<A>, reason: string, field: LayerField): never {
  if (ctx.unsupported) ctx.unsupported(reason, field);
  return ctx.fail('UNSUPPORTED_OPERATOR', reason, field);
}

/**
 * A kernel's work in MAC-equivalents, beside the elements it writes: what its op states
 * (Inferred.kernelWork: einsum's loop, NonMaxSuppression), else its MACs (float and integer) and
 * element-wise FLOPs. The folding budget (graph/fold-constants.ts) reads it; a run reads runWork.
 */
export function kernelWork(inferred: Pick<Inferred, 'cost' | 'kernelWork'>): number {
  const c = inferred.cost;
  return inferred.kernelWork ?? c.macs + (c.intMacs ?? 0) + c.elementwise;
}

/**
 * A kernel's work in a run (MAX_RUN_WORK: runtime/checks.ts layerWork, the reverse pass's forward,
 * an operator call): what its op states a run takes (Inferred.runWork: an element-wise loop at its
 * measured rate, which import-time folds keep counting by the cost: pow's in weight
 * standardisation), else kernelWork.
 */
export function runWork(inferred: Pick<Inferred, 'cost' | 'kernelWork' | 'runWork'>): number {
  return inferred.runWork ?? kernelWork(inferred);
}

/**
 * Inferred.runWork of an element-wise kernel that takes `rate` units an element (each op's rate,
 * measured by bench/op-rates.ts, is in its file), over its `elements` outputs; none without a rate.
 */
export const elementRate = (rate: number | undefined, elements: number): Pick<Inferred, 'runWork'> => (rate === undefined ? {} : { runWork: rate * elements });
