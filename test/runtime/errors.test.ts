import { describe, expect, it } from 'vitest';
import { ConvlensError } from '../../src/errors.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';

describe('errors a kernel finds in the data carry the layer and its JSONPath, as inference errors do', () => {
  it('maxUnpool2d with index 99 outside a 4×4 output plane: INVALID_TENSOR at $.layers[0], layer "unpool"', () => {
    const graph = parseNetworkSpec({
      inputs: [
        { name: 'x', shape: [1, 1, 2, 2] },
        { name: 'idx', shape: [1, 1, 2, 2] },
      ],
      layers: [{ name: 'unpool', op: 'maxUnpool2d', inputs: ['x', 'idx'], kernelSize: 2 }],
    });
    const inputs = { x: tensor([1, 1, 2, 2], [1, 2, 3, 4]), idx: tensor([1, 1, 2, 2], [0, 3, 99, 15]) };
    let caught: unknown;
    try {
      runGraph(graph, inputs, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 20 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConvlensError);
    const e = caught as ConvlensError;
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.details.layer).toBe('unpool');
    expect(e.details.path).toBe('$.layers[0]');
    expect(e.message).toMatch(/^layer 'unpool': maxUnpool2d: index 99 is outside the 4×4 output plane/);
  });
});
