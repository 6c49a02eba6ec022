/**
 * Three cases where a preset and its tool parted, against what the tools print:
 * test/fixtures/conventions/cases.json, written by scripts/convention_truth_cases.py running
 * ptflops and onnx-tool from their sources (the commits the presets cite) on torch 1.13.
 *
 *   video   ptflops on torchvision's r3d_18, mc3_18, r2plus1d_18: the residual convs of the first
 *           two are Conv3DSimple / Conv3DNoTemporal, subclasses of nn.Conv3d, which ptflops' hook
 *           table (looked up by exact type) misses: the zoo marks them `subclassed`.
 *   batch   ptflops at batch 2 and 3: the module hooks' total is divided by the batch, the patched
 *           functions' counts are not, and nn.Upsample's hook counts one sample; swin_v2_t's
           position-bias MLP, run once per forward, has its hooks divided by the batch all the same.
 *   swin    onnx-tool on torchvision's swin_t export and on the committed one-stage padded export
 *           (test/fixtures/onnx-math/swin_tiny_pad_op17.onnx): q scaled by a Mul, the relative-
 *           position bias added, and the shifted blocks' mask built and added.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import type { ConventionCount, ConventionInput } from '../../src/conventions/index.js';
import { loadGraph } from '../../src/graph/load.js';
import { ZOO_BY_NAME } from '../../src/zoo/index.js';
import { swin } from '../../src/zoo/swin.js';
import { DEFAULTS, net } from '../helpers.js';
import { analysed, onnxModule, zoo } from './helpers.js';
import { functionalLayers, subclassedLayers } from './torchvision-source.js';

interface Ptflops {
  total: number;
  batch: number;
  batch1: number;
  hooks: Record<string, number>;
  functions: Record<string, number>;
}
interface OnnxTool {
  total: number;
  layers: Record<string, number>;
  byOpType: Record<string, number>;
  shapeArithmetic: number;
}
const truth = JSON.parse(readFileSync(new URL('../fixtures/conventions/cases.json', import.meta.url), 'utf8')) as {
  torch: string;
  tools: Record<string, { repository: string; commit: string }>;
  video: Record<string, { input: number[]; ptflops: { total: number; layers: Record<string, number> } }>;
  batch: Record<string, { input: number[]; ptflops: Ptflops }>;
  swin: Record<string, { input: number[]; 'onnx-tool': OnnxTool }>;
};
const ptflops = PRESETS_BY_NAME.get('ptflops')!;
const onnxTool = PRESETS_BY_NAME.get('onnx-tool')!;
const marks = (model: string, resolution?: number) => ({ functional: functionalLayers(model, resolution), subclassed: subclassedLayers(model, resolution) });
const family = (c: ConventionCount, name: string) => c.byFamily.find((f) => f.family === name)!;

describe('the fixture', () => {
  it('was measured at the commits the presets cite', () => {
    expect(ptflops.version).toContain(truth.tools.ptflops.commit.slice(0, 12));
    expect(onnxTool.version).toContain(truth.tools['onnx-tool'].commit.slice(0, 12));
  });
});

describe("ptflops on torchvision's video ResNets (1×3×16×112×112): subclasses of nn.Conv3d get no hook", () => {
  it.each([
    ['r3d_18', 16],
    ['mc3_18', 16],
    ['r2plus1d_18', 0],
  ])('%s: the zoo marks %i convs subclassed; the total to the unit, as ptflops prints it', (model, n) => {
    const m = marks(model);
    expect(m.subclassed).toHaveLength(n);
    const c = countWith(ptflops, zoo(model), m);
    expect(c.total).toBe(truth.video[model].ptflops.total);
  });

  it('r3d_18: 1,589,580,176 where its convs hold 40.7 G MACs; without the marks the preset would say 40,779,846,032', () => {
    const input = zoo('r3d_18');
    expect(truth.video.r3d_18.ptflops.total).toBe(1_589_580_176);
    expect(countWith(ptflops, input).total).toBe(40_779_846_032);
    const c = countWith(ptflops, input, marks('r3d_18'));
    // the family says why, with the conv MACs the tool's own rule for nn.Conv3d gives them
    expect(family(c, 'convNd').why).toMatch(/A ptflops defect: 16 layers \(layer1\.0\.conv1\.0, layer1\.0\.conv2\.0, layer1\.1\.conv1\.0, …\) are modules of a subclass .* is_supported_instance \(l\. 311-314\) .* the class's hook gives 39,190,265,856/);
    expect(c.headline).toContain('39,190,265,856');
  });

  it.each(['r3d_18', 'mc3_18', 'r2plus1d_18'])('%s: every module the tool charged, to the unit, and the subclassed convs 0', (model) => {
    const c = countWith(ptflops, zoo(model), marks(model));
    const ours = new Map(c.layers.map((l) => [l.name, l.count]));
    const tool = truth.video[model].ptflops.layers;
    const shared = Object.keys(tool).filter((k) => ours.has(k));
    expect(shared.length).toBeGreaterThan(40);
    for (const k of shared) expect([k, ours.get(k)]).toEqual([k, tool[k]]);
    for (const k of subclassedLayers(model)) expect([k, k in tool, ours.get(k)]).toEqual([k, false, 0]);
  });

  it('thop walks the class hierarchy (profile.py _resolve_rule): the marks change nothing there, nor for the other presets', () => {
    const input = zoo('r3d_18');
    for (const p of ['thop', 'torchinfo', 'fvcore', 'calflops', 'ptflops-aten', 'onnx-tool']) {
      expect([p, countWith(PRESETS_BY_NAME.get(p)!, input, marks('r3d_18')).total]).toEqual([p, countWith(PRESETS_BY_NAME.get(p)!, input).total]);
    }
  });
});

/** A zoo model, or a small spec, with the batch of the fixture's input. */
function batched(model: string, shape: number[]): ConventionInput {
  const small = SMALL[model];
  const spec = structuredClone(small ?? ZOO_BY_NAME.get(model)!.build(shape[shape.length - 1])) as { inputs: { shape: number[] }[] };
  spec.inputs[0].shape = shape;
  return analysed(spec);
}
/** scripts/convention_truth_ops.py's Resample2d and Attention, as test/conventions/ops-truth.test.ts writes them. */
const SMALL: Record<string, unknown> = {
  resample2d: {
    inputs: [{ name: 'x', shape: [1, 2, 5, 5] }],
    layers: [
      { name: 'up1', op: 'upsample', mode: 'bilinear', scaleFactor: 1.5 },
      { name: 'up2', op: 'upsample', mode: 'nearest', size: 12 },
      { name: 'up3', op: 'upsample', mode: 'bicubic', scaleFactor: 2, alignCorners: true },
      { name: 'interp', op: 'upsample', mode: 'bilinear', size: [30, 28] },
    ],
    functional: ['interp'],
  },
  attention: { ...net([1, 8, 4, 4], { op: 'multiHeadAttention', numHeads: 2 }), layers: [{ name: 'mha', op: 'multiHeadAttention', numHeads: 2 }] },
};
const specMarks = (model: string) => (SMALL[model] ? { functional: (SMALL[model] as { functional?: string[] }).functional ?? [] } : marks(model));

describe('ptflops at batch N > 1: hooks divided by N, patched functions not, nn.Upsample one sample', () => {
  it.each(Object.keys(truth.batch))('%s: the total to the unit, as ptflops prints it', (model) => {
    const t = truth.batch[model];
    const c = countWith(ptflops, batched(model, t.input), specMarks(model));
    expect(t.ptflops.batch).toBe(t.input[0]);
    expect(c.total).toBe(t.ptflops.total);
    // and the same model at batch 1, by the same route
    expect(countWith(ptflops, batched(model, [1, ...t.input.slice(1)]), specMarks(model)).total).toBe(t.ptflops.batch1);
  });

  it.each(Object.keys(truth.batch))('%s: each module, its hooks over the batch plus its functions', (model) => {
    const t = truth.batch[model];
    const c = countWith(ptflops, batched(model, t.input), specMarks(model));
    const ours = new Set(c.layers.map((l) => l.name));
    // a module torchvision calls several times (a ResNet block's one ReLU) is the zoo's relu1, relu: their sum (as truth.test.ts)
    const module = (k: string) =>
      c.layers.filter((l) => l.name === k || (/[a-z]$/i.test(k) && l.name.startsWith(k) && /^\d+$/.test(l.name.slice(k.length)))).reduce((s, l) => s + l.count, 0);
    const names = new Set([...Object.keys(t.ptflops.hooks), ...Object.keys(t.ptflops.functions)].filter((k) => ours.has(k)));
    expect(names.size).toBeGreaterThan(0);
    // a module and its children the zoo does not name (swin_v2_t's attn.cpb_mlp.*: one layer there), as truth.test.ts
    const charged = (table: Record<string, number>, k: string) =>
      Object.entries(table)
        .filter(([m]) => m === k || (m.startsWith(`${k}.`) && !ours.has(m)))
        .reduce((s, [, v]) => s + v, 0);
    for (const k of names) expect([k, module(k)]).toEqual([k, charged(t.ptflops.hooks, k) / t.ptflops.batch + charged(t.ptflops.functions, k)]);
  });

  it("the families say why: googlenet's F.relu counts all 3 images; resample2d's nn.Upsample hooks one sample's outputs, over 3", () => {
    const g = countWith(ptflops, batched('googlenet', truth.batch.googlenet.input), marks('googlenet'));
    expect(family(g, 'relu').why).toMatch(/A ptflops defect: at batch 3 the patched functions' [\d,]+ are the whole batch's, .* get_flops_pytorch l\. 69-71/);
    const r = countWith(ptflops, batched('resample2d', truth.batch.resample2d.input), specMarks('resample2d'));
    // up1 2·7·7 + up2 2·12·12 + up3 2·24·24 of one sample: 1,538 (the tool's hooks), /3
    expect(family(r, 'resample').why).toContain("counts output[0], one sample's 1,538 outputs, which the division by the batch 3 then makes 512.67");
    expect(Object.values(truth.batch.resample2d.ptflops.hooks).reduce((s, v) => s + v, 0)).toBe(1538);
    // at batch 1 nothing is said
    expect(countWith(ptflops, zoo('googlenet'), marks('googlenet')).byFamily.some((f) => f.why.includes('defect'))).toBe(false);
  });
});

describe("onnx-tool on torchvision's Swin exports", () => {
  it('swin_t: 4,657,784,877 less the 4,883 of shape arithmetic (a view\'s sizes); the mask, q scaling and bias Add as the export writes them', () => {
    const t = truth.swin.swin_t['onnx-tool'];
    expect([t.total, t.shapeArithmetic]).toEqual([4_657_784_877, 4_883]);
    const c = countWith(onnxTool, zoo('swin_t'));
    expect(c.total).toBe(t.total - t.shapeArithmetic);
    // the mask's ops, per image: windows·49² for 1 + 1 + 3 shifted blocks of stages 1-3 (64, 16, 4 windows), Equal twice
    const masks = (64 + 16 + 3 * 4) * 49 * 49;
    const ofType = (op: string) => Object.entries(t.layers).reduce((s, [node, macs]) => (new RegExp(`/${op}(_\\d+)?$`).test(node) ? s + macs : s), 0);
    expect([ofType('Sub'), ofType('Equal'), ofType('Not')]).toEqual([masks, 2 * masks, masks]);
  });

  it('swin_t: every attention module, summed over its ONNX nodes, to the unit', () => {
    const c = countWith(onnxTool, zoo('swin_t'));
    const ours = new Map(c.layers.map((l) => [l.name, l.count]));
    const byModule = new Map<string, number>();
    for (const [node, macs] of Object.entries(truth.swin.swin_t['onnx-tool'].layers)) byModule.set(onnxModule(node), (byModule.get(onnxModule(node)) ?? 0) + macs);
    const attention = [...byModule].filter(([m]) => m.endsWith('.attn'));
    expect(attention).toHaveLength(12);
    for (const [m, macs] of attention) expect([m, ours.get(m)]).toEqual([m, macs]);
  });

  const padded = truth.swin.swin_tiny_pad_op17;
  it('the one-stage padded export (36×44: a 9×11 grid padded to 14×14, the second block shifted), built as the zoo builds Swin: the total to the unit', () => {
    const spec = swin('swin_tiny_pad', { embedDim: 8, depths: [2], heads: [2], window: 7 }, [36, 44], 5);
    const t = padded['onnx-tool'];
    expect(countWith(onnxTool, analysed(spec)).total).toBe(t.total - t.shapeArithmetic);
  });

  it('the same file imported: what the tool counts, but for the nodes convlens folds (shape arithmetic, and the mask: constant for a given input size)', () => {
    const bytes = new Uint8Array(readFileSync(new URL('../fixtures/onnx-math/swin_tiny_pad_op17.onnx', import.meta.url)));
    const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: { image: padded.input } });
    const inference = inferGraph(graph);
    const report = analyzeGraph(graph, DEFAULTS, inference);
    const t = padded['onnx-tool'];
    const folded = new Set(report.totals.folded);
    const foldedMask = Object.entries(t.layers).filter(([node]) => folded.has(node));
    // the mask of the shifted block: Sub, Equal, Not, Equal over 4 windows of 7·7 tokens
    expect(foldedMask.map(([node, macs]) => [node.split('/').pop(), macs])).toEqual(['Sub_3', 'Equal_18', 'Not', 'Equal_19'].map((n) => [n, 4 * 49 * 49]));
    expect(countWith(onnxTool, { inference, report }).total).toBe(t.total - t.shapeArithmetic - foldedMask.reduce((s, [, m]) => s + m, 0));
  });
});
