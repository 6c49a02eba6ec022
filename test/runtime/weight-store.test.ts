/**
 * WeightStore.holds: the executor asks it for every tensor that dies (whether the buffer is the
 * store's, never the run's to free). A kept store answers for what it keeps (decoded weights and
 * folds), what it lends for the step and what its pool holds; a fold replaced by another source's
 * lets its buffers go.
 */
import { describe, expect, it } from 'vitest';
import type { GraphConstant } from '../../src/graph/graph.js';
import { WeightStore } from '../../src/runtime/weight-store.js';
import { tensor } from '../../src/tensor/tensor.js';

/** A float16 constant of n values (decoded, so never a view into the file). */
function half(n: number): GraphConstant {
  // 1.0 in float16 is 0x3c00
  const raw = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) raw[2 * i + 1] = 0x3c;
  return { name: 'w', shape: [n], dataType: 'float16', value: null, raw, typed: null, initializer: true };
}

describe('WeightStore.holds', () => {
  it('a kept store holds a weight decoded by two runs (kept from the second), not one decoded by a single run', () => {
    const store = new WeightStore(true);
    const c = half(8);
    const first = store.values(c)!;
    expect(Array.from(first)).toEqual(new Array(8).fill(1));
    expect(store.holds(first.buffer)).toBe(true); // lent for the step
    store.endRun();
    // one run's decode is not kept: its buffer went back to the pool, which the run's end cleared
    expect(store.bytes).toBe(0);
    expect(store.holds(first.buffer)).toBe(false);
    const second = store.values(c)!;
    expect(store.isScratch(second)).toBe(false);
    expect(store.bytes).toBe(32);
    store.endRun();
    expect(store.holds(second.buffer)).toBe(true);
    expect(store.values(c)).toBe(second);
    expect(store.holds(new ArrayBuffer(32))).toBe(false);
  });

  it('a fold kept for host conv1 is held; refolded from seed:2 the file fold is not', () => {
    const store = new WeightStore(true);
    const a = { key: 'file', folded: 1, weights: { weight: tensor([2, 1, 1, 1], new Float32Array([1, 2])), bias: tensor([2], new Float32Array([3, 4])) } };
    store.keepFolded('conv1', a);
    expect(store.holds(a.weights.weight.data.buffer)).toBe(true);
    expect(store.holds(a.weights.bias.data.buffer)).toBe(true);
    expect(store.bytes).toBe(16);
    const b = { key: 'seed:2', folded: 1, weights: { weight: tensor([2, 1, 1, 1], new Float32Array([5, 6])), bias: tensor([2], new Float32Array([7, 8])) } };
    store.keepFolded('conv1', b);
    expect(store.holds(a.weights.weight.data.buffer)).toBe(false);
    expect(store.holds(a.weights.bias.data.buffer)).toBe(false);
    expect(store.holds(b.weights.weight.data.buffer)).toBe(true);
    expect(store.bytes).toBe(16);
    expect(store.foldedOf('conv1', 'seed:2')).toBe(b);
  });

  it('a store that keeps nothing holds only its step scratch and pool', () => {
    const store = new WeightStore(false);
    const c = half(4);
    const v = store.values(c)!;
    expect(store.holds(v.buffer)).toBe(true); // lent for the step
    store.endStep();
    expect(store.holds(v.buffer)).toBe(true); // back in the pool
    store.endRun();
    expect(store.holds(v.buffer)).toBe(false);
  });
});

describe('WeightStore.transposed (an ONNX MatMul weight bound to a linear layer)', () => {
  /** A float32 2×3 constant [[1, 2, 3], [4, 5, 6]] at an aligned offset of its own buffer (read as a view). */
  const matrix = (): GraphConstant => ({ name: 'm', shape: [2, 3], dataType: 'float32', value: null, raw: new Uint8Array(Float32Array.of(1, 2, 3, 4, 5, 6).buffer), typed: null, initializer: true });

  it('transposes [[1, 2, 3], [4, 5, 6]] to [[1, 4], [2, 5], [3, 6]]; a store that keeps nothing transposes afresh each time', () => {
    const store = new WeightStore();
    const c = matrix();
    const t = store.transposed(c)!;
    expect(Array.from(t)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(store.transposed(c)).not.toBe(t);
    expect(store.bytes).toBe(0);
  });

  it('a kept, shared store transposes into scratch on the first run and keeps the copy from the second, in a SharedArrayBuffer of its own, counted and held', () => {
    const store = new WeightStore(true, true);
    const c = matrix();
    const first = store.transposed(c)!;
    expect(Array.from(first)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(store.isScratch(first)).toBe(true);
    store.endRun();
    // one run's transpose is not kept (a layer whose fold replaces its weight reads it once)
    expect(store.bytes).toBe(0);
    const t = store.transposed(c)!;
    store.endRun();
    expect(t.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(t)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(store.transposed(c)).toBe(t);
    expect(store.bytes).toBe(24);
    expect(store.holds(t.buffer)).toBe(true);
  });

  it('a stripped constant (no data) gives null', () => {
    expect(new WeightStore(true).transposed({ ...matrix(), raw: null })).toBeNull();
  });
});

describe('WeightStore.transposed of a decoded constant (float16: never a view into the file)', () => {
  it('a kept store keeps only the transposed copy, never the decoded original beside it: 3 runs of a 2×4 float16 constant hold 32 bytes', () => {
    const store = new WeightStore(true);
    const c = { ...half(8), shape: [2, 4] };
    for (let run = 0; run < 3; run++) {
      expect(Array.from(store.transposed(c)!)).toEqual(new Array(8).fill(1));
      store.endRun();
    }
    expect(store.bytes).toBe(32);
  });
});
