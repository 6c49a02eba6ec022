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

  it("siblings (one model at two input sizes): a fold of conv1 from seed:1 with 2 batch norms folded, weight [2, 1, 1, 1], is adopted (the same arrays, 16 bytes counted) for 2 folds of that shape; not for 1 fold, another shape or another source, and a kept fold of 2 is not this store's answer for 1", () => {
    const theirs = new WeightStore(true);
    const fold = { key: 'seed:1', folded: 2, weights: { weight: tensor([2, 1, 1, 1], new Float32Array([1, 2])), bias: tensor([2], new Float32Array([3, 4])) } };
    theirs.keepFolded('conv1', fold);
    const mine = new WeightStore(true);
    mine.siblings = () => [theirs];
    expect(mine.foldedOf('conv1', 'seed:1', [2, 1, 1, 1], 1)).toBeUndefined();
    expect(mine.foldedOf('conv1', 'seed:1', [2, 1, 3, 3], 2)).toBeUndefined();
    expect(mine.foldedOf('conv1', 'seed:2', [2, 1, 1, 1], 2)).toBeUndefined();
    expect(mine.bytes).toBe(0);
    expect(mine.foldedOf('conv1', 'seed:1', [2, 1, 1, 1], 2)).toBe(fold);
    expect([mine.bytes, mine.holds(fold.weights.weight.data.buffer), [...mine.kept().values()]]).toEqual([16, true, [8, 8]]);
    // its own kept fold of 2 is no answer for a group that folds 1 (a captured batch norm left out)
    expect(mine.foldedOf('conv1', 'seed:1', [2, 1, 1, 1], 1)).toBeUndefined();
  });

  it('a fold made in a pooled buffer larger than it (a free 1,200-float buffer handed out as a view of 1,000) is kept as an exact copy: every kept buffer counted at its whole size (4,000 bytes of weight, was 4,000 counted of a 4,800-byte buffer), the view back to the pool', () => {
    const store = new WeightStore(true);
    store.scratch(1200);
    store.endStep();
    const w = store.scratch(1000);
    expect(w.buffer.byteLength).toBe(4800);
    w.fill(0.5);
    const fold = { key: 'file:0', folded: 1, weights: { weight: tensor([10, 100, 1, 1], w), bias: tensor([10], store.scratch(10).fill(1)) } };
    store.keepFolded('conv1', fold);
    for (const [buffer, n] of store.kept()) expect(n).toBe(buffer.byteLength);
    expect(store.bytes).toBe(4040);
    const kept = store.foldedOf('conv1', 'file:0')!;
    expect(Array.from(kept.weights.weight.data)).toEqual(new Array(1000).fill(0.5));
    expect(store.isScratch(w)).toBe(true);
    expect(store.holds(kept.weights.weight.data.buffer)).toBe(true);
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

describe('WeightStore.seeded (a weight initialised from the seed: a zoo model\'s, a spec\'s)', () => {
  /** A draw that counts its calls: n floats, each the seed. */
  const counter = () => {
    const c = { calls: 0, draw: (seed: number, n = 4) => () => (c.calls++, new Float32Array(n).fill(seed)) };
    return c;
  };

  it('a store that keeps nothing draws every time and holds nothing', () => {
    const store = new WeightStore();
    const c = counter();
    for (let run = 0; run < 3; run++) {
      expect([...store.seeded('fc.weight', '7', 4, c.draw(7))]).toEqual([7, 7, 7, 7]);
      store.endRun();
    }
    expect(c.calls).toBe(3);
    expect(store.bytes).toBe(0);
  });

  it('a kept, shared store draws on the first run, keeps from the second (16 bytes, in a SharedArrayBuffer, held) and draws nothing on the third', () => {
    const store = new WeightStore(true, true);
    const c = counter();
    const first = store.seeded('fc.weight', '7', 4, c.draw(7));
    expect(store.bytes).toBe(0);
    expect(store.holds(first.buffer)).toBe(false);
    store.endRun();
    const second = store.seeded('fc.weight', '7', 4, c.draw(7));
    expect(second.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([...second]).toEqual([7, 7, 7, 7]);
    expect(store.bytes).toBe(16);
    expect(store.holds(second.buffer)).toBe(true);
    store.endRun();
    expect(store.seeded('fc.weight', '7', 4, c.draw(7))).toBe(second);
    expect(c.calls).toBe(2);
  });

  it('seeds in turn (1, 2, 1, 2, …) keep nothing: a weight is kept only when the run before drew it with the same seed', () => {
    const store = new WeightStore(true);
    const c = counter();
    for (let run = 0; run < 6; run++, store.endRun()) {
      const seed = 1 + (run % 2);
      expect([...store.seeded('fc.weight', String(seed), 4, c.draw(seed))]).toEqual([seed, seed, seed, seed]);
    }
    expect(store.bytes).toBe(0);
    expect(c.calls).toBe(6);
  });

  it('another seed run twice replaces the kept one (bytes not counted twice); other weights are other entries', () => {
    const store = new WeightStore(true);
    const c = counter();
    for (let run = 0; run < 2; run++, store.endRun()) store.seeded('fc.weight', '1', 4, c.draw(1));
    const one = store.seeded('fc.weight', '1', 4, c.draw(1));
    expect(store.bytes).toBe(16);
    store.endRun();
    for (let run = 0; run < 2; run++, store.endRun()) expect([...store.seeded('fc.weight', '2', 4, c.draw(2))]).toEqual([2, 2, 2, 2]);
    expect(store.bytes).toBe(16);
    const two = store.seeded('fc.weight', '2', 4, c.draw(2));
    expect(store.holds(two.buffer)).toBe(true);
    expect(store.holds(one.buffer)).toBe(false);
    expect([...store.seeded('conv.weight', '2', 4, c.draw(5))]).toEqual([5, 5, 5, 5]);
  });

  it('another variant of the same size (a bias whose fan-in a staged run took from its data) is drawn afresh, never served stale', () => {
    const store = new WeightStore(true);
    const c = counter();
    for (let run = 0; run < 2; run++, store.endRun()) store.seeded('fc.bias', '3:2:fanIn 3', 2, c.draw(1, 2));
    expect([...store.seeded('fc.bias', '3:2:fanIn 5', 2, c.draw(9, 2))]).toEqual([9, 9]);
    expect(c.calls).toBe(3);
  });

  it('once kept, seeds in turn (7, 7, then 8, 7, 8, 7, …) leave it kept: a run that reuses it counts as drawing it, so seed 8 is never kept and nothing is replaced', () => {
    const store = new WeightStore(true);
    const c = counter();
    for (let run = 0; run < 2; run++, store.endRun()) store.seeded('fc.weight', '7', 4, c.draw(7));
    const kept = store.seeded('fc.weight', '7', 4, c.draw(7));
    store.endRun();
    for (let run = 0; run < 8; run++, store.endRun()) store.seeded('fc.weight', run % 2 === 0 ? '8' : '7', 4, c.draw(run % 2 === 0 ? 8 : 7));
    expect(store.seeded('fc.weight', '7', 4, c.draw(7))).toBe(kept);
    // two draws to keep it, then one per run of seed 8
    expect(c.calls).toBe(2 + 4);
    expect(store.bytes).toBe(16);
  });

  it('a weight sized by the data (a staged run: 6 floats, then 10) is never served at a stale size: drawn at the new one, then kept at it', () => {
    const store = new WeightStore(true);
    const c = counter();
    for (let run = 0; run < 2; run++, store.endRun()) store.seeded('fc.weight', '3:2,3', 6, c.draw(3, 6));
    expect(store.bytes).toBe(24);
    const wider = store.seeded('fc.weight', '3:2,5', 10, c.draw(3, 10));
    expect(wider.length).toBe(10);
    expect(store.bytes).toBe(24);
    store.endRun();
    const kept = store.seeded('fc.weight', '3:2,5', 10, c.draw(3, 10));
    expect(store.bytes).toBe(40);
    store.endRun();
    expect(store.seeded('fc.weight', '3:2,5', 10, c.draw(3, 10))).toBe(kept);
  });
});

describe('WeightStore.keepLimit and seededRoom (the model cache\'s budget)', () => {
  const draw = () => new Float32Array(4).fill(1);

  it('with a limit of 20 bytes a kept store keeps the first 16-byte weight, not a second one: that one is drawn every run', () => {
    const store = new WeightStore(true);
    store.keepLimit = 20;
    for (let run = 0; run < 2; run++, store.endRun()) {
      store.seeded('a', '0', 4, draw);
      store.seeded('b', '0', 4, draw);
    }
    expect(store.bytes).toBe(16);
    let calls = 0;
    store.seeded('a', '0', 4, () => (calls++, draw()));
    store.seeded('b', '0', 4, () => (calls++, draw()));
    expect(calls).toBe(1);
  });

  it('a weight decoded again (float16, 8 values: 32 bytes) is kept only within keepLimit: not with 31 bytes, yes with 32', () => {
    for (const [limit, kept] of [[31, 0], [32, 32]]) {
      const store = new WeightStore(true);
      store.keepLimit = limit;
      const c = half(8);
      for (let run = 0; run < 3; run++, store.endRun()) store.values(c);
      expect(store.bytes).toBe(kept);
    }
  });

  it('seeded weights take only the room the cache has free: none with 15 bytes free', () => {
    const store = new WeightStore(true);
    store.seededRoom = () => 15;
    for (let run = 0; run < 3; run++, store.endRun()) store.seeded('a', '0', 4, draw);
    expect(store.bytes).toBe(0);
  });

  it('a fold over keepLimit stays scratch (not kept, not held); one within it is kept', () => {
    const store = new WeightStore(true);
    store.keepLimit = 40;
    const fold = (n: number) => ({ key: 'seed:0', weights: { weight: tensor([n], store.scratch(n)), bias: tensor([1], store.scratch(1)) }, folded: 1 });
    const big = fold(16);
    store.keepFolded('conv1', big);
    expect(store.bytes).toBe(0);
    expect(store.foldedOf('conv1', 'seed:0')).toBeUndefined();
    expect(store.isScratch(big.weights.weight.data)).toBe(true);
    const small = fold(8);
    store.keepFolded('conv2', small);
    expect(store.bytes).toBe(36);
    expect(store.foldedOf('conv2', 'seed:0')).toBe(small);
  });
});
