/**
 * Issue 12: the layers besides convolutions that a team splits (runtime/team-kernels.ts), so that
 * they no longer stay serial in a two-thread run: max pooling and global average pooling by planes,
 * a linear layer by output features. Every split gives the one-thread operator's bits (runOperator),
 * whatever the bands; splitKernel splits only what gains (the thresholds of runtime/split.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linear } from '../../src/ops/linear.js';
import { gelu } from '../../src/ops/activation-more.js';
import { relu } from '../../src/ops/activation.js';
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../../src/ops/pool.js';
import { conv2d } from '../../src/ops/conv.js';
import { checkOperator, runOperator } from '../../src/runtime/operator.js';
import type { OperatorCall } from '../../src/runtime/operator.js';
import { BANDS_PER_THREAD, balance, learntShares } from '../../src/runtime/bands.js';
import { LINEAR_SPLIT_ROWS, SPLIT_SIMD_POOL_TAPS, SPLIT_TAPS, configureTeams, lastTeamJob, splitKernel, splitStats } from '../../src/runtime/split.js';
import { Team } from '../../src/runtime/team.js';
import { headsJob, linearJob, maxPoolJob, planeMeanJob } from '../../src/runtime/team-kernels.js';
import { attendHeads } from '../../src/ops/attention-kernels.js';
import type { PoolPlan } from '../../src/ops/pool.js';
import type { OpDef, RunContext, TeamBands } from '../../src/ops/types.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { readyTeam, untilPartnerBand, untilPartnerJob } from './team-ready.js';

const random = (shape: number[], seed: number): Tensor => {
  const r = rng(seed);
  return tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));
};

const call = (name: string, x: Tensor, attributes: Record<string, unknown>, weights: Record<string, Tensor> = {}): OperatorCall => ({ name, inputs: [x], attributes, weights, training: false, seed: 5, maxElements: 1 << 24 });
const one = (c: OperatorCall) => Array.from(runOperator(c).outputs[0].data);
/** What `op` declares a team can cut of the call in `ctx` (null: nothing). */
const declared = (op: OpDef, ctx: object): TeamBands | null => op.teamBands?.(ctx as RunContext<never>) ?? null;
const even = (n: number, parts: number) => Array.from({ length: parts + 1 }, (_, i) => Math.round((i * n) / parts));


/** Runs a job until the partner has computed one of its bands (team-ready.ts), each call's bits checked. */
const withPartner = (team: Team, job: () => Float32Array, want: number[]) => untilPartnerBand(team, () => expect(Array.from(job())).toEqual(want));

describe('layers split across a team of the leader and one partner: the bits of the one-thread operator', () => {
  let team: Team;
  beforeAll(async () => {
    team = await readyTeam(new Team({ partners: 1 }));
  }, 30_000);
  afterAll(() => team.close());

  const pools: [string, number[], Record<string, unknown>, number[]][] = [
    ['maxPool 3×3 stride 2 padding 1 (ResNet stem) over 1×8×20×20, 8 planes in 2', [1, 8, 20, 20], { kernelSize: 3, stride: 2, padding: 1 }, even(8, 2)],
    ['maxPool 2×2 over 2×3×9×9 (6 planes in 4 bands, uneven)', [2, 3, 9, 9], { kernelSize: 2 }, [0, 1, 3, 4, 6]],
    ['maxPool 3×3 dilation 2 ceil mode over 1×5×11×13, 5 planes in 3', [1, 5, 11, 13], { kernelSize: 3, stride: 2, dilation: 2, ceilMode: true, padding: 1 }, even(5, 3)],
  ];
  for (const [name, shape, attrs, bounds] of pools) {
    it(name, () => {
      const x = random(shape, 7);
      // a NaN in a window wins, as in PyTorch: the bands must keep it
      x.data[3] = NaN;
      const c = call('maxPool2d', x, attrs);
      const { geo } = checkOperator(c).plan as PoolPlan;
      const outLen = shape[0] * shape[1] * geo[0].out * geo[1].out;
      withPartner(team, () => team.run({ ...maxPoolJob(shape[2], shape[3], geo), x: x.data, outLen, bounds, partners: 1 }), one(c));
    });
  }

  it('global average pooling of 2×6×5×7 (12 planes of 35) in 3 bands', () => {
    const x = random([2, 6, 5, 7], 9);
    withPartner(team, () => team.run({ ...planeMeanJob(35), x: x.data, outLen: 12, bounds: even(12, 3), partners: 1 }), one(call('globalAvgPool2d', x, {})));
  });

  const linears: [string, number, number, number, boolean][] = [
    ['linear 64→40 over 16 rows (the GEMM path), bias, 40 features in 2', 16, 64, 40, true],
    ['linear 37→10 over 9 rows, no bias, 10 features in 3', 9, 37, 10, false],
    ['linear 512→100 over 1 row (a classifier head, gemv), bias, 100 features in 2', 1, 512, 100, true],
  ];
  for (const [name, rows, ci, co, bias] of linears) {
    it(name, () => {
      const x = random([rows, ci], 11);
      const weights = { weight: random([co, ci], 12), ...(bias && { bias: random([co], 13) }) };
      const bounds = even(co, name.includes('in 3') ? 3 : 2);
      withPartner(team, () => team.run({ ...linearJob(rows, ci, co), x: x.data, weight: weights.weight.data, bias: weights.bias?.data, outLen: rows * co, bounds, partners: 1 }), one(call('linear', x, { outFeatures: co, bias }, weights)));
    });
  }

  it('one sequence\'s attention heads, 20 tokens of 24 channels, 4 heads in [0, 1, 3, 4]: attendHeads\' bits', () => {
    const qkv = random([20, 72], 27).data;
    const want = new Float32Array(20 * 24);
    attendHeads(qkv.slice(), 0, { t: 20, c: 24, heads: 4 }, { kT: new Float32Array(6 * 20), probs: [new Float32Array(400)] }, want);
    // each job scales the q it reads in place: a fresh copy a job
    withPartner(team, () => team.run({ ...headsJob(20, 24, 4), x: qkv.slice(), outLen: 480, bounds: [0, 1, 3, 4], partners: 1 }), Array.from(want));
  });

  it('linear 48→40 over 12 rows with its fused GELU (a ViT MLP\'s fc1), features in [0, 13, 40]: the bits of the linear, then the gelu operator', () => {
    const x = random([12, 48], 21);
    const weights = { weight: random([40, 48], 22), bias: random([40], 23) };
    const want = one(call('gelu', tensor([12, 40], Float32Array.from(one(call('linear', x, { outFeatures: 40 }, weights)))), {}));
    const epilogue = { op: gelu, attrs: { approximate: 'none' }, residual: null };
    withPartner(team, () => team.run({ ...linearJob(12, 48, 40), x: x.data, weight: weights.weight.data, bias: weights.bias.data, outLen: 480, bounds: [0, 13, 40], partners: 1, epilogue }), want);
  });

  it('linear 48→40 over 12 rows with a residual add and ReLU after it, features in 3: (linear + residual) then ReLU, in float32', () => {
    const x = random([12, 48], 24);
    const weights = { weight: random([40, 48], 25) };
    const residual = random([12, 40], 26).data;
    const want = one(call('linear', x, { outFeatures: 40, bias: false }, weights)).map((v, i) => Math.max(0, Math.fround(v + residual[i])));
    const epilogue = { op: relu, attrs: {}, residual };
    withPartner(team, () => team.run({ ...linearJob(12, 48, 40), x: x.data, weight: weights.weight.data, outLen: 480, bounds: even(40, 3), partners: 1, epilogue }), want);
  });
});

describe('splitKernel: which layers it splits', () => {
  beforeAll(() => configureTeams({ runThreads: 2, threads: 2 }));
  afterAll(() => configureTeams(null));

  const ctxOf = (c: OperatorCall) => {
    const { attrs, plan, weights } = checkOperator(c);
    const out = runOperator(c).outputs[0];
    return { expected: Array.from(out.data), ctx: { attrs, plan, inputs: c.inputs, weights, outputs: [out.shape], training: false, seed: 0 } };
  };

  /** Calls splitKernel until a partner took part (team-ready.ts untilPartnerJob), each split's bits checked. */
  async function splitByTwo(op: OpDef, c: OperatorCall): Promise<number[]> {
    const { expected, ctx } = ctxOf(c);
    await untilPartnerJob(() => {
      const r = splitKernel(op, ctx);
      if (r) expect(Array.from(r.outputs[0].data)).toEqual(expected);
    });
    return expected;
  }

  it(`max pooling 3×3 stride 1 over 96×112×112 (10.8 M taps, over SPLIT_SIMD_POOL_TAPS ${SPLIT_SIMD_POOL_TAPS}): split, the partner computes planes, same bits`, async () => {
    await splitByTwo(maxPool2d, call('maxPool2d', random([1, 96, 112, 112], 3), { kernelSize: 3, stride: 1, padding: 1 }));
  }, 30_000);

  it(`max pooling 3×3 stride 1 of one unbatched sample [96, 112, 112] (as PyTorch's [C, H, W]; ops/unbatched.ts): split by planes as the batch of one, same bits`, async () => {
    await splitByTwo(maxPool2d, call('maxPool2d', random([96, 112, 112], 3), { kernelSize: 3, stride: 1, padding: 1 }));
  }, 30_000);

  it(`max pooling 3×3 stride 3 (the JavaScript loop) over 64×180×180 (60×60 outputs: 2.1 M taps, over SPLIT_TAPS ${SPLIT_TAPS}): split, same bits`, async () => {
    await splitByTwo(maxPool2d, call('maxPool2d', random([1, 64, 180, 180], 8), { kernelSize: 3, stride: 3 }));
  }, 30_000);

  it('global average pooling of 1×256×64×64 (1 M elements): split, same bits', async () => {
    await splitByTwo(globalAvgPool2d, call('globalAvgPool2d', random([1, 256, 64, 64], 4), {}));
  }, 30_000);

  it(`a linear 1024→1024 over ${LINEAR_SPLIT_ROWS * 2} rows (16.8 M MACs): split, same bits`, async () => {
    await splitByTwo(linear, call('linear', random([16, 1024], 5), { outFeatures: 1024 }, { weight: random([1024, 1024], 6) }));
  }, 30_000);

  it('a linear offered its fused GELU applies it in its bands (mapped): the bits of the linear, then the gelu operator', async () => {
    const { ctx, expected } = ctxOf(call('linear', random([16, 1024], 7), { outFeatures: 1024 }, { weight: random([1024, 1024], 8), bias: random([1024], 9) }));
    const want = one(call('gelu', tensor([16, 1024], Float32Array.from(expected)), {}));
    await untilPartnerJob(() => {
      const r = splitKernel(linear, ctx, true, { op: gelu, attrs: { approximate: 'none' } });
      if (r) {
        expect(r.mapped).toBe(true);
        expect(Array.from(r.outputs[0].data)).toEqual(want);
      }
    });
  }, 30_000);

  it('a linear offered a residual add and ReLU applies them in its bands and counts as a residual job (splitStats.residualJobs)', async () => {
    const { ctx, expected } = ctxOf(call('linear', random([16, 1024], 10), { outFeatures: 1024 }, { weight: random([1024, 1024], 11) }));
    const residual = random([16, 1024], 12);
    const want = expected.map((v, i) => Math.max(0, Math.fround(v + residual.data[i])));
    await untilPartnerJob(() => {
      const [residualJobs, jobs] = [splitStats.residualJobs, splitStats.jobs];
      const r = splitKernel(linear, ctx, true, { op: relu, attrs: {}, residual });
      if (r) {
        expect(r.mapped).toBe(true);
        expect(Array.from(r.outputs[0].data)).toEqual(want);
        expect(splitStats.residualJobs - residualJobs).toBe(splitStats.jobs - jobs);
      }
    });
  }, 30_000);

  it("not split: a small pooling (8×16×16, 3×3: 4,608 taps), ResNet-50's stem pool (1.8 M taps: under a millisecond in SIMD), ResNet-50's GAP (2048×7×7: 100,352 elements), a one-row classifier (2048→1000: bound by reading its weight), returnIndices", () => {
    expect(splitKernel(maxPool2d, ctxOf(call('maxPool2d', random([1, 8, 16, 16], 1), { kernelSize: 3, stride: 2, padding: 1 })).ctx)).toBeNull();
    expect(splitKernel(maxPool2d, ctxOf(call('maxPool2d', random([1, 64, 112, 112], 1), { kernelSize: 3, stride: 2, padding: 1 })).ctx)).toBeNull();
    expect(splitKernel(globalAvgPool2d, ctxOf(call('globalAvgPool2d', random([1, 2048, 7, 7], 1), {})).ctx)).toBeNull();
    expect(splitKernel(linear, ctxOf(call('linear', random([1, 2048], 1), { outFeatures: 1000 })).ctx)).toBeNull();
    const withIndices = ctxOf(call('maxPool2d', random([1, 64, 112, 112], 1), { kernelSize: 3, stride: 2, padding: 1, returnIndices: true })).ctx;
    expect(splitKernel(maxPool2d, withIndices)).toBeNull();
  });

  it(`a conv 3×3 64→64 at 56×56 by two threads, balance off: ${BANDS_PER_THREAD} even bands of 14 output rows per thread (3,136 positions ≥ 2·64 channels), each job, claimed in turn (a late partner leaves its second to the leader); same bits`, async () => {
    const [jobs, bands] = [splitStats.jobs, splitStats.bands];
    balance.enabled = false;
    try {
      await splitByTwo(conv2d, call('conv2d', random([1, 64, 56, 56], 2), { outChannels: 64, kernelSize: 3, padding: 1 }, { weight: random([64, 64, 3, 3], 7), bias: random([64], 8) }));
    } finally {
      balance.enabled = true;
    }
    expect(BANDS_PER_THREAD).toBe(2);
    expect(splitStats.bands - bands).toBe(4 * (splitStats.jobs - jobs));
  }, 30_000);

  it('the same conv by default (balance on): each job cut at the share learnt for its shape by the jobs before, the partner\'s rows in bands (its input staged into the arena, its output copied out: runtime/bands.ts partnerBands), ending in six tile rows either thread takes (sharedTail), same bits', async () => {
    expect(balance.enabled).toBe(true);
    const c = call('conv2d', random([1, 64, 56, 56], 2), { outChannels: 64, kernelSize: 3, padding: 1 }, { weight: random([64, 64, 3, 3], 7), bias: random([64], 8) });
    await splitByTwo(conv2d, c);
    const key = 'conv:0:1,64,64,1,56,3,1,1,1,1,56,3,1,1,1,1';
    expect(learntShares().has(key)).toBe(true);
    // a share set by hand: the next job is cut there, in pairs of rows (a Winograd conv's 2×2 tiles,
    // bands.ts rowQuantum: 0.3 of 56 rows, 16.8, is 16); the leader's band gives 3 tile rows back (to
    // row 10), the last 6 tile rows (44–56) are the tail, and the partner's 34 rows between come as a
    // tile row first, then 8, 16 and 8 (bands.ts partnerBands of [0, 10, 44])
    (learntShares() as Map<string, number>).set(key, 0.3);
    const { expected, ctx } = ctxOf(c);
    const [jobs, bands] = [splitStats.jobs, splitStats.bands];
    const r = splitKernel(conv2d, ctx);
    expect(r).not.toBeNull();
    expect(Array.from(r!.outputs[0].data)).toEqual(expected);
    expect(lastTeamJob()!.bounds).toEqual([0, 10, 12, 20, 36, 44, 46, 48, 50, 52, 54, 56]);
    expect([splitStats.jobs - jobs, splitStats.bands - bands]).toEqual([1, 11]);
  }, 30_000);

  it('an op that declares no team bands is never split: average pooling 3×3 stride 1 over 96×112×112 (10.8 M taps)', () => {
    expect(avgPool2d.teamBands).toBeUndefined();
    expect(splitKernel(avgPool2d, ctxOf(call('avgPool2d', random([1, 96, 112, 112], 3), { kernelSize: 3, stride: 1, padding: 1 })).ctx)).toBeNull();
  });

  // before: both ran on one thread (teamBands declined a pad stage and flipped kernels)
  const made: [string, Record<string, unknown>][] = [
    ['a conv in mode "convolution" (the bands read the flipped kernels)', { mode: 'convolution' }],
    ['a conv in paddingMode reflect (the bands read the input padded to 58×58, PyTorch\'s F.pad)', { paddingMode: 'reflect' }],
    ['a conv in paddingMode circular with mode "convolution" (both made)', { paddingMode: 'circular', mode: 'convolution' }],
  ];
  for (const [name, attrs] of made) {
    it(`${name}, 3×3 64→64 at 56×56, pad 1: split by two threads, the one-thread operator's bits`, async () => {
      const [jobs] = [splitStats.jobs];
      await splitByTwo(conv2d, call('conv2d', random([1, 64, 56, 56], 2), { outChannels: 64, kernelSize: 3, padding: 1, ...attrs }, { weight: random([64, 64, 3, 3], 7), bias: random([64], 8) }));
      expect(splitStats.jobs).toBeGreaterThan(jobs);
    }, 30_000);
  }
});

describe('OpDef.teamBands: what each op declares a team can cut', () => {
  const ctxOf = (c: OperatorCall) => {
    const { attrs, plan, weights } = checkOperator(c);
    return { attrs, plan, inputs: c.inputs, weights, outputs: [], training: false, seed: 0 };
  };

  it('conv2d 3×3 64→32 at 2×64×10×12, pad 1: the conv plan (n 2, cin 64, cout 32, output 10×12)', () => {
    const b = declared(conv2d, ctxOf(call('conv2d', random([2, 64, 10, 12], 1), { outChannels: 32, kernelSize: 3, padding: 1 }, { weight: random([32, 64, 3, 3], 2), bias: random([32], 3) })));
    expect(b?.kind).toBe('conv');
    if (b?.kind !== 'conv') return;
    expect([b.plan.n, b.plan.cin, b.plan.cout, b.plan.groups, b.plan.geo[0].out, b.plan.geo[1].out]).toEqual([2, 64, 32, 1, 10, 12]);
  });

  it('maxPool2d 3×3 stride 2 over 2×5×9×11: 10 planes of 9×11, output 4×5; with returnIndices: none', () => {
    const x = random([2, 5, 9, 11], 1);
    const b = declared(maxPool2d, ctxOf(call('maxPool2d', x, { kernelSize: 3, stride: 2 })));
    expect(b && b.kind === 'maxPool' && [b.planes, b.H, b.W, b.geo[0].out, b.geo[1].out]).toEqual([10, 9, 11, 4, 5]);
    expect(declared(maxPool2d, ctxOf(call('maxPool2d', x, { kernelSize: 3, stride: 2, returnIndices: true })))).toBeNull();
  });

  it('globalAvgPool2d over 2×3×4×5: 6 planes of 20; over 2×3×7 (one unbatched C, H, W, as nn.AdaptiveAvgPool2d(1)): 2 planes of 21 (ONNX N, C, L: test/ops/pool-global.test.ts)', () => {
    expect(declared(globalAvgPool2d, ctxOf(call('globalAvgPool2d', random([2, 3, 4, 5], 1), {})))).toEqual({ kind: 'planeMean', planes: 6, plane: 20 });
    expect(declared(globalAvgPool2d, ctxOf(call('globalAvgPool2d', random([2, 3, 7], 1), {})))).toEqual({ kind: 'planeMean', planes: 2, plane: 21 });
  });

  it('linear 24→10 over 2×3×24: 6 rows of 24 features, 10 out', () => {
    const b = declared(linear, ctxOf(call('linear', random([2, 3, 24], 1), { outFeatures: 10 }, { weight: random([10, 24], 2), bias: random([10], 3) })));
    expect(b).toEqual({ kind: 'linear', rows: 6, inFeatures: 24, outFeatures: 10 });
  });
});
