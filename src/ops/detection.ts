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
 *   samplingRatio² bilinear samples (0: ⌈roi_h/oh⌉×⌈roi_w/ow⌉, adaptive), samples outside
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
import { ConvlensError, fmtShape } from '../errors.js';
import { globalRF } from './receptive-field.js';
import { posInt } from './geometry.js';
import { NCHW_RANK, SPATIAL_START } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';

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
    if (max === 0) ctx.fail('INVALID_ATTRIBUTE', `maxOutputBoxesPerClass is 0 (ONNX reads an absent one as 0): nothing can be selected`, 'maxOutputBoxesPerClass');
    const perRun = n + n * Math.ceil(Math.log2(Math.max(n, 1))) + 3 * n + (13 * n * (n - 1)) / 2;
    return { outputs: [[bound, 3]], values: [null], weights: [], cost: { ...ZERO_COST, elementwise: b * c * perRun }, plan: { b, c, n, bound } };
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
    const overlaps = (i: number, j: number): boolean => {
      const h = Math.min(corner[4 * i + 2], corner[4 * j + 2]) - Math.max(corner[4 * i], corner[4 * j]);
      const w = Math.min(corner[4 * i + 3], corner[4 * j + 3]) - Math.max(corner[4 * i + 1], corner[4 * j + 1]);
      if (h <= 0 || w <= 0 || area[i] <= 0 || area[j] <= 0) return false;
      const inter = h * w;
      return inter / (area[i] + area[j] - inter) > iouThreshold;
    };
    const selected: number[] = [];
    const order = new Int32Array(n);
    const kept: number[] = [];
    for (let bi = 0; bi < b; bi++) {
      for (let ci = 0; ci < c; ci++) {
        const base = (bi * c + ci) * n;
        let m = 0;
        for (let i = 0; i < n; i++) if (scoreThreshold === undefined || scores.data[base + i] > scoreThreshold) order[m++] = i;
        const cand = Array.from(order.subarray(0, m)).sort((i, j) => scores.data[base + j] - scores.data[base + i] || i - j);
        kept.length = 0;
        for (const i of cand) {
          if (kept.length >= max) break;
          if (kept.every((k) => !overlaps(bi * n + i, bi * n + k))) kept.push(i);
        }
        for (const k of kept) selected.push(bi, ci, k);
      }
    }
    return [tensor([selected.length / 3, 3], Float32Array.from(selected))];
  },
  // indices: no gradient (as torchvision.ops.nms)
  vjp: (ctx) => ctx.inputs.map(() => null),
};

/** torchvision holds sampling_ratio and the adaptive grid in a C++ int. */
const INT32_MAX = 2 ** 31 - 1;

export const RoiAlignAttrs = z.strictObject({
  mode: z.enum(['avg', 'max']).default('avg'),
  outputHeight: posInt.default(1),
  outputWidth: posInt.default(1),
  samplingRatio: z.number().int().nonnegative().max(INT32_MAX).default(0),
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

/** ROI k in feature-map coordinates as torchvision computes it, and its sampling grid per bin (gh, gw; ≤ 0 or NaN: no samples). */
function roiGeometry(r: ArrayLike<number>, k: number, a: RoiAlignAttrs, PH: number, PW: number) {
  const aligned = a.coordinateTransformationMode === 'half_pixel';
  const offset = aligned ? 0.5 : 0;
  const x1 = r[4 * k] * a.spatialScale - offset;
  const y1 = r[4 * k + 1] * a.spatialScale - offset;
  let rw = r[4 * k + 2] * a.spatialScale - offset - x1;
  let rh = r[4 * k + 3] * a.spatialScale - offset - y1;
  if (!aligned) {
    // torchvision aligned=False: "Force malformed ROIs to be 1x1"
    rw = Math.max(rw, 1);
    rh = Math.max(rh, 1);
  }
  const gh = a.samplingRatio > 0 ? a.samplingRatio : Math.ceil(rh / PH);
  const gw = a.samplingRatio > 0 ? a.samplingRatio : Math.ceil(rw / PW);
  return { x1, y1, rw, rh, gh, gw, samples: gh > 0 && gw > 0 ? gh * gw : 0 };
}

/** Why ROI k's adaptive grid cannot be sampled (over the C++ int torchvision holds it in), or null. */
function gridError(r: ArrayLike<number>, k: number, g: { gh: number; gw: number }): string | null {
  if (!(g.gh > INT32_MAX || g.gw > INT32_MAX)) return null;
  const box = Array.from({ length: 4 }, (_, i) => r[4 * k + i]).join(', ');
  return `rois[${k}] = [${box}] needs a sampling grid of ${g.gh} rows × ${g.gw} columns per bin (⌈roi size / output size⌉), over the ${INT32_MAX} torchvision's int grid holds`;
}

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
        if (e) ctx.fail('INVALID_TENSOR', e, 'inputs', { shapes: { rois } });
        samples += g.samples;
      }
    }
    const bins = a.outputHeight * a.outputWidth;
    const elementwise = bins * (samples * (8 * C + SAMPLE_SETUP_FLOPS) + (a.mode === 'avg' ? K * C : 0));
    return { outputs: [out], weights: [], cost: { ...ZERO_COST, elementwise }, plan: null };
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
    forEachBin(ctx, (s) => {
      const [yLo, yHi, yFrac, y0, y1] = [s.ys.lo, s.ys.hi, s.ys.frac, s.ys.first[s.ph], s.ys.first[s.ph + 1]];
      const [xLo, xHi, xFrac, x0, x1] = [s.xs.lo, s.xs.hi, s.xs.frac, s.xs.first[s.pw], s.xs.first[s.pw + 1]];
      for (let ch = 0; ch < C; ch++) {
        const base = (s.batch * C + ch) * H * W;
        // a sample off the map reads 0
        let acc = max && !s.offMap ? -Infinity : 0;
        for (let i = y0; i < y1; i++) {
          const r0 = base + yLo[i] * W;
          const r1 = base + yHi[i] * W;
          const ly = yFrac[i];
          for (let j = x0; j < x1; j++) {
            const lx = xFrac[j];
            const v1 = (1 - ly) * (1 - lx) * x[r0 + xLo[j]];
            const v2 = (1 - ly) * lx * x[r0 + xHi[j]];
            const v3 = ly * (1 - lx) * x[r1 + xLo[j]];
            const v4 = ly * lx * x[r1 + xHi[j]];
            acc = max ? Math.max(acc, v1, v2, v3, v4) : acc + (v1 + v2 + v3 + v4); // torchvision's order
          }
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
      forEachBin(ctx, (s) => {
        const { ys, xs } = s;
        for (let ch = 0; ch < C; ch++) {
          const base = (s.batch * C + ch) * H * W;
          const go = g[(s.k * C + ch) * s.bins + s.index];
          let best = -1;
          let bestW = 0;
          let bestV = s.offMap ? 0 : -Infinity;
          for (let i = ys.first[s.ph]; i < ys.first[s.ph + 1]; i++) {
            for (let j = xs.first[s.pw]; j < xs.first[s.pw + 1]; j++) {
              // the corners in the forward's order, each with its bilinear weight
              for (let q = 0; q < 4; q++) {
                const at = base + (q < 2 ? ys.lo[i] : ys.hi[i]) * W + (q % 2 === 0 ? xs.lo[j] : xs.hi[j]);
                const w = (q < 2 ? 1 - ys.frac[i] : ys.frac[i]) * (q % 2 === 0 ? 1 - xs.frac[j] : xs.frac[j]);
                if (!max) gx[at] += (go * w) / s.samples;
                else if (w * x[at] > bestV) [best, bestW, bestV] = [at, w, w * x[at]];
              }
            }
          }
          if (best >= 0) gx[best] += go * bestW;
        }
      });
    }
    return [tensor(ctx.inputs[0].shape, gx), null, null];
  },
};

/**
 * One axis of a ROI: its samples that fall on the map ([−1, size]; those off it read 0), bin by
 * bin (bin p's are first[p] … first[p + 1] − 1), each with its two rows (columns) and the fraction
 * towards the second. The arrays grow as needed and are reused from ROI to ROI.
 */
class AxisSamples {
  first: Int32Array;
  lo = new Int32Array(64);
  hi = new Int32Array(64);
  frac = new Float64Array(64);

  constructor(bins: number) {
    this.first = new Int32Array(bins + 1);
  }

  /** Bin p's samples sit at start + p·bin + (i + 0.5)·bin/grid, i = 0 … grid − 1. */
  fill(size: number, bins: number, start: number, bin: number, grid: number): void {
    let n = 0;
    for (let p = 0; p < bins; p++) {
      this.first[p] = n;
      const origin = start + p * bin;
      // those on the map are one run of i, found from the ends of [−1, size] (a margin absorbs the rounding, the test
      // below decides): visiting only them bounds the work by the map, not the box
      let [i0, i1] = [0, grid > 0 ? grid : 0];
      if (bin !== 0 && i1 > 0) {
        const clamp = (t: number) => Math.max(-1, Math.min(grid + 1, t));
        const a = clamp(((-1 - origin) * grid) / bin - 0.5);
        const b = clamp(((size - origin) * grid) / bin - 0.5);
        if (Number.isNaN(a) || Number.isNaN(b)) continue;
        i0 = Math.max(0, Math.floor(Math.min(a, b)) - 1);
        i1 = Math.min(grid, Math.ceil(Math.max(a, b)) + 2);
      }
      for (let i = i0; i < i1; i++) {
        let c = origin + ((i + 0.5) * bin) / grid;
        if (!(c >= -1 && c <= size)) continue;
        if (c <= 0) c = 0;
        let lo = Math.floor(c);
        let hi = lo + 1;
        if (lo >= size - 1) lo = hi = c = size - 1;
        if (n === this.lo.length) this.grow();
        this.lo[n] = lo;
        this.hi[n] = hi;
        this.frac[n++] = c - lo;
      }
    }
    this.first[bins] = n;
  }

  private grow(): void {
    [this.lo, this.hi] = [this.lo, this.hi].map((a) => Int32Array.from({ length: 2 * a.length }, (_, i) => a[i] ?? 0));
    this.frac = Float64Array.from({ length: 2 * this.frac.length }, (_, i) => this.frac[i] ?? 0);
  }
}

/** What forEachBin hands its visitor for one output bin (one object, updated in place). */
interface Bin {
  /** ROI k of image `batch`, bin (ph, pw): index ph·PW + pw of bins = PH·PW */
  k: number;
  batch: number;
  ph: number;
  pw: number;
  index: number;
  bins: number;
  ys: AxisSamples;
  xs: AxisSamples;
  /** The bin's grid gh·gw (the average's divisor; 0 when the grid is empty) */
  samples: number;
  /** Some of its samples fall off the map (each reads 0). */
  offMap: boolean;
}

/**
 * Visits every output bin of every ROI with the samples it reads on the map, computed once for all
 * channels. A bin of adaptive grid ⌈roi_h/oh⌉ × ⌈roi_w/ow⌉ ≤ 0 (a reversed box under half_pixel,
 * which torchvision does not force to 1×1) has no samples: its output is 0, as torchvision's loops
 * (and ONNX's reference) make it.
 */
function forEachBin(
  ctx: { attrs: RoiAlignAttrs; inputs: readonly { shape: readonly number[]; data: Float32Array }[]; outputs: readonly (readonly number[])[] },
  visit: (bin: Bin) => void,
): void {
  const [x, rois, idx] = ctx.inputs;
  const a = ctx.attrs;
  const [, , H, W] = x.shape;
  const [K, , PH, PW] = ctx.outputs[0];
  const s: Bin = { k: 0, batch: 0, ph: 0, pw: 0, index: 0, bins: PH * PW, ys: new AxisSamples(PH), xs: new AxisSamples(PW), samples: 0, offMap: false };
  for (let k = 0; k < K; k++) {
    const b = idx.data[k];
    if (!(Number.isInteger(b) && b >= 0 && b < x.shape[0])) {
      throw new ConvlensError('INVALID_TENSOR', `roiAlign: batchIndices[${k}] = ${b} is not an image of x ${fmtShape(x.shape)} (0…${x.shape[0] - 1})`, { shapes: { x: [...x.shape] } });
    }
    const g = roiGeometry(rois.data, k, a, PH, PW);
    const e = gridError(rois.data, k, g);
    if (e) throw new ConvlensError('INVALID_TENSOR', `roiAlign: ${e}`, { shapes: { rois: [...rois.shape] } });
    s.ys.fill(H, PH, g.y1, g.rh / PH, g.samples > 0 ? g.gh : 0);
    s.xs.fill(W, PW, g.x1, g.rw / PW, g.samples > 0 ? g.gw : 0);
    [s.k, s.batch, s.samples] = [k, b, g.samples];
    for (let ph = 0; ph < PH; ph++) {
      for (let pw = 0; pw < PW; pw++) {
        const onMap = (s.ys.first[ph + 1] - s.ys.first[ph]) * (s.xs.first[pw + 1] - s.xs.first[pw]);
        [s.ph, s.pw, s.index, s.offMap] = [ph, pw, ph * PW + pw, onMap < g.samples];
        visit(s);
      }
    }
  }
}
