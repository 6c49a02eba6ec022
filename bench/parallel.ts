/**
 * Two threads against one on the same work, in the same run (issue 12 goal: ≥ 1.8×):
 *  - one large convolution, 3×3 128→128 at 112×112: in-process (this thread alone, against this
 *    thread leading one partner of its team: the kernel split alone, and against this thread and a
 *    helper thread each running the whole conv at once: the kernel's ceiling in the same rounds,
 *    and the split's share of it), and through worker pools of
 *    one and of two workers (POST /v1/operators' path: the call sent to a worker, its team split,
 *    its output released as the route releases it once sent), each pool's call timed after the
 *    other pool's (its threads idle meanwhile) and right after its own (calls back to back); the
 *    two-worker call's x and weight in the shared buffers the route reads large .npy parts into
 *    (http/shared-bodies.ts), and once more in plain buffers (what that saves);
 *  - a whole ResNet-50 forward at 1×3×224×224 (bench/.cache/resnet50.onnx, file weights) in its
 *    steady state (a kept WeightStore, as the worker's model cache serves a second /v1/run): this
 *    thread alone, against this thread leading one partner (RunOptions.split: convolutions, max
 *    pooling and whatever else runtime/split.ts splits) with even bands (two a thread), with
 *    balanced bands (one a thread at the leader's share learnt per layer: the default), and with
 *    even bands without the spin before Atomics.wait (the conv in-process is run with its default bands and with channel bands:
 *    which costs less per thread depends on the machine);
 *  - a ConvNeXt-style block stack forward (bench/.cache/convnext_blocks.onnx), its blocks' fused
 *    MLPs split by positions, against one thread;
 *  - the zoo's ViT-B/16 forward at 224, its linear layers split, then its attention too;
 *  - after the conv, the machine's ceilings (bench/ceilings.ts): a SIMD loop, and two whole convs
 *    at once with no split, against one thread; each CPU's speed alone, before, with the ceilings
 *    and after the pool lines (bench/cpu-speeds.ts: 1 + the slower's speed bounds any split).
 * Samples of the sides alternate, so a change in the machine's load hits all. The load average
 * (os.loadavg) is printed and recorded: on a shared machine the wall-clock ratio drops with it
 * (with Linux's autogroup scheduling a process gets the same CPU share with one thread or two), so
 * the CPU per call and the busiest thread's CPU time (/proc schedstat, ns) are reported too: what an
 * idle machine would show at best, and this thread's full garbage collections over the timed rounds
 * (bench/sides.ts fullCollections: the pool line's slow runs had one a call). For ResNet-50 also:
 * the leader's time per phase of its split layers (staging, waking the partner, its own bands,
 * waiting, copying the partner's out), the partners' share of the bands, and Amdahl's bound from
 * the share of the forward that still runs on one thread.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inferGraph } from '../src/analysis/infer.js';
import { loadConfig } from '../src/config.js';
import { loadGraph } from '../src/graph/load.js';
import { callOperator } from '../src/http/compute.js';
import { BINARY_FACTOR } from '../src/http/admission.js';
import { plainBodyBuffer } from '../src/http/body.js';
import { BodyLease, SharedBodyPool } from '../src/http/shared-bodies.js';
import { chargeTo, MemoryBudget } from '../src/memory-budget.js';
import type { Reservation } from '../src/memory-budget.js';
import { runGraph } from '../src/runtime/execute.js';
import type { RunOptions } from '../src/runtime/execute.js';
import type { RunResult } from '../src/runtime/run-options.js';
import type { OperatorCall } from '../src/runtime/operator.js';
import { createPool } from '../src/runtime/pool.js';
import { releaseBuffers } from '../src/runtime/memory.js';
import { balance } from '../src/runtime/bands.js';
import { configureTeams, splitHeads, splitKernel, splitLinear, splitMlp, splitStats, teamActivations } from '../src/runtime/split.js';
import { SPIN_MS } from '../src/runtime/team-protocol.js';
import { bandWithEpilogue, sendsAsEpilogue } from '../src/runtime/team-epilogue.js';
import { WeightStore } from '../src/runtime/weight-store.js';
import type { OpDef, RunContext } from '../src/ops/types.js';
import { rng } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { ceilingsBench, convHelper } from './ceilings.js';
import { cpuSpeedsLine } from './cpu-speeds.js';
import { convModel } from './onnx-model.js';
import { loadPeer } from './peers.js';
import { record, say } from './records.js';
import { interleaved, median, pairedRatio, pickSides, releaseNow } from './sides.js';
import type { Sides } from './sides.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const random = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

/** Waits until this thread's team has a partner up (the first split spawns it and runs alone). */
async function partnerUp(split: () => unknown): Promise<void> {
  const before = splitStats.partnerBands;
  for (let i = 0; i < 200 && splitStats.partnerBands === before; i++) {
    await split();
    await new Promise((r) => setTimeout(r, 20));
  }
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(', ');

function report(name: string, s: Sides, side = 1, extra: Record<string, unknown> = {}): void {
  const [one, two] = [s.wall[0], s.wall[side]];
  const ms = (v: number) => `${(v * 1000).toFixed(1)} ms`;
  const projected = s.busiest[side] > 0 ? s.busiest[0] / s.busiest[side] : null;
  // the warm-up rounds (left out of the figures: see interleaved), when there were enough to say anything
  const warmRatio = s.warm[0].length >= 3 ? median(s.warm[0]) / median(s.warm[side]) : null;
  say(
    `${name}: one thread ${ms(one)}, two ${ms(two)}: ${(one / two).toFixed(2)}× (goal ≥ 1.8×; load average ${load()}); CPU per call ${ms(s.cpu[0])} and ${ms(s.cpu[side])}` +
      (projected ? `; busiest thread's CPU ${s.busiest[0].toFixed(1)} against ${s.busiest[side].toFixed(1)} ms: ≤ ${projected.toFixed(2)}× on an idle machine` : '') +
      `; fastest of ${s.samples} samples each ${ms(s.best[0])} and ${ms(s.best[side])}: ${(s.best[0] / s.best[side]).toFixed(2)}×; within rounds (median of ${s.samples}) ${pairedRatio(s, 0, side).toFixed(2)}×` +
      (warmRatio ? `; in the ${s.warm[0].length} warm-up rounds before (not counted) ${warmRatio.toFixed(2)}×` : '') +
      `; this thread's full collections over the ${s.samples} rounds: ${s.fullCollections.count} (${s.fullCollections.ms.toFixed(0)} ms of pauses; see bench/sides.ts fullCollections)`,
  );
  record({ bench: 'parallel', name, unit: 'ms', higherIsBetter: false, convlens: two * 1000, peers: { 'convlens, one thread': one * 1000 }, against: 'convlens, one thread', extra: { goal: '≥ 1.8×', loadAverage: os.loadavg(), cpuMs: [s.cpu[0] * 1000, s.cpu[side] * 1000], busiestThreadCpuMs: [s.busiest[0], s.busiest[side]], projectedIdleRatio: projected, fastestMs: [s.best[0] * 1000, s.best[side] * 1000], fastestRatio: s.best[0] / s.best[side], pairedRatio: pairedRatio(s, 0, side), warmRounds: s.warm[0].length, warmRatio, mainThreadFullCollections: s.fullCollections, ...extra } });
}

/**
 * What two threads give on this machine at all, as a peer measured in the same run: the same conv
 * in onnxruntime-node (its own thread pool) with one intra-op thread and with two, interleaved. Two
 * vCPUs of a shared host may share a core's SIMD units or memory bandwidth, and then no split
 * reaches 2×: this line is the ceiling the convlens lines above are to be read against.
 */
async function machineScaling(shape: number[], w: { data: Float32Array; shape: number[] }, b: { data: Float32Array }): Promise<void> {
  const ort = await loadPeer('onnxruntime-node');
  if (!ort) {
    say('onnxruntime-node two threads against one: skipped (npm --prefix bench ci --ignore-scripts)');
    return;
  }
  const model = convModel(shape, w.data, w.shape, b.data, 1, 1);
  const sessions = await Promise.all([1, 2].map((n) => ort.InferenceSession.create(model, { intraOpNumThreads: n, interOpNumThreads: 1 })));
  const feeds = { x: new ort.Tensor('float32', random(shape.reduce((a, c) => a * c, 1), 9), shape) };
  const s = await interleaved(sessions.map((session) => () => session.run(feeds)), 6);
  const ms = (v: number) => `${(v * 1000).toFixed(1)} ms`;
  say(`the same conv in onnxruntime-node, one intra-op thread ${ms(s.wall[0])}, two ${ms(s.wall[1])}: ${(s.wall[0] / s.wall[1]).toFixed(2)}× (this machine's two-thread scaling as onnxruntime sees it; load average ${load()}); fastest of ${s.samples}: ${(s.best[0] / s.best[1]).toFixed(2)}×; within rounds ${pairedRatio(s, 0, 1).toFixed(2)}×`);
  record({ bench: 'parallel', name: 'onnxruntime-node conv 128→128 at 112×112, two intra-op threads against one', unit: 'ms', higherIsBetter: false, convlens: s.wall[1] * 1000, peers: { 'onnxruntime-node, one thread': s.wall[0] * 1000 }, against: 'onnxruntime-node, one thread', extra: { note: 'the peer against itself: the machine’s two-thread ceiling', loadAverage: os.loadavg() } });
  await Promise.all(sessions.map((session) => session.release()));
}

export async function parallelBench(): Promise<void> {
  say(`\n## two threads against one (load average ${load()} on ${os.cpus().length} CPUs)`);
  await cpuSpeedsLine('before the conv');
  const shape = [1, 128, 112, 112];
  const x = tensor(shape, random(128 * 112 * 112, 1));
  const w = tensor([128, 128, 3, 3], random(128 * 128 * 9, 2));
  const b = tensor([128], random(128, 3));
  const call = (into: (n: number) => Float32Array = (n) => new Float32Array(n)): OperatorCall => {
    const copy = (a: Float32Array) => {
      const t = into(a.length);
      t.set(a);
      return t;
    };
    return { name: 'conv2d', inputs: [tensor(shape, copy(x.data))], attributes: { padding: 1 }, weights: { weight: tensor(w.shape, copy(w.data)), bias: tensor(b.shape, copy(b.data)) }, training: false, seed: 0, maxElements: 1 << 26 };
  };

  // the kernel alone: a one-conv graph run by this thread, then by this thread leading a partner
  const graph = loadGraph({ kind: 'spec', spec: { name: 'conv', inputs: [{ name: 'x', shape }], layers: [{ name: 'conv', op: 'conv2d', outChannels: 128, kernelSize: 3, padding: 1 }] } }).graph;
  const inference = inferGraph(graph);
  const opts = (split: boolean): RunOptions => ({ training: false, seed: 0, weightInit: 'seed', weights: { 'conv.weight': w, 'conv.bias': b }, capture: [], maxElements: 1 << 26, maxWork: Number.MAX_SAFE_INTEGER, ...(split && { split: splitKernel, shared: teamActivations }) });
  await configureTeams({ runThreads: 2, threads: 2 });
  const inputs = { [graph.inputs[0].name]: x };
  await partnerUp(() => runGraph(graph, inputs, opts(true), inference));
  const channelBands = () => {
    balance.channels = true;
    try {
      return runGraph(graph, inputs, opts(true), inference);
    } finally {
      balance.channels = false;
    }
  };
  // each call's output released before the next call's clock starts (bench/sides.ts releaseNow)
  let lastOutputs: RunResult | null = null;
  const released = () => {
    releaseNow(lastOutputs ? Object.values(lastOutputs.outputs) : []);
    lastOutputs = null;
  };
  const keep = (run: () => RunResult) => () => void (lastOutputs = run());
  const oneThread = keep(() => runGraph(graph, inputs, opts(false), inference));
  // the kernel's ceiling in the same rounds: this thread's one-thread conv and a helper thread's at once
  const helper = await convHelper();
  const twoAtOnce = async () => {
    const done = helper.once();
    oneThread();
    await done;
  };
  let convSides: Sides;
  try {
    convSides = await interleaved([oneThread, keep(() => runGraph(graph, inputs, opts(true), inference)), keep(channelBands), twoAtOnce], 8, released, 2);
  } finally {
    released();
    await helper.close();
  }
  // two convs in the time of one pair: 2·T1 / T_pair; the split's share of it: (T1 / T2) ÷ that
  const ceiling = 2 * pairedRatio(convSides, 0, 3);
  const shareOf = (side: number) => pairedRatio(convSides, 3, side) / 2;
  report('3×3 conv 128→128 at 112×112, in-process (row bands)', convSides, 1, { ceilingWithinRounds: ceiling, shareOfCeiling: shareOf(1) });
  report('3×3 conv 128→128 at 112×112, in-process, channel bands', convSides, 2, { ceilingWithinRounds: ceiling, shareOfCeiling: shareOf(2) });
  say(
    `  the kernel's ceiling in the same rounds (two whole convs at once, this thread's and a helper's, against one): ${ceiling.toFixed(2)}× within rounds; ` +
      `the split's share of it within rounds: row bands ${(100 * shareOf(1)).toFixed(0)} %, channel bands ${(100 * shareOf(2)).toFixed(0)} % (1.8× needs ${((100 * 1.8) / ceiling).toFixed(0)} % of this ceiling)`,
  );
  await machineScaling(shape, w, b);
  await ceilingsBench();

  // through the pool: the operator call sent to a worker, which splits it with its team
  const pools = [1, 2].map((n) => createPool(loadConfig({ WORKERS: String(n) })));
  for (let i = 0; i < 100; i++) if ((await callOperator(pools[1], call())).extra.workers === 2) break;
  // each side's next call is made before its clock starts: the route has its tensors decoded before
  // it calls the pool, and the copy of x (6.4 MB, 2–2.4 ms) that a fresh call needs, since calls
  // transfer their tensors, is this harness's, as in-process runs make none
  const next: OperatorCall[] = [];
  // the route's memory charge too (since 2026-12-03): each call a request whose .npy parts reserved
  // BINARY_FACTOR × their bytes, its task lent that share (MemoryCharge.lend) and asking through the
  // grant (a round trip through this thread's event loop) only for the peak beyond it
  const budget = new MemoryBudget(2 ** 40);
  const reservations: Reservation[] = [];
  const charges: ReturnType<typeof chargeTo>[] = [];
  // the route reads a large .npy part into a shared buffer its app keeps (http/shared-bodies.ts) when
  // the workers split layers, as the two-worker pool's do: the partners then read x in place. Taken
  // here, before the clock, as the route has its body read before it calls the pool; given back once
  // the answer is in, as the route does once it is sent
  const bodies = new SharedBodyPool();
  const leases: (BodyLease | null)[] = [];
  const request = (side: number) => {
    leases[side]?.end('whole');
    // side 4: the two-worker pool's call with x and the weight in plain buffers, as the route read them before
    leases[side] = side === 2 || side === 3 ? new BodyLease(bodies, plainBodyBuffer) : null;
    const lease = leases[side];
    next[side] = call(lease ? (n) => new Float32Array(lease.buffer(n * 4).buffer, 0, n) : undefined);
    const share = BINARY_FACTOR * [...next[side].inputs, ...Object.values(next[side].weights)].reduce((n, t) => n + t.data.byteLength, 0);
    reservations[side]?.release();
    reservations[side] = budget.tryReserve(share)!;
    charges[side] = chargeTo(budget, reservations[side], () => share);
  };
  // as the route does once its answer is sent (http/tensors.ts releaseWhenSent): the output's memory goes back at once
  const answered = async (side: number) => releaseBuffers((await callOperator(pools[side === 4 ? 1 : side >> 1], next[side], { memory: charges[side] })).outputs.map((t) => t.data.buffer));
  // each pool's call twice in a row: the first after the other pool's (its threads idle meanwhile,
  // as a service's between requests), the second right after its own (a client that sends the next
  // call once it has the answer). After 46 ms idle a thread ran half this conv 3 % slower than back
  // to back (2026-12-02, docs/benchmarks-log.md); a two-thread call pays that on both threads.
  const poolSides = await interleaved([0, 1, 2, 3, 4].map((side) => () => answered(side)), 15, request, 4);
  const note = 'each call made before its clock starts (since 2026-11-30 22:11 UTC; before, its 6.4 MB copy of x was timed)';
  report('3×3 conv 128→128 at 112×112, worker pool of 1 vs 2 (POST /v1/operators path)', pickSides(poolSides, [0, 2]), 1, { note });
  report('3×3 conv 128→128 at 112×112, worker pool of 1 vs 2, calls back to back (each right after its own pool\'s last)', pickSides(poolSides, [1, 3]), 1, { note: `${note}; each pool's call follows its own, not the other pool's` });
  await cpuSpeedsLine('after the pool lines');
  // what the shared buffers gain: the same two-worker call, its x and weight in plain buffers (the leader copies the
  // partner's share into its arena); side 4 follows side 3 on the same pool, so both are back to back
  const [plainMs, sharedMs] = [poolSides.wall[4] * 1000, poolSides.wall[3] * 1000];
  say(
    `  the two-worker call back to back with x and the weight in plain buffers (as the route read them before 2026-12-04): ${plainMs.toFixed(1)} ms against ${sharedMs.toFixed(1)} in the route's shared buffers ` +
      `(${(plainMs / sharedMs).toFixed(3)}×, within rounds ${pairedRatio(poolSides, 4, 3).toFixed(3)}×); the back-to-back pool line with plain buffers: ${(poolSides.wall[1] / poolSides.wall[4]).toFixed(2)}× (within rounds ${pairedRatio(poolSides, 1, 4).toFixed(2)}×)`,
  );
  record({ bench: 'parallel', name: '3×3 conv 128→128 at 112×112, two-worker pool: inputs in shared buffers against plain ones', unit: 'ms', higherIsBetter: false, convlens: sharedMs, peers: { 'plain buffers': plainMs }, against: 'plain buffers', extra: { note: 'both back to back', pairedRatio: pairedRatio(poolSides, 4, 3), backToBackPoolLineWithPlain: poolSides.wall[1] / poolSides.wall[4] } });
  await Promise.all(pools.map((p) => p.close()));

  const file = path.join(here, '.cache', 'resnet50.onnx');
  if (!existsSync(file)) {
    say('ResNet-50: skipped (run `npm run bench -- networks` first: it exports bench/.cache/resnet50.onnx)');
  } else {
    const net = loadGraph({ kind: 'onnx', bytes: readFileSync(file), inputShapes: {} }).graph;
    const netInference = inferGraph(net);
    const netInputs = { [net.inputs[0].name]: tensor([1, 3, 224, 224], random(3 * 224 * 224, 4)) };
    // the steady state: one kept store (folded weights), filled by the warm-up runs, its weights in
    // shared memory as a worker with a team keeps them (the partners read them in place)
    const store = new WeightStore(true, true);
    const base: RunOptions = { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 26, maxWork: Number.MAX_SAFE_INTEGER, store };
    /** The layers (op and input shapes) the two-thread runs split: their kernels are the parallel part. */
    const splitLayers = new Set<string>();
    const layerKey = (op: OpDef, ctx: RunContext<any>) => `${op.name}:${ctx.inputs.map((t) => t.shape.join('×')).join(',')}:${Object.values(ctx.weights).map((t) => t.shape.join('×')).join(',')}:${ctx.outputs.map((o) => o.join('×')).join(',')}`;
    const recording: RunOptions['split'] = (op, ctx, keep, epilogue) => {
      // the epilogue passed on: the bands apply the fused activation and residual add, as the worker's runs do
      const r = splitKernel(op, ctx, keep, epilogue);
      if (r) splitLayers.add(layerKey(op, ctx));
      return r;
    };
    const forward = (o: RunOptions) => runGraph(net, netInputs, o, netInference);
    const byDefault = balance.enabled;
    const even = () => ((balance.enabled = false), forward({ ...base, split: recording, shared: teamActivations }));
    const balanced = () => ((balance.enabled = true), forward({ ...base, split: recording, shared: teamActivations }));
    const noSpin = () => {
      [balance.enabled, balance.spinMs] = [false, 0];
      try {
        return forward({ ...base, split: recording, shared: teamActivations });
      } finally {
        balance.spinMs = SPIN_MS;
      }
    };
    await partnerUp(even);
    const jobs0 = splitStats.jobs;
    even();
    const jobsPerForward = splitStats.jobs - jobs0;
    // the split's counters over the timed rounds only (taken again after the warm-up)
    const snapshot = () => ({ ...splitStats, ms: { ...splitStats.ms } });
    let before = snapshot();
    // the machine's own two-thread scaling on this network, as a peer sampled with the same rounds:
    // onnxruntime-node on the same file with one intra-op thread and with two
    const ort = await loadPeer('onnxruntime-node');
    const sessions = ort ? await Promise.all([1, 2].map((n) => ort.InferenceSession.create(file, { intraOpNumThreads: n, interOpNumThreads: 1 }))) : [];
    const feeds = ort && { [sessions[0].inputNames[0]]: new ort.Tensor('float32', netInputs[net.inputs[0].name].data, [1, 3, 224, 224]) };
    const sides = await interleaved([() => forward(base), even, balanced, noSpin, ...sessions.map((session) => () => session.run(feeds))], 24, undefined, 12, () => (before = snapshot()));
    balance.enabled = byDefault;
    const d = (k: 'jobs' | 'bands' | 'partnerBands' | 'partnerJobs' | 'sharedWeightJobs') => splitStats[k] - before[k];
    const runs = d('jobs') / Math.max(1, jobsPerForward);
    const phases = Object.fromEntries(Object.entries(splitStats.ms).map(([k, v]) => [k, (v - before.ms[k as keyof typeof before.ms]) / Math.max(1, runs)]));
    const stagedFloats = (splitStats.stagedFloats - before.stagedFloats) / Math.max(1, runs);

    // Amdahl's bound on an idle machine: one thread runs the layers the team splits, timed alone
    // (their kernels and what they apply in their bands, the fused activation and residual add: the
    // parallel part P) within the forward T_h; the rest, T_h − P, stays on the leader (element-wise
    // layers no split layer takes, the runs' bookkeeping); the bound is T1 / (T_h − P + P/2), T1 the
    // plain forward timed alternately with it
    const timed: number[][] = [[], [], []];
    for (let i = 0; i < 7; i++) {
      let parallelMs = 0;
      const plain = performance.now();
      forward(base);
      timed[2].push(performance.now() - plain);
      const t = performance.now();
      forward({ ...base, split: (op, ctx, _keep, epilogue) => {
        if (!splitLayers.has(layerKey(op, ctx))) return null;
        const k = performance.now();
        // what a split layer applies in its bands (the fused activation, a residual add) is parallel work too
        const mapped = epilogue !== undefined && (!epilogue.op || sendsAsEpilogue(epilogue.op)) && ctx.outputs.length === 1;
        let outputs: Tensor[];
        if (mapped) {
          const out = new Float32Array(ctx.outputs[0].reduce((a, c) => a * c, 1));
          const band = bandWithEpilogue(() => out.set(op.run(ctx)[0].data), { count: 1, stride: 0, unit: out.length }, out, { op: epilogue.op ?? null, attrs: epilogue.attrs, residual: epilogue.residual?.data ?? null });
          band(0, 1);
          outputs = [tensor(ctx.outputs[0], out)];
        } else outputs = op.run(ctx);
        parallelMs += performance.now() - k;
        return { outputs, mapped };
      } });
      timed[0].push(performance.now() - t);
      timed[1].push(parallelMs);
    }
    const [hooked, parallelMs, plainMs] = timed.map(median);
    const serialShare = (hooked - parallelMs) / hooked;
    const bound = plainMs / (hooked - parallelMs / 2);
    const ops = [...new Set([...splitLayers].map((k) => k.split(':')[0]))].join(', ');
    const extra = { splitLayers: jobsPerForward, splitShapes: splitLayers.size, splitOps: ops, partnerShare: d('partnerBands') / d('bands'), jobsWithPartner: d('partnerJobs') / d('jobs'), leaderPhasesMs: phases, stagedFloats, serialShare, amdahlBound: bound };
    report('ResNet-50 forward at 224×224 (steady state), in-process (even bands)', sides, 1, extra);
    report('ResNet-50 forward at 224×224 (steady state), in-process, balanced bands (learnt leader share)', sides, 2);
    report('ResNet-50 forward at 224×224 (steady state), in-process, even bands, no spin before Atomics.wait', sides, 3);
    if (sessions.length) {
      const ms = (v: number) => `${(v * 1000).toFixed(1)} ms`;
      const [o1, o2] = [sides.wall[4], sides.wall[5]];
      const ours = sides.wall[0] / sides.wall[1];
      const [best, oursBest] = [sides.best[4] / sides.best[5], sides.best[0] / sides.best[1]];
      const [pairedOrt, pairedOurs] = [pairedRatio(sides, 4, 5), pairedRatio(sides, 0, 1)];
      say(`  onnxruntime-node on the same file, sampled in the same rounds: one intra-op thread ${ms(o1)}, two ${ms(o2)}: ${(o1 / o2).toFixed(2)}× (this machine's two-thread scaling on ResNet-50 as onnxruntime sees it; convlens's ${ours.toFixed(2)}×, ${((100 * ours) / (o1 / o2)).toFixed(0)} % of it); fastest samples ${best.toFixed(2)}× (convlens's ${oursBest.toFixed(2)}×, ${((100 * oursBest) / best).toFixed(0)} %); within rounds ${pairedOrt.toFixed(2)}× (convlens's ${pairedOurs.toFixed(2)}×, ${((100 * pairedOurs) / pairedOrt).toFixed(0)} %)`);
      record({ bench: 'parallel', name: 'onnxruntime-node ResNet-50 forward, two intra-op threads against one', unit: 'ms', higherIsBetter: false, convlens: o2 * 1000, peers: { 'onnxruntime-node, one thread': o1 * 1000 }, against: 'onnxruntime-node, one thread', extra: { note: 'the peer against itself: the machine’s two-thread ceiling on this network', convlensRatio: ours, pairedRatio: pairedOrt, convlensPairedRatio: pairedOurs, loadAverage: os.loadavg() } });
      await Promise.all(sessions.map((session) => session.release()));
    }
    say(
      `  split per forward: ${jobsPerForward} layers of ${splitLayers.size} shapes (${ops}); partners computed ${((100 * d('partnerBands')) / d('bands')).toFixed(0)} % of the bands, took part in ${((100 * d('partnerJobs')) / d('jobs')).toFixed(0)} % of the jobs; ` +
        `the leader's ms per two-thread forward (all three kinds) in them: staging ${phases.stage.toFixed(1)} before the jobs open and ${phases.lateStage.toFixed(1)} after (in own bands; ${(stagedFloats / 1e6).toFixed(2)} M floats copied in, weights read in place in ${d('sharedWeightJobs')} of ${d('jobs')} jobs), waking the partner ${phases.wake.toFixed(1)}, own bands ${phases.own.toFixed(1)}, waiting ${phases.wait.toFixed(1)}, copying out ${phases.copy.toFixed(1)}; the partners' ms in their bands ${phases.partner.toFixed(1)}, and from the notify to their first band ${phases.lag.toFixed(1)} (summed over the jobs they took part in; a partner too late for any band counts nothing)`,
    );
    say(
      `  one thread: split layers' kernels ${parallelMs.toFixed(1)} of ${hooked.toFixed(1)} ms (with the hook), so ${(100 * serialShare).toFixed(1)} % stays serial: ` +
        `Amdahl's bound for two threads ${(1 / (serialShare + (1 - serialShare) / 2)).toFixed(2)}×, against the plain one-thread forward (${plainMs.toFixed(1)} ms, timed alternately with it) ${bound.toFixed(2)}×`,
    );
  }
  await convNextBlocks();
  await vitForward();
  await configureTeams(null);
}

/**
 * The zoo's ViT-B/16 at 224 (seeded weights, kept in shared memory from the second run, as a
 * worker's model cache keeps a zoo model's): one thread against two with its linear layers split
 * (the MLPs, their GELU in the bands) and against two with its attention split too, as a worker's
 * runs split it (RunOptions.splitLinear: the QKV and output projections; splitHeads: the heads).
 * No peer runs it here (no ONNX export of it in bench/.cache): the lines compare convlens with
 * itself in the same rounds.
 */
async function vitForward(): Promise<void> {
  const net = loadGraph({ kind: 'model', name: 'vit_b_16', resolution: 224 }).graph;
  const inference = inferGraph(net);
  const inputs = { [net.inputs[0].name]: tensor([1, 3, 224, 224], random(3 * 224 * 224, 6)) };
  const base: RunOptions = { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 27, maxWork: Number.MAX_SAFE_INTEGER, store: new WeightStore(true, true) };
  const linears: RunOptions = { ...base, split: splitKernel, splitMlp, shared: teamActivations };
  const attention: RunOptions = { ...linears, splitLinear, splitHeads };
  await partnerUp(() => runGraph(net, inputs, attention, inference));
  const sides = await interleaved([() => runGraph(net, inputs, base, inference), () => runGraph(net, inputs, linears, inference), () => runGraph(net, inputs, attention, inference)], 12);
  report('ViT-B/16 forward at 224 (zoo, seeded weights kept), in-process, its linear layers split', sides);
  report('ViT-B/16 forward at 224, in-process, its attention split too (projections and heads)', sides, 2);
}

/**
 * The ConvNeXt-style block stack (bench/.cache/convnext_blocks.onnx, file weights, steady state):
 * one thread against two, where nearly all of the forward is the blocks' fused MLPs, split by
 * positions (RunOptions.splitMlp) as a worker's runs split them; onnxruntime-node's own two threads
 * against one on the same file in the same rounds.
 */
async function convNextBlocks(): Promise<void> {
  const file = path.join(here, '.cache', 'convnext_blocks.onnx');
  if (!existsSync(file)) {
    say('ConvNeXt block stack: skipped (run `npm run bench -- networks` first: it exports bench/.cache/convnext_blocks.onnx)');
    return;
  }
  const net = loadGraph({ kind: 'onnx', bytes: readFileSync(file), inputShapes: {} }).graph;
  const inference = inferGraph(net);
  const shape = net.inputs[0].shape as number[];
  const inputs = { [net.inputs[0].name]: tensor(shape, random(shape.reduce((a, c) => a * c, 1), 5)) };
  const base: RunOptions = { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 26, maxWork: Number.MAX_SAFE_INTEGER, store: new WeightStore(true, true) };
  const two: RunOptions = { ...base, split: splitKernel, splitMlp, shared: teamActivations };
  await partnerUp(() => runGraph(net, inputs, two, inference));
  const ort = await loadPeer('onnxruntime-node');
  const sessions = ort ? await Promise.all([1, 2].map((n) => ort.InferenceSession.create(file, { intraOpNumThreads: n, interOpNumThreads: 1 }))) : [];
  const feeds = ort && { [sessions[0].inputNames[0]]: new ort.Tensor('float32', inputs[net.inputs[0].name].data, shape) };
  const sides = await interleaved([() => runGraph(net, inputs, base, inference), () => runGraph(net, inputs, two, inference), ...sessions.map((session) => () => session.run(feeds))], 12, undefined, 4);
  report('ConvNeXt-style block stack forward (steady state), in-process (its MLPs split by positions)', sides);
  if (sessions.length) say(`  onnxruntime-node on the same file, same rounds: two intra-op threads against one ${(sides.wall[2] / sides.wall[3]).toFixed(2)}× (within rounds ${pairedRatio(sides, 2, 3).toFixed(2)}×)`);
  await Promise.all(sessions.map((session) => session.release()));
}
