/**
 * Receptive fields per spatial axis of 1-D (N, C, L) and 3-D (N, C, D, H, W) maps, with the
 * algebra of the 2-D ones (Araujo, Norris, Sim, Distill 2019), worked by hand:
 *   window      r' = r + (k_eff − 1)·j,  j' = j·s,  c' = c + ((k_eff − 1)/2 − pb)·j
 *   transposed  r' = r + (k_eff − 1)/s·j, j' = j/s, c' = c + (pb − (k_eff − 1)/2)/s·j
 *   padding     P = (r − 1)/2 − c
 * and torchvision's video ResNets, whose fields were summed layer by layer from their layer lists.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { reportCsv } from '../../src/analysis/csv.js';
import { fieldCell } from '../../src/analysis/formats/md.js';
import { receptiveFieldChart } from '../../src/analysis/formats/html-charts.js';
import { table } from '../../src/cli/format.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import type { Report } from '../../src/analysis/report.js';
import { mc3_18, r2plus1d_18, r3d_18 } from '../../src/zoo/video.js';
import { reportErfSync } from '../../src/runtime/erf-report.js';
import { computeErf } from '../../src/runtime/erf.js';
import type { ErfRunner } from '../../src/runtime/erf.js';
import { erfTask } from '../../src/runtime/erf-task.js';
import type { ErfTask } from '../../src/runtime/erf-task.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, analyze, layer, net } from '../helpers.js';

/** The field of the map global pooling reads: the layer right before the first global/adaptive pooling. */
function beforeGlobalPool(r: Report) {
  const i = r.layers.findIndex((l) => l.receptiveField?.global);
  return r.layers[i - 1];
}

describe('1-D: conv1d and pooling over [l]', () => {
  it('three conv1d k=3 d=2 (k_eff 5) s=2 p=2 on [1,1,64]: r 5, 13, 29; stride 2, 4, 8; padding 2, 6, 14; centre 0', () => {
    const c = { op: 'conv1d', outChannels: 4, kernelSize: 3, dilation: 2, stride: 2, padding: 2 };
    const r = analyze(net([1, 1, 64], c, c, c));
    // r = 1 + 4·1 = 5; 5 + 4·2 = 13; 13 + 4·4 = 29 (= 4·(1 + 2 + 4) + 1); P = 0 + 2·1, + 2·2, + 2·4
    expect(layer(r, 'l0').receptiveField).toEqual({ global: false, axes: ['l'], size: [5], stride: [2], padding: [2], centre: [0] });
    expect(layer(r, 'l1').receptiveField).toEqual({ global: false, axes: ['l'], size: [13], stride: [4], padding: [6], centre: [0] });
    expect(layer(r, 'l2').receptiveField).toEqual({ global: false, axes: ['l'], size: [29], stride: [8], padding: [14], centre: [0] });
    expect(layer(r, 'l2').outputShape).toEqual([1, 4, 8]);
  });

  it('conv1d k=5 p=2, then avgPool1d k=4 (s=4): r 5 + 3 = 8, stride 4, centre 0 + 1.5, padding 3.5 − 1.5 = 2', () => {
    const r = analyze(net([1, 2, 32], { op: 'conv1d', outChannels: 2, kernelSize: 5, padding: 2 }, { op: 'avgPool1d', kernelSize: 4 }));
    expect(layer(r, 'l1').receptiveField).toEqual({ global: false, axes: ['l'], size: [8], stride: [4], padding: [2], centre: [1.5] });
  });

  it('adaptiveAvgPool1d 8 → 3: windows [0,3) [2,6) [5,8), starts 2.5 apart: start − 2.5o 0, −0.5, 0 (p 0.5), last − 2.5o 2, 2.5, 2: r 4, stride 2.5, padding 0.5', () => {
    const r = analyze(net([1, 1, 8], { op: 'adaptiveAvgPool1d', outputSize: 3 }));
    expect(layer(r, 'l0').receptiveField).toEqual({ global: false, axes: ['l'], size: [4], stride: [2.5], padding: [0.5], centre: [1] });
  });

  it('adaptiveAvgPool1d to 1 and flatten: global, the whole input length [100]', () => {
    const r = analyze(net([1, 4, 100], { op: 'conv1d', outChannels: 4, kernelSize: 3 }, { op: 'adaptiveAvgPool1d', outputSize: 1 }, { op: 'flatten' }));
    for (const name of ['l1', 'l2']) expect(layer(r, name).receptiveField).toEqual({ global: true, axes: ['l'], size: [100], stride: null, padding: null, centre: null });
  });

  it('upsample1d linear ×2 after conv1d k=3 p=1: half pixel, unit o reads floor(o/2 − ¼) and the next ([0,0] [0,1] [0,1] [1,2] …): envelope 2.5 at step ½, padding 1: r 3 + 1.5 = 4.5, stride 0.5, padding 1 + 1', () => {
    const r = analyze(net([1, 1, 16], { op: 'conv1d', outChannels: 1, kernelSize: 3, padding: 1 }, { op: 'upsample1d', mode: 'linear', scaleFactor: 2 }));
    expect(layer(r, 'l1').receptiveField).toEqual({ global: false, axes: ['l'], size: [4.5], stride: [0.5], padding: [2], centre: [-0.25] });
  });
});

describe('3-D: conv3d, pooling, transposed conv and upsampling over [d, h, w]', () => {
  it('maxPool3d k=(2,3,3) s=2 p=(0,1,1): d r 2, centre 0.5, padding 0; h and w r 3, centre 0, padding 1', () => {
    const r = analyze(net([1, 1, 8, 16, 16], { op: 'maxPool3d', kernelSize: [2, 3, 3], stride: 2, padding: [0, 1, 1] }));
    expect(layer(r, 'l0').receptiveField).toEqual({ global: false, axes: ['d', 'h', 'w'], size: [2, 3, 3], stride: [2, 2, 2], padding: [0, 1, 1], centre: [0.5, 0, 0] });
  });

  it('convTranspose3d k=(2,4,4) s=2 p=(0,1,1): d r 1 + 1/2, stride 1/2, centre −1/4, padding 1/2; h, w r 1 + 3/2, centre (1 − 1.5)/2, padding 1', () => {
    const r = analyze(net([1, 2, 4, 4, 4], { op: 'convTranspose3d', outChannels: 2, kernelSize: [2, 4, 4], stride: 2, padding: [0, 1, 1] }));
    expect(layer(r, 'l0').outputShape).toEqual([1, 2, 8, 8, 8]);
    expect(layer(r, 'l0').receptiveField).toEqual({ global: false, axes: ['d', 'h', 'w'], size: [1.5, 2.5, 2.5], stride: [0.5, 0.5, 0.5], padding: [0.5, 1, 1], centre: [-0.25, -0.25, -0.25] });
    // the h and w axes are convTranspose2d's with the same k=4 s=2 p=1
    const flat = analyze(net([1, 2, 4, 4], { op: 'convTranspose2d', outChannels: 2, kernelSize: 4, stride: 2, padding: 1 }));
    expect(layer(flat, 'l0').receptiveField).toMatchObject({ size: [2.5, 2.5], stride: [0.5, 0.5], padding: [1, 1] });
  });

  it('conv3d k=3 p=1 then upsample3d ×(1,2,2) nearest: d unchanged (r 3, stride 1); h, w: units 2k and 2k + 1 read conv unit k (rows k − 1 … k + 1), r 3.5 at stride 1/2, centre −0.25; trilinear reads one more unit', () => {
    const conv = { op: 'conv3d', outChannels: 2, kernelSize: 3, padding: 1 };
    const near = analyze(net([1, 1, 4, 8, 8], conv, { op: 'upsample3d', scaleFactor: [1, 2, 2] }));
    // unit u's box [u/2 − 1.5, u/2 + 1] holds rows k − 1 … k + 1 for u = 2k and u = 2k + 1 alike
    expect(layer(near, 'l1').receptiveField).toEqual({ global: false, axes: ['d', 'h', 'w'], size: [3, 3.5, 3.5], stride: [1, 0.5, 0.5], padding: [1, 1.5, 1.5], centre: [0, -0.25, -0.25] });
    // trilinear ×2 half-pixel: the envelope of the reads [0,0] [0,1] [0,1] [1,2] … is 2.5 at step ½, padding 1: r 3 + 1.5, padding 1 + 1
    const lin = analyze(net([1, 1, 4, 8, 8], conv, { op: 'upsample3d', mode: 'trilinear', scaleFactor: 2 }));
    expect(layer(lin, 'l1').receptiveField).toEqual({ global: false, axes: ['d', 'h', 'w'], size: [4.5, 4.5, 4.5], stride: [0.5, 0.5, 0.5], padding: [2, 2, 2], centre: [-0.25, -0.25, -0.25] });
  });

  it('adaptiveAvgPool3d(1) is global over the whole [D, H, W] input', () => {
    const r = analyze(net([1, 3, 8, 20, 24], { op: 'conv3d', outChannels: 4, kernelSize: 3 }, { op: 'adaptiveAvgPool3d', outputSize: 1 }));
    expect(layer(r, 'l1').receptiveField).toEqual({ global: true, axes: ['d', 'h', 'w'], size: [8, 20, 24], stride: null, padding: null, centre: null });
  });

  it('transposing h and w moves the field with them: a (1,1,5) kernel after the swap widens the input h axis (r 3 + 4 = 7), not w', () => {
    const r = analyze(
      net([1, 1, 4, 16, 16], { op: 'conv3d', outChannels: 1, kernelSize: [1, 3, 1] }, { op: 'transpose', perm: [0, 1, 2, 4, 3] }, { op: 'conv3d', outChannels: 1, kernelSize: [1, 1, 5] }),
    );
    expect(layer(r, 'l0').receptiveField).toMatchObject({ size: [1, 3, 1] });
    expect(layer(r, 'l2').receptiveField).toMatchObject({ axes: ['d', 'h', 'w'], size: [1, 7, 1], stride: [1, 1, 1] });
  });
});

describe('fields follow their own dims through linear and flatten, at any rank', () => {
  it("linear over the channels of an NHWC map keeps each position's field (ConvNeXt's block): conv 3×3, permute, linear, permute back, conv 3×3 → r 5", () => {
    const r = analyze(
      net([1, 3, 16, 16], { op: 'conv2d', outChannels: 4, kernelSize: 3 }, { op: 'transpose', perm: [0, 2, 3, 1] }, { op: 'linear', outFeatures: 8 }, { op: 'transpose', perm: [0, 3, 1, 2] }, { op: 'conv2d', outChannels: 4, kernelSize: 3 }),
    );
    expect(layer(r, 'l2').receptiveField).toMatchObject({ global: false, size: [3, 3] });
    expect(layer(r, 'l4').receptiveField).toMatchObject({ global: false, axes: ['h', 'w'], size: [5, 5], stride: [1, 1] });
  });

  it('linear over the width of an NCHW map, or over the length of an NCL map, mixes the axis: global', () => {
    expect(layer(analyze(net([1, 3, 8, 8], { op: 'linear', outFeatures: 8 })), 'l0').receptiveField).toMatchObject({ global: true, axes: ['h', 'w'], size: [8, 8] });
    expect(layer(analyze(net([1, 3, 8], { op: 'linear', outFeatures: 4 })), 'l0').receptiveField).toMatchObject({ global: true, axes: ['l'], size: [8] });
  });

  it('a 1-D field through unsqueeze(2) and a conv2d (1, 3) (audio nets written with 2-D convs): still [l], r 3 + 2 = 5', () => {
    const r = analyze(net([1, 2, 32], { op: 'conv1d', outChannels: 2, kernelSize: 3 }, { op: 'unsqueeze', axes: [2] }, { op: 'conv2d', outChannels: 2, kernelSize: [1, 3] }));
    expect(layer(r, 'l2').receptiveField).toEqual({ global: false, axes: ['l'], size: [5], stride: [1], padding: [0], centre: [2] });
  });

  it('flatten(0, 1) of [N, C, D, H, W] keeps the 3-D field on dims 1–3; flatten(1) makes it global', () => {
    const conv = { op: 'conv3d', outChannels: 2, kernelSize: 3 };
    const kept = analyze(net([2, 1, 6, 6, 6], conv, { op: 'flatten', startDim: 0, endDim: 1 }, { op: 'conv2d', outChannels: 1, kernelSize: 3 }));
    expect(layer(kept, 'l1').receptiveField).toMatchObject({ global: false, axes: ['d', 'h', 'w'], size: [3, 3, 3] });
    // the conv2d slides over dims 2, 3 of [4, 6, 4, 4]: the field's h and w (d sits on the channel dim: over-approximated as global)
    expect(layer(kept, 'l2').receptiveField).toMatchObject({ global: true, axes: ['d', 'h', 'w'] });
    expect(layer(analyze(net([2, 1, 6, 6, 6], conv, { op: 'flatten' })), 'l1').receptiveField).toMatchObject({ global: true, size: [6, 6, 6] });
  });
});

describe("torchvision's video ResNets (16 frames of 112×112)", () => {
  it('r3d_18 stem Conv3d (3,7,7) s=(1,2,2) p=(1,3,3): [3, 7, 7] at stride [1, 2, 2]', () => {
    expect(layer(analyze(r3d_18()), 'stem.0').receptiveField).toEqual({ global: false, axes: ['d', 'h', 'w'], size: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3], centre: [0, 0, 0] });
  });

  // h, w: stem 7 (j 2); layer1 4 convs k=3 +4 each → 23; layer2 conv s=2 +4 → 27 (j 4), 3 × +8 → 51;
  // layer3 +8 → 59 (j 8), 3 × +16 → 107; layer4 +16 → 123 (j 16), 3 × +32 → 219.
  // d: stem 3 (j 1); layer1 4 × +2 → 11; layer2 +2 → 13 (j 2), 3 × +4 → 25; layer3 +4 → 29 (j 4),
  // 3 × +8 → 53; layer4 +8 → 61 (j 8), 3 × +16 → 109. Every window is centred: centre 0, P = (r − 1)/2.
  const FINAL = { global: false, axes: ['d', 'h', 'w'], size: [109, 219, 219], stride: [8, 16, 16], padding: [54, 109, 109], centre: [0, 0, 0] };

  it('r3d_18: the map global pooling reads has the field [109, 219, 219], stride [8, 16, 16]; then global over the 16×112×112 input', () => {
    const r = analyze(r3d_18());
    expect(beforeGlobalPool(r).receptiveField).toEqual(FINAL);
    expect(r.outputs[0].receptiveField).toEqual({ global: true, axes: ['d', 'h', 'w'], size: [16, 112, 112], stride: null, padding: null, centre: null });
    // residual paths (1×1×1 downsample) are aligned; the field is wider than the input
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS')).toEqual([]);
    const over = r.warnings.find((w) => w.code === 'RECEPTIVE_FIELD_EXCEEDS_INPUT');
    expect(over?.message).toContain('109×219×219, wider than the 16×112×112 input');
    // the r = k·2^n resolution check is of 2-D maps: none for a 3-D network (README "Receptive fields")
    expect(r.structure.resolution).toBeNull();
  });

  it('r2plus1d_18: (1,3,3) then (3,1,1) per conv adds the same per axis as 3×3×3: the same totals as r3d_18', () => {
    const r = analyze(r2plus1d_18());
    // stem (1,7,7) s=(1,2,2) then (3,1,1): [3, 7, 7] at [1, 2, 2]
    expect(layer(r, 'stem.3').receptiveField).toMatchObject({ size: [3, 7, 7], stride: [1, 2, 2] });
    expect(beforeGlobalPool(r).receptiveField).toEqual(FINAL);
  });

  it('mc3_18: layers 2–4 are (1,3,3) with no temporal stride, so d stops growing after layer1 (r 11, stride 1); h, w as r3d_18', () => {
    const r = analyze(mc3_18());
    expect(beforeGlobalPool(r).receptiveField).toEqual({ ...FINAL, size: [11, 219, 219], stride: [1, 16, 16], padding: [5, 109, 109] });
  });

  it('golden: the torch.onnx.export of r3d_18 (opset 17) gives the same final field, before GlobalAveragePool', () => {
    const graph = importOnnx(readFileSync(new URL('../fixtures/onnx-nd/r3d_18_op17.onnx', import.meta.url)), { inputShapes: {} }).graph;
    const r = analyzeGraph(graph, DEFAULTS);
    expect(layer(r, '/avgpool/GlobalAveragePool').receptiveField).toMatchObject({ global: true, axes: ['d', 'h', 'w'], size: [16, 112, 112] });
    expect(beforeGlobalPool(r).receptiveField).toEqual(FINAL);
  });
});

describe('the effective receptive field of a clip', () => {
  it('a Conv3d net over [1, 3, 8, 16, 16] (k [3, 7, 7], s [1, 2, 2], p [1, 3, 3]): computed (it was unavailable: an image input [N, C, H, W] needed); the centre unit t = 4 sees frames 3…5, a 7×7 field', () => {
    const erf = reportErfSync({ kind: 'spec', spec: net([1, 3, 8, 16, 16], { op: 'conv3d', outChannels: 4, kernelSize: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3] }) });
    if ('unavailable' in erf) throw new Error(erf.unavailable);
    expect(erf.temporal?.theoretical).toEqual({ global: false, size: 3, from: 3, to: 5 });
    expect(erf.stats.theoretical.size).toEqual([7, 7]);
  });
});

describe('renderings name the axes; 2-D ones unchanged', () => {
  it('Markdown/text cell: 2-D 7×7/2×2, 1-D 29/8 (l), 3-D 3×7×7/1×2×2 (d×h×w)', () => {
    expect(fieldCell({ global: false, axes: ['h', 'w'], size: [7, 7], stride: [2, 2], padding: [3, 3], centre: [0, 0] })).toBe('7×7/2×2');
    expect(fieldCell({ global: false, axes: ['l'], size: [29], stride: [8], padding: [14], centre: [0] })).toBe('29/8 (l)');
    expect(fieldCell({ global: false, axes: ['d', 'h', 'w'], size: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3], centre: [0, 0, 0] })).toBe('3×7×7/1×2×2 (d×h×w)');
  });

  it('CLI table: a 3-D net heads its column "RF size/stride (axes)" and prints 3×7×7/1×2×2 (d×h×w); a 2-D one keeps "RF h×w/stride h×w"', () => {
    const video = table(analyze(net([1, 3, 8, 32, 32], { op: 'conv3d', outChannels: 4, kernelSize: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3] })));
    expect(video).toContain('RF size/stride (axes)');
    expect(video).toContain('3×7×7/1×2×2 (d×h×w)');
    const image = table(analyze(net([1, 3, 32, 32], { op: 'conv2d', outChannels: 4, kernelSize: 7, stride: 2, padding: 3 })));
    expect(image).toContain('RF h×w/stride h×w');
    expect(image).toContain('7×7/2×2');
  });

  it('HTML chart: a 3-D net draws h (solid), w only where it differs, and d; a 1-D net draws l against the input length', () => {
    const video = receptiveFieldChart(analyze(net([1, 3, 8, 32, 32], { op: 'conv3d', outChannels: 4, kernelSize: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3] })));
    expect(video.svg).toContain('class="rf-h');
    expect(video.svg).toContain('class="rf-d');
    expect(video.svg).not.toContain('class="rf-w');
    expect(video.svg).toContain('local field, d');
    expect(video.note).toContain('against the input (8×32×32, d×h×w)');
    expect(video.svg).toContain('field 3×7×7, stride 1×2×2 (d×h×w)');
    const audio = receptiveFieldChart(analyze(net([1, 1, 64], { op: 'conv1d', outChannels: 1, kernelSize: 5, stride: 2 })));
    expect(audio.svg).toContain('local field, l');
    expect(audio.note).toContain('against the input (64, l)');
  });

  it('CSV: a 3-D report keeps rf_h, rf_w for h and w and adds rf_d, rf_stride_d; a 1-D one adds rf_l, rf_stride_l', () => {
    const rows = (csv: string) => csv.split('\n').map((l) => l.split(','));
    const video = rows(reportCsv(analyze(net([1, 3, 8, 32, 32], { op: 'conv3d', outChannels: 4, kernelSize: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3] }))));
    const col = (t: string[][], name: string) => t[0].indexOf(name);
    expect(video[0].slice(7)).toEqual(['rf_h', 'rf_w', 'rf_stride_h', 'rf_stride_w', 'rf_global', 'rf_d', 'rf_stride_d']);
    expect(['rf_h', 'rf_w', 'rf_stride_h', 'rf_d', 'rf_stride_d', 'rf_global'].map((c) => video[1][col(video, c)])).toEqual(['7', '7', '2', '3', '1', 'false']);
    const audio = rows(reportCsv(analyze(net([1, 1, 64], { op: 'conv1d', outChannels: 1, kernelSize: 5, stride: 2 }))));
    expect(audio[0].slice(12)).toEqual(['rf_l', 'rf_stride_l']);
    expect([audio[1][col(audio, 'rf_h')], audio[1][col(audio, 'rf_l')], audio[1][col(audio, 'rf_stride_l')]]).toEqual(['', '5', '2']);
  });
});

describe('softmax along a spatial axis mixes the whole of it', () => {
  it('softmax over dim 1 of [1, 4, 3, 3] passes the field; over dim 3 (w) it is global', () => {
    const conv = { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 };
    expect(layer(analyze(net([1, 4, 3, 3], conv, { op: 'softmax', dim: 1 })), 'l1').receptiveField).toMatchObject({ global: false, size: [3, 3] });
    expect(layer(analyze(net([1, 4, 3, 3], conv, { op: 'softmax', dim: -1 })), 'l1').receptiveField).toMatchObject({ global: true, size: [3, 3] });
  });
});

describe('a token sequence read as (N, C, L)', () => {
  it('multiHeadAttention over [1, 16, 32] tokens: every token reads every token, the field is global (not a local field along C)', () => {
    const r = analyze(net([1, 16, 32], { op: 'multiHeadAttention', numHeads: 4 }));
    expect(layer(r, 'l0').receptiveField).toEqual({ global: true, axes: ['l'], size: [32], stride: null, padding: null, centre: null });
  });
});

describe('merging 3-D paths', () => {
  it('a squeeze-excitation gate [N, C, 1, 1, 1] on a 3-D map is global context: the field after mul and a second conv3d k=3 is [5, 5, 5]', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 4, 8, 8, 8] }],
      layers: [
        { name: 'c1', op: 'conv3d', inputs: 'x', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'pool', op: 'adaptiveAvgPool3d', inputs: 'c1', outputSize: 1 },
        { name: 'fc', op: 'conv3d', inputs: 'pool', outChannels: 4, kernelSize: 1 },
        { name: 'gate', op: 'sigmoid', inputs: 'fc' },
        { name: 'scaled', op: 'mul', inputs: ['c1', 'gate'] },
        { name: 'c2', op: 'conv3d', inputs: 'scaled', outChannels: 4, kernelSize: 3, padding: 1 },
      ],
    });
    expect(layer(r, 'gate').receptiveField).toMatchObject({ global: true });
    expect(layer(r, 'c2').receptiveField).toEqual({ global: false, axes: ['d', 'h', 'w'], size: [5, 5, 5], stride: [1, 1, 1], padding: [2, 2, 2], centre: [0, 0, 0] });
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS')).toEqual([]);
  });

  it('add of a conv3d k=3 path and a k=(1,3,3) path: the larger per axis is kept, and their centres agree (no warning)', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 2, 6, 6, 6] }],
      layers: [
        { name: 'a', op: 'conv3d', inputs: 'x', outChannels: 2, kernelSize: 3, padding: 1 },
        { name: 'b', op: 'conv3d', inputs: 'x', outChannels: 2, kernelSize: [1, 3, 3], padding: [0, 1, 1] },
        { name: 's', op: 'add', inputs: ['a', 'b'] },
      ],
    });
    expect(layer(r, 's').receptiveField).toMatchObject({ size: [3, 3, 3], stride: [1, 1, 1] });
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS')).toEqual([]);
  });
});

describe('the ERF of a 4-D map that carries a 1-D field', () => {
  it("an N,C,L input unsqueezed beside an image: asking for that map is INVALID_OPTION (maps of the input's axes only), not a crash", async () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 8, 8] }, { name: 'a', shape: [1, 1, 8] }],
      layers: [
        { name: 'ua', op: 'unsqueeze', inputs: 'a', axes: [2] },
        { name: 's', op: 'add', inputs: ['x', 'ua'] },
      ],
    };
    const run = Object.assign(async <T>(task: ErfTask): Promise<T> => erfTask(task) as T, { parallel: 1 }) as ErfRunner;
    const inputs = { x: tensor([1, 1, 8, 8], new Float32Array(64).fill(1)), a: tensor([1, 1, 8], new Float32Array(8).fill(1)) };
    const job = { source: { kind: 'spec' as const, spec }, mode: 'given' as const, samples: 1, inputs, weights: {}, weightInit: 'seed' as const, seed: 0, stages: false, heatmap: false, maxElements: 1 << 20 };
    const err = await computeErf(run, { ...job, target: { layer: 'ua', channels: null, position: null } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_OPTION' });
    expect((err as Error).message).toContain("'ua' [1, 1, 1, 8] carries a receptive field over 1 axis, not an image's [h, w]");
  });
});
