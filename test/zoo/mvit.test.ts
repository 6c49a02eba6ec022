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

  // torch 1.13 / torchvision 0.14, MViT(spatial_size=(H, W), temporal_size=16) with mvit_v1_b's blocks on
  // 1×3×16×H×W (found by a hunt: the zoo refused every side that is not a multiple of 32). v1's only
  // tables are pos_encoding's, sized by the patch grid ⌊S/4⌋; the blocks carry the pools' own grids
  // (an odd side pools to ⌈S/2⌉), so PyTorch runs any side that is a multiple of 4
  it.each([
    [48, 48, 36_323_440, 2_838_076_608],
    [48, 40, 36_321_136, 2_704_435_392],
    [4, 4, 36_309_712, 326_631_360],
  ])('mvit_v1_b at %i×%i (grids that pool to odd sides): %i params, %i MACs, logits [1, 400], as PyTorch builds and runs it', (h, w, params, macs) => {
    const r = analyze(mvit_v1_b([h, w]));
    expect([r.totals.params, r.totals.macs]).toEqual([params, macs]);
    expect(r.outputs[0].shape).toEqual([1, 400]);
  });

  it('mvit_v1_b at 48: the grids pool 12 → 6 → 3 → 2 (⌈3/2⌉, the pool\'s own), pool_skip alike', () => {
    const r = analyze(mvit_v1_b(48));
    expect(layer(r, 'pos_encoding').outputShape).toEqual([1, 1 + 8 * 12 * 12, 96]);
    expect(layer(r, 'blocks.14.attn').outputShape).toEqual([1, 1 + 8 * 2 * 2, 768]);
    expect(layer(r, 'blocks.14.pool_skip.pool').outputShape).toEqual([1, 768, 8, 2, 2]);
  });

  // PyTorch: "The size of tensor a (513) must match the size of tensor b (393)": the position tables
  // (8×7×7 = 392 tokens + the class token) do not add to the conv's 8×8×8 grid
  it.each([[30], [[32, 30] as [number, number]]])('mvit_v1_b at %j: INVALID_OPTION, a side not a multiple of 4 (the patch grid ⌈S/4⌉ is not the tables\' ⌊S/4⌋)', (res) => {
    const e = errorOf(() => mvit_v1_b(res));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/position tables/);
  });

  // PyTorch builds mvit_v2_s at 36 (34,443,664 params, 2,319,026,880 MACs) with relative-position tables
  // sized by ⌊S/s⌋ and interpolated to the pools' grids at forward; multiscaleAttention sizes them by the
  // grid it reads, so the zoo builds v2 only where the two agree
  it.each([
    [64, 40, 34_459_024, 3_107_721_408],
    [40, 64, 34_459_024, 3_107_721_408],
  ])('mvit_v2_s at %i×%i: the larger side (16 → 8 → 4 → 2) sizes every table as torchvision does: %i params, %i MACs as PyTorch', (h, w, params, macs) => {
    const r = analyze(mvit_v2_s([h, w]));
    expect([r.totals.params, r.totals.macs]).toEqual([params, macs]);
    expect(r.outputs[0].shape).toEqual([1, 400]);
  });

  it.each([[36], [40], [200], [[224, 240] as [number, number]]])('mvit_v2_s at %j: INVALID_OPTION naming the relative-position tables it cannot size as torchvision does', (res) => {
    const e = errorOf(() => mvit_v2_s(res));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/relative-position tables/);
  });

  it('at 256 (grids 64, 32, 16, 8) the spec builds and analyses', () => {
    expect(analyze(mvit_v2_s(256)).outputs[0].shape).toEqual([1, 400]);
  });
});

describe("reduced MViTs run to PyTorch's logits from torchvision's own state_dict (scripts/goldens_mvit_network.py)", () => {
  it.each([
    ['mvit_v1_tiny', '1×3×4×32×32'],
    ['mvit_v2_tiny', '1×3×4×32×32'],
    ['mvit_v1_odd', '1×3×4×24×20, grids 6×5 → 3×3 → 2×2'],
  ])('%s (%s, 3 blocks): every key binds, logits ≤ 1e-4 of their scale', (name) => {
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
