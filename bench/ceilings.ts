/**
 * This machine's two-thread ceilings, measured in the same run as the parallel bench's lines
 * (issue 12: two threads ≥ 1.8× one), so a ratio below the goal can be read against them:
 *  - a SIMD loop in registers (bench/ceiling-work.ts `simd`): two cores' arithmetic, nothing shared;
 *  - two whole 3×3 convs 128→128 at 112×112 at once, each thread its own tensors and no split,
 *    against one alone: the kernel's own two-thread ceiling, with the caches and memory the two
 *    cores share. A split conv cannot beat it; what it loses below it is the split's.
 * Each round runs one thread alone for a window, then both at once for the same window, and takes
 * the work done a millisecond: the ratio is the two threads' sum over the one's, the median of the
 * rounds (this machine's host moves its speed for seconds at a time; a round's two windows are
 * back to back). Before them, each CPU's speed alone (bench/cpu-speeds.ts): on a host whose vCPUs
 * run at different speeds, the bound that sets.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CeilingKind } from './ceiling-work.js';
import { cpuSpeedsLine } from './cpu-speeds.js';
import { record, say } from './records.js';
import { median } from './sides.js';

const ENTRY = new URL('./ceiling-thread.mjs', import.meta.url);

/** `worker`'s next message; rejected if it fails or exits first (no promise left pending). */
function next<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const failed = (e: Error) => settle(() => reject(e));
    const exited = (code: number) => settle(() => reject(new Error(`a ceiling thread exited (code ${code}) before it answered`)));
    const answered = (value: T) => settle(() => resolve(value));
    const settle = (then: () => void) => {
      worker.off('error', failed).off('exit', exited).off('message', answered);
      then();
    };
    worker.on('error', failed).on('exit', exited).on('message', answered);
  });
}

async function started(kind: CeilingKind): Promise<Worker> {
  const worker = new Worker(ENTRY, { workerData: { kind } });
  try {
    await next<'ready'>(worker);
    return worker;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
}

/** Both threads of a ceiling, or neither: one that started is ended when the other fails. */
async function startedPair(kind: CeilingKind): Promise<Worker[]> {
  const results = await Promise.allSettled([started(kind), started(kind)]);
  const workers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw failed.reason;
  }
  return workers;
}

/** `worker`'s answer to `message`. */
function answer<T>(worker: Worker, message: number | 'once'): Promise<T> {
  const reply = next<T>(worker);
  worker.postMessage(message);
  return reply;
}

/** Work a millisecond on `worker` over a window of `ms`. */
const rate = (worker: Worker, ms: number) => answer<number>(worker, ms);

/**
 * A thread that runs ceiling-work's conv once per `once()` (its own tensors, its output released),
 * for a side of bench parallel's rounds: this thread's one-thread conv and the helper's at once,
 * so the kernel's ceiling is measured in the same rounds as the split (within a round the host's
 * speed is about the same for every side).
 */
export async function convHelper(): Promise<{ once: () => Promise<void>; close: () => Promise<number> }> {
  const worker = await started('conv');
  return { once: () => answer<void>(worker, 'once'), close: () => worker.terminate() };
}

/** The median over `rounds` of (two threads' work at once) ÷ (one thread's alone), each window `ms` long, after `warm` windows of both. */
export async function ceiling(kind: CeilingKind, rounds: number, ms: number, warm: number): Promise<{ ratio: number; ratios: number[] }> {
  const workers = await startedPair(kind);
  try {
    for (let i = 0; i < warm; i++) await Promise.all(workers.map((w) => rate(w, ms)));
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const one = await rate(workers[0], ms);
      const both = await Promise.all(workers.map((w) => rate(w, ms)));
      ratios.push((both[0] + both[1]) / one);
    }
    return { ratio: median(ratios), ratios };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export async function ceilingsBench(): Promise<void> {
  await cpuSpeedsLine('with the ceilings');
  const lines: [CeilingKind, string, number][] = [
    ['simd', 'two threads of a SIMD multiply-add loop in registers against one (the cores’ arithmetic)', 300],
    ['conv', 'two whole 3×3 convs 128→128 at 112×112 at once, no split, against one (the kernel’s own ceiling)', 800],
  ];
  for (const [kind, name, ms] of lines) {
    const { ratio, ratios } = await ceiling(kind, 16, ms, 2);
    say(`${name}: ${ratio.toFixed(2)}× (median of ${ratios.length} rounds of ${ms} ms: ${[...ratios].sort((a, b) => a - b).map((x) => x.toFixed(2)).join(', ')}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')})`);
    record({ bench: 'parallel', name: `ceiling: ${name}`, unit: 'ratio', higherIsBetter: true, convlens: ratio, peers: { 'one thread': 1 }, against: 'one thread', extra: { ratios, windowMs: ms, loadAverage: os.loadavg() } });
  }
}
