/**
 * Every preset against what the real tool prints for the same model, to the unit:
 * test/fixtures/conventions/truth.json, written by scripts/convention_truth.py running thop,
 * ptflops (both backends), fvcore, torchinfo, calflops and onnx-tool from their sources on
 * torchvision's models (and a PyTorch U-Net built as the zoo's) at the zoo's resolutions.
 * A module the zoo writes as one layer but torchvision builds with child modules (swin_v2_t's
 * attention holds cpb_mlp.0, .1, .2, which the hooking tools charge apart) is compared with the sum
 * the tool charged it and its children.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS, countWith } from '../../src/conventions/index.js';
import { ZOO_BY_NAME } from '../../src/zoo/index.js';
import { onnxModule, zoo } from './helpers.js';
import { functionalLayers } from './torchvision-source.js';

interface ToolTruth {
  total: number | null;
  error?: string;
  layers: Record<string, number>;
  byOpType?: Record<string, number>;
  shapeArithmetic?: number;
}
type ModelTruth = { resolution: number } & Record<string, ToolTruth>;
const truth = JSON.parse(readFileSync(new URL('../fixtures/conventions/truth.json', import.meta.url), 'utf8')) as {
  torch: string;
  tools: Record<string, { repository: string; commit: string }>;
  models: Record<string, ModelTruth>;
};

const models = Object.keys(truth.models);

/**
 * The models onnx-tool printed nothing for: torch.onnx (1.13) cannot export swin_v2_t (aten::zero), and
 * onnx-tool's shape inference cannot read MViT's export (torch.tensor_split as SequenceEmpty, a node it has
 * no class for); the family whose layers stop it, how many, and what the preset's rule says.
 */
const MVIT_SEQUENCE = { family: 'multiscaleAttention', error: /node \/blocks\.0\/attn\/pool_k\/SequenceEmpty: this Node SequenceEmpty-.* has no value_infer/, layers: 16, why: /^not supported: .*SequenceEmpty/ };
const NO_ONNX_TOOL: Record<string, { family: string; error: RegExp; layers: number; why: RegExp }> = {
  swin_v2_t: { family: 'windowAttentionV2', error: /'aten::zero' to ONNX opset version 17 is not supported/, layers: 12, why: /^not supported: .*aten::zero/ },
  mvit_v1_b: MVIT_SEQUENCE,
  mvit_v2_s: MVIT_SEQUENCE,
};
const torchMajor = Number(truth.torch.split('.')[0]);
const measured = PRESETS.filter((p) => p.name !== 'torchvision');

describe('the truth fixture', () => {
  it('covers every zoo model with a PyTorch twin and every measured preset, with the tool commits the presets cite', () => {
    expect(models.length).toBeGreaterThanOrEqual(19);
    for (const m of models) {
      expect(ZOO_BY_NAME.has(m)).toBe(true);
      for (const p of measured) expect(truth.models[m][p.name], `${m} ${p.name}`).toBeDefined();
    }
    for (const [tool, { commit }] of Object.entries(truth.tools)) {
      const presets = PRESETS.filter((p) => p.source.some((s) => s.includes(truth.tools[tool].repository)));
      expect(presets.length, tool).toBeGreaterThan(0);
      for (const p of presets) expect(p.version, `${p.name} cites ${tool} ${commit}`).toContain(commit.slice(0, 12));
    }
  });
});

describe.each(models)('%s', (model) => {
  const input = zoo(model, truth.models[model].resolution);
  const functional = functionalLayers(model, truth.models[model].resolution);

  it.each(measured.map((p) => [p.name, p] as const))('%s: the total to the unit', (_, preset) => {
    const c = countWith(preset, input, { functional });
    const t = truth.models[model][preset.name];
    if (t.total === null && preset.name === 'onnx-tool') {
      // torch.onnx (1.13) refused to export the model, or onnx-tool could not read the export, so onnx-tool printed
      // nothing: the layers that stop it are listed as not supported, never counted as a silent 0
      const why = NO_ONNX_TOOL[model];
      expect([model, t.error]).toEqual([model, expect.stringMatching(why.error)]);
      const stopped = c.layers.filter((l) => l.family === why.family).map((l) => l.name);
      expect(stopped.length).toBe(why.layers);
      expect(c.unsupported).toEqual(stopped);
      expect(c.byFamily.find((f) => f.family === why.family)).toMatchObject({ count: 0, why: expect.stringMatching(why.why) });
      return;
    }
    if (t.total === null) {
      // the tool itself failed (ptflops' MultiheadAttention hook on torchvision's keyword call): the preset says so
      expect([preset.name, model, t.error]).toEqual(['ptflops', 'vit_b_16', expect.stringMatching(/returned None/)]);
      expect(preset.summary).toMatch(/fails on torchvision's ViT/);
      return;
    }
    // thop registers its nn.MultiheadAttention hook only on torch >= 2.0 (forward hooks with kwargs); the fixture's torch is older
    const noHook = preset.name === 'thop' && torchMajor < 2 ? (c.byFamily.find((f) => f.family === 'attention')?.count ?? 0) : 0;
    // onnx-tool also charges the export's integer shape arithmetic (a view's sizes), which convlens folds: not layers
    expect(c.total - noHook).toBe(t.total - (t.shapeArithmetic ?? 0));
  });

  it.each(measured.filter((p) => p.name !== 'onnx-tool').map((p) => [p.name, p] as const))(
    '%s: every layer named like a leaf module the tool charged, to the unit',
    (_, preset) => {
      const c = countWith(preset, input, { functional });
      // a tool that failed on the model (total null, checked above) charged no layer
      if (truth.models[model][preset.name].total === null) return;
      const tool = truth.models[model][preset.name].layers;
      const ours = new Map(c.layers.map((l) => [l.name, l.count]));
      // a module torchvision calls several times (a ResNet block's one ReLU) is the zoo's relu1, relu2, relu: their sum;
      // a module's forward charges it the functions it calls (MaxViT's attention: torch.einsum, F.softmax), the zoo's
      // layers `module.<name>` it marks functional
      const own = (k: string, name: string) => functional.includes(name) && name.startsWith(`${k}.`) && !name.slice(k.length + 1).includes('.');
      const module = (k: string) =>
        c.layers.filter((l) => l.name === k || own(k, l.name) || (/[a-z]$/i.test(k) && l.name.startsWith(k) && /^\d+$/.test(l.name.slice(k.length)))).reduce((s, l) => s + l.count, 0);
      // what the tool charged a module and its children that the zoo does not name (swin_v2_t's attn.cpb_mlp.*)
      const charged = (k: string) =>
        Object.entries(tool)
          .filter(([m]) => m === k || (m.startsWith(`${k}.`) && !ours.has(m)))
          .reduce((s, [, v]) => s + v, 0);
      const shared = Object.keys(tool).filter((k) => ours.has(k));
      expect(shared.length).toBeGreaterThan(0);
      for (const k of shared) expect([k, module(k)]).toEqual([k, charged(k)]);
      // a zoo layer the tool charged only through its children (thop's and torchinfo's cpb_mlp linears) too; not
      // fvcore's, which books the parent's own aten calls under no module (the script's <functional>): its total only
      if (preset.name !== 'fvcore') for (const l of c.layers) if (!(l.name in tool) && Object.keys(tool).some((m) => m.startsWith(`${l.name}.`) && !ours.has(m))) expect([l.name, module(l.name)]).toEqual([l.name, charged(l.name)]);
      // and a zoo layer named like a leaf module the tool charged nothing counts 0 here
      const leaves = new Set(Object.keys(truth.models[model].thop.layers).concat(Object.keys(tool)));
      for (const l of c.layers) if (leaves.has(l.name) && !(l.name in tool)) expect([l.name, module(l.name)]).toEqual([l.name, 0]);
    },
  );

  it('onnx-tool: every module the zoo names, summed over its ONNX nodes, to the unit', () => {
    // no export, no nodes (checked with the total above)
    if (truth.models[model]['onnx-tool'].total === null) return;
    const c = countWith(PRESETS.find((p) => p.name === 'onnx-tool')!, input, { functional });
    const ours = new Map(c.layers.map((l) => [l.name, l.count]));
    const byModule = new Map<string, number>();
    for (const [node, macs] of Object.entries(truth.models[model]['onnx-tool'].layers)) {
      const m = onnxModule(node);
      byModule.set(m, (byModule.get(m) ?? 0) + macs);
    }
    // a module called twice (ResNet's block ReLU) exports as relu, relu_1, …: not one zoo layer
    const repeated = (m: string) => /_\d+$/.test(m) || byModule.has(`${m}_1`);
    const shared = [...byModule].filter(([m]) => ours.has(m) && !repeated(m));
    expect(shared.length).toBeGreaterThan(0);
    for (const [m, macs] of shared) expect([m, ours.get(m)]).toEqual([m, macs]);
  });
});
