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

  // torch 1.13 / torchvision 0.14, mvit_v2_s's blocks in MViT(spatial_size=(H, W), temporal_size=16) on
  // 1×3×16×H×W, params and MACs on ATen (scripts/torchvision_truth.py's measure), measured for this test.
  // Each block's relative tables are sized by torchvision's input_size (⌊S/4⌋, then ⌊·/2⌋ at each q
  // stride) and interpolated at forward to the pools' grids (an odd side pools to ⌈S/2⌉)
  it.each([
    [64, 40, 34_459_024, 3_107_721_408],
    [40, 64, 34_459_024, 3_107_721_408],
    [32, 32, 34_443_280, 1_052_854_464],
    [8, 32, 34_443_280, 529_152_192],
    [36, 36, 34_443_664, 2_319_026_880],
    [40, 40, 34_444_816, 2_355_010_752],
    [44, 44, 34_445_200, 2_493_792_960],
    [52, 52, 34_451_344, 3_880_794_816],
    [60, 60, 34_452_880, 4_124_493_504],
    [200, 200, 34_523_536, 54_206_730_432],
    [224, 240, 34_545_424, 70_968_201_408],
  ])('mvit_v2_s at %i×%i: %i params, %i MACs as PyTorch builds and counts it, logits [1, 400]', (h, w, params, macs) => {
    const r = analyze(mvit_v2_s([h, w]));
    expect([r.totals.params, r.totals.macs]).toEqual([params, macs]);
    expect(r.outputs[0].shape).toEqual([1, 400]);
  });

  it('mvit_v2_s at 36 (grid 9 → 5 → 3 → 2; torchvision\'s input_size 9 → 4 → 2 → 1): blocks.1\'s tables 2·max(⌊9/2⌋, ⌊9/4⌋) − 1 = 7 rows, blocks.15\'s 2·1 − 1 = 1 (interpolated to 3 at forward)', () => {
    const r = analyze(mvit_v2_s(36));
    expect(layer(r, 'blocks.1.attn').outputShape).toEqual([1, 1 + 8 * 5 * 5, 192]);
    // params − qkv (3D·C + 3D) − project.0 (D² + D) − three pools (d·27 + 2d) = (2·rows_hw + rows_t)·d
    const rows = (name: string, c: number, dim: number, d: number) => (layer(r, name).params - (3 * dim * c + 3 * dim + dim * dim + dim + 3 * (d * 27 + 2 * d))) / d;
    expect(rows('blocks.1.attn', 96, 192, 96)).toBe(2 * 7 + 15);
    expect(rows('blocks.15.attn', 768, 768, 96)).toBe(2 * 1 + 15);
  });

  // torch 1.13 fails building these: "Trying to create tensor with negative dimension -1: [-1, 96]"
  // (blocks.14/15: input_size ⌊7/2/2/2⌋ = 0 at 28); at 8 and 12 blocks.3's side 1 under strides 2 and 2
  it.each([
    [28, 'blocks.15.attn', '8×0×0'],
    [16, 'blocks.15.attn', '8×0×0'],
    [12, 'blocks.3.attn', '8×1×1'],
  ])('mvit_v2_s at %i: NON_POSITIVE_SIZE at %s, a relative table of −1 rows (relPosInputSize %s), where PyTorch fails', (res, name, sized) => {
    const e = errorOf(() => mvit_v2_s(res));
    expect([e.code, e.details.layer]).toEqual(['NON_POSITIVE_SIZE', name]);
    expect(e.message).toContain(`= -1 rows: relPosInputSize ${sized}`);
  });

  it('at 256 (grids 64, 32, 16, 8) the spec builds and analyses', () => {
    expect(analyze(mvit_v2_s(256)).outputs[0].shape).toEqual([1, 400]);
  });

  it.each([
    ['mvit_v1_b', 70_599_407_808, mvit_v1_b],
    ['mvit_v2_s', 64_223_815_872, mvit_v2_s],
  ] as const)('%s with its input edited to batch 2: pool_skip\'s reshapes keep the batch (it was SHAPE_MISMATCH: [2, 192, 25088] to [1, 192, 8, 56, 56]), twice the batch-1 MACs (%i), logits [2, 400]', (_, macs, build) => {
    const spec = build();
    const r = analyze({ ...spec, inputs: [{ ...spec.inputs[0], shape: [2, 3, 16, 224, 224] }] });
    expect([r.totals.complete, r.totals.macs, r.outputs[0].shape]).toEqual([true, 2 * macs, [2, 400]]);
  });
});

describe("reduced MViTs run to PyTorch's logits from torchvision's own state_dict (scripts/goldens_mvit_network.py)", () => {
  it.each([
    ['mvit_v1_tiny', '1×3×4×32×32'],
    ['mvit_v2_tiny', '1×3×4×32×32'],
    ['mvit_v1_odd', '1×3×4×24×20, grids 6×5 → 3×3 → 2×2'],
    ['mvit_v2_odd', '1×3×4×20×28, grids 5×7 → 3×4, relative tables sized from 5×7 → 2×3 and interpolated'],
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
