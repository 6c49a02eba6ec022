import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { ComparisonSchema, MAX_ALIGNMENT_CELLS, align, compareReports, delta, evaluateGates, parseGates, parseThreshold } from '../../src/analysis/compare.js';
import type { Comparison } from '../../src/analysis/compare.js';
import type { LayerReport, Report } from '../../src/analysis/report.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { resnet18, resnet34 } from '../../src/zoo/resnet.js';
import { DEFAULTS, analyze, errorOf, net } from '../helpers.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');
const truth = JSON.parse(readFileSync(path.join(FIXTURES, 'torchvision', 'truth.json'), 'utf8')).models;
const r18 = analyze(resnet18());
const r34 = analyze(resnet34());
const onnx18 = analyzeGraph(importOnnx(readFileSync(path.join(FIXTURES, 'onnx', 'resnet18.onnx')), { inputShapes: { '': [1, 3, 224, 224] } }).graph, DEFAULTS);
const total = (c: Comparison, metric: string) => c.totals.find((t) => t.metric === metric);
/** A spec with its names rewritten (layer names and the references to them). */
const renamed = (spec: unknown, from: string, to: string) => JSON.parse(JSON.stringify(spec).replaceAll(`"${from}`, `"${to}`));

describe('compare ResNet-18 → ResNet-34 (torchvision zoo)', () => {
  const cmp = compareReports(r18, r34);

  it('totals: params 21,797,672 − 11,689,512 and MACs 3,663,761,408 − 1,814,073,344 as torchvision counts them (truth.json)', () => {
    expect([truth.resnet18.params, truth.resnet34.params, truth.resnet18.macs, truth.resnet34.macs]).toEqual([11_689_512, 21_797_672, 1_814_073_344, 3_663_761_408]);
    expect(total(cmp, 'params')).toEqual({ metric: 'params', before: 11_689_512, after: 21_797_672, delta: 10_108_160, percent: (100 * 10_108_160) / 11_689_512 });
    expect(total(cmp, 'macs')).toMatchObject({ before: 1_814_073_344, after: 3_663_761_408, delta: 1_849_688_064 });
    expect(total(cmp, 'macs')!.percent).toBeCloseTo(101.963, 3);
    // 8 more blocks of two 3×3 convs: depth 18 → 34, 7 layers each, BN buffers 2·C + 1 per BN (running mean, var; num_batches_tracked)
    expect(total(cmp, 'depth')).toMatchObject({ before: 18, after: 34, delta: 16 });
    expect(total(cmp, 'layers')).toMatchObject({ before: 69, after: 125, delta: 56 });
    expect(total(cmp, 'buffers')!.delta).toBe(2 * (2 * 64 + 2 * 2 * 128 + 4 * 2 * 256 + 2 * 512) + 16);
    expect(cmp.totals.map((t) => t.metric)).toEqual(['params', 'buffers', 'macs', 'flops', 'memoryBytes', 'layers', 'depth']);
    expect(cmp.complete).toBe(true);
    expect(cmp.conventionsDiffer).toEqual([]);
    expect(ComparisonSchema.parse(cmp)).toEqual(cmp);
  });

  it('added: exactly blocks layer1.2, layer2.2, layer2.3, layer3.2–layer3.5 and layer4.2, 7 layers each; nothing removed', () => {
    const blocks = ['layer1.2', 'layer2.2', 'layer2.3', 'layer3.2', 'layer3.3', 'layer3.4', 'layer3.5', 'layer4.2'];
    const parts = ['conv1', 'bn1', 'relu1', 'conv2', 'bn2', 'add', 'relu'];
    expect(cmp.layers.added.map((l) => l.name)).toEqual(blocks.flatMap((b) => parts.map((p) => `${b}.${p}`)));
    expect(cmp.layers.removed).toEqual([]);
    // params per added block 2·(3·3·C·C) + 2·2·C; MACs 2·(3·3·C·C·H·W) = 2·115,605,504 at every stage
    const blockParams = (c: number) => 2 * 9 * c * c + 4 * c;
    const added = cmp.layers.added.reduce((s, l) => s + l.params, 0);
    expect(added).toBe(blockParams(64) + 2 * blockParams(128) + 4 * blockParams(256) + blockParams(512));
    expect(added).toBe(10_108_160);
    expect(cmp.layers.added.reduce((s, l) => s + l.macs, 0)).toBe(8 * 2 * 115_605_504);
  });

  it('every ResNet-18 layer matches its namesake, unchanged', () => {
    expect(cmp.layers.matched).toHaveLength(69);
    expect(cmp.layers.matched.every((d) => d.matchedBy === 'name' && d.before === d.after && !d.changed)).toBe(true);
    expect(cmp.layers.matched.find((d) => d.after === 'layer3.1.conv2')).toMatchObject({ params: { before: 589_824, after: 589_824, delta: 0, percent: 0 }, outputShape: { before: [1, 256, 14, 14], after: [1, 256, 14, 14] } });
  });

  it('the other way round, the same blocks are removed', () => {
    const back = compareReports(r34, r18);
    expect(back.layers.removed.map((l) => l.name)).toEqual(cmp.layers.added.map((l) => l.name));
    expect(back.layers.added).toEqual([]);
    expect(total(back, 'params')).toMatchObject({ delta: -10_108_160 });
  });
});

describe('matching renamed layers', () => {
  it('layer4.* renamed stage4.*, fc renamed head: matched by position in order, unchanged', () => {
    const after = analyze(renamed(renamed(resnet18(), 'layer4.', 'stage4.'), 'fc"', 'head"'));
    const c = compareReports(r18, after);
    expect(c.layers.added).toEqual([]);
    expect(c.layers.removed).toEqual([]);
    const moved = c.layers.matched.filter((d) => d.matchedBy !== 'name');
    expect(moved.map((d) => [d.before, d.after])).toEqual(r18.layers.filter((l) => l.name.startsWith('layer4.') || l.name === 'fc').map((l) => [l.name, l.name.replace('layer4.', 'stage4.').replace(/^fc$/, 'head')]));
    expect(moved.every((d) => d.matchedBy === 'position' && !d.changed)).toBe(true);
  });

  it('a renamed and resized classifier is one changed layer: 512·10 + 10 params instead of 513,000', () => {
    const spec = renamed(resnet18(), 'fc"', 'classifier"') as { layers: { name: string; outFeatures?: number }[] };
    spec.layers.find((l) => l.name === 'classifier')!.outFeatures = 10;
    const d = compareReports(r18, analyze(spec)).layers.matched.find((x) => x.after === 'classifier');
    expect(d).toMatchObject({ before: 'fc', matchedBy: 'position', changed: true, params: { before: 513_000, after: 5_130, delta: 5_130 - 513_000 }, outputShape: { before: [1, 1000], after: [1, 10] } });
  });

  it('the ONNX export of ResNet-18 against the zoo: every layer paired (by module path, relus and adds by position), nothing added or removed', () => {
    const c = compareReports(r18, onnx18);
    expect(c.layers.added).toEqual([]);
    expect(c.layers.removed).toEqual([]);
    const pair = (after: string) => c.layers.matched.find((d) => d.after === after);
    expect(pair('/layer2/layer2.0/downsample/downsample.0/Conv')).toMatchObject({ before: 'layer2.0.downsample.0', matchedBy: 'path', changed: false });
    // torchvision calls one ReLU module twice per block (relu, relu_1 in the export); the zoo names them relu1 and relu
    expect(pair('/layer1/layer1.0/relu/Relu')).toMatchObject({ before: 'layer1.0.relu1', matchedBy: 'position' });
    expect(pair('/layer1/layer1.0/relu_1/Relu')).toMatchObject({ before: 'layer1.0.relu', matchedBy: 'position' });
    expect(pair('/layer1/layer1.0/Add')).toMatchObject({ before: 'layer1.0.add', matchedBy: 'position' });
    expect(pair('/Flatten')).toMatchObject({ before: 'flatten', matchedBy: 'position' });
    // the same pooling under another op name: one changed layer, same numbers
    expect(c.layers.matched.filter((d) => d.changed)).toEqual([expect.objectContaining({ before: 'avgpool', after: '/avgpool/GlobalAveragePool', matchedBy: 'path', op: { before: 'adaptiveAvgPool2d', after: 'globalAvgPool2d' } })]);
    // but the buffers: the file has no num_batches_tracked, one per batch norm (20) in the zoo's
    expect(c.totals.filter((t) => t.delta !== 0)).toEqual([expect.objectContaining({ metric: 'buffers', delta: -20 })]);
  });

  it('align: the longest in-order pairing by op; ties go to the earliest layers', () => {
    // ops [conv, relu] against [conv, conv, relu]: two pairs; neither after-conv is alike a (3→8, 3×3: 224 params)
    const before = analyze(net([1, 3, 8, 8], { name: 'a', op: 'conv2d', outChannels: 8, kernelSize: 3 }, { name: 'b', op: 'relu' }));
    const after = analyze(net([1, 3, 8, 8], { name: 'p', op: 'conv2d', outChannels: 4, kernelSize: 3 }, { name: 'q', op: 'conv2d', outChannels: 8, kernelSize: 3 }, { name: 'r', op: 'relu' }));
    expect(align(before.layers, after.layers, (l) => l.op)).toEqual([
      [0, 0],
      [1, 2],
    ]);
    const c = compareReports(before, after);
    expect(c.layers.matched.map((d) => [d.before, d.after, d.matchedBy])).toEqual([
      ['a', 'p', 'position'],
      ['b', 'r', 'position'],
    ]);
    expect(c.layers.added.map((l) => l.name)).toEqual(['q']);
    // pairs never cross: [relu, conv] against [conv, relu] pairs one of them only
    const flipped = analyze(net([1, 3, 8, 8], { name: 'c', op: 'relu' }, { name: 'd', op: 'conv2d', outChannels: 8, kernelSize: 3 }));
    expect(align(flipped.layers, before.layers, (l) => l.op)).toHaveLength(1);
  });

  it('above MAX_ALIGNMENT_CELLS the k-th layer of each op pairs with the k-th (2100 × 2100 layers)', () => {
    const n = 2100;
    expect(n * n).toBeGreaterThan(MAX_ALIGNMENT_CELLS);
    const layers = (first: string, second: string) => Array.from({ length: n }, (_, i) => ({ name: `l${i}`, op: i % 2 ? second : first, params: 0, outputShape: [1] }) as unknown as LayerReport);
    const pairs = align(layers('relu', 'conv2d'), layers('conv2d', 'relu'), (l) => l.op);
    // every layer paired (an in-order alignment would pair n − 1), relu 0 with relu 1, conv 1 with conv 0
    expect(pairs).toHaveLength(n);
    expect(pairs.slice(0, 2)).toEqual([
      [0, 1],
      [1, 0],
    ]);
    // n relus against n/2 (every other layer): the k-th relu of a takes b's k-th, at 2k; the rest stay unpaired
    const some = align(layers('relu', 'relu'), layers('relu', 'conv2d'), (l) => l.op);
    expect(some).toHaveLength(n / 2);
    expect(some.every(([i, j]) => j === 2 * i)).toBe(true);
  });

  it('among in-order pairings of equal length, the one with more alike layers wins', () => {
    // before: one 1×1 conv 4→4 (20 params); after: a 3×3 conv 4→4 (148), then the same 1×1 conv: it is alike
    const before = analyze(net([1, 4, 8, 8], { name: 'only', op: 'conv2d', outChannels: 4, kernelSize: 1 }));
    const after = analyze(net([1, 4, 8, 8], { name: 'wide', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 }, { name: 'same', op: 'conv2d', outChannels: 4, kernelSize: 1 }));
    const c = compareReports(before, after);
    expect(c.layers.matched.map((d) => [d.before, d.after, d.changed])).toEqual([['only', 'same', false]]);
    expect(c.layers.added.map((l) => l.name)).toEqual(['wide']);
  });
});

describe('deltas and conventions', () => {
  it('percent is relative to before; 0 when both are 0; null for an increase from 0', () => {
    expect(delta(200, 210)).toEqual({ before: 200, after: 210, delta: 10, percent: 5 });
    expect(delta(0, 0).percent).toBe(0);
    expect(delta(0, 5).percent).toBeNull();
    expect(delta(10, 0).percent).toBe(-100);
  });

  it('reports counted under different conventions are flagged', () => {
    const c = compareReports(r18, analyze(resnet18(), { flops: 'macs', dtype: 'float16' }));
    expect(c.conventionsDiffer).toEqual(['flops: 2macs → macs', 'dtype: float32 → float16']);
  });

  it('peak memory and latency are compared when both sides give them', () => {
    const c = compareReports(r18, r34, { before: { peakMemoryBytes: 1000, latencySeconds: 0.002 }, after: { peakMemoryBytes: 1500 } });
    expect(total(c, 'peakMemoryBytes')).toEqual({ metric: 'peakMemoryBytes', before: 1000, after: 1500, delta: 500, percent: 50 });
    expect(total(c, 'latencySeconds')).toBeUndefined();
    expect(() => compareReports(r18, r34, { before: { peakMemoryBytes: -1 } })).toThrow();
  });
});

describe('gates', () => {
  const cmp = compareReports(r18, r34);
  const gate = (limits: Parameters<typeof parseGates>[0], c = cmp, allowIncomplete = false) => evaluateGates(c, parseGates(limits), { allowIncomplete });

  it('thresholds: 5% is a percentage, 0 and 1e6 absolute; a sign and spaces are fine; anything else is INVALID_OPTION at its path', () => {
    expect(parseThreshold('5%')).toEqual({ value: 5, unit: 'percent' });
    expect(parseThreshold(' +2.5 % ')).toEqual({ value: 2.5, unit: 'percent' });
    expect(parseThreshold('0')).toEqual({ value: 0, unit: 'absolute' });
    expect(parseThreshold('1e6')).toEqual({ value: 1e6, unit: 'absolute' });
    expect(parseThreshold('-10%')).toEqual({ value: -10, unit: 'percent' });
    for (const bad of ['', '5%%', 'five', '5 MB', '%']) expect(errorOf(() => parseThreshold(bad, '$.gates.macs')).code).toBe('INVALID_OPTION');
    expect(errorOf(() => parseGates({ params: 'x' }, '$.gates')).details).toMatchObject({ path: '$.gates.params' });
  });

  it('1e400 and -1e400% (written as numbers, read as ±Infinity) are INVALID_OPTION saying the limit is past the largest number', () => {
    for (const text of ['1e400', '-1e400%']) {
      const e = errorOf(() => parseThreshold(text, '$.gates.macs'));
      expect(e.message).toBe(`'${text}' is past the largest number (about 1.8e308): write a finite increase limit`);
      expect(e.details).toMatchObject({ path: '$.gates.macs' });
    }
  });

  it('-101% can never pass (a count falls by 100 % at most): INVALID_OPTION at its path; -100% (down to 0) is a limit', () => {
    const e = errorOf(() => parseThreshold('-101%', '$.gates.macs'));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toBe("'-101%' can never pass: a count or size falls by 100 % at most (-100% asks for 0)");
    expect(e.details).toMatchObject({ path: '$.gates.macs' });
    expect(parseThreshold('-100%')).toEqual({ value: -100, unit: 'percent' });
    expect(parseThreshold('-101')).toEqual({ value: -101, unit: 'absolute' });
  });

  it('a negative limit asks for a decrease: ResNet-34 → 18 (MACs −50.49 %) passes -50% and fails -51%', () => {
    const back = compareReports(r34, r18);
    expect(gate({ macs: '-50%' }, back).passed).toBe(true);
    expect(gate({ macs: '-51%' }, back).passed).toBe(false);
  });

  it('ResNet-18 → 34: MACs +101.96 % fails --max-macs-increase 5% and passes 102%; params fail --max-params-increase 0', () => {
    const v = gate({ macs: '5%', params: '0' });
    expect(v.passed).toBe(false);
    expect(v.results.map((r) => [r.flag, r.threshold, r.status])).toEqual([
      ['--max-params-increase', '0', 'fail'],
      ['--max-macs-increase', '5%', 'fail'],
    ]);
    expect(v.failures[1]).toBe('MACs 1,814,073,344 → 3,663,761,408 (+1,849,688,064, +101.96%) exceeds --max-macs-increase 5%');
    expect(gate({ macs: '102%' }).passed).toBe(true);
    expect(gate({ macs: '101.9%' }).passed).toBe(false);
  });

  it('a gate is named as its surface gave it (givenAs, in the result and its message): REST\'s $.gates.macs, GraphQL\'s $.gates[0].maxIncrease; flag stays the CLI flag; without a name, the CLI flag', () => {
    const rest = evaluateGates(cmp, parseGates({ macs: '5%' }, '$.gates'));
    expect(rest.results[0]).toMatchObject({ metric: 'macs', givenAs: '$.gates.macs', flag: '--max-macs-increase', status: 'fail' });
    expect(rest.failures[0]).toBe('MACs 1,814,073,344 → 3,663,761,408 (+1,849,688,064, +101.96%) exceeds $.gates.macs 5%');
    const graphql = evaluateGates(cmp, [{ metric: 'params', maxIncrease: parseThreshold('0'), givenAs: '$.gates[0].maxIncrease' }]);
    expect(graphql.failures[0]).toBe('params 11,689,512 → 21,797,672 (+10,108,160, +86.47%) exceeds $.gates[0].maxIncrease 0');
    const unnamed = gate({ macs: '5%' });
    expect([unnamed.results[0].givenAs, unnamed.results[0].flag]).toEqual(['--max-macs-increase', '--max-macs-increase']);
    // the unknown gate's message names it too
    const unavailable = evaluateGates(cmp, parseGates({ latencySeconds: '5%' }, '$.gates'));
    expect(unavailable.failures[0]).toBe('latency (s): not available on both sides, so $.gates.latencySeconds cannot be checked');
  });

  it('latencies of 3e-12 → 6.1e-12 s read so in the gate message (nine fraction digits made them "0 → 0 (+0, …)")', () => {
    const c = compareReports(r18, r34, { before: { latencySeconds: 3e-12 }, after: { latencySeconds: 6.1e-12 } });
    expect(gate({ latencySeconds: '1%' }, c).failures[0]).toBe('latency (s) 3e-12 → 6.1e-12 (+3.1e-12, +103.33%) exceeds --max-latency-increase 1%');
    // large counts keep their thousands separators
    expect(gate({ macs: '5%' }).failures[0]).toMatch(/^MACs 1,814,073,344 → /);
  });

  it('an absolute limit equal to the increase passes; one below fails; a decrease passes a 0 limit', () => {
    expect(gate({ params: '10108160' }).passed).toBe(true);
    expect(gate({ params: '10108159' }).passed).toBe(false);
    expect(gate({ params: '0', macs: '0%' }, compareReports(r34, r18)).passed).toBe(true);
    expect(gate({ params: '-1' }, compareReports(r18, r18)).passed).toBe(false);
  });

  it('a percentage limit on a metric that was 0 fails on any increase', () => {
    const before = analyze(net([1, 3, 8, 8], { op: 'conv2d', outChannels: 4, kernelSize: 3 }));
    const after = analyze(net([1, 3, 8, 8], { op: 'conv2d', outChannels: 4, kernelSize: 3 }, { op: 'batchNorm2d' }));
    const c = compareReports(before, after);
    expect(total(c, 'buffers')).toMatchObject({ before: 0, after: 9, percent: null });
    expect(gate({ buffers: '1000%' }, c).results[0].status).toBe('fail');
    expect(gate({ buffers: '9' }, c).results[0].status).toBe('pass');
  });

  it('a gate on a metric neither side gives is unknown (unavailable), never a pass', () => {
    const v = gate({ peakMemoryBytes: '10%' });
    expect(v).toMatchObject({ passed: false, results: [{ status: 'unknown', reason: 'unavailable', delta: null }] });
    const given = compareReports(r18, r34, { before: { peakMemoryBytes: 100 }, after: { peakMemoryBytes: 109 } });
    expect(gate({ peakMemoryBytes: '10%' }, given).passed).toBe(true);
  });

  it('an incomplete analysis makes every gate unknown (lower bounds prove nothing) unless allowIncomplete', () => {
    const partial: Report = { ...r34, totals: { ...r34.totals, complete: false } };
    const c = compareReports(r18, partial);
    expect(c.complete).toBe(false);
    expect(gate({ params: '100%' }, c).results[0]).toMatchObject({ status: 'unknown', reason: 'incomplete' });
    expect(gate({ params: '100%' }, c, true).results[0]).toMatchObject({ status: 'pass', reason: null });
    expect(gate({ params: '0' }, c, true).results[0].status).toBe('fail');
  });
});
