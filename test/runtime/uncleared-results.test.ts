/**
 * Issue 12: a team job's result is allocated without clearing (tensor/tensor.ts `uncleared`;
 * runtime/team-operands.ts: the leader's bands written in place and the partners' copied in).
 * Every output must then be set by the kernels: each spec first leaves a freed block of the result's
 * size full of NaN in the heap (and checks that an uncleared array of that size gets it back), so a
 * kernel that skipped an element would answer NaN there instead of a zero.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convForward } from '../../src/ops/conv.js';
import type { ConvPlan } from '../../src/ops/conv.js';
import { linear } from '../../src/ops/linear.js';
import { maxPool2d } from '../../src/ops/pool.js';
import type { PoolPlan } from '../../src/ops/pool.js';
import { checkOperator, runOperator } from '../../src/runtime/operator.js';
import type { OperatorCall } from '../../src/runtime/operator.js';
import { bandsFor } from '../../src/runtime/bands.js';
import { collectYoung, detach } from '../../src/runtime/memory.js';
import { Team } from '../../src/runtime/team.js';
import { linearJob, maxPoolJob } from '../../src/runtime/team-kernels.js';
import { MODE_CHANNELS, MODE_ROWS } from '../../src/runtime/team-protocol.js';
import { rng } from '../../src/tensor/random.js';
import { tensor, uncleared } from '../../src/tensor/tensor.js';
import { readyTeam, untilPartnerBand } from './team-ready.js';

const random = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

/** A freed block of n floats full of NaN; true when an uncleared array of n floats got such a block back. */
function dirtyHeap(n: number): boolean {
  const block = uncleared(n);
  block.fill(NaN);
  detach(block.buffer as ArrayBuffer);
  collectYoung();
  const probe = uncleared(n);
  const reused = Number.isNaN(probe[n >> 1]);
  probe.fill(NaN);
  detach(probe.buffer as ArrayBuffer);
  collectYoung();
  return reused;
}

/** A freed NaN block of n floats left for the next uncleared array of n floats, tried until one was got back (at most 10 times), so that the spec can fail. */
function primeHeap(n: number): void {
  for (let i = 0; i < 10; i++) if (dirtyHeap(n)) return;
  throw new Error(`no uncleared array of ${n} floats got a freed block back in 10 tries`);
}

/** Elements that differ from `want` bit for bit (counted: a failing diff of 10^5 elements would take minutes to print). */
function differing(got: Float32Array, want: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) n++;
  return n + Math.abs(got.length - want.length);
}

function plan(cin: number, h: number, cout: number, k: number, groups = 1, stride = 1): ConvPlan {
  const pad = (k - 1) >> 1;
  const axis = { in: h, kernel: k, stride, dilation: 1, effKernel: k, padBegin: pad, padEnd: pad, out: Math.floor((h + 2 * pad - k) / stride) + 1 };
  return { n: 1, cin, cout, groups, geo: [axis, { ...axis }] };
}

describe('uncleared(n)', () => {
  it('n = 2^20: n floats in an ArrayBuffer of its own (4n bytes, offset 0) that can be transferred', () => {
    const a = uncleared(1 << 20);
    expect([a.length, a.byteOffset, a.buffer.byteLength]).toEqual([1 << 20, 0, 4 << 20]);
    expect(a.buffer).toBeInstanceOf(ArrayBuffer);
    const moved = structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
    expect([moved.byteLength, a.buffer.byteLength]).toEqual([4 << 20, 0]);
  });

  it('n = 100 (under 2^14): an ordinary zeroed array', () => {
    expect(Array.from(uncleared(100))).toEqual(new Array(100).fill(0));
  });
});

describe('results allocated uncleared: every element is set by the kernels', () => {
  let team: Team;
  beforeAll(async () => {
    team = await readyTeam(new Team({ partners: 1 }));
  }, 30_000);
  afterAll(() => team.close());

  const convs: [string, ConvPlan, number][] = [
    ['3×3 16→32 at 40×40, row bands (GEMM)', plan(16, 40, 32, 3), MODE_ROWS],
    ['3×3 16→320 at 8×8, channel bands (GEMM)', plan(16, 8, 320, 3), MODE_CHANNELS],
    ['depthwise 3×3 stride 3, 128 channels at 40×40, row bands (the scalar loop, which adds into its rows: cleared first)', plan(128, 40, 128, 3, 128, 3), MODE_ROWS],
  ];
  for (const [name, p, mode] of convs) {
    it(`a team conv ${name}: convForward's bits, no NaN`, () => {
      const x = random(p.cin * p.geo[0].in * p.geo[1].in, 1);
      const weight = random((p.cout * p.cin * 9) / p.groups, 2);
      const bias = random(p.cout, 3);
      const want = convForward(x, weight, bias, p);
      const outLen = want.length;
      untilPartnerBand(team, () => {
        primeHeap(outLen);
        const cut = bandsFor(p, 2)!;
        expect(cut.mode).toBe(mode);
        expect(differing(team.conv({ plan: p, x, weight, bias, ...cut, partners: 1 }), want)).toBe(0);
      });
    });
  }

  it('a team max pooling 3×3 stride 1 over 1×16×40×40 (16 planes in 2) and a linear layer 64→512 over 64 rows (512 features in 2): runOperator\'s bits, no NaN', () => {
    const call = (name: string, shape: number[], attributes: Record<string, unknown>, weights = {}): OperatorCall => ({ name, inputs: [tensor(shape, random(shape.reduce((a, b) => a * b, 1), 6))], attributes, weights, training: false, seed: 5, maxElements: 1 << 24 });
    const pool = call(maxPool2d.name, [1, 16, 40, 40], { kernelSize: 3, stride: 1, padding: 1 });
    const { geo } = checkOperator(pool).plan as PoolPlan;
    const poolWant = runOperator(pool).outputs[0].data;
    untilPartnerBand(team, () => {
      primeHeap(poolWant.length);
      expect(differing(team.run({ ...maxPoolJob(40, 40, geo), x: pool.inputs[0].data, outLen: poolWant.length, bounds: [0, 8, 16], partners: 1 }), poolWant)).toBe(0);
    });
    const fc = call(linear.name, [64, 64], { outFeatures: 512 }, { weight: tensor([512, 64], random(512 * 64, 7)), bias: tensor([512], random(512, 8)) });
    const fcWant = runOperator(fc).outputs[0].data;
    untilPartnerBand(team, () => {
      primeHeap(fcWant.length);
      expect(differing(team.run({ ...linearJob(64, 64, 512), x: fc.inputs[0].data, weight: fc.weights.weight.data, bias: fc.weights.bias.data, outLen: fcWant.length, bounds: [0, 256, 512], partners: 1 }), fcWant)).toBe(0);
    });
  });
});
