/**
 * Whole torchvision detectors RUN against PyTorch (issue 10). scripts/export_detection_runs.py builds
 * small models from torchvision 0.14's own detection classes (FasterRCNN, MaskRCNN, KeypointRCNN,
 * RetinaNet, FCOS, SSD with SSDLite's head) over a tiny backbone, seeded weights plus noise, and keeps
 * a seed only when no decision of the eager forward hangs on float rounding: scores of suppressing
 * NMS pairs, of the kept rows in output order, at every topk boundary and near every score threshold
 * are at least `margin` (2e-5 of the scores' scale) apart; no IoU within 1e-3 of an NMS threshold;
 * mask boxes away from integers, each keypoint's heatmap maximum apart from its runner-up. The files
 * (opset 17, with weights) and PyTorch's eager outputs are in test/fixtures/detection-runs/.
 *
 * Each file runs here through the service's path for data-dependent sizes (runtime/run-staged.ts; one
 * of them through POST /v1/run) on the same formula image, and every output is compared row by row:
 * labels exact; scores within 1e-5 (half the seeds' margin: an error this small cannot reorder a
 * decision the seed was chosen for, so the rows are PyTorch's rows); boxes and keypoint x, y within
 * 1e-4 px (images ≤ 112 px: 1e-6 of the scale); keypoint visibility exact; keypoint scores (heatmap
 * logits) within 1e-5 of their largest magnitude; masks (probabilities) within 1e-5. Measured here:
 * boxes ≤ 4e-5 px, scores ≤ 2.4e-7, masks ≤ 4.2e-7, keypoints ≤ 9.6e-7 px.
 *
 * The RoiAlign nodes of the files state coordinate_transformation_mode="output_half_pixel": torchvision
 * 0.14 exports roi_align with its opset-11 symbolic at every opset, without the attribute, and from
 * opset 16 ONNX's default is half_pixel (torchvision's aligned=True), which is not what PyTorch ran
 * (MultiScaleRoIAlign: aligned=False). The script writes the attribute; a case below shows the
 * difference the default makes.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runStaged } from '../../src/runtime/run-staged.js';
import { tensor, type Tensor } from '../../src/tensor/tensor.js';
import { testApp } from '../http/app.js';

const DIR = new URL('../fixtures/detection-runs/', import.meta.url);

interface Encoded {
  shape: number[];
  data?: number[];
  base64?: string;
}
interface Img {
  shape: [number, number, number];
  rects: [number, number, number, number][];
}
interface Fixture {
  model: string;
  seed: number;
  params: number;
  file: string;
  margin: number;
  roiAlignPatched: number;
  nms: [number, number][];
  /** The graph's inputs (image, image_1, … for the images of one call), each the formula image with its rects. */
  images: Record<string, Img>;
  /** boxes, labels, scores (+ masks; + keypoints, keypoints_scores) of the first image, then boxes_1, … of the next. */
  outputs: Record<string, Encoded>;
  /** One-image R-CNN models: PyTorch's box predictor outputs (class logits, box deltas per proposal) by ONNX layer name. */
  captures: Record<string, Encoded>;
}

const load = (name: string) => JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as Fixture;
const values = (e: Encoded): Float32Array => {
  if (e.data) return Float32Array.from(e.data);
  const b = Buffer.from(e.base64!, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};

/** The script's image: x[c, h, w] = ((7h² + 13w² + 3hw + 101c) mod 1009) / 1008 in float32, then 1.0 inside each rect [x1, y1, x2, y2). */
function image({ shape: [c, h, w], rects }: Img): Tensor {
  const x = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) x[(k * h + i) * w + j] = ((7 * i * i + 13 * j * j + 3 * i * j + 101 * k) % 1009) / 1008;
  for (const [x1, y1, x2, y2] of rects) for (let k = 0; k < c; k++) for (let i = y1; i < y2; i++) for (let j = x1; j < x2; j++) x[(k * h + i) * w + j] = 1;
  return tensor([c, h, w], x);
}

const OPTS = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 24 };
const map = <T, U>(o: Record<string, T>, f: (v: T) => U) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
const graphOf = (fx: Fixture) => importOnnx(readFileSync(new URL(fx.file, DIR)), { inputShapes: map(fx.images, (i) => i.shape) }).graph;
const run = (fx: Fixture, g = graphOf(fx), capture: string[] = []) => runStaged(g, map(fx.images, image), { ...OPTS, capture });

/** Largest |a − b| over every element, after checking the shapes agree. */
function worst(name: string, got: { shape: number[]; data: ArrayLike<number> }, want: Encoded): number {
  expect({ name, shape: got.shape }).toEqual({ name, shape: want.shape });
  const w = values(want);
  let m = 0;
  for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(got.data[i] - w[i]));
  return m;
}

/** Every output against PyTorch's, row by row, at the tolerances stated above (image by image: boxes, …, then boxes_1, …). */
function compare(fx: Fixture, outputs: Record<string, { shape: number[]; data: ArrayLike<number> }>) {
  expect(Object.keys(outputs)).toEqual(Object.keys(fx.outputs));
  Object.keys(fx.images).forEach((_, i) => {
    const sfx = i === 0 ? '' : `_${i}`;
    const want = (k: string) => fx.outputs[k + sfx];
    const got = (k: string) => outputs[k + sfx];
    const rows = want('boxes').shape[0];
    expect(rows).toBeGreaterThanOrEqual(3);
    expect(Array.from(got('labels').data)).toEqual(Array.from(values(want('labels'))));
    expect(worst('scores' + sfx, got('scores'), want('scores'))).toBeLessThanOrEqual(1e-5);
    expect(worst('boxes' + sfx, got('boxes'), want('boxes'))).toBeLessThanOrEqual(1e-4);
    if (want('masks')) {
      expect(worst('masks' + sfx, got('masks'), want('masks'))).toBeLessThanOrEqual(1e-5);
      // the masks are not trivial: each row has pixels over 0.5 (what a user thresholds at)
      const m = values(want('masks'));
      const per = m.length / rows;
      for (let r = 0; r < rows; r++) expect(m.subarray(r * per, (r + 1) * per).some((v) => v > 0.5)).toBe(true);
    }
    if (want('keypoints')) {
      const k = values(want('keypoints'));
      const y = got('keypoints').data;
      expect(got('keypoints').shape).toEqual(want('keypoints').shape);
      for (let j = 0; j < k.length; j++) {
        if (j % 3 === 2) expect(y[j]).toBe(k[j]);
        else expect(Math.abs(y[j] - k[j])).toBeLessThanOrEqual(1e-4);
      }
      const s = values(want('keypoints_scores'));
      const scale = Math.max(...s.map(Math.abs));
      expect(worst('keypoints_scores' + sfx, got('keypoints_scores'), want('keypoints_scores'))).toBeLessThanOrEqual(1e-5 * scale);
    }
  });
}

const describeName = (fx: Fixture) => {
  const imgs = Object.values(fx.images);
  const [c, h, w] = imgs[0].shape;
  const rows = imgs.map((_, i) => fx.outputs[i === 0 ? 'boxes' : `boxes_${i}`].shape[0]).join(' + ');
  return `${fx.model}: ${fx.params.toLocaleString('en')} params, ${imgs.length > 1 ? `${imgs.length} images ` : ''}${c}×${h}×${w}, ${rows} detections (seed ${fx.seed}), NMS ${fx.nms.map(([n, k]) => `${k}/${n}`).join(', ')}`;
};

describe('torchvision detectors run to PyTorch (scripts/export_detection_runs.py, runtime/run-staged.ts)', () => {
  const names = ['fasterrcnn', 'fasterrcnn_resize', 'fasterrcnn_batch2', 'maskrcnn', 'keypointrcnn', 'retinanet', 'fcos', 'ssd', 'ssdlite'];
  // RetinaNet and FCOS floor-divide TopK's indices by num_classes (an int64 ONNX Div, truncating since
  // 35a9074; as a float division FCOS's Gather read index 382.67). retinanet's labels are all class 0
  // (indices multiples of 3), fcos's mix classes 0 and 2: the Div matters there
  it.each(names.map((n) => [describeName(load(n)), n]))("%s: every output (and an R-CNN box head's captured logits and deltas) equals PyTorch row by row", (_, name) => {
    const fx = load(name);
    const r = run(fx, graphOf(fx), Object.keys(fx.captures));
    expect(r.stages).toBeGreaterThanOrEqual(2);
    compare(fx, r.outputs);
    // the box head's logits and deltas over the RPN's proposals (captured in the stage after the RPN's NMS), row by row
    for (const [layer, want] of Object.entries(fx.captures)) {
      const scale = Math.max(...values(want).map(Math.abs));
      expect(worst(layer, r.captured[layer], want)).toBeLessThanOrEqual(1e-5 * scale);
    }
  });

  it('the one-image R-CNN fixtures carry PyTorch\'s box predictor outputs to compare captures with: [proposals, classes] logits, [proposals, 4·classes] deltas', () => {
    const withCaptures = ['fasterrcnn', 'fasterrcnn_resize', 'maskrcnn', 'keypointrcnn'].map((n) => Object.values(load(n).captures).map((c) => c.shape));
    expect(withCaptures).toEqual([[[24, 4], [24, 16]], [[24, 4], [24, 16]], [[24, 3], [24, 12]], [[24, 2], [24, 8]]]);
  });

  it("fasterrcnn: its RoiAlign read with ONNX opset 16's default half_pixel (what torchvision 0.14's file says without the script's attribute) is not PyTorch's aligned=False: boxes off by more than 0.01 px", () => {
    const fx = load('fasterrcnn');
    expect(fx.roiAlignPatched).toBe(1);
    const g = graphOf(fx);
    const roi = g.layers.filter((l) => l.op === 'roiAlign');
    expect(roi.map((l) => l.attrs.coordinateTransformationMode)).toEqual(['output_half_pixel']);
    roi.forEach((l) => (l.attrs.coordinateTransformationMode = 'half_pixel'));
    const r = run(fx, g);
    expect(r.outputs.boxes.shape).toEqual(fx.outputs.boxes.shape);
    expect(worst('boxes', r.outputs.boxes, fx.outputs.boxes)).toBeGreaterThan(0.01);
  });
});

/**
 * An image with no detection: every score threshold of the post-processing (the constant each
 * `scores > threshold` Greater reads: 0.05 for the R-CNN heads, RetinaNet and SSDLite, 0.2 for SSD and
 * FCOS; one per FPN level or class where the model loops) set to 1.0, which no softmax or sigmoid
 * score exceeds, so every output is empty by definition (no PyTorch needed): the backbone and RPN
 * still run, then NMS sees 0 boxes, RoiAlign 0 ROIs, the mask paste and keypoint Loops 0 trips.
 */
describe('no detection (score thresholds set to 1.0): empty outputs at their shapes, not a 400', () => {
  const noDetection = (name: string, threshold: number, greaters: number) => {
    const fx = load(name);
    const g = graphOf(fx);
    const at = g.layers.filter((l) => l.source?.opType === 'Greater' && g.constants.get(l.inputs[1])?.value?.data.join() === String(Math.fround(threshold)));
    expect(at).toHaveLength(greaters);
    for (const l of at) g.constants.set(l.inputs[1], { ...g.constants.get(l.inputs[1])!, value: { data: [1], integer: false } });
    const r = run(fx, g);
    return Object.entries(r.outputs).map(([k, v]) => [k, v.shape]);
  };
  const empty = (keys: string[], extra: [string, number[]][] = []) => [...keys.map((k) => [k, k === 'boxes' ? [0, 4] : [0]]), ...extra];

  it('fasterrcnn (1 threshold): boxes [0, 4], labels [0], scores [0]', () => {
    expect(noDetection('fasterrcnn', 0.05, 1)).toEqual(empty(['boxes', 'labels', 'scores']));
  });

  it('keypointrcnn (1): …, keypoints [0, 5, 3], keypoints_scores [0, 5] (the heatmaps_to_keypoints Loop runs 0 times)', () => {
    expect(noDetection('keypointrcnn', 0.05, 1)).toEqual(empty(['boxes', 'labels', 'scores'], [['keypoints', [0, 5, 3]], ['keypoints_scores', [0, 5]]]));
  });

  it.each([['retinanet', 0.05, 4], ['ssd', 0.2, 3], ['ssdlite', 0.05, 2], ['fcos', 0.2, 4]] as const)('%s (threshold %s, %s Greater layers): boxes [0, 4], scores [0], labels [0]', (name, threshold, n) => {
    expect(noDetection(name, threshold, n)).toEqual(empty(['boxes', 'scores', 'labels']));
  });

  it('maskrcnn (1): …, masks [0, 1, 64, 64] (the paste Loop runs 0 times; Flatten of 0 masks is [0, 784] since eeb3833)', () => {
    expect(noDetection('maskrcnn', 0.05, 1)).toEqual(empty(['boxes', 'labels', 'scores'], [['masks', [0, 1, 64, 64]]]));
  });
});

describe('POST /v1/run: a whole Mask R-CNN (NMS in the RPN and the box head, the mask paste Loop) and SSDLite to PyTorch', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => app.close());

  it.each([['maskrcnn'], ['ssdlite']])("%s through /v1/run (format flat; an R-CNN also captures its box predictor's logits and deltas): every output and capture equals PyTorch row by row", async (name) => {
    const fx = load(name);
    const inputs = map(fx.images, (i) => {
      const x = image(i);
      return { shape: x.shape, data: Array.from(x.data) };
    });
    const capture = Object.keys(fx.captures);
    const res = await request(app.server)
      .post('/v1/run')
      .send({ onnxBase64: readFileSync(new URL(fx.file, DIR)).toString('base64'), inputs, capture, format: 'flat' })
      .expect(200);
    type Named = { name: string; shape: number[]; data: number[] };
    const outputs = Object.fromEntries((res.body.outputs as Named[]).map((o) => [o.name, o]));
    compare(fx, outputs);
    expect((res.body.captured as Named[]).map((c) => c.name)).toEqual(capture);
    for (const c of res.body.captured as Named[]) {
      const want = fx.captures[c.name];
      expect(worst(c.name, c, want)).toBeLessThanOrEqual(1e-5 * Math.max(...values(want).map(Math.abs)));
    }
  });
});
