/**
 * convTranspose2d: the gradient of conv2d with respect to its input; used for learned upsampling.
 * PyTorch: torch.nn.ConvTranspose2d. Weight [Cin, Cout/g, Kh, Kw].
 *
 *   H' = (H − 1)·s − pt − pb + d·(Kh − 1) + 1 + outputPadding
 *   MACs = N·Cin·H·W·(Cout/g)·Kh·Kw     counted over INPUT positions: each input pixel scatters
 *                                       one kernel (domain.md; thop, torchinfo, onnx-tool count
 *                                       output positions instead, which is wrong)
 *   exact = 2·MACs − (outputs that receive at least one product), since each output sums its products
 */
import { z } from 'zod';
import { Pair, PaddingSchema, nonNegInt, pairOf, posInt, transposedGeometry } from './geometry.js';
import type { AxisGeometry } from './geometry.js';
import { transposedRF } from './receptive-field.js';
import { NCHW_RANK, checkChannels, expectRank, weightAndBias } from './common.js';
import type { OpDef } from './types.js';
import { gemm } from './gemm-tiles.js';
import { tensor } from '../tensor/tensor.js';
import { addBias } from './kernels.js';
import { KERNEL_SCRATCH } from '../limits.js';

export const ConvTransposeAttrs = z.strictObject({
  outChannels: posInt.describe('output channels'),
  inChannels: posInt.optional(),
  kernelSize: Pair.describe("the kernel's [height, width], or one number for both"),
  stride: Pair.default(1),
  padding: PaddingSchema.default(0),
  outputPadding: pairOf(nonNegInt).default(0),
  dilation: Pair.default(1),
  groups: posInt.default(1),
  bias: z.boolean().default(true),
});
export type ConvTransposeAttrs = z.infer<typeof ConvTransposeAttrs>;

export interface ConvTransposePlan {
  n: number;
  cin: number;
  cout: number;
  groups: number;
  geo: AxisGeometry[];
}

/**
 * Output positions along one axis that receive at least one kernel tap, counted without touching
 * each position: tap t of input i lands on i·s + t·d − pb, so the taps with the same residue
 * r = t·d mod s cover runs [m, m + in − 1] of the progression r + m·s − pb, m = (t·d − r)/s.
 * Within a residue m grows with t, so its runs arrive sorted and merge in one pass: O(kernel)
 * time, O(min(kernel, s)) memory.
 */
export function coveredPositions(g: AxisGeometry): number {
  // per residue: the end of the runs merged so far
  const ends = new Map<number, number>();
  let covered = 0;
  for (let t = 0; t < g.kernel; t++) {
    const offset = t * g.dilation;
    const r = offset % g.stride;
    const first = (offset - r) / g.stride;
    // positions r + m·s − pb inside [0, out): m from ceil((pb − r)/s) to floor((out − 1 + pb − r)/s)
    const lo = Math.ceil((g.padBegin - r) / g.stride);
    const hi = Math.floor((g.out - 1 + g.padBegin - r) / g.stride);
    const end = ends.get(r) ?? -Infinity;
    const from = Math.max(first, lo, end + 1);
    const to = Math.min(first + g.in - 1, hi);
    if (to >= from) covered += to - from + 1;
    ends.set(r, Math.max(end, first + g.in - 1));
  }
  return covered;
}

export const convTranspose2d: OpDef<ConvTransposeAttrs, ConvTransposePlan> = {
  name: 'convTranspose2d',
  summary: 'Transposed (fractionally strided) 2-D convolution for learned upsampling',
  pytorch: 'torch.nn.ConvTranspose2d',
  inputNames: ['x'],
  minInputs: 1,
  weighted: true,
  // the weight is [Cin, Cout/g, kh, kw]
  attrsFromWeights(weights, attrs) {
    const w = weights.weight;
    if (!w || w.length !== 4) return attrs;
    return { outChannels: w[1] * ((attrs.groups as number | undefined) ?? 1), kernelSize: [w[2], w[3]], bias: weights.bias !== undefined, ...attrs };
  },
  attrs: ConvTransposeAttrs,
  infer(ctx) {
    const x = expectRank(ctx, 0, NCHW_RANK);
    const a = ctx.attrs;
    checkChannels(ctx, x, a.inChannels, 'inChannels', a.groups, a.outChannels);
    const geo = transposedGeometry(ctx, [x[2], x[3]], {
      kernel: a.kernelSize,
      stride: a.stride,
      dilation: a.dilation,
      padding: a.padding,
      outputPadding: a.outputPadding,
    });
    const [n, cin, h, w] = x;
    const cout = a.outChannels;
    const macs = n * cin * h * w * (cout / a.groups) * geo[0].kernel * geo[1].kernel;
    const covered = n * cout * coveredPositions(geo[0]) * coveredPositions(geo[1]);
    const outPositions = n * cout * geo[0].out * geo[1].out;
    const weights = weightAndBias([cin, cout / a.groups, geo[0].kernel, geo[1].kernel], a.bias ? cout : null);
    return {
      outputs: [[n, cout, geo[0].out, geo[1].out]],
      weights,
      cost: { macs, exactMacOps: 2 * macs - covered, biasOps: a.bias ? outPositions : 0, elementwise: 0 },
      plan: { n, cin, cout, groups: a.groups, geo },
    };
  },
  receptiveField: (ctx) => transposedRF(ctx.rf[0], ctx.plan.geo),
  run: (ctx) => [tensor(ctx.outputs[0], convTransposeForward(ctx.inputs[0].data, ctx.weights.weight.data, ctx.weights.bias?.data, ctx.plan))],
};

/**
 * Per image and group: columns[(co·Kh + u)·Kw + v][i·W + j] = Σ_ci w[ci, co, u, v]·x[ci, i, j]
 * (one GEMM with the weight transposed), then col2im adds each column into
 * y[co, i·s − pt + u·d, j·s − pl + v·d]. The column matrix (Cout/g·Kh·Kw rows of H·W) is made a
 * band of rows at a time, at most KERNEL_SCRATCH floats (one row when a row alone is larger): a
 * 255×255 kernel over a 64×64 map needs 1 GB of columns at once, 16 MB in bands.
 */
export function convTransposeForward(x: Float32Array, weight: Float32Array, bias: Float32Array | undefined, p: ConvTransposePlan, scratch = KERNEL_SCRATCH): Float32Array {
  const [gh, gw] = p.geo;
  const [H, W, OH, OW, KH, KW] = [gh.in, gw.in, gh.out, gw.out, gh.kernel, gw.kernel];
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const taps = KH * KW;
  const rows = coutG * taps;
  const inPlane = H * W;
  const outPlane = OH * OW;
  // weight [Cin, Cout/g, Kh, Kw] → per group [Cout/g·Kh·Kw, Cin/g]
  const wT = new Float32Array(p.groups * rows * cinG);
  for (let g = 0; g < p.groups; g++) {
    for (let ci = 0; ci < cinG; ci++) {
      const src = (g * cinG + ci) * rows;
      for (let r = 0; r < rows; r++) wT[(g * rows + r) * cinG + ci] = weight[src + r];
    }
  }
  const band = Math.max(1, Math.min(rows, Math.floor(scratch / inPlane)));
  const cols = new Float32Array(band * inPlane);
  const out = new Float32Array(p.n * p.cout * outPlane);
  for (let b = 0; b < p.n; b++) {
    for (let g = 0; g < p.groups; g++) {
      for (let r0 = 0; r0 < rows; r0 += band) {
        const r1 = Math.min(rows, r0 + band);
        gemm(r1 - r0, inPlane, cinG, wT, (g * rows + r0) * cinG, cinG, x, (b * p.cin + g * cinG) * inPlane, inPlane, cols, 0, inPlane, false);
        for (let r = r0; r < r1; r++) {
          // row r is tap (u, v) of output channel co
          const co = Math.floor(r / taps);
          const u = Math.floor((r - co * taps) / KW);
          const v = r - co * taps - u * KW;
          const yc = (b * p.cout + g * coutG + co) * outPlane;
          const colRow = (r - r0) * inPlane;
          for (let i = 0; i < H; i++) {
            const oy = i * gh.stride - gh.padBegin + u * gh.dilation;
            if (oy < 0 || oy >= OH) continue;
            const dst = yc + oy * OW;
            const src = colRow + i * W;
            for (let j = 0; j < W; j++) {
              const ox = j * gw.stride - gw.padBegin + v * gw.dilation;
              if (ox >= 0 && ox < OW) out[dst + ox] += cols[src + j];
            }
          }
        }
      }
    }
  }
  addBias(out, bias, p.n, p.cout, outPlane);
  return out;
}
