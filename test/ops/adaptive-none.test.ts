/**
 * Adaptive pooling with a null outputSize entry (PyTorch's None: that axis keeps its input size;
 * src/ops/adaptive-windows.ts adaptiveAxes) as a spec: shape, costs, receptive field, kernel and
 * error paths by hand; the calls PyTorch 1.13 refuses from scripts/goldens_adaptive_max.py
 * (test/fixtures/operators/adaptive_none.json; its values and gradients are run by
 * test/ops/goldens.test.ts and vjp.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import { jsonSchemaOf } from '../../src/http/catalog.js';
import { adaptiveAvgPool2d } from '../../src/ops/pool.js';
import { adaptiveAvgPool1d, adaptiveAvgPool3d } from '../../src/ops/pool-nd.js';
import { adaptiveMaxPool1d, adaptiveMaxPool2d, adaptiveMaxPool3d } from '../../src/ops/pool-adaptive-max.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { analysed } from '../conventions/helpers.js';
import { inferOf, run } from './op-helpers.js';

interface Refusal {
  name: string;
  op: string;
  attributes: Record<string, unknown>;
  inputShape: number[];
  torchError: string;
}
const { refusals } = JSON.parse(readFileSync(new URL('../fixtures/operators/adaptive_none.json', import.meta.url), 'utf8')) as { refusals: Refusal[] };

/** A map of zeros of this shape, as op-helpers' run takes it. */
const zeros = (shape: readonly number[]): [number[], number[]] => [[...shape], Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0)];

/** Every preset's count of layer l0 of a one-layer chain. */
function counts(shape: number[], l: Record<string, unknown>): Record<string, number> {
  const input = analysed(net(shape, l));
  return Object.fromEntries([...PRESETS_BY_NAME].map(([name, p]) => [name, countWith(p, input).layers.find((x) => x.name === 'l0')!.count]));
}

describe('outputSize null: that axis keeps its input size, as PyTorch None', () => {
  it('adaptiveAvgPool2d [1,2,5,6] → [null, 3]: [1,2,5,3]; Σ windows 5 (5 → 5: [o, o+1)) × 6 (6 → 3) → 2·5·6 = 60 FLOPs', () => {
    const l = layer(analyze(net([1, 2, 5, 6], { op: 'adaptiveAvgPool2d', outputSize: [null, 3] })), 'l0');
    expect([l.outputShape, l.params, l.flopsByConvention['2macs']]).toEqual([[1, 2, 5, 3], 0, 60]);
  });

  it('adaptiveMaxPool2d [1,8,7,9] → [null, 4] with returnIndices: two [1,8,7,4] outputs; 8·(7·12 − 28) = 448 comparisons', () => {
    // W 9 → 4: [0,3) [2,5) [4,7) [6,9), Σ 12; H 7 → 7: Σ 7; 28 outputs a plane
    const l = layer(analyze(net([1, 8, 7, 9], { op: 'adaptiveMaxPool2d', outputSize: [null, 4], returnIndices: true })), 'l0');
    expect(l.outputShapes).toEqual([[1, 8, 7, 4], [1, 8, 7, 4]]);
    expect(l.flopsByConvention['2macs']).toBe(448);
  });

  it('3-D: adaptiveAvgPool3d [1,2,5,4,6] → [2, null, null] is [1,2,2,4,6], 2·6·4·6 = 288 FLOPs; adaptiveMaxPool3d → [null, 3, null]: 2·(5·6·6 − 90) comparisons', () => {
    // T 5 → 2: [0,3) [2,5), Σ 6; H 4 → 3: [0,2) [1,3) [2,4), Σ 6
    const avg = layer(analyze(net([1, 2, 5, 4, 6], { op: 'adaptiveAvgPool3d', outputSize: [2, null, null] })), 'l0');
    expect([avg.outputShape, avg.flopsByConvention['2macs']]).toEqual([[1, 2, 2, 4, 6], 288]);
    const max = layer(analyze(net([1, 2, 5, 4, 6], { op: 'adaptiveMaxPool3d', outputSize: [null, 3, null] })), 'l0');
    expect([max.outputShape, max.flopsByConvention['2macs']]).toEqual([[1, 2, 5, 3, 6], 2 * (5 * 6 * 6 - 90)]);
  });

  it('every counting convention: [1,2,5,6] → [null, 3] counts as → [5, 3]; thop 60 + 30 divides, fvcore 60, ptflops 2·60, calflops 60', () => {
    const none = counts([1, 2, 5, 6], { op: 'adaptiveAvgPool2d', outputSize: [null, 3] });
    expect(none).toEqual(counts([1, 2, 5, 6], { op: 'adaptiveAvgPool2d', outputSize: [5, 3] }));
    expect(none).toMatchObject({ thop: 90, fvcore: 60, ptflops: 120, calflops: 60 });
    const max = counts([1, 2, 5, 4, 6], { op: 'adaptiveMaxPool3d', outputSize: [2, null, null] });
    expect(max).toEqual(counts([1, 2, 5, 4, 6], { op: 'adaptiveMaxPool3d', outputSize: [2, 4, 6] }));
    expect(max).toMatchObject({ ptflops: 2 * 240, calflops: 240, thop: 0 });
  });

  it('the output follows the input on a null axis: fixedSize only without null', () => {
    expect(inferOf(adaptiveAvgPool2d, [[1, 2, 5, 6]], { outputSize: [null, 3] }).fixedSize).toBe(false);
    expect(inferOf(adaptiveAvgPool2d, [[1, 2, 5, 6]], { outputSize: [5, 3] }).fixedSize).toBe(true);
    expect(inferOf(adaptiveMaxPool3d, [[1, 2, 5, 4, 6]], { outputSize: [2, null, 6] }).fixedSize).toBe(false);
    expect(inferOf(adaptiveAvgPool3d, [[1, 2, 5, 4, 6]], { outputSize: 2 }).fixedSize).toBe(true);
  });

  it("receptive field after a 3×3 conv on 14×14 (12×12, field 3): → [null, 4] keeps the conv's along H, W windows of 3 at step 3: [3, 5], stride [1, 3]", () => {
    const conv = { op: 'conv2d', outChannels: 4, kernelSize: 3 };
    for (const op of ['adaptiveAvgPool2d', 'adaptiveMaxPool2d']) {
      const r = analyze(net([1, 3, 14, 14], conv, { op, outputSize: [null, 4] }));
      expect(layer(r, 'l1').receptiveField).toMatchObject({ global: false, size: [3, 5], stride: [1, 3] });
      expect(layer(r, 'l1').receptiveField).toEqual(layer(analyze(net([1, 3, 14, 14], conv, { op, outputSize: [12, 4] })), 'l1').receptiveField);
    }
  });

  it('kernel: [[1, 5, 2], [4, 0, 6]] → [null, 1]: max per row [5, 6] at plane offsets [1, 5]; mean [8/3, 10/3]; 3-D mean over T alone', () => {
    const x: [number[], number[]] = [[1, 1, 2, 3], [1, 5, 2, 4, 0, 6]];
    const [y, idx] = run('adaptiveMaxPool2d', [x], { outputSize: [null, 1], returnIndices: true });
    expect([y, idx.data]).toEqual([{ shape: [1, 1, 2, 1], data: [5, 6] }, [1, 5]]);
    expect(run('adaptiveAvgPool2d', [x], { outputSize: [null, 1] })[0].data).toEqual([8 / 3, 10 / 3].map(Math.fround));
    expect(run('adaptiveAvgPool3d', [[[1, 1, 2, 1, 2], [1, 2, 3, 6]]], { outputSize: [1, null, null] })[0]).toEqual({ shape: [1, 1, 1, 1, 2], data: [2, 4] });
  });

  it('VJP of adaptiveAvgPool2d → [null, 1] on 2×3: each input gets its row gradient / 3', () => {
    const res = vjpOperator({
      name: 'adaptiveAvgPool2d',
      inputs: [tensor([1, 1, 2, 3], Float32Array.from([1, 5, 2, 4, 0, 6]))],
      attributes: { outputSize: [null, 1] },
      weights: {},
      training: false,
      seed: 0,
      maxElements: 1 << 10,
      gradOutputs: [tensor([1, 1, 2, 1], Float32Array.from([3, 6]))],
    });
    expect(Array.from(res.gradInputs[0]!.data)).toEqual([1, 1, 1, 2, 2, 2]);
  });
});

describe('bad outputSize entries keep their codes and paths; what PyTorch 1.13 refuses is refused', () => {
  it.each([
    ['adaptiveAvgPool2d', [1, 1, 4, 5], [2, 0], '$.attributes.outputSize[1]'],
    ['adaptiveAvgPool2d', [1, 1, 4, 5], [null, -1], '$.attributes.outputSize[1]'],
    ['adaptiveMaxPool2d', [1, 1, 4, 5], [0, null], '$.attributes.outputSize[0]'],
    ['adaptiveMaxPool3d', [1, 1, 3, 4, 5], [null, 0, null], '$.attributes.outputSize[1]'],
    // a non-integer fails every form of the union: the path is the attribute's, with or without null
    ['adaptiveAvgPool2d', [1, 1, 4, 5], [2, 2.5], '$.attributes.outputSize'],
    ['adaptiveAvgPool2d', [1, 1, 4, 5], [null, 2.5], '$.attributes.outputSize'],
    ['adaptiveAvgPool3d', [1, 1, 3, 4, 5], [null, null], '$.attributes.outputSize'],
  ] as const)('%s on %j, outputSize %j: SPEC_INVALID at %s', (op, shape, outputSize, path) => {
    const e = errorOf(() => run(op, [zeros(shape)], { outputSize }));
    expect([e.code, e.status, e.details.path]).toEqual(['SPEC_INVALID', 400, path]);
  });

  it('in a network spec the path is the layer field: $.layers[0].outputSize[1]', () => {
    const e = errorOf(() => analyze(net([1, 1, 4, 5], { op: 'adaptiveMaxPool2d', outputSize: [null, 0] })));
    expect([e.code, e.details.path]).toEqual(['SPEC_INVALID', '$.layers[0].outputSize[1]']);
  });

  it('the fixture holds PyTorch refusing a lone None (2-D, 3-D) and any None in 1-D, avg and max alike', () => {
    expect(refusals.map((r) => [r.op, r.attributes.outputSize])).toEqual(
      ['Avg', 'Max'].flatMap((k) => [[`adaptive${k}Pool2d`, null], [`adaptive${k}Pool3d`, null], [`adaptive${k}Pool1d`, [null]], [`adaptive${k}Pool1d`, null]]),
    );
  });

  it.each(refusals.map((r) => [`${r.name} (PyTorch: ${r.torchError})`, r] as const))('%s → SPEC_INVALID at $.attributes.outputSize', (_, r) => {
    const e = errorOf(() => run(r.op, [zeros(r.inputShape)], r.attributes));
    expect([e.code, e.status, e.details.path]).toEqual(['SPEC_INVALID', 400, '$.attributes.outputSize']);
  });

  it("the attributes' JSON Schema (GET /v1/operators, GraphQL Operator.attributes, schema/network.schema.json) allows null entries in 2-D and 3-D, not 1-D", () => {
    const text = (op: { attrs: Parameters<typeof jsonSchemaOf>[0] }) => JSON.stringify(jsonSchemaOf(op.attrs));
    for (const op of [adaptiveAvgPool2d, adaptiveMaxPool2d, adaptiveAvgPool3d, adaptiveMaxPool3d]) {
      expect(text(op)).toContain('{"type":"null"}');
      expect(text(op)).toContain("an entry null keeps that axis's input size (PyTorch's None)");
    }
    for (const op of [adaptiveAvgPool1d, adaptiveMaxPool1d]) expect(text(op)).not.toContain('"null"');
  });
});
