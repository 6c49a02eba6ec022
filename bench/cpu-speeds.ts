/**
 * Each CPU's speed alone, measured in the same run as bench parallel's two-thread lines: a process
 * pinned to each CPU (taskset) runs a piece of bench/ceiling-work.ts's work over and over for a
 * window, one CPU at a time, round after round; each CPU's median rate over the fastest's.
 *
 * Why: a VM's vCPUs need not run at the same speed. On this machine's host (2026-12-06 15:18 UTC,
 * idle guest) vCPU 1 ran a plain integer loop 1.57× slower than vCPU 0 and the 3×3 conv 128→128
 * at 112² in 61 ms against 40, minutes on end, while the guest's counters showed it idle and no steal,
 * and a SIMD loop in registers ran at the same speed on both (what shares vCPU 1's core on the host
 * is not the guest's to see). Two threads can then give at most
 * 1 + (slower ÷ faster) times one thread on the faster CPU: 1.64×, under issue 12's 1.8× whatever
 * the split does. The parallel bench prints this bound beside its lines, so a ratio below the goal
 * can be told from a split that loses time.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import type { CeilingKind } from './ceiling-work.js';
import { record, say } from './records.js';
import { median } from './sides.js';

const CHILD = new URL('./cpu-speed-child.mjs', import.meta.url);

interface Pinned {
  cpu: number;
  child: ChildProcessWithoutNullStreams;
  lines: AsyncIterator<string>;
  reader: Interface;
}

function pinned(cpu: number, kind: CeilingKind): Pinned {
  const child = spawn('taskset', ['-c', String(cpu), process.execPath, CHILD.pathname, kind], { stdio: ['pipe', 'pipe', 'pipe'] });
  // a process that ended (taskset refused the CPU) makes the next write EPIPE: seen as its output ending (rate)
  child.stdin.on('error', () => {});
  const reader = createInterface({ input: child.stdout });
  return { cpu, child, reader, lines: reader[Symbol.asyncIterator]() };
}

/** Longest a pinned process may take past its window before the measurement is given up (a process that hangs never stalls the bench). */
const ANSWER_GRACE_MS = 30_000;

/** The pinned process's rate over a window of `ms` (it runs alone: the others wait). */
async function rate(p: Pinned, ms: number): Promise<number> {
  p.child.stdin.write(`${ms}\n`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the process pinned to CPU ${p.cpu} did not answer within ${ms + ANSWER_GRACE_MS} ms`)), ms + ANSWER_GRACE_MS);
  });
  try {
    const next = await Promise.race([p.lines.next(), late]);
    if (next.done) throw new Error(`the process pinned to CPU ${p.cpu} ended before it answered`);
    return Number(next.value);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Each CPU's median rate at `kind` alone over `rounds` windows of `ms` (`cpus`: which, by default
 * all), relative to the fastest's, in the order of `cpus`; null when a CPU cannot be pinned (no
 * taskset, or no such CPU).
 */
export async function cpuSpeeds(kind: CeilingKind, rounds: number, ms: number, cpus = [...os.cpus().keys()]): Promise<{ relative: number[]; rates: number[] } | null> {
  const procs = cpus.map((cpu) => pinned(cpu, kind));
  const failed = new Promise<null>((resolve) => procs.forEach((p) => p.child.once('error', () => resolve(null))));
  try {
    const measured = (async () => {
      // a first window each: tier-up and first allocations left out
      for (const p of procs) await rate(p, ms);
      const samples = procs.map(() => [] as number[]);
      for (let r = 0; r < rounds; r++) for (const [i, p] of procs.entries()) samples[i].push(await rate(p, ms));
      const rates = samples.map(median);
      const fastest = Math.max(...rates);
      return { relative: rates.map((v) => v / fastest), rates };
    })();
    return await Promise.race([measured, failed]);
  } catch {
    return null;
  } finally {
    for (const p of procs) {
      p.reader.close();
      p.child.kill();
    }
  }
}

/**
 * Prints (and records) each CPU's speed alone at the parallel bench's conv (3×3 128→128 at 112²,
 * bench/ceiling-work.ts, windows of 400 ms) and at the SIMD loop in registers, and the two-thread
 * bound the conv's speeds set: one thread on the fastest CPU against two on the two fastest, 1 +
 * the second's relative speed. The SIMD loop alone does not show what the conv meets: at 15:20 UTC
 * both CPUs ran it at the same speed (0.97) while CPU 1 ran the conv at 0.69 of CPU 0. `when` says
 * where in the run it was measured. Returns the bound (null: not measured).
 */
export async function cpuSpeedsLine(when: string): Promise<number | null> {
  const conv = await cpuSpeeds('conv', 5, 400);
  const simd = conv && (await cpuSpeeds('simd', 5, 100));
  if (!conv) {
    say(`each CPU's speed alone (${when}): skipped (taskset could not pin a process)`);
    return null;
  }
  const sorted = [...conv.relative].sort((a, b) => b - a);
  const bound = sorted.length > 1 ? 1 + sorted[1] : 1;
  const speeds = (r: number[]) => r.map((v, i) => `CPU ${i} ${v.toFixed(2)}`).join(', ');
  say(
    `each CPU's speed alone (${when}; pinned with taskset, one CPU at a time, median of 5 windows): the conv ${speeds(conv.relative)} of the fastest` +
      (simd ? ` (the SIMD loop in registers ${speeds(simd.relative)})` : '') +
      `: two threads give at most ${bound.toFixed(2)}× one thread on the fastest CPU${bound < 1.8 ? ', under the 1.8× goal whatever the split does' : ''}`,
  );
  record({ bench: 'parallel', name: `each CPU's speed alone (${when})`, unit: 'ratio', higherIsBetter: true, convlens: bound, peers: { 'one thread on the fastest CPU': 1 }, against: 'one thread on the fastest CPU', extra: { convRelative: conv.relative, convRates: conv.rates, simdRelative: simd?.relative ?? null } });
  return bound;
}
