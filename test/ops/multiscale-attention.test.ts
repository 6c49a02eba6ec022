/**
 * multiscaleAttention (src/ops/multiscale-attention.ts) against torchvision 0.14's MultiscaleAttention
 * (test/fixtures/operators/mvit.json, scripts/goldens_mvit.py; the same cases also run in
 * test/ops/goldens.test.ts), and its shapes, params and MACs by hand; spatioTemporalPositionEncoding
 * (src/ops/spatiotemporal-position.ts) against torchvision's PositionalEncoding likewise.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { pooledGrid } from '../../src/ops/multiscale-attention.js';
import { analyze, errorOf, layer, net, scaledError } from '../helpers.js';
import type { GoldenCase, Wire } from './golden-cases.js';

const { cases: all } = JSON.parse(readFileSync(new URL('../fixtures/operators/mvit.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };
const cases = all.filter((c) => c.op === 'multiscaleAttention');
const positionCases = all.filter((c) => c.op === 'spatioTemporalPositionEncoding');
const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));
const run = (c: GoldenCase, weights: Record<string, Wire> = c.weights) =>
  runOperator({ name: c.op, inputs: c.inputs.map(t), attributes: c.attributes, weights: Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, t(w)])), training: false, seed: 0, maxElements: 1 << 24 });

describe("multiscaleAttention against PyTorch's MultiscaleAttention", () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: max abs error ≤ 1e-5 of the output scale', (_, c) => {
    const res = run(c);
    expect(res.outputs[0].shape).toEqual(c.outputs[0].shape);
    expect(scaledError(res.outputs[0].data, c.outputs[0].data)).toBeLessThanOrEqual(1e-5);
  });

  it('each v2 part moves the output: zeroed relative tables, or the pooled LayerNorm of q made identity, miss by more than 1e-3', () => {
    const c = cases.find((k) => k.attributes.relPos === true && k.attributes.residualPool === true)!;
    const zero = (w: Wire) => ({ ...w, data: w.data.map(() => 0) });
    const noRel = run(c, { ...c.weights, relPosH: zero(c.weights.relPosH), relPosW: zero(c.weights.relPosW), relPosT: zero(c.weights.relPosT) });
    expect(scaledError(noRel.outputs[0].data, c.outputs[0].data)).toBeGreaterThan(1e-3);
    const gamma = c.weights['pool_q.norm_act.0.weight'];
    const flat = run(c, { ...c.weights, 'pool_q.norm_act.0.weight': { ...gamma, data: gamma.data.map(() => 1) } });
    expect(scaledError(flat.outputs[0].data, c.outputs[0].data)).toBeGreaterThan(1e-3);
  });
});

describe('multiscaleAttention: shapes and cost by hand', () => {
  const pooled = { op: 'multiscaleAttention', inputSize: [2, 4, 4], numHeads: 2, kernelQ: [3, 3, 3], kernelKv: [3, 3, 3], strideQ: [1, 2, 2], strideKv: [1, 2, 2] };

  it('the pooled grid: ⌊(S + 2⌊k/2⌋ − k)/s⌋ + 1 per side (56 by kernel 3 stride 8: 7; 5 by stride 2: 3), unchanged without a pool', () => {
    expect(pooledGrid([8, 56, 56], [3, 3, 3], [1, 8, 8])).toEqual([8, 7, 7]);
    expect(pooledGrid([4, 5, 3], [3, 3, 3], [2, 2, 2])).toEqual([2, 3, 2]);
    expect(pooledGrid([8, 56, 56], [1, 1, 1], [1, 1, 1])).toEqual([8, 56, 56]);
  });

  it('v1 x [1, 33, 8], h 2, kernels 3, strides [1,2,2]: out [1, 9, 8]; MACs 33·8·24 + 9·8·8 + 2·4·(8·27 + 2·8·27) + 2·2·9·9·4 = 13,392; params 3·8·8 + 24 + 8·8 + 8 + 3·(4·27 + 8) = 636', () => {
    const l = layer(analyze(net([1, 33, 8], pooled)), 'l0');
    expect(l).toMatchObject({ macs: 13_392, params: 636, outputShape: [1, 9, 8] });
  });

  it('v2 x [1, 33, 8], D 16, relPos: tables 3 × 8 (size 4 / stride 2 → 2·2 − 1; temporal 2·2 − 1); MACs 33·8·48 + 9·16·16 + 2·8·(8·27 + 2·8·27) + 2·2·81·8 + 2·8·(2 + 2 + 2)·8 = 28,704; params 1,472', () => {
    const l = layer(analyze(net([1, 33, 8], { ...pooled, outputDim: 16, relPos: true, residualPool: true, residualWithClsEmbed: false })), 'l0');
    expect(l).toMatchObject({ macs: 28_704, params: 1_472, outputShape: [1, 9, 16] });
  });

  // torch 1.13: MultiscaleAttention([1, 3, 3], 8, 8, 2, …, stride_q [1,4,4], stride_kv [1,4,4], rel_pos_embed=True)
  // raises "Trying to create tensor with negative dimension -1: [-1, 4]"; with stride_kv [1,2,2] it builds
  // rel_pos_h [1, 4]; input_size [2, 0, 0] or [0, 3, 3] (strides 1) raises the same negative dimension
  const rel = { op: 'multiscaleAttention', numHeads: 2, kernelQ: [3, 3, 3], kernelKv: [3, 3, 3], relPos: true, residualPool: true, residualWithClsEmbed: false };
  it.each([
    [[1, 4, 4], [1, 4, 4], 'strideKv'],
    [[1, 4, 4], [1, 8, 8], 'strideKv'],
    [[1, 8, 8], [1, 4, 4], 'strideQ'],
  ])('relPos at inputSize 1×3×3, strideQ %j, strideKv %j: rel_pos_h would have 2·0 − 1 = −1 rows, NON_POSITIVE_SIZE 400 at %s naming both', (strideQ, strideKv, field) => {
    const e = errorOf(() => analyze(net([1, 10, 8], { ...rel, inputSize: [1, 3, 3], strideQ, strideKv })));
    expect([e.code, e.status, e.details.path]).toEqual(['NON_POSITIVE_SIZE', 400, `$.layers[0].${field}`]);
    expect(e.message).toMatch(/= -1 rows: inputSize 1×3×3 .*strideQ \d, strideKv \d\).*negative dimension/);
  });

  it('relPos at inputSize 1×3×3, strides [1,4,4] q and [1,2,2] kv: tables 2·max(0, 1) − 1 = 1 row (h, w) and 1 (t), as torchvision builds them', () => {
    const l = layer(analyze(net([1, 10, 8], { ...rel, inputSize: [1, 3, 3], strideQ: [1, 4, 4], strideKv: [1, 2, 2] })), 'l0');
    // qkv 3·8·8 + 24, project 8·8 + 8, three pools 4·27 + 8, tables (1 + 1 + 1)·4
    expect(l.params).toBe(3 * 8 * 8 + 24 + 8 * 8 + 8 + 3 * (4 * 27 + 8) + 3 * 4);
  });

  it.each([
    [[2, 0, 0], 'rel_pos_h and rel_pos_w would have 2·max\\(⌊0/1⌋, ⌊0/1⌋\\) − 1 = -1 rows: relPosInputSize 2×0×0'],
    [[0, 3, 3], 'rel_pos_t would have 2·0 − 1 = -1 rows \\(relPosInputSize 0×3×3\\)'],
  ])('relPosInputSize %j: NON_POSITIVE_SIZE at relPosInputSize (PyTorch: negative dimension -1)', (relPosInputSize, msg) => {
    const e = errorOf(() => analyze(net([1, 33, 8], { ...rel, inputSize: [2, 4, 4], relPosInputSize })));
    expect([e.code, e.details.path]).toEqual(['NON_POSITIVE_SIZE', '$.layers[0].relPosInputSize']);
    expect(e.message).toMatch(new RegExp(msg));
  });

  it('relPosInputSize sizes the tables, not the grid read: inputSize 2×5×5, kv stride 2: rows 2·max(5, 2) − 1 = 9 (h, w) and 2·2 − 1 = 3 (t); with relPosInputSize 1×4×4, 2·max(4, 2) − 1 = 7 and 1', () => {
    const x = [1, 1 + 2 * 5 * 5, 8];
    const base = 3 * 8 * 8 + 24 + 8 * 8 + 8 + 3 * (4 * 27 + 8);
    const at = (extra: object) => layer(analyze(net(x, { ...rel, inputSize: [2, 5, 5], strideKv: [1, 2, 2], ...extra })), 'l0');
    expect(at({}).params).toBe(base + (9 + 9 + 3) * 4);
    const sized = at({ relPosInputSize: [1, 4, 4] });
    expect(sized.params).toBe(base + (7 + 7 + 1) * 4);
    // the grids (q 5, k and v 5 → 3) and the MACs are the grid's: the tables are interpolated at forward
    expect([sized.outputShape, sized.macs]).toEqual([[1, 1 + 2 * 5 * 5, 8], at({}).macs]);
  });

  it('tokens that are not a class token and the grid: SHAPE_MISMATCH naming inputSize', () => {
    const e = errorOf(() => analyze(net([1, 32, 8], pooled)));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toMatch(/class token and a 2×4×4 grid are 33 tokens/);
  });
});

describe("spatioTemporalPositionEncoding against PyTorch's PositionalEncoding", () => {
  it.each(positionCases.map((c) => [c.name, c] as const))('%s: equal within 1e-6 of scale', (_, c) => {
    expect(positionCases).toHaveLength(2);
    const res = run(c);
    expect(res.outputs[0].shape).toEqual(c.outputs[0].shape);
    expect(scaledError(res.outputs[0].data, c.outputs[0].data)).toBeLessThanOrEqual(1e-6);
  });

  it("mvit_v1_b's at 8×56×56, C 96: out [1, 25089, 96]; params 96 + (3136 + 8 + 1)·96 = 302,016; v2's the class token's 96", () => {
    const v1 = layer(analyze(net([1, 8 * 56 * 56, 96], { op: 'spatioTemporalPositionEncoding', inputSize: [8, 56, 56] })), 'l0');
    expect(v1).toMatchObject({ params: 302_016, outputShape: [1, 25_089, 96] });
    expect(layer(analyze(net([1, 8 * 56 * 56, 96], { op: 'spatioTemporalPositionEncoding', inputSize: [8, 56, 56], tables: false })), 'l0').params).toBe(96);
  });
});
