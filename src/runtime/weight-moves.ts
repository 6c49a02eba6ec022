/**
 * Weights read in place in their file by moving them (runtime/weight-store.ts's header): protobuf
 * does not align raw_data, so an unaligned float32 initializer whose importer vouches for the bytes
 * before it (GraphConstant.rawHeader) is moved down over up to 3 of them onto a 4-byte boundary for
 * its layer's step, then moved back and its header's bytes restored, so the file is as it came once
 * the step is over. One InPlaceMoves a WeightStore: the weights moved for the current step.
 */
import { ConvlensError } from '../errors.js';
import type { GraphConstant } from '../graph/graph.js';
import { isRawDataHeader } from '../graph/onnx/constants.js';
import { numel } from '../tensor/tensor.js';

/** Unaligned float32 weights of at least this many bytes are moved in place rather than copied (see the header): smaller ones are cheap to copy into pooled scratch. */
export const MOVE_MIN_BYTES = 1 << 16;

/** A weight moved down onto a 4-byte boundary in its file: `bytes` spans the header's last `shift` bytes and the data; `header` holds what the data moved over. */
interface Moved {
  raw: Uint8Array;
  bytes: Uint8Array;
  shift: number;
  header: Uint8Array;
  view: Float32Array;
  name: string;
}

/** An unaligned float32 constant `values` reads in place by moving it (see the header): MOVE_MIN_BYTES or more, its header vouched for, its file not in shared memory. */
export function movable(c: GraphConstant): boolean {
  const n = numel(c.shape);
  const raw = c.raw;
  if ((c.value && c.value.data.length === n) || (c.typed && c.typed.length === n) || !raw || c.dataType !== 'float32' || raw.byteLength < n * 4) return false;
  const shift = raw.byteOffset % 4;
  return shift !== 0 && n * 4 >= MOVE_MIN_BYTES && (c.rawHeader ?? 0) >= shift && raw.buffer instanceof ArrayBuffer && isRawDataHeader(raw, c.rawHeader!);
}

export class InPlaceMoves {
  private moved: Moved[] = [];

  get size(): number {
    return this.moved.length;
  }

  /** The view of `raw` moved for this step, if it was. */
  find(raw: Uint8Array): Float32Array | undefined {
    return this.moved.find((m) => m.raw.buffer === raw.buffer && m.raw.byteOffset === raw.byteOffset)?.view;
  }

  /**
   * `raw`'s n floats read in place: moved down onto a 4-byte boundary over the last bytes of the
   * header before them (kept aside); null when the constant is smaller than MOVE_MIN_BYTES, its
   * header is unknown or too short, or its file is in shared memory (another thread may read it).
   */
  move(c: GraphConstant, raw: Uint8Array, n: number): Float32Array | null {
    if (!movable(c)) return null;
    const shift = raw.byteOffset % 4;
    const bytes = new Uint8Array(raw.buffer, raw.byteOffset - shift, n * 4 + shift);
    const header = bytes.slice(0, shift);
    // copyWithin copies as through a buffer between: overlapping ranges are safe
    bytes.copyWithin(0, shift);
    const view = new Float32Array(raw.buffer, raw.byteOffset - shift, n);
    this.moved.push({ raw, bytes, shift, header, view, name: c.name });
    return view;
  }

  /**
   * Moves the moved weights back and restores their headers. A `held` result viewing one would read
   * shifted bytes from then on: kernels never return views of their weights (their outputs are
   * arrays of their own), so that is an internal error, thrown once every weight is back.
   */
  back(held: readonly Float32Array[]): void {
    const viewed = this.moved.find((m) => held.some((h) => h.buffer === m.bytes.buffer && h.byteOffset < m.bytes.byteOffset + m.bytes.length && m.bytes.byteOffset < h.byteOffset + h.byteLength));
    for (const m of this.moved) {
      m.bytes.copyWithin(m.shift, 0, m.bytes.length - m.shift);
      m.bytes.set(m.header, 0);
    }
    this.moved = [];
    if (viewed) throw new ConvlensError('INTERNAL', `a layer's result is a view of its weight '${viewed.name}', read in place in the file for the step`);
  }

}
