import { describe, expect, it } from 'vitest';
import { erf } from '../../src/ops/special.js';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { run } from './op-helpers.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';

describe('gelu, tanh, erf, mish, elu, selu, celu, softplus, softsign, hardTanh, prelu, logSoftmax: analysis', () => {
  it.each([
    ['gelu', {}, 5],
    ['gelu', { approximate: 'tanh' }, 9],
    ['tanh', {}, 1],
    ['erf', {}, 1],
    ['mish', {}, 5],
    ['elu', {}, 4],
    ['selu', {}, 5],
    ['celu', {}, 5],
    ['softplus', {}, 5],
    ['softsign', {}, 3],
    ['hardTanh', {}, 2],
    ['prelu', {}, 2],
    ['logSoftmax', {}, 5],
  ])('%s %j after a conv on [1,4,3,3]: shape kept, %i FLOPs per element, field passed through', (op, attrs, per) => {
    const r = analyze(net([1, 4, 3, 3], { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 }, { op, ...attrs }));
    const l = layer(r, 'l1');
    expect(l.outputShape).toEqual([1, 4, 3, 3]);
    expect(l.flops).toBe(per * 36);
    expect(l.receptiveField).toEqual(layer(r, 'l0').receptiveField);
  });

  it('prelu: numParameters 1 is 1 learned parameter, numParameters = C = 8 is 8; 5 slopes for 8 channels is CHANNEL_MISMATCH', () => {
    expect(layer(analyze(net([1, 8, 4, 4], { op: 'prelu' })), 'l0').params).toBe(1);
    expect(layer(analyze(net([1, 8, 4, 4], { op: 'prelu', numParameters: 8 })), 'l0').params).toBe(8);
    const e = errorOf(() => analyze(net([1, 8, 4, 4], { op: 'prelu', numParameters: 5 })));
    expect(e.code).toBe('CHANNEL_MISMATCH');
    expect(e.message).toContain('numParameters=5');
  });

  it('hardTanh with minVal ≥ maxVal is refused as an invalid spec, naming the attribute', () => {
    const e1 = errorOf(() => analyze(net([1, 2, 2, 2], { op: 'hardTanh', minVal: 1, maxVal: 1 })));
    expect([e1.code, e1.message]).toEqual(['SPEC_INVALID', expect.stringContaining('minVal must be below maxVal')]);
  });

  // found by a hunt: beta 0 was refused; torch 1.13 computes it: log1p(exp(0·x))/0 = ∞, and its
  // backward exp(0)/(exp(0) + 1) = 1/2 (F.softplus(x, beta=0), autograd)
  it('softplus beta 0 at [−100, −2, −0, 1, 100, ∞, −∞, NaN] → [∞ ×5, NaN ×3] as torch (0·±∞ is NaN); ∂x 1/2 where finite', () => {
    const xs = [-100, -2, -0, 1, 100, Infinity, -Infinity, NaN];
    expect(run('softplus', [[[8], xs]], { beta: 0 })[0].data).toEqual([Infinity, Infinity, Infinity, Infinity, Infinity, NaN, NaN, NaN]);
    const res = vjpOperator({ name: 'softplus', inputs: [tensor([8], xs)], attributes: { beta: 0 }, weights: {}, training: false, seed: 0, maxElements: 64, gradOutputs: [tensor([8], new Array(8).fill(1))] });
    expect(Array.from(res.gradInputs[0]!.data)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, NaN, NaN, NaN]);
  });

  it('softplus beta 0, threshold −1: 0·x > −1, so x where x is finite (torch: [−2, 1], then NaN for ∞)', () => {
    expect(run('softplus', [[[3], [-2, 1, Infinity]]], { beta: 0, threshold: -1 })[0].data).toEqual([-2, 1, NaN]);
  });
});

describe('activation values by hand (float64 references: Python math.erf, PyTorch in double)', () => {
  const at = (op: string, xs: number[], attrs: Record<string, unknown> = {}, weights = {}) => run(op, [[[xs.length], xs]], attrs, weights)[0].data;

  it('erf (fdlibm port) at 1, −2, 0.1, 3, 1e−10, 4.5 equals math.erf to 1e−15; ±Infinity → ±1; NaN → NaN', () => {
    const want: [number, number][] = [
      [1, 0.8427007929497149],
      [-2, -0.9953222650189527],
      [0.1, 0.1124629160182849],
      [3, 0.9999779095030014],
      [1e-10, 1.1283791670955126e-10],
      [4.5, 0.9999999998033839],
    ];
    for (const [x, y] of want) expect(Math.abs(erf(x) - y)).toBeLessThan(1e-15);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
  });

  it('gelu(1) = Φ(1) = 0.841344746 exact, 0.841191991 with tanh; mish(1) = 0.865098388; selu(−1) = −1.111330738', () => {
    expect(at('gelu', [1])[0]).toBeCloseTo(0.841344746068543, 6);
    expect(at('gelu', [1], { approximate: 'tanh' })[0]).toBeCloseTo(0.8411919906082768, 6);
    expect(at('mish', [1])[0]).toBeCloseTo(0.8650983882673103, 6);
    expect(at('selu', [-1])[0]).toBeCloseTo(-1.1113307378125625, 6);
  });

  it('exact gelu of large negatives is 0, as PyTorch gives (x·Φ(x) → 0): −10, −100, −1e4, −1e10, −1e30; −∞ → NaN (−∞·0), +∞ → +∞', () => {
    // the float32 erf's fit left 1 − 4.9e-8 at its clamp: 0.5·x·4.9e-8 made gelu(−1e10) = +247
    const y = Array.from(at('gelu', [-10, -100, -1e4, -1e10, -1e30, -Infinity, Infinity]));
    expect(y.slice(0, 5).map((v) => Math.abs(v))).toEqual([0, 0, 0, 0, 0]);
    expect(y[5]).toBeNaN();
    expect(y[6]).toBe(Infinity);
    // −4.5 still follows the curve, to float32's absolute accuracy of 1 + erf next to −1 (6e-8):
    // −4.5·Φ(−4.5) = −1.529e-5 (Φ(−4.5) = 3.398e-6)
    expect(Math.abs(at('gelu', [-4.5])[0] - -4.5 * 3.3976731247300535e-6)).toBeLessThan(4.5 * 0.5 * 6.5e-8);
  });

  it('elu alpha 2 at −ln 2 = 2·(1/2 − 1) = −1; celu alpha 2 at −2 ln 2 = −1; softplus(0) = ln 2; softsign(3) = 3/4; hardTanh clamps to [−1, 1]', () => {
    expect(at('elu', [-Math.LN2, 3], { alpha: 2 })).toEqual([expect.closeTo(-1, 6), 3]);
    expect(at('celu', [-2 * Math.LN2], { alpha: 2 })[0]).toBeCloseTo(-1, 6);
    expect(at('softplus', [0])[0]).toBeCloseTo(Math.LN2, 6);
    expect(at('softplus', [30], { beta: 1, threshold: 20 })[0]).toBe(30);
    expect(at('softsign', [3, -1])).toEqual([0.75, -0.5]);
    expect(at('hardTanh', [-3, 0.5, 2])).toEqual([-1, 0.5, 1]);
  });

  it('prelu per channel on [1,2,2]: slopes [0.5, −1] → channel 0 halves its negatives, channel 1 flips them', () => {
    expect(run('prelu', [[[1, 2, 2], [-2, 4, -3, 5]]], { numParameters: 2 }, { weight: [[2], [0.5, -1]] })[0].data).toEqual([-1, 4, 3, 5]);
  });

  it('logSoftmax of [1, 2, 3] = x − log(e + e² + e³) = x − 3.40760596', () => {
    expect(run('logSoftmax', [[[1, 3], [1, 2, 3]]], { dim: 1 })[0].data).toEqual([-2.40760596, -1.40760596, -0.40760596].map((v) => expect.closeTo(v, 6)));
  });

  it('logSoftmax of large logits is (x − m) − log Σ: [1e12 ×3] → −log 3 = −1.0986123 each, [3e38, 3e38] → −log 2 (PyTorch)', () => {
    // x − (m + log 3) rounded m + log 3 to 1e12's double spacing 1.2e-4: −1.0986328
    expect(run('logSoftmax', [[[1, 3], [1e12, 1e12, 1e12]]], { dim: 1 })[0].data).toEqual(Array(3).fill(Math.fround(-Math.log(3))));
    // m + log 2 = 3e38 exactly in doubles: x − it was 0
    expect(run('logSoftmax', [[[2, 1], [3e38, 3e38]]], { dim: 0 })[0].data).toEqual(Array(2).fill(Math.fround(-Math.LN2)));
  });
});
