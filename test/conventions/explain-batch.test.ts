/**
 * explain at batch N > 1: zoo models whose spec input is given at batch 2 and 3 (the spec's own
 * [1, …] with N changed, as a user edits it), every layer's explained figure agreeing with the
 * report's at that batch, the work N times the batch-1 work layer by layer (parameters unchanged)
 * but where PyTorch computes a part once per forward whatever the batch, and every MAC formula
 * naming N with its value as the leading factor of its batch-bearing term.
 *
 * Once per forward (torchvision 0.14's code): Swin V2's continuous position bias —
 * `get_relative_position_bias` runs cpb_mlp over the [(2w−1)², 2] coordinate table, then 16·sigmoid,
 * and clamps and exponentiates the logit scale, with no batch axis — and MViT v1's position table,
 * `spatial_pos.repeat(T) + temporal_pos.repeat_interleave(H·W)` (T·H·W·C adds), added to every
 * sample after; the addition itself is per sample.
 */
import { describe, expect, it } from 'vitest';
import { explainReport } from '../../src/conventions/explain.js';
import type { LayerExplanation } from '../../src/conventions/explain.js';
import { ZOO_BY_NAME } from '../../src/zoo/index.js';
import { analysed } from './helpers.js';

const MODELS = ['resnet18', 'mobilenet_v3_small', 'efficientnet_b0', 'densenet121', 'convnext_tiny', 'vit_b_16', 'swin_t', 'swin_v2_t', 'maxvit_t', 'r3d_18', 'mvit_v1_b', 'mvit_v2_s', 'lraspp_mobilenet_v3_large', 'yolov8n', 'unet'];

/** The zoo spec with every input's batch set to n, analysed and explained. */
function explainedAt(name: string, n: number) {
  const entry = ZOO_BY_NAME.get(name)!;
  const spec = structuredClone(entry.build(entry.resolution)) as { inputs: { shape: number[] }[] };
  for (const input of spec.inputs) input.shape = [n, ...input.shape.slice(1)];
  const input = analysed(spec);
  return { report: input.report, explanation: explainReport(input) };
}

/** The term of each family's MAC formula that carries the batch, its first factor N. */
const BATCH_TERM: Record<string, (n: number) => RegExp> = {
  conv: (n) => new RegExp(`= N ${n} · Cout `),
  convNd: (n) => new RegExp(`= N ${n} · Cout `),
  convTranspose: (n) => new RegExp(`= N ${n} · Cin `),
  convTransposeNd: (n) => new RegExp(`= N ${n} · Cin `),
  linear: (n) => new RegExp(`= rows ${n}[· ]`),
  matmul: (n) => new RegExp(`= batch ${n}[· ]`),
  // nn.MultiheadAttention a sequence a sample, Swin's shifted windows (the same family) N·windows
  attention: (n) => new RegExp(`= tokens N·(windows·)?T ${n}·`),
  windowAttentionV2: (n) => new RegExp(`= tokens N·windows·T ${n}·`),
  multiscaleAttention: (n) => new RegExp(`= N·L ${n}·`),
  // einsum: the labels' sizes in the equation's order, the batch label first
  einsum: (n) => new RegExp(`\\) ${n}·`),
};

/** Layers whose work is not N times the batch-1 work (the once-per-forward parts above), by family. */
const ONCE: Record<string, string[]> = { swin_v2_t: ['windowAttentionV2'], mvit_v1_b: ['positionEmbedding'] };

const figures = (l: LayerExplanation) => [l.macs.value, l.exactMacOps.value, l.biasOps.value, l.elementwise.value];

describe('explain at batch 2 and 3: every figure agrees, N times the batch-1 work, formulas naming N', () => {
  it.each(MODELS.map((m) => [m] as const))('%s', (name) => {
    const one = new Map(explainedAt(name, 1).explanation.layers.map((l) => [l.name, l]));
    for (const n of [2, 3]) {
      const { report, explanation: e } = explainedAt(name, n);
      expect({ n, disagreeing: e.layers.filter((l) => !l.agrees).map((l) => l.name) }).toEqual({ n, disagreeing: [] });
      expect(e.layers.map((l) => l.name)).toEqual(report.layers.filter((l) => l.supported).map((l) => l.name));
      expect(e.layers.map((l) => l.name)).toEqual([...one.keys()]);
      // the work: N times the batch-1 layer's, but the once-per-forward families; the parameters the same
      const notLinear = e.layers.filter((l) => figures(l).some((v, k) => v !== n * figures(one.get(l.name)!)[k]));
      expect({ n, families: [...new Set(notLinear.map((l) => l.family))] }).toEqual({ n, families: ONCE[name] ?? [] });
      expect(e.layers.filter((l) => l.params.value !== one.get(l.name)!.params.value)).toEqual([]);
      // every MAC formula names N with its value
      const withMacs = e.layers.filter((l) => l.macs.value > 0);
      expect(withMacs.filter((l) => !BATCH_TERM[l.family]).map((l) => l.family)).toEqual([]);
      expect(withMacs.filter((l) => !BATCH_TERM[l.family](n).test(l.macs.formula)).map((l) => l.macs.formula)).toEqual([]);
    }
  });

  it("swin_v2_t features.1.1.attn at batch 2: the windows' products twice, the position-bias MLP once: 2·4096·(4·96² + 2·64·96) + 15·15·512·(2 + 3) = 403,229,184 MACs", () => {
    const { report, explanation } = explainedAt('swin_v2_t', 2);
    // PyTorch (torch 1.13, torchvision 0.14 swin_v2_t at 256, export_catalog.count_macs on ATen, measured
    // for this test): 5,939,690,496 MACs at batch 1, 11,860,718,592 at batch 2, not twice: the MLP once
    expect(report.totals.macs).toBe(11_860_718_592);
    const e = explanation.layers.find((l) => l.name === 'features.1.1.attn')!;
    expect(e.macs.value).toBe(2 * 4096 * (4 * 96 * 96 + 2 * 64 * 96) + 225 * 512 * 5);
    expect(e.macs.formula).toBe('403,229,184 = tokens N·windows·T 2·64·64 · (4 · C² 96·96 + 2 · T 64 · C 96) + R 15·15 · hidden 512 · (in 2 + h 3)');
    // element-wise by hand (explain.test.ts at batch 1): the per-token and per-score work twice, the
    // logit scale (2·3), the MLP's ReLU (225·512) and 16·sigmoid (5·225·3) once
    expect(e.elementwise.value).toBe(2 * (2 * 4096 * 294 + 8 * 64 * 3 * 4096) + 6 + 225 * 512 + 5 * 225 * 3);
    expect(e.agrees).toBe(true);
  });

  it('mvit_v1_b pos_encoding at batch 2 (8×56×56 grid + class token, C 96): the table summed once, 8·56·56·96 = 2,408,448 adds, added to both samples, 2·(1 + 8·56·56)·96', () => {
    const e = explainedAt('mvit_v1_b', 2).explanation.layers.find((l) => l.family === 'positionEmbedding')!;
    expect(e.elementwise.value).toBe(8 * 56 * 56 * 96 + 2 * (1 + 8 * 56 * 56) * 96);
    expect(e.agrees).toBe(true);
  });

  it('ViT-B/16 at batch 3: the MLP linear over 3·197 rows, the attention over 3 sequences of 197 tokens', () => {
    const e = explainedAt('vit_b_16', 3).explanation.layers;
    const linear = e.find((l) => l.family === 'linear' && l.macs.formula.includes('out 3072'))!;
    expect(linear.macs.formula).toBe('1,394,343,936 = rows 3·197 · in 768 · out 3072');
    expect(linear.macs.value).toBe(3 * 197 * 768 * 3072);
    const attention = e.find((l) => l.family === 'attention')!;
    expect(attention.macs.formula).toBe('1,573,175,808 = tokens N·T 3·197 · (4 · C² 768·768 + 2 · T 197 · C 768)');
    expect(attention.macs.value).toBe(3 * 197 * (4 * 768 * 768 + 2 * 197 * 768));
  });
});
