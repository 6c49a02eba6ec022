/**
 * Quantized ONNX models (scripts/export_quant.py): a QDQ model from PyTorch's own int8 toolchain
 * and a QOperator model (QLinearConv, com.microsoft QLinearAdd, QLinearMatMul) written with
 * onnx.helper. Both analyse completely, count int8 weights as parameters, and run to the outputs
 * the fixtures carry (torch's fbgemm kernels; the ONNX spec's formulas), exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { quantizationSummary } from '../../src/analysis/quantization.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS } from '../helpers.js';

const dir = new URL('../fixtures/onnx/quant/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth.json', dir), 'utf8')) as Record<string, { input: number[]; inputShape: number[]; output: number[]; outputShape: number[] }>;

function load(name: string) {
  const { graph } = importOnnx(readFileSync(new URL(`${name}.onnx`, dir)));
  const inference = inferGraph(graph);
  return { graph, inference, report: analyzeGraph(graph, DEFAULTS, inference) };
}

function runOf(name: string) {
  const { graph, inference } = load(name);
  const t = truth[name];
  const out = runGraph(graph, { x: tensor(t.inputShape, Float32Array.from(t.input)) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 }, inference);
  return Object.values(out.outputs)[0];
}

describe('a QDQ model exported by torch.onnx.export from an fbgemm-quantized model', () => {
  it('analyses completely: the int8 weights behind DequantizeLinear are the convs\' weights (params 8·3·9 + 8 + 4·8·9 + 4 = 516)', () => {
    const { report } = load('qdq_torch');
    expect(report.totals.complete).toBe(true);
    expect(report.totals.params).toBe(516);
    // conv 8·8·8·27 + conv2 4·3·3·72: float convs in the graph, between DequantizeLinear and QuantizeLinear
    expect(report.totals.macs).toBe(13_824 + 2_592);
    expect(report.layers.filter((l) => l.op === 'quantizeLinear').length).toBe(3);
  });

  it('quantization summary: all 16,416 MACs sit between Q/DQ (what a QDQ runtime runs in int8); weights by stored type', () => {
    const { graph, inference } = load('qdq_torch');
    const s = quantizationSummary(graph, inference)!;
    expect(s).toMatchObject({ intMacs: 0, floatMacs: 16_416, qdqMacs: 16_416 });
    expect(analyzeGraph(graph, DEFAULTS, inference).totals.quantization).toEqual(s);
    expect(s.overhead).toMatchObject({ layers: 6, quantize: 3, dequantize: 3 });
    // Q: 5 FLOPs per element of [1,3,8,8], [1,8,8,8], [1,4,3,3]; DQ: 2 per element of the same
    expect(s.overhead.flops).toBe(7 * (192 + 512 + 36));
    // the int8 weights 8·3·9 + 4·8·9 = 504 elements, one byte each; the int32 biases 8 + 4
    expect(s.weights.byDtype.int8).toEqual({ elements: 504, bytes: 504 });
    expect(s.weights.byDtype.int32).toEqual({ elements: 12, bytes: 48 });
    // per-channel weight scales (8 + 4 float32) and zero points (8 + 4 int8); bias scales (8 + 4 float32) and
    // zero points (8 + 4 int32, from Cast(ConstantOfShape([C]))); each of the 6 Q/DQ layers' float32 scale and uint8 zero point
    expect(s.weights.scaleAndZeroPointBytes).toBe(12 * 4 + 12 + 12 * 4 + 12 * 4 + 6 * 5);
  });

  it('runs to the converted torch model\'s own int8 output exactly', () => {
    const y = runOf('qdq_torch');
    expect(y.shape).toEqual(truth.qdq_torch.outputShape);
    expect(Array.from(y.data)).toEqual(truth.qdq_torch.output.map(Math.fround));
  });
});

describe('a QOperator model: QuantizeLinear → QLinearConv → QLinearAdd (com.microsoft) → QLinearMatMul → DequantizeLinear', () => {
  it('analyses completely with integer MACs apart: conv 3·36·27 + matmul 3·6·6·5 = 3,456 intMacs, 0 float MACs', () => {
    const { graph, inference, report } = load('qop');
    expect(report.totals.complete).toBe(true);
    expect(report.totals.macs).toBe(0);
    expect(report.totals.intMacs).toBe(3456);
    expect(report.layers.find((l) => l.name === 'qconv')).toMatchObject({ macs: 0, intMacs: 2916 });
    expect(report.totals.quantization).toEqual(quantizationSummary(graph, inference));
    // int8 weight 81 + int32 bias 3 + the constant B 6·5
    expect(report.totals.params).toBe(114);
    const s = quantizationSummary(graph, inference)!;
    expect(s.intMacs).toBe(2916 + 540);
    expect(s.weights.byDtype).toEqual({
      float32: { elements: 8, bytes: 32 }, // scales: sx, sw[3], sy, sr, sb, sm
      uint8: { elements: 35, bytes: 35 }, // B 30 + five zero points
      int8: { elements: 84, bytes: 84 }, // w 81 + zw[3]
      int32: { elements: 3, bytes: 12 }, // b
    });
    expect(s.weights.scaleAndZeroPointBytes).toBe(32 + 5 + 3);
    // Q of [1,3,6,6] (5 FLOPs each) + DQ of [1,3,6,5] (2 each)
    expect(s.overhead).toMatchObject({ layers: 2, flops: 5 * 108 + 2 * 90 });
    // memory by real dtype: the quantize reads 108 floats (432 B) + scale and zero point (5 B), writes 108 bytes
    const quant = report.layers.find((l) => l.name === 'quant')!;
    expect(quant.memoryAccess.elements.outputs).toBe(108);
  });

  it('runs to the ONNX spec formulas\' output exactly', () => {
    const y = runOf('qop');
    expect(y.shape).toEqual([1, 3, 6, 5]);
    expect(Array.from(y.data)).toEqual(truth.qop.output.map(Math.fround));
  });

  it('a graph without quantized operators has no quantization summary, and no integer MACs', () => {
    const { graph } = importOnnx(readFileSync(new URL('../resnet18.onnx', dir)), { inputShapes: { '': [1, 3, 64, 64] } });
    expect(quantizationSummary(graph, inferGraph(graph))).toBeNull();
    const report = analyzeGraph(graph, DEFAULTS);
    expect(report.totals.quantization).toBeNull();
    expect(report.totals.intMacs).toBe(0);
  });
});

describe('com.microsoft QLinearConcat and QLinearGlobalAveragePool (a QOperator head)', () => {
  it('analyses completely ([1, 4, 1, 1]) and runs to ONNX Runtime\'s formulas exactly', () => {
    const { report } = load('qop_head');
    expect(report.totals.complete).toBe(true);
    expect(report.layers.map((l) => l.op)).toEqual(['quantizeLinear', 'qlinearConcat', 'qlinearGlobalAvgPool', 'dequantizeLinear']);
    expect(report.outputs[0].shape).toEqual([1, 4, 1, 1]);
    const y = runOf('qop_head');
    expect(Array.from(y.data)).toEqual(truth.qop_head.output.map(Math.fround));
  });
});

describe("torchvision's quantizable ResNet-18, fbgemm int8, exported as QDQ (weights stripped)", () => {
  it('analyses completely: the float ResNet-18 with BNs folded into conv biases, 11,689,512 − 9,600 γβ + 4,800 biases = 11,684,712 params; 1,814,073,344 MACs, all between Q/DQ', () => {
    const { report } = load('qresnet18_stripped');
    expect(report.totals.complete).toBe(true);
    expect(report.totals.params).toBe(11_684_712);
    expect(report.totals.macs).toBe(1_814_073_344);
    const q = report.totals.quantization!;
    expect(q.qdqMacs).toBe(1_814_073_344);
    // every conv and the fc weight in int8: the 11,684,712 params less the 4,800 + 1,000 int32 biases
    expect(q.weights.byDtype.int8.elements).toBe(11_684_712 - 5_800 + 0);
    expect(q.weights.byDtype.int32).toEqual({ elements: 5_800, bytes: 23_200 });
    expect(q.overhead).toMatchObject({ quantize: 33 });
  });
});
