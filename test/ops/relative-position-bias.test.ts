/**
 * relativePositionBias (src/ops/relative-position-bias.ts): its PyTorch goldens are in
 * test/fixtures/operators/maxvit.json and vjp/maxvit.json (scripts/goldens_maxvit.py), run by
 * goldens.test.ts and vjp.test.ts; here the counts, a case by hand and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { run } from './op-helpers.js';

const rpb = (attrs: Record<string, unknown>) => ({ op: 'relativePositionBias', ...attrs });

describe('relativePositionBias', () => {
  it("maxvit_t's first window attention (64 windows, 2 heads, 7×7): 169·2 params, a [49, 49] buffer, 0 MACs, 2 FLOPs a score with a scale (1 without)", () => {
    const r = analyze(net([1, 64, 2, 49, 49], rpb({ window: 7, scale: 64 ** -0.5 })));
    const l = layer(r, 'l0');
    expect(l).toMatchObject({ params: 338, macs: 0, outputShape: [1, 64, 2, 49, 49] });
    expect(r.totals.buffers).toBe(49 * 49);
    expect(l.flopsByConvention.exact).toBe(2 * 64 * 2 * 49 * 49);
    expect(layer(analyze(net([1, 64, 2, 49, 49], rpb({ window: 7 }))), 'l0').flopsByConvention.exact).toBe(64 * 2 * 49 * 49);
  });

  it('by hand: window [1, 2], one head, table [10, 20, 30]: index [[1, 0], [2, 1]], so y = 0.5·x + [[20, 10], [30, 20]] for each leading index', () => {
    const y = run('relativePositionBias', [[[2, 1, 2, 2], [2, 4, 6, 8, 0, 0, 0, 0]]], { window: [1, 2], scale: 0.5 }, { relativePositionBiasTable: [[3, 1], [10, 20, 30]] });
    expect(y[0]).toEqual({ shape: [2, 1, 2, 2], data: [21, 12, 33, 24, 20, 10, 30, 20] });
  });

  it("a given relative_position_index that is not the window's fails INVALID_TENSOR; the window's own is taken", () => {
    const w = (index: number[]) => ({ relativePositionBiasTable: [[3, 1], [10, 20, 30]] as [number[], number[]], relativePositionIndex: [[2, 2], index] as [number[], number[]] });
    const x: [number[], number[]][] = [[[1, 1, 2, 2], [0, 0, 0, 0]]];
    const e = errorOf(() => run('relativePositionBias', x, { window: [1, 2] }, w([0, 1, 2, 1])));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.details).toMatchObject({ path: '$.weights.relativePositionIndex', layer: 'relativePositionBias', shapes: { given: [2, 2], expected: [2, 2] } });
    expect(e.message).toMatch(/relativePositionIndex\[0\] = 0, but a 1×2 window's relative-position index there is 1/);
    expect(run('relativePositionBias', x, { window: [1, 2] }, w([1, 0, 2, 1]))[0].data).toEqual([20, 10, 30, 20]);
  });

  it('scores that are not T × T for the window, or without a heads dim: 400s naming them', () => {
    const e = errorOf(() => analyze(net([1, 2, 9, 9], rpb({ window: 2 }))));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toMatch(/a 2×2 window pairs 4 tokens/);
    expect(errorOf(() => analyze(net([4, 4], rpb({ window: 2 })))).code).toBe('RANK_MISMATCH');
    // the window is required, as torchvision's partition_size is
    expect(errorOf(() => analyze(net([1, 2, 4, 4], rpb({})))).code).toBe('SPEC_INVALID');
  });
});
