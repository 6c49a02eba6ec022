/**
 * Every preset against what its tool prints at batch N > 1: test/fixtures/conventions/batch.json,
 * written by scripts/convention_truth_batch.py running thop, ptflops (both backends, the batch through
 * input_constructor), fvcore, torchinfo, calflops and onnx-tool (the export at that batch) from their
 * sources on torch 1.13. One module per case (the model's child `layer`) at batch 1, 2 and, where a
 * rule could read the batch apart from the other leading axes (nn.Linear and nn.LayerNorm on
 * [N, T, C], nn.MultiheadAttention), 3; and torchvision's resnet18 and mobilenet_v2 at batch 2, every
 * module. The spec is analysed at the fixture's input, [N, …], as a user would give it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS, countWith } from '../../src/conventions/index.js';
import { ZOO_BY_NAME } from '../../src/zoo/index.js';
import { swin } from '../../src/zoo/swin.js';
import { analysed, onnxModule } from './helpers.js';
import { functionalLayers } from './torchvision-source.js';

type Figure = number | { total: number; batch?: number; shapeArithmetic?: number; error?: string };
interface Ptflops {
  total: number;
  batch: number;
  hooks: Record<string, number>;
  functions: Record<string, number>;
}
interface Layered {
  total: number;
  layers: Record<string, number>;
  shapeArithmetic?: number;
}
const truth = JSON.parse(readFileSync(new URL('../fixtures/conventions/batch.json', import.meta.url), 'utf8')) as {
  torch: string;
  tools: Record<string, { repository: string; commit: string }>;
  ops: Record<string, Record<string, { input: number[] } & Record<string, Figure>>>;
  models: Record<string, { input: number[] } & Record<string, Layered | Ptflops>>;
  swin: Record<string, { input: number[] } & Record<string, Layered | Ptflops>>;
};
const torchMajor = Number(truth.torch.split('.')[0]);
const measured = PRESETS.filter((p) => p.name !== 'torchvision');

/** The module of each case as a spec layer named as the PyTorch child, `layer`. */
const LAYER: Record<string, Record<string, unknown>> = {
  conv2d: { op: 'conv2d', outChannels: 4, kernelSize: 3, stride: 2, padding: 1 },
  conv2dNoBias: { op: 'conv2d', outChannels: 4, kernelSize: 3, bias: false },
  conv2dGrouped: { op: 'conv2d', outChannels: 6, kernelSize: 3, groups: 2 },
  conv2dDepthwise: { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1, groups: 4, bias: false },
  convTranspose2d: { op: 'convTranspose2d', outChannels: 3, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1 },
  linear: { op: 'linear', outFeatures: 5 },
  linear3d: { op: 'linear', outFeatures: 5 },
  batchNorm2d: { op: 'batchNorm2d' },
  maxPool2d: { op: 'maxPool2d', kernelSize: 2 },
  avgPool2d: { op: 'avgPool2d', kernelSize: 3, stride: 2, padding: 1 },
  adaptiveAvgPool2d: { op: 'adaptiveAvgPool2d', outputSize: 3 },
  adaptiveAvgPool2dTo1: { op: 'adaptiveAvgPool2d', outputSize: 1 },
  upsampleNearest: { op: 'upsample', mode: 'nearest', scaleFactor: 2 },
  upsampleBilinear: { op: 'upsample', mode: 'bilinear', size: [7, 9] },
  upsampleScaleTuple: { op: 'upsample', mode: 'nearest', scaleFactor: [2, 3] },
  relu: { op: 'relu' },
  reluAdd: { op: 'relu' },
  layerNorm: { op: 'layerNorm', normalizedShape: [6] },
  attention: { op: 'multiHeadAttention', numHeads: 2 },
  attentionTokens: { op: 'multiHeadAttention', numHeads: 2 },
};
function spec(name: string, input: number[]) {
  const layers: Record<string, unknown>[] = [{ name: 'layer', ...LAYER[name] }];
  // relu(x) + x: the `+` in the model's forward
  if (name === 'reluAdd') layers.push({ name: 'sum', op: 'add', inputs: ['layer', 'x'] });
  return { name, inputs: [{ name: 'x', shape: input }], layers };
}
const figure = (f: Figure) => (typeof f === 'number' ? f : f.total - (f.shapeArithmetic ?? 0));
const refusal = (f: Figure) => (typeof f === 'number' ? undefined : f.error);

describe('the fixture', () => {
  it('was measured at the commits the presets cite, each case at batch 1 and 2 (3 where the rule could differ), every tool', () => {
    for (const [tool, { repository, commit }] of Object.entries(truth.tools)) {
      const presets = PRESETS.filter((p) => p.source.some((s) => s.includes(repository)));
      expect(presets.length, tool).toBeGreaterThan(0);
      for (const p of presets) expect(p.version, `${p.name} cites ${tool}`).toContain(commit.slice(0, 12));
    }
    expect(Object.keys(truth.ops).sort()).toEqual(Object.keys(LAYER).sort());
    for (const [name, batches] of Object.entries(truth.ops)) {
      expect([name, Object.keys(batches).slice(0, 2)]).toEqual([name, ['1', '2']]);
      for (const t of Object.values(batches)) for (const p of measured) expect(t[p.name], `${name} ${p.name}`).toBeDefined();
    }
    for (const name of ['linear3d', 'layerNorm', 'attention', 'attentionTokens', 'upsampleScaleTuple']) expect([name, Object.keys(truth.ops[name])]).toEqual([name, ['1', '2', '3']]);
  });
});

const cases = Object.entries(truth.ops).flatMap(([name, batches]) => Object.keys(batches).map((n) => [name, Number(n)] as const));

describe.each(cases)('%s at batch %i', (name, n) => {
  const t = truth.ops[name][String(n)];
  const input = analysed(spec(name, t.input));
  it.each(measured.map((p) => [p.name, p] as const))('%s: the total to the unit', (tool, preset) => {
    const c = countWith(preset, input);
    const error = refusal(t[tool]);
    if (error) {
      // the tool printed nothing (calflops on a per-axis scale tuple whose length is not the batch: tuple ** len(input)):
      // the layer is listed as one the tool cannot count, never a silent figure
      expect([tool, name, error]).toEqual([tool, 'upsampleScaleTuple', expect.stringMatching(/^TypeError: .*l\. 250: flops \* scale_factor\*\*len\(input\)/)]);
      expect([tool, c.unsupported, c.total]).toEqual([tool, ['layer'], 0]);
      return;
    }
    expect(c.unsupported).toEqual([]);
    // thop registers its nn.MultiheadAttention hook only on torch >= 2.0; the fixture's torch is older
    const noHook = tool === 'thop' && torchMajor < 2 ? (c.byFamily.find((f) => f.family === 'attention')?.count ?? 0) : 0;
    // ptflops truncates its printed total (int()); the fixture's is that integer
    expect([tool, c.total - noHook]).toEqual([tool, figure(t[tool])]);
  });
});

describe.each(Object.keys(truth.models))("torchvision's %s at batch 2", (model) => {
  const t = truth.models[model];
  const built = structuredClone(ZOO_BY_NAME.get(model)!.build(t.input[3])) as { inputs: { shape: number[] }[] };
  built.inputs[0].shape = t.input;
  const input = analysed(built);
  const functional = functionalLayers(model, t.input[3]);

  it.each(measured.map((p) => [p.name, p] as const))('%s: the total to the unit', (tool, preset) => {
    const c = countWith(preset, input, { functional });
    const f = t[tool] as Layered & { error?: string };
    if (f.error) {
      // ptflops' MultiheadAttention hook fails on torchvision's ViT (keyword call) and returns None: the preset says so
      if (tool === 'ptflops') return expect([model, f.error, preset.summary]).toEqual(['vit_b_32', expect.stringMatching(/returned None/), expect.stringMatching(/fails on torchvision's ViT/)]);
      // torch.onnx (1.13) cannot export Swin V2's attention (aten::zero): onnx-tool printed nothing, the layers are listed
      expect([tool, model, f.error]).toEqual(['onnx-tool', 'swin_v2_t', expect.stringMatching(/'aten::zero' to ONNX opset version 17 is not supported/)]);
      const stopped = c.layers.filter((l) => l.family === 'windowAttentionV2').map((l) => l.name);
      expect([stopped.length, c.unsupported]).toEqual([12, stopped]);
      return;
    }
    // thop registers its nn.MultiheadAttention hook only on torch >= 2.0; the fixture's torch is older
    const noHook = tool === 'thop' && torchMajor < 2 ? (c.byFamily.find((fam) => fam.family === 'attention')?.count ?? 0) : 0;
    expect([tool, c.total - noHook]).toEqual([tool, figure(f)]);
  });

  // as truth.test.ts compares the batch-1 figures
  it.each(measured.map((p) => [p.name, p] as const))('%s: every module the tool charged, to the unit', (tool, preset) => {
    if ((t[tool] as { error?: string }).error) return;
    const c = countWith(preset, input, { functional });
    const ours = new Map(c.layers.map((l) => [l.name, l.count]));
    // a module torchvision calls several times (a ResNet block's one ReLU) is the zoo's relu1, relu2, relu: their sum;
    // a module's forward charges it the functions it calls (MaxViT's attention), the zoo's layers `module.<name>` marked functional
    const own = (k: string, name: string) => functional.includes(name) && name.startsWith(`${k}.`) && !name.slice(k.length + 1).includes('.');
    const module = (k: string) =>
      c.layers.filter((l) => l.name === k || own(k, l.name) || (/[a-z]$/i.test(k) && l.name.startsWith(k) && /^\d+$/.test(l.name.slice(k.length)))).reduce((s, l) => s + l.count, 0);
    const table: Record<string, number> = {};
    if (tool === 'ptflops') {
      // the module hooks divided by the batch, the patched functions as they are (get_flops_pytorch l. 64-71)
      const p = t.ptflops as Ptflops;
      expect(p.batch).toBe(t.input[0]);
      for (const [k, v] of Object.entries(p.hooks)) table[k] = (table[k] ?? 0) + v / p.batch;
      for (const [k, v] of Object.entries(p.functions)) table[k] = (table[k] ?? 0) + v;
    } else if (tool === 'onnx-tool') {
      const byModule = new Map<string, number>();
      for (const [node, macs] of Object.entries((t[tool] as Layered).layers)) byModule.set(onnxModule(node), (byModule.get(onnxModule(node)) ?? 0) + macs);
      // a module called twice (ResNet's block ReLU) exports as relu, relu_1, …: not one zoo layer
      for (const [m, v] of byModule) if (!/_\d+$/.test(m) && !byModule.has(`${m}_1`)) table[m] = v;
    } else Object.assign(table, (t[tool] as Layered).layers);
    // what the tool charged a module and its children the zoo does not name (swin_v2_t's attn.cpb_mlp.*)
    const charged = (k: string) =>
      Object.entries(table)
        .filter(([m]) => m === k || (tool !== 'onnx-tool' && m.startsWith(`${k}.`) && !ours.has(m)))
        .reduce((s, [, v]) => s + v, 0);
    const shared = Object.keys(table).filter((k) => ours.has(k));
    // onnx-tool's node scopes name fewer of mobilenet_v2's modules as the zoo does (7)
    expect(shared.length).toBeGreaterThan(5);
    for (const k of shared) expect([k, tool === 'onnx-tool' ? ours.get(k) : module(k)]).toEqual([k, charged(k)]);
  });
});

describe.each(Object.keys(truth.swin))('the one-stage padded Swin (36×44: a 9×11 grid padded to 14×14, the second block shifted) at batch %s', (n) => {
  const t = truth.swin[n];
  const spec = swin('swin_tiny_pad', { embedDim: 8, depths: [2], heads: [2], window: 7 }, [36, 44], 5) as { inputs: { shape: number[] }[] };
  spec.inputs[0].shape = t.input;
  const input = analysed(spec);
  it.each(measured.map((p) => [p.name, p] as const))('%s: the total to the unit', (tool, preset) => {
    expect([tool, countWith(preset, input).total]).toEqual([tool, figure(t[tool] as Layered)]);
  });
});

describe('what the tools do with the batch, read off the fixture', () => {
  it("every tool but ptflops counts N times its batch-1 figure, but calflops' F.interpolate: prod(size) whatever N, and a per-axis scale only at N = its length", () => {
    const departs: string[] = [];
    for (const [name, batches] of Object.entries(truth.ops)) {
      for (const tool of measured.map((p) => p.name).filter((p) => p !== 'ptflops')) {
        const one = batches['1'][tool];
        for (const [n, t] of Object.entries(batches)) if (refusal(one) || refusal(t[tool]) || figure(t[tool]) !== Number(n) * figure(one)) departs.push(`${name} ${tool} ${n}`);
      }
    }
    // ptflops-aten: the input projection's bias reaches addmm on contiguous tokens only, and [N, L, E] transposed to
    // (L, N, E) is contiguous (by torch's rule) at N = 1 alone: 8,704 at batch 1, 16,640 = 2·8,320 at batch 2
    expect(departs).toEqual([
      'upsampleBilinear calflops 2',
      ...['calflops', 'calflops-macs'].flatMap((tool) => ['1', '2', '3'].map((n) => `upsampleScaleTuple ${tool} ${n}`)),
      'attentionTokens ptflops-aten 2',
      'attentionTokens ptflops-aten 3',
    ]);
    expect([1, 2, 3].map((n) => figure(truth.ops.attentionTokens[String(n)]['ptflops-aten']))).toEqual([8320 + 16 * 24, 2 * 8320, 3 * 8320]);
    expect(figure(truth.ops.upsampleBilinear['2'].calflops)).toBe(7 * 9);
    expect(figure(truth.ops.upsampleScaleTuple['2'].calflops)).toBe(2 * 2 * 5 * 5);
  });

  it("the padded Swin at batch 2: onnx-tool twice its batch-1 layers less the shifted block's mask, built once per forward (Sub, Equal twice, Not over 4 windows of 49²: 38,416), shape arithmetic 270 both times", () => {
    const [one, two] = [truth.swin['1']['onnx-tool'], truth.swin['2']['onnx-tool']] as Layered[];
    expect([one.shapeArithmetic, two.shapeArithmetic]).toEqual([270, 270]);
    expect(2 * figure(one) - figure(two)).toBe(4 * 4 * 49 * 49);
    for (const tool of ['thop', 'ptflops-aten', 'fvcore', 'torchinfo', 'calflops', 'calflops-macs']) expect([tool, (truth.swin['2'][tool] as Layered).total]).toEqual([tool, 2 * (truth.swin['1'][tool] as Layered).total]);
  });

  it("vit_b_32 at batch 2 (the README): ptflops-aten 8,823,979,472, twice its batch-1 figure less the input projections' bias adds (12 layers, 50 tokens, 3·768), which reach addmm at batch 1 only", () => {
    const one = JSON.parse(readFileSync(new URL('../fixtures/conventions/cases.json', import.meta.url), 'utf8')).onnx.vit_b_32 as Record<string, { total: number }>;
    const two = truth.models.vit_b_32['ptflops-aten'] as Layered;
    expect(two.total).toBe(8_823_979_472);
    expect(2 * one['ptflops-aten'].total - two.total).toBe(2 * 12 * 50 * 3 * 768);
    // fvcore, thop, torchinfo and calflops: twice
    for (const tool of ['fvcore', 'thop', 'torchinfo', 'calflops']) expect([tool, (truth.models.vit_b_32[tool] as Layered).total]).toEqual([tool, 2 * one[tool].total]);
  });

  it('resnet18 at batch 2 (the README): thop 3,648,067,584, onnx-tool 3,791,927,248, twice their batch-1 figures; ptflops 1,828,449,768', () => {
    const r = truth.models.resnet18;
    expect([r.thop.total, r['onnx-tool'].total, r.ptflops.total]).toEqual([3_648_067_584, 3_791_927_248, 1_828_449_768]);
    const one = JSON.parse(readFileSync(new URL('../fixtures/conventions/truth.json', import.meta.url), 'utf8')).models.resnet18 as Record<string, { total: number }>;
    expect([2 * one.thop.total, 2 * one['onnx-tool'].total]).toEqual([r.thop.total, r['onnx-tool'].total]);
  });
});
