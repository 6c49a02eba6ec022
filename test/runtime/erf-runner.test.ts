/**
 * runtime/erf.ts poolRunner: the charge each ERF sample's task carries to the request's memory
 * (perWorker). A sample's gradient peak is asked from the body as a run's is, so its first ask may
 * wait for the request's other samples (MemoryCharge.wait) and a later one is judged with what the
 * task holds (`own`); an analysis ask is charged for at most `parallel` tasks.
 */
import { describe, expect, it } from 'vitest';
import { poolRunner } from '../../src/runtime/erf.js';
import type { MemoryCharge } from '../../src/memory-budget.js';
import type { TaskPool } from '../../src/runtime/pool.js';

describe("poolRunner's per-task charge", () => {
  it('passes a body ask with its covered and own bytes, the wait (a sample waits as a run does), release and lend; an analysis of 2 workers is charged twice, not 16 times', async () => {
    const calls: unknown[][] = [];
    const waits: unknown[][] = [];
    const memory: MemoryCharge = Object.assign((...args: unknown[]) => void calls.push(args), {
      release: () => {},
      lend: () => 7,
      wait: async (...args: unknown[]) => void waits.push(args),
    }) as MemoryCharge;
    let given: MemoryCharge | undefined;
    const pool = { threads: 2, run: async (_name: string, _task: unknown, _transfer: unknown, options: { memory?: MemoryCharge }) => void (given = options.memory) } as unknown as TaskPool;
    await poolRunner(pool, { memory })({} as never, []);
    expect(given).toBeDefined();
    given!(100, 'a peak', true, 4, 96);
    expect(calls).toEqual([[100, 'a peak', true, 4, 96]]);
    expect(given!.lend!()).toBe(7);
    const until = { waitMs: 5, signal: new AbortController().signal };
    await given!.wait!(100, 'a peak', until);
    expect(waits).toEqual([[100, 'a peak', until]]);
    for (let i = 0; i < 16; i++) given!(8192, 'analysing 1 layers');
    expect(calls.length).toBe(1 + 2);
  });
});
