/**
 * The quantization summary of a graph (int8 deployment): integer MACs apart from float MACs, the
 * Q/DQ overhead, and memory counted by each tensor's real element type rather than one dtype for
 * the whole report.
 *
 * Element types are carried forward through the graph: inputs are float (at `floatBytes`, the
 * report's dtype), constants have their file's type (a QDQ weight, dequantized at import, counts
 * as the int8/int32 it is stored as, with its scale and zero point), an op with a `quantized`
 * hook states its output's type (quantizeLinear → int8/uint8, dequantizeLinear → float,
 * convInteger → int32 …) and its weights' (int8 weight, int32 bias), and every other op keeps its
 * first input's type (a reshape or max pooling of int8 stays int8).
 *
 *   intMacs         Σ cost.intMacs (QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger)
 *   floatMacs       Σ cost.macs
 *   qdqMacs         MACs of float layers whose activations all come from DequantizeLinear and
 *                   whose weights are QDQ (int8-stored): what a QDQ-aware runtime fuses into
 *                   integer kernels (ONNX Runtime's QDQ transformer); part of floatMacs
 *   overhead        layers, element-wise FLOPs and bytes of QuantizeLinear / DequantizeLinear
 *   weights         bytes of the weights and constant inputs by stored type; scales and zero
 *                   points (per tensor or per channel) counted with them; a weight declared in its
 *                   own type (WeightSpec.dtype: int64 index buffers, num_batches_tracked) at it;
 *                   float ones of no narrower stored type (float32 in the file, or no file: a
 *                   spec's, a zoo model's) at the report's dtype and under its name (a float16
 *                   report: 'float16', 2 bytes each, not 'float32'), so a float16 file's weights
 *                   and the rest of its floats are one entry
 *   memoryBytes     the report's memory access (inputs + outputs + weights of every executed
 *                   layer, none that no forward pass reads), each tensor at its own element size
 * Null when the graph has no quantized operator and no QDQ weight.
 */
import { z } from 'zod';
import type { Graph } from '../graph/graph.js';
import { executedLayers } from '../graph/walks.js';
import { QUANTIZED_STORAGE } from '../graph/onnx/qdq.js';
import { numel } from '../ops/types.js';
import { bytesPerElement, isDtype } from '../tensor/dtype.js';
import type { DtypeName } from '../tensor/dtype.js';
import type { Inference } from './infer.js';

const Bytes = z.object({ elements: z.number().int(), bytes: z.number().int() });

export const QuantizationSummarySchema = z
  .object({
    intMacs: z.number().int().describe('integer multiply-accumulates (QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger)'),
    floatMacs: z.number().int().describe('float multiply-accumulates (the report\'s macs)'),
    qdqMacs: z.number().int().describe('float MACs between DequantizeLinear and QDQ weights: what a QDQ-aware runtime runs as integer kernels'),
    overhead: z
      .object({ layers: z.number().int(), quantize: z.number().int(), dequantize: z.number().int(), flops: z.number().int(), bytes: z.number().int() })
      .describe('QuantizeLinear / DequantizeLinear layers: count, element-wise FLOPs, memory bytes'),
    weights: z
      .object({ bytes: z.number().int(), byDtype: z.record(z.string(), Bytes), scaleAndZeroPointBytes: z.number().int() })
      .describe('weights and constant inputs by stored element type; scales and zero points included'),
    memoryBytes: z.number().int().describe('memory access with every tensor at its own element size'),
  })
  .describe('int8 deployment: integer MACs apart from float ones, Q/DQ overhead, bytes by real dtype');
export type QuantizationSummary = z.infer<typeof QuantizationSummarySchema>;

const size = (d: string, floatBytes: number) => (d === 'float32' ? floatBytes : isDtype(d) ? bytesPerElement(d) : floatBytes);

/** `reportDtype`: the report's dtype option (float32, float16, bfloat16, int8), at whose size and under whose name float tensors of no narrower stored type count. */
export function quantizationSummary(graph: Graph, inference: Inference, reportDtype: DtypeName = 'float32'): QuantizationSummary | null {
  const floatBytes = bytesPerElement(reportDtype);
  const executed = executedLayers(graph);
  const quantizedWeights = [...graph.constants.values()].filter((c) => QUANTIZED_STORAGE.has(c));
  if (!inference.analysed.some((a) => a.op?.quantized) && quantizedWeights.length === 0) return null;

  // element type of every tensor, carried forward
  const dtype = new Map<string, string>();
  for (const i of graph.inputs) dtype.set(i.name, 'float32');
  for (const c of graph.constants.values()) dtype.set(c.name, QUANTIZED_STORAGE.get(c)?.dtype ?? c.dataType);
  const dequantized = new Set<string>();
  const byDtype: Record<string, { elements: number; bytes: number }> = {};
  const weightBytes = (d: string, n: number) => {
    const e = (byDtype[d === 'float32' ? reportDtype : d] ??= { elements: 0, bytes: 0 });
    e.elements += n;
    e.bytes += n * size(d, floatBytes);
    return n * size(d, floatBytes);
  };
  const counted = new Set<string>();
  let scaleBytes = 0;
  // a QDQ weight's scale and zero point: constants no layer reads any more (the weight was dequantized at import)
  let qdqScaleBytes = 0;
  let intMacs = 0;
  let floatMacs = 0;
  let qdqMacs = 0;
  let memoryBytes = 0;
  const overhead = { layers: 0, quantize: 0, dequantize: 0, flops: 0, bytes: 0 };

  for (const { layer, op, inferred, inputShapes, folded } of inference.analysed) {
    const first = layer.inputs.find((r) => r !== '' && dtype.has(r));
    const outType = op?.quantized ? op.quantized.output(layer.attrs) : (first ? dtype.get(first)! : 'float32');
    for (const o of layer.outputs) dtype.set(o, outType);
    // a dequantized activation, or one moved without arithmetic (reshape, transpose) from one
    const fromDequantized = first !== undefined && dequantized.has(first) && !!inferred && inferred.cost.macs === 0 && inferred.cost.elementwise === 0;
    if ((op?.quantized?.overhead && outType === 'float32') || fromDequantized) for (const o of layer.outputs) dequantized.add(o);
    if (!op || !inferred || folded || !executed.has(layer.name)) continue;

    let bytes = 0;
    layer.inputs.forEach((r, i) => {
      if (r === '') return;
      const n = numel(inputShapes[i]);
      const c = graph.constants.get(r);
      const d = dtype.get(r) ?? 'float32';
      if (!c) return void (bytes += n * size(d, floatBytes));
      bytes += n * size(d, floatBytes);
      if (!counted.has(r)) {
        counted.add(r);
        const b = weightBytes(d, n);
        // after the data input, a quantized op's constant scalars and vectors are its scales and zero points
        if (op.quantized && i > 0 && c.shape.length <= 1) scaleBytes += b;
      }
    });
    inferred.outputs.forEach((s) => (bytes += numel(s) * size(outType, floatBytes)));
    let quantizedWeight = false;
    for (const w of inferred.weights) {
      const bound = layer.weights?.[w.name];
      const c = bound ? graph.constants.get(bound.constant) : undefined;
      const storage = c ? QUANTIZED_STORAGE.get(c) : undefined;
      // a buffer declared in its own type keeps it (BN's num_batches_tracked, Swin's relative_position_index: int64, as PyTorch keeps them)
      const d = storage?.dtype ?? (c ? c.dataType : w.dtype ?? op.quantized?.weights?.[w.name] ?? 'float32');
      const n = numel(w.shape);
      // held but never read (WeightSpec.unread): no memory access, as the report's own (analysis/analyze.ts)
      if (!w.unread) bytes += n * size(d, floatBytes);
      const key = c ? c.name : `${layer.name}.${w.name}`;
      if (!counted.has(key)) {
        counted.add(key);
        weightBytes(d, n);
        // a QDQ weight's scale and zero point are read with it (float32 scales, zero points at the weight's type)
        if (storage) {
          const b = numel(storage.scale) * 4 + (storage.zeroPoint ? numel(storage.zeroPoint) * size(storage.dtype, floatBytes) : 0);
          qdqScaleBytes += b;
          scaleBytes += b;
        }
      }
      if (storage && w.name === 'weight') quantizedWeight = true;
    }
    memoryBytes += bytes;
    const cost = inferred.cost;
    intMacs += cost.intMacs ?? 0;
    floatMacs += cost.macs;
    const activations = layer.inputs.filter((r) => r !== '' && !graph.constants.has(r));
    if (cost.macs > 0 && activations.length > 0 && activations.every((r) => dequantized.has(r)) && (quantizedWeight || inferred.weights.length === 0)) {
      qdqMacs += cost.macs;
    }
    if (op.quantized?.overhead) {
      overhead.layers++;
      if (outType === 'float32') overhead.dequantize++;
      else overhead.quantize++;
      overhead.flops += cost.elementwise;
      overhead.bytes += bytes;
    }
  }
  const total = Object.values(byDtype).reduce((s, e) => s + e.bytes, 0) + qdqScaleBytes;
  return { intMacs, floatMacs, qdqMacs, overhead, weights: { bytes: total, byDtype, scaleAndZeroPointBytes: scaleBytes }, memoryBytes };
}
