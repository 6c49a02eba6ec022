/**
 * Issue 12: an operator call's output computed by a worker's team goes straight into a shared buffer
 * the worker lends to the main thread with its answer (runtime/lent-answers.ts), every member
 * writing its own bands there, instead of the partners' bands being copied out of the arena. The
 * lending rules: only within a task's scope, one generation a lease, given back once (a compare-
 * exchange), never reused after a failed job; the team writes every element of a stale buffer; and
 * through a pool of two workers the answer arrives in a lent buffer whose slot the next call reuses
 * once the answer is released.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOperator } from '../../src/http/compute.js';
import { loadConfig } from '../../src/config.js';
import { convForward } from '../../src/ops/conv.js';
import type { ConvPlan } from '../../src/ops/conv.js';
import { bandsFor } from '../../src/runtime/bands.js';
import { LENT_MAX_BYTES, LENT_MIN_BYTES, LENT_SLOTS, LentAnswers, lentAnswers, leaseOf, noteLentDropped, returnLease, takeLeases } from '../../src/runtime/lent-answers.js';
import { collectGarbage, sharedDrops } from '../../src/runtime/collect.js';
import { collectIfOver, releaseBuffers, SHARED_DROP_LIMIT } from '../../src/runtime/memory.js';
import { runOperator } from '../../src/runtime/operator.js';
import { answerTask } from '../../src/runtime/task-answer.js';
import type { TaskResult } from '../../src/runtime/task-names.js';
import type { OperatorCall } from '../../src/runtime/operator.js';
import { createPool } from '../../src/runtime/pool.js';
import { Team } from '../../src/runtime/team.js';
import { MODE_ROWS } from '../../src/runtime/team-protocol.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import { readyTeam, untilPartnerBand } from './team-ready.js';

const random = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

/** 1 MiB of floats: the smallest output lent. */
const MIB = LENT_MIN_BYTES / 4;

describe('LentAnswers: a worker thread lends its answers in shared buffers', () => {
  it('outside lendingAnswers: null; inside, 2^18 floats (1 MiB): a view at offset 0 of a SharedArrayBuffer of 1 MiB', () => {
    const lent = new LentAnswers();
    expect(lent.lend(MIB)).toBeNull();
    const a = lent.lendingAnswers(() => lent.lend(MIB))!;
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([a.length, a.byteOffset, a.buffer.byteLength]).toEqual([MIB, 0, LENT_MIN_BYTES]);
  });

  it('an output under 1 MiB (2^18 − 1 floats) or over half of LENT_MAX_BYTES is not lent (null)', () => {
    const lent = new LentAnswers();
    expect(lent.lendingAnswers(() => lent.lend(MIB - 1))).toBeNull();
    expect(lent.lendingAnswers(() => lent.lend(LENT_MAX_BYTES / 8 + 1))).toBeNull();
    expect(lent.lendingAnswers(() => lent.lend(LENT_MAX_BYTES / 8))).not.toBeNull();
  });

  it('handOver: the lent buffer in the answer gets a lease (slot 0, generation 1); one lent but not answered is free again and lent next', () => {
    const lent = new LentAnswers();
    const [a, b] = lent.lendingAnswers(() => [lent.lend(MIB)!, lent.lend(MIB)!]);
    expect(a.buffer).not.toBe(b.buffer);
    const leases = lent.handOver(new Set([a.buffer as SharedArrayBuffer]));
    expect(leases.map((l) => [l.buffer === a.buffer, l.slot, l.gen])).toEqual([[true, 0, 1]]);
    expect(lent.lent).toBe(1);
    // b was not answered: free, and the next lend of its size is b's buffer again
    expect(lent.lendingAnswers(() => lent.lend(MIB))!.buffer).toBe(b.buffer);
  });

  it('a lease returned (the main thread\'s side): the next lend reuses its buffer; not returned, the next lend gets another', () => {
    const lent = new LentAnswers();
    const first = lent.lendingAnswers(() => lent.lend(MIB))!;
    takeLeases(lent.handOver(new Set([first.buffer as SharedArrayBuffer])));
    const second = lent.lendingAnswers(() => lent.lend(MIB))!;
    expect(second.buffer).not.toBe(first.buffer);
    lent.handOver(new Set());
    expect(returnLease(first.buffer as SharedArrayBuffer)).toBe(true);
    expect(lent.lendingAnswers(() => lent.lend(MIB))!.buffer).toBe(first.buffer);
  });

  it('a lease returned twice, or a stale one after its buffer was lent again: the second return finds no lease, and the new lease holds', () => {
    const lent = new LentAnswers();
    const a = lent.lendingAnswers(() => lent.lend(MIB))!;
    const [lease] = lent.handOver(new Set([a.buffer as SharedArrayBuffer]));
    takeLeases([lease]);
    expect(releaseBuffers([a.buffer])).toBe(LENT_MIN_BYTES);
    expect(releaseBuffers([a.buffer])).toBe(0);
    // lent again under a new generation; the old lease's compare-exchange cannot free it
    const again = lent.lendingAnswers(() => lent.lend(MIB))!;
    expect(again.buffer).toBe(a.buffer);
    const [newer] = lent.handOver(new Set([again.buffer as SharedArrayBuffer]));
    expect(newer.gen).toBe(lease.gen + 1);
    Atomics.compareExchange(new Int32Array(lease.table), lease.slot, lease.gen, 0);
    expect(lent.lent).toBe(1);
    expect(lent.lendingAnswers(() => lent.lend(MIB))!.buffer).not.toBe(a.buffer);
  });

  it(`${LENT_SLOTS} buffers out at once: the next lend is null (the caller writes a fresh array)`, () => {
    const lent = new LentAnswers();
    const out = lent.lendingAnswers(() => Array.from({ length: LENT_SLOTS }, () => lent.lend(MIB)!));
    lent.handOver(new Set(out.map((a) => a.buffer as SharedArrayBuffer)));
    expect(lent.lent).toBe(LENT_SLOTS);
    expect(lent.lendingAnswers(() => lent.lend(MIB))).toBeNull();
  });

  it('sizes: a free 2 MiB buffer takes a 1 MiB and a 1.5 MiB output (not over twice their size); a 31 MiB output beside 34 MiB free lets go of a free 16 MiB buffer (the largest first) to stay within 64 MiB', () => {
    const lent = new LentAnswers();
    const big = lent.lendingAnswers(() => lent.lend(2 * MIB))!;
    lent.handOver(new Set());
    expect(lent.lendingAnswers(() => lent.lend(MIB))!.buffer).toBe(big.buffer);
    lent.handOver(new Set());
    expect(lent.lendingAnswers(() => lent.lend(1.5 * MIB))!.buffer).toBe(big.buffer);
    lent.handOver(new Set());
    // 16 + 16 + 2 MiB free; 31 MiB asked: 34 + 31 > 64, so one 16 MiB buffer goes (p, the first of the largest)
    const [p, q] = lent.lendingAnswers(() => [lent.lend(16 * MIB)!, lent.lend(16 * MIB)!]);
    lent.handOver(new Set());
    expect(lent.bytes).toBe(34 * 2 ** 20);
    const large = lent.lendingAnswers(() => lent.lend(31 * MIB))!;
    expect(large.buffer.byteLength).toBe(31 * 2 ** 20);
    expect(lent.bytes).toBe(49 * 2 ** 20);
    lent.handOver(new Set());
    // q is still kept (and free), p is not: a 16 MiB output gets q's buffer
    expect(lent.lendingAnswers(() => lent.lend(16 * MIB))!.buffer).toBe(q.buffer);
    expect(p.buffer.byteLength).toBe(16 * 2 ** 20);
  });

  it('lent but never handed over (an in-process call, which its caller may still hold): the next scope lends another buffer', () => {
    const lent = new LentAnswers();
    const a = lent.lendingAnswers(() => lent.lend(MIB))!;
    const b = lent.lendingAnswers(() => lent.lend(MIB))!;
    expect(b.buffer).not.toBe(a.buffer);
    lent.handOver(new Set());
    expect(lent.lendingAnswers(() => lent.lend(MIB))!.buffer).toBe(b.buffer);
  });

  it('forget (its job failed): the buffer is never lent again; dropFree lets go of free buffers but keeps lent ones', () => {
    const lent = new LentAnswers();
    const [a, b, c] = lent.lendingAnswers(() => [lent.lend(MIB)!, lent.lend(MIB)!, lent.lend(MIB)!]);
    lent.forget(a);
    lent.handOver(new Set([b.buffer as SharedArrayBuffer]));
    expect(lent.bytes).toBe(2 * LENT_MIN_BYTES);
    const next = lent.lendingAnswers(() => lent.lend(MIB))!;
    expect([next.buffer === a.buffer, next.buffer === c.buffer]).toEqual([false, true]);
    lent.handOver(new Set());
    expect(lent.dropFree()).toBe(LENT_MIN_BYTES);
    expect([lent.bytes, lent.lent]).toEqual([LENT_MIN_BYTES, 1]);
  });

  it('every buffer let go of counts toward the thread\'s next collection (sharedDrops: V8 counts shared buffers nowhere): a free 16 MiB one for a 31 MiB output, a failed job\'s 2 MiB, an abandoned 1 MiB, dropFree\'s 31 MiB', () => {
    const lent = new LentAnswers();
    const dropped = () => sharedDrops.bytes - before;
    const before = sharedDrops.bytes;
    const [p, q] = lent.lendingAnswers(() => [lent.lend(16 * MIB)!, lent.lend(16 * MIB)!]);
    lent.handOver(new Set([q.buffer as SharedArrayBuffer]));
    expect(p.buffer.byteLength).toBe(16 * 2 ** 20);
    // 32 MiB kept (q lent, p free), 2 MiB more fits: nothing let go of
    lent.lendingAnswers(() => lent.lend(2 * MIB));
    lent.handOver(new Set());
    expect(dropped()).toBe(0);
    // 34 + 31 > 64: p, the largest free, goes
    lent.lendingAnswers(() => lent.lend(31 * MIB));
    lent.handOver(new Set());
    expect(dropped()).toBe(16 * 2 ** 20);
    // a failed job's buffer (forget: the free 2 MiB one), then a new 1 MiB one lent outside a task and abandoned by the next scope
    lent.lendingAnswers(() => lent.forget(lent.lend(2 * MIB)!));
    lent.handOver(new Set());
    expect(dropped()).toBe(18 * 2 ** 20);
    lent.lendingAnswers(() => lent.lend(MIB));
    lent.lendingAnswers(() => null);
    expect(dropped()).toBe(19 * 2 ** 20);
    // the free one (31 MiB; q is lent)
    expect(lent.dropFree()).toBe(31 * 2 ** 20);
    expect(dropped()).toBe(50 * 2 ** 20);
  });

  it('five output sizes (1, 2.5, 6, 13, 28 MiB) in turn through 4 slots: the 13 and 28 MiB buffers let go of each other; the thread collects (collectIfOver) once 64 MiB went, at the 14th call (13 + 28 + 13 + 28 MiB), not never', () => {
    const lent = new LentAnswers();
    const sizes = [1, 2.5, 6, 13, 28].map((m) => m * MIB);
    sharedDrops.bytes = 0;
    let calls = 0;
    let collected = false;
    // calls 1–4 fill the slots (22.5 MiB); the 5th lets go of 13 MiB for 28, the 9th of 28 for 13, the 10th of 13, the 14th of 28
    while (!collected && calls < 20) {
      lent.lendingAnswers(() => lent.lend(sizes[calls % sizes.length])!.fill(1));
      lent.handOver(new Set());
      calls++;
      collected = collectIfOver(Infinity);
    }
    expect([collected, calls]).toEqual([true, 14]);
    expect(SHARED_DROP_LIMIT).toBe(64 * 2 ** 20);
  });

  it('takeDropped: a buffer let go of after it was lent to the main thread is reported once (1 MiB); one never handed over (free since its task, or its job failed) is not', () => {
    const lent = new LentAnswers();
    const a = lent.lendingAnswers(() => lent.lend(MIB))!;
    const [lease] = lent.handOver(new Set([a.buffer as SharedArrayBuffer]));
    // the main thread gives it back
    Atomics.compareExchange(new Int32Array(lease.table), lease.slot, lease.gen, 0);
    lent.lendingAnswers(() => lent.lend(2 * MIB));
    lent.handOver(new Set());
    expect(lent.takeDropped()).toBe(0);
    expect(lent.dropFree()).toBe(3 * LENT_MIN_BYTES);
    expect([lent.takeDropped(), lent.takeDropped()]).toEqual([LENT_MIN_BYTES, 0]);
    lent.lendingAnswers(() => lent.forget(lent.lend(MIB)!));
    lent.handOver(new Set());
    expect(lent.takeDropped()).toBe(0);
  });

  it('a task\'s answer (answerTask) carries its lent buffer\'s lease, and the next one the 1 MiB of it the thread let go of once it came back (lentDropped)', () => {
    lentAnswers.takeDropped();
    const first = answerTask(() => lentAnswers.lendingAnswers(() => ({ out: lentAnswers.lend(MIB) })), undefined, undefined) as TaskResult<unknown>;
    const [lease] = first.leases!;
    expect([first.lentDropped, lease.buffer.byteLength]).toEqual([undefined, LENT_MIN_BYTES]);
    Atomics.compareExchange(new Int32Array(lease.table), lease.slot, lease.gen, 0);
    const next = answerTask(() => lentAnswers.dropFree(), undefined, undefined) as TaskResult<unknown>;
    expect(next.lentDropped).toBe(LENT_MIN_BYTES);
  });

  it('noteLentDropped (the main thread): false under 64 MiB of lent buffers let go of, true at it, and the collection it schedules finalizes an old-generation object dropped before (as a lease\'s buffer object pins its buffer)', async () => {
    const settle = async (done: () => boolean, ms: number) => {
      for (const until = Date.now() + ms; !done() && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
    };
    // whatever earlier files counted: flushed, its collection run
    noteLentDropped(LENT_MAX_BYTES);
    await new Promise((r) => setImmediate(r));
    let finalized = false;
    const registry = new FinalizationRegistry(() => {
      finalized = true;
    });
    const holder: { old: object | null } = { old: { buffer: new SharedArrayBuffer(16) } };
    registry.register(holder.old!, 0);
    // two scavenges: it is in the old generation, which only a full collection sweeps
    collectGarbage({ type: 'minor' });
    collectGarbage({ type: 'minor' });
    holder.old = null;
    collectGarbage({ type: 'minor' });
    await settle(() => finalized, 200);
    expect(finalized).toBe(false);
    expect(noteLentDropped(LENT_MAX_BYTES - 1)).toBe(false);
    expect(noteLentDropped(1)).toBe(true);
    await settle(() => finalized, 5000);
    expect(finalized).toBe(true);
  });

  it('a lease the main thread drops unreturned goes back once its buffer is collected there', async () => {
    const lent = new LentAnswers();
    const a = lent.lendingAnswers(() => lent.lend(MIB))!;
    // the main thread's copy of the lease: a buffer object of its own (as a message gives it), which it then drops
    const table = lent.handOver(new Set([a.buffer as SharedArrayBuffer]))[0];
    takeLeases([{ ...table, buffer: structuredClone(table.buffer) }]);
    expect(lent.lent).toBe(1);
    const until = Date.now() + 20_000;
    while (lent.lent > 0 && Date.now() < until) {
      collectGarbage();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(lent.lent).toBe(0);
  });
});

function plan(cin: number, h: number, cout: number): ConvPlan {
  const axis = { in: h, kernel: 3, stride: 1, dilation: 1, effKernel: 3, padBegin: 1, padEnd: 1, out: h };
  return { n: 1, cin, cout, groups: 1, geo: [axis, { ...axis }] };
}

describe('a team conv into a lent buffer', () => {
  let team: Team;
  beforeAll(async () => {
    team = await readyTeam(new Team({ partners: 1 }));
  }, 30_000);
  afterAll(() => team.close());

  it('3×3 32→64 at 64×64, row bands, into a stale buffer full of NaN: convForward\'s bits, written in place (the answer is that buffer; nothing copied out)', () => {
    const p = plan(32, 64, 64);
    const x = random(32 * 64 * 64, 1);
    const weight = random(64 * 32 * 9, 2);
    const bias = random(64, 3);
    const want = convForward(x, weight, bias, p);
    const lent = new LentAnswers();
    const job = untilPartnerBand(team, () => {
      const into = lent.lendingAnswers(() => lent.lend(want.length))!;
      into.fill(NaN);
      const cut = bandsFor(p, 2)!;
      expect(cut.mode).toBe(MODE_ROWS);
      const got = team.conv({ plan: p, x, weight, bias, ...cut, partners: 1, into });
      expect(got).toBe(into);
      let differ = 0;
      for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) differ++;
      expect(differ).toBe(0);
      lent.handOver(new Set());
    });
    expect(job.earlyCopies).toBe(0);
  });
});

describe('through a pool of two workers: an operator call\'s answer in a lent buffer', () => {
  const pool = createPool(loadConfig({ WORKERS: '2' }));
  afterAll(() => pool.close());
  // a 3×3 conv 32→32 at 96×96: 85 M MACs (split), its output 1.18 MB (lent)
  const call = (): OperatorCall => ({ name: 'conv2d', inputs: [tensor([1, 32, 96, 96], random(32 * 96 * 96, 4))], attributes: { padding: 1 }, weights: { weight: tensor([32, 32, 3, 3], random(32 * 32 * 9, 5)), bias: tensor([32], random(32, 6)) }, training: false, seed: 0, maxElements: 1 << 24 });

  it('split across the worker and its partner: the answer lies in a lent SharedArrayBuffer with runOperator\'s bits; kept, each answer in a slot of its own; released, the next answers in slots lent before', async () => {
    const expected = runOperator(call()).outputs[0].data;
    const same = (got: Float32Array) => {
      let differ = 0;
      for (let i = 0; i < expected.length; i++) if (!Object.is(got[i], expected[i])) differ++;
      return differ;
    };
    // the first split spawns the partner: calls until one is split, each released as the route does
    let r = await callOperator(pool, call());
    for (const until = Date.now() + 60_000; r.extra.workers !== 2 && Date.now() < until; ) {
      releaseBuffers(r.outputs.map((t) => t.data.buffer));
      await new Promise((res) => setTimeout(res, 20));
      r = await callOperator(pool, call());
    }
    expect(r.extra.workers).toBe(2);
    const first = r.outputs[0].data as Float32Array;
    expect(first.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(same(first)).toBe(0);
    const lease = leaseOf(first.buffer)!;
    expect(lease).not.toBeNull();
    // kept (not released): a later split call on the same worker answers in another slot
    const held = [first];
    const where = (a: Float32Array) => {
      const l = leaseOf(a.buffer)!;
      return `${l.thread}:${l.slot}`;
    };
    // three more split answers kept (a call the partner took no part in is skipped and released, as the
    // first loop does: its answer may hold a lent slot too, its job having been opened to the partner;
    // kept, it left a later split answer no slot on a loaded machine; counted, so that the slots are
    // compared at all: with no split it passed)
    const slots = new Set([where(first)]);
    for (const until = Date.now() + 60_000; held.length < 4 && Date.now() < until; ) {
      const kept = await callOperator(pool, call());
      const out = kept.outputs[0].data as Float32Array;
      expect(same(out)).toBe(0);
      if (kept.extra.workers !== 2) {
        releaseBuffers([out.buffer]);
        continue;
      }
      expect(slots.has(where(out)), `slot ${where(out)} lent twice at once`).toBe(false);
      slots.add(where(out));
      held.push(out);
    }
    expect(slots.size).toBe(4);
    // all released: the next split calls answer in slots lent before (their pages mapped), values right
    const before = new Set(slots);
    releaseBuffers(held.map((a) => a.buffer));
    expect(held.map((a) => leaseOf(a.buffer))).toEqual(held.map(() => null));
    let reused = 0;
    for (const until = Date.now() + 60_000; reused < 3 && Date.now() < until; ) {
      const next = await callOperator(pool, call());
      const out = next.outputs[0].data as Float32Array;
      expect(same(out)).toBe(0);
      if (next.extra.workers === 2) {
        expect(before.has(where(out)), `slot ${where(out)} not among ${[...before].join(', ')}`).toBe(true);
        reused++;
      }
      releaseBuffers([out.buffer]);
    }
    expect(reused).toBe(3);
  }, 240_000);
});
