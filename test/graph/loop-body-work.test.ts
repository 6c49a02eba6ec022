/**
 * A Loop kept whole (graph/onnx/loop-body.ts) counts its body's run work iteration by iteration at
 * each body layer's own rate (ops/common.ts runWork), which MAX_RUN_WORK reads; its kernelWork
 * (what folding reads) stays the cost's.
 */
import { describe, expect, it } from 'vitest';
import { loopBody } from '../../src/graph/onnx/loop-body.js';
import { parseNetworkSpec } from '../../src/graph/network.js';

/** A body [iteration, cond, v] → [cond, tanh(v)] over v of 1,000 values. */
function tanhBody() {
  const g = parseNetworkSpec({
    inputs: [{ name: 'i', shape: [1] }, { name: 'c', shape: [1] }, { name: 'v', shape: [1000] }],
    layers: [{ name: 't', op: 'tanh', inputs: ['v'] }, { name: 'cc', op: 'identity', inputs: ['c'] }],
  });
  return loopBody({ ...g, outputs: ['cc', 't'] }, ['int64', 'bool', 'float32'], 1);
}

describe("a Loop body's run work", () => {
  it('3 iterations of tanh over 1,000 values: runWork 3 · 1,000 · 150 (tanh\'s rate, ops/activation-more.ts) = 450,000; kernelWork the cost\'s 3,000', () => {
    const bound = tanhBody().bound(3, [[], [1000]], [null, null]);
    expect(bound.cost.elementwise).toBe(3000);
    expect(bound.kernelWork).toBe(3000);
    expect(bound.runWork).toBe(450_000);
  });
});
