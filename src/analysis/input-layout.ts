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
 * C,H,W sample: nn.MaxPool2d on [C, H, W]). The rank-3 inputs of such a network carry a 2-D field
 * over their last two dims (H, W), and the graph's fields are propagated again from it (inferGraph:
 * its shapes and costs do not depend on it). A 1-D network (conv1d on N,C,L), or one that windows a
 * 1×L map in 2-D (a conv1d written as a 1×k conv2d on x.unsqueeze(2)), keeps N,C,L.
 *
 * The rule is one for k-D windows: a rank-(k + 1) input read by a k-D window as one unbatched sample
 * gets its field over its last k axes. So a rank-4 input [C, D, H, W] into nn.MaxPool3d, AvgPool3d or
 * an adaptive 3-D pool (PyTorch takes it unbatched), or batched by x[None] into a conv3d, has a
 * field over D, H and W, named [d, h, w] (read as N,C,H,W its field missed D). A network whose
 * (k − 1)-D windows read such maps as N, C, … (a conv2d on [N, C, H, W]) keeps that reading: its k-D
 * pool over them pools channels (maxout).
 *
 * For k = 1 the walk cannot tell: a rank-2 input [C, L] is no layout (inputRF), so it gives no field
 * at all. A 1-D window (maxPool1d, avgPool1d, an adaptive 1-D pool on [C, L], as nn.MaxPool1d takes a
 * 2-D tensor; a conv1d after x[None]) reading a map of rank 2 or 3 with no field, reached from a
 * rank-2 input, names that input a candidate (signalCandidates); the fields are propagated with the
 * candidates read as [C, L] (a field over L), and kept when a 1-D window then reads that field over its
 * map's last dim (readsSignal). A network that moves L off the window's axis keeps no field: a
 * maxPool1d over the features of an [N, F] batch after a linear (maxout) reads a global field.
 *
 * A field over all the axes but the first does not make an input one unbatched sample: an [N, L] batch
 * unsqueezed to [N, 1, L] into a conv1d (or [N, H, W] to [N, 1, H, W] into a conv2d) has it too. Of the
 * inputs given that field (Inference.fieldInputs), readUnbatched keeps those a layer reads unbatched
 * (Inferred.unbatched, through layers that keep its rank and field) or the network batches itself (x[None]):
 * Inference.imageInputs.
 */
import type { Graph } from '../graph/graph.js';
import { INPUT_RF, fieldInputSizes } from '../ops/receptive-field.js';
import type { Inferred, OpDef, Shape, TensorRF } from '../ops/types.js';

interface Walked {
  analysed: readonly { layer: { inputs: string[]; outputs: string[] }; op: Pick<OpDef, 'windowedAxes'> | null; inferred: Pick<Inferred, 'unbatched'> | null; inputShapes: Shape[]; folded: boolean }[];
  tensors: ReadonlyMap<string, { rf: TensorRF | null }>;
}

/**
 * Whether a k-D window of the walk (OpDef.windowedAxes = k), or a layer that read one unbatched
 * sample over k axes (Inferred.unbatched: globalAvgPool2d's [C, H, W]), reads a field over the last
 * k − 1 dims of a map whose dim before them is longer than 1: the map is one unbatched sample, rank
 * k + 1 (a pool of [C, H, W]: nn.MaxPool2d; of [C, D, H, W]: nn.MaxPool3d, ops/unbatched.ts), or
 * that sample batched by the network, rank k + 2 (image[None]).
 */
function windowsUnbatched(walked: Walked, k: number): boolean {
  return walked.analysed.some((a) => {
    if (a.folded || !a.inferred || (a.op?.windowedAxes !== k && a.inferred.unbatched !== k)) return false;
    const x = a.inputShapes[0];
    const rf = walked.tensors.get(a.layer.inputs[0])?.rf;
    if (!x || !rf || rf.global || !overLast(rf, x, k - 1)) return false;
    return (x.length === k + 1 || x.length === k + 2) && x[x.length - k] > 1;
  });
}

/**
 * Whether a (k − 1)-D window reads a map of rank k + 1 with its field over its last k − 1 dims: the
 * N, C, … layout, as a conv2d reads an [N, C, H, W] batch. A network that does so reads its rank-(k + 1)
 * inputs batched, and its k-D pool over such a map pools channels (maxout: nn.MaxPool3d((2, 1, 1))
 * over [N, C, H, W] reads C as depth).
 */
function windowsBatched(walked: Walked, k: number): boolean {
  return walked.analysed.some((a) => {
    if (a.folded || !a.inferred || a.op?.windowedAxes !== k - 1) return false;
    const x = a.inputShapes[0];
    const rf = walked.tensors.get(a.layer.inputs[0])?.rf;
    return !!x && !!rf && !rf.global && x.length === k + 1 && overLast(rf, x, k - 1);
  });
}

/** Whether the field has n axes, over the map's last n dims in order. */
const overLast = (rf: TensorRF, x: Shape, n: number): boolean => rf.axes.length === n && rf.dims.every((d, i) => d === x.length - n + i);

/** The windows (OpDef.windowedAxes) whose one unbatched sample a network input may be: 2-D (C, H, W) and 3-D (C, D, H, W). */
const UNBATCHED_WINDOWS = [2, 3];

/**
 * The inputs to read as one unbatched sample, each with its field over all its axes but the first:
 * those of rank 3 (C, H, W) when a 2-D window of the walk read a 1-D field over a 2-D map, those of
 * rank 4 (C, D, H, W) when a 3-D window read a 2-D field over a 3-D map; unless a window of one axis
 * fewer reads maps of that rank as N, C, … (windowsBatched).
 */
export function unbatchedInputs(graph: Graph, walked: Walked): Set<string> {
  const found = new Set<string>();
  for (const k of UNBATCHED_WINDOWS) {
    const inputs = graph.inputs.filter((i) => i.shape.length === k + 1);
    if (inputs.length > 0 && windowsUnbatched(walked, k) && !windowsBatched(walked, k)) for (const i of inputs) found.add(i.name);
  }
  return found;
}

/** Whether a walk's layer is a 1-D window (OpDef.windowedAxes 1, or a pool that read one unbatched [C, L]) reading a map of rank 2 (unbatched) or 3 (batched by the network). */
function signalWindow(a: Walked['analysed'][number]): boolean {
  const x = a.inputShapes[0];
  return !a.folded && !!a.inferred && (a.op?.windowedAxes === 1 || a.inferred.unbatched === 1) && !!x && (x.length === 2 || x.length === 3);
}

/**
 * The rank-2 inputs a 1-D window may read as one unbatched [C, L]: those from which a map reaches a
 * 1-D window of rank 2 or 3 with no field (the walk gave them none). Empty in the common case
 * (no rank-2 input, or no 1-D window on a fieldless map): no second propagation.
 */
export function signalCandidates(graph: Graph, walked: Walked): string[] {
  const ranked = graph.inputs.filter((i) => i.shape.length === 2).map((i) => i.name);
  if (ranked.length === 0) return [];
  const starts = walked.analysed.filter((a) => signalWindow(a) && !walked.tensors.get(a.layer.inputs[0])?.rf).map((a) => a.layer.inputs[0]);
  if (starts.length === 0) return [];
  // back from those maps to the network inputs they depend on
  const producer = new Map<string, Walked['analysed'][number]>();
  for (const a of walked.analysed) for (const o of a.layer.outputs) producer.set(o, a);
  const seen = new Set<string>();
  const stack = [...starts];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    for (const r of producer.get(t)?.layer.inputs ?? []) if (r !== '') stack.push(r);
  }
  return ranked.filter((n) => seen.has(n));
}

/** Whether, with the candidates read as [C, L] (their field over L), a 1-D window reads a field over its map's last dim. */
export function readsSignal(trial: Walked): boolean {
  return trial.analysed.some((a) => {
    if (!signalWindow(a)) return false;
    const rf = trial.tensors.get(a.layer.inputs[0])?.rf;
    return !!rf && !rf.global && overLast(rf, a.inputShapes[0], 1);
  });
}

/**
 * Of the inputs given a field over all their axes but the first (`fielded`: unbatchedInputs and the
 * signals readsSignal kept), those that are one sample without its batch axis: a layer reads it
 * unbatched (Inferred.unbatched: a pool or conv of [C, …spatial]) through layers that keep its rank
 * and its field over all axes but the first (a ReLU, an add, a pad, a crop), or the network batches it itself, a k-D window reading [1, C, …] where the
 * input is [C, …] (x[None] into a conv2d; a detector's image, normalised, x[None], resized). A batch
 * the network gives one channel, [N, L] → [N, 1, L] into a conv1d or [N, H, W] → [N, 1, H, W] into a
 * conv2d (a spectrogram), has the same field but is no unbatched sample: left out (at N = 1 the two
 * readings are one: [1, 1, L] either way).
 */
export function readUnbatched(graph: Graph, walked: Walked, fielded: ReadonlySet<string>): string[] {
  return graph.inputs.filter((i) => fielded.has(i.name) && readsOneSample(walked, i.name, i.shape)).map((i) => i.name);
}

/** The inference with `fielded` as its fieldInputs, and those of them that are one unbatched sample as its imageInputs (analysis/infer.ts Inference). */
export function withLayout<T extends Walked>(graph: Graph, inference: T, fielded: ReadonlySet<string>): T & { fieldInputs: string[]; imageInputs?: string[] } {
  const unbatched = readUnbatched(graph, inference, fielded);
  return { ...inference, fieldInputs: [...fielded], ...(unbatched.length > 0 && { imageInputs: unbatched }) };
}

function readsOneSample(walked: Walked, input: string, shape: Shape): boolean {
  const reached = new Set([input]);
  for (const a of walked.analysed) {
    if (a.folded || !a.inferred || !a.layer.inputs.some((r) => reached.has(r))) continue;
    for (const o of a.layer.outputs) reached.add(o);
    const x = a.inputShapes[0];
    const first = a.layer.inputs[0];
    if (!x || !reached.has(first)) continue;
    // read unbatched: a map of the input's rank whose field is still over all its axes but the first (a ReLU, a pad, a crop
    // between keep it; a linear that mixes an [N, F] batch's features makes it global: maxout)
    const rf = walked.tensors.get(first)?.rf;
    if (a.inferred.unbatched !== undefined && x.length === a.inferred.unbatched + 1 && x.length === shape.length && !!rf && !rf.global && overLast(rf, x, x.length - 1)) return true;
    // batched by the network: a k-D window reading [1, C, …] of a [C, …] input
    if (a.op?.windowedAxes === shape.length - 1 && x.length === shape.length + 1 && x[0] === 1 && x[1] === shape[0]) return true;
  }
  return false;
}

/** The field of an unbatched input of this rank: every unit sees itself, on each axis after the first (L; H, W; D, H, W). */
export function unbatchedRF(rank: number): TensorRF {
  const dims = Array.from({ length: rank - 1 }, (_, i) => i + 1);
  return { axes: dims.map(() => INPUT_RF), dims, global: false };
}

/** The network input each field is compared with, by its number of axes: an unbatched input's all but its first, else ops' N,C,… reading. */
export function inputFieldSizes(graph: Graph, unbatched: readonly string[] = []): Map<number, number[]> {
  const sizes = new Map<number, number[]>();
  for (const i of graph.inputs) if (unbatched.includes(i.name) && !sizes.has(i.shape.length - 1)) sizes.set(i.shape.length - 1, i.shape.slice(1));
  const others = fieldInputSizes(graph.inputs.filter((i) => !unbatched.includes(i.name)).map((i) => i.shape));
  for (const [k, v] of others) if (!sizes.has(k)) sizes.set(k, v);
  return sizes;
}
