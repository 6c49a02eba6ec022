import { describe, expect, it } from 'vitest';
import { ConvlensError } from '../../src/errors.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';

describe('errors a kernel finds in the data carry the layer and its JSONPath, as inference errors do', () => {
  it('maxUnpool2d with index 99 outside a 4×4 output plane: INVALID_TENSOR at the indices, $.layers[0].inputs[1], naming the element [0, 0, 1, 0], layer "unpool"', () => {
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
    expect(e.details.path).toBe('$.layers[0].inputs[1]');
    expect(e.message).toBe('layer \'unpool\': indices[0, 0, 1, 0] = 99 is outside the 4×4 output plane (PyTorch: "Found an invalid max index")');
  });

  it('cast to "other" in the third layer of a spec: UNSUPPORTED_OPERATOR at that layer\'s attribute, $.layers[2].to (the kernel names $.to, one of the layer\'s attributes)', () => {
    const graph = parseNetworkSpec({
      inputs: [{ name: 'x', shape: [1, 2] }],
      layers: [
        { name: 'a', op: 'relu', inputs: ['x'] },
        { name: 'b', op: 'relu', inputs: ['a'] },
        { name: 'c', op: 'cast', inputs: ['b'], to: 'other' },
      ],
    });
    let caught: unknown;
    try {
      runGraph(graph, { x: tensor([1, 2], [1, 2]) }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 20 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConvlensError);
    expect((caught as ConvlensError).details).toMatchObject({ path: '$.layers[2].to', layer: 'c' });
    expect((caught as ConvlensError).code).toBe('UNSUPPORTED_OPERATOR');
  });
});

describe('weights that match nothing are refused, not ignored', () => {
  /** What runOperator throws for a call of `name` on x of shape `x` with zero weights of the shapes given. */
  async function operatorError(name: string, x: readonly number[], attributes: Record<string, unknown>, weights: Record<string, readonly number[]>): Promise<unknown> {
    const { runOperator } = await import('../../src/runtime/operator.js');
    const zeros = (shape: readonly number[]) => tensor([...shape], new Float32Array(shape.reduce((a, b) => a * b, 1)));
    try {
      runOperator({ name, inputs: [zeros(x)], attributes, weights: Object.fromEntries(Object.entries(weights).map(([k, shape]) => [k, zeros(shape)])), training: false, seed: 0, maxElements: 1 << 20 });
    } catch (e) {
      return e;
    }
    return null;
  }

  it('runOperator conv2d with weights { wieght }: INVALID_TENSOR at $.weights.wieght, did you mean weight', async () => {
    const caught = await operatorError('conv2d', [1, 1, 3, 3], { outChannels: 1, kernelSize: 3 }, { wieght: [1, 1, 3, 3] });
    expect(caught).toBeInstanceOf(ConvlensError);
    expect((caught as ConvlensError).toJSON()).toMatchObject({ code: 'INVALID_TENSOR', path: '$.weights.wieght', suggestion: 'weight' });
  });

  it.each([
    ['conv2d', [1, 1, 3, 3], { wieght: [1, 1, 3, 3] }, 'wieght', 'weight'],
    ['conv2d', [1, 1, 3, 3], { weight: [2, 1, 3, 3], bais: [2] }, 'bais', 'bias'],
    ['linear', [2, 4], { Weight: [3, 4] }, 'Weight', 'weight'],
  ] as const)(
    "runOperator %s on %j with weights %j and no attributes (they come from the weights): INVALID_TENSOR at the misspelt one's field with its suggestion (a weight they come from was SPEC_INVALID 'needs outChannels'; a bias beside a right weight had no suggestion: conv2d read 'bias')",
    async (name, x, weights, bad, suggestion) => {
      const caught = await operatorError(name, x, {}, weights);
      expect(caught).toBeInstanceOf(ConvlensError);
      expect((caught as ConvlensError).toJSON()).toMatchObject({ code: 'INVALID_TENSOR', path: `$.weights.${bad}`, suggestion });
    },
  );

  it.each([
    ['with all four weights', { inProjWeight: [12, 4], inProjBias: [12], outProjWeight: [4, 4], outProjBias: [4] }],
    ['without biases', { inProjWeight: [12, 4], outProjWeight: [4, 4] }],
  ] as const)(
    "runOperator multiHeadAttention on [1, 3, 4] %s and no numHeads: SPEC_INVALID at $.attributes.numHeads; outProjWeight, its own weight 3 edits from inProjWeight (which sized embedDim), is not taken for a misspelling",
    async (_, weights) => {
      const caught = await operatorError('multiHeadAttention', [1, 3, 4], {}, weights);
      expect(caught).toBeInstanceOf(ConvlensError);
      expect((caught as ConvlensError).toJSON()).toMatchObject({ code: 'SPEC_INVALID', path: '$.attributes.numHeads', missing: ['numHeads'] });
    },
  );

  it.each([
    ['bias', { weight: [2, 1, 3, 3], bias: [2] }],
    ['bais', { weight: [2, 1, 3, 3], bais: [2] }],
  ] as const)(
    "runOperator convInteger (no bias: ONNX ConvInteger has none) with a weight '%s' beside its weight: INVALID_TENSOR at that weight's field, its weights are weight, and no 'did you mean bias' (conv2d's attrsFromWeights, which convInteger reuses, looks 'bias' up, but convInteger drops it)",
    async (bad, weights) => {
      const caught = await operatorError('convInteger', [1, 1, 3, 3], {}, weights);
      expect(caught).toBeInstanceOf(ConvlensError);
      const json = (caught as ConvlensError).toJSON();
      expect(json).toMatchObject({ code: 'INVALID_TENSOR', path: `$.weights.${bad}`, message: `convInteger has no weight '${bad}' (its weights are weight)` });
      expect(json).not.toHaveProperty('suggestion');
    },
  );

  it("runGraph with weights['c1.weigth'] for a conv named c1: INVALID_TENSOR, did you mean 'c1.weight'", () => {
    const graph = parseNetworkSpec({ inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'c1', op: 'conv2d', outChannels: 1, kernelSize: 3 }] });
    let caught: unknown;
    try {
      runGraph(graph, { x: tensor([1, 1, 4, 4], new Float32Array(16)) }, { training: false, seed: 0, weightInit: 'seed', weights: { 'c1.weigth': tensor([1, 1, 3, 3], new Float32Array(9)) }, capture: [], maxElements: 1 << 20 });
    } catch (e) {
      caught = e;
    }
    expect((caught as ConvlensError).toJSON()).toMatchObject({ code: 'INVALID_TENSOR', path: '$.weights["c1.weigth"]', suggestion: 'c1.weight' });
  });
});
