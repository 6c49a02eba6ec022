/**
 * Swin V2 (torchvision.models.swin_v2_t / s / b) as zoo specs. The totals against PyTorch's own
 * count for every model are test/zoo/torchvision-totals.test.ts (scripts/torchvision_truth.py: conv
 * + F.linear + the attention's matrix products on ATen, at 256); here the pieces by hand and a small
 * network run against torchvision's module with its state_dict as is.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { swin, swin_v2_t } from '../../src/zoo/swin.js';
import type { SwinConfig } from '../../src/zoo/swin.js';
import { ZOO_BY_NAME } from '../../src/zoo/index.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { runtimeWeights } from '../../src/graph/given-weights.js';
import { runGraph } from '../../src/runtime/execute.js';
import { readNetworkGolden, logitsError } from './network-golden.js';
import { analyze, layer } from '../helpers.js';

const truth = JSON.parse(readFileSync(new URL('../fixtures/torchvision/truth.json', import.meta.url), 'utf8')) as { models: Record<string, { params: number; macs: number }> };
const catalog = JSON.parse(readFileSync(new URL('../fixtures/catalog/truth.json', import.meta.url), 'utf8')) as { models: Record<string, { input: number[]; params: number; macs: number }> };

describe('swin_v2_t as a spec (256 px, window 8)', () => {
  const r = analyze(swin_v2_t());

  it("28,351,570 params and 5,939,690,496 MACs, PyTorch's (5.94 G, as torchvision publishes: 5.92 G without the position-bias MLPs); logits [1, 1000]", () => {
    expect(ZOO_BY_NAME.get('swin_v2_t')).toMatchObject({ resolution: 256, torchvision: { params: 28_351_570, gmacs: 5.94 } });
    expect(truth.models.swin_v2_t).toMatchObject({ params: 28_351_570, macs: 5_939_690_496 });
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBe(28_351_570);
    expect(r.totals.macs).toBe(5_939_690_496);
    expect(r.outputs[0].shape).toEqual([1, 1000]);
    // relative_coords_table 15·15·2 and relative_position_index 64² per block, 12 blocks
    expect(r.totals.buffers).toBe(12 * (15 * 15 * 2 + 64 * 64));
  });

  it('the attention by hand: tokens·(4C² + 2·64·C) + 225·512·(2 + h), the CPB MLP once per block; params 4C² + 4C + h + 1536 + 512h', () => {
    expect(layer(r, 'features.1.0.attn')).toMatchObject({ op: 'shiftedWindowAttentionV2', macs: 4096 * (4 * 96 * 96 + 2 * 64 * 96) + 225 * 512 * 5 });
    expect(layer(r, 'features.1.0.attn').params).toBe(4 * 96 * 96 + 4 * 96 + 3 + 1536 + 512 * 3);
    expect(layer(r, 'features.7.1.attn').macs).toBe(64 * (4 * 768 * 768 + 2 * 64 * 768) + 225 * 512 * 26);
  });

  it('res-post-norm blocks and PatchMergingV2 (reduction 4C → 2C, then LayerNorm(2C)): stages at 64, 32, 16 and 8', () => {
    expect(layer(r, 'features.0.2').outputShape).toEqual([1, 64, 64, 96]);
    expect(layer(r, 'features.2.reduction').outputShape).toEqual([1, 32, 32, 192]);
    expect(layer(r, 'features.2.norm')).toMatchObject({ outputShape: [1, 32, 32, 192], params: 2 * 192 });
    expect(layer(r, 'features.7.1.add_2').outputShape).toEqual([1, 8, 8, 768]);
    const names = r.layers.map((l) => l.name);
    const p = 'features.1.1.';
    expect([`${p}attn`, `${p}norm1`, `${p}add_1`, `${p}mlp.0`, `${p}mlp.3`, `${p}norm2`, `${p}add_2`].map((n) => names.indexOf(n))).toEqual(
      [0, 1, 2, 3, 5, 6, 7].map((k) => names.indexOf(`${p}attn`) + k),
    );
  });

  it('swin_v2_s and swin_v2_b: the params and MACs PyTorch counts at 256', () => {
    for (const name of ['swin_v2_s', 'swin_v2_b']) {
      const t = analyze(ZOO_BY_NAME.get(name)!.build()).totals;
      expect([name, t.params, t.macs]).toEqual([name, truth.models[name].params, truth.models[name].macs]);
    }
  });

  // the ONNX catalog's truth measured the three at 224 (scripts/export_catalog.py count_macs, ATen):
  // maps 56, 28, 14 and 7 padded to 64, 32, 16 and 8 for the 8×8 windows, the last stage one window
  it.each(['swin_v2_t', 'swin_v2_s', 'swin_v2_b'])('%s at 224: the params and MACs PyTorch counts in the ONNX catalog (windows padded)', (name) => {
    const t = catalog.models[name];
    expect(t.input).toEqual([1, 3, 224, 224]);
    const r = analyze(ZOO_BY_NAME.get(name)!.build(224)).totals;
    expect([r.params, r.macs]).toEqual([t.params, t.macs]);
  });
});

describe("a small Swin V2 spec runs to PyTorch's logits with torchvision's state_dict as is (scripts/goldens_swin_v2_network.py)", () => {
  it('embed 8, depths [2, 2], heads [1, 2], window 4 at 40 px (padded windows, shift 2 and its mask, PatchMergingV2): ≤ 1e-4 of the logits\' scale', () => {
    const g = readNetworkGolden<SwinConfig>('swin_v2_spec_tiny.json');
    const graph = parseNetworkSpec(swin('swin_v2_spec_tiny', g.config, g.resolution, g.numClasses));
    const given = g.given;
    const inference = inferGraph(graph);
    const weights = runtimeWeights(graph, inference.analysed, given);
    // every key binds (logit_scale, cpb_mlp.*, the two buffers too), none left to the seed
    const wanted = inference.analysed.flatMap((a) => (a.inferred?.weights ?? []).map((w) => `${a.layer.name}.${w.name}`));
    expect(Object.keys(weights).sort()).toEqual([...wanted].sort());
    const res = runGraph(graph, { input: g.input }, { training: false, seed: 0, weightInit: 'seed', weights, capture: [], maxElements: 1 << 22 }, inference);
    const y = res.outputs.head;
    expect(y.shape).toEqual(g.output.shape);
    expect(logitsError(g.output, y)).toBeLessThanOrEqual(1e-4);
  });
});
