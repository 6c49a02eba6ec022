import { describe, expect, it } from 'vitest';
import { analyze, layer, net } from '../helpers.js';

describe('activations', () => {
  it.each([
    ['relu', 1],
    ['relu6', 2],
    ['leakyRelu', 2],
    ['sigmoid', 4],
    ['swish', 5],
    ['hardSigmoid', 4],
    ['hardSwish', 5],
    ['softmax', 5],
    ['dropout', 0],
  ])('%s on [1,4,3,3]: shape kept, %i FLOPs per element, field passed through', (op, per) => {
    const r = analyze(net([1, 4, 3, 3], { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 }, { op }));
    const l = layer(r, 'l1');
    expect(l.outputShape).toEqual([1, 4, 3, 3]);
    expect(l.flops).toBe(per * 36);
    expect(l.receptiveField).toEqual(layer(r, 'l0').receptiveField);
  });
});
