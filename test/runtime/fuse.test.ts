/**
 * Inference-time fusion in the executor (issue 12): the deployed graph's groups run fused — BN
 * folded into the conv's weights, the residual add and the activation in place on the conv's
 * output — and give the unfused run's values (≤ 1e-5 relative); training, captured tensors and
 * graph outputs between members keep the layers apart. Which kernels ran is read from the
 * executor's per-layer timing hook (a fused group is timed as its host).
 */
import { describe, expect, it } from 'vitest';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { fusionChains } from '../../src/analysis/deployed.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { OPS } from '../../src/ops/registry.js';
import { errorOf } from '../helpers.js';
import { runGraph } from '../../src/runtime/execute.js';
import type { RunOptions } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { bnWeights, random, relErr } from './spec-tensors.js';

const OPTS: RunOptions = { training: false, seed: 7, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 22 };


/** The run's outputs and captures, and the op of every kernel the executor timed, in order. */
function run(spec: unknown, inputs: Record<string, Tensor>, opts: Partial<RunOptions> = {}) {
  const ops: string[] = [];
  const res = runGraph(parseNetworkSpec(spec), inputs, { ...OPTS, ...opts, onLayer: (_l, op) => ops.push(op) });
  return { ...res, ops };
}

const convBnRelu = {
  inputs: [{ name: 'x', shape: [2, 3, 8, 8] }],
  layers: [
    { name: 'conv', op: 'conv2d', outChannels: 6, kernelSize: 3, padding: 1, bias: false },
    { name: 'bn', op: 'batchNorm2d' },
    { name: 'relu', op: 'relu' },
  ],
};

/** A ResNet basic block with a downsampling shortcut, written after the main path: the add must wait for it. */
const residualBlock = {
  inputs: [{ name: 'x', shape: [1, 4, 8, 8] }],
  layers: [
    { name: 'conv1', op: 'conv2d', inputs: ['x'], outChannels: 8, kernelSize: 3, stride: 2, padding: 1, bias: false },
    { name: 'bn1', op: 'batchNorm2d' },
    { name: 'relu1', op: 'relu' },
    { name: 'conv2', op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1, bias: false },
    { name: 'bn2', op: 'batchNorm2d' },
    { name: 'down', op: 'conv2d', inputs: ['x'], outChannels: 8, kernelSize: 1, stride: 2, bias: false },
    { name: 'bnd', op: 'batchNorm2d' },
    { name: 'add', op: 'add', inputs: ['bn2', 'bnd'] },
    { name: 'out', op: 'relu' },
  ],
};
const residualWeights = { ...bnWeights('bn1', 8, 10), ...bnWeights('bn2', 8, 20), ...bnWeights('bnd', 8, 30) };

describe('executor fusion (inference)', () => {
  it('1×1 conv (w = 2, no bias) → BN (γ 3, β 1, μ 0.5, σ² 3, ε 1) → ReLU on x = [−1, 1, 2]: hand-worked [0, 3.25, 6.25], one kernel', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 1, 3] }],
      layers: [
        { name: 'conv', op: 'conv2d', outChannels: 1, kernelSize: 1, bias: false },
        { name: 'bn', op: 'batchNorm2d', eps: 1 },
        { name: 'relu', op: 'relu' },
      ],
    };
    const weights = {
      'conv.weight': tensor([1, 1, 1, 1], [2]),
      'bn.weight': tensor([1], [3]),
      'bn.bias': tensor([1], [1]),
      'bn.runningMean': tensor([1], [0.5]),
      'bn.runningVar': tensor([1], [3]),
    };
    // conv: [−2, 2, 4]; BN: (y − 0.5)·3/√(3 + 1) + 1 = [−2.75, 3.25, 6.25]; ReLU: [0, 3.25, 6.25]
    const res = run(spec, { x: tensor([1, 1, 1, 3], [-1, 1, 2]) }, { weights });
    expect(Array.from(res.outputs.relu.data)).toEqual([0, 3.25, 6.25]);
    expect(res.ops).toEqual(['conv2d']);
  });

  it('conv 3→6 (3×3, no bias) → BN → ReLU: BN and ReLU vanish from the kernels, output = unfused within 1e-5 relative', () => {
    const x = random([2, 3, 8, 8], 1);
    const weights = bnWeights('bn', 6, 2);
    const fused = run(convBnRelu, { x }, { weights });
    const plain = run(convBnRelu, { x }, { weights, fuse: false });
    expect(fused.ops).toEqual(['conv2d']);
    expect(plain.ops).toEqual(['conv2d', 'batchNorm2d', 'relu']);
    expect(relErr(fused.outputs.relu, plain.outputs.relu)).toBeLessThan(1e-5);
    // the ReLU really ran: some outputs are clipped to 0, none negative
    expect(fused.outputs.relu.data.some((v) => v === 0)).toBe(true);
    expect(Math.min(...fused.outputs.relu.data)).toBe(0);
  });

  it('residual block with a downsampling shortcut, listed as torchvision runs it (conv1 … bn2, then down): the add and ReLU run in down\'s step (it runs last: conv2\'s output exists by then), output = unfused within 1e-5 relative', () => {
    const x = random([1, 4, 8, 8], 3);
    const fused = run(residualBlock, { x }, { weights: residualWeights });
    const plain = run(residualBlock, { x }, { weights: residualWeights, fuse: false });
    // conv1+bn1+relu1, conv2+bn2, down+bnd+add+relu (the main path's output exists by then)
    expect(fused.ops).toEqual(['conv2d', 'conv2d', 'conv2d']);
    const graph = parseNetworkSpec(residualBlock);
    const host = fusionChains(graph, inferGraph(graph)).chains.find((c) => c.residual !== null)?.host.layer.name;
    expect(host).toBe('down');
    expect(plain.ops).toHaveLength(9);
    expect(relErr(fused.outputs.out, plain.outputs.out)).toBeLessThan(1e-5);
  });

  it('identity residual block (shortcut ready before the add): add + ReLU run inside the second conv\'s step', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 4, 6, 6] }],
      layers: [
        { name: 'conv1', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'bn1', op: 'batchNorm2d' },
        { name: 'relu1', op: 'relu' },
        { name: 'conv2', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'bn2', op: 'batchNorm2d' },
        { name: 'add', op: 'add', inputs: ['x', 'bn2'] },
        { name: 'out', op: 'relu' },
      ],
    };
    const x = random([1, 4, 6, 6], 4);
    const weights = { ...bnWeights('bn1', 4, 40), ...bnWeights('bn2', 4, 50) };
    const fused = run(spec, { x }, { weights });
    const plain = run(spec, { x }, { weights, fuse: false });
    expect(fused.ops).toEqual(['conv2d', 'conv2d']);
    expect(relErr(fused.outputs.out, plain.outputs.out)).toBeLessThan(1e-5);
    // the given input is the add's other operand: it is read, never written
    expect(Array.from(x.data)).toEqual(Array.from(random([1, 4, 6, 6], 4).data));
  });

  it('capturing the BN output disables that fusion: the BN runs as its own kernel and the capture is the unfused value bit for bit', () => {
    const x = random([2, 3, 8, 8], 5);
    const weights = bnWeights('bn', 6, 6);
    const fused = run(convBnRelu, { x }, { weights, capture: ['bn'] });
    const plain = run(convBnRelu, { x }, { weights, capture: ['bn'], fuse: false });
    expect(fused.ops).toEqual(['conv2d', 'batchNorm2d', 'relu']);
    expect(Array.from(fused.captured.bn.data)).toEqual(Array.from(plain.captured.bn.data));
    // and the ReLU did not overwrite the captured tensor in place
    expect(fused.captured.bn.data.some((v) => v < 0)).toBe(true);
  });

  it('capturing the conv output keeps conv, BN and ReLU apart', () => {
    const x = random([2, 3, 8, 8], 5);
    const res = run(convBnRelu, { x }, { weights: bnWeights('bn', 6, 6), capture: ['conv'] });
    expect(res.ops).toEqual(['conv2d', 'batchNorm2d', 'relu']);
  });

  it('capturing the last member (the ReLU) runs conv + BN fused and the ReLU on its own', () => {
    const x = random([2, 3, 8, 8], 5);
    const weights = bnWeights('bn', 6, 6);
    const res = run(convBnRelu, { x }, { weights, capture: ['relu'] });
    const plain = run(convBnRelu, { x }, { weights, fuse: false });
    expect(res.ops).toEqual(['conv2d', 'relu']);
    expect(Array.from(res.captured.relu.data)).toEqual(Array.from(res.outputs.relu.data));
    expect(relErr(res.outputs.relu, plain.outputs.relu)).toBeLessThan(1e-5);
  });

  it('the BN output as a graph output (besides the ReLU): BN folds, the ReLU runs apart and does not overwrite it', () => {
    const spec = { ...convBnRelu, outputs: ['bn', 'relu'] };
    const x = random([2, 3, 8, 8], 8);
    const weights = bnWeights('bn', 6, 9);
    const fused = run(spec, { x }, { weights });
    const plain = run(spec, { x }, { weights, fuse: false });
    expect(fused.ops).toEqual(['conv2d', 'relu']);
    expect(fused.outputs.bn.data.some((v) => v < 0)).toBe(true);
    expect(relErr(fused.outputs.bn, plain.outputs.bn)).toBeLessThan(1e-5);
    expect(relErr(fused.outputs.relu, plain.outputs.relu)).toBeLessThan(1e-5);
  });

  it('folded weights are kept with the graph per weight source: another seed or given weights fold afresh', () => {
    const graph = parseNetworkSpec(convBnRelu);
    const x = random([2, 3, 8, 8], 18);
    const go = (o: Partial<RunOptions>) => runGraph(graph, { x }, { ...OPTS, ...o }).outputs.relu;
    const first = go({ seed: 1 });
    expect(Array.from(go({ seed: 1 }).data)).toEqual(Array.from(first.data));
    const other = go({ seed: 2 });
    expect(relErr(other, go({ seed: 2, fuse: false }))).toBeLessThan(1e-5);
    expect(relErr(other, first)).toBeGreaterThan(1e-2);
    const weights = bnWeights('bn', 6, 19);
    const given = go({ seed: 1, weights });
    expect(relErr(given, go({ seed: 1, weights, fuse: false }))).toBeLessThan(1e-5);
    expect(relErr(given, first)).toBeGreaterThan(1e-2);
    expect(Array.from(go({ seed: 1 }).data)).toEqual(Array.from(first.data));
  });

  it('training: no fusion (BN normalises by the batch\'s statistics)', () => {
    const x = random([2, 3, 8, 8], 10);
    const res = run(convBnRelu, { x }, { weights: bnWeights('bn', 6, 11), training: true });
    expect(res.ops).toEqual(['conv2d', 'batchNorm2d', 'relu']);
  });

  it('convTranspose (weight [Cin, Cout/g, k, k], not output-channel-first) → BN → ReLU6: BN applied in place on its output, = unfused', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 4, 5, 5] }],
      layers: [
        { name: 'up', op: 'convTranspose2d', outChannels: 4, kernelSize: 4, stride: 2, padding: 1, groups: 2 },
        { name: 'bn', op: 'batchNorm2d' },
        { name: 'act', op: 'clip', min: 0, max: 6 },
      ],
    };
    const x = random([1, 4, 5, 5], 12, -3, 3);
    const weights = bnWeights('bn', 4, 13);
    const fused = run(spec, { x }, { weights });
    const plain = run(spec, { x }, { weights, fuse: false });
    expect(fused.ops).toEqual(['convTranspose2d']);
    expect(relErr(fused.outputs.act, plain.outputs.act)).toBeLessThan(1e-5);
  });

  it('linear 5→3 → BN over features (2-d) → sigmoid: folded into the weights and bias, = unfused', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [4, 5] }],
      layers: [
        { name: 'fc', op: 'linear', outFeatures: 3 },
        { name: 'bn', op: 'batchNorm2d' },
        { name: 'act', op: 'sigmoid' },
      ],
    };
    const x = random([4, 5], 14);
    const weights = bnWeights('bn', 3, 15);
    const fused = run(spec, { x }, { weights });
    const plain = run(spec, { x }, { weights, fuse: false });
    expect(fused.ops).toEqual(['linear']);
    expect(relErr(fused.outputs.act, plain.outputs.act)).toBeLessThan(1e-5);
  });

  it('a conv output read twice (by BN and by another layer) is written: nothing fuses into it', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      layers: [
        { name: 'conv', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 },
        { name: 'bn', op: 'batchNorm2d', inputs: ['conv'] },
        { name: 'side', op: 'relu', inputs: ['conv'] },
        { name: 'sum', op: 'add', inputs: ['bn', 'side'] },
      ],
    };
    const x = random([1, 2, 4, 4], 16);
    const weights = bnWeights('bn', 2, 17);
    const fused = run(spec, { x }, { weights });
    const plain = run(spec, { x }, { weights, fuse: false });
    expect(fused.ops).toEqual(['conv2d', 'batchNorm2d', 'relu', 'add']);
    expect(Array.from(fused.outputs.sum.data)).toEqual(Array.from(plain.outputs.sum.data));
  });
});

describe('OpDef.runInPlace: the kernel written into its input buffer is run\'s value bit for bit', () => {
  const inPlace = OPS.filter((op) => op.runInPlace);
  it('the hot activations and add have it', () => {
    const names = inPlace.map((op) => op.name);
    for (const name of ['relu', 'clip', 'hardSwish', 'swish', 'sigmoid', 'gelu', 'leakyRelu', 'add']) expect(names).toContain(name);
  });

  it.each(inPlace.map((op) => [op.name, op] as const))('%s', (_name, op) => {
    const shape = [2, 3, 4, 5];
    const inputs = op.addsIntoConvEpilogue ? [random(shape, 60, -5, 5), random(shape, 61, -5, 5)] : [random(shape, 60, -5, 5)];
    const attrs = op.attrs.parse({});
    const inferred = op.infer({
      layer: 'l',
      inputs: inputs.map((t) => t.shape),
      values: inputs.map(() => null),
      attrs,
      fail: (code: string, message: string) => {
        throw new Error(`${code}: ${message}`);
      },
    });
    const ctx = (ins: Tensor[]) => ({ attrs, plan: inferred.plan, inputs: ins, weights: {}, outputs: inferred.outputs, training: false, seed: 0 });
    const expected = op.run(ctx(inputs))[0];
    for (let target = 0; target < inputs.length; target++) {
      const copies = inputs.map((t) => tensor(t.shape, Float32Array.from(t.data)));
      const got = op.runInPlace!(ctx(copies), target);
      expect(got.data).toBe(copies[target].data);
      expect(Array.from(got.data)).toEqual(Array.from(expected.data));
      copies.forEach((c, k) => k !== target && expect(Array.from(c.data)).toEqual(Array.from(inputs[k].data)));
    }
  });
});

describe('data-dependent sizes at run time (the executor checks what a kernel wrote against its plan)', () => {
  // boxes 0 and 1 overlap with IoU 0.81 > 0.5: NMS keeps 2 of the 3 rows its bound allows
  const boxes = tensor([1, 3, 4], [0, 0, 10, 10, 0, 0, 10, 9, 20, 20, 30, 30]);
  const scores = tensor([1, 1, 3], [0.9, 0.8, 0.7]);
  const nms = { name: 'nms', op: 'nonMaxSuppression', inputs: ['boxes', 'scores'], maxOutputBoxesPerClass: 3, iouThreshold: 0.5 };
  const inputs = [{ name: 'boxes', shape: [1, 3, 4] }, { name: 'scores', shape: [1, 1, 3] }];

  it('NMS as the graph output: its real K = 2 rows, not the bound 3', () => {
    const res = run({ inputs, layers: [nms] }, { boxes, scores });
    expect(res.outputs.nms.shape).toEqual([2, 3]);
    expect(Array.from(res.outputs.nms.data)).toEqual([0, 0, 0, 0, 0, 2]);
  });

  it('a layer reading NMS\'s rows (planned for the bound): 400 UNSUPPORTED_OPERATOR naming the layer and both sizes, not a crash', () => {
    const e = errorOf(() => run({ inputs, layers: [nms, { name: 'after', op: 'relu', inputs: ['nms'] }] }, { boxes, scores }));
    expect(e.code).toBe('UNSUPPORTED_OPERATOR');
    expect(e.message).toContain("layer 'nms'");
    expect(e.message).toContain('[2, 3]');
    expect(e.message).toContain('[3, 3]');
  });
});
