/** A dense float32 tensor in row-major (NCHW) order. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
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
