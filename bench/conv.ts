/**
 * Convolution throughput, GFLOP/s (2·MACs per second), side by side in one run: the convlens
 * kernel in-process (one thread), onnxruntime-web (wasm, one thread: the engine to match, issue 12)
 * and onnxruntime-node (one thread), timed call by call in turn (interleaved); for the dense 3×3
 * convs also the worker pool with one and two workers (with two, the worker that takes a large conv
 * splits it with its partner thread by bands of output channels or rows: runtime/split.ts).
 * The stride-1 3×3 convs run Winograd F(2×2, 3×3) (ops/conv-winograd.ts); the direct im2col and
 * GEMM is timed beside them in the same window. GFLOP/s count the direct conv's 2·MACs throughout.
 * Goals (issue 12): ≥ 1.0× onnxruntime-web on every case; two workers ≥ 1.8× one worker.
 */
import { loadConfig } from '../src/config.js';
import { callOperator } from '../src/http/compute.js';
import { createPool } from '../src/runtime/pool.js';
import { checkOperator, runOperator } from '../src/runtime/operator.js';
import { winogradApplies, withoutWinograd } from '../src/ops/conv-winograd.js';
import type { ConvPlan } from '../src/ops/conv.js';
import type { OperatorCall } from '../src/runtime/operator.js';
import { rng } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';
import { convModel } from './onnx-model.js';
import { loadPeer } from './peers.js';
import { record, say, time } from './records.js';

interface Case {
  name: string;
  x: number[];
  cout: number;
  k: number;
  groups: number;
  stride: number;
  /** Also through the worker pool with one and two workers. */
  pool?: boolean;
}

const dw = (k: number, stride: number, c = 128, hw = 56): Case => ({ name: `depthwise ${k}×${k} conv stride ${stride}, ${c} channels at ${hw}×${hw}`, x: [1, c, hw, hw], cout: c, k, groups: c, stride });
const CASES: Case[] = [
  { name: 'dense 3×3 conv 64→64 at 56×56', x: [1, 64, 56, 56], cout: 64, k: 3, groups: 1, stride: 1, pool: true },
  { name: 'dense 3×3 conv 128→128 at 112×112', x: [1, 128, 112, 112], cout: 128, k: 3, groups: 1, stride: 1, pool: true },
  { name: 'dense 1×1 conv 256→64 at 56×56', x: [1, 256, 56, 56], cout: 64, k: 1, groups: 1, stride: 1 },
  { name: 'strided 3×3 conv 128→128 stride 2 at 56×56', x: [1, 128, 56, 56], cout: 128, k: 3, groups: 1, stride: 2 },
  { name: '7×7 stem conv 3→64 stride 2 at 224×224', x: [1, 3, 224, 224], cout: 64, k: 7, groups: 1, stride: 2 },
  dw(3, 1),
  dw(3, 2),
  dw(5, 1),
  dw(5, 2),
];

/**
 * Median seconds per call of each function, timed in turn call by call (as records.ts's time():
 * `warmSeconds` of warm-up for the JIT, then at least `minSeconds` per function and 5 calls each).
 */
async function interleaved(fns: (() => unknown)[], minSeconds = 1.5, warmSeconds = 2): Promise<number[]> {
  const warm = performance.now() + warmSeconds * 1000 * fns.length;
  while (performance.now() < warm) for (const fn of fns) await fn();
  const samples: number[][] = fns.map(() => []);
  const end = performance.now() + minSeconds * 1000 * fns.length;
  while (performance.now() < end || samples[0].length < 5) {
    for (const [i, fn] of fns.entries()) {
      const t = performance.now();
      await fn();
      samples[i].push((performance.now() - t) / 1000);
    }
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]);
}

const random = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

export async function convBench(): Promise<void> {
  const ortNode = await loadPeer('onnxruntime-node');
  const ortWeb = await loadPeer('onnxruntime-web');
  if (ortWeb) ortWeb.env.wasm.numThreads = 1;
  const pools = [1, 2].map((n) => createPool(loadConfig({ WORKERS: String(n) })));
  // the workers start (loading and compiling the service) with the pools: wait until every one has
  // answered before timing anything, or the first in-process case shares the CPUs with their start
  const tiny = (): OperatorCall => ({ name: 'conv2d', inputs: [tensor([1, 1, 4, 4], random(16, 4))], attributes: {}, weights: { weight: tensor([1, 1, 3, 3], random(9, 5)) }, training: false, seed: 0, maxElements: 1 << 20 });
  await Promise.all(pools.flatMap((pool, i) => Array.from({ length: i + 1 }, () => callOperator(pool, tiny()))));
  for (const c of CASES) {
    const cinG = c.x[1] / c.groups;
    const wShape = [c.cout, cinG, c.k, c.k];
    const pad = (c.k - 1) / 2;
    const x = tensor(c.x, random(c.x.reduce((a, b) => a * b, 1), 1));
    const w = tensor(wShape, random(wShape.reduce((a, b) => a * b, 1), 2));
    const b = tensor([c.cout], random(c.cout, 3));
    const call: OperatorCall = { name: 'conv2d', inputs: [x], attributes: { padding: pad, stride: c.stride, groups: c.groups }, weights: { weight: w, bias: b }, training: false, seed: 0, maxElements: 1 << 26 };
    const flops = runOperator(call).layer.flopsByConvention['2macs'];
    const gflops = (s: number) => flops / s / 1e9;
    say(`\n## ${c.name} (${(flops / 1e6).toFixed(0)} MFLOP)`);
    const rows: [string, number][] = [['convlens kernel, in-process, 1 thread', 0]];
    const pooled: number[] = [];
    if (c.pool) {
      for (const [i, pool] of pools.entries()) {
        // each call sends fresh copies: transfers detach the buffers they move
        const fresh = (): OperatorCall => ({ ...call, inputs: [tensor(x.shape, x.data.slice())], weights: { weight: tensor(w.shape, w.data.slice()), bias: tensor(b.shape, b.data.slice()) } });
        pooled.push(gflops(await time(() => callOperator(pool, fresh()))));
        rows.push([`convlens worker pool, ${i + 1} worker${i ? 's' : ''}`, pooled[i]]);
      }
    }
    const model = convModel(c.x, w.data, wShape, b.data, c.groups, pad, c.stride);
    const peers: Record<string, number | null> = { 'onnxruntime-web': null, 'onnxruntime-node': null };
    const contenders: { key: string; label: string; run: () => unknown }[] = [];
    for (const [key, label, ort, opts] of [
      ['onnxruntime-web', 'onnxruntime-web (wasm), 1 thread', ortWeb, {}],
      ['onnxruntime-node', 'onnxruntime-node, 1 thread', ortNode, { intraOpNumThreads: 1, interOpNumThreads: 1 }],
    ] as const) {
      if (!ort) {
        say(`${label}: skipped (npm --prefix bench ci --ignore-scripts)`);
        continue;
      }
      const session = await ort.InferenceSession.create(model, opts);
      const feeds = { x: new ort.Tensor('float32', x.data, c.x) };
      contenders.push({ key, label, run: () => session.run(feeds) });
    }
    // the in-process kernel and the peers call by call in one window, so a change in the machine's
    // load falls on all of them alike (timed one after another, the ratio moved by ±40 % here)
    // a stride-1 3×3 conv runs Winograd F(2×2, 3×3) (ops/conv-winograd.ts): the direct im2col and GEMM timed beside it
    const plan = checkOperator(call).plan as ConvPlan;
    const winograd = winogradApplies(plan.cin / plan.groups, plan.geo);
    const direct = winograd ? [() => withoutWinograd(() => runOperator(call))] : [];
    const [oursSeconds, ...others] = await interleaved([() => runOperator(call), ...direct, ...contenders.map((p) => p.run)]);
    const directSeconds = winograd ? others.shift()! : null;
    const peerSeconds = others;
    const ours = gflops(oursSeconds);
    rows[0][1] = ours;
    if (directSeconds) {
      rows[0][0] = 'convlens kernel (Winograd), in-process, 1 thread';
      rows.splice(1, 0, ['convlens direct (im2col + GEMM), 1 thread', gflops(directSeconds)]);
    }
    contenders.forEach((p, i) => {
      peers[p.key] = gflops(peerSeconds[i]);
      rows.push([p.label, peers[p.key]!]);
    });
    const web = peers['onnxruntime-web'];
    for (const [label, g] of rows) say(`${label.padEnd(40)} ${g.toFixed(2).padStart(7)} GFLOP/s${web ? `   ${(g / web).toFixed(2)}× onnxruntime-web` : ''}`);
    const extra = { goal: '≥ 1.0× onnxruntime-web, one thread each', ...(directSeconds ? { algorithm: 'Winograd F(2×2, 3×3)', directGflops: gflops(directSeconds) } : {}) };
    record({ bench: 'conv', name: c.name, unit: 'GFLOP/s', higherIsBetter: true, convlens: ours, peers, against: 'onnxruntime-web', extra });
    if (directSeconds) say(`Winograd / direct: ${(directSeconds / oursSeconds).toFixed(2)}× (GFLOP/s count the direct conv's 2·MACs for both)`);
    if (pooled.length === 2) {
      say(`two workers / one worker: ${(pooled[1] / pooled[0]).toFixed(2)}×`);
      record({ bench: 'conv-workers', name: `${c.name}, two workers`, unit: 'GFLOP/s', higherIsBetter: true, convlens: pooled[1], peers: { 'convlens, one worker': pooled[0] }, against: 'convlens, one worker', extra: { goal: '≥ 1.8×' } });
    }
  }
  await Promise.all(pools.map((p) => p.close()));
}
