/**
 * deformConv2d: every kernel tap of every output position reads the input at a learned,
 * fractional offset (Δh, Δw), sampled bilinearly; v2 multiplies each sample by a mask.
 * PyTorch: torchvision.ops.deform_conv2d / torchvision.ops.DeformConv2d.
 *
 * Inputs: x [N, Cin, H, W], offset [N, 2·G·Kh·Kw, H', W'], mask [N, G·Kh·Kw, H', W'] (optional),
 * G the offset groups (Cin divisible by G). The offset layout per group and tap is (Δh, Δw).
 *   MACs        = N·Cout·H'·W'·(Cin/g)·Kh·Kw, as conv2d
 *   elementwise = N·Cin·Kh·Kw·H'·W'·(7 + mask): each sample is 4 weights × 4 taps, summed (4 mul + 3 add),
 *                 plus one multiply by the mask
 * The receptive field reported is the nominal (zero-offset) one: learned offsets make the true
 * field data-dependent, which the report says in a warning.
 *
 * VJP (weights constant), per band of output positions as the forward: the column gradient
 * ∂cols = Wᵀ·g (one GEMM per group, the weight transposed once), then per sample s = m·B(x; h, w)
 * of tap t at position q (B bilinear at h = y₀ + Δh, w = x₀ + Δw, corners v₀₀ v₀₁ v₁₀ v₁₁):
 *   ∂x[corner] += ∂cols·m·(corner weight)      (torchvision's deformable_col2im)
 *   ∂Δh += ∂cols·m·((1 − lw)(v₁₀ − v₀₀) + lw(v₁₁ − v₀₁)),  ∂Δw likewise   (…_col2im_coord)
 *   ∂m  += ∂cols·B                              summed over the channels of the offset group
 */
import { fmtShape } from '../errors.js';
import { spatialOut } from './geometry.js';
import { windowRF } from './receptive-field.js';
import { ConvAttrs, convAttrsFromWeights, convInferred, convPlan } from './conv.js';
import type { ConvPlan } from './conv.js';
import type { Intermediate, OpDef } from './types.js';
import { gemm } from './gemm-tiles.js';
import { tensor } from '../tensor/tensor.js';
import { addBias } from './kernels.js';
import { KERNEL_SCRATCH } from '../limits.js';
import { gradOrZeros } from './vjp-kernels.js';

/** FLOPs of one bilinear sample: 4 corner weights times 4 values, summed (4 multiplies + 3 adds). */
const BILINEAR_SAMPLE_FLOPS = 7;
/** v2's modulation: one multiply of each sample by its mask value. */
const MASK_FLOPS = 1;

export const DeformConvAttrs = ConvAttrs.omit({ mode: true, paddingMode: true });
export type DeformConvAttrs = ReturnType<typeof DeformConvAttrs.parse>;

export interface DeformConvPlan extends ConvPlan {
  offsetGroups: number;
  masked: boolean;
}

export const deformConv2d: OpDef<DeformConvAttrs, DeformConvPlan> = {
  name: 'deformConv2d',
  windowedAxes: 2,
  summary: 'Deformable convolution (v1 with offsets, v2 with offsets and mask), bilinear sampling',
  pytorch: 'torchvision.ops.DeformConv2d',
  inputNames: ['x', 'offset', 'mask'],
  minInputs: 2,
  weighted: true,
  foldsBatchNormIntoWeights: true, // weight [Cout, …], bias [Cout]: a following inference BN folds in (runtime/fuse.ts)
  attrsFromWeights: convAttrsFromWeights,
  attrs: DeformConvAttrs,
  infer(ctx) {
    const plan = convPlan(ctx);
    const [kh, kw] = [plan.geo[0].kernel, plan.geo[1].kernel];
    const [oh, ow] = [plan.geo[0].out, plan.geo[1].out];
    const offset = ctx.inputs[1];
    const taps = kh * kw;
    const badOffset =
      offset.length !== 4 || offset[0] !== plan.n || offset[1] % (2 * taps) !== 0 || offset[1] === 0 || offset[2] !== oh || offset[3] !== ow;
    if (badOffset) {
      ctx.fail(
        'SHAPE_MISMATCH',
        `offset must be [${plan.n}, 2·G·${kh}·${kw}, ${oh}, ${ow}] for offset groups G, got ${fmtShape(offset)}`,
        'inputs',
        { shapes: { x: ctx.inputs[0], offset } },
      );
    }
    const offsetGroups = offset[1] / (2 * taps);
    if (plan.cin % offsetGroups !== 0) {
      ctx.fail('SHAPE_MISMATCH', `${offsetGroups} offset groups do not divide ${plan.cin} input channels`, 'inputs', {
        shapes: { x: ctx.inputs[0], offset },
      });
    }
    const mask = ctx.inputs[2];
    if (mask && (mask.length !== 4 || mask[0] !== plan.n || mask[1] !== offsetGroups * taps || mask[2] !== oh || mask[3] !== ow)) {
      ctx.fail('SHAPE_MISMATCH', `mask must be [${plan.n}, ${offsetGroups * taps}, ${oh}, ${ow}], got ${fmtShape(mask)}`, 'inputs', {
        shapes: { x: ctx.inputs[0], offset, mask },
      });
    }
    const base = convInferred(plan, ctx.attrs.bias);
    const samples = plan.n * plan.cin * taps * spatialOut(plan.geo);
    return {
      ...base,
      cost: { ...base.cost, elementwise: samples * (BILINEAR_SAMPLE_FLOPS + (mask ? MASK_FLOPS : 0)) },
      plan: { ...plan, offsetGroups, masked: mask !== undefined },
      vjpIntermediates: deformVjpIntermediates(plan),
    };
  },
  receptiveField(ctx) {
    ctx.warn({
      code: 'DATA_DEPENDENT_RECEPTIVE_FIELD',
      message: `deformable convolution samples at learned offsets; the receptive field shown is the nominal (zero-offset) one`,
    });
    return windowRF(ctx.rf[0], ctx.plan.geo);
  },
  run(ctx) {
    const [x, offset, mask] = ctx.inputs;
    return [tensor(ctx.outputs[0], deformForward(x.data, offset.data, mask?.data, ctx.weights.weight.data, ctx.weights.bias?.data, ctx.plan))];
  },
  vjp(ctx) {
    const [x, offset, mask] = ctx.inputs;
    const g = deformBackward(x.data, offset.data, mask?.data, ctx.weights.weight.data, gradOrZeros(ctx), ctx.plan);
    return [tensor(x.shape, g.x), tensor(offset.shape, g.offset), ...(mask ? [tensor(mask.shape, g.mask!)] : [])];
  },
};

/** torchvision's bilinear_interpolate: zero outside (−1, H) × (−1, W), missing corners count zero. */
function bilinear(x: Float32Array, off: number, H: number, W: number, h: number, w: number): number {
  if (h <= -1 || h >= H || w <= -1 || w >= W) return 0;
  const h0 = Math.floor(h);
  const w0 = Math.floor(w);
  const lh = h - h0;
  const lw = w - w0;
  const v00 = h0 >= 0 && w0 >= 0 ? x[off + h0 * W + w0] : 0;
  const v01 = h0 >= 0 && w0 + 1 < W ? x[off + h0 * W + w0 + 1] : 0;
  const v10 = h0 + 1 < H && w0 >= 0 ? x[off + (h0 + 1) * W + w0] : 0;
  const v11 = h0 + 1 < H && w0 + 1 < W ? x[off + (h0 + 1) * W + w0 + 1] : 0;
  return (1 - lh) * (1 - lw) * v00 + (1 - lh) * lw * v01 + lh * (1 - lw) * v10 + lh * lw * v11;
}

/**
 * Deformable im2col (torchvision deformable_im2col): tap (u, v) of output (oy, ox) reads
 * x[c] at (oy·s − pt + u·d + Δh, ox·s − pl + v·d + Δw), times the mask; offsets per offset
 * group in (Δh, Δw) pairs, tap-major. Then the grouped GEMM of conv2d. The columns (Cin·Kh·Kw
 * rows) are sampled for a band of output positions at a time, at most KERNEL_SCRATCH floats.
 */
export function deformForward(
  x: Float32Array,
  offset: Float32Array,
  mask: Float32Array | undefined,
  weight: Float32Array,
  bias: Float32Array | undefined,
  p: DeformConvPlan,
  scratch = KERNEL_SCRATCH,
): Float32Array {
  const [gh, gw] = p.geo;
  const [H, W, OW, KH, KW] = [gh.in, gw.in, gw.out, gh.kernel, gw.kernel];
  const taps = KH * KW;
  const plane = gh.out * OW;
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const perOffsetGroup = p.cin / p.offsetGroups;
  const K = cinG * taps;
  const band = Math.max(1, Math.min(plane, Math.floor(scratch / (p.cin * taps))));
  const cols = new Float32Array(p.cin * taps * band);
  const out = new Float32Array(p.n * p.cout * plane);
  for (let b = 0; b < p.n; b++) {
    for (let p0 = 0; p0 < plane; p0 += band) {
      const width = Math.min(band, plane - p0);
      for (let c = 0; c < p.cin; c++) {
        const og = Math.floor(c / perOffsetGroup);
        const xOff = (b * p.cin + c) * H * W;
        const offBase = (b * p.offsetGroups + og) * 2 * taps * plane;
        const maskBase = (b * p.offsetGroups + og) * taps * plane;
        for (let u = 0; u < KH; u++) {
          for (let v = 0; v < KW; v++) {
            const t = u * KW + v;
            const colRow = (c * taps + t) * width;
            const dh = offBase + 2 * t * plane;
            const dw = dh + plane;
            let oy = Math.floor(p0 / OW);
            let ox = p0 - oy * OW;
            for (let q = 0; q < width; q++) {
              const pos = p0 + q;
              const y0 = oy * gh.stride - gh.padBegin + u * gh.dilation;
              const xv = ox * gw.stride - gw.padBegin + v * gw.dilation;
              const val = bilinear(x, xOff, H, W, y0 + offset[dh + pos], xv + offset[dw + pos]);
              cols[colRow + q] = mask ? val * mask[maskBase + t * plane + pos] : val;
              if (++ox === OW) {
                ox = 0;
                oy++;
              }
            }
          }
        }
      }
      for (let g = 0; g < p.groups; g++) {
        gemm(coutG, width, K, weight, g * coutG * K, K, cols, g * K * width, width, out, (b * p.cout + g * coutG) * plane + p0, plane, false);
      }
    }
  }
  addBias(out, bias, p.n, p.cout, plane);
  return out;
}

/**
 * What deformBackward allocates besides its three gradients (OpInferred.vjpIntermediates): Wᵀ, the
 * weight transposed per group. Not counted: the column gradient, a band of at most KERNEL_SCRATCH
 * floats (one column of Cin·Kh·Kw when that alone is more).
 */
export function deformVjpIntermediates(p: ConvPlan): Intermediate[] {
  const w = [p.cout, p.cin / p.groups, p.geo[0].kernel, p.geo[1].kernel];
  return [{ shape: w, what: `its weight transposed per group for the column gradient Wᵀ·g (${fmtShape(w)})` }];
}

/**
 * Gradients of deformForward with respect to x, the offsets and the mask (see the header); the
 * samples are revisited band by band in the forward's order, the column gradient in KERNEL_SCRATCH.
 */
export function deformBackward(
  x: Float32Array,
  offset: Float32Array,
  mask: Float32Array | undefined,
  weight: Float32Array,
  gy: Float32Array,
  p: DeformConvPlan,
  scratch = KERNEL_SCRATCH,
): { x: Float32Array; offset: Float32Array; mask: Float32Array | null } {
  const [gh, gw] = p.geo;
  const [H, W, OW, KH, KW] = [gh.in, gw.in, gw.out, gh.kernel, gw.kernel];
  const taps = KH * KW;
  const plane = gh.out * OW;
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const perOffsetGroup = p.cin / p.offsetGroups;
  const K = cinG * taps;
  // Wᵀ per group [K × Cout/g], so ∂cols = Wᵀ·g is a plain row-major GEMM
  const wT = new Float32Array(weight.length);
  for (let g = 0; g < p.groups; g++) {
    for (let o = 0; o < coutG; o++) for (let k = 0; k < K; k++) wT[(g * K + k) * coutG + o] = weight[(g * coutG + o) * K + k];
  }
  const band = Math.max(1, Math.min(plane, Math.floor(scratch / (p.cin * taps))));
  const gcols = new Float32Array(p.cin * taps * band);
  const gx = new Float32Array(x.length);
  const gOffset = new Float32Array(offset.length);
  const gMask = mask ? new Float32Array(mask.length) : null;
  for (let b = 0; b < p.n; b++) {
    for (let p0 = 0; p0 < plane; p0 += band) {
      const width = Math.min(band, plane - p0);
      for (let g = 0; g < p.groups; g++) {
        gemm(K, width, coutG, wT, g * K * coutG, coutG, gy, (b * p.cout + g * coutG) * plane + p0, plane, gcols, g * K * width, width, false);
      }
      for (let c = 0; c < p.cin; c++) {
        const og = Math.floor(c / perOffsetGroup);
        const xOff = (b * p.cin + c) * H * W;
        const offBase = (b * p.offsetGroups + og) * 2 * taps * plane;
        const maskBase = (b * p.offsetGroups + og) * taps * plane;
        for (let t = 0; t < taps; t++) {
          const u = Math.floor(t / KW);
          const v = t - u * KW;
          const colRow = (c * taps + t) * width;
          const dh = offBase + 2 * t * plane;
          const dw = dh + plane;
          for (let q = 0; q < width; q++) {
            const pos = p0 + q;
            const grad = gcols[colRow + q];
            if (grad === 0) continue;
            const oy = Math.floor(pos / OW);
            const h = oy * gh.stride - gh.padBegin + u * gh.dilation + offset[dh + pos];
            const w = (pos - oy * OW) * gw.stride - gw.padBegin + v * gw.dilation + offset[dw + pos];
            // torchvision: a sample outside (−1, H) × (−1, W) is 0 and passes no gradient
            if (h <= -1 || h >= H || w <= -1 || w >= W) continue;
            const m = mask ? mask[maskBase + t * plane + pos] : 1;
            const h0 = Math.floor(h);
            const w0 = Math.floor(w);
            const [lh, lw] = [h - h0, w - w0];
            const [in0, in1, jn0, jn1] = [h0 >= 0, h0 + 1 < H, w0 >= 0, w0 + 1 < W];
            const at = xOff + h0 * W + w0;
            const v00 = in0 && jn0 ? x[at] : 0;
            const v01 = in0 && jn1 ? x[at + 1] : 0;
            const v10 = in1 && jn0 ? x[at + W] : 0;
            const v11 = in1 && jn1 ? x[at + W + 1] : 0;
            const gm = grad * m;
            if (in0 && jn0) gx[at] += gm * (1 - lh) * (1 - lw);
            if (in0 && jn1) gx[at + 1] += gm * (1 - lh) * lw;
            if (in1 && jn0) gx[at + W] += gm * lh * (1 - lw);
            if (in1 && jn1) gx[at + W + 1] += gm * lh * lw;
            gOffset[dh + pos] += gm * ((1 - lw) * (v10 - v00) + lw * (v11 - v01));
            gOffset[dw + pos] += gm * ((1 - lh) * (v01 - v00) + lh * (v11 - v10));
            if (gMask) gMask[maskBase + t * plane + pos] += grad * ((1 - lh) * (1 - lw) * v00 + (1 - lh) * lw * v01 + lh * (1 - lw) * v10 + lh * lw * v11);
          }
        }
      }
    }
  }
  return { x: gx, offset: gOffset, mask: gMask };
}
