import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { swin, swin_t } from '../../src/zoo/swin.js';
import type { SwinConfig } from '../../src/zoo/swin.js';
import { ZOO_BY_NAME } from '../../src/zoo/index.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { analyze, layer } from '../helpers.js';

interface Wire {
  shape: number[];
  data: number[];
}

// torchvision's published numbers (docs: swin_t 28,288,354 params, 4.49 GFLOPS) and what PyTorch
// 1.13 itself counts: scripts/torchvision_truth.py (conv + F.linear + the attention's q·kᵀ and
// attn·v products on ATen) measures 4,490,566,656 MACs at 224 (test/fixtures/torchvision/truth.json).
describe('swin_t as a spec', () => {
  const r = analyze(swin_t());

  it('28,288,354 params, 4,490,566,656 MACs (4.49 G, as torchvision publishes), logits [1, 1000]', () => {
    expect(ZOO_BY_NAME.get('swin_t')!.torchvision).toEqual({ params: 28_288_354, gmacs: 4.49 });
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBe(28_288_354);
    expect(r.totals.macs).toBe(4_490_566_656);
    expect(r.outputs[0].shape).toEqual([1, 1000]);
    // relative_position_index, 7²·7² per block, 12 blocks: PyTorch's 28,812 buffer elements
    expect(r.totals.buffers).toBe(12 * 49 * 49);
  });

  it('stages at 56, 28, 14 and 7 with 96, 192, 384, 768 channels, channels-last; PatchMerging concatenates 4C and reduces to 2C', () => {
    expect(layer(r, 'features.0.2').outputShape).toEqual([1, 56, 56, 96]);
    expect(layer(r, 'features.2.cat').outputShape).toEqual([1, 28, 28, 384]);
    expect(layer(r, 'features.2.reduction').outputShape).toEqual([1, 28, 28, 192]);
    expect(layer(r, 'features.7.1.add_2').outputShape).toEqual([1, 7, 7, 768]);
    // PatchMerging's reduction: 4C·2C, no bias
    expect(layer(r, 'features.2.reduction').params).toBe(384 * 192);
  });

  it('the attention MACs by hand: tokens·(4C² + 2·49·C) per block; stage 3 (14×14, 4 windows) shifts by 3 and masks, stage 4 (one 7×7 window) drops its shift', () => {
    expect(layer(r, 'features.1.0.attn').macs).toBe(3136 * (4 * 96 * 96 + 2 * 49 * 96));
    expect(layer(r, 'features.5.0.attn').macs).toBe(196 * (4 * 384 * 384 + 2 * 49 * 384));
    const ew = (n: string) => layer(r, n).flopsByConvention.exact - layer(r, 'features.5.0.attn').flopsByConvention.exact;
    // the shift mask adds one op per score: S·h·T² = 4 windows · 12 heads · 49²
    expect(ew('features.5.1.attn')).toBe(4 * 12 * 49 * 49);
    const last = (n: string) => layer(r, n).flopsByConvention.exact;
    expect(last('features.7.1.attn')).toBe(last('features.7.0.attn'));
  });

  it('at 200 px (maps 50, 25, 13, 7: windows padded, odd maps padded before merging): PyTorch counts 4,089,283,584 MACs, params unchanged', () => {
    const s = analyze(swin_t(200));
    expect(s.totals.params).toBe(28_288_354);
    expect(s.totals.macs).toBe(4_089_283_584);
    expect(layer(s, 'features.4.pad').outputShape).toEqual([1, 26, 26, 192]);
    expect(layer(s, 'features.5.0.attn').outputShape).toEqual([1, 13, 13, 384]);
    expect(s.outputs[0].shape).toEqual([1, 1000]);
  });
});

describe('a small Swin spec runs to PyTorch\'s logits (scripts/goldens_swin_network.py)', () => {
  it('embed 8, depths [2, 2], heads [1, 2], window 4 at 40 px (padded windows, shift 2 and its mask in both stages, PatchMerging): ≤ 1e-4 of the logits\' scale', () => {
    const g = JSON.parse(readFileSync(new URL('../fixtures/networks/swin_spec_tiny.json', import.meta.url), 'utf8')) as {
      config: SwinConfig;
      resolution: number;
      numClasses: number;
      input: Wire;
      output: Wire;
      weights: Record<string, Wire>;
    };
    const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));
    const weights: Record<string, Tensor> = Object.fromEntries(Object.entries(g.weights).map(([k, w]) => [k, t(w)]));
    const spec = swin('swin_spec_tiny', g.config, g.resolution, g.numClasses);
    const res = runGraph(parseNetworkSpec(spec), { input: t(g.input) }, { training: false, seed: 0, weightInit: 'seed', weights, capture: [], maxElements: 1 << 22 });
    const y = res.outputs.head;
    expect(y.shape).toEqual(g.output.shape);
    const scale = Math.max(...g.output.data.map(Math.abs));
    const err = Math.max(...g.output.data.map((v, i) => Math.abs(v - y.data[i])));
    expect(err).toBeLessThanOrEqual(1e-4 * scale);
  });
});
