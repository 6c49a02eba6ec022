import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { explainReport } from '../../src/conventions/explain.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { NetBuilder, imageInput } from '../../src/zoo/builder.js';
import { DEFAULTS, analyze, errorOf } from '../helpers.js';

// A trunk (conv 3→8, 3×3, pad 1; global pool; linear 8→10) and a training-only head off the
// trunk's map, as Inception-v3's AuxLogits: avg pool 5/3, conv 8→16 5×5, BN, ReLU, global pool,
// linear 16→10. Only the trunk's fc is a declared output. At side s the head's conv sees
// floor((s − 5)/3) + 1 pixels: 2 at s = 8 and 11 (too small for its 5×5), 5 at s = 17.
function auxNet(side: number, head: Record<string, unknown>[] = globalHead) {
  return {
    name: 'aux',
    inputs: [{ name: 'x', shape: [1, 3, side, side] }],
    layers: [
      { name: 'trunk', op: 'conv2d', inputs: ['x'], outChannels: 8, kernelSize: 3, padding: 1 },
      { name: 'gap', op: 'adaptiveAvgPool2d', inputs: ['trunk'], outputSize: 1 },
      { name: 'flat', op: 'flatten', inputs: ['gap'] },
      { name: 'fc', op: 'linear', inputs: ['flat'], outFeatures: 10 },
      { name: 'aux.pool', op: 'avgPool2d', inputs: ['trunk'], kernelSize: 5, stride: 3 },
      { name: 'aux.conv', op: 'conv2d', inputs: ['aux.pool'], outChannels: 16, kernelSize: 5 },
      { name: 'aux.bn', op: 'batchNorm2d', inputs: ['aux.conv'] },
      { name: 'aux.relu', op: 'relu', inputs: ['aux.bn'] },
      ...head,
    ],
    outputs: ['fc'],
  };
}
const globalHead = [
  { name: 'aux.gap', op: 'adaptiveAvgPool2d', inputs: ['aux.relu'], outputSize: 1 },
  { name: 'aux.flat', op: 'flatten', inputs: ['aux.gap'] },
  { name: 'aux.fc', op: 'linear', inputs: ['aux.flat'], outFeatures: 10 },
];
// params by hand: trunk 3·8·9 + 8 = 224, fc 8·10 + 10 = 90; head conv 8·16·25 + 16 = 3,216,
// BN 2·16 = 32 (+ 32 buffers), aux fc 16·10 + 10 = 170. MACs of what runs: trunk 8·8·8·27 at 8×8
// = 13,824, fc 80.
const PARAMS = 224 + 90 + 3216 + 32 + 170;

describe('a layer that does not run at inference, at a size it cannot run at (analysis/stand-in.ts)', () => {
  it('8×8: the head\'s 5×5 conv on 2×2 does not stop the analysis; every parameter counts, the MACs are the trunk\'s', () => {
    const r = analyze(auxNet(8));
    expect(r.totals.params).toBe(PARAMS);
    expect(r.totals.buffers).toBe(33);
    expect(r.totals.macs).toBe(13_824 + 80);
    expect(r.outputs).toEqual([expect.objectContaining({ name: 'fc', shape: [1, 10] })]);
  });

  it('8×8: the conv that failed keeps its real input shape; it and the layers after it have no shapes or costs, only parameters', () => {
    const byName = new Map(analyze(auxNet(8)).layers.map((l) => [l.name, l]));
    expect(byName.get('aux.pool')).toMatchObject({ executed: false, outputShape: [1, 8, 2, 2] });
    expect(byName.get('aux.conv')).toMatchObject({ supported: true, executed: false, inputShapes: [[1, 8, 2, 2]], outputShape: null, params: 3216, macs: 0, receptiveField: null });
    expect(byName.get('aux.bn')).toMatchObject({ inputShapes: [[]], outputShape: null, params: 32, buffers: 33 });
    expect(byName.get('aux.fc')).toMatchObject({ outputShape: null, params: 170, macs: 0 });
  });

  it('8×8: one info warning NOT_RUN_AT_THIS_SIZE names the conv that failed and why', () => {
    const w = analyze(auxNet(8)).warnings.filter((x) => x.code === 'NOT_RUN_AT_THIS_SIZE');
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ severity: 'info', layer: 'aux.conv' });
    expect(w[0].message).toContain('effective kernel 5');
    expect(w[0].message).toContain('input height 2');
  });

  it('17×17: the head fits (5×5 map), so it is analysed as any layer that does not run, with no warning', () => {
    const r = analyze(auxNet(17));
    expect(r.totals.params).toBe(PARAMS);
    expect(r.layers.find((l) => l.name === 'aux.conv')).toMatchObject({ outputShape: [1, 16, 1, 1], macs: 16 * 200 });
    expect(r.warnings.map((w) => w.code)).not.toContain('NOT_RUN_AT_THIS_SIZE');
  });

  it('a head whose linear reads the flattened map (its weights depend on the size): the conv\'s error stands', () => {
    const head = [
      { name: 'aux.flat', op: 'flatten', inputs: ['aux.relu'] },
      { name: 'aux.fc', op: 'linear', inputs: ['aux.flat'], outFeatures: 10 },
    ];
    const e = errorOf(() => analyze(auxNet(8, head)));
    expect([e.code, e.details.layer]).toEqual(['KERNEL_TOO_LARGE', 'aux.conv']);
  });

  it('a head with an error no size can mend (a concat of 16 and 8 channels at different sizes): that error stands', () => {
    const head = [{ name: 'aux.cat', op: 'concat', inputs: ['aux.relu', 'x'] }];
    const e = errorOf(() => analyze(auxNet(8, head)));
    expect(e.details.layer).toBe('aux.conv');
  });

  it('a head joining maps that can never meet (aux.pool 2×2 with the trunk 8×8): their mismatch stands, not hidden by a stand-in of one size for both', () => {
    const spec = auxNet(8, [{ name: 'aux.cat', op: 'concat', inputs: ['aux.pool', 'trunk'] }]);
    spec.layers = spec.layers.filter((l) => !['aux.conv', 'aux.bn', 'aux.relu'].includes(l.name as string));
    const e = errorOf(() => analyze(spec));
    expect([e.code, e.details.layer]).toEqual(['SHAPE_MISMATCH', 'aux.cat']);
  });

  it('the same layers as declared outputs (all run): KERNEL_TOO_LARGE, as before', () => {
    const spec = auxNet(8);
    const e = errorOf(() => analyze({ ...spec, outputs: ['fc', 'aux.fc'] }));
    expect([e.code, e.details.layer]).toEqual(['KERNEL_TOO_LARGE', 'aux.conv']);
  });

  it('a layer that runs and is too small: its error, with no stand-in', () => {
    const e = errorOf(() => analyze({ ...auxNet(8), layers: [{ name: 'trunk', op: 'conv2d', inputs: ['x'], outChannels: 8, kernelSize: 9 }], outputs: ['trunk'] }));
    expect([e.code, e.details.layer]).toEqual(['KERNEL_TOO_LARGE', 'trunk']);
  });

  it('8×8 runs: the trunk\'s output, the head skipped', () => {
    const graph = parseNetworkSpec(auxNet(8));
    const x = tensor([1, 3, 8, 8], Array.from({ length: 192 }, (_, i) => (i % 7) - 3));
    const res = runGraph(graph, { x }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 20 });
    expect(Object.keys(res.outputs)).toEqual(['fc']);
    expect(res.outputs.fc.shape).toEqual([1, 10]);
  });
});

describe('explain at a size where a head cannot run', () => {
  it('8×8: the head\'s layers at the stand-in size are not explained (their formulas gave the stand-in\'s MACs, and agrees was false)', () => {
    const graph = parseNetworkSpec(auxNet(8));
    const inference = inferGraph(graph);
    const report = analyzeGraph(graph, DEFAULTS, inference);
    const x = explainReport({ inference, report });
    expect(x.agrees).toBe(true);
    expect(x.layers.map((l) => l.name)).not.toContain('aux.conv');
    expect(x.layers.map((l) => l.name)).toContain('trunk');
  });
});

describe('capturing a layer that does not run (POST /v1/run capture)', () => {
  const OPTS = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, maxElements: 1 << 20 };
  const x = tensor([1, 3, 17, 17], new Array(3 * 17 * 17).fill(1));

  it.each([
    ['17×17 (it could run, but inference does not run it)', 17, 'aux.conv', "capture[1]: layer 'aux.conv' does not run at inference"],
    ['8×8 (it could not)', 8, 'aux.relu', "capture[1]: layer 'aux.relu' does not run at inference"],
  ])('%s: 400 INVALID_OPTION at $.capture[1] naming the layer, not a 500', (_, side, name, message) => {
    const graph = parseNetworkSpec(auxNet(side));
    const input = tensor([1, 3, side, side], new Array(3 * side * side).fill(1));
    const e = errorOf(() => runGraph(graph, { x: input }, { ...OPTS, capture: ['trunk', name] }));
    expect([e.code, e.details.path, e.details.layer]).toEqual(['INVALID_OPTION', '$.capture[1]', name]);
    expect(e.message).toContain(message);
  });

  it('the same layer declared an output runs, and is captured', () => {
    const graph = parseNetworkSpec({ ...auxNet(17), outputs: ['fc', 'aux.fc'] });
    const res = runGraph(graph, { x }, { ...OPTS, capture: ['aux.conv'] });
    expect(res.captured['aux.conv'].shape).toEqual([1, 16, 1, 1]);
  });
});

describe('the zoo builder, at a resolution too small for a head no output needs (zoo/builder.ts)', () => {
  function headNet(side: number, outputs?: string[]) {
    const b = new NetBuilder('t', imageInput(side));
    const trunk = b.conv('trunk', 'input', 8, 3, { padding: 1 });
    const head = b.add('head', 'conv2d', b.add('head.pool', 'avgPool2d', trunk, { kernelSize: 5, stride: 3 }), { outChannels: 16, kernelSize: 5 });
    // a later layer still asks for channels: the stand-in keeps them
    const bn = b.bn('head.bn', head);
    expect(b.ch(bn)).toBe(16);
    return b.build(outputs ?? [trunk]);
  }

  it('8×8 with the trunk as the output: built; the analysis counts the head\'s parameters', () => {
    expect(analyze(headNet(8)).totals.params).toBe(224 + 3216 + 32);
  });

  it('8×8, a later layer that the stand-in cannot pass either (a concat with the 8×8 trunk): the head\'s KERNEL_TOO_LARGE, not the concat\'s', () => {
    const b = new NetBuilder('t', imageInput(8));
    const trunk = b.conv('trunk', 'input', 8, 3, { padding: 1 });
    const head = b.add('head', 'conv2d', b.add('head.pool', 'avgPool2d', trunk, { kernelSize: 5, stride: 3 }), { outChannels: 16, kernelSize: 5 });
    const e = errorOf(() => b.add('cat', 'concat', [head, trunk]));
    expect([e.code, e.details.layer]).toEqual(['KERNEL_TOO_LARGE', 'head']);
  });

  it('8×8 with the head as an output: the head\'s KERNEL_TOO_LARGE', () => {
    const e = errorOf(() => headNet(8, ['trunk', 'head.bn']));
    expect([e.code, e.details.layer]).toEqual(['KERNEL_TOO_LARGE', 'head']);
  });
});
