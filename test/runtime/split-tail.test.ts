/**
 * The shared tail (runtime/bands.ts sharedTail) as split.ts teamConv uses it: a Winograd conv's
 * two-thread row job cut into up to a dozen bands, claimed by either member, gives the one-thread
 * conv's bits (runOperator) whatever the learnt share (its clamp 0.15–0.85 included), the shape
 * (odd heights, batches, groups, paddings that keep Winograd, a padded-input or flipped-kernel
 * thunk), non-finite inputs in the tail's rows, the fused epilogue (ReLU after a residual add, on
 * the leader's tail bands as on the partner's), where the output goes (copied out band by band,
 * the arena, a lent answer through a pool of two workers), and a partner late to every band or
 * left out (the leader takes every band).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOperator } from '../../src/http/compute.js';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/runtime/pool.js';
import { conv2d } from '../../src/ops/conv.js';
import { relu } from '../../src/ops/activation.js';
import { checkOperator, runOperator } from '../../src/runtime/operator.js';
import type { OperatorCall } from '../../src/runtime/operator.js';
import { learntShares, rowQuantum, sharedTail } from '../../src/runtime/bands.js';
import { configureTeams, lastTeamJob, splitKernel, splitStats, teamActivations } from '../../src/runtime/split.js';
import type { ConvPlan } from '../../src/ops/conv.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { readyTeam, untilPartnerJob } from './team-ready.js';
import { Team } from '../../src/runtime/team.js';
import { MODE_ROWS } from '../../src/runtime/team-protocol.js';

const random = (shape: number[], seed: number): Tensor => {
  const r = rng(seed);
  return tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));
};
const call = (x: Tensor, attributes: Record<string, unknown>, weights: Record<string, Tensor>): OperatorCall => ({ name: 'conv2d', inputs: [x], attributes, weights, training: false, seed: 5, maxElements: 1 << 24 });
const ctxOf = (c: OperatorCall) => {
  const { attrs, plan, weights } = checkOperator(c);
  const out = runOperator(c).outputs[0];
  return { plan: plan as ConvPlan, expected: Array.from(out.data), ctx: { attrs, plan, inputs: c.inputs, weights, outputs: [out.shape], training: false, seed: 0 } };
};

/** A team of two for the describe block: every layer split (splitMacs 1), its partner taking part before the first case (the first split spawns it and runs alone); closed after. */
function withSplittingTeam(): void {
  beforeAll(async () => {
    await configureTeams({ runThreads: 2, threads: 2, splitMacs: 1 });
    const { ctx } = ctxOf(call(random([1, 16, 40, 40], 9), { outChannels: 16, kernelSize: 3, padding: 1 }, { weight: random([16, 16, 3, 3], 9) }));
    await untilPartnerJob(() => void splitKernel(conv2d, ctx as never));
  }, 30_000);
  afterAll(() => configureTeams(null));
}

describe('shared tail: bits of the one-thread conv', () => {
  withSplittingTeam();

  const cases: [string, number[], Record<string, unknown>, number[]][] = [
    ['odd height 57, pad 1', [1, 16, 57, 40], { outChannels: 16, kernelSize: 3, padding: 1 }, [16, 16, 3, 3]],
    ['batch 2, height 45', [2, 16, 45, 30], { outChannels: 16, kernelSize: 3, padding: 1 }, [16, 16, 3, 3]],
    ['groups 2', [1, 32, 50, 30], { outChannels: 32, kernelSize: 3, padding: 1, groups: 2 }, [32, 16, 3, 3]],
    ['valid (no padding), 53 rows in', [1, 16, 53, 30], { outChannels: 8, kernelSize: 3 }, [8, 16, 3, 3]],
    ['padding 2 (out = in + 2), 41 in', [1, 16, 41, 30], { outChannels: 8, kernelSize: 3, padding: 2 }, [8, 16, 3, 3]],
    ['asymmetric padding [t, l, b, r]', [1, 16, 40, 30], { outChannels: 8, kernelSize: 3, padding: [0, 1, 2, 1] }, [8, 16, 3, 3]],
    ['reflect padding mode (a padded input thunk)', [1, 16, 47, 30], { outChannels: 8, kernelSize: 3, padding: 1, paddingMode: 'reflect' }, [8, 16, 3, 3]],
    ['mode convolution (flipped kernels thunk)', [1, 16, 47, 30], { outChannels: 8, kernelSize: 3, padding: 1, mode: 'convolution' }, [8, 16, 3, 3]],
  ];
  for (const [name, shape, attrs, wShape] of cases) {
    for (const share of [0.15, 0.5, 0.85]) {
      for (const keep of [true, false]) {
        it(`${name}, share ${share}, ${keep ? 'kept (copied out)' : 'in the arena'}`, async () => {
          const c = call(random(shape, 1), attrs, { weight: random(wShape, 2), bias: random([wShape[0]], 3) });
          const { expected, ctx, plan } = ctxOf(c);
          expect(rowQuantum(plan)).toBe(2);
          let partnerTook = false;
          let tailSeen = false;
          for (let k = 0; k < 40 && !(partnerTook && tailSeen); k++) {
            for (const key of learntShares().keys()) (learntShares() as Map<string, number>).set(key, share);
            const before = splitStats.partnerJobs;
            const r = splitKernel(conv2d, ctx as never, keep);
            if (r) {
              expect(Array.from(r.outputs[0].data)).toEqual(expected);
              if (!keep) teamActivations.release(r.outputs[0].data);
              const b = lastTeamJob()!.bounds;
              if (b.length > 6) tailSeen = true;
              if (splitStats.partnerJobs > before) partnerTook = true;
            }
            await new Promise((res) => setTimeout(res, 5));
          }
          expect(partnerTook).toBe(true);
          // at 0.85 of some 50 rows the partner has under 5 tile rows besides the tail: partnerBands alone
          if (share < 0.85) expect(tailSeen).toBe(true);
        }, 30_000);
      }
    }
  }

  it('a fused ReLU and residual add: every band (the leader\'s tail bands too) gets them', async () => {
    const c = call(random([1, 16, 57, 40], 4), { outChannels: 16, kernelSize: 3, padding: 1 }, { weight: random([16, 16, 3, 3], 5), bias: random([16], 6) });
    const { expected, ctx } = ctxOf(c);
    const residual = random([1, 16, 57, 40], 7);
    const want = expected.map((v, i) => Math.max(0, Math.fround(v + residual.data[i])));
    let partner = 0;
    for (let k = 0; k < 60 && partner < 5; k++) {
      for (const key of learntShares().keys()) (learntShares() as Map<string, number>).set(key, [0.15, 0.5, 0.85][k % 3]);
      const before = splitStats.partnerJobs;
      const r = splitKernel(conv2d, ctx as never, true, { op: relu, attrs: {}, residual });
      if (r) expect(Array.from(r.outputs[0].data)).toEqual(want);
      if (splitStats.partnerJobs > before) partner++;
      await new Promise((res) => setTimeout(res, 5));
    }
    expect(partner).toBeGreaterThan(0);
  }, 30_000);
});

describe('shared tail: non-finite and overflowing inputs in the tail rows', () => {
  withSplittingTeam();

  for (const [what, v] of [
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['3e38 (overflows in the transform)', 3e38],
  ] as [string, number][]) {
    it(`${what} at rows near every tail band bound: same bits`, async () => {
      const shape = [1, 16, 57, 40];
      const x = random(shape, 11);
      for (const row of [1, 9, 10, 11, 43, 44, 45, 47, 50, 53, 55, 56]) x.data[3 * 57 * 40 + row * 40 + 7] = v;
      const c = call(x, { outChannels: 16, kernelSize: 3, padding: 1 }, { weight: random([16, 16, 3, 3], 12), bias: random([16], 13) });
      const { expected, ctx } = ctxOf(c);
      let partner = 0;
      for (let k = 0; k < 60 && partner < 6; k++) {
        for (const key of learntShares().keys()) (learntShares() as Map<string, number>).set(key, [0.15, 0.5, 0.3][k % 3]);
        const before = splitStats.partnerJobs;
        const r = splitKernel(conv2d, ctx as never, k % 2 === 0);
        if (r) {
          expect(Array.from(r.outputs[0].data)).toEqual(expected);
          if (k % 2 === 1) teamActivations.release(r.outputs[0].data);
        }
        if (splitStats.partnerJobs > before) partner++;
        await new Promise((res) => setTimeout(res, 5));
      }
      expect(partner).toBeGreaterThan(0);
    }, 30_000);
  }
});

describe('shared tail on a Team directly: a late partner, none, every output placement', () => {
  const c = call(random([2, 16, 57, 40], 21), { outChannels: 16, kernelSize: 3, padding: 1 }, { weight: random([16, 16, 3, 3], 22), bias: random([16], 23) });
  const { expected, plan } = ctxOf(c);
  const residual = random([2, 16, 57, 40], 24).data;
  const withEpi = expected.map((v, i) => Math.max(0, Math.fround(v + residual[i])));
  const x = c.inputs[0].data;
  const weight = c.weights.weight.data;
  const bias = c.weights.bias.data;

  for (const [who, entry] of [
    ['a partner 15 ms late to each band', new URL('./slow-partner.ts?ms=15', import.meta.url)],
    ['a prompt partner', undefined],
  ] as [string, URL | undefined][]) {
    describe(who, () => {
      let team: Team;
      let partnerBands = 0;
      beforeAll(async () => {
        team = await readyTeam(new Team({ partners: 1, ...(entry && { partnerEntry: entry }), stallMs: 60_000 }));
      }, 30_000);
      afterAll(() => team.close());
      for (const cut of [8, 28, 48]) {
        const bounds = sharedTail([0, cut, 57]);
        for (const partners of [1, 0]) {
          for (const place of ['fresh', 'inArena', 'into'] as const) {
            for (const epi of [false, true]) {
              it(`[0, ${cut}, 57] → ${bounds.length - 1} bands, partners ${partners}, output ${place}${epi ? ', ReLU + residual' : ''}`, () => {
                const into = place === 'into' ? new Float32Array(new SharedArrayBuffer(expected.length * 4)) : undefined;
                const epilogue = epi ? { op: relu, attrs: {}, residual } : undefined;
                const out = team.conv({ plan, x, weight, bias, mode: MODE_ROWS, bounds, partners, inArena: place === 'inArena', into, epilogue });
                expect(Array.from(out)).toEqual(epi ? withEpi : expected);
                if (place === 'inArena') team.arena.release(out);
                if (partners === 0) expect(team.lastJob.leaderBands).toBe(bounds.length - 1);
                partnerBands += team.lastJob.bands - team.lastJob.leaderBands;
              });
            }
          }
        }
      }
      it('the partner computed some of the bands (the leader others, tail bands among them)', () => expect(partnerBands).toBeGreaterThan(0));
    });
  }
});

describe('shared tail through a pool of two workers (the answer lent: every member writes it in place)', () => {
  const pool = createPool(loadConfig({ WORKERS: '2' }));
  afterAll(() => pool.close());
  const cases: [string, number[], Record<string, unknown>, number[]][] = [
    ['odd height 113, 32→32, pad 1', [1, 32, 113, 64], { padding: 1 }, [32, 32, 3, 3]],
    ['batch 3, height 57', [3, 32, 57, 64], { padding: 1 }, [32, 32, 3, 3]],
    ['groups 2, no padding, 99 rows in', [1, 32, 99, 64], { groups: 2 }, [32, 16, 3, 3]],
  ];
  for (const [name, shape, attrs, w] of cases) {
    it(`${name}: runOperator's bits, from 2 workers (extra.workers) several times`, async () => {
      const c = (): OperatorCall => call(random(shape, 4), attrs, { weight: random(w, 5), bias: random([w[0]], 6) });
      const expected = Array.from(runOperator(c()).outputs[0].data);
      let twos = 0;
      for (const until = Date.now() + 60_000; twos < 4 && Date.now() < until; ) {
        const r = await callOperator(pool, c());
        expect(Array.from(r.outputs[0].data)).toEqual(expected);
        if (((r.extra.workers as number | undefined) ?? 1) === 2) twos++;
      }
      expect(twos).toBe(4);
    }, 120_000);
  }
});
