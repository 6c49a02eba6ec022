/**
 * MAX_RUN_WORK's charge for float16 rounding (graph/onnx/float16-work.ts FLOAT16_ROUND_WORK, 40 units an
 * element): every layer output an ONNX graph types FLOAT16 is rounded to float16 after its layer
 * (runtime/float16-run.ts), a pass that ran 6.6–13 ns an element (bench/op-rates.ts `onnx add ×8`)
 * and was counted nowhere: a same-shape add in a float16 graph was estimated at its 2 units an
 * element, as in float32. So is every FLOAT16 graph input, copied and rounded on entry
 * (float16InputWork: 1 written + 40 an element), which was counted nowhere either. Expected
 * estimates are worked by hand from the README's rates.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { executedLayers } from '../../src/graph/walks.js';
import { checkWork, float16InputWork } from '../../src/runtime/checks.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { answerDtype } from '../../src/tensor/encoding.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { errorOf } from '../helpers.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'float16');
const OPTS = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 20 };

const estimate = (bytes: Uint8Array) => {
  const { graph } = importOnnx(bytes);
  return checkWork(inferGraph(graph).analysed, executedLayers(graph), Number.MAX_SAFE_INTEGER, float16InputWork(graph));
};

/** `adds` same-shape Adds s_i = s_(i−1) + b over [1, 1000], every tensor of ONNX type `elemType` (1 FLOAT, 10 FLOAT16). */
const chain = (elemType: number, adds: number) =>
  onnxModel({
    inputs: [{ name: 'a', shape: [1, 1000], elemType }, { name: 'b', shape: [1, 1000], elemType }],
    outputs: [`s${adds}`],
    nodes: Array.from({ length: adds }, (_, i) => ({ op: 'Add', inputs: [i === 0 ? 'a' : `s${i}`, 'b'], outputs: [`s${i + 1}`] })),
  });

describe('rounding to float16 is charged 40 units an element of each FLOAT16 layer output', () => {
  it('4 same-shape Adds over [1, 1000]: float32 4 · 1000 · (1 FLOP + 1 written) = 8,000; float16 4 · 1000 · (1 + 1 + 40) = 168,000, + the inputs a and b rounded on entry, 2 · 1000 · (1 + 40) = 82,000: 250,000', () => {
    expect(estimate(chain(1, 4))).toBe(8_000);
    expect(estimate(chain(10, 4))).toBe(250_000);
  });

  it('add.onnx (half a [8] + b [1]): the add 8 · (6, an operand of one element, + 1 written + 40) = 376, the inputs (8 + 1) · (1 + 40) = 369: 745; a budget of 744 is 413 WORK_TOO_LARGE', () => {
    const bytes = fs.readFileSync(path.join(FIXTURES, 'add.onnx'));
    expect(estimate(bytes)).toBe(745);
    const { graph } = importOnnx(bytes);
    const inputs = { a: tensor([8], new Float32Array(8).fill(2048)), b: tensor([1], [1]) };
    const e = errorOf(() => runGraph(graph, inputs, { ...OPTS, maxWork: 744 }));
    expect(e.code).toBe('WORK_TOO_LARGE');
    expect(e.details).toMatchObject({ estimate: 745, limit: 744, layer: '/Add', layerWork: 376 });
    // 2048 + 1 rounds to 2048 (a tie, to even)
    expect(Array.from(runGraph(graph, inputs, { ...OPTS, maxWork: 745 }).outputs.y.data)).toEqual(new Array(8).fill(2048));
  });

  it('cast.onnx (float32 x [8] → Cast to FLOAT16 → Mul by 3 → Cast to FLOAT): only the two FLOAT16 outputs pay, the FLOAT input nothing on entry: 8 · (1 + 40) + 8 · (6 + 1 + 40) + 8 · 1 = 712', () => {
    expect(estimate(fs.readFileSync(path.join(FIXTURES, 'cast.onnx')))).toBe(712);
  });
});

describe("a Loop kept whole charges its body's FLOAT16 outputs' rounding, iteration by iteration", () => {
  // scripts/export_float16_loop.py: x FLOAT16 [4, 6], boxes INT64 [2, 4], M = 2; the body
  // s = v[box window], r = ReduceSum(s, keepdims), v' = v + r, with s, r and v' typed FLOAT16
  const bytes = fs.readFileSync(path.join(FIXTURES, 'loop.onnx'));
  const truth = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'loop.json'), 'utf8')) as { inputs: Record<'x' | 'boxes', { shape: number[]; data: number[] }>; output: { shape: number[]; data: number[] } };

  it('loop.onnx at its bound (each box the whole image: s [4, 6]): per iteration Slice 300 (one run of 24 floats copied whole) + ReduceSum 7 · 24 + Add 6 · 24 = 612, and s, r, v\' rounded (24 + 1 + 24) · 40 = 1,960; 2 iterations 5,144, + y written and rounded (the loop\'s output, FLOAT16 as the body\'s v\') 24 · 41 = 984, + x rounded on entry 24 · 41 = 984: 7,112', () => {
    const { graph } = importOnnx(bytes);
    expect(graph.layers.map((l) => l.op)).toEqual(['loop']);
    expect(estimate(bytes)).toBe(7_112);
  });

  it('runs to NumPy float16\'s [4, 2050, …] (the body\'s v\' rounded: 2048 + 1 → 2048; unrounded, 2051) and answers y as float16 within 7,112; a budget of 7,111 is 413 WORK_TOO_LARGE naming the loop at 6,128', () => {
    const { graph } = importOnnx(bytes);
    const inputs = { x: tensor(truth.inputs.x.shape, truth.inputs.x.data), boxes: tensor(truth.inputs.boxes.shape, truth.inputs.boxes.data) };
    const e = errorOf(() => runGraph(graph, inputs, { ...OPTS, maxWork: 7_111 }));
    expect(e.code).toBe('WORK_TOO_LARGE');
    expect(e.details).toMatchObject({ estimate: 7_112, limit: 7_111, layer: 'loop', layerWork: 6_128 });
    const y = runGraph(graph, inputs, { ...OPTS, maxWork: 7_112 }).outputs.y;
    // the loop's output has the body's type (it had none: answered as float32, unrounded, uncharged)
    expect(answerDtype(y)).toBe('float16');
    expect(y.shape).toEqual(truth.output.shape);
    expect(Array.from(y.data)).toEqual(truth.output.data);
  });
});
