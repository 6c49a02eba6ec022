/**
 * Depth, width and resolution (the notes' r = k·2^n).
 *   depth: weighted layers (conv, convTranspose, deformConv, linear) on the longest input→output path
 *   width: the largest number of kernels (output channels) of a convolution, or the widest token
 *          width an attention layer works at (OpDef.tokenWidth: a transformer's widest stage, Swin-B's
 *          1024, where its only convolution is the 128-kernel patch embedding; in an ONNX file, the
 *          embed_dim of the attention modules its nodes make, `fileTokenWidth`); for a net with
 *          neither, the widest linear layer
 *   k: the spatial size of the most downsampled executed feature map (largest effective stride;
 *      at one stride the deepest, by the longest path from the input) whose size still follows the
 *      input's (not after global or adaptive pooling); n = log2 of its effective stride
 *   b: the border the unpadded windows on the way to that map lose (AxisRF.b, ops/receptive-field.ts):
 *      0 for padded nets; LeNet-5 at 32 loses 4 + 4·2 = 12 (its final map: 5 = (32 − 12)/4)
 * The input the final map implies is r = k·2^n + b. A net whose flatten/linear reads a map that
 * still depends on the input size accepts only inputs that give the same k; a fully convolutional
 * one (or one with global/adaptive pooling) accepts any m·2^n + b.
 */
import type { Shape } from '../ops/types.js';
import type { Graph } from '../graph/graph.js';
import { layerDepths } from '../graph/walks.js';
import type { AnalysedLayer, TensorInfo } from './infer.js';
import type { Report } from './report.js';

export function describeStructure(
  graph: Graph,
  analysed: AnalysedLayer[],
  tensors: Map<string, TensorInfo>,
  outputNames: string[],
  executed: Set<string>,
  /** the token width of attention an ONNX file writes as nodes (conventions/onnx-attention.ts attentionTokenWidth) */
  fileTokenWidth = 0,
): Report['structure'] {
  const depthOf = new Map<string, number>();
  for (const inp of graph.inputs) depthOf.set(inp.name, 0);
  let weightedLayers = 0;
  let convWidth = 0;
  let tokenWidth = fileTokenWidth;
  let denseWidth = 0;
  for (const { layer, op, inferred } of analysed) {
    const weighted = op?.weighted === true;
    if (weighted) weightedLayers++;
    // a loop, not Math.max(...): a variadic layer may read a million tensors
    let before = 0;
    for (const r of layer.inputs) before = Math.max(before, depthOf.get(r) ?? 0);
    for (const o of layer.outputs) depthOf.set(o, before + (weighted ? 1 : 0));
    if (weighted && inferred) {
      // channels on dim 1 for every conv (1-D, 2-D, 3-D); last for a linear or attention (op.channelsLast)
      const out = inferred.outputs[0];
      if (op.tokenWidth) tokenWidth = Math.max(tokenWidth, op.tokenWidth(inferred.plan));
      else if (op.channelsLast) denseWidth = Math.max(denseWidth, out[out.length - 1] ?? 0);
      else convWidth = Math.max(convWidth, out[1] ?? 0);
    }
  }
  let depth = 0;
  for (const o of outputNames) depth = Math.max(depth, depthOf.get(o) ?? 0);
  const width = Math.max(convWidth, tokenWidth) > 0 ? Math.max(convWidth, tokenWidth) : denseWidth;
  const depths = layerDepths(analysed.map((a) => a.layer));
  return { depth, weightedLayers, width, resolution: resolution(graph, analysed.filter((a) => executed.has(a.layer.name)), tensors, depths) };
}

/**
 * The first layer that fixes the input size, and what it is: one whose weights take its input's
 * shape (a position embedding of L tokens) on a tensor the input feeds, or a flatten or linear
 * whose field turns global on an input-sized map (it mixes the map's positions into features).
 */
function sizeFixedBy(analysed: AnalysedLayer[], tensors: Map<string, TensorInfo>): { layer: string; what: string } | null {
  for (const { layer, op, inferred, inputShapes, rf } of analysed) {
    if (!inferred || !op) continue;
    const t = tensors.get(layer.inputs[0]);
    if (t?.inputDependent !== true) continue;
    if (op.weightsSizedByInput) return { layer: layer.name, what: op.weightsSizedByInput };
    if (!op.mixesSpatialPositions) continue;
    const x = inputShapes[0];
    if (x.length !== 4 || !t.rf || t.rf.global) continue;
    // positions mix into features where the op's field turns global (a flatten over H and W, a
    // linear over an NCHW map's width); a linear over a channels-last map's channels (ConvNeXt's
    // and Swin's MLPs) keeps each position's own field and fixes nothing
    const positions = t.rf.dims.reduce((n, d) => n * x[d], 1);
    if (positions > 1 && rf?.global === true) return { layer: layer.name, what: 'a flatten/linear' };
  }
  return null;
}

/**
 * Whether a map further downsampled than the most downsampled local one follows it with a global
 * field (its positions mixed by attention: MaxViT's grid, a Swin exported to ONNX; or by a group
 * norm): the final map's stride is then not followed, and the k·2^n check would judge an earlier
 * map. A map counts when it has the input's batch (attention's windows fold into the batch) and
 * its size is the input's over 2^n, rounded either way, on both axes, for a 2^n above the local
 * map's stride (the pieces of a roll, a pad to whole windows are not such maps).
 */
function furtherMixedMap(analysed: AnalysedLayer[], tensors: Map<string, TensorInfo>, input: Shape, stride: readonly [number, number]): boolean {
  const over = (size: number[], e: number) => size.every((n, a) => n === Math.floor(input[2 + a] / 2 ** e) || n === Math.ceil(input[2 + a] / 2 ** e));
  return analysed.some(({ layer, inferred, folded }) => {
    const t = inferred && !folded ? tensors.get(layer.outputs[0]) : undefined;
    if (!t?.shape || t.shape.length !== 4 || t.shape[0] !== input[0] || !t.rf?.global || t.rf.dims.length !== 2 || !t.inputDependent) return false;
    const size = t.rf.dims.map((d) => t.shape![d] ?? 0);
    // a 1×1 summary (a gate's mean, a global max) is not a map; 2^n stays within the input
    if (size.some((n) => n < 2)) return false;
    for (let e = 1; 2 ** e <= Math.max(input[2], input[3]); e++) if (2 ** e > Math.max(...stride) && over(size, e)) return true;
    return false;
  });
}

function resolution(graph: Graph, analysed: AnalysedLayer[], tensors: Map<string, TensorInfo>, depths: ReadonlyMap<string, number>): Report['structure']['resolution'] {
  const input = graph.inputs.find((i) => i.shape.length === 4);
  if (!input) return null;
  let best: { name: string; shape: Shape; dims: readonly number[]; stride: [number, number]; border: [number, number]; depth: number } | null = null;
  for (const { layer, inferred, folded } of analysed) {
    if (!inferred || folded) continue;
    const t = tensors.get(layer.outputs[0])!;
    // Maps whose size no longer follows the input (after global or adaptive pooling; tiled or expanded
    // along an axis: stride 0, its units no longer at input positions) are not candidates; the
    // resolution check is of 2-D maps (a 4-D tensor carrying a 1-D or 3-D field is not one).
    if (!t.shape || t.shape.length !== 4 || t.shape.includes(0) || !t.rf || t.rf.global || t.rf.axes.length !== 2 || !t.inputDependent) continue;
    if (t.rf.axes.some((a) => a.j === 0)) continue;
    const stride: [number, number] = [t.rf.axes[0].j, t.rf.axes[1].j];
    // at one stride the deeper map (an unpadded conv's smaller one after it), not the one listed later (an auxiliary head)
    const depth = depths.get(layer.name) ?? 0;
    const [area, bestArea] = [stride[0] * stride[1], best ? best.stride[0] * best.stride[1] : -1];
    if (!best || area > bestArea || (area === bestArea && depth >= best.depth)) best = { name: layer.name, shape: t.shape, dims: t.rf.dims, stride, border: [t.rf.axes[0].b ?? 0, t.rf.axes[1].b ?? 0], depth };
  }
  if (!best) return null;
  const k: [number, number] = [best.shape[best.dims[0]], best.shape[best.dims[1]]];
  if (furtherMixedMap(analysed, tensors, input.shape, best.stride)) return null;
  const log2 = (v: number) => {
    const n = Math.log2(v);
    return Number.isInteger(n) ? n : null;
  };
  const nh = log2(best.stride[0]);
  const nw = log2(best.stride[1]);
  const n = nh !== null && nh === nw ? nh : null;
  // a border of a fraction (a transposed conv's odd output padding) implies no input size
  const border = best.border.map((b) => Math.round(b * 1e6) / 1e6) as [number, number];
  const whole = border.every(Number.isInteger);
  const expected: [number, number] | null = n === null || !whole ? null : [k[0] * 2 ** n + border[0], k[1] * 2 ** n + border[1]];
  const inHW: [number, number] = [input.shape[2], input.shape[3]];
  const fixedBy = sizeFixedBy(analysed, tensors);
  const fixed = fixedBy !== null;
  const multiple = n === null ? null : 2 ** n;
  let validInputSizes: string;
  if (multiple === null) validInputSizes = `effective stride [${best.stride.join(', ')}] is not a power of two; sizes that divide evenly by it`;
  // the input analysed gives that map by construction; k·2^n need not (a conv without padding loses its border)
  else if (fixedBy) validInputSizes = `only inputs that give a ${k[0]}×${k[1]} final map, as ${inHW[0]}×${inHW[1]} does (${fixedBy.what} fixes the size)`;
  else if (multiple === 1) validInputSizes = border[0] === 0 && border[1] === 0 ? 'any size (no downsampling)' : `any size its windows fit (no downsampling; they lose a border of ${border.join('×')})`;
  else if (border[0] === 0 && border[1] === 0) validInputSizes = `any multiple of ${multiple} (fully convolutional or pooled to a fixed size before the classifier)`;
  else if (!whole) validInputSizes = `sizes m·${multiple} plus a border of ${border.join('×')}, which is not whole: no input size gives the final map without padding over a pixel`;
  else {
    const term = (b: number) => (b < 0 ? `minus ${-b}` : `plus ${b}`);
    const plus = border[0] === border[1] ? term(border[0]) : `${term(border[0])} (height), ${term(border[1])} (width)`;
    validInputSizes = `any multiple of ${multiple} ${plus}, the border its windows lose or add (fully convolutional or pooled to a fixed size before the classifier)`;
  }
  return {
    input: inHW,
    finalFeatureMap: k,
    finalFeatureMapLayer: best.name,
    downsamplingStride: best.stride,
    downsamplings: n,
    border,
    expectedInput: expected,
    consistent: expected !== null && expected[0] === inHW[0] && expected[1] === inHW[1],
    fixedInputSize: fixed,
    fixedBy: fixedBy?.layer ?? null,
    validInputSizes,
  };
}
