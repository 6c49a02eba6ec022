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
 */
import { fmtShape } from '../errors.js';
import { spatialOut } from './geometry.js';
import { windowRF } from './receptive-field.js';
import { ConvAttrs, convInferred, convPlan } from './conv.js';
import type { ConvPlan } from './conv.js';
import type { OpDef } from './types.js';

export const DeformConvAttrs = ConvAttrs.omit({ mode: true });
export type DeformConvAttrs = ReturnType<typeof DeformConvAttrs.parse>;

export interface DeformConvPlan extends ConvPlan {
  offsetGroups: number;
  masked: boolean;
}

export const deformConv2d: OpDef<DeformConvAttrs, DeformConvPlan> = {
  name: 'deformConv2d',
  summary: 'Deformable convolution (v1 with offsets, v2 with offsets and mask), bilinear sampling',
  pytorch: 'torchvision.ops.DeformConv2d',
  inputNames: ['x', 'offset', 'mask'],
  minInputs: 2,
  weighted: true,
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
        `layer '${ctx.layer}': offset must be [${plan.n}, 2·G·${kh}·${kw}, ${oh}, ${ow}] for offset groups G, got ${fmtShape(offset)}`,
        'inputs',
        { shapes: { x: ctx.inputs[0], offset } },
      );
    }
    const offsetGroups = offset[1] / (2 * taps);
    if (plan.cin % offsetGroups !== 0) {
      ctx.fail('SHAPE_MISMATCH', `layer '${ctx.layer}': ${offsetGroups} offset groups do not divide ${plan.cin} input channels`, 'inputs', {
        shapes: { x: ctx.inputs[0], offset },
      });
    }
    const mask = ctx.inputs[2];
    if (mask && (mask.length !== 4 || mask[0] !== plan.n || mask[1] !== offsetGroups * taps || mask[2] !== oh || mask[3] !== ow)) {
      ctx.fail('SHAPE_MISMATCH', `layer '${ctx.layer}': mask must be [${plan.n}, ${offsetGroups * taps}, ${oh}, ${ow}], got ${fmtShape(mask)}`, 'inputs', {
        shapes: { x: ctx.inputs[0], offset, mask },
      });
    }
    const base = convInferred(plan, ctx.attrs.bias);
    const samples = plan.n * plan.cin * taps * spatialOut(plan.geo);
    return {
      ...base,
      cost: { ...base.cost, elementwise: samples * (7 + (mask ? 1 : 0)) },
      plan: { ...plan, offsetGroups, masked: mask !== undefined },
    };
  },
  receptiveField(ctx) {
    ctx.warn({
      code: 'DATA_DEPENDENT_RECEPTIVE_FIELD',
      message: `layer '${ctx.layer}': deformable convolution samples at learned offsets; the receptive field shown is the nominal (zero-offset) one`,
    });
    return windowRF(ctx.rf[0], ctx.plan.geo);
  },
};
