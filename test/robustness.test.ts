/**
 * Bad input never escapes as anything but a catalog error: mutated specs and corrupted ONNX files
 * either analyse or throw a ConvlensError (a 4xx), never a TypeError, RangeError or hang.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConvlensError } from '../src/errors.js';
import { coveredPositions } from '../src/ops/conv-transpose.js';
import { importOnnx } from '../src/spec/onnx/import.js';
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
