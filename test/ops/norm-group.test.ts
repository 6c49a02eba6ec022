import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { run } from './op-helpers.js';

const conv3 = { op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 };
/** FLOPs of a normalisation over `groups` groups of `elements` in all: 5 per element + 2 affine, 4 per group. */
const normFlops = (elements: number, groups: number, affine = 2) => elements * (5 + affine) + groups * 4;

describe('layerNorm, groupNorm, instanceNorm2d: params, FLOPs, receptive field', () => {
  it("layerNorm over 'channels' (ConvNeXt LayerNorm2d) on [1,8,5,5]: 2·8 params, 7·200 + 4·25 FLOPs, the conv's field kept", () => {
    const r = analyze(net([1, 3, 5, 5], conv3, { op: 'layerNorm', over: 'channels' }));
    const l = layer(r, 'l1');
    expect(l.params).toBe(16);
    expect(l.flops).toBe(normFlops(200, 25));
    expect(l.receptiveField).toEqual(layer(r, 'l0').receptiveField);
    expect(r.warnings.filter((w) => w.code === 'NORMALISATION_RECEPTIVE_FIELD')).toEqual([]);
  });

  it('layerNorm normalizedShape=[8] on [2,5,8]: 16 params, 7·80 + 4·10 FLOPs; no bias: 8 params, 6·80 + 4·10; no affine: 0 params', () => {
    const one = (attrs: Record<string, unknown>) => layer(analyze(net([2, 5, 8], { op: 'layerNorm', normalizedShape: [8], ...attrs })), 'l0');
    expect(one({}).params).toBe(16);
    expect(one({}).flops).toBe(normFlops(80, 10));
    expect(one({ bias: false }).params).toBe(8);
    expect(one({ bias: false }).flops).toBe(normFlops(80, 10, 1));
    expect(one({ elementwiseAffine: false }).params).toBe(0);
  });

  it('layerNorm normalizedShape=[4,4] over H, W after a 3×3 conv: global field, and a warning that names the local 3×3', () => {
    const r = analyze(net([1, 3, 4, 4], conv3, { op: 'layerNorm', normalizedShape: [4, 4] }));
    const l = layer(r, 'l1');
    expect(l.params).toBe(32);
    expect(l.receptiveField?.global).toBe(true);
    const w = r.warnings.find((x) => x.code === 'NORMALISATION_RECEPTIVE_FIELD');
    expect(w?.layer).toBe('l1');
    expect(w?.localField).toEqual([
      { size: 3, stride: 1, padding: 1 },
      { size: 3, stride: 1, padding: 1 },
    ]);
  });

  it('layerNorm normalizedShape=[8] over W only, after a 3×3 conv on [1,1,7,8]: a strip, rows h−1…h+1 and the whole row (W 17, padding 8: unit 0 holds columns −8…8, unit 7 −1…15, both ⊇ −1…8), not global; the warning names dim 3', () => {
    // autograd (torch 1.13, Conv2d(1,4,3,p=1) → LayerNorm(8)): unit (3, 4) reads rows 2–4, columns 0–7; it was reported global
    const r = analyze(net([1, 1, 7, 8], { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 }, { op: 'layerNorm', normalizedShape: [8] }));
    expect(layer(r, 'l1').receptiveField).toMatchObject({ global: false, size: [3, 17], stride: [1, 1], padding: [1, 8] });
    const w = r.warnings.filter((x) => x.code === 'NORMALISATION_RECEPTIVE_FIELD');
    expect(w.map((x) => x.message)).toEqual([expect.stringContaining('over dim 3 of its map')]);
    // the envelope is wider than the input, as x · x.mean(3, keepdim=True)'s, and said so; the merge of the summary is no misalignment
    expect(r.warnings.filter((x) => x.layer === 'l1' && x.code !== 'NORMALISATION_RECEPTIVE_FIELD').map((x) => x.code)).toEqual(['RECEPTIVE_FIELD_EXCEEDS_INPUT']);
  });

  it('groupNorm G=2 on [1,8,4,4]: 2·8 params, 7·128 + 4·2 FLOPs, global field (statistics over C/G·H·W)', () => {
    const r = analyze(net([1, 3, 4, 4], conv3, { op: 'groupNorm', numGroups: 2 }));
    const l = layer(r, 'l1');
    expect(l.params).toBe(16);
    expect(l.flops).toBe(normFlops(128, 2));
    expect(l.receptiveField?.global).toBe(true);
    expect(r.warnings.some((w) => w.code === 'NORMALISATION_RECEPTIVE_FIELD')).toBe(true);
  });

  it('instanceNorm2d on [1,8,4,4]: no params by default, 5·128 + 4·8 FLOPs, global; with running statistics: 16 buffers and num_batches_tracked (nn.InstanceNorm2d(8, track_running_stats=True) holds it as BatchNorm2d does), 2 FLOPs per element (affine), field kept', () => {
    const plain = analyze(net([1, 3, 4, 4], conv3, { op: 'instanceNorm2d' }));
    expect(layer(plain, 'l1').params).toBe(0);
    expect(layer(plain, 'l1').flops).toBe(normFlops(128, 8, 0));
    expect(layer(plain, 'l1').receptiveField?.global).toBe(true);
    const running = analyze(net([1, 3, 4, 4], conv3, { op: 'instanceNorm2d', affine: true, trackRunningStats: true }));
    const l = layer(running, 'l1');
    expect([l.params, l.buffers, l.flops]).toEqual([16, 17, 2 * 128]);
    expect(l.receptiveField).toEqual(layer(running, 'l0').receptiveField);
  });

  it('refusals: 3 groups of 8 channels, a normalizedShape that is not the trailing dims, numChannels ≠ C, instanceNorm2d on rank 2', () => {
    const e1 = errorOf(() => analyze(net([1, 8, 4, 4], { op: 'groupNorm', numGroups: 3 })));
    expect([e1.code, e1.message]).toEqual(['INVALID_ATTRIBUTE', expect.stringContaining('numGroups=3 does not divide 8')]);
    expect(errorOf(() => analyze(net([1, 8, 4, 4], { op: 'layerNorm', normalizedShape: [5] }))).code).toBe('SHAPE_MISMATCH');
    expect(errorOf(() => analyze(net([1, 8, 4, 4], { op: 'groupNorm', numGroups: 2, numChannels: 6 }))).code).toBe('CHANNEL_MISMATCH');
    expect(errorOf(() => analyze(net([4, 8], { op: 'instanceNorm2d' }))).code).toBe('RANK_MISMATCH');
    expect(errorOf(() => analyze(net([1, 8, 4, 4], { op: 'layerNorm', axis: 4 }))).code).toBe('INVALID_ATTRIBUTE');
  });
});

describe('normalisation values by hand', () => {
  it('layerNorm of [1, 2, 3, 4]: mean 2.5, variance 1.25 → (x − 2.5)/√1.25 = ±1.3416, ±0.4472', () => {
    const y = run('layerNorm', [[[1, 4], [1, 2, 3, 4]]], { eps: 1e-12, elementwiseAffine: false })[0].data;
    expect(y).toEqual([-1.3416408, -0.4472136, 0.4472136, 1.3416408].map((v) => expect.closeTo(v, 6)));
  });

  it('groupNorm G=2 of [1, 3 | 10, 14] (one position): each group → [−1, 1]; γ = [1, 2, 3, 4], β = [0, 0, 1, 1] → [−1, 2, −2, 5]', () => {
    const y = run('groupNorm', [[[1, 4, 1, 1], [1, 3, 10, 14]]], { numGroups: 2, eps: 1e-12 }, { weight: [[4], [1, 2, 3, 4]], bias: [[4], [0, 0, 1, 1]] })[0].data;
    expect(y).toEqual([-1, 2, -2, 5].map((v) => expect.closeTo(v, 5)));
  });

  it("layerNorm over 'channels' normalises each position's C values: positions (1, 3) and (5, 9) → (−1, 1) each", () => {
    // [1, C=2, 1, 2]: channel 0 = [1, 5], channel 1 = [3, 9]
    const y = run('layerNorm', [[[1, 2, 1, 2], [1, 5, 3, 9]]], { over: 'channels', eps: 1e-12, elementwiseAffine: false })[0].data;
    expect(y).toEqual([-1, -1, 1, 1].map((v) => expect.closeTo(v, 5)));
  });

  it('instanceNorm2d numFeatures=3 on 2 channels: ignored without affine or running statistics (torch 1.13 runs it), CHANNEL_MISMATCH with either', () => {
    // maps [1, 3] and [10, 14]: each → (−1, 1), as InstanceNorm2d(3) gives on a [1, 2, 1, 2] input
    const y = run('instanceNorm2d', [[[1, 2, 1, 2], [1, 3, 10, 14]]], { numFeatures: 3, eps: 1e-12 })[0].data;
    expect(y.map((v) => Number(v.toFixed(5)))).toEqual([-1, 1, -1, 1]);
    for (const attrs of [{ affine: true }, { trackRunningStats: true }]) {
      expect(errorOf(() => analyze(net([1, 2, 1, 2], { op: 'instanceNorm2d', numFeatures: 3, ...attrs }))).code).toBe('CHANNEL_MISMATCH');
    }
  });

  it('instanceNorm2d of one 2×2 map [0, 2, 4, 6]: mean 3, variance 5 → (x − 3)/√5', () => {
    const y = run('instanceNorm2d', [[[1, 1, 2, 2], [0, 2, 4, 6]]], { eps: 1e-12 })[0].data;
    expect(y).toEqual([-3, -1, 1, 3].map((v) => expect.closeTo(v / Math.sqrt(5), 6)));
  });
});
