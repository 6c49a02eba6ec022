/**
 * torchvision's ConvNeXt-T exported by torch.onnx.export at opsets 13 and 17 (test/fixtures/catalog,
 * scripts/export_catalog.py): nn.GELU is written as Div, Erf, Add, Mul, Mul at both, and
 * nn.LayerNorm / LayerNorm2d as ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add at 13
 * (report.patterns). The presets that read the PyTorch module count each as the module, so the
 * import gives what the tools print on the module (test/fixtures/conventions/truth.json, the tools
 * run from source). Before: fvcore 4,455,568,896 at opset 13 (the tool 4,470,437,376: its 5 per
 * LayerNorm element missing), calflops 8,913,809,664 / 8,928,678,144 (8,937,258,240), ptflops
 * 4,472,015,848 at 17 (nn.GELU's 2 per element missing). ConvNeXt's LayerNorm2d (Transpose, layer norm,
 * Transpose back) read as nn.LayerNorm: ptflops 4,489,176,040 at both (828,672 over: the tool has no
 * hook for the subclass).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import { loadGraph } from '../../src/graph/load.js';
import { DEFAULTS } from '../helpers.js';

const truth = JSON.parse(readFileSync(new URL('../fixtures/conventions/truth.json', import.meta.url), 'utf8')).models.convnext_tiny;

function imported(opset: number) {
  const bytes = new Uint8Array(readFileSync(new URL(`../fixtures/catalog/convnext_tiny.op${opset}.onnx`, import.meta.url)));
  const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: { input: [1, 3, 224, 224] } });
  const inference = inferGraph(graph);
  return { inference, report: analyzeGraph(graph, DEFAULTS, inference) };
}

describe.each([13, 17])('convnext_tiny exported at opset %i', (opset) => {
  const input = imported(opset);

  it('finds its GELUs (and at 13 its LayerNorms) as decomposed modules', () => {
    const kinds = input.report.patterns.map((p) => p.kind);
    expect(kinds.filter((k) => k === 'gelu')).toHaveLength(18);
    expect(kinds.filter((k) => k === 'layerNorm')).toHaveLength(opset === 13 ? 23 : 0);
  });

  it.each(['fvcore', 'thop', 'ptflops', 'ptflops-aten', 'torchinfo', 'calflops', 'calflops-macs'])("%s equals the tool's total on the module", (name) => {
    expect(countWith(PRESETS_BY_NAME.get(name)!, input).total).toBe(truth[name].total);
  });

  it("reads the 5 LayerNorm2d (Transpose, layer norm, Transpose back) as the zoo's layerNorm over channels, which ptflops' exact-type table has no hook for", () => {
    const c = countWith(PRESETS_BY_NAME.get('ptflops')!, input);
    // per image: the stem's and the first downsampling's 96×56×56, then 192×28×28, 384×14×14, and the head's 768
    const zero = c.layers.filter((l) => l.family === 'layerNorm' && l.count === 0);
    expect(zero).toHaveLength(5);
    // the 18 blocks' channels-last nn.LayerNorm (read by a Linear) keep the hook's 1 per element
    expect(c.byFamily.find((f) => f.family === 'layerNorm')?.count).toBe(3 * 96 * 56 * 56 + 3 * 192 * 28 * 28 + 9 * 384 * 14 * 14 + 3 * 768 * 7 * 7);
  });
});

it('onnx-tool, which profiles the exported nodes, still counts them node by node', () => {
  expect(countWith(PRESETS_BY_NAME.get('onnx-tool')!, imported(17)).total).toBe(truth['onnx-tool'].total);
});

describe("a JSON spec's sigmoid then mul is the source's own x * torch.sigmoid(x), not an exported nn.SiLU", () => {
  it('[1, 8, 16, 16] (2,048 elements): ptflops and calflops count it as written, 0 (the module would count 2,048), though report.patterns finds the SiLU', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 8, 16, 16] }],
      layers: [
        { name: 's', op: 'sigmoid', inputs: ['x'] },
        { name: 'm', op: 'mul', inputs: ['x', 's'] },
      ],
    };
    const { graph } = loadGraph({ kind: 'spec', spec });
    const inference = inferGraph(graph);
    const input = { inference, report: analyzeGraph(graph, DEFAULTS, inference) };
    expect(input.report.patterns.map((p) => p.kind)).toContain('swish');
    expect(countWith(PRESETS_BY_NAME.get('ptflops')!, input).total).toBe(0);
    expect(countWith(PRESETS_BY_NAME.get('calflops')!, input).total).toBe(0);
  });
});
