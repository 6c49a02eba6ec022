/**
 * Which layout a rank-3 network input has. convlens reads an input of rank 3 as N,C,L (a 1-D
 * signal: a field over its last axis). torchvision's detectors take one unbatched image, C,H,W,
 * (torch.onnx.export of `model([image])` writes the input [3, H, W]) and batch it themselves
 * (GeneralizedRCNNTransform: normalise, image[None], F.interpolate, pad, stack); an audio model may
 * likewise unsqueeze its [N, F, T] spectrogram to [N, 1, F, T]. Read as N,C,L, such an input's field
 * covered W alone (its "l" axis), so every field of the network was one number, over W, and the
 * final map of SSDlite at 3×300×400 was "3225.25, wider than the 400 input".
 *
 * The network says which it is: a 2-D window (a kernel over two axes, OpDef.windowedAxes: a
 * conv2d's, a pool's) that reads a 4-D tensor whose field has one axis, at its last dim, while dim
 * 2 (the other spatial axis it windows) is longer than 1 — the rank-3 input's middle axis became a
 * spatial axis; or that reads a 3-D tensor whose field is over its last dim (a pool of one unbatched
 * C,H,W sample: nn.MaxPool2d on [C, H, W]). The rank-3 inputs of such a network carry a 2-D field over their last two dims
 * (H, W), and the graph's fields are propagated again from it (inferGraph: its shapes and costs do
 * not depend on it). A 1-D network (conv1d on N,C,L), or one that windows a 1×L map in 2-D (a
 * conv1d written as a 1×k conv2d on x.unsqueeze(2)), keeps N,C,L.
 */
import type { Graph } from '../graph/graph.js';
import { INPUT_RF, fieldInputSizes } from '../ops/receptive-field.js';
import type { OpDef, Shape, TensorRF } from '../ops/types.js';

interface Walked {
  analysed: readonly { layer: { inputs: string[] }; op: Pick<OpDef, 'windowedAxes'> | null; inferred: unknown; inputShapes: Shape[]; folded: boolean }[];
  tensors: ReadonlyMap<string, { rf: TensorRF | null }>;
}

/** The rank-3 inputs to read as C,H,W: all of them when a 2-D window of the walk read a 1-D field over a 2-D map; else none. */
export function unbatchedImageInputs(graph: Graph, walked: Walked): Set<string> {
  const rank3 = graph.inputs.filter((i) => i.shape.length === 3).map((i) => i.name);
  if (rank3.length === 0) return new Set();
  const twoD = walked.analysed.some((a) => {
    if (a.folded || !a.inferred || a.op?.windowedAxes !== 2) return false;
    const x = a.inputShapes[0];
    const rf = walked.tensors.get(a.layer.inputs[0])?.rf;
    if (!rf || rf.global || rf.axes.length !== 1) return false;
    // batched [N, C, H, W] whose field is over W alone; or the 3-D tensor itself, windowed as one
    // unbatched [C, H, W] sample (a pool takes one, as PyTorch's: ops/pool-unbatched.ts)
    return (x?.length === 4 && x[2] > 1 && rf.dims[0] === 3) || (x?.length === 3 && x[1] > 1 && rf.dims[0] === 2);
  });
  return new Set(twoD ? rank3 : []);
}

/** The field of an unbatched C,H,W image: every unit sees itself, over H and W. */
export function imageRF(): TensorRF {
  return { axes: [INPUT_RF, INPUT_RF], dims: [1, 2], global: false };
}

/** The network input each field is compared with, by its number of axes: an unbatched image's [H, W], else ops' N,C,… reading. */
export function inputFieldSizes(graph: Graph, images: readonly string[] = []): Map<number, number[]> {
  const sizes = new Map<number, number[]>();
  for (const i of graph.inputs) if (images.includes(i.name) && !sizes.has(2)) sizes.set(2, i.shape.slice(1));
  const others = fieldInputSizes(graph.inputs.filter((i) => !images.includes(i.name)).map((i) => i.shape));
  for (const [k, v] of others) if (!sizes.has(k)) sizes.set(k, v);
  return sizes;
}
