/**
 * convTranspose1d and convTranspose3d: transposed (fractionally strided) convolution over 1 or 3
 * spatial axes, as conv-transpose.ts over 2. PyTorch: torch.nn.ConvTranspose1d/3d. Weight
 * [Cin, Cout/g, …K].
 *
 *   O = (I − 1)·s − pb − pe + d·(K − 1) + 1 + outputPadding          (per axis)
 *   params = Cin·(Cout/g)·ΠK (+ Cout bias)
 *   MACs   = N·Cin·ΠI·(Cout/g)·ΠK      over INPUT positions, as convTranspose2d (each input
 *                                      element scatters one kernel per output channel of its group)
 *   exact  = 2·MACs − (outputs that receive at least one product)
 * Kernel: the scatter itself (col2im without the column matrix): for every input channel, output
 * channel of its group and tap, one weight times a run of input rows added at stride s; the
 * output index per row is computed once and only the last axis steps.
 * Receptive field: null with RECEPTIVE_FIELD_NOT_COMPUTED (see conv-nd.ts).
 */
import { z } from 'zod';
import { nonNegInt, posInt } from './geometry.js';
import type { AxisGeometry } from './geometry.js';
import { asThreeAxes, paddingNd, perAxis, product, transposedGeometryNd } from './geometry-nd.js';
import { expectSpatialRank, receptiveFieldNd } from './conv-nd.js';
import { coveredPositions } from './conv-transpose.js';
import { checkChannels, weightAndBias } from './common.js';
import { addBias } from './kernels.js';
import { tensor } from '../tensor/tensor.js';
import type { OpDef } from './types.js';

function attrs(rank: number) {
  return z.strictObject({
    outChannels: posInt.describe('output channels'),
    inChannels: posInt.optional(),
    kernelSize: perAxis(rank).describe(rank === 1 ? "the kernel's length" : "the kernel's [depth, height, width], or one number for all"),
    stride: perAxis(rank).default(1),
    padding: paddingNd(rank).default(0),
    outputPadding: z.union([nonNegInt, z.array(nonNegInt).length(rank)]).default(0),
    dilation: perAxis(rank).default(1),
    groups: posInt.default(1),
    bias: z.boolean().default(true),
  });
}
export type ConvTransposeNdAttrs = z.infer<ReturnType<typeof attrs>>;

export interface ConvTransposeNdPlan {
  n: number;
  cin: number;
  cout: number;
  groups: number;
  geo: AxisGeometry[];
}

function makeConvTransposeNd(rank: 1 | 3): OpDef<ConvTransposeNdAttrs, ConvTransposeNdPlan> {
  const name = `convTranspose${rank}d`;
  return {
    name,
    summary: `Transposed (fractionally strided) ${rank}-D convolution over ${rank === 1 ? '[L]' : '[T, H, W]'} for learned upsampling`,
    pytorch: `torch.nn.ConvTranspose${rank}d`,
    inputNames: ['x'],
    minInputs: 1,
    weighted: true,
    // the weight is [Cin, Cout/g, …K]
    attrsFromWeights(weights, a) {
      const w = weights.weight;
      if (!w || w.length !== rank + 2) return a;
      return { outChannels: w[1] * ((a.groups as number | undefined) ?? 1), kernelSize: w.slice(2), bias: weights.bias !== undefined, ...a };
    },
    attrs: attrs(rank),
    infer(ctx) {
      const x = expectSpatialRank(ctx, rank);
      const a = ctx.attrs;
      checkChannels(ctx, x, a.inChannels, 'inChannels', a.groups, a.outChannels);
      const geo = transposedGeometryNd(ctx, x.slice(2), { kernel: a.kernelSize, stride: a.stride, dilation: a.dilation, padding: a.padding, outputPadding: a.outputPadding });
      const [n, cin] = x;
      const cout = a.outChannels;
      const kernel = geo.map((g) => g.kernel);
      const macs = n * cin * product(x.slice(2)) * (cout / a.groups) * product(kernel);
      const covered = n * cout * product(geo.map(coveredPositions));
      const outPositions = n * cout * product(geo.map((g) => g.out));
      return {
        outputs: [[n, cout, ...geo.map((g) => g.out)]],
        weights: weightAndBias([cin, cout / a.groups, ...kernel], a.bias ? cout : null),
        cost: { macs, exactMacOps: 2 * macs - covered, biasOps: a.bias ? outPositions : 0, elementwise: 0 },
        plan: { n, cin, cout, groups: a.groups, geo },
      };
    },
    receptiveField: receptiveFieldNd(name),
    run: (ctx) => [tensor(ctx.outputs[0], convTransposeNdForward(ctx.inputs[0].data, ctx.weights.weight.data, ctx.weights.bias?.data, ctx.plan))],
  };
}

export const convTranspose1d = makeConvTransposeNd(1);
export const convTranspose3d = makeConvTransposeNd(3);

/** First and one-past-last input index i with 0 ≤ i·s + offset < out (offset = tap·d − pb). */
function inputRange(g: AxisGeometry, offset: number): [number, number] {
  const lo = Math.max(0, Math.ceil(-offset / g.stride));
  const hi = Math.min(g.in, Math.floor((g.out - 1 - offset) / g.stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/** y[n, co] += Σ w[ci, co − g·Cout/g, taps] · x[n, ci] scattered to i·s − pb + tap·d, per axis. */
export function convTransposeNdForward(x: Float32Array, weight: Float32Array, bias: Float32Array | undefined, p: ConvTransposeNdPlan): Float32Array {
  const [gt, gh, gw] = asThreeAxes(p.geo);
  const [T, H, W] = [gt.in, gh.in, gw.in];
  const [OT, OH, OW] = [gt.out, gh.out, gw.out];
  const xPlane = T * H * W;
  const oPlane = OT * OH * OW;
  const taps = gt.kernel * gh.kernel * gw.kernel;
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const out = new Float32Array(p.n * p.cout * oPlane);
  for (let b = 0; b < p.n; b++) {
    for (let ci = 0; ci < p.cin; ci++) {
      const g = Math.floor(ci / cinG);
      const xc = (b * p.cin + ci) * xPlane;
      for (let j = 0; j < coutG; j++) {
        const oc = (b * p.cout + g * coutG + j) * oPlane;
        const wBase = (ci * coutG + j) * taps;
        for (let u = 0; u < gt.kernel; u++) {
          const offT = u * gt.dilation - gt.padBegin;
          const [t0, t1] = inputRange(gt, offT);
          for (let v = 0; v < gh.kernel; v++) {
            const offH = v * gh.dilation - gh.padBegin;
            const [h0, h1] = inputRange(gh, offH);
            for (let k = 0; k < gw.kernel; k++) {
              const offW = k * gw.dilation - gw.padBegin;
              const [w0, w1] = inputRange(gw, offW);
              const wv = weight[wBase + (u * gh.kernel + v) * gw.kernel + k];
              if (w0 >= w1) continue;
              for (let it = t0; it < t1; it++) {
                const ot = it * gt.stride + offT;
                for (let ih = h0; ih < h1; ih++) {
                  const src = xc + (it * H + ih) * W;
                  const dst = oc + (ot * OH + ih * gh.stride + offH) * OW + offW;
                  for (let iw = w0; iw < w1; iw++) out[dst + iw * gw.stride] += wv * x[src + iw];
                }
              }
            }
          }
        }
      }
    }
  }
  addBias(out, bias, p.n, p.cout, oPlane);
  return out;
}
