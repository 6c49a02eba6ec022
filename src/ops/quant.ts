/**
 * Linear quantization (ONNX QuantizeLinear, DequantizeLinear; com.microsoft QLinearAdd,
 * QLinearMul), the element-wise half of int8 deployment; quant-linear.ts has the integer
 * convolutions and matrix products.
 * PyTorch: torch.quantize_per_tensor / quantize_per_channel and Tensor.dequantize.
 *
 *   quantizeLinear    y = saturate(round(x / s) + zp)           round half to even; saturate to
 *                     the type's range (uint8 0…255, int8 −128…127, uint16, int16)
 *   dequantizeLinear  y = (x − zp)·s
 *   qlinearAdd        y = saturate(round((sa·(a − za) + sb·(b − zb)) / sy) + zy)
 *   qlinearMul        y = saturate(round(sa·(a − za)·sb·(b − zb) / sy) + zy)
 * s and zp are scalars (per tensor) or 1-D of length x.shape[axis] (per axis, opset 13); zp absent
 * is 0. The arithmetic is float32 as ONNX Runtime's reference CPU kernels do it (x / s rounded to
 * float32, then std::nearbyint, which rounds half to even). Quantized values are held as
 * integral float32 values (convlens computes in float32; every int8/uint8/int16/int32 value below
 * 2^24 is exact).
 *
 * FLOPs per output element, counted as the obvious implementation does: quantize 5 (divide,
 * round, add zero point, two clamps), dequantize 2 (subtract, multiply), qlinearAdd 10 (two
 * dequantizations, add, quantize) and qlinearMul 10. None of them has MACs. They are the Q/DQ
 * overhead of a quantized graph; `dtype` names the quantized type, so memory can be counted at
 * one byte per int8 element.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { normalizeAxis } from './axes.js';
import { broadcastIndex } from './broadcast.js';
import { inferBroadcast } from './merge.js';
import { mergeRF } from './receptive-field.js';
import { numel } from './types.js';
import type { InferContext, OpDef, Shape } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

/** Quantized element types and their ranges (ONNX QuantizeLinear's T2, opsets 10–21, less float8/int4). */
export const QUANT_RANGE = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
} as const;
export const QuantDtype = z.enum(['uint8', 'int8', 'uint16', 'int16']);
export type QuantDtype = z.infer<typeof QuantDtype>;

/** std::nearbyint under the default rounding mode: to the nearest integer, ties to even. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** round half to even, add the zero point, clamp to the type's range. */
export function saturateRound(v: number, zp: number, lo: number, hi: number): number {
  const q = roundHalfEven(v) + zp;
  return q < lo ? lo : q > hi ? hi : q;
}

/**
 * A scale or zero point: a scalar (or one element) applies to the whole tensor, a 1-D vector of
 * x.shape[axis] elements to each slice along axis. Anything else is SHAPE_MISMATCH.
 */
export function checkQuantParam<A>(ctx: InferContext<A>, index: number, name: string, x: Shape, axis: number): boolean {
  const p = ctx.inputs[index];
  if (p === undefined || (numel(p) === 1 && p.length <= 1)) return false;
  if (p.length === 1 && p[0] === x[axis]) return true;
  return ctx.fail('SHAPE_MISMATCH', `${name} ${fmtShape(p)} must be a scalar or 1-D of ${x[axis]} elements (x ${fmtShape(x)} along axis ${axis})`, ['inputs', index], {
    shapes: { x, [name]: p },
  });
}

/** Reads a scale or zero point at slice c (0 when the tensor is absent: a missing zero point). */
export const paramAt = (t: Tensor | undefined, c: number): number => (t ? t.data[t.data.length === 1 ? 0 : c] : 0);

export interface AxisPlan {
  /** elements after the axis (one slice's run), the axis length */
  inner: number;
  len: number;
}

const QuantAttrs = z.strictObject({
  axis: z.number().int().default(1),
  dtype: QuantDtype.default('uint8'),
});
const DequantAttrs = z.strictObject({
  axis: z.number().int().default(1),
  dtype: z.enum(['uint8', 'int8', 'uint16', 'int16', 'int32']).default('uint8'),
});

function axisPlan<A extends { axis: number }>(ctx: InferContext<A>): AxisPlan {
  const x = ctx.inputs[0];
  // per tensor: the axis is not read (ONNX ignores it then, whatever the rank)
  const single = (i: number) => ctx.inputs[i] === undefined || numel(ctx.inputs[i]) === 1;
  if (single(1) && single(2)) return { inner: numel(x), len: 1 };
  const axis = normalizeAxis(ctx, ctx.attrs.axis, x.length, 'axis');
  const perAxis = [checkQuantParam(ctx, 1, 'scale', x, axis), checkQuantParam(ctx, 2, 'zeroPoint', x, axis)];
  return perAxis.some(Boolean) ? { inner: numel(x.slice(axis + 1)), len: x[axis] } : { inner: numel(x), len: 1 };
}

/** Applies f(value, scale, zeroPoint) element by element, the parameters looked up per slice along the axis. */
function perSlice(ctx: { inputs: Tensor[]; plan: AxisPlan; outputs: Shape[] }, f: (v: number, s: number, zp: number) => number): Tensor[] {
  const [x, s, zp] = ctx.inputs;
  const { inner, len } = ctx.plan;
  const out = new Float32Array(x.data.length);
  const d = x.data;
  for (let start = 0, slice = 0; start < d.length; start += inner, slice = (slice + 1) % len) {
    const sc = paramAt(s, slice);
    const z0 = paramAt(zp, slice);
    for (let i = start; i < start + inner; i++) out[i] = f(d[i], sc, z0);
  }
  return [tensor(ctx.outputs[0], out)];
}

export const quantizeLinear: OpDef<z.infer<typeof QuantAttrs>, AxisPlan> = {
  name: 'quantizeLinear',
  summary: 'Float → int8/uint8: saturate(round(x / scale) + zeroPoint), per tensor or per axis (ONNX QuantizeLinear)',
  pytorch: 'torch.quantize_per_tensor / torch.quantize_per_channel',
  inputNames: ['x', 'scale', 'zeroPoint'],
  minInputs: 2,
  quantized: { output: (a) => a.dtype, overhead: true },
  attrs: QuantAttrs,
  infer(ctx) {
    const plan = axisPlan(ctx);
    const n = numel(ctx.inputs[0]);
    return { outputs: [[...ctx.inputs[0]]], weights: [], cost: { macs: 0, exactMacOps: 0, biasOps: 0, elementwise: 5 * n }, plan };
  },
  receptiveField: (ctx) => ctx.rf[0],
  run(ctx) {
    const [lo, hi] = QUANT_RANGE[ctx.attrs.dtype];
    // float32 division, as the reference kernel divides in float
    return perSlice(ctx, (v, s, zp) => saturateRound(Math.fround(v / s), zp, lo, hi));
  },
};

export const dequantizeLinear: OpDef<z.infer<typeof DequantAttrs>, AxisPlan> = {
  name: 'dequantizeLinear',
  summary: 'int8/uint8/int32 → float: (x − zeroPoint)·scale, per tensor or per axis (ONNX DequantizeLinear)',
  pytorch: 'torch.Tensor.dequantize',
  inputNames: ['x', 'scale', 'zeroPoint'],
  minInputs: 2,
  quantized: { output: () => 'float32', overhead: true },
  attrs: DequantAttrs,
  infer(ctx) {
    const plan = axisPlan(ctx);
    const n = numel(ctx.inputs[0]);
    return { outputs: [[...ctx.inputs[0]]], weights: [], cost: { macs: 0, exactMacOps: 0, biasOps: 0, elementwise: 2 * n }, plan };
  },
  receptiveField: (ctx) => ctx.rf[0],
  run: (ctx) => perSlice(ctx, (v, s, zp) => Math.fround((v - zp) * s)),
  // linear in x: ∂y/∂x = scale (per slice); the scale and zero point are parameters, no gradient
  vjp(ctx) {
    const g = ctx.gradOutputs[0];
    const gx = g ? perSlice({ inputs: [g, ctx.inputs[1], undefined as unknown as Tensor], plan: ctx.plan, outputs: [ctx.inputs[0].shape] }, (v, s) => v * s)[0] : tensor(ctx.inputs[0].shape);
    return [gx, ...ctx.inputs.slice(1).map(() => null)];
  },
};

const QBinaryAttrs = z.strictObject({ dtype: QuantDtype.default('uint8') });
type QBinaryAttrs = z.infer<typeof QBinaryAttrs>;

const QBINARY_INPUTS = ['a', 'aScale', 'aZeroPoint', 'b', 'bScale', 'bZeroPoint', 'yScale', 'yZeroPoint'] as const;

function qlinearBinary(name: string, summary: string, combine: (a: number, b: number) => number): OpDef<QBinaryAttrs, null> {
  return {
    name,
    summary,
    pytorch: name === 'qlinearAdd' ? 'torch.ao.nn.quantized.FloatFunctional.add' : 'torch.ao.nn.quantized.FloatFunctional.mul',
    inputNames: QBINARY_INPUTS,
    minInputs: 7,
    quantized: { output: (a) => a.dtype },
    attrs: QBinaryAttrs,
    infer(ctx) {
      for (const i of [1, 2, 4, 5, 6, 7]) {
        const p = ctx.inputs[i];
        if (p !== undefined && numel(p) !== 1) ctx.fail('SHAPE_MISMATCH', `${QBINARY_INPUTS[i]} must be a scalar (per-tensor quantization), got ${fmtShape(p)}`, ['inputs', i]);
      }
      const out = inferBroadcast({ ...ctx, inputs: [ctx.inputs[0], ctx.inputs[3]] });
      return { outputs: [out], weights: [], cost: { macs: 0, exactMacOps: 0, biasOps: 0, elementwise: 10 * numel(out) }, plan: null };
    },
    receptiveField: (ctx) => mergeRF(ctx.layer, [ctx.rf[0], ctx.rf[3]], ctx.warn, [ctx.inputs[0], ctx.inputs[3]]),
    run(ctx) {
      const [a, as, az, b, bs, bz, ys, yz] = ctx.inputs;
      const [lo, hi] = QUANT_RANGE[ctx.attrs.dtype];
      const shape = ctx.outputs[0];
      const ai = broadcastIndex(a.shape, shape);
      const bi = broadcastIndex(b.shape, shape);
      const [sa, za, sb, zb, sy, zy] = [paramAt(as, 0), paramAt(az, 0), paramAt(bs, 0), paramAt(bz, 0), paramAt(ys, 0), paramAt(yz, 0)];
      const out = new Float32Array(numel(shape));
      for (let i = 0; i < out.length; i++) {
        const v = combine(Math.fround(sa * (a.data[ai[i]] - za)), Math.fround(sb * (b.data[bi[i]] - zb)));
        out[i] = saturateRound(Math.fround(Math.fround(v) / sy), zy, lo, hi);
      }
      return [tensor(shape, out)];
    },
  };
}

export const qlinearAdd = qlinearBinary('qlinearAdd', 'Quantized add: the dequantized sum requantized (com.microsoft QLinearAdd)', (a, b) => a + b);
export const qlinearMul = qlinearBinary('qlinearMul', 'Quantized multiply: the dequantized product requantized (com.microsoft QLinearMul)', (a, b) => a * b);

/**
 * dynamicQuantizeLinear (ONNX DynamicQuantizeLinear, opset 11; what dynamic quantization writes
 * before MatMulInteger / ConvInteger): uint8 with the scale and zero point computed from the data,
 *   scale = (max(0, max x) − min(0, min x)) / 255,  zp = saturate(round(−min(0, min x) / scale)),
 *   y = saturate(round(x / scale) + zp)
 * outputs y, scale (scalar), zeroPoint (scalar). An all-zero x has scale 0: y and zp are 0.
 * FLOPs per element: 2 for the min/max scan + 5 for the quantization.
 */
export const dynamicQuantizeLinear: OpDef<Record<string, never>, null> = {
  name: 'dynamicQuantizeLinear',
  summary: 'Float → uint8 with a per-tensor scale and zero point computed from the data (ONNX DynamicQuantizeLinear)',
  pytorch: 'torch.quantize_per_tensor_dynamic',
  inputNames: ['x'],
  minInputs: 1,
  outputCount: () => 3,
  quantized: { output: () => 'uint8', overhead: true },
  attrs: z.strictObject({}),
  infer(ctx) {
    const n = numel(ctx.inputs[0]);
    return { outputs: [[...ctx.inputs[0]], [], []], values: [null, null, null], weights: [], cost: { macs: 0, exactMacOps: 0, biasOps: 0, elementwise: 7 * n }, plan: null };
  },
  receptiveField: (ctx) => ctx.rf[0],
  run(ctx) {
    const x = ctx.inputs[0].data;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < x.length; i++) {
      if (x[i] < lo) lo = x[i];
      if (x[i] > hi) hi = x[i];
    }
    const scale = Math.fround(Math.fround(hi - lo) / 255);
    const y = new Float32Array(x.length);
    let zp = 0;
    if (scale > 0) {
      zp = saturateRound(Math.fround(-lo / scale), 0, 0, 255);
      for (let i = 0; i < x.length; i++) y[i] = saturateRound(Math.fround(x[i] / scale), zp, 0, 255);
    }
    return [tensor(ctx.outputs[0], y), tensor([], [scale]), tensor([], [zp])];
  },
};
