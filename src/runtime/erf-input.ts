/**
 * Which graph input an effective receptive field is measured at, and what the others get.
 *
 * - The measured input: the one named by the request (`inputName`, the CLI's --input-name), which
 *   must be an image [N, C, H, W] or a clip [N, C, T, H, W], or one such sample without its batch
 *   axis that the network reads so (an unbatched [C, H, W] into 2-D pools: its batch of one's field,
 *   stages and statistics; its gradient in its own shape); without a name, the first such input.
 *   A name the network has no input for is INVALID_OPTION at `$.inputName`, its inputs listed with
 *   their shapes (and the closest name as the suggestion).
 * - The other inputs: with input "given", the tensors given for them (every input is given, as a
 *   run's are); with "random" and "luo", N(0, 1) draws like the measured one's, each from a stream
 *   of its own: the network's first input from the stream a one-input network's input always had
 *   (`erf-input#k`), every other from `erf-input#k#<name>`, so a sample's inputs are the same
 *   whichever input is measured, and a one-input network's answers are as before.
 * - The tensors the measured input reaches: a unit it does not reach has a zero gradient there, so
 *   it is refused (NO_GRADIENT) rather than answered as a field of no pixels; stages it does not
 *   reach (the other stream of a two-stream network) are left out of the growth table.
 */
import type { Inference } from '../analysis/infer.js';
import { ConvlensError, fmtShape } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import { closest } from '../suggest.js';
import { hash32, rng } from '../tensor/random.js';
import { numel, tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ResolvedTarget } from './backward.js';
import { shiftDims } from '../ops/unbatched.js';

/** Where a request names the measured input. */
export const INPUT_NAME_PATH = '$.inputName';

const listed = (graph: Graph) => graph.inputs.map((i) => `'${i.name}' ${fmtShape(i.shape)}`).join(', ');

/**
 * The measured input: `name`'s (checked), else the first image [N, C, H, W] or clip [N, C, T, H, W],
 * or one unbatched image [C, H, W] or clip [C, T, H, W] the network reads without its batch axis
 * (`fielded`, Inference.fieldInputs: a [C, H, W] into 2-D pools, a [C, D, H, W] into 3-D pools;
 * analysis/input-layout.ts). Such an input is measured as its batch of one, as PyTorch runs it
 * (batchedView); a rank-4 input the network reads batched stays an image. An [N, H, W] batch the
 * network gives one channel ([N, 1, H, W], a spectrogram: a field input, not an unbatched one) is
 * measured through the same view, [1, N, H, W]: the unit, of sample 0, reaches sample 0 alone, so the
 * view's sum over its axis 1 is that sample's map, as before 2026-12-07 when it was listed unbatched.
 */
export function measuredInput(graph: Graph, name?: string, fielded: readonly string[] = []): { name: string; shape: number[]; unbatched: boolean } {
  const single = (i: { name: string; shape: readonly number[] }) => fielded.includes(i.name) && (i.shape.length === 3 || i.shape.length === 4);
  const isImage = (i: { name: string; shape: readonly number[] }) => ((i.shape.length === 4 || i.shape.length === 5) && !fielded.includes(i.name)) || single(i);
  const measured = (i: { name: string; shape: readonly number[] }) => ({ name: i.name, shape: [...i.shape], unbatched: single(i) });
  if (name !== undefined) {
    const found = graph.inputs.find((i) => i.name === name);
    if (!found) {
      const suggestion = closest(name, graph.inputs.map((i) => i.name));
      throw new ConvlensError('INVALID_OPTION', `the network has no input '${name}'${suggestion !== undefined ? ` (did you mean '${suggestion}'?)` : ''}; its inputs are ${listed(graph)}`, {
        path: INPUT_NAME_PATH,
        ...(suggestion !== undefined && { suggestion }),
      });
    }
    if (!isImage(found)) {
      const images = graph.inputs.filter(isImage).map((i) => `'${i.name}'`);
      throw new ConvlensError('INVALID_OPTION', `input '${name}' ${fmtShape(found.shape)} is not an image [N, C, H, W] or a clip [N, C, T, H, W] (or one unbatched, [C, H, W] or [C, T, H, W], that the network's windows read so): an effective receptive field is over an image's or a clip's pixels; ${images.length ? `the network's are ${images.join(', ')}` : 'the network has none'} (its inputs are ${listed(graph)})`, {
        path: INPUT_NAME_PATH,
      });
    }
    return measured(found);
  }
  const found = graph.inputs.find(isImage);
  if (!found) {
    throw new ConvlensError('INVALID_OPTION', `an effective receptive field needs an image input [N, C, H, W] or a clip [N, C, T, H, W] (or one unbatched, [C, H, W] or [C, T, H, W], that the network's windows read so); the network's inputs are ${graph.inputs.map((i) => `${i.name} ${fmtShape(i.shape)}`).join(', ')}`, {
      path: '$.inputs',
    });
  }
  return measured(found);
}

/**
 * The inference as the ERF reads it when the measured input is one unbatched sample over `spatial`
 * axes (2: [C, H, W]; 3: [C, T, H, W]): each map of that sample, [C, …spatial] with its field over
 * dims 1 … spatial (a pool's output), is seen as its batch of one [1, C, …spatial], its field over
 * dims 2 … spatial + 1. The same data, row-major: the unit, the default map, the stages and the field
 * are those of the batched network, which PyTorch's unbatched modules are. Maps the network batched
 * itself (x[None] into a conv) are already [1, C, …].
 */
export function batchedView(inference: Inference, spatial: number): Inference {
  const tensors = new Map(inference.tensors);
  for (const [name, t] of inference.tensors) {
    const rf = t.rf;
    if (!t.shape || !rf || t.shape.length !== spatial + 1 || rf.dims.length !== spatial || !rf.dims.every((d, k) => d === k + 1)) continue;
    tensors.set(name, { ...t, shape: [1, ...t.shape], rf: shiftDims(rf, 1) });
  }
  return { ...inference, tensors };
}

/** A gradient or a target's shape in its batched view: an unbatched sample's [C, …] as [1, C, …]. */
export const batchedShape = (shape: readonly number[], unbatched: boolean): number[] => (unbatched ? [1, ...shape] : [...shape]);

/** Standard normal values from the seeded stream (Box–Muller). */
export function normalInput(shape: readonly number[], seed: number): Tensor {
  const n = numel(shape);
  const out = new Float32Array(n);
  const random = rng(seed);
  for (let k = 0; k < n; k += 2) {
    const u = 1 - random();
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    out[k] = r * Math.cos(2 * Math.PI * v);
    if (k + 1 < n) out[k + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return tensor(shape, out);
}

/** Sample `index`'s random inputs: every graph input N(0, 1), each from its own stream (the first from `erf-input#k`). */
export function randomInputs(graph: Graph, seed: number, index: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = Object.create(null);
  graph.inputs.forEach((inp, k) => {
    const stream = k === 0 ? `erf-input#${index}` : `erf-input#${index}#${inp.name}`;
    out[inp.name] = normalInput(inp.shape, (seed ^ hash32(stream)) >>> 0);
  });
  return out;
}

/** The tensors that depend on graph input `input` (forward over the layers, in order). */
export function reachedFrom(inference: Inference, input: string): Set<string> {
  const reached = new Set([input]);
  for (const a of inference.analysed) {
    if (a.layer.inputs.some((r) => reached.has(r))) for (const o of a.layer.outputs) reached.add(o);
  }
  return reached;
}

/**
 * A unit the measured input does not reach, but another input does, is refused: its gradient there
 * is zero everywhere. At the input's name when the request named it, else at the layer; the inputs
 * that do reach it are named. A unit no input reaches is left to the reverse pass's own refusal.
 */
export function checkReached(graph: Graph, inference: Inference, target: ResolvedTarget, input: string, reached: Set<string>, named: boolean): void {
  if (reached.has(target.tensor)) return;
  const reaching = graph.inputs.filter((i) => i.name !== input && reachedFrom(inference, i.name).has(target.tensor)).map((i) => `'${i.name}'`);
  // a unit no input reaches (a constant): the reverse pass's own NO_GRADIENT says so (runtime/backward.ts)
  if (reaching.length === 0) return;
  const advice = `the input${reaching.length > 1 ? 's' : ''} reaching it: ${reaching.join(', ')}`;
  throw new ConvlensError('NO_GRADIENT', `'${target.layer}' ${fmtShape(target.shape)} does not depend on input '${input}' (${advice}): its gradient there is zero everywhere; choose an input that reaches the layer, or a layer that input reaches`, {
    path: named ? INPUT_NAME_PATH : '$.layer',
    layer: target.layer,
  });
}
