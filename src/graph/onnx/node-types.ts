/**
 * The element type of an ONNX node's outputs as ONNX's type inference gives it, for the ops that
 * change types (Cast, comparisons, Shape, quantization …); the others keep their first input's.
 * The control-flow flattening (graph/onnx/control-flow.ts) types the values it threads through
 * unrolled Loop and If bodies by it.
 */
import type { DataType } from '../../tensor/dtype.js';
import { dtypeOfOnnx } from '../../tensor/dtype.js';
import type { NodeProto } from './proto.js';

/**
 * Output types of the quantization ops (ONNX and com.microsoft): the output's zero point's type
 * (uint8 when absent, as ONNX defaults), a dequantized output its scale's (or, from opset 23, its
 * output_dtype's: nodeOutputType); integer accumulations int32.
 */
const QUANTIZED_OUT: Record<string, (k: number, inputs: (DataType | undefined)[]) => DataType> = {
  DequantizeLinear: (_k, ins) => ins[1] ?? 'float32',
  QuantizeLinear: (_k, ins) => ins[2] ?? 'uint8',
  DynamicQuantizeLinear: (k) => (k === 1 ? 'float32' : 'uint8'),
  ConvInteger: () => 'int32',
  MatMulInteger: () => 'int32',
  QLinearConv: (_k, ins) => ins[7] ?? 'uint8',
  QLinearMatMul: (_k, ins) => ins[7] ?? 'uint8',
  QLinearAdd: (_k, ins) => ins[7] ?? 'uint8',
  QLinearMul: (_k, ins) => ins[7] ?? 'uint8',
  QLinearGlobalAveragePool: (_k, ins) => ins[4] ?? 'uint8',
  QLinearConcat: (_k, ins) => ins[1] ?? 'uint8',
};

const INT64_OUT = new Set(['Shape', 'Size', 'NonZero', 'NonMaxSuppression', 'ArgMax', 'ArgMin']);
const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);

/** The element type of a node's output k, as ONNX's type inference gives it for the ops that change types; others keep their first input's. */
export function nodeOutputType(n: NodeProto, k: number, inputs: (DataType | undefined)[]): DataType {
  const attr = (name: string) => n.attribute.find((a) => a.name === name);
  if (n.opType === 'Cast') return dtypeOfOnnx(Number(attr('to')?.i ?? 1));
  if (n.opType === 'Constant') return attr('value')?.t ? dtypeOfOnnx(attr('value')!.t!.dataType) : 'float32';
  if (n.opType === 'ConstantOfShape') return attr('value')?.t ? dtypeOfOnnx(attr('value')!.t!.dataType) : 'float32';
  if (INT64_OUT.has(n.opType) || (k === 1 && (n.opType === 'TopK' || n.opType === 'MaxPool'))) return 'int64';
  if (BOOL_OUT.has(n.opType) || (n.opType === 'Dropout' && k === 1)) return 'bool';
  if (n.opType === 'CastLike') return inputs[1] ?? 'float32';
  // convlens's own nodes pass values through after a condition: IfSelect [cond, then…, else…], LoopContinue [cond, values…]
  if (n.domain === 'convlens') return inputs[1 + k] ?? 'float32';
  if (n.opType === 'Where') return inputs[1] ?? 'float32';
  if (n.opType === 'OneHot') return inputs[2] ?? 'float32';
  // quantization changes the type: a dequantized tensor is its scale's (float), a quantized one its zero point's
  // DequantizeLinear-23's output_dtype, when given (not 0), is the output's type, the scale's otherwise
  if (n.opType === 'DequantizeLinear' && Number(attr('output_dtype')?.i ?? 0) !== 0) return dtypeOfOnnx(Number(attr('output_dtype')!.i));
  const quantized = QUANTIZED_OUT[n.opType];
  if (quantized) return quantized(k, inputs);
  return inputs[0] ?? 'float32';
}
