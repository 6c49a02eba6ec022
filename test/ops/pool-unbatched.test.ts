import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { avgPool3d } from '../../src/ops/pool-nd.js';
import { INPUT_RF } from '../../src/ops/receptive-field.js';
import type { AvgPoolNdAttrs, PoolNdPlan } from '../../src/ops/pool-nd.js';
import type { RFContext } from '../../src/ops/types.js';
import { inferOf, run } from './op-helpers.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { onnxModel } from '../graph/onnx-builder.js';

// PyTorch 1.13's pooling modules take [N, C, …spatial] or one sample [C, …spatial] (unbatched.ts);
// output shapes below are torch's for the same call (values: test/fixtures/operators/pool_unbatched.json).
const CALLS: [op: string, attrs: Record<string, unknown>, unbatched: number[], torchOut: number[], refused: number[][]][] = [
  ['maxPool1d', { kernelSize: 3 }, [2, 7], [2, 2], [[7], [1, 1, 4, 5]]],
  ['maxPool2d', { kernelSize: 3 }, [2, 5, 6], [2, 1, 2], [[5, 6], [1, 1, 1, 5, 6]]],
  ['maxPool3d', { kernelSize: 2 }, [2, 4, 5, 6], [2, 2, 2, 3], [[4, 5, 6], [1, 1, 1, 4, 5, 6]]],
  ['avgPool1d', { kernelSize: 3 }, [2, 7], [2, 2], [[7], [1, 1, 4, 5]]],
  ['avgPool2d', { kernelSize: 3 }, [2, 5, 6], [2, 1, 2], [[5, 6], [1, 1, 1, 5, 6]]],
  ['avgPool3d', { kernelSize: 2 }, [2, 4, 5, 6], [2, 2, 2, 3], [[4, 5, 6], [1, 1, 1, 4, 5, 6]]],
  ['adaptiveAvgPool1d', { outputSize: 3 }, [2, 7], [2, 3], [[7], [1, 1, 4, 5]]],
  ['adaptiveAvgPool2d', { outputSize: 3 }, [2, 5, 6], [2, 3, 3], [[5, 6], [1, 1, 1, 4, 5]]],
  ['adaptiveAvgPool3d', { outputSize: 3 }, [2, 4, 5, 6], [2, 3, 3, 3], [[4, 5, 6], [1, 1, 1, 4, 5, 6]]],
  ['adaptiveMaxPool1d', { outputSize: 3 }, [2, 7], [2, 3], [[7], [1, 1, 4, 5]]],
  ['adaptiveMaxPool2d', { outputSize: 3 }, [2, 5, 6], [2, 3, 3], [[4, 5], [1, 1, 1, 4, 5]]],
  ['adaptiveMaxPool3d', { outputSize: 3 }, [2, 4, 5, 6], [2, 3, 3, 3], [[4, 5, 6], [1, 1, 1, 4, 5, 6]]],
];

describe('pooling of an unbatched [C, …spatial] input, as PyTorch 1.13 takes it', () => {
  it.each(CALLS)('%s %j on unbatched %j → torch %j; ranks %j refused (RANK_MISMATCH at $.layers[0].inputs)', (op, attrs, x, out, refused) => {
    expect(layer(analyze(net(x, { op, ...attrs })), 'l0').outputShape).toEqual(out);
    for (const shape of refused) {
      const e = errorOf(() => analyze(net(shape, { op, ...attrs })));
      expect(e.code).toBe('RANK_MISMATCH');
      expect(e.details.path).toBe('$.layers[0].inputs');
      expect(e.message).toContain(`or ${x.length} unbatched`);
    }
  });

  it('an ONNX MaxPool / AveragePool with a 2-D kernel_shape over a 3-D X stays refused (RANK_MISMATCH): ONNX pools take [N, C, …] only (onnxruntime: "Attribute kernel_shape has incorrect size")', () => {
    for (const op of ['MaxPool', 'AveragePool']) {
      const bytes = onnxModel({ inputs: [{ name: 'x', shape: [2, 8, 8] }], outputs: ['y'], nodes: [{ op, name: 'p', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: { ints: [2, 2] } } }] });
      const e = errorOf(() => inferGraph(importOnnx(bytes).graph));
      expect(e.code).toBe('RANK_MISMATCH');
      expect(e.message).toContain('ONNX pooling takes no unbatched input');
    }
  });

  it('maxPool1d k=2 of [[1,5,2,8,3,0]] (shape [1,6]) → [1,3] [5,8,3]; avgPool1d p=1 countIncludePad=false → [1, 3.5, 5.5, 0]', () => {
    const x: [number[], number[]] = [[1, 6], [1, 5, 2, 8, 3, 0]];
    expect(run('maxPool1d', [x], { kernelSize: 2 })[0]).toEqual({ shape: [1, 3], data: [5, 8, 3] });
    expect(run('avgPool1d', [x], { kernelSize: 2, padding: 1, countIncludePad: false })[0]).toEqual({ shape: [1, 4], data: [1, 3.5, 5.5, 0] });
  });

  it('maxPool2d returnIndices on [1,2,2] → values and plane offsets [1,1,1]; maxUnpool2d puts them back on [1,2,2]', () => {
    const [values, indices] = run('maxPool2d', [[[1, 2, 2], [3, 9, 4, 1]]], { kernelSize: 2, returnIndices: true });
    expect(values).toEqual({ shape: [1, 1, 1], data: [9] });
    expect(indices).toEqual({ shape: [1, 1, 1], data: [1] });
    expect(run('maxUnpool2d', [[values.shape, values.data], [indices.shape, indices.data]], { kernelSize: 2 })[0]).toEqual({ shape: [1, 2, 2], data: [0, 9, 0, 0] });
  });

  // the analysis reads the same definition: the batch of one's counts, and its field once the axes are the sample's
  it.each([
    ['avgPool3d', { kernelSize: 2 }, [1, 2, 4, 5, 6]],
    ['maxPool3d', { kernelSize: [2, 3, 3], stride: [1, 2, 2], padding: 1, ceilMode: true }, [1, 2, 4, 5, 6]],
    ['maxPool2d', { kernelSize: 3, stride: 2, padding: 1 }, [1, 2, 5, 6]],
    ['avgPool2d', { kernelSize: [2, 3], stride: 2, padding: 1, divisorOverride: 3 }, [1, 2, 5, 7]],
    ['maxPool1d', { kernelSize: 3, stride: 2, dilation: 2 }, [1, 3, 11]],
    ['adaptiveAvgPool2d', { outputSize: [3, 4] }, [1, 2, 5, 7]],
    ['adaptiveMaxPool3d', { outputSize: [2, null, 3] }, [1, 2, 4, 5, 7]],
    ['adaptiveAvgPool1d', { outputSize: 1 }, [1, 3, 8]],
  ])('%s %j: x.squeeze(0) of %j analysed as the batch of one: shape without N, the same FLOPs and receptive field', (op, attrs, batch) => {
    const batched = layer(analyze(net(batch, { op, ...attrs })), 'l0');
    const single = layer(analyze(net(batch, { op: 'squeeze', axes: [0] }, { op, ...attrs })), 'l1');
    expect(single.outputShape).toEqual(batched.outputShape!.slice(1));
    expect(single.flopsByConvention).toEqual(batched.flopsByConvention);
    expect(single.receptiveField).toEqual(batched.receptiveField);
    expect(single.receptiveField).not.toBeNull();
  });

  // a network input [C, H, W] pooled in 2-D is one unbatched image: its field over H and W (analysis/input-layout.ts), not over W alone as N,C,L
  it.each([
    ['maxPool2d', { kernelSize: 3, stride: 2, padding: 1 }],
    ['avgPool2d', { kernelSize: [2, 3], stride: 2, padding: 1, ceilMode: true }],
    ['adaptiveAvgPool2d', { outputSize: [3, 4] }],
    ['adaptiveMaxPool2d', { outputSize: [2, null] }],
  ])('%s %j on a network input [2,5,7]: the field over [h, w], as the batch of one [1,2,5,7] has it', (op, attrs) => {
    const single = layer(analyze(net([2, 5, 7], { op, ...attrs })), 'l0');
    const batched = layer(analyze(net([1, 2, 5, 7], { op, ...attrs })), 'l0');
    expect(single.receptiveField).toMatchObject({ axes: ['h', 'w'] });
    expect(single.receptiveField).toEqual(batched.receptiveField);
  });

  it('avgPool3d k=2 over an unbatched field (dims 1, 2, 3: D, H, W of [C, D, H, W]): size 2, stride 2 on each, the dims kept', () => {
    const ctx: RFContext<AvgPoolNdAttrs, PoolNdPlan> = {
      layer: 'l',
      plan: inferOf(avgPool3d, [[2, 4, 5, 6]], { kernelSize: 2 }).plan,
      inputs: [[2, 4, 5, 6]],
      outputs: [[2, 2, 2, 3]],
      attrs: avgPool3d.attrs.parse({ kernelSize: 2 }),
      rf: [{ axes: [INPUT_RF, INPUT_RF, INPUT_RF], dims: [1, 2, 3], global: false }],
      warn: () => {},
    };
    const rf = avgPool3d.receptiveField(ctx)!;
    expect(rf.dims).toEqual([1, 2, 3]);
    expect(rf.axes.map((a) => [a.r, a.j])).toEqual([[2, 2], [2, 2], [2, 2]]);
  });

  it("avgPool3d k=2 p=1 on unbatched [2,1,4,5] is refused, as torch's \"input image (T: 1 H: 4 W: 5) smaller than kernel size\", naming the shape as given", () => {
    const e = errorOf(() => analyze(net([2, 1, 4, 5], { op: 'avgPool3d', kernelSize: 2, padding: 1 })));
    expect(e.code).toBe('KERNEL_TOO_LARGE');
    expect(e.details.path).toBe('$.layers[0].kernelSize');
    expect(e.details.shapes).toEqual({ x: [2, 1, 4, 5] });
  });

  it('padding over half the kernel on an unbatched input: refused at its entry, as torch ("pad should be at most half of kernel size")', () => {
    for (const [shape, l, path] of [
      [[2, 4, 5, 6], { op: 'avgPool3d', kernelSize: 2, padding: [0, 1, 2] }, '$.layers[0].padding[2]'],
      [[2, 5, 6], { op: 'maxPool2d', kernelSize: 3, padding: 2 }, '$.layers[0].padding'],
      [[2, 7], { op: 'avgPool1d', kernelSize: 3, padding: 2 }, '$.layers[0].padding'],
    ] as [number[], Record<string, unknown>, string][]) {
      const e = errorOf(() => analyze(net(shape, l)));
      expect(e.code).toBe('INVALID_ATTRIBUTE');
      expect(e.details.path).toBe(path);
    }
  });
});

interface Call {
  op: string;
  attributes: Record<string, unknown>;
  shape: number[];
  out: number[] | null;
}
const ACCEPTANCE = (JSON.parse(readFileSync(new URL('../fixtures/operators/pool_random.json', import.meta.url), 'utf8')) as { acceptance: Call[] }).acceptance;

describe('200 random max/avg pooling calls (scripts/goldens_pool_random.py), batched and unbatched: accepted where torch answers, with its shape; refused (400) where torch refuses', () => {
  it('the fixture holds both', () => {
    expect(ACCEPTANCE.filter((c) => c.out).length).toBeGreaterThan(50);
    expect(ACCEPTANCE.filter((c) => !c.out).length).toBeGreaterThan(50);
  });
  it.each(ACCEPTANCE)('%j', ({ op, attributes, shape, out }) => {
    const call = () => layer(analyze(net(shape, { op, ...attributes })), 'l0').outputShape;
    if (out) expect(call()).toEqual(out);
    else expect(errorOf(call).status).toBe(400);
  });
});
