/**
 * Float32 regions of one growable SharedArrayBuffer: a team's shared memory (runtime/team.ts).
 * A split layer's output is allocated here, so the next split layer that reads it hands its
 * partners an offset instead of copying it in, and nobody copies the partners' bands out: leader
 * and partners write straight into it (measured before: on ResNet-50's split layers the leader
 * spent 12 ms of a 300 ms two-thread forward copying inputs in and 3 ms copying bands out, all of
 * it serial). The executor gives a region back when the tensor's last reader has run
 * (RunOptions.shared), and what a run still holds when it ends (its results are copied out first).
 *
 * First fit over free blocks kept sorted by offset, neighbours merged on release; a request no
 * free block fits grows the buffer at its end (views already handed out stay valid: the buffer
 * only grows). Regions start at 16-byte boundaries (SIMD loads, and no view straddles another).
 */
import { ConvlensError } from '../errors.js';

/** Address space reserved (committed only as the buffer grows). */
export const ARENA_MAX_BYTES = 2 ** 31;
const GROW_STEP = 1 << 20;
const align = (floats: number) => Math.max(4, Math.ceil(floats / 4) * 4);

/** ES2024's growable SharedArrayBuffer (Node ≥ 20), not yet in this project's TypeScript lib. */
export type GrowableBuffer = SharedArrayBuffer & { grow(bytes: number): void; readonly maxByteLength: number };
export const growableBuffer = (maxByteLength: number): GrowableBuffer =>
  new (SharedArrayBuffer as unknown as new (length: number, o: { maxByteLength: number }) => GrowableBuffer)(0, { maxByteLength });

interface Block {
  /** Offset and size in floats. */
  at: number;
  size: number;
}

export class SharedArena {
  readonly buffer: GrowableBuffer;
  /** Free blocks below `top`, by offset, none adjacent to another. */
  private free: Block[] = [];
  /** Floats handed out or free below this; the buffer's bytes beyond it are unused. */
  private top = 0;
  /** Live regions by offset: their size and allocation number (runs release by number: endRun). */
  private readonly held = new Map<number, { size: number; serial: number }>();
  /** Allocation numbers count across arenas, so a run's mark still holds when its team (and arena) is replaced mid-run. */
  private static serial = 0;

  constructor(maxBytes = ARENA_MAX_BYTES) {
    this.buffer = growableBuffer(maxBytes);
  }

  /** Bytes the buffer holds (its high-water mark: it never shrinks). */
  get bytes(): number {
    return this.buffer.byteLength;
  }

  /** Floats in live regions. */
  get heldFloats(): number {
    let n = 0;
    for (const r of this.held.values()) n += r.size;
    return n;
  }

  /** A region of `floats` floats (not zeroed: it may hold an earlier region's values). */
  alloc(floats: number): Float32Array {
    const size = align(floats);
    let at = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size < size) continue;
      at = b.at;
      if (b.size === size) this.free.splice(i, 1);
      else [b.at, b.size] = [b.at + size, b.size - size];
      break;
    }
    if (at < 0) {
      // the last free block, when it ends at the top, is extended rather than left behind (taken
      // off the free list only once the buffer has grown: a growth that throws loses nothing)
      const last = this.free[this.free.length - 1];
      const extend = last !== undefined && last.at + last.size === this.top;
      at = extend ? last.at : this.top;
      this.ensure(at + size);
      if (extend) this.free.pop();
      this.top = at + size;
    }
    this.held.set(at, { size, serial: SharedArena.serial++ });
    return new Float32Array(this.buffer, at * 4, floats);
  }

  private ensure(floats: number): void {
    const bytes = floats * 4;
    if (bytes > this.buffer.maxByteLength) throw new ConvlensError('TENSOR_TOO_LARGE', `a split layer needs ${bytes} bytes of shared memory, over ${this.buffer.maxByteLength}`);
    if (this.buffer.byteLength < bytes) this.buffer.grow(Math.min(this.buffer.maxByteLength, Math.ceil(bytes / GROW_STEP) * GROW_STEP));
  }

  /** Whether `data` is a view into this arena. */
  owns(data: Float32Array): boolean {
    return data.buffer === this.buffer;
  }

  /**
   * The live region `data` lies in, as [start, end) byte offsets, or null (not this arena's, or
   * released, or allocated before `since`: a mark, so that a run finds only the regions it took).
   */
  regionOf(data: Float32Array, since = 0): [number, number] | null {
    if (!this.owns(data)) return null;
    const at = this.regionStart(data.byteOffset / 4);
    if (at < 0) return null;
    const r = this.held.get(at)!;
    return r.serial < since ? null : [at * 4, (at + r.size) * 4];
  }

  /** The start of the live region holding float `offset`, or −1. */
  private regionStart(offset: number): number {
    if (this.held.has(offset)) return offset;
    for (const [at, r] of this.held) if (offset >= at && offset < at + r.size) return at;
    return -1;
  }

  /** Gives back the region `data` lies in (a view of any part of it); nothing if it is not a live region of this arena. */
  release(data: Float32Array): void {
    if (!this.owns(data)) return;
    const at = this.regionStart(data.byteOffset / 4);
    if (at >= 0) this.give(at);
  }

  private give(at: number): void {
    const size = this.held.get(at)!.size;
    this.held.delete(at);
    // insert by offset, merging with the neighbours it touches
    let i = 0;
    while (i < this.free.length && this.free[i].at < at) i++;
    const before = this.free[i - 1];
    const after = this.free[i];
    if (before && before.at + before.size === at) {
      before.size += size;
      if (after && before.at + before.size === after.at) {
        before.size += after.size;
        this.free.splice(i, 1);
      }
    } else if (after && at + size === after.at) [after.at, after.size] = [at, after.size + size];
    else this.free.splice(i, 0, { at, size });
  }

  /** A mark for endRun: regions allocated after it (in any arena) are the run's. */
  static mark(): number {
    return SharedArena.serial;
  }

  /** Releases every region allocated since `mark` that is still live (a run's leftovers; a nested run's mark is later, so it frees only its own). */
  endRun(mark: number): void {
    for (const [at, r] of [...this.held]) if (r.serial >= mark) this.give(at);
  }
}
