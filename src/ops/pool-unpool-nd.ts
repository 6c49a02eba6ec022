/**
 * Max unpooling over 1 or 3 spatial axes (audio [L], video [T, H, W]), as pool.ts's maxUnpool2d
 * over 2. PyTorch: torch.nn.MaxUnpool1d/3d (audio autoencoders, 3-D SegNet/V-Net decoders).
 *
 *   maxUnpool1d/3d  O per axis = (I − 1)·s − pb − pe + k (PyTorch's padding both sides alike,
 *                   (I − 1)·s − 2p + k; 2N numbers [b1 … bN, e1 … eN] are ONNX MaxUnpool's pads,
 *                   begin ≠ end allowed), or outputSize: 1 or 3 sizes (one number for
 *                   every axis), or 3 or 5 as PyTorch takes output_size=input.size() (the last 1
 *                   or 3 read), each strictly within one stride of that default (PyTorch's
 *                   _unpool_output_size; an ONNX node's: from the default up, as onnxruntime); x[i] written at indices[i], a flat offset in its (n, c)
 *                   output plane (maxPool1d/3d's returnIndices: l, t·H·W + h·W + w); zeros
 *                   elsewhere; a scatter, no arithmetic. An index outside the plane is refused, as
 *                   PyTorch's "Found an invalid max index"; an output plane past 2^24 + 1 elements
 *                   too (float32 indices, as maxUnpool2d).
 *   indicesOver     'plane' (PyTorch's offsets within each (n, c) output plane) or 'tensor'
 *                   (ONNX MaxUnpool's: over the whole N·C·…spatial output, as ONNX MaxPool's
 *                   Indices count; the ONNX importer sets it); an optional third input gives the
 *                   output size as known values (ONNX's output_shape, e.g. Shape of the pooled
 *                   input), read as outputSize; one inference cannot fold leaves the layer unsupported.
 * Input gradient: ∂x[i] = g[indices[i]] (a gather, pool-vjp.ts maxUnpoolGrad); the indices none.
 * Receptive field: a transposed window per axis (kernel k, stride s, padding pb/pe), as maxUnpool2d's.
 * Each also takes one unbatched [C, …spatial] sample with indices of its shape (unbatched.ts).
 */
import { z } from 'zod';
import { ConvlensError, fmtShape } from '../errors.js';
import { coordinates } from './index-faults.js';
import type { AxisGeometry } from './geometry.js';
import { nonNegInt, posInt } from './geometry.js';
import { axisName, expand, perAxis } from './geometry-nd.js';
import { expectSpatialRank } from './nd-common.js';
import { transposedRF } from './receptive-field.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { refuseInexactIndices } from './pool-kernels.js';
import { maxUnpoolGrad } from './pool-vjp.js';
import { gradOrZeros } from './vjp-kernels.js';
import { acceptUnbatched } from './unbatched.js';
import { notModelled } from './common.js';
import type { InferContext } from './types.js';
import type { Tensor } from '../tensor/tensor.js';

/** maxUnpool1d/2d/3d's indicesOver: what the indices count over (header). */
export const UnpoolIndicesOver = z
  .enum(['plane', 'tensor'])
  .default('plane')
  .describe(
    "what the indices count over: 'plane', each (n, c) output plane, as PyTorch's maxPool returnIndices (indicesOver plane); 'tensor', the whole N·C·…spatial output, as ONNX MaxUnpool reads ONNX MaxPool's Indices (the ONNX importer sets it)",
  );

/**
 * The output sizes asked for: the outputSize attribute, else input 2's known values (ONNX's
 * output_shape: N, C and the spatial sizes); undefined when neither. Input 2 present but not
 * foldable leaves the layer unsupported, as resize's sizes.
 */
export function wantedOutputSize<A extends { outputSize?: number | readonly number[] }>(ctx: InferContext<A>): number | readonly number[] | undefined {
  if (ctx.attrs.outputSize !== undefined) return ctx.attrs.outputSize;
  const v = ctx.values[2];
  if (v) {
    // ONNX's output_shape is the whole output's: N and C are x's (onnxruntime scatters over that many planes)
    const x = ctx.inputs[0];
    const size = Array.from(v.data);
    if (size.length !== x.length || size[0] !== x[0] || size[1] !== x[1]) {
      ctx.fail('SHAPE_MISMATCH', `output size [${size.join(', ')}] must be a shape of ${x.length} sizes whose N and C are x's ${fmtShape(x)}`, 'inputs', { shapes: { x } });
    }
    return size;
  }
  if (ctx.inputs[2] && numel(ctx.inputs[2]) > 0) notModelled(ctx, 'max unpooling output size computed from tensor values (not constants inference can fold): its output shape is not known', ['inputs', 2]);
  return undefined;
}

/**
 * Why an output size `out` is refused for an axis whose default is `def` at stride `s`, or null.
 * PyTorch (_unpool_output_size) takes a size strictly within one stride of the default, both ends
 * refused; an ONNX node's output_shape (fromOnnx) may be any size from the default up, as
 * onnxruntime's Unpool ("output_shape is smaller than minimum required").
 */
export function outputSizeRefusal(out: number, def: number, s: number, fromOnnx: boolean | undefined): string | null {
  if (fromOnnx) return out < def ? `may not be below ${def}, the default (ONNX MaxUnpool's output_shape: at least the inferred shape, as onnxruntime)` : null;
  return out <= def - s || out >= def + s ? `must lie strictly between ${def - s} and ${def + s}` : null;
}

/**
 * maxUnpool's padding per axis as [begin, end]: one number for every side, one per axis (PyTorch's
 * padding, both sides alike), or 2N numbers [b1 … bN, e1 … eN] (ONNX MaxUnpool's pads, whose begin
 * and end may differ; 2-D [top, left, bottom, right], as maxPool2d's padding).
 */
export function unpoolPads(p: number | readonly number[], rank: number): [number, number][] {
  return [...Array(rank).keys()].map((a) => (typeof p === 'number' ? [p, p] : p.length === rank ? [p[a], p[a]] : [p[a], p[rank + a]]));
}

/** maxUnpool1d/2d/3d's padding attribute over `rank` axes (unpoolPads). */
export const unpoolPadding = (rank: number) =>
  z
    .union([nonNegInt, z.array(nonNegInt).length(rank), z.array(nonNegInt).length(2 * rank)])
    .default(0)
    .describe(
      `removed from the output's ends: one number for every side, ${rank} (one per axis, both sides, as PyTorch), or ${2 * rank} [${rank === 2 ? 'top, left, bottom, right' : rank === 1 ? 'begin, end' : 'd, h, w begins, then ends'}] (ONNX MaxUnpool's pads, begin and end apart)`,
    );

/**
 * The unpooled axes of x [N, C, …spatial]: per axis the default (I − 1)·s − pb − pe + k (ONNX's
 * MaxUnpool output shape; PyTorch's (I − 1)·s − 2p + k), or the size asked for (`wanted`: the
 * outputSize attribute or input 2's values) within outputSizeRefusal's bounds. A default below 1
 * is refused at the padding for an ONNX node whatever its output_shape (onnxruntime 1.30 computes
 * the default first: "Computed output dimension is not positive"), and for a PyTorch layer given no
 * outputSize (torch 1.13 returns a 0-sized tensor); a PyTorch outputSize within one stride of it
 * is taken (torch 1.13: max_unpool1d k 2, s 2, padding 1 of one element: default 0, output_size
 * [1] gives [5.]). `named` puts the axis name in outputSize's refusal (maxUnpool2d's has none).
 */
export function unpoolGeometry<A>(ctx: InferContext<A>, x: readonly number[], k: number[], s: number[], pads: [number, number][], wanted: number[] | undefined, named: boolean): AxisGeometry[] {
  const rank = k.length;
  return k.map((_, a): AxisGeometry => {
    const [pb, pe] = pads[a];
    const def = (x[2 + a] - 1) * s[a] - pb - pe + k[a];
    const axis = axisName(rank, a);
    if (def <= 0 && (ctx.fromOnnx || !wanted)) {
      ctx.fail('NON_POSITIVE_SIZE', `output ${axis} ${def} = (${x[2 + a]} − 1)·${s[a]} − ${pb} − ${pe} + ${k[a]} is not positive`, 'padding', { shapes: { x } });
    }
    let out = def;
    if (wanted) {
      out = wanted[a];
      const refusal = outputSizeRefusal(out, def, s[a], ctx.fromOnnx);
      if (refusal) ctx.fail('INVALID_ATTRIBUTE', `outputSize ${out}${named ? ` (${axis})` : ''} ${refusal} for input ${x[2 + a]}`, 'outputSize', { shapes: { x } });
      if (out <= 0) ctx.fail('NON_POSITIVE_SIZE', `outputSize ${out} (${axis}) is not positive`, 'outputSize', { shapes: { x } });
    }
    return { in: x[2 + a], kernel: k[a], stride: s[a], dilation: 1, effKernel: k[a], padBegin: pb, padEnd: pe, out };
  });
}

/**
 * x scattered to its indices in an output of `planes` planes of `outDims` (zeros elsewhere), the
 * indices counting within each plane or over the whole output (indicesOver); an index outside
 * its range is refused as PyTorch's "Found an invalid max index".
 */
export function unpoolScatter(x: Tensor, indices: Tensor, outDims: readonly number[], over: 'plane' | 'tensor', name: string): Float32Array {
  const planes = x.shape[0] * x.shape[1];
  const inPlane = numel(x.shape.slice(2));
  const outPlane = numel(outDims);
  refuseInexactIndices(over === 'tensor' ? [x.shape[0], x.shape[1], ...outDims] : outDims, '$.inputs[1]', name, over);
  const out = new Float32Array(planes * outPlane);
  const range = over === 'tensor' ? planes * outPlane : outPlane;
  const where = over === 'tensor' ? `${x.shape[0]}×${x.shape[1]}×${outDims.join('×')} output` : `${outDims.join('×')} output plane`;
  for (let p = 0; p < planes; p++) {
    const base = over === 'tensor' ? 0 : p * outPlane;
    for (let i = p * inPlane, end = i + inPlane; i < end; i++) {
      const at = indices.data[i];
      if (!(at >= 0 && at < range && Number.isInteger(at))) {
        throw new ConvlensError('INVALID_TENSOR', `indices${coordinates(i, indices.shape)} = ${at} is outside the ${where} (PyTorch: "Found an invalid max index")`, {
          path: '$.inputs[1]',
          shapes: { x: x.shape, indices: indices.shape },
        });
      }
      out[base + at] = x.data[i];
    }
  }
  return out;
}

/** ∂x of max unpooling: a gather of g at the indices, per plane or over the whole output (indicesOver). */
export function unpoolGrad(g: Float32Array, x: Tensor, indices: Tensor, outDims: readonly number[], over: 'plane' | 'tensor'): Float32Array {
  const planes = x.shape[0] * x.shape[1];
  return over === 'tensor' ? maxUnpoolGrad(g, indices.data, 1, planes * numel(outDims)) : maxUnpoolGrad(g, indices.data, planes, numel(outDims));
}

const maxUnpoolNdAttrs = (rank: 1 | 3) =>
  z.strictObject({
    kernelSize: perAxis(rank),
    /** PyTorch's default stride is the kernel size. */
    stride: perAxis(rank).optional(),
    padding: unpoolPadding(rank),
    indicesOver: UnpoolIndicesOver,
    outputSize: z
      .union([posInt, z.array(posInt).length(rank), z.array(posInt).length(rank + 2)])
      .optional()
      .describe(
        rank === 1
          ? "the output's length ([L] or one number); or 3 sizes, of which the last is read, as PyTorch takes output_size=input.size() (N and C ignored)"
          : "the output's [depth, height, width] (or one number for all); or 5 sizes, of which the last three are read, as PyTorch takes output_size=input.size() (N and C ignored)",
      ),
  });
export type MaxUnpoolNdAttrs = z.infer<ReturnType<typeof maxUnpoolNdAttrs>>;

export interface UnpoolNdPlan {
  geo: AxisGeometry[];
}

/** outputSize's spatial sizes: PyTorch's _unpool_output_size reads the last `rank` of rank + 2 entries. */
function unpoolSizes(size: number | readonly number[], rank: number): number[] {
  if (typeof size === 'number') return expand(size, rank);
  return size.length === rank + 2 ? size.slice(2) : [...size];
}

function makeMaxUnpool(rank: 1 | 3): OpDef<MaxUnpoolNdAttrs, UnpoolNdPlan> {
  const name = `maxUnpool${rank}d`;
  return {
    name,
    windowedAxes: rank,
    summary: `Max unpooling over ${rank === 1 ? '[L]' : '[T, H, W]'}: values back at the argmax positions of a maxPool${rank}d (inputs [x, "pool:1"]), zeros elsewhere`,
    pytorch: `torch.nn.MaxUnpool${rank}d`,
    inputNames: ['x', 'indices', 'outputSize'],
    minInputs: 2,
    attrs: maxUnpoolNdAttrs(rank),
    infer(ctx) {
      const x = expectSpatialRank(ctx, rank);
      const idx = ctx.inputs[1];
      // PyTorch: "Expected shape of indices to be same as that of the input tensor"
      if (idx.length !== x.length || idx.some((d, i) => d !== x[i])) {
        ctx.fail('SHAPE_MISMATCH', `indices ${fmtShape(idx)} must have the shape of x ${fmtShape(x)}`, 'inputs', { shapes: { x, indices: idx } });
      }
      const k = expand(ctx.attrs.kernelSize, rank);
      const s = expand(ctx.attrs.stride ?? ctx.attrs.kernelSize, rank);
      const size = wantedOutputSize(ctx);
      const geo = unpoolGeometry(ctx, x, k, s, unpoolPads(ctx.attrs.padding, rank), size === undefined ? undefined : unpoolSizes(size, rank), true);
      return { outputs: [[x[0], x[1], ...geo.map((g) => g.out)]], weights: [], cost: ZERO_COST, plan: { geo } };
    },
    receptiveField: (ctx) => transposedRF(ctx.rf[0], ctx.plan.geo, ctx.inputs[0]),
    run(ctx) {
      const [x, indices] = ctx.inputs;
      const out = unpoolScatter(x, indices, ctx.plan.geo.map((g) => g.out), ctx.attrs.indicesOver, name);
      return [tensor(ctx.outputs[0], out)];
    },
    vjp(ctx) {
      const [x, indices] = ctx.inputs;
      return [tensor(x.shape, unpoolGrad(gradOrZeros(ctx), x, indices, ctx.outputs[0].slice(2), ctx.attrs.indicesOver)), null];
    },
  };
}

// each also takes an unbatched [C, …spatial] input and indices (unbatched.ts)
export const maxUnpool1d = acceptUnbatched(makeMaxUnpool(1), 1, [0, 1]);
export const maxUnpool3d = acceptUnbatched(makeMaxUnpool(3), 3, [0, 1]);
