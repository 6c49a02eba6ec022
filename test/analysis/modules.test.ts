import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { ModuleSummarySchema, flattenModules, moduleSummary, modulePaths, moduleTree, opBreakdown, topLayers } from '../../src/analysis/modules.js';
import type { ModuleNode } from '../../src/analysis/modules.js';
import type { Report } from '../../src/analysis/report.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { resnet18 } from '../../src/zoo/resnet.js';
import { DEFAULTS, analyze, net } from '../helpers.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');
const zoo18 = analyze(resnet18());
const onnx18 = analyzeGraph(importOnnx(readFileSync(path.join(FIXTURES, 'onnx', 'resnet18.onnx')), { inputShapes: { '': [1, 3, 224, 224] } }).graph, DEFAULTS);

const byPath = (modules: readonly ModuleNode[]) => new Map(flattenModules(modules).map((m) => [m.path, m]));
const sumOf = (modules: readonly ModuleNode[], f: (m: ModuleNode) => number | null) => modules.reduce((s, m) => s + (f(m) ?? 0), 0);

describe('modulePaths: names → module paths', () => {
  const joined = (names: string[]) => modulePaths(names).map((p) => p.join('.'));

  it('torchvision names split on dots: layer1.0.conv1 → layer1 › 0 › conv1', () => {
    expect(modulePaths(['layer1.0.conv1', 'fc'])).toEqual([['layer1', '0', 'conv1'], ['fc']]);
  });

  it('a name with no prefix is a top-level module (conv1, Conv_0)', () => {
    expect(joined(['conv1', 'Conv_0'])).toEqual(['conv1', 'Conv_0']);
  });

  it("ONNX scopes repeat the parent's name (layer1 › layer1.0, downsample › downsample.0); a node alone in its scope is that module", () => {
    const names = [
      '/layer1/layer1.0/conv1/Conv',
      '/layer1/layer1.0/Add',
      '/layer2/layer2.0/downsample/downsample.0/Conv',
      '/layer2/layer2.0/downsample/downsample.1/BatchNormalization',
      '/features/features.1/features.1.0/Conv',
    ];
    expect(joined(names)).toEqual(['layer1.0.conv1', 'layer1.0.Add', 'layer2.0.downsample.0', 'layer2.0.downsample.1', 'features.1.0']);
  });

  it('a node beside sub-scopes, or at the root, keeps its label (layer1.0.Add, Flatten)', () => {
    expect(joined(['/conv1/Conv', '/Flatten', '/fc/Gemm'])).toEqual(['conv1', 'Flatten', 'fc']);
  });

  it('two nodes in one scope are two children of the module (fc.MatMul, fc.Add)', () => {
    expect(joined(['/fc/MatMul', '/fc/Add'])).toEqual(['fc.MatMul', 'fc.Add']);
  });

  it('a module named like its parent is nested, not merged (/block/block/Conv → block.block)', () => {
    expect(joined(['/block/block/Conv', '/block/Relu'])).toEqual(['block.block', 'block.Relu']);
  });

  it('the ONNX export of ResNet-18 gives the torchvision paths for every conv and BN', () => {
    const zooPaths = new Set(modulePaths(zoo18.layers.map((l) => l.name)).map((p) => p.join('.')));
    const onnxPaths = modulePaths(onnx18.layers.map((l) => l.name)).map((p) => p.join('.'));
    const weighted = onnxPaths.filter((_, i) => ['conv2d', 'batchNorm2d', 'linear'].includes(onnx18.layers[i].op));
    expect(weighted).toHaveLength(41); // 20 convs, 20 BNs, fc
    for (const p of weighted) expect(zooPaths).toContain(p);
  });
});

describe('moduleTree: ResNet-18 (torchvision zoo)', () => {
  it('depth 1: the top-level modules in execution order', () => {
    const t = moduleTree(zoo18, 1);
    expect(t.modules.map((m) => m.path)).toEqual(['conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool', 'flatten', 'fc']);
    expect(t.modules.every((m) => m.children.length === 0)).toBe(true);
    expect(t.modules.filter((m) => m.truncated).map((m) => m.path)).toEqual(['layer1', 'layer2', 'layer3', 'layer4']);
  });

  it('layer1 by hand: params 4·(3·3·64·64) + 4·2·64 = 147,968, MACs 4·3·3·64·64·56·56 = 462,422,016, 14 layers', () => {
    const l1 = moduleTree(zoo18, 1).modules[4];
    expect(l1).toMatchObject({ path: 'layer1', op: null, layer: null, layers: 14, params: 4 * (3 * 3 * 64 * 64) + 4 * 2 * 64, buffers: 4 * (2 * 64 + 1) });
    expect(l1.params).toBe(147_968);
    expect(l1.macs).toBe(4 * 3 * 3 * 64 * 64 * 56 * 56);
    expect(l1.macs).toBe(462_422_016);
    expect(l1.share.macs).toBeCloseTo((100 * 462_422_016) / 1_814_073_344, 10);
  });

  it('a one-layer module names its op and layer: conv1 = 64·3·7·7 = 9,408 params, fc = 512·1000 + 1000', () => {
    const m = byPath(moduleTree(zoo18, 1).modules);
    expect(m.get('conv1')).toMatchObject({ op: 'conv2d', layer: 'conv1', layers: 1, params: 9408, macs: 9408 * 112 * 112 });
    expect(m.get('fc')).toMatchObject({ op: 'linear', layer: 'fc', params: 513_000, macs: 512_000 });
  });

  it('the modules add up to the report totals, and their shares to 100 %, at depths 1 and 2', () => {
    for (const depth of [1, 2]) {
      const t = moduleTree(zoo18, depth);
      const t0 = zoo18.totals;
      expect(t.totals).toEqual({ layers: t0.layers, params: t0.params, buffers: t0.buffers, macs: t0.macs, flops: t0.flops, memoryBytes: t0.memoryAccess.bytes });
      const top = t.modules;
      expect(sumOf(top, (m) => m.params)).toBe(11_689_512);
      expect(sumOf(top, (m) => m.macs)).toBe(1_814_073_344);
      expect(sumOf(top, (m) => m.layers)).toBe(t0.layers);
      for (const k of ['params', 'macs', 'flops', 'memoryBytes'] as const) expect(sumOf(top, (m) => m.share[k])).toBeCloseTo(100, 9);
    }
  });

  it('depth 2: each stage splits into its blocks, summed; layer2.0 with its downsample by hand', () => {
    const m = byPath(moduleTree(zoo18, 2).modules);
    expect(m.get('layer2')!.children.map((c) => c.path)).toEqual(['layer2.0', 'layer2.1']);
    // conv1 3·3·64·128 + conv2 3·3·128·128 + downsample 1·1·64·128, three BNs of 2·128
    expect(m.get('layer2.0')).toMatchObject({ depth: 2, layers: 9, params: 73_728 + 147_456 + 8_192 + 3 * 256, macs: (73_728 + 147_456 + 8_192) * 28 * 28, truncated: true });
    expect(m.get('layer2.1')).toMatchObject({ layers: 7, params: 2 * 147_456 + 2 * 256 });
    expect(m.get('layer2')!.params).toBe(m.get('layer2.0')!.params + m.get('layer2.1')!.params);
    expect(m.has('layer2.0.conv1')).toBe(false);
    const children = m.get('layer3')!.children;
    for (const k of ['params', 'macs', 'flops', 'memoryBytes'] as const) expect(sumOf(children, (c) => c[k])).toBe(m.get('layer3')![k]);
  });

  it('depth 3 reaches the layers and the downsample group (2 layers); depth 0 lists nothing', () => {
    const m = byPath(moduleTree(zoo18, 3).modules);
    expect(m.get('layer2.0.downsample')).toMatchObject({ layers: 2, params: 8192 + 256, op: null, truncated: true });
    expect(m.get('layer2.0.conv1')).toMatchObject({ op: 'conv2d', params: 73_728, truncated: false, children: [] });
    expect(moduleTree(zoo18, 4).modules.length).toBe(11);
    expect(byPath(moduleTree(zoo18, 4).modules).get('layer2.0.downsample.0')).toMatchObject({ params: 8192 });
    expect(moduleTree(zoo18, 0).modules).toEqual([]);
  });

  it('the ONNX export gives the same tree at depths 1 and 2 (its flatten is /Flatten; its pooling GlobalAveragePool)', () => {
    for (const depth of [1, 2]) {
      const strip = (m: ModuleNode) => ({ path: m.path === 'Flatten' ? 'flatten' : m.path, layers: m.layers, params: m.params, buffers: m.buffers, macs: m.macs, flops: m.flops, memoryBytes: m.memoryBytes });
      const z = flattenModules(moduleTree(zoo18, depth).modules).map(strip);
      const o = flattenModules(moduleTree(onnx18, depth).modules).map(strip);
      // but the buffers: the file has no num_batches_tracked, one per batch norm under the module in the zoo's
      // (bn1; layer1 2 blocks × 2; layer2–4 2 × 2 and the downsample's): 20 in all
      const fewer = z.map((m, i) => m.buffers - o[i].buffers);
      if (depth === 1) expect(fewer).toEqual([0, 1, 0, 0, 4, 5, 5, 5, 0, 0, 0]);
      expect(fewer.filter((_, i) => depth === 1 || z[i].path.includes('.') || z[i].path === 'bn1').reduce((s, x) => s + x, 0)).toBe(20);
      expect(o.map((m) => ({ ...m, buffers: 0 }))).toEqual(z.map((m) => ({ ...m, buffers: 0 })));
    }
    expect(moduleTree(onnx18, 1).modules.map((m) => m.layer)).toEqual([
      '/conv1/Conv', '/bn1/BatchNormalization', '/relu/Relu', '/maxpool/MaxPool', null, null, null, null, '/avgpool/GlobalAveragePool', '/Flatten', '/fc/Gemm',
    ]);
  });

  it('a layer no output depends on keeps its params in its module but not its MACs (as the totals)', () => {
    const spec = {
      ...net([1, 3, 8, 8], { name: 'body.conv', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 }, { name: 'aux.fc', op: 'conv2d', outChannels: 2, kernelSize: 1, inputs: ['body.conv'] }),
      outputs: ['body.conv'],
    };
    const r = analyze(spec);
    const m = byPath(moduleTree(r, 1).modules);
    expect(m.get('aux')).toMatchObject({ params: 4 * 2 + 2, macs: 0, flops: 0, memoryBytes: 0 });
    expect(m.get('body')).toMatchObject({ params: 3 * 9 * 4 + 4, macs: 3 * 9 * 4 * 64 });
    expect(m.get('aux')!.share.params! + m.get('body')!.share.params!).toBeCloseTo(100, 10);
    expect(m.get('body')!.share.macs).toBe(100);
  });

  it('shares are null when the whole is 0 (a network without MACs)', () => {
    const r = analyze(net([1, 3, 8, 8], { op: 'relu' }));
    expect(moduleTree(r, 1).modules[0].share).toMatchObject({ params: null, macs: null });
  });
});

describe('topLayers and opBreakdown: ResNet-18', () => {
  it('top 3 by MACs: conv1 (118,013,952), then the first two 3×3 convs of layer1 (115,605,504 each, execution order)', () => {
    const t = topLayers(zoo18, 3);
    expect(t.macs.map((l) => [l.name, l.value])).toEqual([
      ['conv1', 118_013_952],
      ['layer1.0.conv1', 115_605_504],
      ['layer1.0.conv2', 115_605_504],
    ]);
    expect(t.macs[0].share).toBeCloseTo((100 * 118_013_952) / 1_814_073_344, 10);
    expect(t.params.map((l) => [l.name, l.value])).toEqual([
      ['layer4.0.conv2', 3 * 3 * 512 * 512],
      ['layer4.1.conv1', 3 * 3 * 512 * 512],
      ['layer4.1.conv2', 3 * 3 * 512 * 512],
    ]);
    expect(t.memoryBytes[0]).toMatchObject({ name: 'layer4.0.conv2', value: 4 * (512 * 7 * 7 * 2 + 3 * 3 * 512 * 512), path: 'layer4.0.conv2' });
  });

  it('layers worth 0 are left out: 21 layers have MACs (20 convs and fc)', () => {
    expect(topLayers(zoo18, 100).macs).toHaveLength(21);
    expect(topLayers(zoo18, 0).macs).toEqual([]);
  });

  it('by op type: conv2d 20 layers with every MAC but fc\'s, then linear; counts add up to 69', () => {
    const ops = opBreakdown(zoo18);
    expect(ops.slice(0, 2).map((o) => [o.op, o.count, o.params, o.macs])).toEqual([
      ['conv2d', 20, 11_689_512 - 513_000 - 9_600, 1_814_073_344 - 512_000],
      ['linear', 1, 513_000, 512_000],
    ]);
    expect(ops.find((o) => o.op === 'batchNorm2d')).toMatchObject({ count: 20, params: 9_600, buffers: 9_600 + 20, macs: 0 });
    expect(ops.reduce((s, o) => s + o.count, 0)).toBe(69);
    for (const k of ['params', 'macs', 'flops', 'memoryBytes'] as const) expect(ops.reduce((s, o) => s + (o.share[k] ?? 0), 0)).toBeCloseTo(100, 9);
  });

  it('moduleSummary validates its options and bundles the three', () => {
    const s = moduleSummary(zoo18, { depth: 1, topK: 2 });
    expect(s.tree.depth).toBe(1);
    expect(s.top.params).toHaveLength(2);
    expect(s.ops[0].op).toBe('conv2d');
    expect(moduleSummary(zoo18).tree.depth).toBe(3);
    expect(() => moduleSummary(zoo18, { depth: -1 })).toThrow();
    expect(() => moduleSummary({ ...zoo18 } as Report, { depth: 1.5 })).toThrow();
  });

  it('its schema validates what it returns and publishes as JSON Schema (the tree recursive through $defs)', () => {
    const s = moduleSummary(zoo18, { depth: 2 });
    expect(ModuleSummarySchema.parse(s)).toEqual(s);
    expect(() => ModuleSummarySchema.parse({ ...s, tree: { ...s.tree, modules: [{ ...s.tree.modules[0], children: [{}] }] } })).toThrow();
    const json = JSON.stringify(z.toJSONSchema(ModuleSummarySchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }));
    expect(json).toContain('"truncated"');
    expect(json).toContain('$ref');
  });
});

describe('a constant too large to fold (CONSTANT_LAYERS_NOT_COUNTED) counts in no module, as in the totals', () => {
  // the one-stage padded Swin of test/fixtures/onnx-math with maxFolded 0: its shifted-window mask is
  // built node by node (6 layers of 4·49² FLOPs and more), listed with its figures, left out of the totals
  const dir = path.join(FIXTURES, 'onnx-math');
  const { graph } = importOnnx(readFileSync(path.join(dir, 'swin_tiny_pad_op17.onnx')));
  const r = analyzeGraph(graph, DEFAULTS, inferGraph(graph, { maxFolded: 0 }));
  const mask = (r.warnings.find((w) => w.code === 'CONSTANT_LAYERS_NOT_COUNTED')?.layers ?? []) as string[];

  it("the tree's totals, its top-level modules and the op breakdown add up to the report's totals", () => {
    expect(mask.length).toBeGreaterThanOrEqual(6);
    const t = r.totals;
    const tree = moduleTree(r, 1);
    expect([tree.totals.macs, tree.totals.flops, tree.totals.memoryBytes]).toEqual([t.macs, t.flops, t.memoryAccess.bytes]);
    expect([sumOf(tree.modules, (m) => m.flops), sumOf(tree.modules, (m) => m.memoryBytes)]).toEqual([t.flops, t.memoryAccess.bytes]);
    const ops = opBreakdown(r);
    expect([ops.reduce((s, o) => s + o.flops, 0), ops.reduce((s, o) => s + o.memoryBytes, 0)]).toEqual([t.flops, t.memoryAccess.bytes]);
  });

  it('no mask layer is among the costliest', () => {
    const top = topLayers(r, 1000);
    expect([...top.flops, ...top.memoryBytes].filter((row) => mask.includes(row.name))).toEqual([]);
  });
});
