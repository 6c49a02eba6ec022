/**
 * A convolution of one unbatched sample [C, …spatial] (ops/unbatched.ts) through the executor: the
 * fused groups (activation and residual add in the conv's epilogue), a worker's team splitting the
 * conv in bands, give the bits of the same spec fed the batch of one [1, C, …spatial]. A batch norm
 * after an unbatched conv normalises dim 1 (H), not the conv's output channels (dim 0): it must not
 * fold into the conv's weights.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { fusionChains } from '../../src/analysis/deployed.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { runGraph } from '../../src/runtime/execute.js';
import type { RunOptions } from '../../src/runtime/execute.js';
import { configureTeams, splitKernel, teamActivations } from '../../src/runtime/split.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { bnWeights, random } from './spec-tensors.js';
import { untilPartnerJob } from './team-ready.js';

const OPTS: RunOptions = { training: false, seed: 7, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 22 };

type Layer = Record<string, unknown>;
const spec = (shape: number[], layers: Layer[]) => ({ inputs: [{ name: 'x', shape }], layers });

/** The run of `layers` on x, and the op of every kernel the executor timed (a fused group as its host). */
function run(shape: number[], layers: Layer[], x: Tensor, weights: Record<string, Tensor>, opts: Partial<RunOptions> = {}) {
  const ops: string[] = [];
  const res = runGraph(parseNetworkSpec(spec(shape, layers)), { x: { shape, data: x.data } }, { ...OPTS, weights, ...opts, onLayer: (_l, op) => ops.push(op) });
  return { outputs: res.outputs, ops };
}

/** The last layer's output of `layers` run on x as given (unbatched) and as the batch of one. */
function both(x: Tensor, layers: Layer[], weights: Record<string, Tensor>, opts: Partial<RunOptions> = {}) {
  const last = layers[layers.length - 1].name as string;
  const single = run(x.shape, layers, x, weights, opts);
  const batch = run([1, ...x.shape], layers, x, weights, opts);
  return { single: single.outputs[last], batch: batch.outputs[last], singleOps: single.ops, batchOps: batch.ops };
}

// conv → ReLU → conv (+ the first conv's output) → ReLU → maxPool: two fused groups, one with a residual add
const block = (c: number): Layer[] => [
  { name: 'c1', op: 'conv2d', outChannels: c, kernelSize: 3, padding: 1 },
  { name: 'r1', op: 'relu' },
  { name: 'c2', op: 'conv2d', outChannels: c, kernelSize: 3, padding: 1, bias: false },
  { name: 'add', op: 'add', inputs: ['c2', 'r1'] },
  { name: 'r2', op: 'relu' },
  { name: 'pool', op: 'maxPool2d', kernelSize: 2 },
];
const blockWeights = (cin: number, c: number, seed: number) => ({
  'c1.weight': random([c, cin, 3, 3], seed, -0.3, 0.3),
  'c1.bias': random([c], seed + 1),
  'c2.weight': random([c, c, 3, 3], seed + 2, -0.2, 0.2),
});

describe('an unbatched conv through the executor (inference): the bits of the batch of one', () => {
  it('[4, 10, 9] → conv2d 3×3 p1 → ReLU → conv2d → add → ReLU → maxPool2d 2: [6, 5, 4], the same bits and the same fused steps as [1, 4, 10, 9]', () => {
    const r = both(random([4, 10, 9], 1), block(6), blockWeights(4, 6, 2));
    expect(r.single.shape).toEqual([6, 5, 4]);
    expect(r.batch.shape).toEqual([1, 6, 5, 4]);
    expect(Array.from(r.single.data)).toEqual(Array.from(r.batch.data));
    // each conv ran with its epilogue: ReLU, add and ReLU had no step of their own
    expect(r.singleOps).toEqual(['conv2d', 'conv2d', 'maxPool2d']);
    expect(r.singleOps).toEqual(r.batchOps);
  });

  it.each([
    ['conv1d k=3 s=2 p=1 [3, 17] → 4 channels → ReLU6', [3, 17], { op: 'conv1d', outChannels: 4, kernelSize: 3, stride: 2, padding: 1 }, [4, 9], 'c.weight', [4, 3, 3]],
    ['conv3d k=(1,3,3) p=(0,1,1) g=2 [4, 3, 5, 6] → 6 channels → ReLU6', [4, 3, 5, 6], { op: 'conv3d', outChannels: 6, kernelSize: [1, 3, 3], padding: [0, 1, 1], groups: 2 }, [6, 3, 5, 6], 'c.weight', [6, 2, 1, 3, 3]],
    ['convTranspose2d k=4 s=2 p=1 [3, 5, 4] → 2 channels → ReLU6', [3, 5, 4], { op: 'convTranspose2d', outChannels: 2, kernelSize: 4, stride: 2, padding: 1 }, [2, 10, 8], 'c.weight', [3, 2, 4, 4]],
    ['convTranspose1d k=3 s=3 op=2 [4, 5] → 2 channels → ReLU6', [4, 5], { op: 'convTranspose1d', outChannels: 2, kernelSize: 3, stride: 3, outputPadding: 2 }, [2, 17], 'c.weight', [4, 2, 3]],
    ['convTranspose3d k=2 s=2 [2, 2, 3, 3] → 3 channels → ReLU6', [2, 2, 3, 3], { op: 'convTranspose3d', outChannels: 3, kernelSize: 2, stride: 2 }, [3, 4, 6, 6], 'c.weight', [2, 3, 2, 2, 2]],
  ])('%s: output %j, the bits of the batch of one, the clip fused', (_name, shape, conv, out, role, wShape) => {
    const layers = [{ name: 'c', ...conv }, { name: 'act', op: 'clip', min: 0, max: 6 }];
    const r = both(random(shape as number[], 3, -3, 3), layers, { [role]: random(wShape as number[], 4) });
    expect(r.single.shape).toEqual(out);
    expect(Array.from(r.single.data)).toEqual(Array.from(r.batch.data));
    expect(r.singleOps).toEqual([conv.op]);
  });

  it('conv2d on [4, 6, 6] (6 output channels) → batchNorm2d: the BN reads dim 1 of [6, 6, 6] (H), so it is not folded into the conv (the fold would scale output channels); the fused run is the unfused one', () => {
    const layers = [
      { name: 'c', op: 'conv2d', outChannels: 6, kernelSize: 3, padding: 1 },
      { name: 'bn', op: 'batchNorm2d' },
      { name: 'act', op: 'relu' },
    ];
    const chains = fusionChains(parseNetworkSpec(spec([4, 6, 6], layers)), inferGraph(parseNetworkSpec(spec([4, 6, 6], layers))));
    expect(chains.refused.get('bn')).toMatch(/not the output channels/);
    const weights = { 'c.weight': random([6, 4, 3, 3], 5, -0.3, 0.3), 'c.bias': random([6], 6), ...bnWeights('bn', 6, 7) };
    const x = random([4, 6, 6], 8);
    const fused = run([4, 6, 6], layers, x, weights);
    const plain = run([4, 6, 6], layers, x, weights, { fuse: false });
    expect(fused.ops).toEqual(['conv2d', 'batchNorm2d', 'relu']);
    expect(Array.from(fused.outputs.act.data)).toEqual(Array.from(plain.outputs.act.data));
  });
});

describe('an unbatched conv split across a team (two threads): the bits of the batch of one', () => {
  afterAll(() => configureTeams(null));

  it('[16, 48, 48] → conv2d 16→32 3×3 p1 (10.6 M MACs, over SPLIT_MACS) → ReLU → conv2d 32→32 (21.2 M) → add → ReLU → maxPool2d: a partner computed bands, the bits of the one-thread batch of one', async () => {
    const x = random([16, 48, 48], 9);
    const weights = blockWeights(16, 32, 10);
    const want = both(x, block(32), weights);
    expect(Array.from(want.single.data)).toEqual(Array.from(want.batch.data));
    await configureTeams({ runThreads: 2, threads: 2 });
    // only the unbatched run inside: the partner's job is one of its convs; the split hooks as a pool worker's run task passes them (runtime/worker.ts)
    await untilPartnerJob(() => {
      const single = run(x.shape, block(32), x, weights, { split: splitKernel, shared: teamActivations }).outputs.pool;
      expect(single.shape).toEqual([32, 24, 24]);
      expect(Array.from(single.data)).toEqual(Array.from(want.batch.data));
    });
  }, 60_000);
});
