import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { analyzeDeployed, DeployedReportSchema } from '../../src/analysis/deployed.js';
import { inferGraph } from '../../src/analysis/infer.js';
import type { AnalyzeOptions } from '../../src/analysis/report.js';
import { modelSpec } from '../../src/graph/load.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { DEFAULTS } from '../helpers.js';

/** The deployed report of a spec, checked against its schema. */
function deployed(spec: unknown, analyze: Partial<AnalyzeOptions> = {}) {
  const graph = parseNetworkSpec(spec);
  const inference = inferGraph(graph);
  const report = analyzeGraph(graph, { ...DEFAULTS, ...analyze }, inference);
  return { report, d: DeployedReportSchema.parse(analyzeDeployed(graph, inference, report)) };
}

const conv = (name: string, outChannels: number, extra: Record<string, unknown> = {}) => ({ name, op: 'conv2d', outChannels, kernelSize: 3, padding: 1, bias: false, ...extra });

describe('deployed graph: conv → BN → ReLU (hand-computed)', () => {
  // x [1,3,8,8] = 192 el; c [1,4,8,8] = 256 el, weight 4·3·3·3 = 108; BN: γ,β 8 params, μ,σ² 8 buffers and num_batches_tracked
  // (1, which the forward pass does not read)
  const spec = {
    inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
    layers: [conv('c', 4), { name: 'bn', op: 'batchNorm2d' }, { name: 'relu', op: 'relu' }],
  };

  it('one group c+bn+relu; BN folds (bias 4 added), ReLU in the epilogue; memory 1596 → 560 elements', () => {
    const { report, d } = deployed(spec);
    expect(d.groups).toHaveLength(1);
    const g = d.groups[0];
    expect(g).toMatchObject({ host: 'c', layers: ['c', 'bn', 'relu'], fusions: ['foldBatchNorm', 'activation'], output: 'relu', residual: null, biasAdded: true });
    // trained: conv 192 + 256 + 108 = 556; bn 256 + 256 + 16 = 528; relu 256 + 256 = 512
    expect(g.trained.memoryAccess.elements).toEqual({ inputs: 192 + 256 + 256, outputs: 768, weights: 124, total: 1596 });
    // deployed: reads x and the weights + new bias, writes relu's output once
    expect(g.deployed.memoryAccess.elements).toEqual({ inputs: 192, outputs: 256, weights: 112, total: 560 });
    expect(g.deployed.memoryAccess.bytes).toBe(2240);
    expect(g.memoryDrop).toEqual({ bytes: (1596 - 560) * 4, percent: 64.9123 });
    expect([g.trained.params, g.deployed.params]).toEqual([116, 112]);
    expect([g.trained.buffers, g.deployed.buffers]).toEqual([9, 0]);
    expect([g.trained.macs, g.deployed.macs]).toEqual([6912, 6912]);
    // 2macs: 2·6912 + BN 2·256 + ReLU 256 → 2·6912 + 256 (the BN's 512 vanish, ReLU stays)
    expect([g.trained.flops, g.deployed.flops]).toEqual([14592, 14080]);
    expect(g.deployed.flopsByConvention).toEqual({ '2macs': 14080, macs: 6912, exact: (2 * 27 - 1) * 256 + 256 });
    // the whole network is this group
    expect(d.trained.memoryAccess.bytes).toBe(report.totals.memoryAccess.bytes);
    expect(d.deployed).toEqual(g.deployed);
    expect(d.kernels).toEqual({ trained: 3, deployed: 1 });
    expect(d.unfused).toEqual([]);
  });

  it('includeBias: the new bias costs one add per output (256) in 2macs and exact, none in macs', () => {
    const { d } = deployed(spec, { includeBias: true });
    expect(d.groups[0].deployed.flopsByConvention).toEqual({ '2macs': 14080 + 256, macs: 6912, exact: 53 * 256 + 256 + 256 });
  });

  it('a conv with a bias keeps its parameter count when a BN folds in (no bias added)', () => {
    const { d } = deployed({ ...spec, layers: [conv('c', 4, { bias: true }), ...spec.layers.slice(1)] });
    expect(d.groups[0].biasAdded).toBe(false);
    expect([d.groups[0].trained.params, d.groups[0].deployed.params]).toEqual([112 + 8, 112]);
  });

  it('float16 halves every byte figure', () => {
    const { d } = deployed(spec, { dtype: 'float16' });
    expect(d.groups[0].deployed.memoryAccess.bytes).toBe(1120);
    expect(d.memoryDrop.bytes).toBe((1596 - 560) * 2);
  });
});

describe('deployed graph: residual block (hand-computed)', () => {
  // x [1,4,8,8]: every activation 256 el; each conv weight 4·4·9 = 144
  const block = {
    inputs: [{ name: 'x', shape: [1, 4, 8, 8] }],
    layers: [
      conv('c1', 4),
      { name: 'b1', op: 'batchNorm2d' },
      { name: 'r1', op: 'relu' },
      conv('c2', 4),
      { name: 'b2', op: 'batchNorm2d' },
      { name: 'add', op: 'add', inputs: ['b2', 'x'] },
      { name: 'r2', op: 'relu' },
    ],
  };

  it('c1+b1+r1 and c2+b2+add+r2 (x read in the epilogue); drops 4·256+3·4 and 6·256+3·4 elements', () => {
    const { d } = deployed(block);
    expect(d.groups.map((g) => [g.layers, g.fusions, g.residual])).toEqual([
      [['c1', 'b1', 'r1'], ['foldBatchNorm', 'activation'], null],
      [['c2', 'b2', 'add', 'r2'], ['foldBatchNorm', 'residualAdd', 'activation'], 'x'],
    ]);
    const [g1, g2] = d.groups;
    expect(g1.memoryDrop.bytes).toBe((4 * 256 + 3 * 4) * 4);
    // trained c2 656 + b2 528 + add 768 + r2 512 = 2464; deployed 256 + 256 (x) + 256 + 148 = 916
    expect(g2.trained.memoryAccess.elements.total).toBe(2464);
    expect(g2.deployed.memoryAccess.elements).toEqual({ inputs: 512, outputs: 256, weights: 148, total: 916 });
    expect(g2.memoryDrop.bytes).toBe((6 * 256 + 3 * 4) * 4);
    // the add's 256 FLOPs and both ReLUs' stay; both BNs' 2·256 go
    expect(g2.deployed.flops).toBe(2 * 144 * 64 + 256 + 256);
    expect(d.memoryDrop.bytes).toBe(g1.memoryDrop.bytes + g2.memoryDrop.bytes);
    expect(d.deployed.params).toBe(2 * 144 + 2 * 4);
    expect(d.trained.params - d.deployed.params).toBe(2 * 8 - 2 * 4);
    expect(d.kernels).toEqual({ trained: 7, deployed: 2 });
  });

  it('both add operands from conv chains, one conv deep each: the host that runs last (layers run in the order listed, each once its inputs exist) absorbs the add, the other keeps conv+BN', () => {
    const shortcut = [
      { name: 'ds', op: 'conv2d', inputs: ['x'], outChannels: 8, kernelSize: 1, stride: 2, bias: false },
      { name: 'dsbn', op: 'batchNorm2d' },
    ];
    const main = [conv('c', 8, { stride: 2, inputs: ['x'] }), { name: 'bn', op: 'batchNorm2d', inputs: ['c'] }];
    const tail = [{ name: 'add', op: 'add', inputs: ['bn', 'dsbn'] }, { name: 'relu', op: 'relu' }];
    // c listed first runs first: the shortcut's conv, which runs after it, absorbs the add
    const mainFirst = deployed({ inputs: [{ name: 'x', shape: [1, 4, 8, 8] }], layers: [...main, ...shortcut, ...tail] }).d;
    expect(mainFirst.groups.map((g) => [g.layers, g.residual])).toEqual([
      [['c', 'bn'], null],
      [['ds', 'dsbn', 'add', 'relu'], 'bn'],
    ]);
    expect(mainFirst.unfused).toEqual([]);
    const shortcutFirst = deployed({ inputs: [{ name: 'x', shape: [1, 4, 8, 8] }], layers: [...shortcut, ...main, ...tail] }).d;
    expect(shortcutFirst.groups.map((g) => [g.layers, g.residual])).toEqual([
      [['ds', 'dsbn'], null],
      [['c', 'bn', 'add', 'relu'], 'dsbn'],
    ]);
    expect(shortcutFirst.unfused).toEqual([]);
    expect(shortcutFirst.deployed).toEqual(mainFirst.deployed);
  });

  it("ResNet's downsampling block (main path two convs deep, shortcut one): the conv that runs last absorbs the add, the shortcut's in torchvision's order (conv1 … bn2, then downsample), the main path's last when the shortcut is listed first", () => {
    const main = [conv('c1', 8, { stride: 2, inputs: ['x'] }), { name: 'bn1', op: 'batchNorm2d' }, { name: 'r1', op: 'relu' }, conv('c2', 8), { name: 'bn2', op: 'batchNorm2d' }];
    const shortcut = [
      { name: 'ds', op: 'conv2d', inputs: ['x'], outChannels: 8, kernelSize: 1, stride: 2, bias: false },
      { name: 'dsbn', op: 'batchNorm2d' },
    ];
    const tail = [{ name: 'add', op: 'add', inputs: ['bn2', 'dsbn'] }, { name: 'relu', op: 'relu' }];
    const mainFirst = deployed({ inputs: [{ name: 'x', shape: [1, 4, 8, 8] }], layers: [...main, ...shortcut, ...tail] }).d;
    expect(mainFirst.groups.find((g) => g.fusions.includes('residualAdd'))).toMatchObject({ host: 'ds', layers: ['ds', 'dsbn', 'add', 'relu'], residual: 'bn2' });
    expect(mainFirst.unfused).toEqual([]);
    const shortcutFirst = deployed({ inputs: [{ name: 'x', shape: [1, 4, 8, 8] }], layers: [...shortcut, ...main, ...tail] }).d;
    expect(shortcutFirst.groups.find((g) => g.fusions.includes('residualAdd'))).toMatchObject({ host: 'c2', layers: ['c2', 'bn2', 'add', 'relu'], residual: 'dsbn' });
    expect(shortcutFirst.unfused).toEqual([]);
    // the same kernels, parameters and bytes either way: each chain reads its input, one reads the other's output
    expect(shortcutFirst.kernels).toEqual(mainFirst.kernels);
    expect(shortcutFirst.deployed).toEqual(mainFirst.deployed);
  });

  it("an add whose other operand comes later from a branch no chain hosts (an FPN's lateral conv plus a pooled branch two pools deep): the conv takes it all the same", () => {
    const { d } = deployed({
      inputs: [{ name: 'x', shape: [1, 4, 8, 8] }],
      layers: [
        conv('lat', 4, { inputs: ['x'], bias: true }),
        { name: 'p1', op: 'maxPool2d', inputs: ['x'], kernelSize: 3, stride: 1, padding: 1 },
        { name: 'p2', op: 'maxPool2d', kernelSize: 3, stride: 1, padding: 1 },
        { name: 'add', op: 'add', inputs: ['lat', 'p2'] },
        { name: 'relu', op: 'relu' },
      ],
    });
    expect(d.groups.map((g) => [g.layers, g.residual])).toEqual([[['lat', 'add', 'relu'], 'p2']]);
    expect(d.unfused).toEqual([]);
    expect(d.kernels.deployed).toBe(3);
  });
});

describe('deployed graph: only where legal', () => {
  const x = [{ name: 'x', shape: [1, 4, 8, 8] }];

  it('a conv output read twice stays written: its BN and the add do not fuse, with the reason', () => {
    const { d } = deployed({
      inputs: x,
      layers: [conv('c', 4), { name: 'bn', op: 'batchNorm2d' }, { name: 'add', op: 'add', inputs: ['c', 'bn'] }],
    });
    expect(d.groups).toEqual([]);
    expect(d.unfused.map((u) => u.layer)).toEqual(['bn', 'add']);
    expect(d.unfused[0].reason).toMatch(/'c' has other readers \(bn, add\)/);
    expect(d.deployed).toEqual(d.trained);
    expect(d.memoryDrop).toEqual({ bytes: 0, percent: 0 });
  });

  it('a conv output read by 10 relus (fan-out 10): each reason names 8 readers and "2 more", not all 10 (the list grew as the square of the fan-out)', () => {
    const relus = Array.from({ length: 10 }, (_, i) => ({ name: `r${i}`, op: 'relu', inputs: ['c'] }));
    const { d } = deployed({ inputs: x, layers: [conv('c', 4), ...relus] });
    expect(d.unfused.map((u) => u.layer)).toEqual(relus.map((r) => r.name));
    for (const u of d.unfused) expect(u.reason).toBe("'c' has other readers (r0, r1, r2, r3, r4, r5, r6, r7 and 2 more), so it must be written");
  });

  it('a declared graph output is written: conv → BN with outputs [c, bn] does not fold', () => {
    const { d } = deployed({ inputs: x, layers: [conv('c', 4), { name: 'bn', op: 'batchNorm2d' }], outputs: ['c', 'bn'] });
    expect(d.groups).toEqual([]);
    expect(d.unfused[0].reason).toMatch(/'c' is a graph output/);
  });

  it('a BN with batch statistics (trackRunningStats false) does not fold; the ReLU after it does not fuse either', () => {
    const { d } = deployed({ inputs: x, layers: [conv('c', 4), { name: 'bn', op: 'batchNorm2d', trackRunningStats: false }, { name: 'relu', op: 'relu' }] });
    expect(d.groups).toEqual([]);
    expect(d.unfused).toEqual([
      { layer: 'bn', op: 'batchNorm2d', reason: expect.stringMatching(/batch statistics/) },
      { layer: 'relu', op: 'relu', reason: expect.stringMatching(/does not read the output of a conv/) },
    ]);
  });

  it('conv → ReLU → BN: the ReLU fuses, the BN after it cannot fold', () => {
    const { d } = deployed({ inputs: x, layers: [conv('c', 4), { name: 'relu', op: 'relu' }, { name: 'bn', op: 'batchNorm2d' }] });
    expect(d.groups.map((g) => g.layers)).toEqual([['c', 'relu']]);
    expect(d.groups[0].biasAdded).toBe(false);
    expect(d.unfused).toEqual([{ layer: 'bn', op: 'batchNorm2d', reason: expect.stringMatching(/follows an activation/) }]);
  });

  it('an add that broadcasts (a 1×1 gate) and a softmax (not point-wise) stay apart', () => {
    const { d } = deployed({
      inputs: x,
      layers: [
        { name: 'gap', op: 'globalAvgPool2d' },
        conv('c', 4, { inputs: ['x'] }),
        { name: 'add', op: 'add', inputs: ['c', 'gap'] },
        conv('c2', 4),
        { name: 'sm', op: 'softmax' },
      ],
    });
    expect(d.groups).toEqual([]);
    expect(d.unfused).toEqual([{ layer: 'add', op: 'add', reason: 'it broadcasts an operand' }]);
  });

  it('conv → PReLU with one slope per channel: the epilogue still reads the 4 slopes (deployed weights 144 + 4)', () => {
    const { d } = deployed({ inputs: x, layers: [conv('c', 4), { name: 'p', op: 'prelu', numParameters: 4 }] });
    expect(d.groups.map((g) => g.fusions)).toEqual([['activation']]);
    expect(d.groups[0].deployed.memoryAccess.elements).toEqual({ inputs: 256, outputs: 256, weights: 144 + 4, total: 256 + 256 + 148 });
    expect(d.groups[0].deployed.params).toBe(144 + 4);
  });

  it('conv1d → BN1d folds (channels on dim 1 of [N, C, L]); attention over tokens [N, L, C] keeps its BN (dim 1 is L)', () => {
    const c1 = deployed({ inputs: [{ name: 's', shape: [1, 4, 16] }], layers: [{ name: 'c', op: 'conv1d', outChannels: 4, kernelSize: 3, padding: 1, bias: false }, { name: 'bn', op: 'batchNorm2d' }] });
    expect(c1.d.groups.map((g) => [g.layers, g.biasAdded])).toEqual([[['c', 'bn'], true]]);
    const att = deployed({ inputs: [{ name: 't', shape: [1, 6, 8] }], layers: [{ name: 'a', op: 'multiHeadAttention', numHeads: 2 }, { name: 'bn', op: 'batchNorm2d' }] });
    expect(att.d.groups).toEqual([]);
    expect(att.d.unfused).toEqual([{ layer: 'bn', op: 'batchNorm2d', reason: expect.stringMatching(/are not the output channels of 'a'/) }]);
  });

  it('linear → BN1d folds (channels on dim 1 of a 2-d output); the bias was there already', () => {
    const { d } = deployed({
      inputs: [{ name: 'v', shape: [2, 16] }],
      layers: [{ name: 'fc', op: 'linear', outFeatures: 8 }, { name: 'bn', op: 'batchNorm2d' }],
    });
    expect(d.groups.map((g) => [g.layers, g.biasAdded])).toEqual([[['fc', 'bn'], false]]);
    expect(d.deployed.params).toBe(16 * 8 + 8);
  });
});

describe('deployed graph: resnet18 (torchvision structure, by hand)', () => {
  const graph = parseNetworkSpec(modelSpec('resnet18'));
  const inference = inferGraph(graph);
  const report = analyzeGraph(graph, DEFAULTS, inference);
  const d = DeployedReportSchema.parse(analyzeDeployed(graph, inference, report));

  it('20 conv+BN groups; all 17 ReLUs and 8 adds fused; 69 executed layers become 24 kernels', () => {
    expect(d.groups).toHaveLength(20);
    const count = (k: string) => d.groups.flatMap((g) => g.fusions).filter((f) => f === k).length;
    expect([count('foldBatchNorm'), count('activation'), count('residualAdd')]).toEqual([20, 17, 8]);
    expect(d.groups.every((g) => g.biasAdded)).toBe(true);
    expect(d.unfused).toEqual([]);
    expect(d.kernels).toEqual({ trained: 69, deployed: 24 });
  });

  it('params 11,689,512 → 11,684,712: BN γ,β (2·4800 = 9,600) go, 4,800 conv biases come; buffers 9,620 (with 20 num_batches_tracked) → 0; MACs unchanged', () => {
    // BN channels: stem 64; layer1 4·64; layer2 4·128 + 128; layer3 5·256; layer4 5·512 = 4800
    expect(d.trained.params).toBe(11_689_512);
    expect(d.deployed.params).toBe(11_689_512 - 9_600 + 4_800);
    expect([d.trained.buffers, d.deployed.buffers]).toEqual([9_620, 0]);
    expect(d.deployed.macs).toBe(1_814_073_344);
  });

  it('FLOPs drop by the BNs\' 2 per element: 2·(802,816 + 4·200,704 + 5·100,352 + 5·50,176 + 5·25,088) = 4,967,424', () => {
    expect(d.trained.flops - d.deployed.flops).toBe(4_967_424);
  });

  it('memory access drops by 11,103,296 elements (44,413,184 B): 4·out + 3·C per conv+BN+ReLU, 6·out + 3·C per block end, 2·out + 3·C per shortcut', () => {
    const stem = 4 * 802_816 + 3 * 64;
    const stage = (out: number, c: number, downsample: boolean) =>
      (downsample ? 4 * out + 6 * out + 2 * out + 9 * c : 10 * out + 6 * c) + (10 * out + 6 * c);
    const expected = stem + stage(200_704, 64, false) + stage(100_352, 128, true) + stage(50_176, 256, true) + stage(25_088, 512, true);
    expect(expected).toBe(11_103_296);
    expect(d.trained.memoryAccess.elements.total - d.deployed.memoryAccess.elements.total).toBe(expected);
    expect(d.memoryDrop.bytes).toBe(44_413_184);
    expect(d.memoryDrop.percent).toBeCloseTo((44_413_184 / d.trained.memoryAccess.bytes) * 100, 3);
  });
});
