import { describe, expect, it } from 'vitest';
import { analyze, layer } from '../helpers.js';
import { mc3_18, r2plus1d_18, r3d_18 } from '../../src/zoo/video.js';

// PyTorch (torch 1.13, torchvision 0.14), measured with forward hooks on Conv3d and Linear at
// 1×3×16×112×112: 40,696,553,472 MACs, 33,371,472 parameters; torchvision publishes 40.70 GFLOPS.
describe('r3d_18 (torchvision.models.video)', () => {
  it('1×3×16×112×112: 33,371,472 params and 40,696,553,472 MACs, as PyTorch counts them', () => {
    const r = analyze(r3d_18());
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBe(33_371_472);
    expect(r.totals.macs).toBe(40_696_553_472);
    expect(Number((r.totals.macs / 1e9).toFixed(2))).toBe(40.7);
    expect(r.outputs[0].shape).toEqual([1, 400]);
  });

  it('module output shapes equal PyTorch\'s: the stem keeps the 16 frames, layers 2–4 halve time and space', () => {
    const r = analyze(r3d_18());
    expect(layer(r, 'stem.0').outputShape).toEqual([1, 64, 16, 56, 56]);
    expect(layer(r, 'layer2.0.conv1.0').outputShape).toEqual([1, 128, 8, 28, 28]);
    expect(layer(r, 'layer4.1.conv2.0').outputShape).toEqual([1, 512, 2, 7, 7]);
    expect(layer(r, 'avgpool').outputShape).toEqual([1, 512, 1, 1, 1]);
    // stem MACs by hand: 64·16·56·56 outputs × 3·3·7·7
    expect(layer(r, 'stem.0').macs).toBe(64 * 16 * 56 * 56 * 3 * 147);
  });

  it('8 frames of 56×56: every size scales (time 8 → 1 after three stride-2 stages)', () => {
    const r = analyze(r3d_18(56, 8));
    expect(layer(r, 'layer4.1.conv2.0').outputShape).toEqual([1, 512, 1, 4, 4]);
    expect(r.totals.params).toBe(33_371_472);
  });
});

// PyTorch's hook counts at 1×3×16×112×112 (torch 1.13, torchvision 0.14); torchvision publishes
// mc3_18 11,695,440 params / 43.34 GFLOPS and r2plus1d_18 31,505,325 / 40.52.
describe('mc3_18 and r2plus1d_18 (torchvision.models.video)', () => {
  it('mc3_18: 11,695,440 params, 43,342,635,008 MACs; layers 2–4 are 1×3×3 and never stride time (layer4 keeps 16 frames)', () => {
    const r = analyze(mc3_18());
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBe(11_695_440);
    expect(r.totals.macs).toBe(43_342_635_008);
    expect(layer(r, 'layer4.0.downsample.0').outputShape).toEqual([1, 512, 16, 7, 7]);
    expect(layer(r, 'layer4.1.conv2.0').outputShape).toEqual([1, 512, 16, 7, 7]);
  });

  it('r2plus1d_18: 31,505,325 params, 40,519,080,960 MACs; (2+1)-D with M = ⌊64·64·27/(64·9 + 3·64)⌋ = 144 mid channels in layer1', () => {
    const r = analyze(r2plus1d_18());
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBe(31_505_325);
    expect(r.totals.macs).toBe(40_519_080_960);
    expect(layer(r, 'stem.0').outputShape).toEqual([1, 45, 16, 56, 56]);
    expect(layer(r, 'layer1.0.conv1.0.0').outputShape).toEqual([1, 144, 16, 56, 56]);
    expect(layer(r, 'layer4.1.conv2.0.3').outputShape).toEqual([1, 512, 2, 7, 7]);
  });
});
