/**
 * nn.MultiheadAttention's variants exported by torch.onnx (src/conventions/onnx-attention-variants.ts):
 * cross-attention (query from one tensor, key and value from another: the packed weight's q rows by
 * one MatMul, its k and v rows by another), kdim/vdim ≠ embed_dim (three MatMuls), key ≠ value,
 * add_bias_kv (a Concat of bias_k and bias_v after the projections), add_zero_attn (a Concat of zeros
 * to each head's k and v), batch_first False, batch 2 (batch_first True and False); and crossmha (test/fixtures/onnx/modern: a
 * cross-attention of kdim = vdim = 48 and an add_bias_kv one, exported without constant folding).
 * Each counts as the module under the presets that read the PyTorch model, as the tools count it
 * there: test/fixtures/conventions/mha_variants.json, written by scripts/convention_truth_mha.py (the
 * tools run from source on the PyTorch modules, torch 1.13).
 *
 * Before, each piece counted by its own rule (the nodes read as linears, matmuls, softmax): crossmha
 * thop 7,566,720 (the tool 4,128,768 on torch 1.13), ptflops 38,393,280 (69,444,992), torchinfo
 * 4,859,904 (4,150,272), calflops 75,804,096 (17,485,248), calflops-macs 37,902,048 (8,272,896),
 * ptflops-aten 37,475,328 (37,475,648).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import { loadGraph } from '../../src/graph/load.js';
import { DEFAULTS } from '../helpers.js';
import { onnxModule } from './helpers.js';

interface ToolTruth {
  total: number;
  layers: Record<string, number>;
}
const truth = JSON.parse(readFileSync(new URL('../fixtures/conventions/mha_variants.json', import.meta.url), 'utf8')) as {
  torch: string;
  models: Record<string, { input: number[]; files: string[]; thopHook: Record<string, number> } & Record<string, ToolTruth>>;
};
const torchMajor = Number(truth.torch.split('.')[0]);
const TOOLS = ['thop', 'ptflops', 'ptflops-aten', 'fvcore', 'torchinfo', 'calflops', 'calflops-macs'];
const MODULES: Record<string, string[]> = { crossmha: ['a', 'a2'] };

function imported(file: string, shape: number[]) {
  const bytes = new Uint8Array(readFileSync(new URL(`../../${file}`, import.meta.url)));
  const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: { input: shape } });
  const inference = inferGraph(graph);
  return { inference, report: analyzeGraph(graph, DEFAULTS, inference) };
}

const files = Object.entries(truth.models).flatMap(([model, c]) => c.files.map((file) => [model, file] as const));

describe.each(files)('%s: %s', (model, file) => {
  const t = truth.models[model];
  const input = imported(file, t.input);
  const modules = MODULES[model] ?? ['mha'];

  // every tool: the fixture measures each on every model (a filter on t[tool] let a tool missing from it pass unseen)
  it.each(TOOLS)("%s: the tool's total on the PyTorch model, and the attention module's figure", (tool) => {
    const c = countWith(PRESETS_BY_NAME.get(tool)!, input);
    const attention = c.byFamily.find((f) => f.family === 'attention');
    expect(attention?.layers).toBe(modules.length);
    // thop registers its nn.MultiheadAttention hook only on torch >= 2.0; the fixture's torch is older (as onnx-attention.test.ts)
    const noHook = tool === 'thop' && torchMajor < 2 ? attention!.count : 0;
    expect(c.total - noHook).toBe(t[tool].total);
    const ours = new Map<string, number>();
    for (const l of c.layers) ours.set(onnxModule(l.name), (ours.get(onnxModule(l.name)) ?? 0) + l.count);
    // fvcore puts the module (not a leaf) under <functional>; thop: its hook called by hand (what thop >= 2.0 charges)
    const own = (k: string) => (tool === 'thop' ? t.thopHook[k] : t[tool].layers[k] ?? 0);
    for (const k of modules) if (tool !== 'fvcore') expect([k, ours.get(k) ?? 0]).toEqual([k, own(k)]);
  });

  it('onnx-tool, which profiles the exported nodes, still counts them one by one', () => {
    const c = countWith(PRESETS_BY_NAME.get('onnx-tool')!, input);
    expect(c.byFamily.some((f) => f.family === 'attention')).toBe(false);
  });
});

/**
 * thop's count_multihead_attention (basic_hooks.py l. 184-205, torch ≥ 2.0) worked by hand from its
 * source (the figures above are the hook's own, called by hand on torch 1.13: `thopHook`):
 * batch·(E·(2·L·E + S·(kdim + vdim)) + 2·L·S'·E) + batch·h·L·(3S' − 1), S' = S + bias_k + add_zero_attn.
 */
describe('thop: what its hook (torch ≥ 2.0) counts, worked by hand', () => {
  const thop = PRESETS_BY_NAME.get('thop')!;
  const attention = (model: string) => countWith(thop, imported(truth.models[model].files[1], truth.models[model].input)).byFamily.find((f) => f.family === 'attention')!.count;
  it.each([
    // L 16, S 4, E 8, h 2
    ['cross', 8 * (2 * 16 * 8 + 4 * 16) + 2 * 16 * 4 * 8 + 2 * 16 * (3 * 4 - 1)],
    ['kdim', 8 * (2 * 16 * 8 + 4 * 12) + 2 * 16 * 4 * 8 + 2 * 16 * (3 * 4 - 1)],
    ['kvdiff', 8 * (2 * 16 * 8 + 4 * 10) + 2 * 16 * 4 * 8 + 2 * 16 * (3 * 4 - 1)],
    ['biaskv', 8 * (2 * 16 * 8 + 16 * 16) + 2 * 16 * 17 * 8 + 2 * 16 * (3 * 17 - 1)],
    ['biaskvzero', 8 * (2 * 16 * 8 + 16 * 16) + 2 * 16 * 18 * 8 + 2 * 16 * (3 * 18 - 1)],
    ['batch2', 2 * (8 * (2 * 16 * 8 + 4 * 12) + 2 * 16 * 4 * 8) + 2 * 2 * 16 * (3 * 4 - 1)],
    // (L, N, E) tokens: the hook reads the batch from axis 1 (l. 193), the same count
    ['seqfirst2', 2 * (8 * (2 * 16 * 8 + 4 * 12) + 2 * 16 * 4 * 8) + 2 * 2 * 16 * (3 * 4 - 1)],
  ])('%s: %i', (model, expected) => expect(attention(model)).toBe(expected));
});
