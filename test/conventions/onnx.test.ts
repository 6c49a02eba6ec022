/**
 * The same presets on graphs imported from ONNX (test/fixtures/onnx: torchvision's resnet18,
 * mobilenet_v2 and shufflenet_v2_x1_0 exported with their BNs kept, weights stripped): onnx-tool
 * profiles exactly such files, so its preset on convlens's import must equal what onnx-tool printed
 * for the zoo twin (truth.json, less the shape arithmetic convlens folds), and every figure of the
 * imported report must explain itself.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import { explainReport } from '../../src/conventions/explain.js';
import { loadGraph } from '../../src/graph/load.js';
import { DEFAULTS } from '../helpers.js';

const truth = JSON.parse(readFileSync(new URL('../fixtures/conventions/truth.json', import.meta.url), 'utf8'));

function imported(name: string) {
  const bytes = new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}.onnx`, import.meta.url)));
  const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: { input: [1, 3, 224, 224] } });
  const inference = inferGraph(graph);
  return { inference, report: analyzeGraph(graph, DEFAULTS, inference) };
}

describe.each(['resnet18', 'mobilenet_v2', 'shufflenet_v2_x1_0'])('%s imported from ONNX', (name) => {
  const input = imported(name);

  it("onnx-tool's preset equals onnx-tool's own total for the model, to the unit", () => {
    const t = truth.models[name]['onnx-tool'];
    expect(countWith(PRESETS_BY_NAME.get('onnx-tool')!, input).total).toBe(t.total - (t.shapeArithmetic ?? 0));
  });

  it('MAC-only presets equal the PyTorch measurements of the zoo twin (ptflops-aten adds the conv and Gemm biases)', () => {
    expect(countWith(PRESETS_BY_NAME.get('torchvision')!, input).total).toBe(input.report.totals.macs);
    expect(countWith(PRESETS_BY_NAME.get('calflops-macs')!, input).total).toBe(truth.models[name]['calflops-macs'].total);
    expect(countWith(PRESETS_BY_NAME.get('ptflops-aten')!, input).total).toBe(truth.models[name]['ptflops-aten'].total);
  });

  it('every figure of the imported report agrees with its formula', () => {
    const e = explainReport(input);
    expect(e.layers.filter((l) => !l.agrees).map((l) => l.name)).toEqual([]);
    expect(e.layers.length).toBeGreaterThan(50);
  });
});
