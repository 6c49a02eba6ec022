/**
 * Sides of a comparison sampled in turn (bench parallel): each side's wall time, the process's CPU
 * and the busiest thread's per call, after warm-up rounds, and this thread's full garbage
 * collections over the timed rounds.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { collectYoung, releaseBuffers } from '../src/runtime/memory.js';
import type { Tensor } from '../src/tensor/tensor.js';

export interface Sides {
  /** Median wall seconds of each side. */
  wall: number[];
  /** Median CPU seconds of the process (every thread) per call, each side: what the split costs in total. */
  cpu: number[];
  /**
   * The busiest thread's CPU milliseconds per call, median, each side (Linux
   * /proc/self/task/<tid>/schedstat). On an idle machine a call takes at least its busiest thread's
   * CPU time, so busiest[0] / busiest[1] projects the ratio the load hides (an upper bound: waits
   * between the threads are not counted).
   */
  busiest: number[];
  /** The fastest wall seconds of each side: each side undisturbed, at best (this machine's host at times takes a thread's CPU for seconds). */
  best: number[];
  /** Samples per side. */
  samples: number;
  /** Each side's wall seconds by round (a round runs every side once, back to back). */
  rounds: number[][];
  /** Each side's wall seconds in the warm-up rounds, which the figures above leave out. */
  warm: number[][];
  /** This thread's full collections (V8 mark-compacts) over the timed rounds, and their pauses in ms: see fullCollections. */
  fullCollections: { count: number; ms: number };
}

/**
 * The median over rounds of side a's time over side b's in the same round: this machine's host
 * changes how much CPU it gives for seconds at a time, which moves both sides of a round alike, so
 * the ratio within rounds wanders less than the ratio of the medians.
 */
export const pairedRatio = (s: Sides, a: number, b: number) => median(s.rounds[a].map((t, r) => t / s.rounds[b][r]));

/**
 * The sides `picked` of `s`, in that order, as Sides of their own (report() compares side 0 with
 * another): a run whose rounds hold more sides than one comparison reads, e.g. each pool's call
 * twice in a row, the first after the other pool's call and the second right after its own.
 */
export function pickSides(s: Sides, picked: number[]): Sides {
  const take = <T>(a: T[]) => picked.map((i) => a[i]);
  return { ...s, wall: take(s.wall), cpu: take(s.cpu), busiest: take(s.busiest), best: take(s.best), rounds: take(s.rounds), warm: take(s.warm) };
}

/**
 * A side's outputs released before the next side's clock starts, as the service releases an answer
 * once sent (runtime/memory.ts releaseBuffers), and the scavenge that frees them run now rather
 * than at the end of the event loop's turn, so the next output reuses their pages: left to the
 * collector, a fresh 6.4 MB output faulted in 1,568 new pages on some calls and none on others,
 * 11–17 µs a page on this Firecracker VM (~20 ms a call, on whichever side it fell; 2026-12-02,
 * docs/benchmarks-log.md). Returns the bytes released.
 */
export function releaseNow(outputs: Iterable<Tensor>): number {
  const bytes = releaseBuffers([...outputs].map((t) => t.data.buffer));
  collectYoung();
  return bytes;
}

/** CPU milliseconds (time on a CPU, schedstat) of each thread of this process so far, by thread id; empty off Linux. */
export function threadCpu(): Map<string, number> {
  const ms = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        ms.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // not Linux: no per-thread figures
  }
  return ms;
}

const busiestOf = (before: Map<string, number>, after: Map<string, number>) => Math.max(0, ...[...after].map(([tid, t]) => t - (before.get(tid) ?? 0)));
export const median = (s: number[]) => [...s].sort((a, b) => a - b)[Math.floor(s.length / 2)];

/**
 * Samples alternate (one, two, … one, two …) for at least `seconds`, ≥ 5 each, after warm-up rounds
 * for `warmSeconds` (at least one), which are timed but left out of the figures. `prepare(i)`, when
 * given, runs before side i's clock starts: what the side consumes and the harness has to make anew
 * each time (an operator call's tensors, which the call transfers), not what is measured.
 * `afterWarm`, when given, runs once between the warm-up and the timed rounds (counters to read
 * over the timed rounds only).
 *
 * Why warm up for seconds: V8 compiles a function with its optimizing compiler on background
 * threads once it has run often enough, and code a forward runs once per layer or once per run
 * gets there only after tens of forwards. Until then those threads take CPU, and on two vCPUs they
 * take it from a team's two threads, while one thread alone leaves them the other vCPU. Measured on
 * ResNet-50 (2026-12-01 00:05 UTC, a fresh process, one thread and two alternating, blocks of ten
 * pairs): two threads against one 1.66, 1.67, 1.72, 1.76, 1.84, 1.79, 1.80, 1.81×, the background
 * threads' CPU 19.5, 8.0, 4.5, 4.5, 2.5, 5.5, 1.5, 4.0 ms a forward. A server that keeps its
 * workers runs warm after its first tens of calls; the warm-up rounds' ratio is reported beside.
 */
export async function interleaved(sides: (() => unknown)[], seconds: number, prepare?: (side: number) => void, warmSeconds = 0, afterWarm?: () => void): Promise<Sides> {
  const warm: number[][] = sides.map(() => []);
  const warmEnd = performance.now() + warmSeconds * 1000;
  do {
    for (const [i, fn] of sides.entries()) {
      prepare?.(i);
      const t = performance.now();
      await fn();
      warm[i].push((performance.now() - t) / 1000);
    }
  } while (performance.now() < warmEnd);
  afterWarm?.();
  const collections = fullCollections();
  const wall: number[][] = sides.map(() => []);
  const cpu: number[][] = sides.map(() => []);
  const busiest: number[][] = sides.map(() => []);
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end || wall[0].length < 5) {
    for (const [i, fn] of sides.entries()) {
      prepare?.(i);
      // the clock times the side alone: reading every thread's CPU in /proc took 0.44 ms each time
      // with 21 threads (2026-12-01), once before and once after, and was in both sides' wall times
      // until then (a fixed cost on each side lowers a ratio: 105/57.7 becomes 105.9/58.6)
      const c = process.cpuUsage();
      const before = threadCpu();
      const t = performance.now();
      await fn();
      const elapsed = performance.now() - t;
      busiest[i].push(busiestOf(before, threadCpu()));
      const used = process.cpuUsage(c);
      wall[i].push(elapsed / 1000);
      cpu[i].push((used.user + used.system) / 1e6);
    }
  }
  return { wall: wall.map(median), cpu: cpu.map(median), busiest: busiest.map(median), best: wall.map((w) => Math.min(...w)), samples: wall[0].length, rounds: wall, warm, fullCollections: await collections.stop() };
}

/**
 * Counts this thread's full collections from now until stop(). Why: V8 sets a thread's next full
 * collection at only 8 MB above what survived its last one when the thread allocates little on its
 * own heap, and counts array buffers allocated since against it. The pool line's calls (a 6.4 MB
 * input made and a 6.4 MB answer taken, per call, on a 20 MB heap) then started one at almost every
 * call once one had set the limit that low (traced 2026-12-01 with --trace-gc
 * --trace-incremental-marking: "Start (allocation limit) … 19MB / 28MB / 9MB"): 56 in 28 rounds,
 * 414 ms of pauses, and 1.42× instead of 1.8–1.9×. The server's flag (src/node-flags.ts), which
 * `npm run bench` passes, keeps it out; run without it, the count shows whether a run fell in.
 */
export function fullCollections(): { stop(): Promise<{ count: number; ms: number }> } {
  const seen = { count: 0, ms: 0 };
  const add = (entries: PerformanceEntry[]) => {
    for (const e of entries) {
      if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      seen.count++;
      seen.ms += e.duration;
    }
  };
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    async stop() {
      // gc entries are delivered a turn of the event loop after the collection
      await new Promise((resolve) => setImmediate(resolve));
      add(observer.takeRecords());
      observer.disconnect();
      return seen;
    },
  };
}
