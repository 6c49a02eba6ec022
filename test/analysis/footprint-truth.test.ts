/**
 * torchinfo's footprint and the weights memory of the zoo's torchvision models against what
 * torchinfo itself and PyTorch print: test/fixtures/memory/footprint.json, written by
 * scripts/memory_footprint_truth.py (torchinfo 5c4164f summary(), PyTorch 1.13 / torchvision 0.14,
 * batch 1 at 224).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { analyzeMemory } from '../../src/analysis/memory.js';
import { footprintFromReport } from '../../src/analysis/footprint.js';
import { reportHtml } from '../../src/analysis/formats/html.js';
import { modelSpec } from '../../src/graph/load.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { DEFAULTS } from '../helpers.js';

interface Truth {
  input: number[];
  torchinfo: { inputBytes: number; forwardBackwardBytes: number; paramsBytes: number; lines: string[] };
  pytorch: { paramBytes: number; bufferBytes: number; numBatchesTrackedBytes: number };
}
const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/memory/footprint.json', import.meta.url), 'utf8')) as { models: Record<string, Truth>; onnxOnly: Record<string, Truth> };

function zooMemory(name: string, options: { dtype?: 'float32' | 'float16' } = {}) {
  const graph = parseNetworkSpec(modelSpec(name));
  const inference = inferGraph(graph);
  const report = analyzeGraph(graph, { ...DEFAULTS, ...options }, inference);
  return analyzeMemory(graph, inference, report);
}

describe("torchinfo's footprint of the zoo's torchvision models equals torchinfo's summary()", () => {
  // before the leaf-module rule: convnext_tiny +17,160,192 B (its layer scale), vit_b_16 +16,945,152
  // (class token, position embedding, nn.MultiheadAttention), swin_t +11,440,128, swin_s +18,665,472,
  // swin_b +24,887,296 (ShiftedWindowAttention); the others were already equal
  it.each(Object.keys(FIXTURE.models))('%s: forward/backward pass and params bytes, and the printed lines', (name) => {
    const truth = FIXTURE.models[name];
    const t = zooMemory(name).torchinfo;
    expect(t.forwardBackwardBytes).toBe(truth.torchinfo.forwardBackwardBytes);
    expect(t.paramsBytes).toBe(truth.torchinfo.paramsBytes);
    // the input line differs by sys.getsizeof's Python object (~56 bytes over the tensor's)
    expect(t.lines.slice(1)).toEqual(truth.torchinfo.lines.slice(1));
    expect(truth.torchinfo.inputBytes - t.inputBytes).toBeGreaterThan(0);
    expect(truth.torchinfo.inputBytes - t.inputBytes).toBeLessThan(100);
  });
});

describe("every path that shows torchinfo's footprint shows torchinfo's figure, or says it cannot", () => {
  const memorySection = (html: string) => html.slice(html.indexOf('<section id="memory">'), html.indexOf('</section>', html.indexOf('<section id="memory">')));

  // found by a hunt: the HTML report without the memory analysis printed 116.79 MB for swin_v2_t, its cpb_mlp Linears
  // (OpDef.innerModuleOutputs, sized by the layer's plan, which a report does not hold) left out
  it("swin_v2_t: the memory analysis's 128,100,752 B (torchinfo's); the HTML without it names the layers it cannot size, and prints no figure", () => {
    const graph = parseNetworkSpec(modelSpec('swin_v2_t'));
    const inference = inferGraph(graph);
    const report = analyzeGraph(graph, DEFAULTS, inference);
    const truth = FIXTURE.models.swin_v2_t.torchinfo;
    const memory = analyzeMemory(graph, inference, report);
    expect(memory.torchinfo.forwardBackwardBytes).toBe(truth.forwardBackwardBytes);
    expect(memorySection(reportHtml({ report, memory }))).toContain(truth.lines[1]);
    const unknown = footprintFromReport(report);
    expect(unknown).toEqual({ unknown: expect.stringMatching(/^torchinfo's footprint needs the memory analysis here: 'features\.1\.0\.attn' \(shiftedWindowAttentionV2\), .*\(12 in all\)/) });
    const section = memorySection(reportHtml({ report }));
    expect(section).toContain('torchinfo&#39;s footprint needs the memory analysis here');
    expect(section).not.toContain('Forward/backward pass size');
  });

  it("mvit_v2_s: the report alone names its position encoding and attention layers, and says which modules, not Swin V2's", () => {
    const graph = parseNetworkSpec(modelSpec('mvit_v2_s'));
    const report = analyzeGraph(graph, DEFAULTS, inferGraph(graph));
    const unknown = footprintFromReport(report);
    expect(unknown).toEqual({ unknown: expect.stringMatching(/^torchinfo's footprint needs the memory analysis here: 'pos_encoding' \(spatioTemporalPositionEncoding\), 'blocks\.0\.attn' \(multiscaleAttention\), .*\(17 in all\) run modules with parameters inside them \(as Swin V2's position-bias MLP, MViT's attention pools and projections\)/) });
  });

  it("resnet18 (no layer runs modules inside it): the report alone gives torchinfo's figure, as the memory analysis does", () => {
    const graph = parseNetworkSpec(modelSpec('resnet18'));
    const inference = inferGraph(graph);
    const report = analyzeGraph(graph, DEFAULTS, inference);
    expect(footprintFromReport(report)).toEqual(analyzeMemory(graph, inference, report).torchinfo);
    expect(memorySection(reportHtml({ report }))).toContain(FIXTURE.models.resnet18.torchinfo.lines[1]);
  });
});

describe("weights memory equals PyTorch's parameters + buffers at their element sizes", () => {
  // BN's num_batches_tracked (an int64 scalar per BN) was not declared: resnet18 read 46,796,448 B
  // against PyTorch's 46,796,608 (20 batch norms × 8 B short), resnet50 424 B short
  it.each(Object.keys(FIXTURE.models))('%s', (name) => {
    const { pytorch } = FIXTURE.models[name];
    expect(zooMemory(name).weights.bytes).toBe(pytorch.paramBytes + pytorch.bufferBytes);
  });

  it("the buffers are PyTorch's in count too (num_batches_tracked one element each), the parameters unchanged: resnet18 9,620 buffers (9,600 running statistics + 20), 11,689,512 parameters", () => {
    const m = zooMemory('resnet18');
    const { pytorch } = FIXTURE.models.resnet18;
    expect(pytorch.numBatchesTrackedBytes).toBe(20 * 8);
    expect(m.weights).toEqual({ params: 11_689_512, buffers: 9_620, bytes: pytorch.paramBytes + pytorch.bufferBytes });
    expect(m.weights.params * 4).toBe(pytorch.paramBytes);
  });

  it("swin_b: 351,533,888 B (was 351,303,392: its int64 relative_position_index counted at 4 bytes an element)", () => {
    expect(zooMemory('swin_b').weights.bytes).toBe(351_533_888);
  });

  it('at float16 the parameters halve and the int64 index stays 8 bytes an element: swin_t, 12 window-attention blocks hold 12 × 49² index elements', () => {
    const m = zooMemory('swin_t', { dtype: 'float16' });
    const { pytorch } = FIXTURE.models.swin_t;
    const indexElements = 12 * 49 * 49;
    // swin_t's buffers are the 12 relative-position indices only
    expect(pytorch.bufferBytes).toBe(indexElements * 8);
    expect(m.weights.bytes).toBe(pytorch.paramBytes / 2 + indexElements * 8);
  });
});

describe("torchinfo's footprint of an ONNX export: what the file can tell", () => {
  function onnxFootprint(file: string) {
    const { graph } = importOnnx(new Uint8Array(readFileSync(new URL(`../fixtures/catalog/${file}`, import.meta.url))));
    const inference = inferGraph(graph);
    return analyzeMemory(graph, inference, analyzeGraph(graph, DEFAULTS, inference)).torchinfo;
  }

  it("convnext_tiny at opset 17 (LayerNormalization, the layer scale a Mul by an initializer): torchinfo's 131,274,560 B", () => {
    expect(onnxFootprint('convnext_tiny.op17.onnx').forwardBackwardBytes).toBe(FIXTURE.models.convnext_tiny.torchinfo.forwardBackwardBytes);
  });

  it("vit_b_32 at opset 17: torchinfo's 26,421,056 B plus nn.MultiheadAttention's projections, which the file exports as MatMuls beside the MLP's: 12 blocks × 2 × 4 B × 50 tokens × (2304 + 768) = 14,745,600", () => {
    const t = onnxFootprint('vit_b_32.op17.onnx');
    expect(t.forwardBackwardBytes).toBe(FIXTURE.onnxOnly.vit_b_32.torchinfo.forwardBackwardBytes + 12 * 2 * 4 * 50 * (2304 + 768));
    expect(t.paramsBytes).toBe(FIXTURE.onnxOnly.vit_b_32.torchinfo.paramsBytes);
  });

  it("convnext_tiny at opset 13 has no LayerNormalization (ReduceMean, Sub, Pow, … a Mul and an Add by γ and β): its 23 layer norms' outputs are not counted, 131,274,560 − 23,789,568", () => {
    // the norms over channels-last maps: stem 96×56×56, 3 blocks at 96×56², 3 at 192×28², 9 at 384×14², 3 at 768×7²,
    // the 3 downsampling norms before their convs (96×56², 192×28², 384×14²) and the classifier's 768×1×1
    const blocks = 3 * 96 * 56 * 56 + 3 * 192 * 28 * 28 + 9 * 384 * 14 * 14 + 3 * 768 * 7 * 7;
    const others = 96 * 56 * 56 + (96 * 56 * 56 + 192 * 28 * 28 + 384 * 14 * 14) + 768;
    expect(2 * 4 * (blocks + others)).toBe(23_789_568);
    expect(onnxFootprint('convnext_tiny.op13.onnx').forwardBackwardBytes).toBe(FIXTURE.models.convnext_tiny.torchinfo.forwardBackwardBytes - 23_789_568);
  });
});

describe('an ONNX Swin: what the file can tell (test/fixtures/memory/swin_two_stage.op17.onnx, scripts/export_swin_stages_onnx.py)', () => {
  const truth = JSON.parse(readFileSync(new URL('../fixtures/memory/swin_two_stage.json', import.meta.url), 'utf8')) as {
    params: number;
    buffers: number;
    biasTables: Record<string, number[]>;
    biasIndices: Record<string, number[]>;
    headIn: number;
    patchEmbedKernels: number;
  };
  const { graph } = importOnnx(new Uint8Array(readFileSync(new URL('../fixtures/memory/swin_two_stage.op17.onnx', import.meta.url))));
  const report = analyzeGraph(graph, DEFAULTS, inferGraph(graph));

  it("structure width: the widest stage's attention, 16 (the head's in_features), as the PyTorch model reads; it was 8, the patch embedding's kernels", () => {
    expect(truth.patchEmbedKernels).toBe(8);
    expect(report.structure.width).toBe(truth.headIn);
  });

  // found by a hunt (fix/onnx): the gathered [1, heads, 49, 49] constants were counted as parameters, 12,541 here
  // (truth.params − 507 + 7,203) and 28,596,370 for torchvision's swin_t (+308,016 against 28,288,354); they are
  // fixed tables the scores add, as PyTorch's relative_position_index buffer is, so they count as buffers now
  it("parameters: each block's relative-position bias is in the file gathered, a [1, heads, 49, 49] constant added to the logits, counted as a buffer; PyTorch trains a [169, heads] table and holds the int64 index as a buffer", () => {
    // 5,845 PyTorch parameters − 507 table entries (169 × (1 + 2)), which the file no longer holds = 5,338;
    // buffers: the 7,203 gathered (49² × (1 + 2)). torchvision's swin_t exported at opset 17 with folding:
    // 28,265,032 parameters (28,288,354 − 23,322 = 169 × 138 tables) and 331,338 buffers (49² × 138)
    const heads = Object.values(truth.biasTables).map((t) => t[1]);
    expect(heads).toEqual([1, 2]);
    const tables = heads.reduce((s, h) => s + 169 * h, 0);
    const gathered = heads.reduce((s, h) => s + 49 * 49 * h, 0);
    expect(report.totals.params).toBe(truth.params - tables);
    // PyTorch's 4,802 buffers are the two indices, folded into the gathered constants: the file's buffers are those
    expect(truth.buffers).toBe(Object.values(truth.biasIndices).reduce((s, i) => s + i[0], 0));
    expect(report.totals.buffers).toBe(gathered);
    const added = report.layers.filter((l) => /attn\/Add_1$/.test(l.name)).map((l) => [l.params, l.buffers]);
    expect(added).toEqual(heads.map((h) => [0, 49 * 49 * h]));
    // weights memory still holds them, and the memory access of the adds reads them
    expect(report.layers.filter((l) => /attn\/Add_1$/.test(l.name)).map((l) => l.memoryAccess.elements.weights)).toEqual(heads.map((h) => 49 * 49 * h));
    // and the report says so, with the module's count if they are tables over a 7 × 7 window: PyTorch's
    const w = report.warnings.find((x) => x.code === 'EXPORTER_CONSTANTS_AS_BUFFERS');
    expect(w).toMatchObject({ elements: gathered, tableParams: tables });
    expect(w?.message).toMatch(/^7,203 elements in 2 constant\(s\)/);
    expect(w?.message).toContain(`counts ${truth.params.toLocaleString('en-US')}`);
    expect(report.warnings.map((x) => x.code)).not.toContain('EXPORTER_CONSTANTS_COUNTED');
  });
});

describe("torchinfo's footprint counts nn.RMSNorm as the leaf module with parameters it is (as nn.LayerNorm)", () => {
  const footprint = (affine: boolean) => {
    const graph = parseNetworkSpec({
      name: 'rms',
      inputs: [{ name: 'x', shape: [2, 8, 16] }],
      layers: [
        { name: 'fc', op: 'linear', outFeatures: 16 },
        { name: 'norm', op: 'rmsNorm', normalizedShape: [16], elementwiseAffine: affine },
      ],
    });
    const inference = inferGraph(graph);
    return analyzeMemory(graph, inference, analyzeGraph(graph, DEFAULTS, inference)).torchinfo;
  };
  it('[2, 8, 16] through linear 16→16 then rmsNorm [16]: forward/backward = 2 × 4 B × (256 + 256) = 4,096 B; params (16·16 + 16 + 16)·4 = 1,152 B', () => {
    const t = footprint(true);
    expect(t.forwardBackwardBytes).toBe(4096);
    expect(t.paramsBytes).toBe(1152);
  });
  it('without its γ (elementwiseAffine false) it has no parameters, and only the linear\'s output counts: 2,048 B; params 1,088 B', () => {
    const t = footprint(false);
    expect(t.forwardBackwardBytes).toBe(2048);
    expect(t.paramsBytes).toBe(1088);
  });
});
