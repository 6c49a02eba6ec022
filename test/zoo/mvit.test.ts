/**
 * mvit_v1_b and mvit_v2_s (src/zoo/mvit.ts) against PyTorch: totals as torch 1.13 counts them on ATen
 * (scripts/torchvision_truth.py; the ONNX catalog's too), shapes by hand, torchvision's state_dict
 * binding as is, and reduced networks running to torchvision's logits (scripts/goldens_mvit_network.py).
 */
import { describe, expect, it } from 'vitest';
import { mvit, mvit_v1_b, mvit_v2_s } from '../../src/zoo/mvit.js';
import type { MvitConfig } from '../../src/zoo/mvit.js';
import { ZOO_BY_NAME } from '../../src/zoo/index.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { runtimeWeights } from '../../src/graph/given-weights.js';
import { runGraph } from '../../src/runtime/execute.js';
import { readNetworkGolden, logitsError } from './network-golden.js';
import { analyze, errorOf, layer } from '../helpers.js';

// torch 1.13 / torchvision 0.14 at 1×3×16×224×224, measured for this test: num_params 36,610,672 and
// 34,537,744 (the weights' meta); MACs on ATen 70,599,407,808 and 64,223,815,872 (the module hooks alone
// see 56,169,555,456 and 49,499,530,752: the attention's matmuls and einsums are no modules); no buffers
describe('mvit_v1_b and mvit_v2_s as specs', () => {
  it.each([
    ['mvit_v1_b', 36_610_672, 70_599_407_808, 70.6, mvit_v1_b],
    ['mvit_v2_s', 34_537_744, 64_223_815_872, 64.22, mvit_v2_s],
  ] as const)('%s: %i params, %i MACs as PyTorch counts them (%s G published), logits [1, 400], no buffers', (name, params, macs, gmacs, build) => {
    expect(ZOO_BY_NAME.get(name)!.torchvision).toEqual({ params, gmacs });
    const r = analyze(build());
    expect(r.totals.complete).toBe(true);
    expect([r.totals.params, r.totals.macs, r.totals.buffers]).toEqual([params, macs, 0]);
    expect(r.inputs[0].shape).toEqual([1, 3, 16, 224, 224]);
    expect(r.outputs[0].shape).toEqual([1, 400]);
  });

  it('v1 by hand: 8×56×56 grid tokens after conv_proj, the class token first; q pooled by 2 at blocks 1, 3, 14 (56 → 28 → 14 → 7); pool_skip on the skip path there', () => {
    const r = analyze(mvit_v1_b());
    expect(layer(r, 'conv_proj').outputShape).toEqual([1, 96, 8, 56, 56]);
    expect(layer(r, 'pos_encoding').outputShape).toEqual([1, 1 + 8 * 56 * 56, 96]);
    // class_token 96 + spatial 3136·96 + temporal 8·96 + class_pos 96
    expect(layer(r, 'pos_encoding').params).toBe(96 + 3136 * 96 + 8 * 96 + 96);
    expect(layer(r, 'blocks.0.attn').outputShape).toEqual([1, 25_089, 96]);
    expect(layer(r, 'blocks.0.project').outputShape).toEqual([1, 25_089, 192]);
    expect(layer(r, 'blocks.1.attn').outputShape).toEqual([1, 1 + 8 * 28 * 28, 192]);
    expect(layer(r, 'blocks.1.pool_skip.pool').outputShape).toEqual([1, 192, 8, 28, 28]);
    expect(layer(r, 'blocks.15.residual_mlp').outputShape).toEqual([1, 1 + 8 * 7 * 7, 768]);
    // block 0's attention by hand: qkv 25,089·96·288, k and v pooled by 3×3×3 stride 1×8×8 to 8×7×7, scores
    // and attn·v 25,089·393·96 each (1 head of 96), project 25,089·96²
    expect(layer(r, 'blocks.0.attn').macs).toBe(25_089 * 96 * 288 + 96 * 2 * 392 * 27 + 2 * 25_089 * 393 * 96 + 25_089 * 96 * 96);
  });

  it('v2 by hand: the class token alone in pos_encoding; the projection reads norm1 where the width changes; relative tables 2·56 − 1 rows at block 0', () => {
    const r = analyze(mvit_v2_s());
    expect(layer(r, 'pos_encoding').params).toBe(96);
    expect(layer(r, 'blocks.1.project').outputShape).toEqual([1, 25_089, 192]);
    expect(r.layers.find((l) => l.name === 'blocks.0.project')).toBeUndefined();
    // qkv 3·96² + 288, project 96² + 96, three pools 96·27 + 2·96 each, rel_pos_h and _w 111 × 96, rel_pos_t 15 × 96
    expect(layer(r, 'blocks.0.attn').params).toBe(3 * 96 * 96 + 288 + 96 * 96 + 96 + 3 * (96 * 27 + 192) + (111 + 111 + 15) * 96);
  });

  it.each([[200], [[224, 240] as [number, number]]])("%j: INVALID_OPTION, a size whose grids torchvision's tables do not fit", (res) => {
    const e = errorOf(() => mvit_v1_b(res));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/sizes its tables by the clip divided by the strides/);
  });

  it('at 256 (grids 64, 32, 16, 8) the spec builds and analyses', () => {
    expect(analyze(mvit_v2_s(256)).outputs[0].shape).toEqual([1, 400]);
  });
});

describe("reduced MViTs run to PyTorch's logits from torchvision's own state_dict (scripts/goldens_mvit_network.py)", () => {
  it.each(['mvit_v1_tiny', 'mvit_v2_tiny'])('%s (1×3×4×32×32, 3 blocks): every key binds, logits ≤ 1e-4 of their scale', (name) => {
    const g = readNetworkGolden<MvitConfig & { frames: number }>(`${name}.json`);
    const graph = parseNetworkSpec(mvit(name, g.config, g.resolution, g.config.frames, g.numClasses));
    const weights = runtimeWeights(graph, inferGraph(graph).analysed, g.given);
    expect(Object.keys(weights)).toHaveLength(Object.keys(g.given).length);
    const res = runGraph(graph, { input: g.input }, { training: false, seed: 0, weightInit: 'seed', weights, capture: [], maxElements: 1 << 22 });
    const y = res.outputs['head.1'];
    expect(y.shape).toEqual(g.output.shape);
    expect(logitsError(g.output, y)).toBeLessThanOrEqual(1e-4);
  });
});
