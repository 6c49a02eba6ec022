/**
 * conv1d and conv3d (audio and video CNNs): standard, grouped, depthwise (groups = in channels),
 * dilated, strided and padded convolution over 1 or 3 spatial axes, as conv.ts over 2.
 * PyTorch: torch.nn.Conv1d / torch.nn.Conv3d (cross-correlation, no kernel flip).
 *
 *   y[n, co, o] = b[co] + Σ_{ci ∈ group(co)} Σ_{t ∈ taps} w[co, ci, t] · x[n, ci, o·s − pb + t·d]   (per axis)
 *   params = Cout·(Cin/g)·ΠK (+ Cout bias)
 *   MACs   = N·Cout·ΠO·(Cin/g)·ΠK                       (torchvision's GFLOPS for r3d_18, fvcore)
 *   exact  = (2·(Cin/g)·ΠK − 1)·N·Cout·ΠO              (multiply+add count)
 * with K the kernel and O the output size per spatial axis (1-D: [L]; 3-D: [T, H, W]).
 *
 * Kernel: both ranks run as a 3-axis convolution (1-D gets two trivial leading axes). Per image
 * and group, im2col writes a chunk of output positions' columns (rows (ci, kt, kh, kw)) into one
 * scratch matrix, and the GEMM (ops/gemm-tiles.ts) multiplies the group's [Cout/g, K] weights by
 * it into the output rows. Chunks bound the scratch at COLUMN_SCRATCH floats whatever the size.
 *
 * Receptive field: TensorRF carries the two axes [h, w] of 2-D maps; over 1 or 3 axes convlens
 * reports null with the RECEPTIVE_FIELD_NOT_COMPUTED warning (never a 2-D field for a 3-D map).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { posInt } from './geometry.js';
import type { AxisGeometry } from './geometry.js';
import { asThreeAxes, axisName, paddingNd, perAxis, product, windowGeometryNd } from './geometry-nd.js';
import { checkChannels, weightAndBias } from './common.js';
import { addBias } from './kernels.js';
import { gemm } from './gemm-tiles.js';
import { tensor } from '../tensor/tensor.js';
import type { InferContext, Inferred, OpDef, RFContext, Shape, TensorRF } from './types.js';

export function convNdAttrs(rank: number) {
  return z.strictObject({
    outChannels: posInt.describe('number of kernels: the output channels'),
    inChannels: posInt.optional(),
    kernelSize: perAxis(rank).describe(rank === 1 ? "the kernel's length" : "the kernel's [depth, height, width], or one number for all"),
    stride: perAxis(rank).default(1),
    padding: paddingNd(rank).default(0),
    dilation: perAxis(rank).default(1),
    groups: posInt.default(1),
    bias: z.boolean().default(true),
  });
}
export type ConvNdAttrs = z.infer<ReturnType<typeof convNdAttrs>>;

export interface ConvNdPlan {
  n: number;
  cin: number;
  cout: number;
  groups: number;
  /** One entry per spatial axis (1 or 3). */
  geo: AxisGeometry[];
}

/** The input must be [N, C, …spatial] with `rank` spatial axes. */
export function expectSpatialRank<A>(ctx: InferContext<A>, rank: number): Shape {
  const x = ctx.inputs[0];
  if (x.length !== rank + 2) {
    const dims = rank === 1 ? '(N, C, L)' : '(N, C, D, H, W)';
    ctx.fail('RANK_MISMATCH', `input 0 must have ${rank + 2} dimensions ${dims}, got shape ${fmtShape(x)}`, 'inputs', { shapes: { input0: x } });
  }
  return x;
}

export function convNdPlan(ctx: InferContext<ConvNdAttrs>, rank: number): ConvNdPlan {
  const x = expectSpatialRank(ctx, rank);
  const a = ctx.attrs;
  checkChannels(ctx, x, a.inChannels, 'inChannels', a.groups, a.outChannels);
  const geo = windowGeometryNd(ctx, x.slice(2), { kernel: a.kernelSize, stride: a.stride, dilation: a.dilation, padding: a.padding });
  return { n: x[0], cin: x[1], cout: a.outChannels, groups: a.groups, geo };
}

function convNdInferred(plan: ConvNdPlan, bias: boolean): Inferred<ConvNdPlan> {
  const outPositions = plan.n * plan.cout * product(plan.geo.map((g) => g.out));
  const kernel = plan.geo.map((g) => g.kernel);
  const perOutput = (plan.cin / plan.groups) * product(kernel);
  return {
    outputs: [[plan.n, plan.cout, ...plan.geo.map((g) => g.out)]],
    weights: weightAndBias([plan.cout, plan.cin / plan.groups, ...kernel], bias ? plan.cout : null),
    cost: { macs: outPositions * perOutput, exactMacOps: outPositions * (2 * perOutput - 1), biasOps: bias ? outPositions : 0, elementwise: 0 },
    plan,
  };
}

/** The RF over 1 or 3 axes is not representable in TensorRF's [h, w]: null, and said so once per layer. */
export function receptiveFieldNd<A, P>(kind: string) {
  return (ctx: RFContext<A, P>): TensorRF | null => {
    const rank = ctx.inputs[0].length - 2;
    ctx.warn({
      code: 'RECEPTIVE_FIELD_NOT_COMPUTED',
      message: `${kind} over ${rank} spatial axis${rank === 1 ? '' : 'es'} [${[...Array(rank).keys()].map((a) => axisName(rank, a)).join(', ')}]: receptive fields are computed for 2-D maps [h, w] only; reported as null`,
    });
    return null;
  };
}

function makeConvNd(rank: 1 | 3): OpDef<ConvNdAttrs, ConvNdPlan> {
  const name = `conv${rank}d`;
  return {
    name,
    summary: `Standard, grouped, depthwise and dilated ${rank}-D convolution (cross-correlation) over ${rank === 1 ? '[L]' : '[T, H, W]'}`,
    pytorch: `torch.nn.Conv${rank}d`,
    inputNames: ['x'],
    minInputs: 1,
    weighted: true,
    attrsFromWeights(weights, attrs) {
      const w = weights.weight;
      if (!w || w.length !== rank + 2) return attrs;
      return { outChannels: w[0], kernelSize: w.slice(2), bias: weights.bias !== undefined, ...attrs };
    },
    attrs: convNdAttrs(rank),
    infer: (ctx) => convNdInferred(convNdPlan(ctx, rank), ctx.attrs.bias),
    receptiveField: receptiveFieldNd(name),
    run(ctx) {
      return [tensor(ctx.outputs[0], convNdForward(ctx.inputs[0].data, ctx.weights.weight.data, ctx.weights.bias?.data, ctx.plan))];
    },
  };
}

export const conv1d = makeConvNd(1);
export const conv3d = makeConvNd(3);

/** Floats of one im2col chunk (16 MiB): K rows × as many output positions as fit. */
const COLUMN_SCRATCH = 1 << 22;

/**
 * im2col of output positions [p0, p0 + cols) of one image and group: row r = (c·KT + u)·KH·KW +
 * v·KW + w holds x[c, ot·st − pt + u·dt, oh·sh − ph + v·dh, ow·sw − pw + w·dw] (0 outside). Each
 * row is written one output row (fixed ot, oh) at a time, so the t/h bounds are checked per
 * segment and only the w index per element.
 */
function im2col(x: Float32Array, xOff: number, cinG: number, geo: readonly AxisGeometry[], p0: number, cols: number, B: Float32Array): void {
  const [gt, gh, gw] = asThreeAxes(geo);
  const [T, H, W] = [gt.in, gh.in, gw.in];
  const [OH, OW] = [gh.out, gw.out];
  let r = 0;
  for (let c = 0; c < cinG; c++) {
    const xc = xOff + c * T * H * W;
    for (let u = 0; u < gt.kernel; u++) {
      const dt = u * gt.dilation - gt.padBegin;
      for (let v = 0; v < gh.kernel; v++) {
        const dh = v * gh.dilation - gh.padBegin;
        for (let w = 0; w < gw.kernel; w++, r++) {
          const dw = w * gw.dilation - gw.padBegin;
          let dst = r * cols;
          let pos = p0;
          const end = p0 + cols;
          let ow = pos % OW;
          let oh = Math.floor(pos / OW) % OH;
          let ot = Math.floor(pos / (OW * OH));
          while (pos < end) {
            const n = Math.min(OW - ow, end - pos);
            const it = ot * gt.stride + dt;
            const ih = oh * gh.stride + dh;
            if (it >= 0 && it < T && ih >= 0 && ih < H) {
              const row = xc + (it * H + ih) * W;
              for (let j = 0, ix = ow * gw.stride + dw; j < n; j++, ix += gw.stride) B[dst + j] = ix >= 0 && ix < W ? x[row + ix] : 0;
            } else B.fill(0, dst, dst + n);
            dst += n;
            pos += n;
            ow = 0;
            if (++oh === OH) {
              oh = 0;
              ot++;
            }
          }
        }
      }
    }
  }
}

/** Convolution of x [N, Cin, …] by weight [Cout, Cin/g, …K] with a resolved plan. */
export function convNdForward(x: Float32Array, weight: Float32Array, bias: Float32Array | undefined, p: ConvNdPlan): Float32Array {
  const plane = product(p.geo.map((g) => g.out));
  const xPlane = product(p.geo.map((g) => g.in));
  const out = new Float32Array(p.n * p.cout * plane);
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const K = cinG * product(p.geo.map((g) => g.kernel));
  const chunk = Math.max(1, Math.min(plane, Math.floor(COLUMN_SCRATCH / K)));
  const B = new Float32Array(K * chunk);
  for (let b = 0; b < p.n; b++) {
    for (let g = 0; g < p.groups; g++) {
      const xOff = (b * p.cin + g * cinG) * xPlane;
      const outOff = (b * p.cout + g * coutG) * plane;
      for (let p0 = 0; p0 < plane; p0 += chunk) {
        const cols = Math.min(chunk, plane - p0);
        im2col(x, xOff, cinG, p.geo, p0, cols, B);
        gemm(coutG, cols, K, weight, g * coutG * K, K, B, 0, cols, out, outOff + p0, plane, false);
      }
    }
  }
  addBias(out, bias, p.n, p.cout, plane);
  return out;
}
