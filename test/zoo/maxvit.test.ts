import { describe, expect, it } from 'vitest';
import { maxvit, maxvit_t } from '../../src/zoo/maxvit.js';
import type { MaxVitConfig } from '../../src/zoo/maxvit.js';
import { ZOO_BY_NAME } from '../../src/zoo/index.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { runtimeWeights } from '../../src/graph/given-weights.js';
import { runGraph } from '../../src/runtime/execute.js';
import { readNetworkGolden, logitsError } from './network-golden.js';
import { analyze, errorOf, layer } from '../helpers.js';

// torchvision's published numbers (MaxVit_T_Weights: 30,919,624 params, 5.56 GFLOPS) and what PyTorch
// 1.13 itself counts: scripts/torchvision_truth.py (conv + linear + the attention's two einsums, all on
// ATen) measures 5,558,046,720 MACs at 224, as scripts/export_catalog.py does (test/fixtures/catalog/truth.json)
describe('maxvit_t as a spec', () => {
  const r = analyze(maxvit_t());
  const p = (block: number, layer_: number, part: string) => `blocks.${block}.layers.${layer_}.layers.${part}`;

  it('30,919,624 params, 5,558,046,720 MACs (5.56 G, as torchvision publishes), logits [1, 1000]', () => {
    expect(ZOO_BY_NAME.get('maxvit_t')!.torchvision).toEqual({ params: 30_919_624, gmacs: 5.56 });
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBe(30_919_624);
    expect(r.totals.macs).toBe(5_558_046_720);
    expect(r.outputs[0].shape).toEqual([1, 1000]);
    // BN running statistics and num_batches_tracked, and 22 relative_position_index buffers of 49·49: PyTorch's 100,472 buffer elements
    expect(r.totals.buffers).toBe(100_472);
  });

  it('at 448 (block maps 112, 56, 28, 14: maxvit_t(input_size=(448, 448))): PyTorch counts 22,224,506,880 MACs on ATen, params unchanged', () => {
    const s = analyze(maxvit_t(448));
    expect([s.totals.params, s.totals.macs]).toEqual([30_919_624, 22_224_506_880]);
    expect(layer(s, 'blocks.0.layers.0.layers.grid_attention.partition_swap').outputShape).toEqual([1, 256, 49, 64]);
  });

  it("partitions as PyTorch's [N, G, P², C]: 64 windows of 49 at 56×56; the grid's 49 positions 8 apart in 64 partitions; one partition at 7×7", () => {
    expect(layer(r, `${p(0, 0, 'window_attention')}.partition_op`).outputShape).toEqual([1, 64, 49, 64]);
    // WindowPartition with p = 56/7 = 8: 49 windows of 8×8, then axes −2 and −3 swapped
    expect(layer(r, `${p(0, 0, 'grid_attention')}.partition_op`).outputShape).toEqual([1, 49, 64, 64]);
    expect(layer(r, `${p(0, 0, 'grid_attention')}.partition_swap`).outputShape).toEqual([1, 64, 49, 64]);
    expect(layer(r, `${p(3, 1, 'grid_attention')}.attn_layer.1.to_qkv`).outputShape).toEqual([1, 1, 49, 1536]);
    expect(layer(r, `${p(2, 4, 'grid_attention')}.departition_op`).outputShape).toEqual([1, 256, 14, 14]);
  });

  it('attention by hand: each einsum tokens·T·C MACs (3136·49·64 in block 0), the bias table (2·7 − 1)²·heads params, the index a [49, 49] buffer', () => {
    const a = `${p(0, 1, 'window_attention')}.attn_layer.1`;
    expect(layer(r, `${a}.dot_prod`).macs).toBe(3136 * 49 * 64);
    expect(layer(r, `${a}.out`).macs).toBe(3136 * 49 * 64);
    expect(layer(r, `${a}.to_qkv`).macs).toBe(3136 * 64 * 192);
    expect(layer(r, a).params).toBe(169 * 2);
    expect(layer(r, `${p(3, 0, 'grid_attention')}.attn_layer.1`).params).toBe(169 * 16);
    expect(layer(r, a).macs).toBe(0);
  });

  it("MBConv: the first layer of a block strides its depthwise 3×3 and its shortcut (3×3 average pool, stride 2, then a 1×1 conv); SE squeezes to out/4", () => {
    const m = p(1, 0, 'MBconv');
    expect(layer(r, `${m}.proj.0`).outputShape).toEqual([1, 64, 28, 28]);
    expect(layer(r, `${m}.proj.1`).outputShape).toEqual([1, 128, 28, 28]);
    expect(layer(r, `${m}.layers.conv_b.0`).outputShape).toEqual([1, 512, 28, 28]);
    expect(layer(r, `${m}.layers.squeeze_excitation.fc1`).outputShape).toEqual([1, 32, 1, 1]);
    expect(r.layers.some((l) => l.name.startsWith(`${p(1, 1, 'MBconv')}.proj`))).toBe(false);
  });

  it.each([[225], [256], [[224, 448] as [number, number]]])("%j: INVALID_OPTION, a size torchvision's MaxVit does not run", (res) => {
    const e = errorOf(() => maxvit_t(res));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/square image whose block maps .* are multiples of its partition size \(7\)/);
  });
});

describe("a reduced MaxViT runs to PyTorch's logits from torchvision's own state_dict (scripts/goldens_maxvit.py)", () => {
  it('stem 8, blocks of 8 and 16 channels (2 and 1 layers), head_dim 4, partition 7 at 56 px: every key binds, logits ≤ 1e-4 of their scale', () => {
    const g = readNetworkGolden<MaxVitConfig>('maxvit_tiny.json');
    const graph = parseNetworkSpec(maxvit('maxvit_tiny', g.config, g.resolution, g.numClasses));
    const given = g.given;
    const weights = runtimeWeights(graph, inferGraph(graph).analysed, given);
    // every state_dict entry names a weight (num_batches_tracked too)
    expect(Object.keys(weights)).toHaveLength(Object.keys(given).length);
    const res = runGraph(graph, { input: g.input }, { training: false, seed: 0, weightInit: 'seed', weights, capture: [], maxElements: 1 << 22 });
    const y = res.outputs['classifier.5'];
    expect(y.shape).toEqual(g.output.shape);
    expect(logitsError(g.output, y)).toBeLessThanOrEqual(1e-4);
  });
});

// found by a hunt: the windows and grids come back N, C, H, W by a reshape, which left their global
// field's dims as on the partition view ([2, 4]); structure's check for a further downsampled map
// with a global field read its size as 0 and judged the 56×56 map before the first attention:
// "any multiple of 4", where torchvision's maxvit_t runs only 221 to 224 px (and 445 to 448 …)
describe("maxvit_t's structure: no resolution check (its attention mixes the maps past the first local one)", () => {
  it('structure.resolution is null at 224, as at 448', () => {
    expect(analyze(maxvit_t()).structure.resolution).toBeNull();
    expect(analyze(maxvit_t(448)).structure.resolution).toBeNull();
  });
});
