/**
 * The executor and tensor/large-buffers.ts: a dead activation of at least 16 MiB is the next large
 * tensor's buffer, in the run and in a cached model's next run; outputs and captures never are.
 * x [4096, 8] → l1 linear 1024 (16 MiB) → l2 linear 8 → l3 linear 1024 → l4 linear 8 → l5 linear
 * 1024 → l6 linear 8, with small integer weights (every sum exact in float32), checked against
 * the same products in float64 here.
 */
import { describe, expect, it } from 'vitest';
import { loadGraph } from '../../src/graph/load.js';
import { runGraph } from '../../src/runtime/execute.js';
import { WeightStore } from '../../src/runtime/weight-store.js';
import { largeBuffers } from '../../src/tensor/large-buffers.js';
import { collectIfOver } from '../../src/runtime/memory.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const ROWS = 4096;
const WIDE = 1024;
const NARROW = 8;

/** y = x·Wᵀ in float64 (x [rows, k], w [o, k]). */
function product(x: Float32Array, w: Float32Array, k: number, o: number): Float32Array {
  const y = new Float32Array((x.length / k) * o);
  for (let r = 0; r < x.length / k; r++) {
    for (let j = 0; j < o; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += x[r * k + i] * w[j * k + i];
      y[r * o + j] = s;
    }
  }
  return y;
}

// widening weights in {−1, 0, 1}; narrowing ones sum 8 of the 1024 inputs (i ≡ j mod 128)
const widen = (seed: number) => Float32Array.from({ length: WIDE * NARROW }, (_, i) => ((i * 7 + seed) % 3) - 1);
const narrow = Float32Array.from({ length: NARROW * WIDE }, (_, q) => (Math.floor(q / WIDE) === (q % WIDE) % 128 ? 1 : 0));
const weights: Record<string, Tensor> = {
  'l1.weight': tensor([WIDE, NARROW], widen(0)),
  'l2.weight': tensor([NARROW, WIDE], narrow),
  'l3.weight': tensor([WIDE, NARROW], widen(1)),
  'l4.weight': tensor([NARROW, WIDE], narrow),
  'l5.weight': tensor([WIDE, NARROW], widen(2)),
  'l6.weight': tensor([NARROW, WIDE], narrow),
};
const input = (seed: number) => Float32Array.from({ length: ROWS * NARROW }, (_, i) => ((i * 5 + seed) % 5) - 2);

/** Each layer's value in float64 from x. */
function expected(x: Float32Array): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  let v = x;
  for (let k = 1; k <= 6; k++) {
    const wide = k % 2 === 1;
    v = product(v, weights[`l${k}.weight`].data, wide ? NARROW : WIDE, wide ? WIDE : NARROW);
    out[`l${k}`] = v;
  }
  return out;
}

const layers = [1, 2, 3, 4, 5, 6].map((k) => ({ name: `l${k}`, op: 'linear', inputs: [k === 1 ? 'x' : `l${k - 1}`], outFeatures: k % 2 === 1 ? WIDE : NARROW, bias: false }));
const { graph } = loadGraph({ kind: 'spec', spec: { inputs: [{ name: 'x', shape: [ROWS, NARROW] }], layers, outputs: ['l3', 'l6'] } });
const run = (x: Float32Array, store?: WeightStore, capture: string[] = []) =>
  runGraph(graph, { x: tensor([ROWS, NARROW], x) }, { training: false, seed: 0, weightInit: 'seed', weights, capture, maxElements: 1 << 24, ...(store && { store }) });

describe('large buffers across a run (16 MiB activations)', () => {
  it('l3 takes dead l1\'s buffer; a cached model\'s next run takes dead l5\'s; the first run\'s outputs stay as they were', () => {
    const store = new WeightStore(true);
    const [x1, x2] = [input(0), input(3)];
    const [e1, e2] = [expected(x1), expected(x2)];
    const hits = largeBuffers.hits;
    const first = run(x1, store);
    expect(largeBuffers.hits - hits).toBe(1);
    // l5's buffer is kept for the cached model's next run
    expect(largeBuffers.freeBytes).toBe(ROWS * WIDE * 4);
    const second = run(x2, store);
    expect(largeBuffers.hits - hits).toBe(3);
    // the first run's large output (in l1's old buffer) was not written by the second
    expect(first.outputs.l3.data).toEqual(e1.l3);
    expect(first.outputs.l6.data).toEqual(e1.l6);
    expect(second.outputs.l3.data).toEqual(e2.l3);
    expect(second.outputs.l6.data).toEqual(e2.l6);
    expect(second.outputs.l3.data.buffer).not.toBe(first.outputs.l3.data.buffer);
    // a run without a cached store lets its pool go when it ends
    run(x1);
    expect(largeBuffers.freeBytes).toBe(0);
  });

  it('a worker over its memory limit after a task lets go of the free large buffers a cached model kept (collectIfOver: they are not garbage a collection frees)', () => {
    const store = new WeightStore(true);
    run(input(1), store);
    run(input(2), store);
    expect(largeBuffers.freeBytes).toBeGreaterThanOrEqual(16 * 2 ** 20);
    const letGo = largeBuffers.letGo;
    const held = largeBuffers.freeBytes;
    // under a limit it holds more than: nothing to do
    expect(collectIfOver(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(largeBuffers.freeBytes).toBe(held);
    // over it (a limit of 0): the pool first, then the collection
    expect(collectIfOver(0)).toBe(true);
    expect(largeBuffers.freeBytes).toBe(0);
    expect(largeBuffers.letGo - letGo).toBe(held);
  });

  it('a captured l1 is never pooled: l3 is new memory, and l1 as captured', () => {
    const x = input(1);
    const e = expected(x);
    const hits = largeBuffers.hits;
    const r = run(x, undefined, ['l1']);
    expect(largeBuffers.hits - hits).toBe(0);
    expect(r.captured.l1.data).toEqual(e.l1);
    expect(r.outputs.l3.data).toEqual(e.l3);
    expect(r.captured.l1.data.buffer).not.toBe(r.outputs.l3.data.buffer);
  });
});
