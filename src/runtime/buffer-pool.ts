/**
 * The weight store's scratch buffers (runtime/weight-store.ts): free Float32Arrays by capacity.
 * acquire(n) hands out the smallest free buffer holding n floats within 1.5× of n (a view of its
 * first n), else a new one; release() returns it. The free buffers total at most the largest one
 * asked for (plus 256 KiB; the smallest are dropped first), so the pool holds about one step's
 * worth of the widest layer, not every size it has seen. A dropped buffer is detached, so the next
 * scavenge frees it (runtime/memory.ts says why).
 */
export class BufferPool {
  private free: Float32Array[] = [];
  private largest = 0;
  /** Bytes let go since the last trim (for the executor's scavenge count). */
  private disposed = 0;

  private dispose(a: Float32Array): void {
    this.disposed += a.buffer.byteLength;
    dispose(a);
  }

  acquire(n: number): Float32Array {
    this.largest = Math.max(this.largest, n);
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const cap = this.free[i].length;
      if (cap >= n && cap <= n * 1.5 + 64 && (best < 0 || cap < this.free[best].length)) best = i;
    }
    if (best < 0) {
      // none fits: the free ones (smaller, or far larger) go rather than sit beside the new one
      for (const f of this.free) this.dispose(f);
      this.free = [];
      return new Float32Array(n);
    }
    const [buf] = this.free.splice(best, 1);
    return buf.length === n ? buf : buf.subarray(0, n);
  }

  release(a: Float32Array): void {
    // the whole buffer (a view of its first n floats was handed out)
    const whole = a.length * 4 === a.buffer.byteLength ? a : new Float32Array(a.buffer as ArrayBuffer);
    this.free.push(whole);
    this.free.sort((x, y) => y.length - x.length);
    let total = 0;
    const kept: Float32Array[] = [];
    for (const f of this.free) {
      if ((total += f.length) <= this.largest + 65536) kept.push(f);
      else this.dispose(f);
    }
    this.free = kept;
  }

  /** Drops the free buffers no request of at most `n` floats could take (over 1.5× of it); the bytes let go since the last trim. */
  trim(n: number): number {
    this.free = this.free.filter((f) => {
      if (f.length <= n * 1.5 + 64) return true;
      this.dispose(f);
      return false;
    });
    const bytes = this.disposed;
    this.disposed = 0;
    return bytes;
  }

  /** Drops every free buffer (the run is over). */
  clear(): void {
    for (const f of this.free) this.dispose(f);
    this.free = [];
  }

  has(buffer: ArrayBufferLike): boolean {
    return this.free.some((f) => f.buffer === buffer);
  }

  get freeBytes(): number {
    return this.free.reduce((s, a) => s + a.byteLength, 0);
  }
}

/** A buffer nothing will read again, handed to a young object the next scavenge frees (runtime/memory.ts detach). */
function dispose(a: Float32Array): void {
  if (a.buffer instanceof ArrayBuffer && a.buffer.byteLength > 0) structuredClone(a.buffer, { transfer: [a.buffer] });
}
