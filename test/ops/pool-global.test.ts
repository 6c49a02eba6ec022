/**
 * globalAvgPool2d reads a 3-D input as PyTorch's nn.AdaptiveAvgPool2d(1) does in a JSON spec (one
 * unbatched [C, H, W] sample → [C, 1, 1]; PyTorch goldens: test/fixtures/operators/pool_unbatched.json
 * and vjp/pool_unbatched.json, scripts/goldens_pool_unbatched.py) and as ONNX GlobalAveragePool does
 * in an imported graph (N, C, L → [N, C, 1]). Shape, cost, field, run, VJP and team bands read one plan.
 */
import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { globalAvgPool2d } from '../../src/ops/pool.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { inferContext, iota, run } from './op-helpers.js';
import { DEFAULTS } from '../helpers.js';

const onnxGap = (shape: number[]) => importOnnx(onnxModel({ inputs: [{ name: 'x', shape }], outputs: ['y'], nodes: [{ op: 'GlobalAveragePool', name: 'gap', inputs: ['x'], outputs: ['y'] }] })).graph;

/** globalAvgPool2d's rules called directly on x, as a JSON spec's layer or an imported ONNX node's. */
function direct(x: number[], fromOnnx: boolean) {
  const inferred = globalAvgPool2d.infer({ ...inferContext([x], {}), fromOnnx });
  const ctx = { attrs: {}, plan: inferred.plan, inputs: [tensor(x, Float32Array.from(iota(x.reduce((a, b) => a * b))))], weights: {}, outputs: inferred.outputs, training: false, seed: 0 };
  return { inferred, ctx };
}

describe('globalAvgPool2d in a JSON spec: nn.AdaptiveAvgPool2d(1)', () => {
  it('[3,5,4] (one unbatched C, H, W) → [3,1,1], 60 FLOPs (one an input element); the network input read as C, H, W: the field global over [h, w]', () => {
    const r = analyze(net([3, 5, 4], { op: 'globalAvgPool2d' }));
    const l = layer(r, 'l0');
    expect(l.outputShape).toEqual([3, 1, 1]);
    expect(l.flops).toBe(60);
    expect(l.receptiveField).toMatchObject({ global: true, axes: ['h', 'w'] });
  });

  it('run on [2,2,3] = 0…11: [2,1,1] [2.5, 8.5] (each channel\'s mean over its 2×3 plane; read as N, C, L it was [2,2,1] [1, 4, 7, 10])', () => {
    expect(run('globalAvgPool2d', [[[2, 2, 3], iota(12)]])[0]).toEqual({ shape: [2, 1, 1], data: [2.5, 8.5] });
  });

  it('team bands and VJP of [2,2,3]: 2 planes of 6; g = [6, 12] gives 1 on channel 0\'s six inputs, 2 on channel 1\'s', () => {
    const { inferred, ctx } = direct([2, 2, 3], false);
    expect(inferred.unbatched).toBe(2);
    expect(globalAvgPool2d.teamBands!(ctx)).toEqual({ kind: 'planeMean', planes: 2, plane: 6 });
    const [gx] = globalAvgPool2d.vjp!({ ...ctx, forward: globalAvgPool2d.run(ctx), gradOutputs: [tensor([2, 1, 1], Float32Array.from([6, 12]))] });
    expect(gx!.shape).toEqual([2, 2, 3]);
    expect(Array.from(gx!.data)).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
  });

  it('[1,2,3,4,5] (N, C, D, H, W) → [1,2,1,1,1], as before (ONNX\'s reading; nn.AdaptiveAvgPool2d refuses 5-D); [4,5] refused (RANK_MISMATCH at $.layers[0].inputs)', () => {
    expect(layer(analyze(net([1, 2, 3, 4, 5], { op: 'globalAvgPool2d' })), 'l0').outputShape).toEqual([1, 2, 1, 1, 1]);
    const e = errorOf(() => analyze(net([4, 5], { op: 'globalAvgPool2d' })));
    expect(e.code).toBe('RANK_MISMATCH');
    expect(e.details.path).toBe('$.layers[0].inputs');
  });
});

describe('an imported ONNX GlobalAveragePool: N, C, L stays N, C, L', () => {
  it('x [2,3,4] → [2,3,1]; the input read as N, C, L (no unbatched input), its field global over [l]', () => {
    const graph = onnxGap([2, 3, 4]);
    expect(inferGraph(graph).imageInputs).toBeUndefined();
    const r = analyzeGraph(graph, DEFAULTS);
    expect(r.outputs[0].shape).toEqual([2, 3, 1]);
    expect(r.outputs[0].receptiveField).toMatchObject({ global: true, axes: ['l'] });
  });

  it('run on 0…23: the mean of each (n, c) row of 4, [1.5, 5.5, …, 21.5]', () => {
    const graph = onnxGap([2, 3, 4]);
    const out = runGraph(graph, { x: tensor([2, 3, 4], Float32Array.from(iota(24))) }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 16 }).outputs.y;
    expect(out.shape).toEqual([2, 3, 1]);
    expect(Array.from(out.data)).toEqual([1.5, 5.5, 9.5, 13.5, 17.5, 21.5]);
  });

  it('team bands and VJP of [2,3,4]: 6 planes of 4; g = 4·(1…6) gives each row its own value', () => {
    const { inferred, ctx } = direct([2, 3, 4], true);
    expect(inferred.outputs).toEqual([[2, 3, 1]]);
    expect(inferred.unbatched).toBeUndefined();
    expect(globalAvgPool2d.teamBands!(ctx)).toEqual({ kind: 'planeMean', planes: 6, plane: 4 });
    const [gx] = globalAvgPool2d.vjp!({ ...ctx, forward: globalAvgPool2d.run(ctx), gradOutputs: [tensor([2, 3, 1], Float32Array.from([4, 8, 12, 16, 20, 24]))] });
    expect(Array.from(gx!.data)).toEqual([1, 2, 3, 4, 5, 6].flatMap((v) => [v, v, v, v]));
  });
});
