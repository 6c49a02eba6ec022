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

describe('hardSigmoid variants by name', () => {
  it('halfSlope is max(0, min(1, (x + 1)/2)) at x = −3, −1, 0, 0.5, 1, 3 → 0, 0, 0.5, 0.75, 1, 1; notes is its old name', async () => {
    const { runOperator } = await import('../../src/runtime/operator.js');
    const { tensor } = await import('../../src/tensor/tensor.js');
    const run = (variant: string) =>
      Array.from(runOperator({ name: 'hardSigmoid', inputs: [tensor([6], [-3, -1, 0, 0.5, 1, 3])], attributes: { variant }, weights: {}, training: false, seed: 0, maxElements: 100 }).outputs[0].data);
    expect(run('halfSlope')).toEqual([0, 0, 0.5, 0.75, 1, 1]);
    expect(run('notes')).toEqual(run('halfSlope'));
    expect(run('pytorch')).toEqual([0, 2 / 6, 0.5, 3.5 / 6, 4 / 6, 1].map((v) => Math.fround(v)));
  });
});
