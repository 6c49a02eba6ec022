/** A dense float32 tensor in row-major (NCHW) order. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export function tensor(shape: readonly number[], data?: Float32Array | readonly number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
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
