/**
 * One builder of each torchvision 0.14 classification / segmentation family RUNS to PyTorch's output
 * (issue 10). scripts/export_catalog_runs.py builds the smallest builder of each family untrained
 * (weights=None, seeded), gives every BatchNorm, LayerNorm and GroupNorm random statistics / affine
 * values and every constant parameter (zero biases, class tokens, layer scales) seeded noise, so no
 * layer is the identity, and exports it at opset 17 WITH its weights to tmp/catalog-runs/<name>.onnx
 * (up to 530 MB: not in git). PyTorch's eager output for a formula input is in
 * test/fixtures/catalog-runs/<name>.json: every value for a classifier's 1000 logits; for a
 * segmentation map every `stride`-th value, the first and last 64, and float64 sums.
 *
 * Each file runs here as POST /v1/run runs it (runtime/tasks.ts runTask: import, analysis, runGraph
 * with the file's weights, inference fusions on; the models at ≤ 75 px also with fuse false, every
 * layer by its own kernel), and two (squeezenet1_1, resnet18) also through the HTTP route.
 * BatchNorm statistics are measured on a batch (the script's calibrate()), not random: with random
 * ones MobileNetV2's logits did not depend on the input (1e-7 of them), and a comparison with them
 * proves nothing about the convolutions. Each fixture states inputEffect = max |y(x) − y(0)| / max |y(x)|
 * (PyTorch's); it must be ≥ 0.05, so at the tolerance below the input's part of the output is
 * compared to ≤ 2e-3 of itself. The statistics are floored at a tenth of each layer's median variance
 * (a dead channel divided by √ε amplified rounding ~300×: inception_v3's PyTorch float32 output was
 * 1.2e-4 from its own float64 run); each fixture states float32Noise, PyTorch's float32 output
 * against the model in float64, which must stay ≤ 3e-5: what rounding alone moves is under a third
 * of the tolerance, so an error over it is the kernels'.
 * Tolerance: max |ours − PyTorch| ≤ 1e-4 · max |PyTorch| over every stored value (the output's own
 * scale, no floor at 1); for sampled outputs also the mean and the root mean square within 1e-4 of
 * that scale. Where the ONNX file is absent (CI has no Python) the model is skipped, saying why.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../src/runtime/tasks.js';
import { tensor, type Tensor } from '../../src/tensor/tensor.js';
import { testApp } from '../http/app.js';

const FIXTURES = new URL('../fixtures/catalog-runs/', import.meta.url);
const ROOT = new URL('../../', import.meta.url);
const TOLERANCE = 1e-4;

interface Fixture {
  family: string;
  model: string;
  kind: 'classification' | 'segmentation';
  params: number;
  file: string;
  /** Another input size for a family (scripts/export_catalog_runs.py VARIANTS): the file stem. */
  variant?: string;
  inputEffect: number;
  float32Noise: number;
  input: { shape: number[]; formula: string };
  output: {
    shape: number[];
    n: number;
    data?: number[];
    stride?: number;
    sample?: number[];
    first?: number[];
    last?: number[];
    stats: { sum: number; sumSquares: number; min: number; max: number };
  };
}

const fixtures: Fixture[] = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(new URL(f, FIXTURES), 'utf8')) as Fixture);
const onnxPath = (fx: Fixture) => new URL(fx.file, ROOT);

/** The script's input: x[i] = float32(sin(0.37·i)·(1 + (i mod 7)/7)), i the flat NCHW index. */
function input(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(0.37 * i) * (1 + (i % 7) / 7);
  return tensor(shape, x);
}

/** Pairs (ours, PyTorch's) of every value the fixture stores. */
function stored(fx: Fixture, got: ArrayLike<number>): [number, number][] {
  const o = fx.output;
  if (o.data) return o.data.map((v, i) => [got[i], v]);
  const pairs: [number, number][] = o.sample!.map((v, k) => [got[k * o.stride!], v]);
  o.first!.forEach((v, i) => pairs.push([got[i], v]));
  o.last!.forEach((v, i) => pairs.push([got[o.n - o.last!.length + i], v]));
  return pairs;
}

/** max |ours − PyTorch| over the stored values, and over the mean and RMS, relative to max |PyTorch|. */
function relativeError(fx: Fixture, got: ArrayLike<number>): number {
  const { stats, n } = fx.output;
  const scale = Math.max(Math.abs(stats.min), Math.abs(stats.max));
  let err = 0;
  for (const [a, b] of stored(fx, got)) err = Math.max(err, Math.abs(a - b));
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < got.length; i++) {
    sum += got[i];
    squares += got[i] * got[i];
  }
  err = Math.max(err, Math.abs(sum / n - stats.sum / n), Math.abs(Math.sqrt(squares / n) - Math.sqrt(stats.sumSquares / n)));
  return err / scale;
}

const measured: string[] = [];
afterAll(() => {
  if (measured.length) console.log(`catalog runs (model | input | max error / scale | PyTorch float32 vs float64 | run s):\n${measured.join('\n')}`);
});

describe('torchvision catalog families run to PyTorch (scripts/export_catalog_runs.py, opset 17 with weights)', () => {
  it("the fixtures cover every family of the script (26, besides VARIANTS), each with its formula input, its output depending on the input (≥ 5% of max |y|), PyTorch's float32 rounding ≤ 3e-5 of it", () => {
    expect(fixtures.filter((f) => !f.variant).map((f) => f.family).sort()).toEqual(
      [
        'alexnet', 'convnext', 'deeplabv3', 'densenet', 'efficientnet', 'efficientnet_v2', 'fcn', 'googlenet', 'inception', 'lraspp', 'maxvit',
        'mnasnet', 'mobilenet_v2', 'mobilenet_v3', 'regnet_x', 'regnet_y', 'resnet', 'resnext', 'shufflenet_v2', 'squeezenet1_0', 'squeezenet1_1',
        'swin', 'swin_v2', 'vgg', 'vit', 'wide_resnet',
      ].sort(),
    );
    for (const fx of fixtures) {
      expect(fx.input.formula).toMatch(/^x\[i\] = float32\(sin\(0\.37·i\) · \(1 \+ \(i mod 7\) \/ 7\)\)/);
      expect({ model: fx.model, inputEffect: fx.inputEffect >= 0.05, float32Noise: fx.float32Noise <= 3e-5 }).toEqual({ model: fx.model, inputEffect: true, float32Noise: true });
    }
  });

  // fuse false: every layer with its own kernel (BatchNorm, activations, the residual add), not folded
  // into the conv before it; for the models at ≤ 75 px (the 224-px ones would double the file's time)
  const runs = [...fixtures.map((fx) => [fx, true] as const), ...fixtures.filter((fx) => fx.input.shape[3] <= 75).map((fx) => [fx, false] as const)];
  for (const [fx, fuse] of runs) {
    const [, , h, w] = fx.input.shape;
    const name = `${fx.family}: ${fx.variant ?? fx.model} (${fx.params.toLocaleString('en')} params, ${h}×${w} input, output ${fx.output.shape.join('×')}${fuse ? '' : ', fuse false'}) equals PyTorch within ${TOLERANCE} of max |y|`;
    const present = existsSync(onnxPath(fx));
    it.skipIf(!present)(present ? name : `${name} — skipped: ${fx.file} absent (run scripts/export_catalog_runs.py ${fx.variant ?? fx.model}; needs torch)`, () => {
      const t0 = performance.now();
      const res = runTask({
        source: { kind: 'onnx', bytes: new Uint8Array(readFileSync(onnxPath(fx))), inputShapes: {} },
        inputs: { input: input(fx.input.shape) },
        weights: {},
        weightInit: 'file',
        training: false,
        seed: 0,
        capture: [],
        fuse,
        maxElements: 1 << 27,
        limits: { maxWork: 1e12 },
      });
      const out = res.outputs.output;
      expect(out.shape).toEqual(fx.output.shape);
      const err = relativeError(fx, out.data);
      measured.push(`${fx.variant ?? fx.model}${fuse ? '' : ' (fuse false)'} | ${h}×${w} | ${err.toExponential(2)} | ${fx.float32Noise.toExponential(2)} | ${((performance.now() - t0) / 1000).toFixed(1)}`);
      expect(err).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});

// squeezenet1_1 (5 MB); resnet18 (47 MB), whose stem and layer1 convs (9.4–9.6 M MACs) pass the
// 8·10^6-MAC threshold at which a run's conv is split with the worker's partner thread (testApp:
// WORKERS 2, RUN_THREADS default: two threads per run) by output channels, and resnet18 at 224, whose
// 112×112 stem output is split by rows
const ROUTE = ['squeezenet1_1', 'resnet18', 'resnet18_224'];

describe('POST /v1/run (multipart: the ONNX file with its weights, the input as base64) to PyTorch', () => {
  let app: FastifyInstance;
  const cases = ROUTE.map((m) => fixtures.find((f) => (f.variant ?? f.model) === m)!);
  const present = cases.some((fx) => existsSync(onnxPath(fx)));
  beforeAll(async () => {
    if (present) app = await testApp();
  });
  afterAll(async () => app?.close());

  for (const fx of cases) {
    const here = existsSync(onnxPath(fx));
    it.skipIf(!here)(`${fx.variant ?? fx.model} (${fx.input.shape.slice(2).join('×')}) through /v1/run (format flat): the ${fx.output.n} logits within ${TOLERANCE} of max |y|${here ? '' : ` — skipped: ${fx.file} absent`}`, async () => {
      const x = input(fx.input.shape);
      const res = await request(app.server)
        .post('/v1/run')
        .attach('model', readFileSync(onnxPath(fx)), `${fx.model}.onnx`)
        .field('request', JSON.stringify({ inputs: { input: { shape: x.shape, dtype: 'float32', base64: Buffer.from(x.data.buffer).toString('base64') } }, format: 'flat' }))
        .expect(200);
      const out = res.body.outputs[0] as { name: string; shape: number[]; data: number[] };
      expect([out.name, out.shape]).toEqual(['output', fx.output.shape]);
      expect(relativeError(fx, out.data)).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});
