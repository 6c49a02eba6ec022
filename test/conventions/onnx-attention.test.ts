/**
 * nn.MultiheadAttention exported by torch.onnx (MatMul/Gemm projections, Slice, Reshape, Transpose,
 * Div, MatMul, Softmax, MatMul: src/conventions/onnx-attention.ts) counts as the module under the
 * presets that read the PyTorch model, as the tools count it there: test/fixtures/conventions/
 * cases.json `onnx`, written by scripts/convention_truth_cases.py (the tools run from source on the
 * PyTorch model) for torchvision's vit_b_32 (its exports test/fixtures/catalog/vit_b_32.op13/op17.onnx)
 * and an nn.MultiheadAttention(8, 2) on the 16 tokens of a 1×8×4×4 map (attention.op13/op17.onnx).
 *
 * Before, each piece counted by its own rule: vit_b_32 thop 4,368,019,104 (the tool 2,951,368,704 on
 * torch 1.13), torchinfo 4,367,330,536 (2,949,909,736), calflops 8,825,413,440 (8,733,253,440),
 * calflops-macs 4,409,186,304 (4,363,106,304); the small model ptflops 9,216 (13,952), thop 5,600 (0),
 * torchinfo 4,608 (0), calflops 16,896 (8,704), calflops-macs 8,192 (4,096), ptflops-aten 8,704 (8,320:
 * the small model's input projection reads x.flatten(2).transpose(1, 2), a strided view, so
 * aten::linear takes matmul + add_ and the tool counts no bias there; the Transposes in the file say so).
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
  total: number | null;
  layers: Record<string, number>;
}
const cases = JSON.parse(readFileSync(new URL('../fixtures/conventions/cases.json', import.meta.url), 'utf8')) as {
  torch: string;
  onnx: Record<string, { input: number[]; files: string[] } & Record<string, ToolTruth>>;
};
const torchMajor = Number(cases.torch.split('.')[0]);
const HEADS: Record<string, number> = { vit_b_32: 12, attention: 1 };
const TOOLS = ['thop', 'ptflops', 'ptflops-aten', 'fvcore', 'torchinfo', 'calflops', 'calflops-macs'];

function imported(file: string, shape: number[]) {
  const bytes = new Uint8Array(readFileSync(new URL(`../../${file}`, import.meta.url)));
  const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: { input: shape } });
  const inference = inferGraph(graph);
  return { inference, report: analyzeGraph(graph, DEFAULTS, inference) };
}

const files = Object.entries(cases.onnx).flatMap(([model, c]) => c.files.map((file) => [model, file] as const));

describe.each(files)('%s: %s', (model, file) => {
  const truth = cases.onnx[model];
  const input = imported(file, truth.input);

  it.each(TOOLS)("%s: the tool's total on the PyTorch model, and each leaf module it charged", (tool) => {
    const c = countWith(PRESETS_BY_NAME.get(tool)!, input);
    const attention = c.byFamily.find((f) => f.family === 'attention');
    expect(attention?.layers).toBe(HEADS[model]);
    const t = truth[tool];
    if (t.total === null) {
      // ptflops' MultiheadAttention hook fails on torchvision's keyword call (query=, key=, value=): no figure
      expect([tool, model]).toEqual(['ptflops', 'vit_b_32']);
      return;
    }
    // thop registers its nn.MultiheadAttention hook only on torch >= 2.0; the fixture's torch is older
    const noHook = tool === 'thop' && torchMajor < 2 ? attention!.count : 0;
    expect(c.total - noHook).toBe(t.total);
    const ours = new Map<string, number>();
    for (const l of c.layers) ours.set(onnxModule(l.name), (ours.get(onnxModule(l.name)) ?? 0) + l.count);
    const keys = Object.keys(t.layers);
    const leaves = keys.filter((k) => !keys.some((o) => o.startsWith(`${k}.`)) && ours.has(k));
    // the small model's one module: thop and torchinfo charge nothing, fvcore puts nn.MultiheadAttention (not a leaf) under <functional>
    if (model === 'vit_b_32') expect(leaves.length).toBeGreaterThan(0);
    for (const k of leaves) expect([k, ours.get(k)]).toEqual([k, t.layers[k]]);
  });

  it('onnx-tool, which profiles the exported nodes, still counts them one by one', () => {
    const c = countWith(PRESETS_BY_NAME.get('onnx-tool')!, input);
    expect(c.byFamily.some((f) => f.family === 'attention')).toBe(false);
    expect(c.byFamily.find((f) => f.family === 'softmax')?.layers).toBe(HEADS[model]);
  });
});
