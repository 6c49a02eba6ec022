/**
 * The tensors of one run by name: computed ones as the executor stores them, a constant decoded
 * from the file on first read (and kept), a folded value materialised. Shared by the forward
 * executor and the reverse pass.
 */
import type { TensorInfo } from '../analysis/infer.js';
import { ConvlensError } from '../errors.js';
import { constantData } from '../graph/constant-data.js';
import type { Graph, GraphConstant } from '../graph/graph.js';
import { own } from '../records.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

export interface LiveTensors {
  /** Computed tensors (and decoded constants) by name; the caller stores and drops entries. */
  live: Map<string, Tensor>;
  /** The tensor named, or undefined for '' (an omitted optional input). */
  read(name: string): Tensor | undefined;
}

/** `values` reads a constant's data (default: a decoded copy; the executor's weight store gives views into the file). */
export function liveTensors(
  graph: Graph,
  inputs: Record<string, Tensor>,
  infos: ReadonlyMap<string, TensorInfo>,
  values: (c: GraphConstant) => Float32Array | null = constantData,
): LiveTensors {
  const live = new Map<string, Tensor>(graph.inputs.map((inp) => [inp.name, own(inputs, inp.name)!]));
  const read = (name: string): Tensor | undefined => {
    if (name === '') return undefined;
    const t = live.get(name);
    if (t) return t;
    const c = graph.constants.get(name);
    if (c) {
      const data = values(c);
      if (!data) throw new ConvlensError('INVALID_TENSOR', `constant '${name}' has no data in the file`, { path: '$.model' });
      const ct = tensor(c.shape, data);
      live.set(name, ct);
      return ct;
    }
    const info = infos.get(name);
    if (info?.value && info.shape) return tensor(info.shape, Float32Array.from(info.value.data));
    throw new ConvlensError('INTERNAL', `tensor '${name}' was not computed`);
  };
  return { live, read };
}
