/**
 * Issue 12: a ConvNeXt block's fused MLP (runtime/fuse-mlp.ts) split across a team by positions
 * (runtime/team-kernels.ts KIND_MLP, runtime/split.ts splitMlp). Every split gives the bits of the
 * one-thread kernel: mlpColumns over bands of positions equals it over all of them, a team job with
 * the partner taking bands equals it (weights copied into the arena, or read in place from shared
 * buffers of their own), and a whole ConvNeXt block stack run with RunOptions.splitMlp equals the
 * one-thread run.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { loadGraph } from '../../src/graph/load.js';
import { runGraph } from '../../src/runtime/execute.js';
import type { RunOptions } from '../../src/runtime/execute.js';
import { mlpColumns, mlpMacs } from '../../src/runtime/fuse-mlp.js';
import type { MlpOperands } from '../../src/runtime/fuse-mlp.js';
import { SPLIT_MACS, configureTeams, splitKernel, splitMlp, splitStats, teamActivations } from '../../src/runtime/split.js';
import { Team } from '../../src/runtime/team.js';
import { mlpJob, mlpVectors, planeMeanJob } from '../../src/runtime/team-kernels.js';
import { W2_BUF, W2_LEN } from '../../src/runtime/team-protocol.js';
import { WeightStore } from '../../src/runtime/weight-store.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import { readyTeam, untilPartnerBand } from './team-ready.js';

const random = (n: number, seed: number, shared = false) => {
  const r = rng(seed);
  const v = shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = r() * 2 - 1;
  return v;
};

/** Operands of n images of C channels at P positions, hidden 4C, C₂ = C; optional parts by flag. */
function operands(n: number, c: number, positions: number, o: { fcBiases?: boolean; residual?: boolean; tanh?: boolean; sharedWeights?: boolean } = {}): MlpOperands {
  const hidden = 4 * c;
  return {
    n, c, hidden, c2: c, positions, approximate: o.tanh ? 'tanh' : 'none',
    h0: random(n * c * positions, 1),
    w1: random(hidden * c, 2, o.sharedWeights),
    fc1Bias: o.fcBiases ? random(hidden, 3) : null,
    b1: random(hidden, 4),
    w2: random(c * hidden, 5, o.sharedWeights),
    fc2Bias: o.fcBiases ? random(c, 6) : null,
    b2: random(c, 7),
    scale: o.residual ? random(c, 8) : null,
    residual: o.residual ? random(n * c * positions, 9) : null,
  };
}

const whole = (o: MlpOperands) => {
  const out = new Float32Array(o.n * o.c2 * o.positions);
  mlpColumns(o, 0, o.positions, out);
  return out;
};

describe('mlpColumns: bands of positions give the whole block\'s bits', () => {
  const cases: [string, MlpOperands, number[]][] = [
    ['2 images, 8→32→8 at 50 positions, linear biases, layer scale and residual, exact GELU: bands [0, 13, 37, 50]', operands(2, 8, 50, { fcBiases: true, residual: true }), [0, 13, 37, 50]],
    ['1 image, 8→32→8 at 50 positions, no linear biases, no residual, tanh GELU: bands [0, 1, 49, 50]', operands(1, 8, 50, { tanh: true }), [0, 1, 49, 50]],
    ['6 positions (under 8: every band, like the whole, takes the few-columns loop), bands [0, 2, 6]', operands(1, 8, 6, { residual: true }), [0, 2, 6]],
  ];
  it.each(cases)('%s', (_, o, bounds) => {
    const want = whole(o);
    const got = new Float32Array(want.length).fill(Number.NaN);
    for (let i = 0; i + 1 < bounds.length; i++) mlpColumns(o, bounds[i], bounds[i + 1], got);
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
  });

  it('the residual path is y = ((W₂·gelu(W₁·x + b₁) + b₂)·γ) + x: one position of 1→4→1 worked by hand (exact GELU of 0.5 + 0.5 = 1: 0.8413447)', () => {
    const o: MlpOperands = {
      n: 1, c: 1, hidden: 4, c2: 1, positions: 1, approximate: 'none',
      h0: Float32Array.of(1), w1: Float32Array.of(0.5, 0, 0, 0), fc1Bias: null, b1: Float32Array.of(0.5, 0, 0, 0),
      w2: Float32Array.of(2, 1, 1, 1), fc2Bias: null, b2: Float32Array.of(0.25), scale: Float32Array.of(0.5), residual: Float32Array.of(3),
    };
    // gelu(1) = 0.8413447, gelu(0) = 0; y = ((2·0.8413447 + 0.25)·0.5) + 3
    expect(whole(o)[0]).toBeCloseTo((2 * 0.8413447 + 0.25) * 0.5 + 3, 5);
  });
});

describe('an MLP job on a team of the leader and one partner', () => {
  let team: Team;
  beforeAll(async () => {
    team = await readyTeam(new Team({ partners: 1 }));
  }, 30_000);
  afterAll(() => team.close());

  /** Runs the job until the partner computed a band (team-ready.ts), each result checked against the one-thread bits. */
  const withPartner = (o: MlpOperands, bounds: number[]) => {
    const want = whole(o);
    return untilPartnerBand(team, () => {
      const got = team.run({ ...mlpJob(o), x: o.h0, weight: o.w1, weight2: o.w2, bias: mlpVectors(o), outLen: want.length, bounds, partners: 1, ...(o.residual && { epilogue: { op: null, attrs: undefined, residual: o.residual } }) });
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer))).toBe(true);
    });
  };

  it('2 images, 16→64→16 at 40 positions with biases, layer scale and residual, bands [0, 10, 25, 40]: the one-thread bits, weights copied into the arena', () => {
    const job = withPartner(operands(2, 16, 40, { fcBiases: true, residual: true }), [0, 10, 25, 40]);
    expect(job.sharedWeight).toBe(false);
  });

  it('weights in shared buffers of their own (a cached model\'s) are read in place: the one-thread bits, only the input and vectors staged', () => {
    const o = operands(1, 16, 40, { tanh: true, sharedWeights: true });
    const job = withPartner(o, [0, 20, 40]);
    expect(job.sharedWeight).toBe(true);
    // x (16·40) and the vectors (b₁ 64, b₂ 16): neither weight
    expect(job.stagedFloats).toBe(16 * 40 + 64 + 16);
  });

  it('W₂ shared and W₁ not: W₁ is copied in (16·64 floats), W₂ read in place, and the job does not count as reading its weights in place', () => {
    const o = { ...operands(1, 16, 40), w2: random(16 * 64, 5, true) };
    const job = withPartner(o, [0, 20, 40]);
    expect(job.sharedWeight).toBe(false);
    expect(job.stagedFloats).toBe(16 * 40 + 64 * 16 + 64 + 16);
  });

  it('6 positions (the few-columns loop) in bands [0, 3, 6] across the team: the one-thread bits', () => {
    withPartner(operands(2, 16, 6, { fcBiases: true, residual: true }), [0, 3, 6]);
  });

  it('a job without a second weight after an MLP job finds none in the control block (W2_LEN 0)', () => {
    withPartner(operands(1, 16, 40), [0, 20, 40]);
    expect(team.ctl[W2_LEN]).toBeGreaterThan(0);
    const x = random(4 * 16, 11);
    team.run({ ...planeMeanJob(16), x, outLen: 4, bounds: [0, 2, 4], partners: 1 });
    expect(team.ctl[W2_LEN]).toBe(0);
    expect(team.ctl[W2_BUF]).toBe(-1);
  });
});

describe('a malformed MLP job', () => {
  it('without its second weight fails on the leader naming the layer kind and what is missing; the team is broken', async () => {
    const team = await readyTeam(new Team({ partners: 1 }));
    try {
      const o = operands(1, 16, 40);
      expect(() => team.run({ ...mlpJob(o), x: o.h0, weight: o.w1, bias: mlpVectors(o), outLen: 16 * 40, bounds: [0, 20, 40], partners: 1 })).toThrow(/second weight/);
      expect(team.broken).toMatch(/split ConvNeXt block MLP failed/);
    } finally {
      await team.close();
    }
  }, 30_000);
});

describe('splitMlp and RunOptions.splitMlp (runtime/split.ts)', () => {
  afterAll(() => configureTeams(null));
  // the ConvNeXt block stack of the network goldens, and its outputs' bytes from a run
  const bytes = new Uint8Array(readFileSync(new URL('../fixtures/networks/convnext_blocks_d32.onnx', import.meta.url)));
  const golden = JSON.parse(readFileSync(new URL('../fixtures/networks/convnext_blocks_d32.json', import.meta.url), 'utf8')) as { input: { shape: number[]; data: number[] } };
  const graph = loadGraph({ kind: 'onnx', bytes, inputShapes: {} }).graph;
  const inference = inferGraph(graph);
  const inputs = { [graph.inputs[0].name]: tensor(golden.input.shape, Float32Array.from(golden.input.data)) };
  const base: RunOptions = { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 26 };
  const bits = (o: RunOptions) => Object.values(runGraph(graph, inputs, o, inference).outputs).map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));

  it(`declines a block under SPLIT_MACS (${SPLIT_MACS.toLocaleString('en')} multiply-adds) while its team takes a larger one, and any block without team settings`, async () => {
    const small = operands(1, 8, 50);
    const large = operands(1, 32, 1024, { residual: true });
    expect(mlpMacs(small)).toBeLessThan(SPLIT_MACS);
    expect(mlpMacs(large)).toBeGreaterThanOrEqual(SPLIT_MACS);
    await configureTeams({ runThreads: 2, threads: 2 });
    // the first split spawns the partner and runs alone: wait until the team takes the large block
    const until = Date.now() + 20_000;
    let got: Float32Array | null = null;
    while (!(got = splitMlp(large))) {
      if (Date.now() > until) throw new Error('no team took the block within 20 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(whole(large).buffer))).toBe(true);
    expect(splitMlp(small)).toBeNull();
    await configureTeams(null);
    expect(splitMlp(large)).toBeNull();
  });

  it('the ConvNeXt block stack of the network goldens (3 blocks of 32→128→32 at 16×16) run with splitMlp gives the one-thread run\'s bits, each block\'s MLP a team job', async () => {
    const single = bits(base);
    // its blocks' MLPs are 2.1 M multiply-adds: the threshold lowered, as for a larger input
    await configureTeams({ runThreads: 2, threads: 2, splitMacs: 1_000_000 });
    const withMlp: RunOptions = { ...base, split: splitKernel, splitMlp, shared: teamActivations };
    const without: RunOptions = { ...base, split: splitKernel, shared: teamActivations };
    // until a run whose three blocks' MLPs were team jobs and the partner computed a band of them
    const until = Date.now() + 20_000;
    for (let mlpJobs = 0, partnerBands = 0; mlpJobs < 3 || partnerBands === 0; ) {
      if (Date.now() > until) throw new Error('no team took the blocks within 20 s');
      const j0 = splitStats.jobs;
      expect(bits(without)).toEqual(single);
      const [j1, p1] = [splitStats.jobs, splitStats.partnerBands];
      // its convs are under the lowered threshold too (the stem 0.39 M, each depthwise 7×7 0.40 M MACs): only the MLPs are jobs
      expect(j1 - j0).toBe(0);
      expect(bits(withMlp)).toEqual(single);
      mlpJobs = splitStats.jobs - j1;
      partnerBands = splitStats.partnerBands - p1;
      await new Promise((r) => setTimeout(r, 20));
    }
  }, 30_000);

  it('a kept, shared store (a worker\'s model cache) keeps a MatMul weight transposed in shared memory, so the team reads both MLP weights in place: the one-thread bits', async () => {
    const store = new WeightStore(true, true);
    const single = bits(base);
    await configureTeams({ runThreads: 2, threads: 2, splitMacs: 1_000_000 });
    const kept: RunOptions = { ...base, store, split: splitKernel, splitMlp, shared: teamActivations };
    const convsOnly: RunOptions = { ...base, store, split: splitKernel, shared: teamActivations };
    const until = Date.now() + 20_000;
    for (let mlpInPlace = 0; mlpInPlace < 3; ) {
      if (Date.now() > until) throw new Error('the team did not read the blocks\' weights in place within 20 s');
      const s0 = splitStats.sharedWeightJobs;
      expect(bits(convsOnly)).toEqual(single);
      const s1 = splitStats.sharedWeightJobs;
      expect(bits(kept)).toEqual(single);
      // jobs reading every weight in place beyond the convs' (their kept folds): the blocks' MLPs
      mlpInPlace = splitStats.sharedWeightJobs - s1 - (s1 - s0);
      await new Promise((r) => setTimeout(r, 20));
    }
  }, 30_000);
});
