/**
 * Detection post-processing: nonMaxSuppression and roiAlign (ONNX NonMaxSuppression, RoiAlign;
 * torchvision.ops.nms, torchvision.ops.roi_align).
 *
 * nonMaxSuppression (ONNX opset 10/11): boxes [B, N, 4], scores [B, C, N]; per batch and class,
 *   the boxes scoring above scoreThreshold (strictly) are taken in descending score (ties: lower
 *   index first) and each is kept unless its IoU with a kept box exceeds iouThreshold (strictly),
 *   until maxOutputBoxesPerClass are kept (0 or absent: none). Boxes are [y1, x1, y2, x2] (any
 *   diagonal pair) or, with centerPointBox 1, [xc, yc, w, h]; a box of no area overlaps nothing.
 *   Output: selected_indices [K, 3] (batch, class, box) as int64, batches then classes in order.
 *   K depends on the scores: the analysis sizes it at its upper bound B·C·min(N, max) and says so
 *   in a DATA_DEPENDENT_SHAPE warning; a run returns the K rows it selects.
 *   FLOPs (worst case, nothing suppressed early): per batch and class, N threshold compares,
 *   N·⌈log₂N⌉ sort comparisons, 3 per box area, and 13 per IoU (2 max, 2 min, 2 subtractions,
 *   2 clamps, a product, the union's add and subtract, the divide, the compare) over the
 *   N·(N − 1)/2 pairs.
 *
 * roiAlign (ONNX opset 10/16): X [N, C, H, W], rois [K, 4] as [x1, y1, x2, y2] in input
 *   coordinates, batchIndices [K] → [K, C, outputHeight, outputWidth]. Each ROI scaled by
 *   spatialScale (shifted by −0.5 with coordinateTransformationMode half_pixel, as
 *   torchvision's aligned=True; output_half_pixel, ONNX opset 10's behaviour, is aligned=False and
 *   makes the ROI at least 1×1) is cut into bins; each bin averages (avg) a grid of
 *   samplingRatio² bilinear samples (0 or less: ⌈roi_h/oh⌉×⌈roi_w/ow⌉, adaptive), samples outside
 *   [−1, size] read 0. max mode follows the ONNX reference and ONNX Runtime: the largest of the
 *   four weighted corner values w·v over the bin's samples (not the largest interpolated value:
 *   onnx/onnx#4764, microsoft/onnxruntime#6146). A reversed box under half_pixel keeps its
 *   negative size (torchvision forces only aligned=False ROIs to 1×1): its adaptive grid is ≤ 0 and
 *   its bins are 0, as torchvision's loops and CUDA kernel give (its CPU kernel, sizing a vector by
 *   a negative grid product, raises when one side alone is reversed). A grid over a C++ int
 *   (torchvision's) is INVALID_TENSOR. Only the samples on the map are visited: a huge box costs
 *   the kernel no more than the map.
 *   FLOPs: 7 per bilinear sample per channel (4 products, 3 adds) + 1 to pool it (add or max),
 *   + 20 per sample shared by the channels (its coordinates and four weights), + 1 divide per
 *   output (avg). Adaptive sampling depends on the boxes: known boxes (POST /v1/operators takes
 *   rois as values) are costed at their own grids, so MAX_RUN_WORK bounds them; unknown ones at
 *   the bound of ROIs inside the map, ⌈H/oh⌉·⌈W/ow⌉ samples per bin. The field of a pooled ROI
 *   depends on where the box is: reported global.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { globalRF } from './receptive-field.js';
import { posInt } from './geometry.js';
import { NCHW_RANK, SPATIAL_START } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { INT32_MAX, binCorners, forEachBin, gridError, roiGeometry } from './roi-align-grid.js';
import type { Corners } from './roi-align-grid.js';

export const NmsAttrs = z.strictObject({
  centerPointBox: z.union([z.literal(0), z.literal(1)]).default(0),
  maxOutputBoxesPerClass: z.number().int().nonnegative().optional(),
  iouThreshold: z.number().optional(),
  scoreThreshold: z.number().optional(),
});
type NmsAttrs = z.infer<typeof NmsAttrs>;

interface NmsPlan {
  b: number;
  c: number;
  n: number;
  bound: number;
}

/** A parameter given as an attribute or as a constant scalar input (ONNX gives inputs). */
const param = (attr: number | undefined, v: { data: ArrayLike<number> } | null): number | undefined => attr ?? v?.data[0];

/**
 * Its kernel's work per FLOP above, in the GEMM's MACs (MAX_RUN_WORK): measured 2026-12-05 on the
 * AMD EPYC host, 5,000 disjoint boxes (nothing suppressed, 1.6·10^8 FLOPs) at 1.0–1.4 G FLOPs/s
 * against a 3×3 conv 64→64 at 56²'s 15 GMAC/s in the same process, 12–23 times slower. A hunt's
 * 118,000 boxes were under the limit as FLOPs and would have held a worker for about 165 s.
 */
const NMS_SLOWDOWN = 12;

export const nonMaxSuppression: OpDef<NmsAttrs, NmsPlan> = {
  name: 'nonMaxSuppression',
  summary: 'Greedy non-maximum suppression per batch and class; output [K, 3] indices (K data-dependent)',
  pytorch: 'torchvision.ops.batched_nms',
  inputNames: ['boxes', 'scores', 'maxOutputBoxesPerClass', 'iouThreshold', 'scoreThreshold'],
  minInputs: 2,
  attrs: NmsAttrs,
  infer(ctx) {
    const [boxes, scores] = ctx.inputs;
    if (boxes.length !== 3 || boxes[2] !== 4) ctx.fail('SHAPE_MISMATCH', `boxes must be [batches, boxes, 4], got ${fmtShape(boxes)}`, 'inputs', { shapes: { boxes } });
    if (scores.length !== 3 || scores[0] !== boxes[0] || scores[2] !== boxes[1]) {
      ctx.fail('SHAPE_MISMATCH', `scores must be [${boxes[0]}, classes, ${boxes[1]}] for boxes ${fmtShape(boxes)}, got ${fmtShape(scores)}`, 'inputs', { shapes: { boxes, scores } });
    }
    const [b, n] = boxes;
    const c = scores[1];
    // absent or computed: every box may be kept (the ONNX mapping writes ONNX's default 0 when the input is absent)
    const max = param(ctx.attrs.maxOutputBoxesPerClass, ctx.values[2]);
    const bound = b * c * Math.min(n, max ?? n);
    // max 0 selects nothing whatever the boxes (ONNX's reading of an absent input): refused as before.
    // No boxes (an image whose detections a score threshold removed, in a staged run's later stage)
    // is an ordinary empty selection: [0, 3], as torchvision.ops.nms returns an empty index tensor
    // at the attribute when the layer has one, else at input 2, where the value came from
    if (max === 0) ctx.fail('INVALID_ATTRIBUTE', `maxOutputBoxesPerClass is 0 (ONNX reads an absent one as 0): nothing can be selected`, ctx.attrs.maxOutputBoxesPerClass === undefined ? ['inputs', 2] : 'maxOutputBoxesPerClass');
    const perRun = n + n * Math.ceil(Math.log2(Math.max(n, 1))) + 3 * n + (13 * n * (n - 1)) / 2;
    const flops = b * c * perRun;
    return { outputs: [[bound, 3]], values: [null], weights: [], cost: { ...ZERO_COST, elementwise: flops }, kernelWork: NMS_SLOWDOWN * flops, plan: { b, c, n, bound } };
  },
  receptiveField(ctx) {
    ctx.warn({
      code: 'DATA_DEPENDENT_SHAPE',
      message: `layer '${ctx.layer}': the number of boxes kept depends on the scores; the output is analysed at its upper bound ${fmtShape(ctx.outputs[0])} (batches·classes·min(boxes, maxOutputBoxesPerClass))`,
      bound: ctx.outputs[0],
    });
    return null;
  },
  run(ctx) {
    const [boxes, scores, maxT, iouT, scoreT] = ctx.inputs;
    const { b, c, n } = ctx.plan;
    const max = Math.min(n, param(ctx.attrs.maxOutputBoxesPerClass, maxT ?? null) ?? n);
    const iouThreshold = param(ctx.attrs.iouThreshold, iouT ?? null) ?? 0;
    const scoreThreshold = param(ctx.attrs.scoreThreshold, scoreT ?? null);
    const center = ctx.attrs.centerPointBox === 1;
    // corners (y1, x1, y2, x2) ordered min/max, and areas, once per box
    const corner = new Float64Array(b * n * 4);
    const area = new Float64Array(b * n);
    const bx = boxes.data;
    for (let i = 0; i < b * n; i++) {
      const [p, q, r, s] = [bx[4 * i], bx[4 * i + 1], bx[4 * i + 2], bx[4 * i + 3]];
      const [y1, x1, y2, x2] = center ? [q - s / 2, p - r / 2, q + s / 2, p + r / 2] : [Math.min(p, r), Math.min(q, s), Math.max(p, r), Math.max(q, s)];
      corner.set([y1, x1, y2, x2], 4 * i);
      area[i] = (y2 - y1) * (x2 - x1);
    }
    /** Whether boxes i and j (batch-flat indices) overlap by an IoU above the threshold; a box of no area overlaps nothing. */
    const overlaps = (i: number, j: number): boolean => {
      const h = Math.min(corner[4 * i + 2], corner[4 * j + 2]) - Math.max(corner[4 * i], corner[4 * j]);
      if (h <= 0) return false;
      const w = Math.min(corner[4 * i + 3], corner[4 * j + 3]) - Math.max(corner[4 * i + 1], corner[4 * j + 1]);
      if (w <= 0 || area[i] <= 0 || area[j] <= 0) return false;
      const inter = h * w;
      return inter / (area[i] + area[j] - inter) > iouThreshold;
    };
    const selected: number[] = [];
    const order = new Int32Array(n);
    // the kept boxes' batch-flat indices: the pairwise loop (N²/2 IoUs when nothing is suppressed) reads a typed array, no closure per pair
    const kept = new Int32Array(n);
    for (let bi = 0; bi < b; bi++) {
      for (let ci = 0; ci < c; ci++) {
        const base = (bi * c + ci) * n;
        let m = 0;
        for (let i = 0; i < n; i++) if (scoreThreshold === undefined || scores.data[base + i] > scoreThreshold) order[m++] = i;
        const cand = Array.from(order.subarray(0, m)).sort((i, j) => scores.data[base + j] - scores.data[base + i] || i - j);
        let count = 0;
        for (const i of cand) {
          if (count >= max) break;
          const at = bi * n + i;
          let free = true;
          for (let k = 0; k < count && free; k++) free = !overlaps(at, kept[k]);
          if (free) kept[count++] = at;
        }
        for (let k = 0; k < count; k++) selected.push(bi, ci, kept[k] - bi * n);
      }
    }
    return [tensor([selected.length / 3, 3], Float32Array.from(selected))];
  },
  // indices: no gradient (as torchvision.ops.nms)
  vjp: (ctx) => ctx.inputs.map(() => null),
};

export const RoiAlignAttrs = z.strictObject({
  mode: z.enum(['avg', 'max']).default('avg'),
  outputHeight: posInt.default(1),
  outputWidth: posInt.default(1),
  // ≤ 0 adaptive: torchvision's roi_align default is −1, ONNX's 0; torchvision and the ONNX reference read any value ≤ 0 so (ONNX Runtime refuses a negative one)
  samplingRatio: z.number().int().min(-INT32_MAX).max(INT32_MAX).default(0).describe('samples per bin side; 0 or less: adaptive, ⌈roi size / output size⌉ (torchvision\'s −1, ONNX\'s 0)'),
  spatialScale: z.number().positive().default(1),
  coordinateTransformationMode: z.enum(['half_pixel', 'output_half_pixel']).default('half_pixel'),
  /**
   * Set by the ONNX importer when an opset ≥ 16 file states no coordinate_transformation_mode, so
   * ONNX's default half_pixel applies (as in ONNX Runtime): torchvision < 0.15 exports roi_align with
   * its opset-11 symbolic at every opset and omits the mode, though MultiScaleRoIAlign ran
   * aligned=False (output_half_pixel). Raises a ROI_ALIGN_MODE_DEFAULTED warning.
   */
  modeDefaulted: z.boolean().default(false),
});
type RoiAlignAttrs = z.infer<typeof RoiAlignAttrs>;

/** FLOPs of one bilinear sample shared by the channels: two coordinates (6 each), ly, lx, 1 − ly, 1 − lx, four corner weights. */
const SAMPLE_SETUP_FLOPS = 20;

/**
 * MAX_RUN_WORK's units (Inferred.runWork) a run of roiAlign takes a FLOP of its cost (8 a channel
 * and sample + the sample's setup). bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC (shared; the
 * 3×3 conv at 0.06–0.19 ns a MAC): 200 ROIs 7×7 sampling 2 on [1, 256, 50, 50] 4.8–7.8 ns a FLOP,
 * 20 whole-map ROIs adaptive on [1, 64, 200, 200] 1.9–2.4 ns. In units of about 0.3 ns (pool.ts).
 */
const ROI_ALIGN_FLOP = 12;

export const roiAlign: OpDef<RoiAlignAttrs, null> = {
  name: 'roiAlign',
  summary: 'Bilinear ROI pooling of boxes into fixed-size bins (Mask R-CNN; avg or max)',
  pytorch: 'torchvision.ops.roi_align',
  inputNames: ['x', 'rois', 'batchIndices'],
  // the boxes set the adaptive sampling grid, so the cost: POST /v1/operators takes them as values
  valueInputs: [1],
  minInputs: 3,
  attrs: RoiAlignAttrs,
  infer(ctx) {
    const [x, rois, idx] = ctx.inputs;
    if (x.length !== NCHW_RANK) ctx.fail('RANK_MISMATCH', `x must be (N, C, H, W), got ${fmtShape(x)}`, 'inputs', { shapes: { x } });
    if (rois.length !== 2 || rois[1] !== 4) ctx.fail('SHAPE_MISMATCH', `rois must be [K, 4], got ${fmtShape(rois)}`, 'inputs', { shapes: { rois } });
    if (idx.length !== 1 || idx[0] !== rois[0]) ctx.fail('SHAPE_MISMATCH', `batchIndices must be [${rois[0]}] (one per ROI), got ${fmtShape(idx)}`, 'inputs', { shapes: { rois, batchIndices: idx } });
    const a = ctx.attrs;
    const [K, C] = [rois[0], x[1]];
    const out = [K, C, a.outputHeight, a.outputWidth];
    // samples per bin summed over the ROIs: the boxes' own grids when known, else the bound of boxes inside the map
    let samples = K * (a.samplingRatio > 0 ? a.samplingRatio ** 2 : Math.ceil(x[2] / a.outputHeight) * Math.ceil(x[3] / a.outputWidth));
    const boxes = ctx.values[1];
    if (boxes && boxes.data.length === 4 * K) {
      samples = 0;
      for (let k = 0; k < K; k++) {
        const g = roiGeometry(boxes.data, k, a, a.outputHeight, a.outputWidth);
        const e = gridError(boxes.data, k, g);
        if (e) ctx.fail('INVALID_TENSOR', e, ['inputs', 1], { shapes: { rois } });
        samples += g.samples;
      }
    }
    const bins = a.outputHeight * a.outputWidth;
    const elementwise = bins * (samples * (8 * C + SAMPLE_SETUP_FLOPS) + (a.mode === 'avg' ? K * C : 0));
    return { outputs: [out], weights: [], cost: { ...ZERO_COST, elementwise }, runWork: ROI_ALIGN_FLOP * elementwise, plan: null };
  },
  receptiveField(ctx) {
    if (ctx.attrs.modeDefaulted) {
      ctx.warn({
        code: 'ROI_ALIGN_MODE_DEFAULTED',
        message: `layer '${ctx.layer}': RoiAlign at opset ≥ 16 states no coordinate_transformation_mode, so ONNX's default half_pixel (torchvision aligned=True) is run, as ONNX Runtime does. torchvision < 0.15 writes no mode for models that ran aligned=False (every torchvision R-CNN): if this file came from one, its boxes and masks differ from PyTorch's by up to half a feature cell; export with torchvision ≥ 0.15 or set coordinate_transformation_mode to output_half_pixel`,
      });
    }
    return ctx.rf[0] ? globalRF(ctx.rf[0], ctx.inputs[0].slice(SPATIAL_START)) : null;
  },
  run(ctx) {
    const x = ctx.inputs[0].data;
    const [, C, H, W] = ctx.inputs[0].shape;
    const max = ctx.attrs.mode === 'max';
    const y = new Float32Array(numel(ctx.outputs[0]));
    // the bin's corners and weights once, for all its channels
    const c: Corners = { pos: new Int32Array(256), wt: new Float64Array(256) };
    forEachBin(ctx, (s) => {
      const n = binCorners(s, W, c);
      const { pos, wt } = c;
      for (let ch = 0; ch < C; ch++) {
        const base = (s.batch * C + ch) * H * W;
        // a sample off the map reads 0
        let acc = max && !s.offMap ? -Infinity : 0;
        for (let q = 0; q < n; q += 4) {
          const v1 = wt[q] * x[base + pos[q]];
          const v2 = wt[q + 1] * x[base + pos[q + 1]];
          const v3 = wt[q + 2] * x[base + pos[q + 2]];
          const v4 = wt[q + 3] * x[base + pos[q + 3]];
          acc = max ? Math.max(acc, v1, v2, v3, v4) : acc + (v1 + v2 + v3 + v4); // torchvision's order
        }
        y[(s.k * C + ch) * s.bins + s.index] = s.samples === 0 ? 0 : max ? acc : acc / s.samples;
      }
    });
    return [tensor(ctx.outputs[0], y)];
  },
  // ∂L/∂x: each output's gradient back to the corners it read, by their bilinear weights (avg, over
  // the samples' count), or to the weighted corner that was the largest (max; none when a sample off
  // the map, reading 0, was); the boxes and indices have none
  vjp(ctx) {
    const x = ctx.inputs[0].data;
    const [, C, H, W] = ctx.inputs[0].shape;
    const max = ctx.attrs.mode === 'max';
    const gx = new Float32Array(x.length);
    const g = ctx.gradOutputs[0]?.data;
    if (g) {
      // the bin's corners and weights once, for all its channels (in the forward's order)
      const c: Corners = { pos: new Int32Array(256), wt: new Float64Array(256) };
      forEachBin(ctx, (s) => {
        const n = binCorners(s, W, c);
        const { pos, wt } = c;
        for (let ch = 0; ch < C; ch++) {
          const base = (s.batch * C + ch) * H * W;
          const go = g[(s.k * C + ch) * s.bins + s.index];
          if (!max) {
            for (let q = 0; q < n; q++) gx[base + pos[q]] += (go * wt[q]) / s.samples;
            continue;
          }
          let best = -1;
          let bestW = 0;
          let bestV = s.offMap ? 0 : -Infinity;
          for (let q = 0; q < n; q++) {
            const v = wt[q] * x[base + pos[q]];
            if (v > bestV) {
              best = base + pos[q];
              bestW = wt[q];
              bestV = v;
            }
          }
          if (best >= 0) gx[best] += go * bestW;
        }
      });
    }
    return [tensor(ctx.inputs[0].shape, gx), null, null];
  },
};
