/** A batch's progress on Redis, best-effort (jobs/progress-writer.ts): never waited for, coalesced while a write is under way, a failed write dropped. */
import { describe, expect, it } from 'vitest';
import { progressWriter } from '../../src/jobs/progress-writer.js';

/** Writes that the test settles one at a time, in order. */
function writes() {
  const started: number[] = [];
  const settle: { ok(): void; fail(e: Error): void }[] = [];
  const write = (value: number) =>
    new Promise<void>((ok, fail) => {
      started.push(value);
      settle.push({ ok, fail });
    });
  const next = async (how: 'ok' | Error = 'ok') => {
    const s = settle.shift()!;
    if (how === 'ok') s.ok();
    else s.fail(how);
    // the writer's continuation runs
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { started, write, next };
}

describe('progressWriter', () => {
  it('1 set while idle is written at once; 2, 3, 4 set while it is written: only 4 is written, after 1 ends', async () => {
    const w = writes();
    const p = progressWriter(w.write, () => undefined);
    p.set(1);
    expect(w.started).toEqual([1]);
    p.set(2);
    p.set(3);
    p.set(4);
    expect(w.started).toEqual([1]);
    await w.next();
    expect(w.started).toEqual([1, 4]);
    await w.next();
    p.set(5);
    expect(w.started).toEqual([1, 4, 5]);
  });

  it("set returns before its write ends (nothing to await), and flush waits for the last value's write: not settled while 4 is written, settled once it is", async () => {
    const w = writes();
    const p = progressWriter(w.write, () => undefined);
    expect(p.set(1)).toBeUndefined();
    p.set(4);
    let flushed = false;
    void p.flush().then(() => (flushed = true));
    await w.next();
    expect([w.started, flushed]).toEqual([[1, 4], false]);
    await w.next();
    await Promise.resolve();
    expect(flushed).toBe(true);
  });

  it('flush when nothing is being written resolves at once (before any set, and after the last write ended)', async () => {
    const w = writes();
    const p = progressWriter(w.write, () => undefined);
    await p.flush();
    p.set(1);
    await w.next();
    await p.flush();
    expect(w.started).toEqual([1]);
  });

  it("a write that fails (Redis refused it) is dropped and told to `failed` with its value: flush still resolves, the next set is written", async () => {
    const w = writes();
    const failed: [string, number][] = [];
    const p = progressWriter(w.write, (e, v) => failed.push([(e as Error).message, v]));
    p.set(1);
    p.set(2);
    await w.next(new Error('Missing key for job'));
    expect(w.started).toEqual([1, 2]);
    await w.next(new Error('Connection is closed.'));
    await p.flush();
    expect(failed).toEqual([
      ['Missing key for job', 1],
      ['Connection is closed.', 2],
    ]);
    p.set(3);
    expect(w.started).toEqual([1, 2, 3]);
  });

  it('stop while 1 is written and 2 waits: 2 is dropped, 3 set after is ignored, flush resolves once 1 ends', async () => {
    const w = writes();
    const p = progressWriter(w.write, () => undefined);
    p.set(1);
    p.set(2);
    p.stop();
    p.set(3);
    let flushed = false;
    void p.flush().then(() => (flushed = true));
    await w.next();
    expect([w.started, flushed]).toEqual([[1], true]);
  });
});
