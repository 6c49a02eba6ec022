import { Buffer } from 'node:buffer';
import { pooledArray } from './large-buffers.js';

/** A dense float32 tensor in row-major (NCHW) order. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
  /**
   * `float16`: every value is a float16 one (tensor/float16.ts), as the ONNX graph a run computed
   * it for types it (runtime/float16-run.ts); answered so (tensor/encoding.ts answerDtype: .npy
   * `<f2`, base64 of 2-byte elements). Absent: float32.
   */
  dtype?: 'float16';
}

/** Elements in a tensor of this shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensor(shape: readonly number[], data?: Float32Array | readonly number[]): Tensor {
  const n = numel(shape);
  const buf = data instanceof Float32Array ? data : data ? Float32Array.from(data) : new Float32Array(n);
  if (buf.length !== n) throw new RangeError(`tensor of shape [${shape.join(', ')}] needs ${n} values, got ${buf.length}`);
  return { shape: [...shape], data: buf };
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

/** Below this many elements a cleared array costs no more than an uncleared one. */
const UNCLEARED_MIN = 1 << 14;

/**
 * A Float32Array of n elements whose memory is not cleared first, for a kernel that sets every
 * element before anything reads it. A large zeroed array is a memset of a reused heap block (a
 * 6.4 MB conv output: 0.3–0.7 ms, measured); Buffer.allocUnsafeSlow skips it, in an ArrayBuffer of
 * its own (so it can be transferred, unlike a slice of Buffer's shared pool). During a run, a large
 * one may be a dead tensor's buffer again (tensor/large-buffers.ts): its stale values are overwritten.
 */
export function uncleared(n: number): Float32Array {
  if (n < UNCLEARED_MIN) return new Float32Array(n);
  // a large one from the run's pool of dead buffers, when it has one of this size (large-buffers.ts)
  const pooled = pooledArray(n);
  if (pooled) return pooled;
  return new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n);
}
