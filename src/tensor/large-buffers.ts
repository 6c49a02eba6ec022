/**
 * Large tensor buffers used again instead of fresh memory each time.
 *
 * On this VM a first touch of a 4 KiB page costs about 15 µs, and glibc serves an allocation above
 * its mmap threshold (at most 32 MiB, raised from 128 KiB as large blocks are freed) with fresh
 * pages every time: MViT-V2-S at 16×224² took 48,000–68,000 minor faults a steady forward (its MLP's
 * 38.5 MB hidden tensors, its attention's 28.9 MB qkv: docs/benchmarks-log.md, 2026-12-06).
 *
 * While a run is under way (the executor's `withLargeBuffers`), a buffer of at least
 * LARGE_BUFFER_BYTES that nothing will read again goes to the thread's pool instead of to the
 * collector: a dead activation (the executor's liveness says so) or an op's own scratch
 * (`recycle`). A later large request (`zeroed`, tensor.ts `uncleared`) takes the smallest free
 * buffer that holds it, as a view of its first n floats, so its pages are already mapped. The free
 * buffers total at most the pool's `cap` (the smallest go first: the largest serve any request);
 * what the pool lets go is detached, so the next scavenge frees it (runtime/memory.ts).
 * Outside a run nothing is pooled: `zeroed` and `uncleared` allocate as before, `recycle` is a no-op.
 *
 * A pooled buffer is handed out once and is then the taker's alone: a tensor returned to a caller
 * was taken out of the pool (or never was in it), and the executor never gives back a buffer a live
 * tensor, an output, a capture, an input or a weight views.
 */

/** Buffers below this many bytes are left to the allocator (it keeps small blocks mapped). */
export const LARGE_BUFFER_BYTES = 16 * 2 ** 20;

/** Free large ArrayBuffers, smallest first, at most `cap` bytes in all. */
export class LargeBufferPool {
  private free: ArrayBuffer[] = [];
  private held = 0;
  /** Bytes of free buffers the pool may hold; raised to the largest request (a run holds that much at once anyway). */
  cap = 0;
  /** Counters for measurements: buffers taken from the pool, and large requests it had none for. */
  hits = 0;
  misses = 0;
  /** Bytes let go (trim) since the pool was made: the executor counts them toward its next scavenge, as the bytes it detaches itself. */
  letGo = 0;

  /**
   * The smallest free buffer of at least `bytes`, taken out of the pool; undefined when there is
   * none. (A larger one serves a smaller request: its pages are resident whether it is used or
   * waits in the pool.)
   */
  take(bytes: number): ArrayBuffer | undefined {
    this.cap = Math.max(this.cap, bytes);
    const at = this.free.findIndex((b) => b.byteLength >= bytes);
    if (at < 0) {
      this.misses++;
      return undefined;
    }
    const [buffer] = this.free.splice(at, 1);
    this.held -= buffer.byteLength;
    this.hits++;
    return buffer;
  }

  /**
   * Takes a buffer nothing reads again; false (and the buffer untouched) when it is below
   * LARGE_BUFFER_BYTES or already held. The smallest free buffers go past `cap`.
   */
  give(buffer: ArrayBuffer): boolean {
    const bytes = buffer.byteLength;
    if (bytes < LARGE_BUFFER_BYTES || this.free.includes(buffer)) return false;
    const at = this.free.findIndex((b) => b.byteLength > bytes);
    this.free.splice(at < 0 ? this.free.length : at, 0, buffer);
    this.held += bytes;
    this.trim(this.cap);
    return true;
  }

  /** Lets go of the smallest free buffers until at most `bytes` are held; the bytes let go. */
  trim(bytes: number): number {
    let gone = 0;
    while (this.held > bytes && this.free.length > 0) {
      const buffer = this.free.shift()!;
      this.held -= buffer.byteLength;
      gone += buffer.byteLength;
      this.letGo += buffer.byteLength;
      // handed to a young object the next scavenge frees (runtime/memory.ts detach)
      structuredClone(buffer, { transfer: [buffer] });
    }
    return gone;
  }

  /** Whether `buffer` is one of the free buffers. */
  holds(buffer: ArrayBufferLike): boolean {
    return buffer instanceof ArrayBuffer && this.free.includes(buffer);
  }

  /** Bytes of the free buffers. */
  get freeBytes(): number {
    return this.held;
  }
}

/** This thread's pool (each worker thread has its own module instance). */
export const largeBuffers = new LargeBufferPool();
/** Whether a run is under way on this thread (nested runs: a depth). */
let depth = 0;

/** Runs `fn` with the pool in use (the executor wraps a run's steps in it). */
export function withLargeBuffers<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

/** Whether a run is under way on this thread (a nested run, such as a Loop body's, keeps the outer run's cap). */
export function largeBuffersInUse(): boolean {
  return depth > 0;
}

/** n floats at the start of a pooled buffer when a run is under way and the pool has one; its contents are stale. */
export function pooledArray(n: number): Float32Array | undefined {
  if (depth === 0 || n * 4 < LARGE_BUFFER_BYTES) return undefined;
  const buffer = largeBuffers.take(n * 4);
  return buffer ? new Float32Array(buffer, 0, n) : undefined;
}

/** n zeros, as `new Float32Array(n)`, in a pooled buffer when there is one (cleared: a memset costs far less than faulting fresh pages). */
export function zeroed(n: number): Float32Array {
  return pooledArray(n)?.fill(0) ?? new Float32Array(n);
}

/**
 * An op's own scratch from `zeroed` (or `uncleared`), which nothing reads after this call: its
 * buffer back to the pool during a run (at least LARGE_BUFFER_BYTES; else left to the collector).
 * Never an array the op returns or was given, nor a view into another array.
 */
export function recycle(a: Float32Array): void {
  if (depth === 0 || !(a.buffer instanceof ArrayBuffer) || a.byteOffset !== 0) return;
  largeBuffers.give(a.buffer);
}
