/** A graph constant's values, for the analyzer (decomposed patterns, ONNX mappings) and the runtime alike. */
import type { GraphConstant } from './graph.js';
import { decodeToFloat32 } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';

/** The float values of a constant: raw little-endian bytes or typed fields; null when stripped. */
export function constantData(c: GraphConstant): Float32Array | null {
  const n = numel(c.shape);
  if (c.value && c.value.data.length === n) return Float32Array.from(c.value.data);
  if (c.typed && c.typed.length === n) return Float32Array.from(c.typed);
  const raw = c.raw;
  if (!raw) return n === 0 ? new Float32Array(0) : null;
  // float16, bfloat16 and float64 weights are widened, integer ones (int8 weights and int32 biases
  // of quantized layers) converted; too few bytes for the shape is no data (null), not a crash
  return c.dataType !== 'other' ? decodeToFloat32(c.dataType, raw, n) : null;
}
