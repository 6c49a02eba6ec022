/**
 * More com.microsoft quantized operators that onnxruntime's QOperator quantizer writes around
 * convolutions: QLinearGlobalAveragePool (ResNet's and MobileNet's head) and QLinearConcat.
 *
 *   qlinearGlobalAvgPool  y[n, c] = saturate(round((Σ x[n, c] − zx·HW)·sx/(sy·HW)) + zy), NCHW
 *                         (channels_last 0) → [N, C, 1, 1]: the integer sum exact, the scale
 *                         float32, as ONNX Runtime's kernel computes it
 *   qlinearConcat         y = concat along axis of each input requantized to (sy, zy):
 *                         saturate(round(((x − zx)·sx) / sy) + zy)
 * FLOPs: pooling one add per input element + 5 per output (divide, scale, round, add, clamp);
 * concat 5 per element (requantization). Receptive fields: the pooling is global; concat merges.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { normalizeAxis } from './axes.js';
import { QUANT_RANGE, QuantDtype, paramAt, saturateRound } from './quant.js';
import { globalRF } from './receptive-field.js';
import { concatRF } from './merge.js';
import { NCHW_RANK, SPATIAL_START } from './common.js';
import { numel } from './types.js';
import type { OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';

const PoolAttrs = z.strictObject({ dtype: QuantDtype.default('uint8') });

export const qlinearGlobalAvgPool: OpDef<z.infer<typeof PoolAttrs>, null> = {
  name: 'qlinearGlobalAvgPool',
  summary: 'Quantized global average pooling (com.microsoft QLinearGlobalAveragePool, NCHW)',
  pytorch: 'torch.ao.nn.quantized.functional.adaptive_avg_pool2d(x, 1)',
  inputNames: ['x', 'xScale', 'xZeroPoint', 'yScale', 'yZeroPoint'],
  minInputs: 4,
  quantized: { output: (a) => a.dtype },
  attrs: PoolAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    if (x.length !== NCHW_RANK) ctx.fail('RANK_MISMATCH', `input must be (N, C, H, W), got ${fmtShape(x)}`, 'inputs', { shapes: { x } });
    const out = [x[0], x[1], 1, 1];
    return { outputs: [out], weights: [], cost: { macs: 0, exactMacOps: 0, biasOps: 0, elementwise: numel(x) + 5 * numel(out) }, plan: null, fixedSize: true };
  },
  receptiveField: (ctx) => globalRF(ctx.rf[0], ctx.inputs[0].slice(SPATIAL_START)),
  run(ctx) {
    const [x, sx, zx, sy, zy] = ctx.inputs;
    const [n, c, h, w] = x.shape;
    const [lo, hi] = QUANT_RANGE[ctx.attrs.dtype];
    const area = h * w;
    // as ONNX Runtime's MLAS kernel: the integer sum less zx·area, times sx / (sy·area) in float32
    const scale = Math.fround(paramAt(sx, 0) / Math.fround(paramAt(sy, 0) * area));
    const bias = -paramAt(zx, 0) * area;
    const out = new Float32Array(n * c);
    for (let i = 0; i < n * c; i++) {
      let sum = bias;
      for (let j = i * area; j < (i + 1) * area; j++) sum += x.data[j];
      out[i] = saturateRound(Math.fround(Math.fround(sum) * scale), paramAt(zy, 0), lo, hi);
    }
    return [tensor(ctx.outputs[0], out)];
  },
};

const ConcatAttrs = z.strictObject({ axis: z.number().int().describe('the axis to join along'), dtype: QuantDtype.default('uint8') });

export const qlinearConcat: OpDef<z.infer<typeof ConcatAttrs>, { axis: number }> = {
  name: 'qlinearConcat',
  summary: 'Quantized concatenation: each input requantized to the output scale (com.microsoft QLinearConcat)',
  pytorch: 'torch.ao.nn.quantized.FloatFunctional.cat',
  // yScale, yZeroPoint, then (x, xScale, xZeroPoint) per input
  inputNames: ['yScale', 'yZeroPoint', 'x', 'xScale', 'xZeroPoint'],
  minInputs: 5,
  variadic: true,
  quantized: { output: (a) => a.dtype },
  attrs: ConcatAttrs,
  infer(ctx) {
    if ((ctx.inputs.length - 2) % 3 !== 0) ctx.fail('INVALID_ATTRIBUTE', `inputs must be yScale, yZeroPoint, then (x, scale, zero point) triples; got ${ctx.inputs.length}`, 'inputs');
    const xs = ctx.inputs.filter((_, i) => i >= 2 && (i - 2) % 3 === 0);
    const axis = normalizeAxis(ctx, ctx.attrs.axis, xs[0].length, 'axis', xs[0]);
    for (const s of xs) {
      if (s.length !== xs[0].length || s.some((d, i) => i !== axis && d !== xs[0][i])) {
        ctx.fail('SHAPE_MISMATCH', `cannot concatenate ${xs.map(fmtShape).join(' and ')} along axis ${axis}`, 'inputs');
      }
    }
    const out = xs[0].map((d, i) => (i === axis ? xs.reduce((s, x) => s + x[axis], 0) : d));
    return { outputs: [out], weights: [], cost: { macs: 0, exactMacOps: 0, biasOps: 0, elementwise: 5 * numel(out) }, plan: { axis } };
  },
  // concat's: pieces along a spatial axis start where they land, a stride's phases along C are no drift
  receptiveField: (ctx) => {
    const x = (_: unknown, i: number) => i >= 2 && (i - 2) % 3 === 0;
    return concatRF(ctx, ctx.rf.filter(x), ctx.inputs.filter(x), ctx.plan.axis);
  },
  run(ctx) {
    const [sy, zy] = ctx.inputs;
    const [lo, hi] = QUANT_RANGE[ctx.attrs.dtype];
    const { axis } = ctx.plan;
    const shape = ctx.outputs[0];
    const inner = numel(shape.slice(axis + 1));
    const outer = numel(shape.slice(0, axis));
    const out = new Float32Array(numel(shape));
    let at = 0;
    for (let i = 2; i < ctx.inputs.length; i += 3) {
      const [x, sx, zx] = ctx.inputs.slice(i, i + 3);
      const run = x.shape[axis] * inner;
      const [s0, z0, s1, z1] = [paramAt(sx, 0), paramAt(zx, 0), paramAt(sy, 0), paramAt(zy, 0)];
      for (let o = 0; o < outer; o++) {
        const dst = o * shape[axis] * inner + at;
        // dequantize, then quantize to the output's scale (ONNX Runtime's lookup table holds exactly these)
        for (let j = 0; j < run; j++) out[dst + j] = saturateRound(Math.fround(Math.fround((x.data[o * run + j] - z0) * s0) / s1), z1, lo, hi);
      }
      at += run;
    }
    return [tensor(shape, out)];
  },
};
