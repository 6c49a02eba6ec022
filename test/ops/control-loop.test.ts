/**
 * The loop op (src/ops/loop.ts) with a hand-written body (LoopBody): what it asks of the body at
 * the bound, ONNX's iteration rules at run time (stop when the body's condition turns false; scan
 * outputs stacked on a new axis 0), and its refusals. The imported body is tested on torchvision's
 * paste loop in test/graph/onnx-control-flow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loop } from '../../src/ops/loop.js';
import type { LoopBody } from '../../src/ops/loop.js';
import { ZERO_COST } from '../../src/ops/types.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';
import { inferOf, ints } from './op-helpers.js';

/** v ← v + i (iteration i), scan v; the condition turns false after iteration `stopAfter`. */
function body(stopAfter = Infinity): LoopBody {
  return {
    carried: 1,
    scans: 1,
    captured: 0,
    bound: (m, shapes) => ({ carried: [shapes[1]], scans: [shapes[1]], cost: { ...ZERO_COST, elementwise: m * shapes[1][0] }, kernelWork: m * shapes[1][0], layers: 1, assumption: '' }),
    iterate: (i, [, v]) => {
      const next = tensor(v.shape, v.data.map((x) => x + i));
      return [tensor([], [i >= stopAfter ? 0 : 1]), next, next];
    },
  };
}

const hook = () => ({});
const runLoop = (b: LoopBody, m: number, v: number[]): Tensor[] =>
  loop.run({ attrs: { body: b }, plan: null as never, inputs: [tensor([], [m]), tensor([], [1]), tensor([v.length], v)], weights: {}, outputs: [[v.length], [m, v.length]], training: false, seed: 0, runSubgraph: hook });

describe('loop (an ONNX Loop run iteration by iteration)', () => {
  it('analysis: M = 3 folded, v [2]: outputs v [2] and the scan [3, 2], the body costed for 3 iterations (3·2 FLOPs), warned as a bound', () => {
    const r = inferOf(loop, [[], [], [2]], { body: body() }, [ints(3), ints(1), null]);
    expect(r.outputs).toEqual([[2], [3, 2]]);
    expect(r.cost.elementwise).toBe(6);
  });

  it('run: v = [1, 2] through i = 0, 1, 2 gives [4, 5]; the scan stacks [1, 2], [2, 3], [4, 5]', () => {
    const [v, scan] = runLoop(body(), 3, [1, 2]);
    expect(Array.from(v.data)).toEqual([4, 5]);
    expect(scan.shape).toEqual([3, 2]);
    expect(Array.from(scan.data)).toEqual([1, 2, 2, 3, 4, 5]);
  });

  it('run: the body\'s condition turning false after iteration 1 stops there (ONNX), 2 scan rows instead of the bound\'s 3', () => {
    const [v, scan] = runLoop(body(1), 3, [1, 2]);
    expect(Array.from(v.data)).toEqual([2, 3]);
    expect(scan.shape).toEqual([2, 2]);
  });

  it('run: M = 0 runs no iteration: v as given, an empty [0, 2] scan', () => {
    const [v, scan] = runLoop(body(), 0, [1, 2]);
    expect(Array.from(v.data)).toEqual([1, 2]);
    expect(scan.shape).toEqual([0, 2]);
  });

  it('analysis: M = −2 runs no iteration, as ONNX Runtime (while i < M): v [2] as given, an empty scan [0, 2], no cost (it was refused: "the trip count folds to -2, not a count")', () => {
    const r = inferOf(loop, [[], [], [2]], { body: body() }, [ints(-2), ints(1), null]);
    expect(r.outputs).toEqual([[2], [0, 2]]);
    expect(r.cost.elementwise).toBe(0);
    const [v, scan] = runLoop(body(), -2, [1, 2]);
    expect([Array.from(v.data), scan.shape]).toEqual([[1, 2], [0, 2]]);
  });

  it('refuses a trip count with no known bound (UNSUPPORTED_OPERATOR) and a loop layer without an imported body (a spec: INVALID_ATTRIBUTE)', () => {
    expect(errorOf(() => inferOf(loop, [[], [], [2]], { body: body() }, [null, ints(1), null])).code).toBe('UNSUPPORTED_OPERATOR');
    expect(errorOf(() => inferOf(loop, [[], [], [2]], {}, [ints(3), ints(1), null])).code).toBe('INVALID_ATTRIBUTE');
  });
});
