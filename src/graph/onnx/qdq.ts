/**
 * QDQ weights: in a QDQ graph (onnxruntime's quantizer, the common int8 export) every weight is an
 * int8 initializer read through DequantizeLinear, so Conv, Gemm and MatMul see a computed weight.
 * A DequantizeLinear whose input, scale and zero point are all constants is the weight itself,
 * dequantized: the importer turns it into a float constant (what runtimes do once, at load), so
 * the layer reading it maps as usual and its parameters count. The values are computed here,
 * (q − zp)·scale per tensor or per axis, in float32, when the file holds them; a file with
 * stripped weights gives a constant with a shape and no data, which analyses the same.
 *
 * What the weight is stored as (int8/uint8/int32, with its scale and zero point) is kept in
 * QUANTIZED_STORAGE, so the quantization summary can count bytes by the stored type.
 */
import { converter } from '../../tensor/cast.js';
import { decodeToFloat32, dtypeOfOnnx } from '../../tensor/dtype.js';
import type { DataType } from '../../tensor/dtype.js';
import { numel } from '../../tensor/tensor.js';
import type { GraphConstant } from '../graph.js';

export interface QuantizedStorage {
  /** the stored element type (int8, uint8, int32 …) */
  dtype: DataType;
  /** shapes of the scale and zero point (one element: per tensor; [C]: per axis) */
  scale: number[];
  zeroPoint: number[] | null;
}

/** Dequantized weight constants → how they are stored in the file. */
export const QUANTIZED_STORAGE = new WeakMap<GraphConstant, QuantizedStorage>();

/** All the values of a constant, from its decoded value, its typed field or its raw bytes; null when stripped. */
function valuesOf(c: GraphConstant): ArrayLike<number> | null {
  const n = numel(c.shape);
  if (c.value && c.value.data.length === n) return c.value.data;
  if (c.typed && c.typed.length === n) return c.typed;
  if (c.raw && c.dataType !== 'other') return decodeToFloat32(c.dataType, c.raw, n);
  return null;
}

/** DequantizeLinear-23's output_dtype values: absent (0, the scale's type), FLOAT, FLOAT16, DOUBLE, BFLOAT16. */
export const DEQUANTIZED_TYPES: ReadonlySet<number> = new Set([0, 1, 10, 11, 16]);

/**
 * The float constant a DequantizeLinear of constants (x, scale, zeroPoint?) stands for, or null
 * when an input is computed. `axis` is the node's (default 1), used when the scale is 1-D.
 * `outputDtype`: DequantizeLinear-23's output_dtype (an ONNX type number; 0, as absent, is the
 * scale's): a float16 or bfloat16 output is that type, its values rounded to it as a run would.
 */
export function foldDequantize(output: string, x: GraphConstant, scale: GraphConstant, zeroPoint: GraphConstant | null, axis: number, outputDtype = 0): GraphConstant | null {
  // another output_dtype is no float type: left to the mapper, which refuses it
  if (!DEQUANTIZED_TYPES.has(outputDtype)) return null;
  const n = numel(x.shape);
  const perAxis = numel(scale.shape) > 1;
  const ax = axis < 0 ? axis + x.shape.length : axis;
  if (perAxis && (ax < 0 || ax >= x.shape.length || x.shape[ax] !== numel(scale.shape))) return null;
  const q = valuesOf(x);
  const s = valuesOf(scale);
  const z = zeroPoint ? valuesOf(zeroPoint) : null;
  let typed: Float32Array | null = null;
  if (q && s && (z || !zeroPoint)) {
    typed = new Float32Array(n);
    const inner = perAxis ? numel(x.shape.slice(ax + 1)) : n;
    const len = perAxis ? x.shape[ax] : 1;
    for (let start = 0, c = 0; start < n; start += inner, c = (c + 1) % len) {
      const sc = s[perAxis ? c : 0];
      const zp = z ? z[z.length === 1 ? 0 : c] : 0;
      for (let i = start; i < start + inner; i++) typed[i] = Math.fround((q[i] - zp) * sc);
    }
  }
  const to = dtypeOfOnnx(outputDtype);
  const half = to === 'float16' || to === 'bfloat16' ? to : null;
  if (typed && half) typed = typed.map(converter(half));
  const folded: GraphConstant = { name: output, shape: [...x.shape], dataType: half ?? 'float32', value: null, raw: null, typed, initializer: x.initializer };
  QUANTIZED_STORAGE.set(folded, { dtype: x.dataType, scale: [...scale.shape], zeroPoint: zeroPoint ? [...zeroPoint.shape] : null });
  return folded;
}

/**
 * The zero points of exported QDQ biases are often computed from constants (torch.onnx.export
 * writes Cast(ConstantOfShape([1]))): such a small ConstantOfShape or Cast of constants is
 * evaluated here, at import, so the DequantizeLinear reading it folds into a weight. Null for
 * anything else (the analyzer still folds it later as shape arithmetic).
 */
export function smallConstant(opType: string, output: string, inputs: (GraphConstant | undefined)[], to: DataType | null, fill: GraphConstant | null): GraphConstant | null {
  const x = inputs[0];
  if (!x?.value || x.value.data.length > SMALL) return null;
  if (opType === 'ConstantOfShape') {
    // ONNX's shape input is 1-D: any other is left to the analyzer, which refuses it (ops/sequence.ts)
    if (x.shape.length !== 1) return null;
    // so is a negative or fractional size (the analyzer names it): their product may still look a count ([-1, -2] is 2)
    if (!x.value.data.every((d) => Number.isInteger(d) && d >= 0)) return null;
    const n = x.value.data.reduce((p, d) => p * d, 1);
    if (!(n >= 0 && n <= SMALL)) return null;
    const v = fill?.value?.data[0] ?? 0;
    const dataType = fill?.dataType ?? 'float32';
    return { name: output, shape: [...x.value.data], dataType, value: { data: new Array<number>(n).fill(v), integer: fill?.value?.integer ?? false }, raw: null, typed: null, initializer: false };
  }
  if (opType === 'Cast' && to && to !== 'other') {
    const integer = to !== 'float32' && to !== 'float64' && to !== 'float16' && to !== 'bfloat16';
    // the cast operator's conversion (tensor/cast.ts): rounding to float16, wrapping to uint8 …
    return { ...x, name: output, dataType: to, value: { data: to === 'float64' ? [...x.value.data] : x.value.data.map(converter(to)), integer }, raw: null, typed: null, initializer: false };
  }
  return null;
}

/** Largest constant evaluated at import: zero points and scales are per channel at most. */
const SMALL = 4096;
