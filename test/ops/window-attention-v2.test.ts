/**
 * shiftedWindowAttentionV2 (src/ops/window-attention-v2.ts) against torchvision 0.14's
 * ShiftedWindowAttentionV2 (test/fixtures/operators/swin_v2.json, scripts/goldens_swin_v2.py; the
 * same cases also run in test/ops/goldens.test.ts), and its cost and weights by hand.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { cpbTableShape, relativeCoordsTable, shiftedWindowAttentionV2 } from '../../src/ops/window-attention-v2.js';
import { cpbModules } from '../../src/conventions/window-attention-v2.js';
import type { LayerFacts } from '../../src/conventions/types.js';
import type { WindowPlan } from '../../src/ops/window-attention.js';
import { analyze, errorOf, layer, net, scaledError } from '../helpers.js';
import type { GoldenCase, Wire } from './golden-cases.js';

const { cases } = JSON.parse(readFileSync(new URL('../fixtures/operators/swin_v2.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };
const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));
const run = (c: GoldenCase, weights: Record<string, Wire> = c.weights) =>
  runOperator({ name: c.op, inputs: c.inputs.map(t), attributes: c.attributes, weights: Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, t(w)])), training: false, seed: 0, maxElements: 1 << 24 });

describe("shiftedWindowAttentionV2 against PyTorch's ShiftedWindowAttentionV2", () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: max abs error ≤ 1e-5 of the output scale', (_, c) => {
    const res = run(c);
    expect(res.outputs[0].shape).toEqual(c.outputs[0].shape);
    expect(scaledError(res.outputs[0].data, c.outputs[0].data)).toBeLessThanOrEqual(1e-5);
  });

  it("the k third of qkvBias has no effect (PyTorch zeroes it at forward): the fixture's is N(0, 1), and zeroing it changes no bit", () => {
    const c = cases[1];
    const bias = c.weights.qkvBias;
    const third = bias.data.length / 3;
    expect(bias.data.slice(third, 2 * third).some((v) => v !== 0)).toBe(true);
    const zeroed = { ...bias, data: bias.data.map((v, i) => (i >= third && i < 2 * third ? 0 : v)) };
    expect(run(c, { ...c.weights, qkvBias: zeroed }).outputs[0].data).toEqual(run(c).outputs[0].data);
  });

  // the cases that carry PyTorch's buffer (the 3×4 one derives it: no buffer given)
  const withTable = cases.filter((k) => k.weights.relativeCoordsTable);
  it('the fixture gives the buffer at 2×2, 2×3 and 8×8 windows', () => {
    expect(withTable.map((c) => c.attributes.window)).toEqual([[2, 2], [2, 2], [2, 3], [8, 8], [8, 8], [2, 3]]);
  });

  it("relative_coords_table derived from the window equals PyTorch's buffer (2×2, 2×3 and 8×8 windows) within a float32 ulp", () => {
    for (const c of withTable) {
      const [wh, ww] = c.attributes.window as number[];
      const want = c.weights.relativeCoordsTable;
      expect(want.shape).toEqual([1, 2 * wh - 1, 2 * ww - 1, 2]);
      const got = relativeCoordsTable(wh, ww);
      expect(Math.max(...want.data.map((v, i) => Math.abs(v - got[i])))).toBeLessThanOrEqual(2.5e-7);
    }
  });

  it("the CPB table's shape [1, 2wh − 1, 2ww − 1, width] is derived once (cpbTableShape): PyTorch's relative_coords_table (2×2, 2×3 and 8×8 windows), the op's inner modules and the conventions' cpb_mlp modules read it", () => {
    for (const c of withTable) {
      const [wh, ww] = c.attributes.window as number[];
      expect(cpbTableShape([wh, ww], 2)).toEqual(c.weights.relativeCoordsTable.shape);
    }
    // a 3×4 window, 2 heads: the table 5×7; cpb_mlp.0 makes 512 features of it, .2 one per head
    const plan = { win: [3, 4], heads: 2 } as WindowPlan;
    expect(shiftedWindowAttentionV2.innerModuleOutputs!(plan)).toEqual([
      [1, 5, 7, 512],
      [1, 5, 7, 2],
    ]);
    const modules = cpbModules({ name: 'attn', plan } as LayerFacts);
    expect(modules.map((m) => [m.name, m.inputs[0], m.outputs[0]])).toEqual([
      ['attn.cpb_mlp.0', [1, 5, 7, 2], [1, 5, 7, 512]],
      ['attn.cpb_mlp.1', [1, 5, 7, 512], [1, 5, 7, 512]],
      ['attn.cpb_mlp.2', [1, 5, 7, 512], [1, 5, 7, 2]],
    ]);
    // the modules with parameters torchinfo counts are the op's inner modules, shape for shape
    expect([modules[0].outputs[0], modules[2].outputs[0]]).toEqual(shiftedWindowAttentionV2.innerModuleOutputs!(plan));
  });

  it('a relativePositionIndex other than PyTorch\'s: INVALID_TENSOR naming the first wrong entry', () => {
    const c = cases[0];
    const idx = c.weights.relativePositionIndex;
    const e = errorOf(() => run(c, { ...c.weights, relativePositionIndex: { ...idx, data: idx.data.map((v, i) => (i === 3 ? v + 1 : v)) } }));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.message).toMatch(/relativePositionIndex\[3\]/);
    expect(e.details).toMatchObject({ path: '$.weights.relativePositionIndex', layer: 'shiftedWindowAttentionV2', shapes: { given: idx.shape, expected: idx.shape } });
  });
});

describe('shiftedWindowAttentionV2: cost by hand', () => {
  const attn = { op: 'shiftedWindowAttentionV2', numHeads: 2, window: 2, shift: 1 };

  it('x [1, 4, 4, 8], h 2, window 2: MACs 16·(4·8² + 2·4·8) + 9·512·(2 + 2) = 23,552; params 4·8² + 4·8 + 2 + 512·2 + 512 + 512·2 = 2,850; buffers 9·2 + 4² = 34', () => {
    const l = layer(analyze(net([1, 4, 4, 8], attn)), 'l0');
    expect(l).toMatchObject({ macs: 23_552, params: 2_850, buffers: 34, outputShape: [1, 4, 4, 8] });
  });

  it('the CPB MLP is counted once per forward: a batch of 2 doubles the windows\' MACs only (2·5,120 + 18,432 = 28,672)', () => {
    expect(layer(analyze(net([2, 4, 4, 8], attn)), 'l0').macs).toBe(28_672);
  });
});
