/**
 * The kernels' own work (Inferred.kernelWork) that MAX_RUN_WORK counts for loops far slower per
 * operation than the GEMM (rates measured by bench/op-rates.ts, cited in each op's file), each
 * against its formula worked by hand on a small layer:
 *   pooling in JavaScript   outputs · (perTap · taps + perOutput): 2-D 15 and 300, 1-D/3-D 25 and 300
 *   adaptive pooling        3 · Σ window volumes + 350 · outputs
 *   upsample / resize       outputs · (150 + 3 · FLOPs an output): nearest 150, bilinear 171, bicubic 243
 *   upsample1d/3d           100 · outputs
 *   gridSample              outputs · (250 + 8 · FLOPs an output): nearest 250, bilinear 306, bicubic 498
 *   localResponseNorm       N · positions · (20 · Σ_c clipped window + 700 · C)
 *   topK                    160 · elements · ⌈log2(dim + 1)⌉ (the whole slice sorted)
 *   convTranspose1d/3d      25 · MACs
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { parseNetworkSpec } from '../../src/graph/network.js';

/** The kernelWork of layer 'l', the only layer, on inputs of these shapes (x, then any others as inputs). */
function kernelWorkOf(shapes: number[][], layer: Record<string, unknown>): number | undefined {
  const inputs = shapes.map((shape, i) => ({ name: i === 0 ? 'x' : `in${i}`, shape }));
  const spec = { inputs, layers: [{ name: 'l', ...(shapes.length > 1 ? { inputs: inputs.map((i) => i.name) } : {}), ...layer }] };
  return inferGraph(parseNetworkSpec(spec)).analysed[0].inferred!.kernelWork;
}

describe('pooling where the SIMD kernel does not take the geometry', () => {
  it('maxPool2d 3×3 dilation 2 on [1, 2, 10, 10]: 2·6·6 = 72 outputs · (15·9 + 300) = 31,320', () => {
    expect(kernelWorkOf([[1, 2, 10, 10]], { op: 'maxPool2d', kernelSize: 3, stride: 1, dilation: 2 })).toBe(31_320);
  });

  it('maxPool2d 2×2 with indices on [1, 1, 4, 4]: 4 outputs · (15·4 + 300) = 1440; without them (SIMD) its cost', () => {
    expect(kernelWorkOf([[1, 1, 4, 4]], { op: 'maxPool2d', kernelSize: 2, returnIndices: true })).toBe(1440);
    expect(kernelWorkOf([[1, 1, 4, 4]], { op: 'maxPool2d', kernelSize: 2 })).toBeUndefined();
  });

  it('avgPool2d 3×3 stride 3 on [1, 1, 9, 9]: 9 outputs · (15·9 + 300) = 3915; stride 1 (SIMD) its cost', () => {
    expect(kernelWorkOf([[1, 1, 9, 9]], { op: 'avgPool2d', kernelSize: 3, stride: 3 })).toBe(3915);
    expect(kernelWorkOf([[1, 1, 9, 9]], { op: 'avgPool2d', kernelSize: 3, stride: 1 })).toBeUndefined();
  });

  it('maxPool1d 3 on [1, 2, 10]: 16 outputs · (25·3 + 300) = 6000; avgPool3d 2 on [1, 1, 4, 4, 4]: 27 · (25·8 + 300) = 13,500', () => {
    expect(kernelWorkOf([[1, 2, 10]], { op: 'maxPool1d', kernelSize: 3, stride: 1 })).toBe(6000);
    expect(kernelWorkOf([[1, 1, 4, 4, 4]], { op: 'avgPool3d', kernelSize: 2, stride: 1 })).toBe(13_500);
  });

  it('adaptive 5×5 → 2×2: windows [0, 3) and [2, 5) a side, 6·6 = 36 taps: 3·36 + 350·4 = 1508, avg and max; 1-D 5 → 2: 3·6 + 350·2 = 718', () => {
    expect(kernelWorkOf([[1, 1, 5, 5]], { op: 'adaptiveAvgPool2d', outputSize: 2 })).toBe(1508);
    expect(kernelWorkOf([[1, 1, 5, 5]], { op: 'adaptiveMaxPool2d', outputSize: 2 })).toBe(1508);
    expect(kernelWorkOf([[1, 1, 5]], { op: 'adaptiveAvgPool1d', outputSize: 2 })).toBe(718);
  });
});

describe('resampling', () => {
  it('upsample ×2 of [1, 1, 2, 2] (16 outputs): nearest 16·150 = 2400, bilinear 16·(150 + 3·7) = 2736, bicubic 16·(150 + 15·31) = 9840 (a cubic FLOP at CUBIC_FLOP 15, a linear one at 3)', () => {
    expect(kernelWorkOf([[1, 1, 2, 2]], { op: 'upsample', scaleFactor: 2 })).toBe(2400);
    expect(kernelWorkOf([[1, 1, 2, 2]], { op: 'upsample', scaleFactor: 2, mode: 'bilinear' })).toBe(2736);
    expect(kernelWorkOf([[1, 1, 2, 2]], { op: 'upsample', scaleFactor: 2, mode: 'bicubic' })).toBe(9840);
  });

  it('resize cubic ×2 of [1, 1, 2, 2]: the same kernels, 9840; upsample1d linear ×2 of [1, 1, 3]: 6 outputs · 100 = 600', () => {
    expect(kernelWorkOf([[1, 1, 2, 2]], { op: 'resize', mode: 'cubic', scales: [1, 1, 2, 2] })).toBe(9840);
    expect(kernelWorkOf([[1, 1, 3]], { op: 'upsample1d', scaleFactor: 2, mode: 'linear' })).toBe(600);
  });

  it('gridSample of [1, 2, 3, 3] at a [1, 4, 5, 2] grid (40 outputs): nearest 40·250 = 10,000, bilinear 40·306 = 12,240, bicubic 40·(250 + 40·31) = 59,600 (a bicubic FLOP at GRID_CUBIC_FLOP 40, the others at 8)', () => {
    expect(kernelWorkOf([[1, 2, 3, 3], [1, 4, 5, 2]], { op: 'gridSample', mode: 'nearest' })).toBe(10_000);
    expect(kernelWorkOf([[1, 2, 3, 3], [1, 4, 5, 2]], { op: 'gridSample' })).toBe(12_240);
    expect(kernelWorkOf([[1, 2, 3, 3], [1, 4, 5, 2]], { op: 'gridSample', mode: 'bicubic' })).toBe(59_600);
  });
});

describe('localResponseNorm', () => {
  it('size 3 on [1, 4, 2, 2]: windows of 2, 3, 3, 2 channels (10): 4 positions · (20·10 + 700·4) = 12,000', () => {
    expect(kernelWorkOf([[1, 4, 2, 2]], { op: 'localResponseNorm', size: 3 })).toBe(12_000);
  });

  it('size 8 on 4 channels: every window clipped to all 4 (16), not 8 each: 4 · (20·16 + 700·4) = 12,480', () => {
    expect(kernelWorkOf([[1, 4, 2, 2]], { op: 'localResponseNorm', size: 8 })).toBe(12_480);
  });
});

describe('topK and the N-d transposed convs', () => {
  it('topK 3 of [2, 7]: 14 elements · ⌈log2 8⌉ = 3 · 160 = 6720 (k does not change it: the slice is sorted whole)', () => {
    expect(kernelWorkOf([[2, 7]], { op: 'topK', k: 3 })).toBe(6720);
    expect(kernelWorkOf([[2, 7]], { op: 'topK', k: 1 })).toBe(6720);
  });

  it('convTranspose1d 2→3 k4 s2 on [1, 2, 5]: 2·5·3·4 = 120 MACs · 25 = 3000; convTranspose3d 1→2 k2 on [1, 1, 2, 2, 2]: 8·2·8 = 128 · 25 = 3200', () => {
    expect(kernelWorkOf([[1, 2, 5]], { op: 'convTranspose1d', outChannels: 3, kernelSize: 4, stride: 2 })).toBe(3000);
    expect(kernelWorkOf([[1, 1, 2, 2, 2]], { op: 'convTranspose3d', outChannels: 2, kernelSize: 2 })).toBe(3200);
  });
});
