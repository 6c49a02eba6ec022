/**
 * Issue 12: attention across a team: its projections (RunOptions.splitLinear → RunContext.teamLinear,
 * runtime/split.ts splitLinear: a linear layer by output features) and one sequence's heads
 * (splitHeads → teamHeads: by heads). A run of global attention (a ViT-style token sequence) and
 * of Swin's shifted window attention with the team gives the one-thread run's bits, its team jobs
 * ones the partner takes part in.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { loadGraph } from '../../src/graph/load.js';
import { runGraph } from '../../src/runtime/execute.js';
import type { RunOptions } from '../../src/runtime/execute.js';
import { LINEAR_SPLIT_ROWS, SPLIT_MACS, configureTeams, splitHeads, splitKernel, splitLinear, splitStats, teamActivations } from '../../src/runtime/split.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';

const random = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

function network(shape: number[], layer: Record<string, unknown>) {
  const graph = loadGraph({ kind: 'spec', spec: { name: 'attention', inputs: [{ name: 'x', shape }], layers: [{ name: 'attn', ...layer }] } }).graph;
  const inference = inferGraph(graph);
  const inputs = { x: tensor(shape, random(shape.reduce((a, c) => a * c, 1), 1)) };
  return (o: RunOptions) => Object.values(runGraph(graph, inputs, o, inference).outputs).map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

const base: RunOptions = { training: false, seed: 3, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 26 };
const withTeam: RunOptions = { ...base, split: splitKernel, splitLinear, splitHeads, shared: teamActivations };

/**
 * Runs until a run's projections were `jobs` team jobs the partner computed a band of, then once
 * more: with the partner ready, every run is `jobs` team jobs. Before that a run may have fewer: the
 * first split spawns the partner and runs alone, and the partner, on its own thread, can become
 * ready between two jobs of one run (CI, 2026-12-01: 2 of 3). Each run's bits checked against `single`.
 */
async function untilPartnerTookPart(run: (o: RunOptions) => Buffer[], single: Buffer[], jobs: number): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    if (Date.now() > until) throw new Error('the partner took no band of the projections within 20 s');
    const [j0, p0] = [splitStats.jobs, splitStats.partnerBands];
    expect(run(withTeam)).toEqual(single);
    const ran = splitStats.jobs - j0;
    expect(ran).toBeLessThanOrEqual(jobs);
    if (ran === jobs && splitStats.partnerBands > p0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const j1 = splitStats.jobs;
  expect(run(withTeam)).toEqual(single);
  expect(splitStats.jobs - j1, 'a run once the partner is ready').toBe(jobs);
}

describe('attention projections across the team (splitLinear)', () => {
  afterAll(() => configureTeams(null));

  it('global attention over 64 tokens of 32 channels, 4 heads (projections 64·32·96 and 64·32·32 multiply-adds, heads 2·64²·32): the one-thread bits, both projections and the heads team jobs', async () => {
    const run = network([1, 64, 32], { op: 'multiHeadAttention', numHeads: 4 });
    const single = run(base);
    // the projections are 196,608 and 65,536 multiply-adds, the heads 262,144: the threshold lowered, as for a ViT's
    await configureTeams({ runThreads: 2, threads: 2, splitMacs: 60_000 });
    await untilPartnerTookPart(run, single, 3);
  }, 30_000);

  it('global attention over 2 images of 64 tokens: each image\'s heads a team job of their own (2 projections + 2 head jobs a run), the one-thread bits', async () => {
    const run = network([2, 64, 32], { op: 'multiHeadAttention', numHeads: 4 });
    const single = run(base);
    await configureTeams({ runThreads: 2, threads: 2, splitMacs: 60_000 });
    await untilPartnerTookPart(run, single, 4);
  }, 30_000);

  it('Swin\'s shifted window attention, 4×4 windows shifted by 2 on an 8×8 map of 16 channels (64 tokens a projection; its heads, four windows with bias and mask, stay here): the one-thread bits', async () => {
    const run = network([1, 8, 8, 16], { op: 'shiftedWindowAttention', numHeads: 2, window: [4, 4], shift: [2, 2] });
    const single = run(base);
    await configureTeams({ runThreads: 2, threads: 2, splitMacs: 16_000 });
    await untilPartnerTookPart(run, single, 2);
  }, 30_000);

  it(`declines under SPLIT_MACS (${SPLIT_MACS.toLocaleString('en')}), under ${LINEAR_SPLIT_ROWS} rows, and without team settings`, async () => {
    await configureTeams({ runThreads: 2, threads: 2 });
    const [x, w] = [random(64 * 32, 1), random(96 * 32, 2)];
    expect(64 * 32 * 96).toBeLessThan(SPLIT_MACS);
    expect(splitLinear(x, 64, 32, w, undefined, 96)).toBeNull();
    await configureTeams({ runThreads: 2, threads: 2, splitMacs: 1 });
    expect(splitLinear(x.subarray(0, (LINEAR_SPLIT_ROWS - 1) * 32), LINEAR_SPLIT_ROWS - 1, 32, w, undefined, 96)).toBeNull();
    await configureTeams(null);
    expect(splitLinear(x, 64, 32, w, undefined, 96)).toBeNull();
  });

  it('splitHeads declines one head, heads under SPLIT_MACS (2·t²·C), and without team settings', async () => {
    const qkv = random(64 * 96, 3);
    await configureTeams({ runThreads: 2, threads: 2 });
    expect(2 * 64 * 64 * 32).toBeLessThan(SPLIT_MACS);
    expect(splitHeads(qkv, 64, 32, 4)).toBeNull();
    await configureTeams({ runThreads: 2, threads: 2, splitMacs: 1 });
    expect(splitHeads(qkv, 64, 32, 1)).toBeNull();
    await configureTeams(null);
    expect(splitHeads(qkv, 64, 32, 4)).toBeNull();
  });
});
