/**
 * analysis/extras.ts: one plan of options, the analyses it asks for and nothing else, checked by
 * hand on a three-layer chain (conv 3→4 3×3 pad 1 on 1×3×8×8, relu, 2×2 max pool), float32.
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { AnalysisReportSchema, computeExtras, planExtras, planIsEmpty, withExtras } from '../../src/analysis/extras.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { DEFAULTS, errorOf, net } from '../helpers.js';

const spec = net([1, 3, 8, 8], { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 }, { op: 'relu' }, { op: 'maxPool2d', kernelSize: 2, stride: 2 });

function analysed() {
  const graph = parseNetworkSpec(spec);
  const inference = inferGraph(graph);
  return { graph, inference, report: analyzeGraph(graph, DEFAULTS, inference) };
}

describe('planExtras', () => {
  it('no options: an empty plan, and computeExtras adds no key', () => {
    const plan = planExtras({});
    expect(planIsEmpty(plan)).toBe(true);
    const a = analysed();
    expect(withExtras(a.report, computeExtras(a, plan))).toEqual(a.report);
  });

  it('an unknown device id: INVALID_OPTION at the option path, with the closest id', () => {
    const e = errorOf(() => planExtras({ device: 'raspbery-pi-5' }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details).toMatchObject({ path: '$.options.device', suggestion: 'raspberry-pi-5' });
  });

  it('an unknown convention, a custom path (query): the closest preset; convTranspose without convention refused', () => {
    const e = errorOf(() => planExtras({ convention: 'ptflop' }, (k) => `query.${k}`));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details).toMatchObject({ path: 'query.convention', suggestion: 'ptflops' });
    expect(errorOf(() => planExtras({ convTranspose: 'output' })).details.path).toBe('$.options.convTranspose');
  });

  it('a custom device profile missing its float32 peak: INVALID_OPTION at the field inside it', () => {
    const e = errorOf(() => planExtras({ device: { name: 'npu', peaks: { float16: 1e12 } as never, bandwidth: 1e11 } }));
    expect(e.details.path).toBe('$.options.device.peaks.float32');
  });

  it('inPlace implies memory; topK alone gives the default depth', () => {
    const plan = planExtras({ inPlace: true, topK: 2 });
    expect(plan.memory).toEqual({ inPlace: true });
    expect(plan.modules).toEqual({ depth: 3, topK: 2 });
  });
});

describe('computeExtras on conv → relu → pool', () => {
  it('memory: peak 2,816 B while the relu runs (x 768 + conv out 1,024 + relu out 1,024); in place 2,048 B at the pool', () => {
    const a = analysed();
    const m = computeExtras(a, planExtras({ memory: true })).memory!;
    expect(m.peak).toMatchObject({ bytes: 768 + 1024 + 1024, layer: 'l1' });
    const inPlace = computeExtras(a, planExtras({ inPlace: true })).memory!;
    expect(inPlace.peak).toMatchObject({ bytes: 768 + 1024 + 256, layer: 'l2' });
  });

  it('roofline on a custom 1 GFLOP/s, 1 GB/s device: Σ max(flops, bytes) / 1e9 from the report\'s own figures', () => {
    const a = analysed();
    const rl = computeExtras(a, planExtras({ device: { name: 'toy', peaks: { float32: 1e9 }, bandwidth: 1e9 } })).roofline!;
    const expected = a.report.layers.reduce((s, l) => s + Math.max(l.flops, l.memoryAccess.bytes) / 1e9, 0);
    expect(rl.totals.seconds).toBeCloseTo(expected, 15);
    expect(rl.device).toMatchObject({ id: null, name: 'toy', ridgePoint: 1 });
  });

  it("convention torchvision counts the conv's MACs only: 3·3·3 · 4 · 8·8 = 6,912", () => {
    const c = computeExtras(analysed(), planExtras({ convention: 'torchvision' })).convention!;
    expect(c.total).toBe(27 * 4 * 64);
    expect(c.difference).toBe(0);
  });

  it('explain: the conv MACs formula with its values, agreeing with the report', () => {
    const a = analysed();
    const x = computeExtras(a, planExtras({ explain: true })).explain!;
    const conv = x.layers.find((l) => l.name === 'l0')!;
    expect(conv.macs.value).toBe(6912);
    expect(conv.macs.formula.startsWith('6,912 = ')).toBe(true);
    expect(x.agrees).toBe(true);
  });

  it('modules at depth 1: one module per layer, shares adding to 100 %; the whole answer validates', () => {
    const a = analysed();
    const extras = computeExtras(a, planExtras({ depth: 1, topK: 1, memory: true, device: 'raspberry-pi-5', convention: 'thop', explain: true }));
    expect(extras.modules!.tree.modules.map((m) => m.path)).toEqual(['l0', 'l1', 'l2']);
    expect(extras.modules!.top.macs).toEqual([expect.objectContaining({ name: 'l0', value: 6912, share: 100 })]);
    const full = withExtras(a.report, extras);
    expect(Object.keys(full).slice(-5)).toEqual(['modules', 'memory', 'roofline', 'convention', 'explain']);
    expect(AnalysisReportSchema.safeParse(full).success).toBe(true);
  });
});
