/**
 * Moving b×b spatial blocks into channels and back (ONNX DepthToSpace, SpaceToDepth;
 * torch.nn.PixelShuffle, PixelUnshuffle): sub-pixel convolution upsamplers (ESPCN, super-resolution
 * heads) and space-to-depth stems (YOLOv5's Focus, TResNet). Permutations: 0 FLOPs.
 *
 *   depthToSpace b  [N, C, H, W] → [N, C/b², H·b, W·b]; y[n, c, h·b + i, w·b + j] = x[n, k, h, w] with
 *                   k = (i·b + j)·C/b² + c  (mode DCR, ONNX's default: depth, column, row)
 *                   k = c·b² + i·b + j      (mode CRD = torch.nn.PixelShuffle)
 *   spaceToDepth b  [N, C, H, W] → [N, C·b², H/b, W/b], the inverse of DCR (ONNX SpaceToDepth)
 *   pixelShuffle r  = depthToSpace r CRD;   pixelUnshuffle r = the inverse of CRD (torch); both
 *                   take torch's (*, C, H, W): any leading axes, or none
 *
 * Receptive fields (per spatial axis, Araujo's (r, j, p)): space-to-depth is a window of size b and
 * stride b over the input units (output unit h reads input units h·b … h·b + b − 1, each through
 * one channel): r' = r + (b − 1)·j, j' = j·b, centre + (b − 1)/2·j; the output stride grows by b.
 * Depth-to-space reads one input unit per output unit, ⌊y/b⌋, as nearest upsampling by b does:
 * r' = r, j' = j/b, the centre of unit 0 unchanged; the output stride shrinks by b (so b output
 * units share an input unit's field, as after nearest upsampling).
 * VJP: the inverse permutation of g.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { blockToSpace, wholeAxis } from './receptive-field.js';
import { posInt } from './geometry.js';
import { NCHW_RANK, expectRank } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, OpDef, TensorRF, VjpContext } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

export interface BlockPlan {
  block: number;
  /** True: channels become space (depthToSpace, pixelShuffle). */
  toSpace: boolean;
  /** Channel order of a block: DCR (block position outer) or CRD (channel outer). */
  crd: boolean;
}

/**
 * `batched`: torch's pixel ops take (*, C, H, W), any leading batch axes or none (nn.PixelShuffle);
 * ONNX's DepthToSpace and SpaceToDepth take [N, C, H, W] only.
 */
/**
 * MAX_RUN_WORK units a run of a block rearrangement takes an element (Inferred.runWork; pixelShuffle,
 * depthToSpace, spaceToDepth and pixelUnshuffle): pixelShuffle and depthToSpace by 2 of
 * [1, 256, 56, 56] ran 2.2–3.4 ns an element where they were counted 1 an element written
 * (bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC, load 3–8; 2.5 at load 12–16); units of about
 * 0.3 ns (pool.ts). At this rate (2026-12-06, load 14–16, beside 2.2 for pixelShuffle):
 * spaceToDepth and pixelUnshuffle by 2 of [1, 64, 112, 112] 2.3–2.4 ns an element, spaceToDepth by
 * 4 of [1, 16, 224, 224] 2.3, pixelUnshuffle by 8 of [1, 1, 512, 512] 2.4, spaceToDepth by 2 of
 * [1, 1, 1024, 1024] 2.8: 0.18–0.22 ns a unit.
 */
export const BLOCK_ELEMENT = 12;

function blockInfer<A>(ctx: InferContext<A>, block: number, toSpace: boolean, crd: boolean, field: string, batched = false) {
  const x = batched ? ctx.inputs[0] : expectRank(ctx, 0, NCHW_RANK);
  if (x.length < 3) ctx.fail('RANK_MISMATCH', `input 0 must have at least 3 dimensions (*, C, H, W), got shape ${fmtShape(x)}`, 'inputs', { shapes: { input0: x } });
  const [c, h, w] = x.slice(-3);
  const lead = x.slice(0, -3);
  const b2 = block * block;
  if (toSpace && c % b2 !== 0) ctx.fail('INVALID_ATTRIBUTE', `${field}=${block}: ${c} channels of ${fmtShape(x)} are not a multiple of ${b2}`, field, { shapes: { input: x } });
  if (!toSpace && (h % block !== 0 || w % block !== 0)) {
    ctx.fail('INVALID_ATTRIBUTE', `${field}=${block} does not divide the spatial size ${h}×${w} of ${fmtShape(x)}`, field, { shapes: { input: x } });
  }
  const out = [...lead, ...(toSpace ? [c / b2, h * block, w * block] : [c * b2, h / block, w / block])];
  return { outputs: [out], weights: [], cost: ZERO_COST, runWork: BLOCK_ELEMENT * numel(out), plan: { block, toSpace, crd } };
}

function blockRF(rf: TensorRF | null, p: BlockPlan, x: readonly number[]): TensorRF | null {
  if (!rf || rf.global) return rf;
  // the blocks move along the last two axes: a field over others (a [C, H, W] input's one axis, W) is not a 2-D map's
  if (rf.dims.length !== 2 || rf.dims[0] !== x.length - 2 || rf.dims[1] !== x.length - 1) return null;
  const b = p.block;
  // to space: units b·h … b·h + b − 1 all read unit h; to depth: a window of b at stride b
  const axes = rf.axes.map((ax, k) => (p.toSpace ? blockToSpace(ax, x[rf.dims[k]], b) : wholeAxis(ax, b)));
  return { ...rf, axes };
}

/** The permutation, written from the space side: (c, h·b + i, w·b + j) ↔ depth channel k. */
function blockMove(x: Tensor, out: readonly number[], p: BlockPlan): Tensor {
  const { block: b, toSpace, crd } = p;
  // the space-side tensor [N, Cs, Hs, Ws] and the depth-side [N, Cs·b², Hs/b, Ws/b]
  // leading axes (torch's *, or N) as one batch
  const space = toSpace ? out : x.shape;
  const [cs, hs, ws] = space.slice(-3);
  const n = space.slice(0, -3).reduce((a, d) => a * d, 1);
  const [hd, wd] = [hs / b, ws / b];
  const cd = cs * b * b;
  const res = new Float32Array(x.data.length);
  const src = x.data;
  for (let bn = 0; bn < n; bn++) {
    for (let c = 0; c < cs; c++) {
      for (let i = 0; i < b; i++) {
        for (let j = 0; j < b; j++) {
          const k = crd ? (c * b + i) * b + j : (i * b + j) * cs + c;
          const depth = (bn * cd + k) * hd * wd;
          const space = (bn * cs + c) * hs * ws;
          for (let h = 0; h < hd; h++) {
            const d = depth + h * wd;
            const s = space + (h * b + i) * ws + j;
            // one depth row ↔ every b-th entry of one space row
            if (toSpace) for (let w = 0; w < wd; w++) res[s + w * b] = src[d + w];
            else for (let w = 0; w < wd; w++) res[d + w] = src[s + w * b];
          }
        }
      }
    }
  }
  return tensor(out, res);
}

/** The adjoint of a permutation is its inverse: g moves back the other way. */
function blockVjp(ctx: VjpContext<unknown, BlockPlan>): Tensor[] {
  const x = ctx.inputs[0];
  const g = ctx.gradOutputs[0] ?? tensor(ctx.outputs[0]);
  return [blockMove(g, x.shape, { ...ctx.plan, toSpace: !ctx.plan.toSpace })];
}

export const DepthToSpaceAttrs = z.strictObject({ blockSize: posInt.describe('b: each b×b block of outputs comes from b² channels'), mode: z.enum(['DCR', 'CRD']).default('DCR') });
export const depthToSpace: OpDef<z.infer<typeof DepthToSpaceAttrs>, BlockPlan> = {
  name: 'depthToSpace',
  summary: 'Rearrange channels into b×b spatial blocks (ONNX DepthToSpace, DCR or CRD)',
  pytorch: 'torch.nn.PixelShuffle (CRD)',
  inputNames: ['x'],
  minInputs: 1,
  attrs: DepthToSpaceAttrs,
  infer: (ctx) => blockInfer(ctx, ctx.attrs.blockSize, true, ctx.attrs.mode === 'CRD', 'blockSize'),
  receptiveField: (ctx) => blockRF(ctx.rf[0], ctx.plan, ctx.inputs[0]),
  run: (ctx) => [blockMove(ctx.inputs[0], ctx.outputs[0], ctx.plan)],
  vjp: blockVjp,
};

export const SpaceToDepthAttrs = z.strictObject({ blockSize: posInt.describe('b: each b×b block of inputs goes to b² channels') });
export const spaceToDepth: OpDef<z.infer<typeof SpaceToDepthAttrs>, BlockPlan> = {
  name: 'spaceToDepth',
  summary: 'Rearrange b×b spatial blocks into channels (ONNX SpaceToDepth, the inverse of DCR)',
  pytorch: 'torch.nn.PixelUnshuffle (other channel order)',
  inputNames: ['x'],
  minInputs: 1,
  attrs: SpaceToDepthAttrs,
  infer: (ctx) => blockInfer(ctx, ctx.attrs.blockSize, false, false, 'blockSize'),
  receptiveField: (ctx) => blockRF(ctx.rf[0], ctx.plan, ctx.inputs[0]),
  run: (ctx) => [blockMove(ctx.inputs[0], ctx.outputs[0], ctx.plan)],
  vjp: blockVjp,
};

export const PixelShuffleAttrs = z.strictObject({ upscaleFactor: posInt.describe('r: [*, C·r², H, W] → [*, C, H·r, W·r]') });
export const pixelShuffle: OpDef<z.infer<typeof PixelShuffleAttrs>, BlockPlan> = {
  name: 'pixelShuffle',
  summary: 'Sub-pixel upsampling: [*, C·r², H, W] → [*, C, H·r, W·r] (any leading axes, as torch)',
  pytorch: 'torch.nn.PixelShuffle',
  inputNames: ['x'],
  minInputs: 1,
  attrs: PixelShuffleAttrs,
  infer: (ctx) => blockInfer(ctx, ctx.attrs.upscaleFactor, true, true, 'upscaleFactor', true),
  receptiveField: (ctx) => blockRF(ctx.rf[0], ctx.plan, ctx.inputs[0]),
  run: (ctx) => [blockMove(ctx.inputs[0], ctx.outputs[0], ctx.plan)],
  vjp: blockVjp,
};

export const PixelUnshuffleAttrs = z.strictObject({ downscaleFactor: posInt.describe('r: [*, C, H·r, W·r] → [*, C·r², H, W]') });
export const pixelUnshuffle: OpDef<z.infer<typeof PixelUnshuffleAttrs>, BlockPlan> = {
  name: 'pixelUnshuffle',
  summary: 'Inverse sub-pixel shuffle: [*, C, H·r, W·r] → [*, C·r², H, W] (any leading axes, as torch)',
  pytorch: 'torch.nn.PixelUnshuffle',
  inputNames: ['x'],
  minInputs: 1,
  attrs: PixelUnshuffleAttrs,
  infer: (ctx) => blockInfer(ctx, ctx.attrs.downscaleFactor, false, true, 'downscaleFactor', true),
  receptiveField: (ctx) => blockRF(ctx.rf[0], ctx.plan, ctx.inputs[0]),
  run: (ctx) => [blockMove(ctx.inputs[0], ctx.outputs[0], ctx.plan)],
  vjp: blockVjp,
};
