/**
 * Integer convolutions and matrix products of quantized models (ONNX QLinearConv, ConvInteger,
 * QLinearMatMul, MatMulInteger).
 * PyTorch: torch.ao.nn.quantized.Conv2d and Linear (QLinear*), and their int32 accumulations.
 *
 *   convInteger    y[int32] = Σ (x − zx)·(w − zw[co])                 window and groups as conv2d
 *   qlinearConv    acc = Σ (x − zx)·(w − zw[co]) + B[co]               B int32 at scale sx·sw[co], zero 0
 *                  y = saturate(round(acc · (sx·sw[co] / sy)) + zy)   round half to even
 *   matMulInteger  y[int32] = (A − za)·(B − zb)                       za scalar or per row (M),
 *   qlinearMatMul  y = saturate(round(acc · (sa·sb / sy)) + zy)        zb scalar or per column (N)
 * Padding reads the zero point (a padded position contributes (zx − zx)·w = 0), as ONNX Runtime pads.
 * Accumulation is exact (float64 sums of integer products, ≤ 2^53); the requantization multiplier
 * sx·sw/sy and acc·multiplier are float32, as ONNX Runtime's MLAS requantization computes them.
 * Outputs are held as integral float32 values: an int32 accumulator beyond ±2^24 rounds there.
 *
 * Costs: the multiply-accumulates are integer, `intMacs` (N·Cout·H'·W'·(Cin/g)·Kh·Kw for conv,
 * batch·M·K·N for matmul), reported apart from the float `macs` (0 here). Element-wise FLOPs: the
 * requantization of each output, 5 (multiply by the scale, round, add zero point, two clamps); the
 * int32 bias add is `biasOps`. params: the int8 weight and the int32 bias, counted like conv2d's;
 * the scales and zero points are constant inputs (per tensor or per output channel).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { ConvAttrs, convAttrsFromWeights, convPlan, convWeights } from './conv.js';
import type { ConvPlan } from './conv.js';
import { spatialOut } from './geometry.js';
import { windowRF } from './receptive-field.js';
import { matmulRF } from './linear.js';
import { broadcastIndex, broadcastShapes } from './broadcast.js';
import { QUANT_RANGE, QuantDtype, paramAt, saturateRound } from './quant.js';
import { numel } from './types.js';
import type { InferContext, OpDef, Shape, WeightSpec } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

const ConvLikeAttrs = ConvAttrs.omit({ mode: true, paddingMode: true });

const ConvIntegerAttrs = ConvLikeAttrs.omit({ bias: true });
const QLinearConvAttrs = ConvLikeAttrs.extend({ dtype: QuantDtype.default('uint8') });
type ConvIntegerAttrs = z.infer<typeof ConvIntegerAttrs>;
type QLinearConvAttrs = z.infer<typeof QLinearConvAttrs>;

/** A scale or zero point of the weight: a scalar or one per output channel. */
function perChannel<A>(ctx: InferContext<A>, index: number, name: string, channels: number): void {
  const p = ctx.inputs[index];
  // absent (an omitted optional input reads as shape []) or one element: per tensor
  if (p === undefined || (numel(p) === 1 && p.length <= 1)) return;
  if (p.length === 1 && p[0] === channels) return;
  ctx.fail('SHAPE_MISMATCH', `${name} ${fmtShape(p)} must be a scalar or 1-D of ${channels} elements (one per output channel)`, ['inputs', index], { shapes: { [name]: p } });
}

function scalar<A>(ctx: InferContext<A>, index: number, name: string): void {
  const p = ctx.inputs[index];
  if (p !== undefined && numel(p) !== 1) ctx.fail('SHAPE_MISMATCH', `${name} must be a scalar (per-tensor), got ${fmtShape(p)}`, ['inputs', index], { shapes: { [name]: p } });
}

function convCost(plan: ConvPlan, bias: boolean, requantize: boolean) {
  const outputs = plan.n * plan.cout * spatialOut(plan.geo);
  const perOutput = (plan.cin / plan.groups) * plan.geo[0].kernel * plan.geo[1].kernel;
  return { macs: 0, exactMacOps: 0, intMacs: outputs * perOutput, biasOps: bias ? outputs : 0, elementwise: requantize ? 5 * outputs : 0 };
}

/**
 * acc[n, co, i, j] = Σ (x − zx)·(w − zw[co]) over the window, positions outside the input skipped
 * (they hold the zero point). Float64 sums of exact integer products: exact below 2^53.
 */
function intConv(x: Float32Array, zx: number, w: Float32Array, zw: Tensor | undefined, p: ConvPlan): Float64Array {
  const [gh, gw] = p.geo;
  const [H, W, OH, OW, KH, KW] = [gh.in, gw.in, gh.out, gw.out, gh.kernel, gw.kernel];
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const kSize = cinG * KH * KW;
  // the weight less its zero point, once
  const wc = new Float64Array(w.length);
  for (let co = 0; co < p.cout; co++) {
    const z0 = paramAt(zw, co);
    for (let k = 0; k < kSize; k++) wc[co * kSize + k] = w[co * kSize + k] - z0;
  }
  const acc = new Float64Array(p.n * p.cout * OH * OW);
  for (let b = 0; b < p.n; b++) {
    for (let co = 0; co < p.cout; co++) {
      const g = Math.floor(co / coutG);
      const wBase = co * kSize;
      const oBase = (b * p.cout + co) * OH * OW;
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let s = 0;
          for (let ci = 0; ci < cinG; ci++) {
            const xBase = (b * p.cin + g * cinG + ci) * H * W;
            const wRow = wBase + ci * KH * KW;
            for (let u = 0; u < KH; u++) {
              const iy = oy * gh.stride - gh.padBegin + u * gh.dilation;
              if (iy < 0 || iy >= H) continue;
              for (let v = 0; v < KW; v++) {
                const ix = ox * gw.stride - gw.padBegin + v * gw.dilation;
                if (ix < 0 || ix >= W) continue;
                s += (x[xBase + iy * W + ix] - zx) * wc[wRow + u * KW + v];
              }
            }
          }
          acc[oBase + oy * OW + ox] = s;
        }
      }
    }
  }
  return acc;
}

export const convInteger: OpDef<ConvIntegerAttrs, ConvPlan> = {
  name: 'convInteger',
  windowedAxes: 2,
  summary: 'Integer convolution with zero points, int32 output (ONNX ConvInteger)',
  pytorch: 'torch.ao.nn.quantized.Conv2d (its int32 accumulation)',
  inputNames: ['x', 'xZeroPoint', 'wZeroPoint'],
  minInputs: 1,
  weighted: true,
  // as conv2d's, less `bias`: ConvInteger has none
  attrsFromWeights: (weights, attrs) => {
    const { bias: _, ...rest } = convAttrsFromWeights(weights, attrs);
    return { ...rest, ...attrs };
  },
  quantized: { output: () => 'int32', weights: { weight: 'int8' } },
  attrs: ConvIntegerAttrs,
  infer(ctx) {
    const plan = convPlan(ctx);
    scalar(ctx, 1, 'xZeroPoint');
    perChannel(ctx, 2, 'wZeroPoint', plan.cout);
    return {
      outputs: [[plan.n, plan.cout, plan.geo[0].out, plan.geo[1].out]],
      weights: convWeights(plan.cout, plan.cin / plan.groups, plan.geo, false),
      cost: convCost(plan, false, false),
      plan,
    };
  },
  receptiveField: (ctx) => windowRF(ctx.rf[0], ctx.plan.geo),
  run(ctx) {
    const [x, zx, zw] = ctx.inputs;
    const acc = intConv(x.data, paramAt(zx, 0), ctx.weights.weight.data, zw, ctx.plan);
    return [tensor(ctx.outputs[0], Float32Array.from(acc))];
  },
};

export const qlinearConv: OpDef<QLinearConvAttrs, ConvPlan> = {
  name: 'qlinearConv',
  windowedAxes: 2,
  summary: 'Quantized convolution: integer accumulation, int32 bias, requantized to int8/uint8 (ONNX QLinearConv)',
  pytorch: 'torch.ao.nn.quantized.Conv2d',
  inputNames: ['x', 'xScale', 'xZeroPoint', 'wScale', 'wZeroPoint', 'yScale', 'yZeroPoint'],
  minInputs: 6,
  weighted: true,
  attrsFromWeights: convAttrsFromWeights,
  quantized: { output: (a) => a.dtype, weights: { weight: 'int8', bias: 'int32' } },
  attrs: QLinearConvAttrs,
  infer(ctx) {
    const plan = convPlan(ctx);
    scalar(ctx, 1, 'xScale');
    scalar(ctx, 2, 'xZeroPoint');
    perChannel(ctx, 3, 'wScale', plan.cout);
    perChannel(ctx, 4, 'wZeroPoint', plan.cout);
    scalar(ctx, 5, 'yScale');
    scalar(ctx, 6, 'yZeroPoint');
    return {
      outputs: [[plan.n, plan.cout, plan.geo[0].out, plan.geo[1].out]],
      weights: convWeights(plan.cout, plan.cin / plan.groups, plan.geo, ctx.attrs.bias),
      cost: convCost(plan, ctx.attrs.bias, true),
      plan,
    };
  },
  receptiveField: (ctx) => windowRF(ctx.rf[0], ctx.plan.geo),
  run(ctx) {
    const [x, sx, zx, sw, zw, sy, zy] = ctx.inputs;
    const p = ctx.plan;
    const acc = intConv(x.data, paramAt(zx, 0), ctx.weights.weight.data, zw, p);
    const bias = ctx.weights.bias?.data;
    const [lo, hi] = QUANT_RANGE[ctx.attrs.dtype];
    const plane = p.geo[0].out * p.geo[1].out;
    const out = new Float32Array(acc.length);
    const z0 = paramAt(zy, 0);
    for (let b = 0; b < p.n; b++) {
      for (let co = 0; co < p.cout; co++) {
        const mult = Math.fround(Math.fround(paramAt(sx, 0) * paramAt(sw, co)) / paramAt(sy, 0));
        const add = bias ? bias[co] : 0;
        const base = (b * p.cout + co) * plane;
        for (let i = base; i < base + plane; i++) out[i] = saturateRound(Math.fround(Math.fround(acc[i] + add) * mult), z0, lo, hi);
      }
    }
    return [tensor(ctx.outputs[0], out)];
  },
};

const MatMulIntegerAttrs = z.strictObject({
  /** B is a constant [K, N] weight (an imported initializer), bound as `weight`; absent: B is input 1. */
  weightShape: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
});
const QLinearMatMulAttrs = MatMulIntegerAttrs.extend({ dtype: QuantDtype.default('uint8') });

interface MatPlan {
  a: Shape;
  b: Shape;
  batch: number[];
  m: number;
  k: number;
  n: number;
}

/** Shapes of A·B under NumPy matmul rules; B either an input or the [K, N] weight. */
function matPlan<A extends { weightShape?: [number, number] }>(ctx: InferContext<A>, bIndex: number): { plan: MatPlan; weights: WeightSpec[] } {
  const a = ctx.inputs[0];
  const ws = ctx.attrs.weightShape;
  const b = ws ?? ctx.inputs[bIndex];
  if (a.length < 2 || !b || b.length < 2) ctx.fail('RANK_MISMATCH', `A ${fmtShape(a)} and B ${fmtShape(b ?? [])} must be at least 2-D`, 'inputs');
  const [m, k] = a.slice(-2);
  const [k2, n] = b.slice(-2);
  if (k !== k2) ctx.fail('SHAPE_MISMATCH', `cannot multiply ${fmtShape(a)} by ${fmtShape(b)}: inner dims ${k} and ${k2}`, 'inputs', { shapes: { a, b } });
  const batch = broadcastShapes([a.slice(0, -2), b.slice(0, -2)]);
  if (!batch) return ctx.fail('SHAPE_MISMATCH', `batch dims of ${fmtShape(a)} and ${fmtShape(b)} do not broadcast`, 'inputs');
  const weights: WeightSpec[] = ws ? [{ name: 'weight', shape: ws, trainable: true, init: { kind: 'fanIn', fanIn: ws[0] } }] : [];
  return { plan: { a, b, batch, m, k, n }, weights };
}

/** Per-row (A: M) or per-column (B: N) zero points and scales, or scalars. */
function rowOrCol<A>(ctx: InferContext<A>, index: number, name: string, len: number, what: string): void {
  const p = ctx.inputs[index];
  if (p === undefined || (numel(p) === 1 && p.length <= 1)) return;
  if (p.length === 1 && p[0] === len) return;
  ctx.fail('SHAPE_MISMATCH', `${name} ${fmtShape(p)} must be a scalar or 1-D of ${len} elements (one per ${what})`, ['inputs', index], { shapes: { [name]: p } });
}

/** acc = (A − za)·(B − zb) per batch matrix, exact (float64 sums of integer products). */
function intMatMul(A: Tensor, za: Tensor | undefined, B: Float32Array, zb: Tensor | undefined, p: MatPlan): Float64Array {
  const { m, k, n, batch } = p;
  const count = numel(batch);
  const aAt = broadcastIndex(p.a.slice(0, -2), batch);
  const bAt = broadcastIndex(p.b.slice(0, -2), batch);
  const acc = new Float64Array(count * m * n);
  const bc = new Float64Array(B.length);
  for (let i = 0; i < B.length; i++) bc[i] = B[i] - paramAt(zb, i % n);
  const arow = new Float64Array(k);
  for (let bi = 0; bi < count; bi++) {
    const aOff = aAt[bi] * m * k;
    const bOff = bAt[bi] * k * n;
    for (let r = 0; r < m; r++) {
      const z0 = paramAt(za, r);
      for (let j = 0; j < k; j++) arow[j] = A.data[aOff + r * k + j] - z0;
      const o = (bi * m + r) * n;
      for (let j = 0; j < k; j++) {
        const av = arow[j];
        if (av === 0) continue;
        const row = bOff + j * n;
        for (let c = 0; c < n; c++) acc[o + c] += av * bc[row + c];
      }
    }
  }
  return acc;
}

const matOutput = (p: MatPlan): number[] => [...p.batch, p.m, p.n];
const matCost = (p: MatPlan, requantize: boolean) => {
  const outputs = numel(p.batch) * p.m * p.n;
  return { macs: 0, exactMacOps: 0, intMacs: outputs * p.k, biasOps: 0, elementwise: requantize ? 5 * outputs : 0 };
};

export const matMulInteger: OpDef<z.infer<typeof MatMulIntegerAttrs>, MatPlan> = {
  name: 'matMulInteger',
  summary: 'Integer matrix product with zero points, int32 output (ONNX MatMulInteger)',
  pytorch: 'torch.ao.nn.quantized.Linear (its int32 accumulation)',
  inputNames: ['a', 'b', 'aZeroPoint', 'bZeroPoint'],
  minInputs: 1,
  quantized: { output: () => 'int32', weights: { weight: 'int8' } },
  attrs: MatMulIntegerAttrs,
  infer(ctx) {
    const { plan, weights } = matPlan(ctx, 1);
    rowOrCol(ctx, 2, 'aZeroPoint', plan.m, 'row of A');
    rowOrCol(ctx, 3, 'bZeroPoint', plan.n, 'column of B');
    return { outputs: [matOutput(plan)], weights, cost: matCost(plan, false), plan };
  },
  // a matrix product, B an input or the constant weight (no field)
  receptiveField: (ctx) => matmulRF(ctx, [ctx.rf[0], ctx.attrs.weightShape ? null : ctx.rf[1]], [ctx.plan.a, ctx.plan.b], ctx.outputs[0]),
  run(ctx) {
    const [a, b, za, zb] = ctx.inputs;
    const B = ctx.attrs.weightShape ? ctx.weights.weight.data : b.data;
    return [tensor(ctx.outputs[0], Float32Array.from(intMatMul(a, za, B, zb, ctx.plan)))];
  },
};

export const qlinearMatMul: OpDef<z.infer<typeof QLinearMatMulAttrs>, MatPlan> = {
  name: 'qlinearMatMul',
  summary: 'Quantized matrix product: integer accumulation requantized to int8/uint8 (ONNX QLinearMatMul)',
  pytorch: 'torch.ao.nn.quantized.Linear',
  inputNames: ['a', 'aScale', 'aZeroPoint', 'b', 'bScale', 'bZeroPoint', 'yScale', 'yZeroPoint'],
  minInputs: 7,
  quantized: { output: (a) => a.dtype, weights: { weight: 'int8' } },
  attrs: QLinearMatMulAttrs,
  infer(ctx) {
    const { plan, weights } = matPlan(ctx, 3);
    rowOrCol(ctx, 1, 'aScale', plan.m, 'row of A');
    rowOrCol(ctx, 2, 'aZeroPoint', plan.m, 'row of A');
    rowOrCol(ctx, 4, 'bScale', plan.n, 'column of B');
    rowOrCol(ctx, 5, 'bZeroPoint', plan.n, 'column of B');
    scalar(ctx, 6, 'yScale');
    scalar(ctx, 7, 'yZeroPoint');
    return { outputs: [matOutput(plan)], weights, cost: matCost(plan, true), plan };
  },
  receptiveField: (ctx) => matmulRF(ctx, [ctx.rf[0], ctx.attrs.weightShape ? null : ctx.rf[3]], [ctx.plan.a, ctx.plan.b], ctx.outputs[0]),
  run(ctx) {
    const [a, sa, za, b, sb, zb, sy, zy] = ctx.inputs;
    const p = ctx.plan;
    const B = ctx.attrs.weightShape ? ctx.weights.weight.data : b.data;
    const acc = intMatMul(a, za, B, zb, p);
    const [lo, hi] = QUANT_RANGE[ctx.attrs.dtype];
    const out = new Float32Array(acc.length);
    const ys = paramAt(sy, 0);
    const z0 = paramAt(zy, 0);
    for (let i = 0; i < acc.length; i++) {
      const r = Math.floor(i / p.n) % p.m;
      const c = i % p.n;
      const mult = Math.fround(Math.fround(paramAt(sa, r) * paramAt(sb, c)) / ys);
      out[i] = saturateRound(Math.fround(Math.fround(acc[i]) * mult), z0, lo, hi);
    }
    return [tensor(ctx.outputs[0], out)];
  },
};
