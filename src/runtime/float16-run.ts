/**
 * float16 tensors in a run. Values are held as float32 (tensor/tensor.ts) and every kernel computes
 * in float32; a tensor the ONNX graph types FLOAT16 (a graph input, an initializer, a Cast to
 * FLOAT16, an op's output: graph/onnx/element-types.ts) is rounded to float16 (round to nearest
 * even, overflow to ±∞, subnormals: tensor/float16.ts) after the layer that writes it, so the next
 * layer reads float16 values, and it is answered as float16 (Tensor.dtype).
 *
 * That is ONNX's semantics for a FLOAT16 output, and ONNX Runtime's on CPU (a node without a
 * float16 kernel runs in float32 between Casts). It is also PyTorch 1.13's CPU half kernels for
 * add, sub, mul, div, pow, neg, abs, maximum, where, cat and sum (and sum of products, (x·x).sum):
 * they compute each element in float32 (a sum accumulates in float32) and round once, bit for bit
 * what this gives (test/runtime/float16-goldens.test.ts, scripts/goldens_float16.py; float32's 24
 * bits make float32-then-round the correctly rounded result for +, −, ×, ÷). Not torch's mean: it
 * rounds the sum to float16, then divides (x.mean is ∞ where the sum passes 65504); here the mean
 * is rounded once, as ONNX's ReduceMean. Torch 1.13 has no CPU half kernel for conv, matmul,
 * pooling, norms or most activations; those follow ONNX (float32, the output rounded).
 *
 * Fusion (runtime/fuse.ts, fuse-patterns.ts) never spans a float16 tensor: each one must be
 * written, and rounded, as the unfused graph writes it (a batch norm folded into a float16 conv
 * would skip the rounding of the conv's output).
 */
import type { Graph } from '../graph/graph.js';
import { inputElementType, outputElementType } from '../graph/onnx/element-types.js';
import { roundToFloat16 } from '../tensor/float16.js';
import type { Tensor } from '../tensor/tensor.js';

const BY_GRAPH = new WeakMap<Graph, ReadonlySet<string>>();

/** Names of the graph's float16 tensors: its inputs, layer outputs and constants the ONNX graph types FLOAT16 (none for a spec or a zoo model). */
export function float16Tensors(graph: Graph): ReadonlySet<string> {
  const known = BY_GRAPH.get(graph);
  if (known) return known;
  const names = new Set<string>();
  for (const i of graph.inputs) if (inputElementType(i) === 'float16') names.add(i.name);
  for (const l of graph.layers) l.outputs.forEach((o, k) => o !== '' && outputElementType(l, k) === 'float16' && names.add(o));
  for (const c of graph.constants.values()) if (c.dataType === 'float16') names.add(c.name);
  BY_GRAPH.set(graph, names);
  return names;
}

/**
 * The inputs with each float16 one's values rounded to float16: a copy when any value changes
 * (float32 data given for a FLOAT16 input; the caller's array is left as it is), else the same
 * tensor (a `<f2` .npy is decoded exactly). The copy is rounded on its bits (roundToFloat16, which
 * counts the elements it changed) and dropped when none did: one pass of 2–4 ns an element, where
 * checking every value with f16round first took 150–500 ns an element (runtime/checks.ts
 * FLOAT16_INPUT_WORK).
 */
export function float16Inputs(graph: Graph, inputs: Record<string, Tensor>, names: ReadonlySet<string>): Record<string, Tensor> {
  if (names.size === 0) return inputs;
  const out: Record<string, Tensor> = Object.create(null);
  for (const [k, t] of Object.entries(inputs)) {
    const half = names.has(k) && graph.inputs.some((i) => i.name === k);
    const data = half ? t.data.slice() : null;
    out[k] = data && roundToFloat16(data) > 0 ? { shape: t.shape, data } : t;
  }
  return out;
}

/** A layer's outputs the graph types FLOAT16, rounded in place (only changed elements are written). */
export function roundFloat16Outputs(outputs: readonly string[], tensors: readonly (Tensor | undefined)[], names: ReadonlySet<string>): void {
  if (names.size === 0) return;
  outputs.forEach((o, k) => {
    const t = tensors[k];
    if (t && names.has(o)) roundToFloat16(t.data);
  });
}

/** A tensor answered under `name`: typed float16 when the graph types it so, else float32 (no dtype). */
export function answerTensor(name: string, t: Tensor, names: ReadonlySet<string>): Tensor {
  if (names.has(name)) return t.dtype === 'float16' ? t : { shape: t.shape, data: t.data, dtype: 'float16' };
  return t.dtype === undefined ? t : { shape: t.shape, data: t.data };
}
