/**
 * runtime/fuse-patterns.ts on the ConvNeXt block stack of the network goldens (opset 17: each block
 * is LayerNormalization → MatMul → Add(bias) → GELU as Div/Erf/Add/Mul/Mul → MatMul → Add(bias)):
 * which groups it plans (the whole MLP channels-first; the smaller groups when a tensor inside it
 * is captured), and each group's value against the same tensors run node by node (RunOptions.fuse
 * false, captured).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { loadGraph } from '../../src/graph/load.js';
import { runGraph } from '../../src/runtime/execute.js';
import { planPatterns } from '../../src/runtime/fuse-patterns.js';
import type { PatternRun } from '../../src/runtime/fuse-patterns.js';
import { layerWeights } from '../../src/runtime/weights.js';
import { liveTensors } from '../../src/runtime/live-tensors.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const bytes = new Uint8Array(readFileSync(new URL('../fixtures/networks/convnext_blocks_d32.onnx', import.meta.url)));
const golden = JSON.parse(readFileSync(new URL('../fixtures/networks/convnext_blocks_d32.json', import.meta.url), 'utf8')) as { input: { shape: number[]; data: number[] } };
const graph = loadGraph({ kind: 'onnx', bytes, inputShapes: {} }).graph;
const inference = inferGraph(graph);
const input = tensor(golden.input.shape, Float32Array.from(golden.input.data));
const layerIndex = new Map(graph.layers.map((l, i) => [l.name, i]));
/** The planned groups in graph order of their first layers. */
const groups = (plan: Map<string, PatternRun>) => [...new Set(plan.values())].sort((a, b) => layerIndex.get(a.at)! - layerIndex.get(b.at)!);
const block = (b: number) => `/${b}/block/block`;

/** The unfused run's values of these tensors. */
function unfused(tensors: string[]): Record<string, Tensor> {
  return runGraph(graph, { [graph.inputs[0].name]: input }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: tensors, maxElements: 1 << 26, fuse: false }, inference).captured;
}

/** A group's value from the unfused run's input tensors. */
function runGroup(g: PatternRun, inputs: Record<string, Tensor>): [string, Tensor][] {
  const { read } = liveTensors(graph, {}, inference.tensors);
  const byName = new Map(inference.analysed.map((a) => [a.layer.name, a]));
  return g.run(
    (t) => inputs[t] ?? read(t),
    (name) => layerWeights(byName.get(name)!.layer, byName.get(name)!.inferred!.weights, graph.constants, {}, 'file', 0),
  );
}

describe('decomposed-module fusion (runtime/fuse-patterns.ts)', () => {
  const plan = planPatterns(graph, inference, false, new Set());
  // with each block's LayerNorm output captured, its MLP cannot run channels-first: the smaller groups show
  const lnOut = (b: number) => `${block(b)}.2/LayerNormalization_output_0`;
  const split = planPatterns(graph, inference, false, new Set([2, 3, 4].map(lnOut)));

  it('plans the stem\'s Transpose → LayerNorm → Transpose as one layer norm over channels, and each block\'s MLP with its layer scale and residual (14 nodes) as one channels-first step', () => {
    expect(groups(plan).map((g) => [g.opName, g.at, g.layers.size])).toEqual([
      ['layerNorm (channels)', '/1/Transpose', 3],
      ...[2, 3, 4].map((b) => ['mlp+scale+residual (channels-first)', `${block(b)}.1/Transpose`, 14]),
    ]);
  });

  it('the stem\'s layer norm over channels equals its three nodes bit for bit', () => {
    const want = unfused(['/0/Conv_output_0', '/1/Transpose_1_output_0']);
    const [[out, y]] = runGroup(plan.get('/1/Transpose')!, want);
    expect(out).toBe('/1/Transpose_1_output_0');
    expect(y.shape).toEqual(want[out].shape);
    expect(y.data).toEqual(want[out].data);
  });

  it.each([
    ['with its layer scale and residual', new Set<string>(), '/2/Add_output_0'],
    ['alone (the layer scale\'s output captured)', new Set(['/2/Mul_output_0']), `${block(2)}.6/Transpose_output_0`],
  ])('the channels-first MLP %s equals the nodes within 1e-6 of scale', (_, capture, output) => {
    const b = block(2);
    const p = planPatterns(graph, inference, false, capture);
    // its input is the depthwise conv's output (the residual the stem's output)
    const want = unfused([`${b}.0/Conv_output_0`, '/1/Transpose_1_output_0', output]);
    const [[out, y]] = runGroup(p.get(`${b}.1/Transpose`)!, want);
    expect(out).toBe(output);
    expect(y.shape).toEqual(want[output].shape);
    let err = 0;
    let scale = 1;
    for (let i = 0; i < y.data.length; i++) {
      err = Math.max(err, Math.abs(y.data[i] - want[output].data[i]));
      scale = Math.max(scale, Math.abs(want[output].data[i]));
    }
    expect(err / scale).toBeLessThanOrEqual(1e-6);
  });

  it('with the LayerNorm output captured: MatMul + Add(bias) + GELU as one step, the second MatMul + Add(bias) as another', () => {
    expect(groups(split).map((g) => [g.opName, g.at, g.layers.size])).toEqual([
      ['layerNorm (channels)', '/1/Transpose', 3],
      ...[2, 3, 4].flatMap((b) => [
        ['linear+bias+gelu', `${block(b)}.3/MatMul`, 7],
        ['linear+bias', `${block(b)}.5/MatMul`, 2],
      ]),
    ]);
  });

  it('nothing in training or with fusion off (skip)', () => {
    expect(planPatterns(graph, inference, true, new Set()).size).toBe(0);
  });

  it('linear + bias equals the two nodes bit for bit; linear + bias + GELU the seven within 1e-6 of scale', () => {
    const b = block(2);
    const names = [`${b}.2/LayerNormalization_output_0`, `${b}.3/Add_output_0`, `${b}.4/Mul_1_output_0`, `${b}.5/Add_output_0`];
    const want = unfused(names);
    const [[out1, y1]] = runGroup(split.get(`${b}.3/MatMul`)!, want);
    expect(out1).toBe(`${b}.4/Mul_1_output_0`);
    expect(y1.shape).toEqual(want[out1].shape);
    let err = 0;
    let scale = 1;
    for (let i = 0; i < y1.data.length; i++) {
      err = Math.max(err, Math.abs(y1.data[i] - want[out1].data[i]));
      scale = Math.max(scale, Math.abs(want[out1].data[i]));
    }
    expect(err / scale).toBeLessThanOrEqual(1e-6);
    expect(err).toBeGreaterThan(0); // one kernel rounds once, the five nodes after each step
    const [[out2, y2]] = runGroup(split.get(`${b}.5/MatMul`)!, want);
    expect(out2).toBe(`${b}.5/Add_output_0`);
    expect(y2.data).toEqual(want[out2].data);
  });

  it('a captured bias sum is written: the linear keeps its bias add, and the GELU runs alone from it', () => {
    const b = block(3);
    const p = planPatterns(graph, inference, false, new Set([`${b}.3/Add_output_0`, lnOut(3)]));
    expect(p.get(`${b}.3/MatMul`)!.opName).toBe('linear+bias');
    expect(p.get(`${b}.4/Erf`)!.opName).toBe('gelu');
    expect(p.get(`${b}.4/Erf`)!.at).toBe(`${b}.4/Div`);
    const want = unfused([`${b}.3/Add_output_0`, `${b}.4/Mul_1_output_0`]);
    const [[out, y]] = runGroup(p.get(`${b}.4/Div`)!, want);
    expect(out).toBe(`${b}.4/Mul_1_output_0`);
    let err = 0;
    for (let i = 0; i < y.data.length; i++) err = Math.max(err, Math.abs(y.data[i] - want[out].data[i]));
    expect(err).toBeLessThanOrEqual(1e-6);
  });

  it('a captured GELU output must be the unfused value: that GELU is not fused (the others are)', () => {
    const b = block(4);
    const p = planPatterns(graph, inference, false, new Set([`${b}.4/Mul_1_output_0`]));
    expect(p.get(`${b}.3/MatMul`)!.opName).toBe('linear+bias');
    expect(p.has(`${b}.4/Erf`)).toBe(false);
    expect(p.get(`${block(2)}.3/MatMul`)!.opName).toBe('mlp+scale+residual (channels-first)');
  });
});
