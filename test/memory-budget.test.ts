/**
 * A request's charges (memory-budget.ts chargeTo) when its own tasks running at once hold more
 * than the budget together: the call refuses at once (503 OVERLOADED, a later ask's answer), and
 * `wait` (a task's first ask, runtime/memory-grant.ts) waits for one of them to release and asks
 * again, within its bound, or until its task is stopped. Each case: a 24 MiB budget, tasks asking
 * 16 MiB each from the body (two of them, 32 MiB, are over it; either alone is not).
 */
import { describe, expect, it } from 'vitest';
import { chargeTo, MemoryBudget, refusedForOwnTasks } from '../src/memory-budget.js';

const MiB = 1024 * 1024;
const PEAK = 16 * MiB;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function request(total = 24 * MiB) {
  const budget = new MemoryBudget(total);
  const reservation = budget.tryReserve(0)!;
  const charges = chargeTo(budget, reservation);
  return { budget, reservation, charges };
}

/** The promise's outcome so far, without waiting for it. */
function watch(p: Promise<void>) {
  const seen: { state: 'pending' | 'done' | 'refused'; error?: unknown } = { state: 'pending' };
  p.then(
    () => (seen.state = 'done'),
    (e: unknown) => Object.assign(seen, { state: 'refused', error: e }),
  );
  return seen;
}

describe("chargeTo's wait: a task's first ask waits for the request's own other tasks to release", () => {
  it('16 MiB held by one task, 16 MiB more asked on a 24 MiB budget: the call is 503 OVERLOADED at once; the wait is still pending 50 ms later, and answers at the first release, the request then holding 16 MiB (not 32)', async () => {
    const { budget, charges } = request();
    charges(PEAK, 'run a', true);
    let refused: unknown;
    try {
      charges(PEAK, 'run b', true);
    } catch (e) {
      refused = e;
    }
    expect(refused).toMatchObject({ code: 'OVERLOADED', message: `run b needs about ${PEAK} more, and with the request's other tasks running now that is more than the whole ${24 * MiB}-byte memory budget (MEMORY_BUDGET_BYTES); retry later` });
    expect(refusedForOwnTasks(refused)).toBe(true);
    const b = watch(charges.wait!(PEAK, 'run b', { waitMs: 20_000, signal: new AbortController().signal }));
    await sleep(50);
    expect(b.state).toBe('pending');
    expect(budget.used).toBe(PEAK);
    charges.release!(PEAK);
    await sleep(0);
    expect(b.state).toBe('done');
    expect(budget.used).toBe(PEAK);
  });

  it('three 16 MiB tasks at once: the second and third wait; the first release lets one through (16 MiB held), the other waits on until the second release', async () => {
    const { budget, charges } = request();
    charges(PEAK, 'run a', true);
    const never = new AbortController().signal;
    const b = watch(charges.wait!(PEAK, 'run b', { waitMs: 20_000, signal: never }));
    const c = watch(charges.wait!(PEAK, 'run c', { waitMs: 20_000, signal: never }));
    await sleep(20);
    expect([b.state, c.state]).toEqual(['pending', 'pending']);
    charges.release!(PEAK);
    await sleep(0);
    expect([b.state, c.state].sort()).toEqual(['done', 'pending']);
    charges.release!(PEAK);
    await sleep(0);
    expect([b.state, c.state]).toEqual(['done', 'done']);
    expect(budget.used).toBe(PEAK);
  });

  it('no release within a 100 ms bound: 503 OVERLOADED saying it waited (between 100 and 1,000 ms), nothing held for the waiter (the holder\'s release then leaves 0 running: a 16 MiB call fits at once)', async () => {
    const { budget, reservation, charges } = request();
    charges(PEAK, 'run a', true);
    const started = performance.now();
    const refused = await charges.wait!(PEAK, 'run b', { waitMs: 100, signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(refused).toMatchObject({ code: 'OVERLOADED', message: expect.stringMatching(/^run b needs about 16777216 more, and with the request's other tasks running now that is more than the whole 25165824-byte memory budget \(MEMORY_BUDGET_BYTES\), still after waiting (\d{3}) ms for them to end; retry later$/) });
    const waited = Number(/waiting (\d+) ms/.exec((refused as Error).message)![1]);
    expect(waited).toBeGreaterThanOrEqual(100);
    expect(waited).toBeLessThan(1000);
    charges.release!(PEAK);
    charges(PEAK, 'run c', true);
    expect(budget.used).toBe(PEAK);
    reservation.release();
    expect(budget.used).toBe(0);
  });

  it('its task stopped (the signal aborts) 50 ms into a 20,000 ms bound: OVERLOADED within 500 ms, and the release after it grows nothing (the budget goes back to 0 with the reservation)', async () => {
    const { budget, reservation, charges } = request();
    charges(PEAK, 'run a', true);
    const stop = new AbortController();
    const started = performance.now();
    const waiting = charges.wait!(PEAK, 'run b', { waitMs: 20_000, signal: stop.signal }).catch((e: unknown) => e);
    setTimeout(() => stop.abort(), 50);
    expect(await waiting).toMatchObject({ code: 'OVERLOADED', message: "run b: the task was stopped while it waited for the request's other tasks to release their memory; retry later" });
    expect(performance.now() - started).toBeLessThan(500);
    charges.release!(PEAK);
    await sleep(0);
    expect(budget.used).toBe(PEAK);
    reservation.release();
    expect(budget.used).toBe(0);
  });

  it('what waiting cannot mend is refused at once, with a 20,000 ms bound: 40 MiB on 24 MiB is 413 GRAPH_TOO_LARGE; 16 MiB while another request holds 10 MiB of the budget is 503 OVERLOADED (spent by requests in flight)', async () => {
    const never = new AbortController().signal;
    const { charges } = request();
    const started = performance.now();
    await expect(charges.wait!(40 * MiB, 'run big', { waitMs: 20_000, signal: never })).rejects.toMatchObject({ code: 'GRAPH_TOO_LARGE', details: { needed: 40 * MiB } });
    const crowded = request();
    crowded.budget.tryReserve(10 * MiB);
    const spent = await crowded.charges.wait!(PEAK, 'run b', { waitMs: 20_000, signal: never }).catch((e: unknown) => e);
    expect(spent).toMatchObject({ code: 'OVERLOADED', message: expect.stringMatching(/^the memory budget is spent: 10485760 of 25165824 bytes are held by requests in flight/) });
    expect(refusedForOwnTasks(spent)).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("a job's charge (jobs/runner.ts: a reservation for its one task, no body share): its loan is 0 and its first ask meets no other task, so it never waits: 16 MiB fits at once, 30 MiB is 413 GRAPH_TOO_LARGE at once", async () => {
    const never = new AbortController().signal;
    const one = request();
    expect(one.charges.lend!()).toBe(0);
    await one.charges.wait!(PEAK, 'run', { waitMs: 20_000, signal: never });
    expect(one.budget.used).toBe(PEAK);
    const other = request();
    const started = performance.now();
    await expect(other.charges.wait!(30 * MiB, 'run', { waitMs: 20_000, signal: never })).rejects.toMatchObject({ code: 'GRAPH_TOO_LARGE' });
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("chargeTo judges a later ask with what its task holds already (`own`)", () => {
  it('a task holding 16 MiB asks 10 MiB more (own 16 MiB) on a 24 MiB budget: 413 GRAPH_TOO_LARGE (26 MiB alone is over); without `own` the same ask was 503 OVERLOADED, as if other tasks held the 16', () => {
    const judged = request();
    judged.charges(PEAK, 'stage 1', true);
    expect(() => judged.charges(10 * MiB, 'stage 2', true, 0, PEAK)).toThrow(expect.objectContaining({ code: 'GRAPH_TOO_LARGE' }));
    const unjudged = request();
    unjudged.charges(PEAK, 'stage 1', true);
    expect(() => unjudged.charges(10 * MiB, 'stage 2', true)).toThrow(expect.objectContaining({ code: 'OVERLOADED' }));
    // 4 MiB more (own 16) fits: 20 MiB
    judged.charges(4 * MiB, 'stage 2', true, 0, PEAK);
    expect(judged.budget.used).toBe(20 * MiB);
  });
});

describe('a charge not from the body (a graph\'s analysis) is judged without the request\'s other tasks running now', () => {
  it('a task running 16 MiB from the body, then 10 MiB of analysis on a 24 MiB budget: 503 OVERLOADED for the request\'s own tasks (was 413 GRAPH_TOO_LARGE: 10 MiB alone fits); after the release it fits; 30 MiB of analysis is 413', () => {
    const { budget, charges } = request();
    charges(PEAK, 'run a', true);
    let refused: unknown;
    try {
      charges(10 * MiB, 'analysing b');
    } catch (e) {
      refused = e;
    }
    expect(refused).toMatchObject({ code: 'OVERLOADED' });
    expect(refusedForOwnTasks(refused)).toBe(true);
    expect(budget.used).toBe(PEAK);
    expect(() => charges(30 * MiB, 'analysing c')).toThrow(expect.objectContaining({ code: 'GRAPH_TOO_LARGE' }));
    charges.release!(PEAK);
    charges(10 * MiB, 'analysing b');
    // the reservation keeps what it grew by until the request ends: max(16 MiB run, 10 MiB analysis + 0 running)
    expect(budget.used).toBe(PEAK);
  });

  it('the task itself holding 16 MiB (own) asks 10 MiB of analysis on a 24 MiB budget: 413 GRAPH_TOO_LARGE (it alone needs 26 MiB)', () => {
    const { charges } = request();
    charges(PEAK, 'stage 1', true);
    expect(() => charges(10 * MiB, 'analysing', false, 0, PEAK)).toThrow(expect.objectContaining({ code: 'GRAPH_TOO_LARGE' }));
  });
});

describe("a release wakes the waiters once the turn's other work is done", () => {
  it("a task's release, then (a microtask later, as http/graphql.ts charges a finished run's answer) its 16 MiB answer: the answer is charged first; the waiter asking 16 MiB on the 24 MiB budget stays refused at its bound, not granted ahead of it", async () => {
    const { charges } = request();
    charges(PEAK, 'run a', true);
    const waiting = watch(charges.wait!(PEAK, 'run b', { waitMs: 200, signal: new AbortController().signal }));
    await sleep(20);
    charges.release!(PEAK);
    await Promise.resolve();
    expect(() => charges.answer(PEAK, [[4 * MiB]])).not.toThrow();
    await sleep(400);
    expect(waiting.state).toBe('refused');
  });
});
