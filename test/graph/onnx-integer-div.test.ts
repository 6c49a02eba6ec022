import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { div } from '../../src/ops/merge.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { onnxModel } from './onnx-builder.js';

const OPTS = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 20, maxWork: 1 << 30 };

/**
 * torchvision's RetinaNet/FCOS post-processing: torch.div(topk_idxs, num_classes, rounding_mode='floor')
 * exports as Div of two int64 tensors whose values are computed (TopK's indices), so nothing folds
 * and the quotient must truncate at run time. Here: ArgMax over 10 values (int64, computed) ÷ 4
 * (int64) → Cast to float; and the same Div over float operands, which does not truncate.
 */
function model(divisorType: 'int64' | 'float') {
  return onnxModel({
    inputs: [{ name: 'x', shape: [1, 10] }],
    outputs: ['q'],
    initializers: [{ name: 'four', dims: [1], data: [4], type: divisorType }],
    nodes: [
      { op: 'ArgMax', inputs: ['x'], outputs: ['i'], name: 'argmax', attrs: { axis: { i: 1 }, keepdims: { i: 0 } } },
      ...(divisorType === 'float' ? [{ op: 'Cast', inputs: ['i'], outputs: ['f'], name: 'tofloat', attrs: { to: { i: 1 } } }] : []),
      { op: 'Div', inputs: [divisorType === 'float' ? 'f' : 'i', 'four'], outputs: ['d'], name: 'div' },
      { op: 'Cast', inputs: ['d'], outputs: ['q'], name: 'cast', attrs: { to: { i: 1 } } },
    ],
  });
}
const input = (at: number) => ({ x: tensor([1, 10], Float32Array.from({ length: 10 }, (_, k) => (k === at ? 5 : k / 10))) });

describe('integer Div (ONNX int64 operands truncate toward zero), at run time as when folding', () => {
  it.each([
    [7, 1],
    [3, 0],
    [8, 2],
    [9, 2],
  ])('argmax %i (int64, computed) ÷ 4 (int64) = %i', (at, q) => {
    const { graph } = importOnnx(model('int64'));
    expect(graph.layers.find((l) => l.name === 'div')!.attrs).toEqual({ integer: true });
    expect(Array.from(runGraph(graph, input(at), OPTS).outputs.q.data)).toEqual([q]);
  });

  it('argmax 7 cast to float ÷ 4.0: 1.75, the float quotient (integer: false)', () => {
    const { graph } = importOnnx(model('float'));
    expect(graph.layers.find((l) => l.name === 'div')!.attrs).toEqual({ integer: false });
    expect(Array.from(runGraph(graph, input(7), OPTS).outputs.q.data)).toEqual([1.75]);
  });

  it('a Div of dequantized int8 tensors is a float Div: (DQ([5,7,9,11]·0.5) · x) ÷ DQ([2,2,2,2]·0.5) = [2.5, 3.5, 4.5, 5.5]', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [4] }],
      outputs: ['y'],
      initializers: [
        { name: 'a', dims: [4], data: [5, 7, 9, 11], type: 'int8' },
        { name: 'b', dims: [4], data: [2, 2, 2, 2], type: 'int8' },
        { name: 's', dims: [], data: [0.5] },
        { name: 'z', dims: [], data: [0], type: 'int8' },
      ],
      nodes: [
        { op: 'DequantizeLinear', inputs: ['a', 's', 'z'], outputs: ['fa'], name: 'dqa' },
        { op: 'DequantizeLinear', inputs: ['b', 's', 'z'], outputs: ['fb'], name: 'dqb' },
        { op: 'Mul', inputs: ['fa', 'x'], outputs: ['m'], name: 'mul' },
        { op: 'Div', inputs: ['m', 'fb'], outputs: ['y'], name: 'div' },
      ],
    });
    const { graph } = importOnnx(bytes);
    expect(graph.layers.find((l) => l.name === 'div')!.attrs).toEqual({ integer: false });
    expect(Array.from(runGraph(graph, { x: tensor([4], Float32Array.from([1, 1, 1, 1])) }, OPTS).outputs.y.data)).toEqual([2.5, 3.5, 4.5, 5.5]);
  });

  it('div {integer: true} on [7, −7, 9, 0] ÷ [2, 2, −4, 3] = [3, −3, −2, 0] (toward zero, as C and ONNX Runtime)', () => {
    const a = tensor([4], Float32Array.from([7, -7, 9, 0]));
    const b = tensor([4], Float32Array.from([2, 2, -4, 3]));
    const y = div.run!({ attrs: { integer: true }, inputs: [a, b], outputs: [[4]] } as never)[0];
    expect(Array.from(y.data)).toEqual([3, -3, -2, 0]);
  });
});
