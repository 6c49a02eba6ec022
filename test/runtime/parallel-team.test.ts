/**
 * Issue 12: the persistent team (runtime/team.ts): a leader (this test's thread) and a partner
 * thread sharing the control block and the arena (operands, weights, outputs) in SharedArrayBuffers.
 * Every split gives the bits of the one-thread kernel (convForward), whatever the bands, with a
 * fused activation applied by every member to its bands; a
 * partner that dies holding a band, or stalls, fails the job with PARTNER_FAILED in bounded time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convForward } from '../../src/ops/conv.js';
import type { ConvPlan } from '../../src/ops/conv.js';
import { BANDS_PER_THREAD, bandsFor, partnerBands } from '../../src/runtime/bands.js';
import { Team } from '../../src/runtime/team.js';
import { DONE, MODE_ROWS } from '../../src/runtime/team-protocol.js';
import { OPS_BY_NAME } from '../../src/ops/registry.js';
import { rng } from '../../src/tensor/random.js';
import { ConvlensError } from '../../src/errors.js';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { collectGarbage } from '../../src/runtime/collect.js';
import { lastingShared } from '../../src/runtime/team-weights.js';
import { readyTeam, untilPartnerBand } from './team-ready.js';
import { convPlan as plan } from './conv-plans.js';

const random = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

function conv(p: ConvPlan, seed: number, bias = true) {
  const x = random(p.n * p.cin * p.geo[0].in * p.geo[1].in, seed);
  const weight = random(p.cout * (p.cin / p.groups) * p.geo[0].kernel * p.geo[1].kernel, seed + 1);
  const b = bias ? random(p.cout, seed + 2) : undefined;
  return { x, weight, bias: b };
}


/** Input floats the partners' bands read, staged for them: rows from band 1's top tap down (stride 1, padding 1 here) of every plane; all of x for channel bands. */
const partnerInput = (p: ConvPlan, l: { mode: number; bounds: number[] }) =>
  p.n * p.cin * p.geo[1].in * (l.mode === MODE_ROWS ? p.geo[0].in - (l.bounds[1] - 1) : p.geo[0].in);

async function rejection(fn: () => unknown): Promise<ConvlensError> {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConvlensError) return e;
    throw e;
  }
  throw new Error('expected a ConvlensError, the job succeeded');
}

describe('a team of the leader and one partner thread', () => {
  let team: Team;
  beforeAll(async () => {
    team = await readyTeam(new Team({ partners: 1 }));
  }, 30_000);
  afterAll(() => team.close());

  const cases: [string, ConvPlan, boolean][] = [
    ['3×3 16→32 at 7×7, bias: channel bands (32 in 2; 49 positions < 2·32)', plan(1, 16, 7, 7, 32, 3), true],
    ['3×3 64→64 at 7×7 (ResNet layer4): channel bands', plan(1, 64, 7, 7, 64, 3), true],
    ['1×1 32→128 at 7×7, no bias: channel bands', plan(1, 32, 7, 7, 128, 1), false],
    ['3×3 stride 2 16→20 at 29×29 (15 rows, 20 channels not two fours): uneven row bands', plan(1, 16, 29, 29, 20, 3, 2), true],
    ['3×3 16→20 at 24×24 (20 channels not two fours): row bands (24 rows in 2)', plan(1, 16, 24, 24, 20, 3), true],
    ['2 images, 3×3 8→8 at 14×14: row bands of both images', plan(2, 8, 14, 14, 8, 3), true],
    ['depthwise 3×3, 32 channels at 28×28: row bands', plan(1, 32, 28, 28, 32, 3, 1, 32), true],
    ['7×7 stride 2 3→16 at 224×224 (a stem: 12,544 positions): row bands', plan(1, 3, 224, 224, 16, 7, 2), true],
    ['3×3 2048→256 at 8×8 (DeepLabV3 ASPP; K = 18,432 is depth-tiled): row bands, whose sums group as the whole conv\'s', plan(1, 2048, 8, 8, 256, 3), true],
    ['1×1 512→8192 at 7×7 with a bias (the whole conv tiled by rows of A: not staged, its bias added after the GEMM, where a channel band of one tile would start from it): row bands, one of 7 positions', plan(1, 512, 7, 7, 8192, 1), true],
    ['1×1 2048→2048 at 7×7 with a bias (ResNeXt-101\'s layer4: depth-tiled): row bands, one of 7 positions (the whole conv\'s kernel, not the few-columns loop)', plan(1, 2048, 7, 7, 2048, 1), true],
  ];
  for (const [name, p, bias] of cases) {
    it(`${name}: the same bits as convForward`, () => {
      const { x, weight, bias: b } = conv(p, 11, bias);
      // as teamConv cuts it for two threads
      const layout = bandsFor(p, 2 * BANDS_PER_THREAD)!;
      const out = team.conv({ plan: p, x, weight, bias: b, ...layout, partners: 1 });
      const want = convForward(x, weight, b, p);
      // counted, not diffed: a failing 401,408-element comparison would take minutes to print
      let differ = 0;
      for (let i = 0; i < want.length; i++) if (!Object.is(out[i], want[i])) differ++;
      expect(out.length).toBe(want.length);
      expect(differ).toBe(0);
    });
  }

  it('uneven bands (the leader 28 of 64 channels, or 6 of 15 rows): the same bits as convForward; the partner reports its time and units', () => {
    for (const [p, share] of [[plan(1, 16, 7, 7, 64, 3), 0.45], [plan(1, 16, 29, 29, 20, 3, 2), 0.4]] as const) {
      const { x, weight, bias } = conv(p, 17);
      const want = Array.from(convForward(x, weight, bias, p));
      const units = p.cout === 64 ? 64 : p.geo[0].out;
      // until the partner computed a band (a loaded machine may leave the leader all of them): its
      // time and units were checked only if it had, and passed unchecked when it had not
      const j = untilPartnerBand(team, () => {
        const out = team.conv({ plan: p, x, weight, bias, ...bandsFor(p, 2, share)!, partners: 1 });
        expect(Array.from(out)).toEqual(want);
        expect(team.lastJob.leaderUnits + team.lastJob.partnerUnits).toBe(units);
      });
      expect(j.partnerUnits).toBeGreaterThan(0);
      expect(j.partnerMs).toBeGreaterThan(0);
    }
  });

  it('the partner takes bands: of 8 row bands of a 3×3 64→64 conv at 64×64, it computes some (within 20 s of jobs on a loaded machine), and says when it started: lagMs within the job, null when it took none', () => {
    const p = plan(1, 64, 64, 64, 64, 3);
    const { x, weight, bias } = conv(p, 5);
    const bounds = Array.from({ length: 9 }, (_, i) => i * 8);
    const expected = Array.from(convForward(x, weight, bias, p));
    const job = untilPartnerBand(team, () => {
      const out = team.conv({ plan: p, x, weight, bias, mode: MODE_ROWS, bounds, partners: 1 });
      expect(Atomics.load(team.ctl, DONE)).toBe(8);
      expect(team.lastJob.bands).toBe(8);
      // a job whose bands the leader took all of: no partner started one
      if (team.lastJob.leaderBands === 8) expect(team.lastJob.lagMs).toBeNull();
      expect(Array.from(out)).toEqual(expected);
    });
    expect(8 - job.leaderBands).toBeGreaterThan(0);
    // it started before the job ended (the notify, the leader's bands and its wait)
    expect(job.lagMs).not.toBeNull();
    expect(job.lagMs!).toBeLessThanOrEqual(job.wakeMs + job.ownMs + job.waitMs + 1);
  });

  it('twenty jobs in a row (staging and weights reused, one weight array placed once): each the bits of convForward', () => {
    const p = plan(1, 16, 20, 20, 16, 3);
    const shared = conv(p, 3);
    for (let j = 0; j < 20; j++) {
      const x = random(16 * 20 * 20, 100 + j);
      const out = team.conv({ plan: p, x, weight: shared.weight, bias: shared.bias, ...bandsFor(p, 2)!, partners: 1 });
      expect(Array.from(out)).toEqual(Array.from(convForward(x, shared.weight, shared.bias, p)));
    }
  });

  it('weights in SharedArrayBuffers of their own (a cached model\'s): the partners read them in place (nothing of them staged), by rows and by channels, two weights in turn and again; the bits of convForward with the partner computing bands', () => {
    const toShared = (a: Float32Array) => {
      const s = new Float32Array(lastingShared(new SharedArrayBuffer(a.byteLength)));
      s.set(a);
      return s;
    };
    for (const p of [plan(1, 16, 24, 24, 20, 3), plan(1, 16, 7, 7, 32, 3)]) {
      const first = conv(p, 41);
      const second = conv(p, 51);
      const weights = [toShared(first.weight), toShared(second.weight)];
      for (const round of [0, 1]) {
        for (const [i, weight] of weights.entries()) {
          const { x, bias } = i === 0 ? first : second;
          const expected = Array.from(convForward(x, weight, bias, p));
          untilPartnerBand(team, () => {
            const out = team.conv({ plan: p, x, weight, bias, ...bandsFor(p, 4)!, partners: 1 });
            expect(Array.from(out), `round ${round}, weight ${i}`).toEqual(expected);
            expect(team.lastJob.sharedWeight).toBe(true);
            // the input rows the partners read and the bias, not the weight
            expect(team.lastJob.stagedFloats).toBe(partnerInput(p, bandsFor(p, 4)!) + p.cout);
          });
        }
      }
      // the same weight in a plain array is copied in for the partners: all of it for row bands, the partners' channels for channel bands
      const { x, weight, bias } = first;
      const layout = bandsFor(p, 4)!;
      team.conv({ plan: p, x, weight, bias, ...layout, partners: 1 });
      expect(team.lastJob.sharedWeight).toBe(false);
      const copied = layout.mode === MODE_ROWS ? weight.length : weight.length - (layout.bounds[1] * weight.length) / p.cout;
      expect(team.lastJob.stagedFloats).toBe(partnerInput(p, layout) + copied + p.cout);
    }
  });

  it('an input in a SharedArrayBuffer of its own (a large .npy part, http/shared-bodies.ts), at an offset into it: the partners read it in place (nothing of it staged), by rows and by channels, and a second input in the same buffer after the first is rewritten; the bits of convForward with the partner computing bands', () => {
    for (const p of [plan(1, 16, 24, 24, 20, 3), plan(1, 16, 7, 7, 32, 3)]) {
      const first = conv(p, 71);
      const second = conv(p, 81);
      const layout = bandsFor(p, 4)!;
      // one buffer reused for both inputs, as the route's pool reuses it between requests; x 64 bytes in
      const buffer = new SharedArrayBuffer(64 + first.x.byteLength);
      const x = new Float32Array(buffer, 64, first.x.length);
      for (const [i, c] of [first, second].entries()) {
        x.set(c.x);
        const expected = Array.from(convForward(c.x, c.weight, c.bias, p));
        untilPartnerBand(team, () => {
          const out = team.conv({ plan: p, x, weight: c.weight, bias: c.bias, ...layout, partners: 1 });
          expect(Array.from(out), `input ${i}`).toEqual(expected);
          // the weights the partners read (all of them for row bands, their channels for channel bands) and the bias, not x
          const copied = layout.mode === MODE_ROWS ? c.weight.length : c.weight.length - (layout.bounds[1] * c.weight.length) / p.cout;
          expect(team.lastJob.stagedFloats).toBe(copied + p.cout);
        });
      }
    }
  });

  it('inputs in shared buffers are not kept by the partner once their jobs are over: eight 32 MiB buffers (each arriving in a new object, as a task\'s do), each read in place by one job, then dropped: the process\'s memory comes back (it stayed 256 MiB up until the team closed)', async () => {
    const MiB = 2 ** 20;
    const p = plan(1, 16, 32, 32, 16, 3);
    const layout = bandsFor(p, 4)!;
    const { weight } = conv(p, 91);
    // a new object for the same memory, as postMessage hands a worker a task's SharedArrayBuffer
    const received = (b: SharedArrayBuffer) => {
      const { port1, port2 } = new MessageChannel();
      port1.postMessage(b);
      const m = receiveMessageOnPort(port2)!.message as SharedArrayBuffer;
      port1.close();
      return m;
    };
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        collectGarbage();
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await settle();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 8; i++) {
      const b = new SharedArrayBuffer(32 * MiB);
      // the pages faulted in, as a body read into it
      new Uint8Array(b).fill(1);
      const x = new Float32Array(received(b), 0, p.cin * 32 * 32);
      untilPartnerBand(team, () => team.conv({ plan: p, x, weight, bias: undefined, ...layout, partners: 1 }));
    }
    await settle();
    expect((process.memoryUsage().rss - before) / MiB).toBeLessThan(96);
  });

  it('row bands stage only the input rows the partners read (a 7×7 stride-2 stem, padding 3, 3→16 at 64×64: 32 rows in 2; band 1 starts at input row 16·2 − 3 = 29), the arena\'s free memory poisoned with NaN first: the bits of convForward', () => {
    const p = plan(1, 3, 64, 64, 16, 7, 2);
    const { x, weight, bias } = conv(p, 61);
    const expected = Array.from(convForward(x, weight, bias, p));
    const cut = bandsFor(p, 2)!;
    expect(cut).toEqual({ mode: MODE_ROWS, bounds: [0, 16, 32] });
    untilPartnerBand(team, () => {
      const poison = team.arena.alloc(1 << 16);
      poison.fill(NaN);
      team.arena.release(poison);
      expect(Array.from(team.conv({ plan: p, x, weight, bias, ...cut, partners: 1 }))).toEqual(expected);
    });
    // input rows 29–63 of the 3 planes, the whole weight (a row band reads every kernel), the bias
    expect(team.lastJob.stagedFloats).toBe(3 * 64 * 35 + 16 * 3 * 49 + 16);
  });

  describe('a fused activation (leaky ReLU 0.1: not idempotent, so applied twice or not at all would show) applied by every member to its bands', () => {
    const leaky = { op: OPS_BY_NAME.get('leakyRelu')!, attrs: { negativeSlope: 0.1 }, residual: null };
    const activated = (y: Float32Array) => Array.from(y, (v) => (v > 0 ? v : Math.fround(0.1 * v)));
    const epiCases: [string, ConvPlan, boolean][] = [
      ['3×3 16→32 at 7×7: channel bands, mapped in the GEMM copy-out', plan(1, 16, 7, 7, 32, 3), true],
      ['3×3 16→20 at 24×24: row bands', plan(1, 16, 24, 24, 20, 3), true],
      ['1×1 32→128 at 7×7, no bias (the bias-less path adds no bias in the GEMM: mapped after the band)', plan(1, 32, 7, 7, 128, 1), false],
      ['depthwise 3×3, 32 channels at 28×28 (no GEMM: mapped after the band)', plan(1, 32, 28, 28, 32, 3, 1, 32), true],
    ];
    for (const [name, p, bias] of epiCases) {
      it(`${name}: convForward then the activation, bit for bit, with the partner computing a band, into a fresh array and into the arena`, () => {
        const { x, weight, bias: b } = conv(p, 21, bias);
        const expected = activated(convForward(x, weight, b, p));
        for (const inArena of [false, true]) {
          // until the partner computed a band (a job this small the leader may take whole on a busy machine)
          untilPartnerBand(team, () => {
            const out = team.conv({ plan: p, x, weight, bias: b, ...bandsFor(p, 2)!, partners: 1, inArena, epilogue: leaky });
            expect(out.buffer instanceof SharedArrayBuffer).toBe(inArena);
            expect(Array.from(out)).toEqual(expected);
            if (inArena) team.arena.release(out);
          });
        }
      });
    }
  });

  describe('a residual added to the bands before the activation (a bottleneck\'s last conv: conv + identity, then ReLU or leaky ReLU 0.1)', () => {
    const ops = { relu: OPS_BY_NAME.get('relu')!, leaky: OPS_BY_NAME.get('leakyRelu')! };
    const resCases: [string, ConvPlan][] = [
      ['3×3 16→32 at 7×7: channel bands', plan(1, 16, 7, 7, 32, 3)],
      ['3×3 16→20 at 24×24: row bands (every channel\'s rows: strided parts)', plan(1, 16, 24, 24, 20, 3)],
      ['depthwise 3×3, 32 channels at 28×28', plan(1, 32, 28, 28, 32, 3, 1, 32)],
    ];
    for (const [name, p] of resCases) {
      it(`${name}: (conv + residual) then the activation, bit for bit, the residual given as an array, as an arena region, and with no activation`, () => {
        const { x, weight, bias } = conv(p, 41);
        const y = convForward(x, weight, bias, p);
        const r = random(y.length, 43);
        const sum = Float32Array.from(y, (v, i) => v + r[i]);
        const variants: [string, { op: (typeof ops)['relu'] | null; attrs: unknown }, number[]][] = [
          ['relu', { op: ops.relu, attrs: {} }, Array.from(sum, (v) => (v > 0 ? v : 0))],
          ['leaky', { op: ops.leaky, attrs: { negativeSlope: 0.1 } }, Array.from(sum, (v) => (v > 0 ? v : Math.fround(0.1 * v)))],
          ['none', { op: null, attrs: undefined }, Array.from(sum)],
        ];
        for (const [, act, expected] of variants) {
          for (const inArena of [false, true]) {
            untilPartnerBand(team, () => {
              const residual = inArena ? team.arena.alloc(r.length) : r;
              if (inArena) residual.set(r);
              const out = team.conv({ plan: p, x, weight, bias, ...bandsFor(p, 2)!, partners: 1, inArena, epilogue: { ...act, residual } });
              expect(Array.from(out)).toEqual(expected);
              expect(Array.from(residual)).toEqual(Array.from(r));
              if (inArena) [out, residual].forEach((a) => team.arena.release(a));
            });
          }
        }
      });
    }
  });

  it('into the arena: x read in place from an arena view at an unaligned offset (one float in), the output in a reused region full of NaN: the bits of convForward (channel bands; a depthwise conv, whose kernel accumulates)', () => {
    for (const p of [plan(1, 16, 7, 7, 32, 3), plan(1, 32, 28, 28, 32, 3, 1, 32)]) {
      const { x, weight, bias } = conv(p, 31);
      const expected = Array.from(convForward(x, weight, bias, p));
      const outLen = p.cout * p.geo[0].out * p.geo[1].out;
      untilPartnerBand(team, () => {
        const held = team.arena.alloc(x.length + 1);
        const xs = held.subarray(1);
        xs.set(x);
        team.arena.release(team.arena.alloc(outLen).fill(NaN));
        const out = team.conv({ plan: p, x: xs, weight, bias, ...bandsFor(p, 2)!, partners: 1, inArena: true });
        expect(Array.from(out)).toEqual(expected);
        team.arena.release(out);
        team.arena.release(held);
      });
    }
  });

  describe('a row-band job whose input the leader stages and whose output it copies out (team-protocol.ts STAGED, BAND_DONE)', () => {
    const poisonArena = () => {
      const poison = team.arena.alloc(1 << 24);
      poison.fill(NaN);
      team.arena.release(poison);
    };

    /**
     * 3×3 32→16 at 64×64 cut at `bounds`, a new input each job (seeds from `seed`), the arena full of
     * NaN before each: the bits of convForward, once the partner computed all its bands (within 20 s
     * of jobs: the leader's rows outlast the partner's, so once awake in time it takes them all), with
     * every partner row staged (`rows` of the 32 planes, the weight, the bias), some after the open.
     */
    const stagedInBands = (bounds: number[], seed: number, rows: number) => {
      const p = plan(1, 32, 64, 64, 16, 3);
      for (let j = 0; j < 3; j++) {
        const { x, weight, bias } = conv(p, seed + j);
        const expected = Array.from(convForward(x, weight, bias, p));
        const until = Date.now() + 20_000;
        do {
          poisonArena();
          expect(Array.from(team.conv({ plan: p, x, weight, bias, mode: MODE_ROWS, bounds, partners: 1 })), `input ${j}`).toEqual(expected);
          if (Date.now() > until) throw new Error('the partner never computed all its bands within 20 s');
        } while (team.lastJob.leaderBands > 1);
        // as when everything went in before the open
        expect(team.lastJob.stagedFloats).toBe(32 * 64 * rows + weight.length + 16);
        expect(team.lastJob.lateStageMs).toBeGreaterThan(0);
      }
    };

    it('3×3 32→16 at 64×64 in [0, 44, 54, 64]: band 1\'s input rows (43–54) staged before the job opens, band 2\'s (55–63) after; the partner computing both its bands: the bits of convForward, and input rows 43–63 staged', () => {
      stagedInBands([0, 44, 54, 64], 70, 21);
    });

    it('the same conv in partnerBands([0, 40, 64]) = [0, 40, 41, 47, 58, 64]: band 1\'s input rows (39–41) staged before the job opens, bands 2 to 4\'s (42–63) after; the partner computing all four bands: the bits of convForward, and input rows 39–63 staged', () => {
      expect(partnerBands([0, 40, 64])).toEqual([0, 40, 41, 47, 58, 64]);
      stagedInBands([0, 40, 41, 47, 58, 64], 90, 25);
    });

    it('a partner that claims a band whose rows are not in yet waits for them: 3×3 512→8 at 128×128 in [0, 1, 2, 128] (band 1 one row; band 2 126 rows, 33 MB staged after the open), the partner spinning when the job opens, the arena full of NaN: the bits of convForward', () => {
      const p = plan(1, 512, 128, 128, 8, 3);
      const bounds = [0, 1, 2, 128];
      const spin = team.spinMs;
      // a spinning partner starts band 1 at once and claims band 2 long before its rows are in
      team.spinMs = 200;
      try {
        for (let j = 0; j < 3; j++) {
          const { x, weight, bias } = conv(p, 80 + j);
          const expected = convForward(x, weight, bias, p);
          poisonArena();
          const job = untilPartnerBand(team, () => {
            const out = team.conv({ plan: p, x, weight, bias, mode: MODE_ROWS, bounds, partners: 1 });
            let differ = 0;
            for (let i = 0; i < expected.length; i++) if (!Object.is(out[i], expected[i])) differ++;
            expect(differ, `input ${j}`).toBe(0);
          });
          expect(job.lateStageMs).toBeGreaterThan(0);
        }
      } finally {
        team.spinMs = spin;
      }
    }, 60_000);

    it('the partner\'s bands are copied out as they finish, between the leader\'s own: 3×3 32→32 at 64×64 in [0, 56, 60, 64] (the leader 56 rows, the partner 4 and 4), earlyCopies the partner\'s bands (within 20 s of jobs); the bits of convForward', () => {
      const p = plan(1, 32, 64, 64, 32, 3);
      const { x, weight, bias } = conv(p, 90);
      const expected = Array.from(convForward(x, weight, bias, p));
      const until = Date.now() + 20_000;
      for (;;) {
        const job = untilPartnerBand(team, () => {
          expect(Array.from(team.conv({ plan: p, x, weight, bias, mode: MODE_ROWS, bounds: [0, 56, 60, 64], partners: 1 }))).toEqual(expected);
        });
        // a partner held up past the leader's band leaves the copy to after the wait, counted there
        expect(job.earlyCopies).toBeLessThanOrEqual(job.bands - job.leaderBands);
        if (job.earlyCopies > 0) break;
        if (Date.now() > until) throw new Error('no partner band was copied out before the wait within 20 s');
      }
    });

    it('into the arena (inArena): nothing is copied out, early or late (earlyCopies 0)', () => {
      const p = plan(1, 32, 64, 64, 32, 3);
      const { x, weight, bias } = conv(p, 91);
      const expected = Array.from(convForward(x, weight, bias, p));
      untilPartnerBand(team, () => {
        const out = team.conv({ plan: p, x, weight, bias, mode: MODE_ROWS, bounds: [0, 56, 60, 64], partners: 1, inArena: true });
        expect(Array.from(out)).toEqual(expected);
        team.arena.release(out);
        expect(team.lastJob.earlyCopies).toBe(0);
      });
    });
  });

  it('partners: 0 admits none: the leader computes every band alone, same bits; no partner started (lagMs null)', () => {
    const p = plan(1, 8, 16, 16, 8, 3);
    const { x, weight, bias } = conv(p, 9);
    expect(Array.from(team.conv({ plan: p, x, weight, bias, ...bandsFor(p, 2)!, partners: 0 }))).toEqual(Array.from(convForward(x, weight, bias, p)));
    expect(team.lastJob.partnerUnits).toBe(0);
    expect(team.lastJob.lagMs).toBeNull();
  });
});

describe('a partner that fails', () => {
  const p = plan(1, 8, 64, 64, 8, 3);
  const { x, weight, bias } = conv(p, 21);
  // many bands: the partner, once awake, is sure to claim one while the leader still computes
  const bounds = Array.from({ length: 33 }, (_, i) => i * 2);

  it('dies holding a band (its thread exits): PARTNER_FAILED at once, not a hang; the team is broken', async () => {
    const team = await readyTeam(new Team({ partners: 1, partnerEntry: new URL('./parallel-partners.ts?die', import.meta.url), stallMs: 60_000 }));
    try {
      const started = performance.now();
      let e: ConvlensError | null = null;
      // a loaded machine may wake the partner after the leader took every band: try until it holds one
      for (let tries = 0; tries < 50 && !e; tries++) {
        try {
          team.conv({ plan: p, x, weight, bias, mode: MODE_ROWS, bounds, partners: 1 });
        } catch (err) {
          e = err as ConvlensError;
        }
      }
      expect(e).toBeInstanceOf(ConvlensError);
      expect(e!.code).toBe('PARTNER_FAILED');
      expect(e!.message).toMatch(/died while it computed a band/);
      expect(performance.now() - started).toBeLessThan(30_000);
      expect((await rejection(() => team.conv({ plan: p, x, weight, bias, mode: MODE_ROWS, bounds, partners: 1 }))).code).toBe('PARTNER_FAILED');
      expect(team.exited()).toBe(true);
    } finally {
      await team.close();
    }
  }, 60_000);

  it('stalls holding a band: PARTNER_FAILED after the stall limit (200 ms here), not a hang', async () => {
    const team = await readyTeam(new Team({ partners: 1, partnerEntry: new URL('./parallel-partners.ts?stall', import.meta.url), stallMs: 200 }));
    try {
      let e: ConvlensError | null = null;
      for (let tries = 0; tries < 50 && !e; tries++) {
        try {
          team.conv({ plan: p, x, weight, bias, mode: MODE_ROWS, bounds, partners: 1 });
        } catch (err) {
          e = err as ConvlensError;
        }
      }
      expect(e?.code).toBe('PARTNER_FAILED');
      expect(e!.message).toMatch(/did not finish its band .* within \d+ ms/);
    } finally {
      await team.close();
    }
  }, 60_000);
});
