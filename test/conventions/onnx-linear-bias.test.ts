/**
 * nn.Linear on 3-D and 4-D inputs exported as MatMul + Add (scripts/export_linear_bias_onnx.py): the
 * presets that count a linear's bias count it on the import as the tools do on the module (ptflops'
 * hook on every rank, ptflops' aten backend on the 2-D and contiguous 3-D inputs addmm takes; the
 * file cannot show the module's .contiguous() after its transpose, so fc1 reads as a strided view).
 * Before, the MatMul was a linear without a bias and the Add an addition no hook sees: ptflops
 * 403,626 where it prints 410,794, ptflops-aten 395,434 where it prints 401,578.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import { loadGraph } from '../../src/graph/load.js';
import { DEFAULTS } from '../helpers.js';

const truth = JSON.parse(readFileSync(new URL('../fixtures/onnx/linear-bias/truth.json', import.meta.url), 'utf8'));

function imported() {
  const bytes = new Uint8Array(readFileSync(new URL('../fixtures/onnx/linear-bias/tokens.onnx', import.meta.url)));
  const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: {} });
  const inference = inferGraph(graph);
  return { inference, report: analyzeGraph(graph, DEFAULTS, inference) };
}

describe('tokens: Linear on [N, T, C], on [N, H, W, C] and on [N, C]', () => {
  const input = imported();

  it("has PyTorch's parameters", () => {
    expect(input.report.totals.params).toBe(truth.params);
  });

  it('ptflops equals the tool run on the module', () => {
    expect(countWith(PRESETS_BY_NAME.get('ptflops')!, input).total).toBe(truth.ptflops);
  });

  it("ptflops-aten: the tool's figure but fc1's bias (64 tokens × 64), whose input the module made contiguous with a .contiguous() the export does not write", () => {
    // the file has Transpose → MatMul, which reads as x.flatten(2).transpose(1, 2) fed to the linear
    // as it is (aten::linear: matmul + add_, as linear_strided below measures); .contiguous() is no node
    const c = countWith(PRESETS_BY_NAME.get('ptflops-aten')!, input);
    expect(c.total).toBe(truth['ptflops-aten'] - 64 * 64);
    expect(c.layers.filter((l) => l.family === 'linear').map((l) => [l.name.split('/')[1], l.count])).toContainEqual(['fc1', 64 * 32 * 64]);
  });

  it("the bias adds count 0, said so in the add family's reason; MAC-only presets are unchanged", () => {
    const c = countWith(PRESETS_BY_NAME.get('onnx-tool')!, input);
    const add = c.byFamily.find((f) => f.family === 'add')!;
    expect(add.count).toBe(0);
    expect(add.why).toMatch(/3 of these 3 adds are the bias of an nn\.Linear exported as MatMul \+ Add/);
    expect(countWith(PRESETS_BY_NAME.get('torchvision')!, input).total).toBe(input.report.totals.macs);
  });
});

/**
 * nn.Linear on a transposed 3-D view (scripts/convention_truth_ops.py LinearStrided, 1×4×5 in:
 * fc1 on x.transpose(1, 2), fc2 on its output, fc3 on that transposed (0, 1), contiguous as torch
 * reads a size-1 dim), measured by every tool on the module (test/fixtures/conventions/cases.json
 * linearStrided) and imported from its export (linear_strided.op17.onnx). aten::linear takes
 * matmul + add_ for fc1, whose input is not contiguous: ptflops-aten counts no bias there (fc1 120,
 * fc2 210, fc3 70: 400). Before, every 3-D input read as contiguous: 430.
 */
describe('linear_strided: nn.Linear on x.transpose(1, 2), on contiguous views', () => {
  const cases = JSON.parse(readFileSync(new URL('../fixtures/conventions/cases.json', import.meta.url), 'utf8')) as {
    linearStrided: Record<string, { input: number[]; files: string[] } & Record<string, { total: number; layers: Record<string, number> }>>;
  };
  const t = cases.linearStrided.linear_strided;
  const bytes = new Uint8Array(readFileSync(new URL(`../../${t.files[0]}`, import.meta.url)));
  const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: { input: t.input } });
  const inference = inferGraph(graph);
  const input = { inference, report: analyzeGraph(graph, DEFAULTS, inference) };

  it.each(['thop', 'ptflops', 'ptflops-aten', 'fvcore', 'torchinfo', 'calflops', 'calflops-macs', 'onnx-tool'])("%s: the tool's total and each linear, to the unit", (name) => {
    const c = countWith(PRESETS_BY_NAME.get(name)!, input);
    expect(c.total).toBe(t[name].total);
    if (name === 'onnx-tool') return;
    // /fc1/MatMul (the linear, its paired Add 0) → fc1
    const ours = Object.fromEntries(c.layers.filter((l) => l.family === 'linear').map((l) => [l.name.split('/')[1], l.count]));
    expect(ours).toEqual(t[name].layers);
  });
});
