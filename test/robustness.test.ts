/**
 * Bad input never escapes as anything but a catalog error: mutated specs and corrupted ONNX files
 * either analyse or throw a ConvlensError (a 4xx), never a TypeError, RangeError or hang.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConvlensError } from '../src/errors.js';
import { coveredPositions } from '../src/ops/conv-transpose.js';
import { importOnnx } from '../src/graph/onnx/import.js';
import { analyzeGraph } from '../src/analysis/analyze.js';
import { ZOO_BY_NAME } from '../src/zoo/index.js';
import { DEFAULTS, analyze } from './helpers.js';

function onlyCatalogErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ConvlensError)) throw e;
    expect(e.status).toBeGreaterThanOrEqual(400);
    expect(e.status).toBeLessThan(500);
  }
}

describe('convTranspose coverage count', () => {
  it('equals counting position by position', () => {
    fc.assert(
      fc.property(
        fc.record({ in: fc.integer({ min: 1, max: 12 }), kernel: fc.integer({ min: 1, max: 5 }), stride: fc.integer({ min: 1, max: 5 }), dilation: fc.integer({ min: 1, max: 3 }), padBegin: fc.integer({ min: 0, max: 4 }), extra: fc.integer({ min: 0, max: 2 }) }),
        (g) => {
          const effKernel = g.dilation * (g.kernel - 1) + 1;
          const out = (g.in - 1) * g.stride - 2 * g.padBegin + effKernel + Math.min(g.extra, Math.max(g.stride, g.dilation) - 1);
          fc.pre(out > 0);
          const geo = { ...g, effKernel, padEnd: g.padBegin, out };
          const hit = new Set<number>();
          for (let i = 0; i < g.in; i++) for (let t = 0; t < g.kernel; t++) {
            const o = i * g.stride + t * g.dilation - g.padBegin;
            if (o >= 0 && o < out) hit.add(o);
          }
          expect(coveredPositions(geo)).toBe(hit.size);
        },
      ),
      { numRuns: 500 },
    );
  });
});

const NASTY = [-1, 0, 1, 2, 3, 7, 2.5, 1e9, 2 ** 40, -(2 ** 31), '3', '', 'same', null, true, [], [0], [1, 1], [3, 3, 3], [[1]], {}, { a: 1 }, 'valid', [2, -1], 'sameUpper'];

describe('fuzzing', () => {
  const base = ZOO_BY_NAME.get('mobilenet_v3_small')!.build(32);
  const keys = ['outChannels', 'kernelSize', 'stride', 'padding', 'dilation', 'groups', 'bias', 'outFeatures', 'scaleFactor', 'size', 'dim', 'p', 'groups', 'outputSize', 'inputs', 'op', 'name', 'axes', 'shape'];
  const ops = ['conv2d', 'convTranspose2d', 'deformConv2d', 'maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d', 'maxUnpool2d', 'upsample', 'linear', 'flatten', 'add', 'concat', 'mul', 'reshape', 'transpose', 'split', 'slice', 'pad', 'gather', 'expand', 'resize', 'matmul', 'channelShuffle', 'softmax'];

  it('mutated specs: analysed, or a 4xx catalog error', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ layer: fc.nat(), key: fc.constantFrom(...keys), value: fc.constantFrom(...NASTY, ...ops), drop: fc.boolean() }),
          { minLength: 1, maxLength: 4 },
        ),
        (mutations) => {
          const spec = structuredClone(base) as { layers: Record<string, unknown>[] };
          for (const m of mutations) {
            const l = spec.layers[m.layer % spec.layers.length];
            if (m.drop) delete l[m.key];
            else l[m.key] = m.value;
          }
          onlyCatalogErrors(() => analyze(spec));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('random shapes and attributes for every op: analysed, or a 4xx catalog error', () => {
    const dims = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(fc.constantFrom(...ops), dims, dims, fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...NASTY)), (op, a, b, attrs) => {
        const spec = { inputs: [{ name: 'a', shape: a }, { name: 'b', shape: b }], layers: [{ name: 'l', op, inputs: ['a', 'b'], ...attrs }] };
        onlyCatalogErrors(() => analyze(spec));
        onlyCatalogErrors(() => analyze({ ...spec, layers: [{ ...spec.layers[0], inputs: ['a'] }] }));
      }),
      { numRuns: 600 },
    );
  });

  it('corrupted ONNX bytes: analysed, or a 4xx catalog error', () => {
    const file = new Uint8Array(readFileSync(new URL('./fixtures/onnx/unet.onnx', import.meta.url)));
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }), fc.nat(), (flips, cut) => {
        const bytes = file.slice(0, file.length - (cut % 64));
        for (const f of flips) bytes[f.at % bytes.length] = f.byte;
        onlyCatalogErrors(() => analyzeGraph(importOnnx(bytes, { inputShapes: { '': [1, 3, 64, 64] } }).graph, DEFAULTS));
      }),
      { numRuns: 400 },
    );
  });
});

describe('fuzzing the kernels', () => {
  // Attributes near the valid region for each operator, so most cases reach a kernel (the rest
  // must fail with a catalog error); x is [N, C, H, W] with small random sizes.
  const k = fc.integer({ min: 1, max: 3 });
  const pair = fc.oneof(k, fc.tuple(k, k));
  const pad = fc.oneof(fc.integer({ min: 0, max: 2 }), fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })));
  const byOp: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
    conv2d: fc.record({ outChannels: fc.integer({ min: 1, max: 4 }), kernelSize: pair, stride: pair, padding: fc.oneof(pad, fc.constant('same')), dilation: pair, groups: fc.constantFrom(1, 2) }),
    convTranspose2d: fc.record({ outChannels: fc.integer({ min: 1, max: 4 }), kernelSize: pair, stride: pair, padding: pad, outputPadding: fc.constantFrom(0, 1), dilation: k }),
    maxPool2d: fc.record({ kernelSize: pair, stride: pair, padding: fc.constantFrom(0, 1), ceilMode: fc.boolean(), dilation: k, returnIndices: fc.boolean() }),
    avgPool2d: fc.record({ kernelSize: pair, stride: pair, padding: fc.constantFrom(0, 1), ceilMode: fc.boolean(), countIncludePad: fc.boolean() }),
    adaptiveAvgPool2d: fc.record({ outputSize: pair }),
    upsample: fc.oneof(
      fc.record({ mode: fc.constantFrom('nearest'), scaleFactor: fc.constantFrom(0.5, 1.5, 2, 3) }),
      fc.record({ mode: fc.constantFrom('bilinear', 'bicubic'), size: fc.tuple(k, fc.integer({ min: 1, max: 9 })), alignCorners: fc.boolean() }),
    ),
    linear: fc.record({ outFeatures: fc.integer({ min: 1, max: 5 }) }),
    softmax: fc.record({ dim: fc.integer({ min: -4, max: 3 }) }),
    channelShuffle: fc.record({ groups: fc.constantFrom(1, 2, 3) }),
    transpose: fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4, maxLength: 4 }).map((perm) => ({ perm })),
    slice: fc.record({ starts: fc.tuple(fc.integer({ min: -3, max: 3 })), ends: fc.tuple(fc.integer({ min: -3, max: 9 })), axes: fc.tuple(fc.integer({ min: 0, max: 3 })), steps: fc.tuple(fc.constantFrom(1, 2, -1)) }),
    pad: fc.record({ pads: fc.array(fc.integer({ min: -1, max: 2 }), { minLength: 8, maxLength: 8 }), mode: fc.constantFrom('constant', 'reflect', 'edge', 'wrap'), value: fc.constant(0.5) }),
    reduceMean: fc.record({ axes: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }), keepDims: fc.boolean() }),
    split: fc.record({ axis: fc.integer({ min: 0, max: 3 }), numOutputs: fc.constantFrom(1, 2, 3) }),
    clip: fc.record({ min: fc.constantFrom(-1, 0), max: fc.constantFrom(1, 6) }),
    sigmoidLut: fc.record({ tableSize: fc.constantFrom(2, 17, 256), interpolate: fc.boolean() }),
    batchNorm2d: fc.constant({}),
    globalAvgPool2d: fc.constant({}),
    flatten: fc.constant({}),
    relu: fc.constant({}),
    hardSwish: fc.constant({}),
  };
  const dim = fc.integer({ min: 1, max: 7 });

  it('random operators on [N, C, H, W]: outputs of the analysed shape and finite values, or a 4xx catalog error', async () => {
    const { runOperator } = await import('../src/runtime/operator.js');
    const { tensor } = await import('../src/tensor/tensor.js');
    let ran = 0;
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(byOp)).chain((name) => fc.tuple(fc.constant(name), byOp[name])), fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(1, 2, 4, 6), dim, dim), ([name, attributes], shape) => {
        const x = tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)));
        try {
          const res = runOperator({ name, inputs: [x], attributes, weights: {}, training: false, seed: 1, maxElements: 1 << 16 });
          ran++;
          expect(res.outputs[0].shape).toEqual(res.layer.outputShape);
          expect(res.outputs[0].data.length).toBe(res.outputs[0].shape.reduce((a, b) => a * b, 1));
          if (name !== 'maxPool2d') expect(res.outputs[0].data.every(Number.isFinite)).toBe(true);
        } catch (e) {
          if (!(e instanceof ConvlensError)) throw e;
          expect(e.status).toBeLessThan(500);
        }
      }),
      { numRuns: 2000 },
    );
    // the generators reach the kernels, not only the validation
    expect(ran).toBeGreaterThan(800);
  });
});
