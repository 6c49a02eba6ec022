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

describe('the activations with a loop of their own compute the scalar formula, edge values included', () => {
  const xs = [NaN, -Infinity, Infinity, -0, 0, -7, -3, -1e-8, 0.5, 3, 6, 7, 50, -50];
  const relu6 = (v: number) => Math.min(Math.max(v, 0), 6);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  it.each([
    ['relu', {}, (v: number) => (v > 0 || Number.isNaN(v) ? v : 0)], // PyTorch: relu(nan) = nan
    ['relu6', {}, relu6],
    ['leakyRelu', { negativeSlope: 0.1 }, (v: number) => (v > 0 ? v : 0.1 * v)],
    // the kernel picks the factor by the compare (v·1 or v·slope): −0 stays −0 (torch's −0·slope), NaN NaN; any slope
    ['leakyRelu', {}, (v: number) => (v > 0 ? v : 0.01 * v)],
    ['leakyRelu', { negativeSlope: -0.5 }, (v: number) => (v > 0 ? v : -0.5 * v)],
    ['leakyRelu', { negativeSlope: 3 }, (v: number) => (v > 0 ? v : 3 * v)],
    // clip's SIMD loop with bounds that are not float32 (taken to float32 there: the same answers)
    ['hardTanh', {}, (v: number) => Math.min(Math.max(v, -1), 1)],
    ['hardTanh', { minVal: -0.1, maxVal: 0.3 }, (v: number) => Math.min(Math.max(v, -0.1), 0.3)],
    ['hardTanh', { minVal: -1e-8, maxVal: 1e300 }, (v: number) => Math.min(Math.max(v, -1e-8), 1e300)],
    ['sigmoid', {}, sig],
    ['swish', {}, (v: number) => v * sig(v)],
    ['hardSigmoid', {}, (v: number) => relu6(Math.fround(v + 3)) / 6],
    ['hardSigmoid', { variant: 'halfSlope' }, (v: number) => Math.min(Math.max(0.5 * v + 0.5, 0), 1)],
    ['hardSigmoid', { alpha: 0.2, beta: 0.5 }, (v: number) => Math.min(Math.max(0.2 * v + 0.5, 0), 1)],
    // PyTorch's float32 steps: x + 3, clamped, times x, then / 6, each rounded to float32
    ['hardSwish', {}, (v: number) => Math.fround(v * relu6(Math.fround(v + 3))) / 6],
    ['clip', { min: -1, max: 2 }, (v: number) => Math.min(Math.max(v, -1), 2)],
    ['clip', { max: 2 }, (v: number) => Math.min(v, 2)],
    ['clip', { min: 0 }, (v: number) => Math.max(v, 0)],
    ['tanh', {}, Math.tanh],
    ['gelu', { approximate: 'tanh' }, (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
  ])('%s %j', async (op, attrs, f) => {
    const { run } = await import('./op-helpers.js');
    const got = run(op, [[[xs.length], xs]], attrs)[0].data;
    expect(got).toEqual(xs.map((v) => Math.fround(f(v))));
  });
});

// found by a hunt: the product and x + 3 were kept in float64, so x·relu6(x + 3) never overflowed and
// about one input in five came out 1 ulp from torch's (torch 1.13's F.hardswish, float32 on CPU)
describe('hardSwish rounds as torch 1.13 does in float32: x + 3, clamp, product, / 6', () => {
  it('[1e38, 3.4e38, −3.4e38] → [inf, inf, −0]: the product 3.4e38·6 overflows before the division', async () => {
    const { run } = await import('./op-helpers.js');
    expect(run('hardSwish', [[[3], [1e38, 3.4e38, -3.4e38]]])[0].data).toEqual([Infinity, Infinity, -0]);
  });

  it('[1.1, −0.9, 2.7] → [0.7516667246818542, −0.3149999678134918, 2.56499981880188] (float64 products gave 0.7516666650772095, −0.3149999976158142, 2.565000057220459)', async () => {
    const { run } = await import('./op-helpers.js');
    expect(run('hardSwish', [[[3], [1.1, -0.9, 2.7]]])[0].data).toEqual([0.7516667246818542, -0.3149999678134918, 2.56499981880188]);
  });
});

// found with the hardSwish fix: x + 3 was kept in float64, and about 1 input in 9 of a N(0, 4²) sample came out 1 ulp from torch's
describe('hardSigmoid rounds x + 3 to float32 before the clamp and / 6, as torch 1.13', () => {
  it('[0.6, −0.3, 2.2] → [0.5999999642372131, 0.45000001788139343, 0.8666666150093079] (float64 gave 0.6000000238418579, 0.44999998807907104, 0.8666666746139526)', async () => {
    const { run } = await import('./op-helpers.js');
    expect(run('hardSigmoid', [[[3], [0.6, -0.3, 2.2]]])[0].data).toEqual([0.5999999642372131, 0.45000001788139343, 0.8666666150093079]);
  });
});
