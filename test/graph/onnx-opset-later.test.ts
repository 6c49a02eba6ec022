/**
 * ai.onnx opsets after 21, read by their own definitions (src/graph/onnx/opsets.ts lists what each
 * changed). RMSNormalization (opset 23) → rmsNorm (src/ops/rms-norm.ts), Swish (24) → swish where
 * alpha is 1, and MaxPool / AveragePool at 22 (a window that would start in the right padding is
 * dropped, which convlens's ceil-mode windows already do, as PyTorch's). Expected: onnxruntime-node
 * 1.30's outputs of the committed models (scripts/opset_later_goldens.ts wrote both, the models
 * with protobufjs and onnx.proto), and hand-worked counts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { explainReport } from '../../src/conventions/explain.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { outputElementType } from '../../src/graph/onnx/element-types.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, errorOf, layer } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

const DIR = new URL('../fixtures/onnx-opset-later/', import.meta.url);
const OPTS = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 20 };
interface Case {
  opset: number;
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
}
const truth = JSON.parse(readFileSync(new URL('truth.json', DIR), 'utf8')) as { onnxruntime: string; cases: Record<string, Case> };
const graphOf = (bytes: Uint8Array) => importOnnx(bytes, { inputShapes: {} }).graph;
const maxDiff = (a: ArrayLike<number>, b: readonly number[]) => Math.max(...b.map((v, i) => Math.abs(a[i] - v)));

describe.each([
  // op, params (|scale|), FLOPs: 4 an element (square, add, scale, × γ) + 3 a row (÷ M, + ε, 1/√)
  ['rms_norm_last', 'rmsNorm', 8, 48 * 4 + 6 * 3],
  ['rms_norm_axis1', 'rmsNorm', 36, 72 * 4 + 2 * 3],
  ['swish', 'swish', 0, 30 * 5],
  ['max_pool_ceil', 'maxPool2d', 0, null],
  ['avg_pool_ceil', 'avgPool2d', 0, null],
  // 3 FLOPs a rotated value: B·S·H·R = 1·3·2·8 and 2·3·2·4 (R = 4 of D = 8)
  ['rotary_4d', 'rotaryEmbedding', 0, 48 * 3],
  ['rotary_3d_positions_interleaved', 'rotaryEmbedding', 0, 48 * 3],
  // 2 FLOPs a MAC (scores·(D + Dv)) + 6 a score: B·Hq·Sq·Sk = 1·4·5·6 (D 8, Dv 4) and 2·3·5·5 (D = Dv = 4; causal counts every score)
  ['attention_4d_gqa', 'scaledDotProductAttention', 0, 2 * 120 * 12 + 6 * 120],
  ['attention_3d_causal', 'scaledDotProductAttention', 0, 2 * 150 * 8 + 6 * 150],
  // with a mask 7 a score: 1·2·3·3 scores of D = Dv = 4, and 2·2·3·3
  ['attention_float_mask', 'scaledDotProductAttention', 0, 2 * 18 * 8 + 7 * 18],
  ['attention_bool_mask_causal', 'scaledDotProductAttention', 0, 2 * 36 * 8 + 7 * 36],
] as const)('%s (onnxruntime-node 1.30)', (name, op, params, flops) => {
  const c = truth.cases[name];
  const bytes = readFileSync(new URL(`${name}.onnx`, DIR));

  it(`imports as ${op} at opset ${c.opset}, analysed complete with no newer-opset warning, output ${c.output.shape.join('×')}`, () => {
    const graph = graphOf(bytes);
    expect(graph.layers.map((l) => l.op)).toEqual([op]);
    const r = analyzeGraph(graph, DEFAULTS);
    expect([r.totals.complete, r.totals.unsupported]).toEqual([true, []]);
    expect(r.warnings.map((w) => w.code)).not.toContain('ONNX_OPSET_NEWER_THAN_READ');
    const l = r.layers[0];
    expect([l.outputShape, l.params]).toEqual([c.output.shape, params]);
    if (flops !== null) expect(r.totals.flops).toBe(flops);
  });

  it('the explanation of its counts (conventions/explain-families.ts) agrees with the report', () => {
    const graph = graphOf(bytes);
    const inference = inferGraph(graph);
    const e = explainReport({ inference, report: analyzeGraph(graph, DEFAULTS, inference) });
    expect(e.layers.filter((l) => !l.agrees).map((l) => l.name)).toEqual([]);
    expect(e.agrees).toBe(true);
  });

  it("runs to onnxruntime's output", () => {
    const out = Object.values(runGraph(graphOf(bytes), { x: tensor(c.input.shape, c.input.data) }, OPTS).outputs)[0];
    expect(out.shape).toEqual(c.output.shape);
    expect(maxDiff(out.data, c.output.data)).toBeLessThan(2e-6);
  });
});

describe('RMSNormalization (opset 23), hand-worked', () => {
  const rms = (attrs: Record<string, { i: number } | { f: number }>, scale: { dims: number[]; data: number[] }, shape: number[]) =>
    onnxModel({ inputs: [{ name: 'x', shape }], outputs: ['y'], opset: 23, initializers: [{ name: 's', ...scale }], nodes: [{ op: 'RMSNormalization', inputs: ['x', 's'], outputs: ['y'], name: 'r', attrs }] });

  it('x = [3, 4], scale [1, 2], epsilon 0.5: mean(x²) = 12.5, y = x/√13·scale (no mean subtracted, no bias)', () => {
    const y = Object.values(runGraph(graphOf(rms({ epsilon: { f: 0.5 } }, { dims: [2], data: [1, 2] }, [1, 2])), { x: tensor([1, 2], [3, 4]) }, OPTS).outputs)[0];
    expect(Array.from(y.data)).toEqual([3 / Math.sqrt(13), 8 / Math.sqrt(13)].map(Math.fround));
  });

  it('a scale [1, 1, 8] (leading 1s) is the normalised dims [8]', () => {
    const ok = analyzeGraph(graphOf(rms({}, { dims: [1, 1, 8], data: new Array(8).fill(1) }, [2, 3, 8])), DEFAULTS);
    expect([ok.totals.complete, layer(ok, 'r').params]).toEqual([true, 8]);
  });

  // ONNX lets a scale broadcast over the normalised dims; rmsNorm's γ has their shape, so such a file is refused with the shapes, not counted wrong
  it('a scale [2] broadcast over two normalised dims (axis −2) is Unsupported at input 1; a scale [1] over [8] is SHAPE_MISMATCH naming both', () => {
    const two = analyzeGraph(graphOf(rms({ axis: { i: -2 } }, { dims: [8], data: new Array(8).fill(1) }, [2, 3, 8])), DEFAULTS);
    expect(two.totals.unsupported).toEqual([{ opType: 'RMSNormalization', count: 1, nodes: ['r'], reasons: [expect.stringContaining('a scale of shape [8] broadcast over the 2 normalised dims')] }]);
    const e = errorOf(() => analyzeGraph(graphOf(rms({}, { dims: [1], data: [1] }, [2, 3, 8])), DEFAULTS));
    expect([e.code, e.message]).toEqual(['SHAPE_MISMATCH', "layer 'r': normalizedShape [1] must be the trailing dims of the input [2, 3, 8]"]);
  });

  // onnxruntime 1.30 runs these: the scale is exactly X.shape[axis:], whose leading dims are 1s (the importer dropped them and then found the scale too short for the axis)
  it('a scale of exactly the normalised shape with leading 1s runs: axis 1 on (2, 1, 2) with scale [1, 2], axis −3 on (1, 1, 2) with scale [1, 1, 2], axis 0 on (1, 2) with scale [1, 2]', () => {
    const cases = [
      [{ axis: { i: 1 }, epsilon: { f: 0.5 } }, [1, 2], [2, 1, 2], [3, 4, 3, 4]],
      [{ axis: { i: -3 }, epsilon: { f: 0.5 } }, [1, 1, 2], [1, 1, 2], [3, 4]],
      [{ axis: { i: 0 }, epsilon: { f: 0.5 } }, [1, 2], [1, 2], [3, 4]],
    ] as const;
    for (const [attrs, dims, shape, x] of cases) {
      const graph = graphOf(rms(attrs, { dims: [...dims], data: [1, 2] }, [...shape]));
      const r = analyzeGraph(graph, DEFAULTS);
      expect([r.totals.complete, layer(r, 'r').params]).toEqual([true, 2]);
      // each row [3, 4]: mean(x²) + ε = 13, y = x/√13·[1, 2]
      const y = Object.values(runGraph(graph, { x: tensor([...shape], [...x]) }, OPTS).outputs)[0];
      expect(Array.from(y.data)).toEqual([...x].map((v, i) => Math.fround((v / Math.sqrt(13)) * (i % 2 === 0 ? 1 : 2))));
    }
  });

  it('axis 1 on (2, 3, 8) with a scale [8]: SHAPE_MISMATCH naming both, not a wrong count', () => {
    const e = errorOf(() => analyzeGraph(graphOf(rms({ axis: { i: 1 } }, { dims: [8], data: new Array(8).fill(1) }, [2, 3, 8])), DEFAULTS));
    expect([e.code, e.message]).toEqual(['SHAPE_MISMATCH', "layer 'r': axis 1 normalises dims from 1 of the input [2, 3, 8], but the weight's shape [8] covers the last 1"]);
  });
});

describe('Swish (opset 24)', () => {
  const swish = (alpha?: number) =>
    onnxModel({ inputs: [{ name: 'x', shape: [1, 4] }], outputs: ['y'], opset: 24, nodes: [{ op: 'Swish', inputs: ['x'], outputs: ['y'], name: 's', ...(alpha !== undefined && { attrs: { alpha: { f: alpha } } }) }] });

  it('alpha 1 given is swish too; alpha 0.5 (x·sigmoid(x/2)) is Unsupported at alpha, not read as SiLU', () => {
    expect(graphOf(swish(1)).layers[0].op).toBe('swish');
    const r = analyzeGraph(graphOf(swish(0.5)), DEFAULTS);
    expect(r.totals.unsupported).toEqual([{ opType: 'Swish', count: 1, nodes: ['s'], reasons: [expect.stringContaining('alpha 0.5')] }]);
  });
});

describe('quantization at opset 23', () => {
  it("QuantizeLinear-23 with precision FLOAT (and its DequantizeLinear): onnxruntime's values (fixture quantize_precision_float)", () => {
    const c = truth.cases.quantize_precision_float;
    const graph = graphOf(readFileSync(new URL('quantize_precision_float.onnx', DIR)));
    expect(graph.layers.map((l) => l.op)).toEqual(['quantizeLinear', 'dequantizeLinear']);
    const out = Object.values(runGraph(graph, { x: tensor(c.input.shape, c.input.data) }, OPTS).outputs)[0];
    expect(Array.from(out.data)).toEqual(c.output.data);
  });

  it('QuantizeLinear-23 with precision FLOAT16 (x / y_scale in float16) is Unsupported at precision, not read as float32', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [4] }],
      outputs: ['y'],
      opset: 23,
      initializers: [{ name: 's', dims: [], data: [0.03] }],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's'], outputs: ['y'], name: 'q', attrs: { precision: { i: 10 } } }],
    });
    const r = analyzeGraph(graphOf(bytes), DEFAULTS);
    expect(r.totals.unsupported).toEqual([{ opType: 'QuantizeLinear', count: 1, nodes: ['q'], reasons: [expect.stringContaining('precision float16 (ONNX 10)')] }]);
  });

  // onnxruntime 1.30 fails on this node ("Tensor type mismatch" writing FLOAT16 for a FLOAT scale): worked by hand
  it('DequantizeLinear-23 with output_dtype FLOAT16 (scale FLOAT): its output is float16, q·(1/3) rounded to half precision', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [4] }],
      outputs: ['y'],
      opset: 23,
      initializers: [
        { name: 'q', dims: [4], data: [1, -7, 100, 127], type: 'int8' },
        { name: 's', dims: [], data: [1 / 3] },
      ],
      nodes: [
        { op: 'DequantizeLinear', inputs: ['q', 's'], outputs: ['d'], name: 'dq', attrs: { output_dtype: { i: 10 } } },
        { op: 'Add', inputs: ['x', 'd'], outputs: ['y'], name: 'add' },
      ],
    });
    const out = Object.values(runGraph(graphOf(bytes), { x: tensor([4], [0, 0, 0, 0]) }, OPTS).outputs)[0];
    // float16 steps: 2^-12 on [0.25, 0.5), 2^-9 on [2, 4), 2^-5 on [32, 64); ties none
    expect(Array.from(out.data)).toEqual([1365 / 4096, -1195 / 512, 1067 / 32, 1355 / 32]);
  });

  it('… and where q is a graph input (a layer, not a folded weight): the layer writes float16', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'q', shape: [4], elemType: 3 }],
      outputs: ['y'],
      opset: 23,
      initializers: [{ name: 's', dims: [], data: [1 / 3] }],
      nodes: [{ op: 'DequantizeLinear', inputs: ['q', 's'], outputs: ['y'], name: 'dq', attrs: { output_dtype: { i: 10 } } }],
    });
    const graph = graphOf(bytes);
    expect(outputElementType(graph.layers[0], 0)).toBe('float16');
    const out = Object.values(runGraph(graph, { q: tensor([4], [1, -7, 100, 127]) }, OPTS).outputs)[0];
    expect(Array.from(out.data)).toEqual([1365 / 4096, -1195 / 512, 1067 / 32, 1355 / 32]);
  });
});

describe('DequantizeLinear-23 output_dtype that is no float type', () => {
  // output_dtype INT8 (3), INT64 (7) or BOOL (9) was read as float32: a weight of floats, a layer of floats, without a word
  it.each([3, 7, 9])('output_dtype %i is Unsupported at output_dtype, folded (q a constant) or a layer (q an input)', (od) => {
    const folded = onnxModel({
      inputs: [{ name: 'x', shape: [2] }],
      outputs: ['y'],
      opset: 23,
      initializers: [{ name: 'q', dims: [2], data: [1, -7], type: 'int8' }, { name: 's', dims: [], data: [0.5] }],
      nodes: [
        { op: 'DequantizeLinear', inputs: ['q', 's'], outputs: ['d'], name: 'dq', attrs: { output_dtype: { i: od } } },
        { op: 'Add', inputs: ['x', 'd'], outputs: ['y'], name: 'add' },
      ],
    });
    const layer = onnxModel({ inputs: [{ name: 'q', shape: [2], elemType: 3 }], outputs: ['y'], opset: 23, initializers: [{ name: 's', dims: [], data: [0.5] }], nodes: [{ op: 'DequantizeLinear', inputs: ['q', 's'], outputs: ['y'], name: 'dq', attrs: { output_dtype: { i: od } } }] });
    for (const bytes of [folded, layer]) {
      const r = analyzeGraph(graphOf(bytes), DEFAULTS);
      expect(r.totals.unsupported).toEqual([{ opType: 'DequantizeLinear', count: 1, nodes: ['dq'], reasons: [expect.stringContaining('output_dtype')] }]);
    }
  });
});

describe('element types the later opsets allow (float8 from 19, int4 21, float4e2m1 23, float8e8m0 24, int2 25)', () => {
  // a 3×3 2→2 conv whose weight W is stored as `dataType` in `bytes` bytes
  const conv = (dataType: number, bytes: number, opset = 25) =>
    onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      outputs: ['y'],
      opset,
      initializers: [{ name: 'W', dims: [2, 2, 3, 3], raw: new Uint8Array(bytes).fill(0x38), dataType }],
      nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'c' }],
    });
  const x = tensor([1, 2, 4, 4], new Array(32).fill(1));

  it.each([
    [17, 'FLOAT8E4M3FN', 36],
    [22, 'INT4', 18],
    [23, 'FLOAT4E2M1', 18],
    [24, 'FLOAT8E8M0', 36],
    [26, 'INT2', 9],
  ])('a weight of ONNX type %i (%s) in %i bytes: analysed by its shape (36 parameters); a run from the file is INVALID_TENSOR naming the type, not "weights stripped"', (type, name, bytes) => {
    const r = analyzeGraph(graphOf(conv(type, bytes)), DEFAULTS);
    expect([r.totals.complete, r.totals.params]).toEqual([true, 36]);
    const e = errorOf(() => runGraph(graphOf(conv(type, bytes)), { x }, OPTS));
    expect([e.code, e.details]).toEqual(['INVALID_TENSOR', { path: '$.weights', layer: 'c' }]);
    expect(e.message).toContain(`initializer 'W', its values are ${name} (ONNX element type ${type}), which convlens does not decode`);
    // seeded weights run
    expect(runGraph(graphOf(conv(type, bytes)), { x }, { ...OPTS, weightInit: 'seed' }).outputs.y.shape).toEqual([1, 2, 2, 2]);
  });

  it.each([
    [17, 'FLOAT8E4M3FN', 37, 36],
    [22, 'INT4', 36, 18],
    [26, 'INT2', 10, 9],
  ])('type %i (%s) with raw_data of %i bytes for 36 elements (%i needed): INVALID_TENSOR, the file is damaged', (type, name, bytes, need) => {
    const e = errorOf(() => importOnnx(conv(type, bytes)));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.message).toBe(`initializer 'W' declares dims [2, 2, 3, 3] (36 elements of ${name}, ${need} bytes), but its raw_data holds ${bytes} bytes: the file is damaged`);
  });

  // onnx.proto: these types' values go to int32_data one byte each (a float8 value, two int4 or float4 values, four int2); a short int32_data was taken as whole
  it.each([
    [17, 'FLOAT8E4M3FN', 5, 36],
    [22, 'INT4', 3, 18],
    [26, 'INT2', 8, 9],
  ])('type %i (%s) with int32_data of %i values for 36 elements (%i needed): INVALID_TENSOR, the file is damaged', (type, name, values, need) => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      outputs: ['y'],
      opset: 25,
      initializers: [{ name: 'W', dims: [2, 2, 3, 3], data: new Array(values).fill(1), field: 'int32Data', dataType: type }],
      nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'c' }],
    });
    const e = errorOf(() => importOnnx(bytes));
    expect([e.code, e.message]).toEqual(['INVALID_TENSOR', `initializer 'W' declares dims [2, 2, 3, 3] (36 elements of ${name}, ${need} values), but its int32_data holds ${values} values: the file is damaged`]);
  });

  it('a graph input of UINT2 (ONNX 25) is UNSUPPORTED_DTYPE naming it at its path', () => {
    const bytes = onnxModel({ inputs: [{ name: 'x', shape: [4], elemType: 25 }], outputs: ['y'], opset: 25, nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'], name: 'i' }] });
    const e = errorOf(() => importOnnx(bytes));
    expect([e.code, e.details]).toEqual(['UNSUPPORTED_DTYPE', { path: '$.graph.input[0]', input: 'x', elemType: 25 }]);
    expect(e.message).toContain("input 'x' holds UINT2 (ONNX element type 25) values");
  });

  it('a bfloat16 weight (every float op allows it from opset 22) is decoded: 0x3838 is 2^-15·1.4375, times 18 taps', () => {
    const out = runGraph(graphOf(conv(16, 72, 22)), { x }, OPTS).outputs.y;
    expect(Array.from(out.data)).toEqual(new Array(8).fill(Math.fround(18 * 2 ** -15 * 1.4375)));
  });
});

describe('Range at opset 27 (float16 and bfloat16 added, stash_type)', () => {
  const range = (stash?: number) =>
    onnxModel({
      inputs: [{ name: 'x', shape: [1] }],
      outputs: ['y'],
      opset: 27,
      initializers: [
        { name: 'start', dims: [], data: [0], type: 'float16', field: 'int32Data' },
        { name: 'limit', dims: [], data: [0x4200], type: 'float16', field: 'int32Data' },
        { name: 'delta', dims: [], data: [0x3c00], type: 'float16', field: 'int32Data' },
      ],
      nodes: [
        { op: 'Range', inputs: ['start', 'limit', 'delta'], outputs: ['r'], name: 'range', ...(stash !== undefined && { attrs: { stash_type: { i: stash } } }) },
        { op: 'Add', inputs: ['x', 'r'], outputs: ['y'], name: 'add' },
      ],
    });

  it.each([undefined, 1])('float16 0 to 3 by 1, stash_type %s (FLOAT, the default): [0, 1, 2]', (stash) => {
    const r = analyzeGraph(graphOf(range(stash)), DEFAULTS);
    expect([r.totals.complete, layer(r, 'add').outputShape]).toEqual([true, [3]]);
    expect(Array.from(Object.values(runGraph(graphOf(range(stash)), { x: tensor([1], [0]) }, OPTS).outputs)[0].data)).toEqual([0, 1, 2]);
  });

  it('stash_type FLOAT16 (accumulated in float16) is Unsupported at stash_type', () => {
    const r = analyzeGraph(graphOf(range(10)), DEFAULTS);
    expect(r.totals.unsupported).toEqual([{ opType: 'Range', count: 1, nodes: ['range'], reasons: [expect.stringContaining('stash_type float16 (ONNX 10)')] }]);
  });
});

describe('RotaryEmbedding (opset 23), hand-worked', () => {
  const rope = (x: number[], cos: { dims: number[]; data: number[] }, sin: { dims: number[]; data: number[] }, attrs: Record<string, { i: number }> = {}, pos?: { dims: number[]; data: number[] }) =>
    onnxModel({
      inputs: [{ name: 'x', shape: x }],
      outputs: ['y'],
      opset: 23,
      initializers: [{ name: 'cos', ...cos }, { name: 'sin', ...sin }, ...(pos ? [{ name: 'pos', ...pos, type: 'int64' as const }] : [])],
      nodes: [{ op: 'RotaryEmbedding', inputs: ['x', 'cos', 'sin', ...(pos ? ['pos'] : [])], outputs: ['y'], name: 'rope', attrs }],
    });

  it('x = [1, 0, 3, 5] (halves (1, 3), (0, 5)) by 90° (cos 0, sin 1): y1 = −x2, y2 = x1 → [−3, −5, 1, 0]', () => {
    const y = Object.values(runGraph(graphOf(rope([1, 1, 1, 4], { dims: [1, 1, 2], data: [0, 0] }, { dims: [1, 1, 2], data: [1, 1] })), { x: tensor([1, 1, 1, 4], [1, 0, 3, 5]) }, OPTS).outputs)[0];
    expect(Array.from(y.data)).toEqual([-3, -5, 1, 0]);
  });

  it('interleaved, the same x: pairs (1, 0), (3, 5) → [0, 1, −5, 3]', () => {
    const y = Object.values(runGraph(graphOf(rope([1, 1, 1, 4], { dims: [1, 1, 2], data: [0, 0] }, { dims: [1, 1, 2], data: [1, 1] }, { interleaved: { i: 1 } })), { x: tensor([1, 1, 1, 4], [1, 0, 3, 5]) }, OPTS).outputs)[0];
    expect(Array.from(y.data)).toEqual([0, 1, -5, 3]);
  });

  it('receptive field on an NCHW-like (B, H, S, D) x after a 3×3 conv: 3 along S (positions do not mix), spanning D (the values of a head do)', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 6, 8] }],
      outputs: ['y'],
      opset: 23,
      initializers: [
        { name: 'W', dims: [1, 1, 3, 3] },
        { name: 'cos', dims: [1, 6, 4], data: new Array(24).fill(1) },
        { name: 'sin', dims: [1, 6, 4], data: new Array(24).fill(0) },
      ],
      nodes: [
        { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], name: 'conv', attrs: { pads: { ints: [1, 1, 1, 1] } } },
        { op: 'RotaryEmbedding', inputs: ['c', 'cos', 'sin'], outputs: ['y'], name: 'rope' },
      ],
    });
    const r = analyzeGraph(graphOf(bytes), DEFAULTS);
    expect(layer(r, 'conv').receptiveField).toMatchObject({ global: false, size: [3, 3] });
    // along D a unit spans the axis from wherever it sits, as a layerNorm over W (norm-group.ts statisticsRF): 2·(8 − 1) + 3 = 17
    expect(layer(r, 'rope').receptiveField).toMatchObject({ global: false, size: [3, 17] });
  });

  it('a rank-3 x without num_heads is INVALID_ATTRIBUTE at numHeads; a position id past the caches is INVALID_TENSOR at a run', () => {
    const e = errorOf(() => analyzeGraph(graphOf(rope([1, 2, 8], { dims: [1, 2, 4], data: new Array(8).fill(1) }, { dims: [1, 2, 4], data: new Array(8).fill(0) })), DEFAULTS));
    expect([e.code, e.message]).toEqual(['INVALID_ATTRIBUTE', "layer 'rope': an input of rank 3 [1, 2, 8] needs numHeads (ONNX num_heads) to split its last dim into heads"]);
    const bytes = rope([1, 2, 4], { dims: [2, 2], data: [1, 1, 1, 1] }, { dims: [2, 2], data: [0, 0, 0, 0] }, { num_heads: { i: 1 } }, { dims: [1, 2], data: [0, 2] });
    expect(analyzeGraph(graphOf(bytes), DEFAULTS).totals.complete).toBe(true);
    const run = errorOf(() => runGraph(graphOf(bytes), { x: tensor([1, 2, 4], new Array(8).fill(1)) }, OPTS));
    expect(run.code).toBe('INVALID_TENSOR');
    expect(run.message).toContain('positionIds [1, 2] holds 2 at [0, 1], not a row of the caches (2 rows)');
  });

  // position id 2 is a row of cos (3 rows) but past sin's 2: the run read sin[4] as undefined and wrote NaN, a 200 with NaNs
  it('a sin cache of other rows than the cos cache (3 and 2 positions) is SHAPE_MISMATCH at input 2 naming both, not NaNs at a run', () => {
    const bytes = rope([1, 2, 4], { dims: [3, 2], data: [1, 1, 1, 1, 1, 1] }, { dims: [2, 2], data: [0, 0, 0, 0] }, { num_heads: { i: 1 } }, { dims: [1, 2], data: [0, 2] });
    const e = errorOf(() => analyzeGraph(graphOf(bytes), DEFAULTS));
    expect([e.code, e.message, e.details.path]).toEqual(['SHAPE_MISMATCH', "layer 'rope': the sin cache [2, 2] must have the cos cache's shape [3, 2]", '$.graph.node[0].input[2]']);
  });
});

describe('Attention (opsets 23, 24): masks by hand, and what is not modelled refused at its input or attribute', () => {
  const masked = (mask: { dims: number[]; data: number[]; type?: 'bool' }) =>
    onnxModel({ inputs: [{ name: 'x', shape: [1, 1, 3, 1] }], outputs: ['y'], opset: 23, initializers: [{ name: 'm', ...mask }], nodes: [{ op: 'Attention', inputs: ['x', 'x', 'x', 'm'], outputs: ['y'], name: 'attn', attrs: { scale: { f: 1e-30 } } }] });
  const yOf = (bytes: Uint8Array) => Array.from(Object.values(runGraph(graphOf(bytes), { x: tensor([1, 1, 3, 1], [3, 6, 9]) }, OPTS).outputs)[0].data);

  // scale 1e-30: equal scores, so each row is the mean of the values its mask lets through
  // a last dim of 1 is shorter than Sk = 3 like any other: onnx/reference/ops/op_attention.py pads it with −∞ (False), keys 1 and 2 hidden
  // (it was broadcast over the keys, as PyTorch's attn_mask: [6, 6, 6]; onnxruntime 1.30 refuses a mask shorter than Sk)
  it('a boolean mask hides keys (a row hiding all gives zeros, ONNX’s errata); a mask of 2 keys hides the 3rd; a last dim of 1 sees key 0 alone', () => {
    expect(yOf(masked({ dims: [3, 3], data: [1, 0, 1, 0, 1, 1, 0, 0, 0], type: 'bool' }))).toEqual([6, 7.5, 0]);
    expect(yOf(masked({ dims: [1, 2], data: [1, 1], type: 'bool' }))).toEqual([4.5, 4.5, 4.5]);
    expect(yOf(masked({ dims: [3, 1], data: [0, 0, 0] }))).toEqual([3, 3, 3]);
    expect(yOf(masked({ dims: [1, 1], data: [1], type: 'bool' }))).toEqual([3, 3, 3]);
  });

  // onnxruntime 1.30 refuses this node (q_num_heads must be Q's dim 1); convlens read the 4-D heads from the shapes and ignored the attributes
  it('4-D inputs of 2 heads with q_num_heads 3 (or kv_num_heads 3) are INVALID_ATTRIBUTE at that attribute, not run as 2 heads', () => {
    for (const [attrs, field, message] of [
      [{ q_num_heads: { i: 3 } }, 'q_num_heads', "layer 'attn': qNumHeads=3 but the 4-D q [1, 2, 3, 4] has 2 heads"],
      [{ q_num_heads: { i: 2 }, kv_num_heads: { i: 3 } }, 'kv_num_heads', "layer 'attn': kvNumHeads=3 but the 4-D k [1, 2, 3, 4] has 2 heads"],
    ] as const) {
      const bytes = onnxModel({ inputs: [{ name: 'x', shape: [1, 2, 3, 4] }], outputs: ['y'], opset: 23, nodes: [{ op: 'Attention', inputs: ['x', 'x', 'x'], outputs: ['y'], name: 'attn', attrs }] });
      const e = errorOf(() => analyzeGraph(graphOf(bytes), DEFAULTS));
      expect([e.code, e.message, e.details.onnxAttribute]).toEqual(['INVALID_ATTRIBUTE', message, field]);
    }
    const agrees = onnxModel({ inputs: [{ name: 'x', shape: [1, 2, 3, 4] }], outputs: ['y'], opset: 23, nodes: [{ op: 'Attention', inputs: ['x', 'x', 'x'], outputs: ['y'], name: 'attn', attrs: { q_num_heads: { i: 2 }, kv_num_heads: { i: 2 } } }] });
    expect(analyzeGraph(graphOf(agrees), DEFAULTS).totals.complete).toBe(true);
  });

  // the spec allows 0 or 1 (Attributes.flag); 2 was read as 0, not causal, where a reader may take any non-zero for 1
  it('is_causal 2 (Attention) and interleaved 2 (RotaryEmbedding) are ONNX_GRAPH_INVALID at the attribute, not read as 0', () => {
    const attn = onnxModel({ inputs: [{ name: 'x', shape: [1, 1, 3, 2] }], outputs: ['y'], opset: 23, nodes: [{ op: 'Attention', inputs: ['x', 'x', 'x'], outputs: ['y'], name: 'attn', attrs: { is_causal: { i: 2 } } }] });
    const rope = onnxModel({ inputs: [{ name: 'x', shape: [1, 1, 1, 4] }], outputs: ['y'], opset: 23, initializers: [{ name: 'c', dims: [1, 1, 2], data: [0, 0] }, { name: 's', dims: [1, 1, 2], data: [1, 1] }], nodes: [{ op: 'RotaryEmbedding', inputs: ['x', 'c', 's'], outputs: ['y'], name: 'rope', attrs: { interleaved: { i: 2 } } }] });
    for (const [bytes, name] of [[attn, 'is_causal'], [rope, 'interleaved']] as const) {
      const e = errorOf(() => graphOf(bytes));
      expect([e.code, e.details.path, e.details.onnxAttribute]).toEqual(['ONNX_GRAPH_INVALID', '$.graph.node[0].attribute[0]', name]);
    }
  });

  // the field was q's alone: learned queries (a constant, no field) over a conv's keys and values (DETR's decoder) had none
  it('cross-attention of constant queries over keys and values from a 3×3 conv of a 6×8 map: a global field over it, not none', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 6, 8] }],
      outputs: ['y'],
      opset: 23,
      initializers: [
        { name: 'W', dims: [1, 1, 3, 3] },
        { name: 'q', dims: [1, 1, 2, 8], data: new Array(16).fill(0.1) },
      ],
      nodes: [
        { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], name: 'conv', attrs: { pads: { ints: [1, 1, 1, 1] } } },
        { op: 'Attention', inputs: ['q', 'c', 'c'], outputs: ['y'], name: 'attn' },
      ],
    });
    const r = analyzeGraph(graphOf(bytes), DEFAULTS);
    expect(layer(r, 'attn').receptiveField).toMatchObject({ global: true, size: [6, 8] });
  });

  // opsets.ts: onnx's main branch gives Attention window sizes at 28; a file of a later opset is read by 24's definition, and an
  // attribute 24 does not have (a window) was left unread: the node analysed and run as full attention, under the generic warning alone
  it('at opset 28, an attribute Attention-24 does not have (local_window 2) is Unsupported naming it; the ones it has still map', () => {
    const at28 = (attrs: Record<string, { i: number }>) => onnxModel({ inputs: [{ name: 'x', shape: [1, 1, 3, 2] }], outputs: ['y'], opset: 28, nodes: [{ op: 'Attention', inputs: ['x', 'x', 'x'], outputs: ['y'], name: 'attn', attrs }] });
    expect(analyzeGraph(graphOf(at28({ is_causal: { i: 1 }, local_window: { i: 2 } })), DEFAULTS).totals.unsupported.flatMap((u) => u.reasons)).toEqual([expect.stringContaining('local_window')]);
    expect(analyzeGraph(graphOf(at28({ is_causal: { i: 1 } })), DEFAULTS).totals.complete).toBe(true);
  });

  it('a mask that does not broadcast to (B, Hq, Sq, ≤ Sk) is SHAPE_MISMATCH at the mask', () => {
    const e = errorOf(() => analyzeGraph(graphOf(masked({ dims: [2, 3], data: [0, 0, 0, 0, 0, 0] })), DEFAULTS));
    expect([e.code, e.message]).toEqual(['SHAPE_MISMATCH', "layer 'attn': the mask [2, 3] does not broadcast to (B, Hq, Sq, ≤ Sk) = [1, 1, 3, 3]"]);
  });

  const attention = (inputs: string[], attrs: Record<string, { i: number } | { f: number }> = {}, outputs = ['y']) =>
    onnxModel({ inputs: [{ name: 'x', shape: [1, 2, 3, 4] }], outputs: ['y'], opset: 24, nodes: [{ op: 'Attention', inputs, outputs, name: 'attn', attrs }] });
  const reasons = (bytes: Uint8Array) => analyzeGraph(graphOf(bytes), DEFAULTS).totals.unsupported.flatMap((u) => u.reasons);

  it.each([
    [['x', 'x', 'x', '', 'x', 'x'], 'the input past_key'],
    [['x', 'x', 'x', 'x', 'x', 'x'], 'the input past_key'],
    [['x', 'x', 'x', '', '', '', 'x'], 'the input nonpad_kv_seqlen'],
  ])('inputs %j: %s', (inputs, reason) => {
    expect(reasons(attention(inputs))).toEqual([expect.stringContaining(reason)]);
  });

  it('softcap 50, and a present_key output, are Unsupported; a head attending with scale 1e-30 (equal weights) gives the mean of v', () => {
    expect(reasons(attention(['x', 'x', 'x'], { softcap: { f: 50 } }))).toEqual([expect.stringContaining('softcap 50')]);
    expect(reasons(attention(['x', 'x', 'x'], {}, ['y', 'pk']))).toEqual([expect.stringContaining('the output present_key')]);
    const bytes = onnxModel({ inputs: [{ name: 'x', shape: [1, 1, 3, 2] }], outputs: ['y'], opset: 23, nodes: [{ op: 'Attention', inputs: ['x', 'x', 'x'], outputs: ['y'], name: 'attn', attrs: { scale: { f: 1e-30 } } }] });
    const y = Object.values(runGraph(graphOf(bytes), { x: tensor([1, 1, 3, 2], [1, 2, 3, 4, 5, 9]) }, OPTS).outputs)[0];
    expect(Array.from(y.data)).toEqual([3, 5, 3, 5, 3, 5]);
  });
});

describe('operators new in 23–27 that convlens does not model: refused, never counted as zero', () => {
  it.each([
    ['TensorScatter', 24, 3],
    ['BitCast', 26, 1],
    ['CumProd', 26, 2],
    ['CausalConvWithState', 27, 2],
    ['LinearAttention', 27, 3],
  ])('%s at opset %i: an unsupported operator, the analysis incomplete, no newer-opset warning', (op, opset, inputs) => {
    const names = ['x', 'x', 'x'].slice(0, inputs);
    const bytes = onnxModel({ inputs: [{ name: 'x', shape: [1, 4, 8] }], outputs: ['y'], opset, nodes: [{ op, inputs: names, outputs: ['y'], name: 'n' }] });
    const r = analyzeGraph(graphOf(bytes), DEFAULTS);
    expect(r.totals.complete).toBe(false);
    expect(r.totals.unsupported).toEqual([{ opType: op, count: 1, nodes: ['n'], reasons: [`convlens does not model ONNX ${op}`] }]);
    expect(r.warnings.map((w) => w.code)).not.toContain('ONNX_OPSET_NEWER_THAN_READ');
  });
});
