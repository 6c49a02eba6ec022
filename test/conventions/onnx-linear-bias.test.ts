/**
 * nn.Linear on 3-D and 4-D inputs exported as MatMul + Add (scripts/export_linear_bias_onnx.py): the
 * presets that count a linear's bias count it on the import as the tools do on the module (ptflops'
 * hook on every rank, ptflops' aten backend on the 2-D and contiguous 3-D inputs addmm takes).
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

  it.each(['ptflops', 'ptflops-aten'])('%s equals the tool run on the module', (name) => {
    expect(countWith(PRESETS_BY_NAME.get(name)!, input).total).toBe(truth[name]);
  });

  it("the bias adds count 0, said so in the add family's reason; MAC-only presets are unchanged", () => {
    const c = countWith(PRESETS_BY_NAME.get('onnx-tool')!, input);
    const add = c.byFamily.find((f) => f.family === 'add')!;
    expect(add.count).toBe(0);
    expect(add.why).toMatch(/3 of these 3 adds are the bias of an nn\.Linear exported as MatMul \+ Add/);
    expect(countWith(PRESETS_BY_NAME.get('torchvision')!, input).total).toBe(input.report.totals.macs);
  });
});
