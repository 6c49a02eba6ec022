/**
 * Pooling indices past 2^24. Runtime tensors are float32, exact for integers up to 2^24 = 16 777 216;
 * PyTorch's indices are int64. A flat index past 2^24 in a float32 tensor rounds (an odd one to its
 * even neighbour), and maxUnpool2d would then write to the wrong place with no error: maxPool2d
 * k=2 returnIndices over 1×1×4100×4100 answered 16 809 996 for the maximum at (4099, 4097),
 * 16 809 997, before this refusal. So
 * maxPool2d and adaptive max pooling refuse returnIndices over a plane of more than 2^24 + 1
 * elements (UNSUPPORTED_OPERATOR at $.attributes.returnIndices, at run time: the analysis needs no
 * index values), maxUnpool2d an output plane that large ($.inputs[1]); a plane of 2^24 + 1 runs, its
 * last index 2^24 exact. Adaptive max pooling's VJP without returnIndices finds its argmax again
 * as integers (it used float32 and lost a gradient past 2^24, as the max pools' VJPs did before).
 */
import { describe, expect, it } from 'vitest';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { runGraph } from '../../src/runtime/execute.js';
import { runOperator } from '../../src/runtime/operator.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { analyze, errorOf, layer, net } from '../helpers.js';

const base = { weights: {}, training: false, seed: 0, maxElements: 1 << 26 };
const EDGE = 2 ** 24;

describe('pooling indices past 2^24: refused, not rounded', () => {
  it('maxPool2d returnIndices over a 1×1×4100×4100 plane (16 810 000 elements): UNSUPPORTED_OPERATOR at $.attributes.returnIndices naming the plane; its shapes still analyse', () => {
    const x = tensor([1, 1, 4100, 4100]);
    const e = errorOf(() => runOperator({ ...base, name: 'maxPool2d', inputs: [x], attributes: { kernelSize: 2, returnIndices: true } }));
    expect([e.code, e.status, e.details.path]).toEqual(['UNSUPPORTED_OPERATOR', 400, '$.attributes.returnIndices']);
    expect(e.message).toContain('4100×4100 plane (16810000 elements)');
    expect(e.message).toContain('2^24');
    // the analysis reads no index values: shapes and costs as before
    const l = layer(analyze(net([1, 1, 4100, 4100], { op: 'maxPool2d', kernelSize: 2, returnIndices: true })), 'l0');
    expect(l.outputShape).toEqual([1, 1, 2050, 2050]);
  });

  it.each([
    ['maxPool2d', { kernelSize: 2 }],
    ['adaptiveMaxPool2d', { outputSize: 1 }],
  ] as const)('%s returnIndices over 1×1×4100×4100 in a network spec: refused at the layer\'s own field, $.layers[0].returnIndices (it was $.attributes.returnIndices, an operator call\'s path the spec has not)', (op, attrs) => {
    const graph = parseNetworkSpec({ inputs: [{ name: 'x', shape: [1, 1, 4100, 4100] }], layers: [{ name: 'pool', op, ...attrs, returnIndices: true }] });
    const e = errorOf(() => runGraph(graph, { x: tensor([1, 1, 4100, 4100]) }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 26 }));
    expect([e.code, e.details.path, e.details.layer]).toEqual(['UNSUPPORTED_OPERATOR', '$.layers[0].returnIndices', 'pool']);
  });

  it('maxPool2d returnIndices over [1, 1, 1, 2^24 + 1] (the largest plane that runs), kernel [1, 3] stride [1, 2^24 − 2]: the maximum at 2^24 has index 2^24, exactly', () => {
    const x = tensor([1, 1, 1, EDGE + 1]);
    x.data[1] = 1;
    x.data[EDGE] = 2;
    const [values, indices] = runOperator({ ...base, name: 'maxPool2d', inputs: [x], attributes: { kernelSize: [1, 3], stride: [1, EDGE - 2], returnIndices: true } }).outputs;
    expect(Array.from(values.data)).toEqual([1, 2]);
    expect(Array.from(indices.data)).toEqual([1, EDGE]);
  });

  it.each([
    ['adaptiveMaxPool1d', [1, 1, EDGE + 2], { outputSize: 2, returnIndices: true }, `${EDGE + 2}`],
    ['adaptiveMaxPool2d', [1, 1, 2, EDGE / 2 + 1], { outputSize: 1, returnIndices: true }, `2×${EDGE / 2 + 1}`],
    ['maxPool1d', [1, 1, EDGE + 2], { kernelSize: 2, returnIndices: true }, `${EDGE + 2}`],
    ['maxPool3d', [1, 1, 2, 2, EDGE / 4 + 1], { kernelSize: 2, returnIndices: true }, `2×2×${EDGE / 4 + 1}`],
  ] as const)('%s returnIndices over %j: UNSUPPORTED_OPERATOR at $.attributes.returnIndices', (name, shape, attributes, plane) => {
    const e = errorOf(() => runOperator({ ...base, name, inputs: [tensor(shape)], attributes }));
    expect([e.code, e.details.path]).toEqual(['UNSUPPORTED_OPERATOR', '$.attributes.returnIndices']);
    expect(e.message).toContain(`${plane} plane`);
  });

  it('maxUnpool2d to an output plane of 2 × (2^23 + 1) (kernel [2, 2^22 + 1], stride [1, 2^22] over 1 × 2): UNSUPPORTED_OPERATOR at $.inputs[1]; 2 × 2^23 runs, index 2^24 − 1 exact', () => {
    const x = tensor([1, 1, 1, 2], [5, 7]);
    const big = errorOf(() => runOperator({ ...base, name: 'maxUnpool2d', inputs: [x, tensor([1, 1, 1, 2], [0, 3])], attributes: { kernelSize: [2, EDGE / 4 + 1], stride: [1, EDGE / 4] } }));
    expect([big.code, big.details.path]).toEqual(['UNSUPPORTED_OPERATOR', '$.inputs[1]']);
    expect(big.message).toContain(`2×${EDGE / 2 + 1} plane (${EDGE + 2} elements)`);
    // kernel [2, 2^22], stride [1, 2^22]: 2 rows of (2 − 1)·2^22 + 2^22 = 2^23 columns
    const y = runOperator({ ...base, name: 'maxUnpool2d', inputs: [x, tensor([1, 1, 1, 2], [0, EDGE - 1])], attributes: { kernelSize: [2, EDGE / 4], stride: [1, EDGE / 4] } }).outputs[0];
    expect(y.shape).toEqual([1, 1, 2, EDGE / 2]);
    expect([y.data[0], y.data[EDGE - 1]]).toEqual([5, 7]);
  });

  it('adaptiveMaxPool1d VJP (no returnIndices) over L = 2^24 + 8 to 2 outputs, maxima at 1 and 2^24 + 7, ∂y [1, 2]: ∂x 1 at 1, 2 at 2^24 + 7 (a float32 argmax rounds it to L and loses it)', () => {
    const L = EDGE + 8;
    const x = tensor([1, 1, L]);
    x.data[1] = 1;
    x.data[EDGE + 7] = 1;
    const gx = vjpOperator({ ...base, name: 'adaptiveMaxPool1d', inputs: [x], attributes: { outputSize: 2 }, gradOutputs: [tensor([1, 1, 2], [1, 2])] }).gradInputs[0]!.data;
    const found: [number, number][] = [];
    for (let i = 0; i < gx.length; i++) if (gx[i] !== 0) found.push([i, gx[i]]);
    expect(found).toEqual([[1, 1], [EDGE + 7, 2]]);
  });
});
