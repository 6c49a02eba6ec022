import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { run } from './op-helpers.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { executedLayers } from '../../src/graph/walks.js';
import { runOperator } from '../../src/runtime/operator.js';
import { runPeak } from '../../src/runtime/run-memory.js';
import { tensor } from '../../src/tensor/tensor.js';

const mha = (attrs: Record<string, unknown>) => ({ op: 'multiHeadAttention', ...attrs });

describe('multiHeadAttention', () => {
  it('C=4, h=2 over a 2×2 map (4 tokens): params 4·C² + 4·C = 80; MACs QKV 4·12·4 + qkᵀ 2·4·4·2 + attn·v 2·4·4·2 + out 4·4·4 = 384', () => {
    const l = layer(analyze(net([1, 4, 2, 2], mha({ numHeads: 2 }))), 'l0');
    expect(l.params).toBe(4 * 16 + 4 * 4);
    expect(l.macs).toBe(192 + 64 + 64 + 64);
    expect(l.outputShape).toEqual([1, 4, 2, 2]);
    // exact: 4·12·(2·4 − 1) + 2·4·4·(2·2 − 1) + 2·4·2·(2·4 − 1) + 4·4·(2·4 − 1) = 336 + 96 + 112 + 112;
    // element-wise: q scaling 4·4 + softmax 5 per score (2 heads · 4 · 4) = 16 + 160
    expect(l.flopsByConvention.exact).toBe(336 + 96 + 112 + 112 + 16 + 160);
  });

  it('bias false drops the 4·C bias parameters: C=8 → 4·64 = 256', () => {
    expect(layer(analyze(net([1, 8, 3, 3], mha({ numHeads: 4, bias: false }))), 'l0').params).toBe(256);
  });

  it('ViT-B/16 encoder attention (197 tokens, C=768, h=12): 2,362,368 params and 197·(4·768² + 2·197·768) = 524,391,936 MACs', () => {
    const l = layer(analyze(net([1, 197, 768], mha({ numHeads: 12 }))), 'l0');
    // torchvision's vit_b_16 encoder_layer.self_attention: in_proj 3·768·768 + 3·768, out_proj 768·768 + 768
    expect(l.params).toBe(2_362_368);
    expect(l.macs).toBe(524_391_936);
  });

  it('equals the MACs of its pieces written as linear and matmul layers (2 images, C=6, h=3, 4×4 map)', () => {
    const whole = layer(analyze(net([2, 6, 4, 4], mha({ numHeads: 3 }))), 'l0').macs;
    const qkv = layer(analyze(net([2, 16, 6], { op: 'linear', outFeatures: 18 })), 'l0').macs;
    const out = layer(analyze(net([2, 16, 6], { op: 'linear', outFeatures: 6 })), 'l0').macs;
    const scores = analyze({
      name: 'qk',
      inputs: [{ name: 'q', shape: [2, 3, 16, 2] }, { name: 'kT', shape: [2, 3, 2, 16] }, { name: 'v', shape: [2, 3, 16, 2] }],
      layers: [
        { name: 's', op: 'matmul', inputs: ['q', 'kT'] },
        { name: 'a', op: 'matmul', inputs: ['s', 'v'] },
      ],
    });
    // a product of two activations counts batch·M·K·N MACs: 2·3 heads · 16·2·16
    expect(layer(scores, 's').macs).toBe(6 * 16 * 2 * 16);
    expect(whole).toBe(qkv + out + layer(scores, 's').macs + layer(scores, 'a').macs);
  });

  it('window [2, 2] on a 4×4 map: 4 windows of T=4 tokens, MACs 16·(4·C² + 2·4·C); the field is the 3×3 box centred on the unit that holds its 2×2 window (unit 0 reads 0 … 1, unit 1 reads 0 … 1: [u − 1, u + 1]), with a note', () => {
    const r = analyze(net([1, 8, 4, 4], { op: 'conv2d', outChannels: 8, kernelSize: 1 }, mha({ numHeads: 2, window: 2 })));
    const l = layer(r, 'l1');
    expect(l.macs).toBe(16 * (4 * 64 + 2 * 4 * 8));
    expect(l.receptiveField).toMatchObject({ global: false, size: [3, 3], stride: [1, 1], padding: [1, 1] });
    const note = r.warnings.find((w) => w.code === 'ATTENTION_RECEPTIVE_FIELD');
    expect(note).toMatchObject({ severity: 'info', layer: 'l1', window: [2, 2] });
  });

  it('global attention makes the receptive field global, with a note', () => {
    const r = analyze(net([1, 8, 6, 6], mha({ numHeads: 2 })));
    expect(layer(r, 'l0').receptiveField).toMatchObject({ global: true, size: [6, 6] });
    expect(r.warnings.find((w) => w.code === 'ATTENTION_RECEPTIVE_FIELD')).toMatchObject({ window: null });
  });

  it('numHeads that does not divide C, a window that does not tile the map, a wrong embedDim: 400s naming the attribute', () => {
    expect(errorOf(() => analyze(net([1, 6, 4, 4], mha({ numHeads: 4 })))).code).toBe('INVALID_ATTRIBUTE');
    const w = errorOf(() => analyze(net([1, 8, 5, 4], mha({ numHeads: 2, window: 2 }))));
    expect(w.code).toBe('INVALID_ATTRIBUTE');
    expect(w.message).toMatch(/window \[2, 2\] does not tile the 5×4 map/);
    expect(errorOf(() => analyze(net([1, 8, 4, 4], mha({ numHeads: 2, embedDim: 16 })))).code).toBe('CHANNEL_MISMATCH');
    expect(errorOf(() => analyze(net([1, 8], mha({ numHeads: 2 })))).code).toBe('RANK_MISMATCH');
  });

  it('by hand: one head, C=1, zero query/key weights → uniform attention: every output is W_o·mean(W_v·x) + b_o', () => {
    // W_in = [w_q; w_k; w_v] = [0; 0; 2], so scores are all 0 and softmax is uniform over the 3 tokens
    const y = run('multiHeadAttention', [[[1, 1, 1, 3], [1, 2, 6]]], { numHeads: 1 }, {
      inProjWeight: [[3, 1], [0, 0, 2]],
      inProjBias: [[3], [0, 0, 1]],
      outProjWeight: [[1, 1], [0.5]],
      outProjBias: [[1], [-1]],
    });
    // v = 2x + 1 = [3, 5, 13], mean 7; y = 0.5·7 − 1 = 2.5 at every position
    expect(y).toEqual([{ shape: [1, 1, 1, 3], data: [2.5, 2.5, 2.5] }]);
  });

  it('a ViT-style hybrid as a spec: 16×16 patchify conv, attention over the 4×4 tokens, pooled classifier — MACs by hand', () => {
    const r = analyze(
      net(
        [1, 3, 64, 64],
        { op: 'conv2d', outChannels: 32, kernelSize: 16, stride: 16 },
        mha({ numHeads: 4 }),
        { op: 'globalAvgPool2d' },
        { op: 'flatten' },
        { op: 'linear', outFeatures: 10 },
      ),
    );
    // conv 32·4·4·(3·16·16) + attention 16·(4·32² + 2·16·32) + linear 32·10
    expect(r.layers.map((l) => l.macs)).toEqual([393_216, 81_920, 0, 0, 320]);
    expect(r.totals.macs).toBe(393_216 + 81_920 + 320);
    expect(layer(r, 'l1').receptiveField).toMatchObject({ global: true, size: [64, 64] });
  });
});

describe("attention's score buffer is an intermediate: held to the tensor limit and in the run's peak (a 128 KiB input made a 1 GiB buffer, unasked)", () => {
  const call = (t: number, maxElements: number) =>
    runOperator({ name: 'multiHeadAttention', inputs: [tensor([1, t, 2], new Float32Array(2 * t).fill(0.5))], attributes: { numHeads: 1 }, weights: {}, training: false, seed: 0, maxElements });

  it('tokens [1, 1025, 2] at a 2^20 limit: the scores 1025 × 1025 = 1,050,625 > 2^20 → 413 TENSOR_TOO_LARGE naming them; 1024 tokens (2^20) run, equal inputs giving equal outputs', () => {
    const e = errorOf(() => call(1025, 1 << 20));
    expect([e.status, e.code]).toEqual([413, 'TENSOR_TOO_LARGE']);
    expect(e.details.shapes).toEqual({ intermediate: [1025, 1025] });
    expect(e.message).toContain("the scores of one sequence's head (1025 × 1025 tokens)");
    const y = call(1024, 1 << 20).outputs[0];
    expect(y.shape).toEqual([1, 1024, 2]);
    // every token the same: every output token the same
    for (let k = 0; k < 1024; k++) expect([y.data[2 * k], y.data[2 * k + 1]]).toEqual([y.data[0], y.data[1]]);
  });

  it("a run's peak at [1, 1024, 2] counts the 4 MiB of scores, the chunk (1024 × 6·2 floats, 48 KiB: tokens, q|k|v, heads' outputs, output projection), kᵀ (2 × 1024) and the 1024 token offsets: 4,255,744 bytes of intermediates", () => {
    const graph = parseNetworkSpec({ inputs: [{ name: 'x', shape: [1, 1024, 2] }], layers: [{ name: 'mha', op: 'multiHeadAttention', numHeads: 1 }] });
    const inference = inferGraph(graph);
    const peak = runPeak(graph, inference, { executed: executedLayers(graph), keep: new Set(), given: {} });
    // (1,048,576 + 12,288 + 2,048 + 1,024) floats × 4 bytes
    expect(peak.intermediates).toBe(4 * (1024 * 1024 + 1024 * 12 + 2 * 1024 + 1024));
  });

  it('shifted window attention adds each head\'s relative-position bias: 2 heads, 4×4 windows: 2 × 16 × 16 beside the 16 × 16 scores, the chunk of 64 tokens × 6·8 and kᵀ (8/2 × 16)', () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 8, 8, 8] }], layers: [{ name: 'w', op: 'shiftedWindowAttention', numHeads: 2, window: 4, shift: 2 }] };
    const inference = inferGraph(parseNetworkSpec(spec));
    expect(inference.analysed[0].inferred!.intermediates!.map((i) => i.shape)).toEqual([[16, 16], [64, 48], [4, 16], [2, 16, 16]]);
  });
});
