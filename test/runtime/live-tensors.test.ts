/**
 * runtime/live-tensors.ts TensorsByName: the run's tensors by name, with the tensors that view each
 * buffer looked up rather than scanned for (the executor asks it for each tensor it drops: a scan
 * of every live tensor made N branches into one add O(N²), found by a hunt: 60,000 relus into one
 * add held a worker past the task timeout).
 */
import { describe, expect, it } from 'vitest';
import { TensorsByName } from '../../src/runtime/live-tensors.js';
import { runGraph } from '../../src/runtime/execute.js';
import { loadGraph } from '../../src/graph/load.js';
import { tensor } from '../../src/tensor/tensor.js';

describe('TensorsByName', () => {
  it('knows the views of each buffer through set, overwrite, delete and clear, the constructor\'s entries included', () => {
    const buffer = new ArrayBuffer(16);
    const [whole, reshaped, tail] = [tensor([4], new Float32Array(buffer)), tensor([2, 2], new Float32Array(buffer)), tensor([2], new Float32Array(buffer, 8, 2))];
    const other = tensor([1], new Float32Array(1));
    const live = new TensorsByName([['x', whole]]);
    expect(live.viewsOf(buffer)).toEqual([whole]);
    live.set('r', reshaped).set('t', tail).set('o', other);
    expect(live.viewsOf(buffer)).toEqual([whole, reshaped, tail]);
    // a name stored again forgets its old tensor's view
    live.set('t', other);
    expect(live.viewsOf(buffer)).toEqual([whole, reshaped]);
    expect(live.viewsOf(other.data.buffer)).toEqual([other, other]);
    live.delete('x');
    live.delete('r');
    expect(live.viewsOf(buffer)).toEqual([]);
    expect(live.delete('nothing')).toBe(false);
    live.clear();
    expect([live.size, live.viewsOf(other.data.buffer).length]).toEqual([0, 0]);
  });

  it('a run of 2,000 relus of x = [1, 2] → [−1, 2] read by one add gives 2,000 · [0, 2], each branch dropped after the add', () => {
    const n = 2000;
    const layers: Record<string, unknown>[] = Array.from({ length: n }, (_, i) => ({ name: `r${i}`, op: 'relu', inputs: ['x'] }));
    layers.push({ name: 'y', op: 'add', inputs: layers.map((l) => l.name) });
    const { graph } = loadGraph({ kind: 'spec', spec: { inputs: [{ name: 'x', shape: [1, 2] }], layers } });
    const { outputs } = runGraph(graph, { x: tensor([1, 2], new Float32Array([-1, 2])) }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 20 });
    expect(Array.from(outputs.y.data)).toEqual([0, 2 * n]);
  });
});
