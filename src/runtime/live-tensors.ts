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
import { roundToFloat16 } from '../tensor/float16.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Tensors by name that also know which of them view each buffer: whether a dropped tensor's buffer
 * is still read (a reshape shares its input's) is a lookup, not a scan of every live tensor, which
 * made a run of N tensors live at once (N branches read by one add or concat) O(N²): 20,000
 * relus into one add took 5.8 s in the executor, 0.6 s once looked up.
 */
export class TensorsByName extends Map<string, Tensor> {
  // declared, not initialised: Map's constructor calls set() before a subclass's own fields are
  // defined, and a defined field would then reset what those calls recorded
  private declare views?: Map<ArrayBufferLike, Tensor[]>;

  override set(name: string, t: Tensor): this {
    this.forget(super.get(name));
    this.views ??= new Map();
    const list = this.views.get(t.data.buffer);
    if (list) list.push(t);
    else this.views.set(t.data.buffer, [t]);
    return super.set(name, t);
  }

  override delete(name: string): boolean {
    this.forget(super.get(name));
    return super.delete(name);
  }

  override clear(): void {
    this.views?.clear();
    super.clear();
  }

  /** The live tensors whose data is a view of `buffer`. */
  viewsOf(buffer: ArrayBufferLike): readonly Tensor[] {
    return this.views?.get(buffer) ?? [];
  }

  private forget(t: Tensor | undefined): void {
    const list = t && this.views?.get(t.data.buffer);
    const at = list ? list.indexOf(t!) : -1;
    // (splice(-1, 1) would drop another view of the buffer, letting a buffer still read be freed)
    if (at < 0) return;
    list!.splice(at, 1);
    if (list!.length === 0) this.views!.delete(t!.data.buffer);
  }
}

export interface LiveTensors {
  /** Computed tensors (and decoded constants) by name; the caller stores and drops entries. */
  live: TensorsByName;
  /** The tensor named, or undefined for '' (an omitted optional input). */
  read(name: string): Tensor | undefined;
}

/**
 * `values` reads a constant's data (default: a decoded copy; the executor's weight store gives views
 * into the file); a value the analysis folded is rounded to float16 when its name is in `float16`
 * (runtime/float16-run.ts).
 */
export function liveTensors(
  graph: Graph,
  inputs: Record<string, Tensor>,
  infos: ReadonlyMap<string, TensorInfo>,
  values: (c: GraphConstant) => Float32Array | null = constantData,
  float16: ReadonlySet<string> = new Set(),
): LiveTensors {
  const live = new TensorsByName(graph.inputs.flatMap((inp) => (own(inputs, inp.name) ? [[inp.name, own(inputs, inp.name)!] as const] : [])));
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
    if (info?.value && info.shape) {
      const folded = tensor(info.shape, Float32Array.from(info.value.data));
      if (float16.has(name)) roundToFloat16(folded.data);
      return folded;
    }
    throw new ConvlensError('INTERNAL', `tensor '${name}' was not computed`);
  };
  return { live, read };
}
