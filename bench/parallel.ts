/**
 * Two threads against one on the same work, in the same run (issue 12 goal: ≥ 1.8×):
 *  - one large convolution, 3×3 128→128 at 112×112: in-process (this thread alone, against this
 *    thread leading one partner of its team: the kernel split alone), and through worker pools of
 *    one and of two workers (POST /v1/operators' path: the call sent to a worker, its team split);
 *  - a whole ResNet-50 forward at 1×3×224×224 (bench/.cache/resnet50.onnx, file weights), the graph
 *    loaded once: this thread alone against this thread leading one partner (RunOptions.split).
 * Samples of the two sides alternate, so a change in the machine's load hits both. The load
 * average (os.loadavg) is printed and recorded: on a shared machine the ratio drops with it (with
 * Linux's autogroup scheduling a process gets the same CPU share with one thread or two), so the
 * CPU per call and the busiest thread's CPU time are reported too: what an idle machine would show.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inferGraph } from '../src/analysis/infer.js';
import { loadConfig } from '../src/config.js';
import { loadGraph } from '../src/graph/load.js';
import { callOperator } from '../src/http/compute.js';
import { runGraph } from '../src/runtime/execute.js';
import type { RunOptions } from '../src/runtime/execute.js';
import type { OperatorCall } from '../src/runtime/operator.js';
import { createPool } from '../src/runtime/pool.js';
import { configureTeams, splitKernel, splitStats } from '../src/runtime/split.js';
import { rng } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';
import { record, say } from './records.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const random = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

interface Sides {
  /** Median wall seconds of each side. */
  wall: [number, number];
  /** Median CPU seconds of the process (every thread) per call, each side: what the split costs in total. */
  cpu: [number, number];
  /**
   * Clock ticks of the busiest thread per call, summed over the samples, each side (Linux
   * /proc/self/task/<tid>/stat utime + stime). On an idle machine a call takes at least its busiest
   * thread's CPU time, so ticks[0] / ticks[1] projects the ratio the load hides (an upper bound:
   * waits between the threads are not counted).
   */
  ticks: [number, number];
}

/** CPU clock ticks (user + system) of each thread of this process, by thread id. */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks.set(tid, Number(f[11]) + Number(f[12]));
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // not Linux: no per-thread figures
  }
  return ticks;
}

const busiest = (before: Map<string, number>, after: Map<string, number>) => Math.max(0, ...[...after].map(([tid, t]) => t - (before.get(tid) ?? 0)));

/** Samples alternate (one, two, one, two …) for at least `seconds`, ≥ 5 each, after one warm-up call each. */
async function interleaved(one: () => unknown, two: () => unknown, seconds: number): Promise<Sides> {
  await one();
  await two();
  const wall: [number[], number[]] = [[], []];
  const cpu: [number[], number[]] = [[], []];
  const ticks: [number, number] = [0, 0];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end || wall[0].length < 5) {
    for (const [i, fn] of [one, two].entries()) {
      const t = performance.now();
      const c = process.cpuUsage();
      const before = threadTicks();
      await fn();
      ticks[i] += busiest(before, threadTicks());
      const used = process.cpuUsage(c);
      wall[i].push((performance.now() - t) / 1000);
      cpu[i].push((used.user + used.system) / 1e6);
    }
  }
  const median = (s: number[]) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)];
  return { wall: [median(wall[0]), median(wall[1])], cpu: [median(cpu[0]), median(cpu[1])], ticks };
}

/** Waits until this thread's team has a partner up (the first split spawns it and runs alone). */
async function partnerUp(split: () => unknown): Promise<void> {
  const before = splitStats.partnerBands;
  for (let i = 0; i < 200 && splitStats.partnerBands === before; i++) {
    await split();
    await new Promise((r) => setTimeout(r, 20));
  }
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(', ');

function report(name: string, s: Sides, extra: Record<string, unknown> = {}): void {
  const [one, two] = s.wall;
  const ms = (v: number) => `${(v * 1000).toFixed(1)} ms`;
  const projected = s.ticks[1] > 0 ? s.ticks[0] / s.ticks[1] : null;
  say(
    `${name}: one thread ${ms(one)}, two ${ms(two)}: ${(one / two).toFixed(2)}× (goal ≥ 1.8×; load average ${load()}); CPU per call ${ms(s.cpu[0])} and ${ms(s.cpu[1])}` +
      (projected ? `; busiest thread's CPU ${s.ticks[0]} against ${s.ticks[1]} ticks: ≤ ${projected.toFixed(2)}× on an idle machine` : ''),
  );
  record({ bench: 'parallel', name, unit: 'ms', higherIsBetter: false, convlens: two * 1000, peers: { 'convlens, one thread': one * 1000 }, against: 'convlens, one thread', extra: { goal: '≥ 1.8×', loadAverage: os.loadavg(), cpuMs: s.cpu.map((c) => c * 1000), busiestThreadTicks: s.ticks, projectedIdleRatio: projected, ...extra } });
}

export async function parallelBench(): Promise<void> {
  say(`\n## two threads against one (load average ${load()} on ${os.cpus().length} CPUs)`);
  const shape = [1, 128, 112, 112];
  const x = tensor(shape, random(128 * 112 * 112, 1));
  const w = tensor([128, 128, 3, 3], random(128 * 128 * 9, 2));
  const b = tensor([128], random(128, 3));
  const call = (): OperatorCall => ({ name: 'conv2d', inputs: [tensor(shape, x.data.slice())], attributes: { padding: 1 }, weights: { weight: tensor(w.shape, w.data.slice()), bias: tensor(b.shape, b.data.slice()) }, training: false, seed: 0, maxElements: 1 << 26 });

  // the kernel alone: a one-conv graph run by this thread, then by this thread leading a partner
  const graph = loadGraph({ kind: 'spec', spec: { name: 'conv', inputs: [{ name: 'x', shape }], layers: [{ name: 'conv', op: 'conv2d', outChannels: 128, kernelSize: 3, padding: 1 }] } }).graph;
  const inference = inferGraph(graph);
  const opts = (split: boolean): RunOptions => ({ training: false, seed: 0, weightInit: 'seed', weights: { 'conv.weight': w, 'conv.bias': b }, capture: [], maxElements: 1 << 26, maxWork: Number.MAX_SAFE_INTEGER, ...(split && { split: splitKernel }) });
  await configureTeams({ runThreads: 2, threads: 2 });
  const inputs = { [graph.inputs[0].name]: x };
  await partnerUp(() => runGraph(graph, inputs, opts(true), inference));
  report('3×3 conv 128→128 at 112×112, in-process', await interleaved(() => runGraph(graph, inputs, opts(false), inference), () => runGraph(graph, inputs, opts(true), inference), 6));

  // through the pool: the operator call sent to a worker, which splits it with its team
  const pools = [1, 2].map((n) => createPool(loadConfig({ WORKERS: String(n) })));
  for (let i = 0; i < 100; i++) if ((await callOperator(pools[1], call())).extra.workers === 2) break;
  report('3×3 conv 128→128 at 112×112, worker pool of 1 vs 2 (POST /v1/operators path)', await interleaved(() => callOperator(pools[0], call()), () => callOperator(pools[1], call()), 6));
  await Promise.all(pools.map((p) => p.close()));

  const file = path.join(here, '.cache', 'resnet50.onnx');
  if (!existsSync(file)) {
    say('ResNet-50: skipped (run `npm run bench -- networks` first: it exports bench/.cache/resnet50.onnx)');
  } else {
    const net = loadGraph({ kind: 'onnx', bytes: readFileSync(file), inputShapes: {} }).graph;
    const netInference = inferGraph(net);
    const netInputs = { [net.inputs[0].name]: tensor([1, 3, 224, 224], random(3 * 224 * 224, 4)) };
    const runOpts = (split: boolean): RunOptions => ({ training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 26, maxWork: Number.MAX_SAFE_INTEGER, ...(split && { split: splitKernel }) });
    const jobs = splitStats.jobs;
    // Amdahl's bound on an idle machine: the split layers' share of the one-thread time, from the executor's timing hook
    let splitMs = 0;
    let totalMs = 0;
    runGraph(net, netInputs, { ...runOpts(false), onLayer: (_l, op, ms) => ((totalMs += ms), op === 'conv2d' && (splitMs += ms)) }, netInference);
    const bound = 1 / (1 - splitMs / totalMs + splitMs / totalMs / 2);
    const sides = await interleaved(() => runGraph(net, netInputs, runOpts(false), netInference), () => runGraph(net, netInputs, runOpts(true), netInference), 20);
    const bands = { jobs: splitStats.jobs, bands: splitStats.bands, partnerBands: splitStats.partnerBands };
    report('ResNet-50 forward at 224×224, in-process', sides, { splitConvs: bands.jobs - jobs, partnerShare: bands.partnerBands / bands.bands, convShare: splitMs / totalMs, amdahlBound: bound });
    say(`  conv layers (with their fused BN/add/ReLU) ${((100 * splitMs) / totalMs).toFixed(1)} % of the one-thread forward: Amdahl's bound for two threads ${bound.toFixed(2)}×; partners computed ${((100 * bands.partnerBands) / bands.bands).toFixed(0)} % of the bands`);
  }
  await configureTeams(null);
}
