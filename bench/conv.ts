/**
 * Convolution throughput, GFLOP/s (2·MACs per second), side by side in one run:
 *   convlens kernel in-process (one thread); convlens through the worker pool with 1 and 2
 *   workers (the dense conv splits across workers); onnxruntime-node and onnxruntime-web (wasm),
 *   one thread each. Goals (issue 4): ≥ 4 GFLOP/s per worker on the dense conv, ≥ 1.8× with two.
 */
import { loadConfig } from '../src/config.js';
import { callOperator } from '../src/http/compute.js';
import { createPool } from '../src/runtime/pool.js';
import { runOperator } from '../src/runtime/operator.js';
import type { OperatorCall } from '../src/runtime/operator.js';
import { rng } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';
import { convModel } from './onnx-model.js';
import { loadPeer } from './peers.js';

interface Case {
  name: string;
  x: number[];
  cout: number;
  k: number;
  groups: number;
}

const CASES: Case[] = [
  { name: 'dense 3×3 conv 64→64 at 56×56', x: [1, 64, 56, 56], cout: 64, k: 3, groups: 1 },
  { name: 'dense 3×3 conv 128→128 at 112×112', x: [1, 128, 112, 112], cout: 128, k: 3, groups: 1 },
  { name: 'depthwise 3×3 conv, 128 channels at 56×56', x: [1, 128, 56, 56], cout: 128, k: 3, groups: 128 },
];

const random = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

/** Median seconds per call: 2 s of warm-up (every worker's JIT reaches its optimising tier), then at least 1.5 s of samples. */
async function time(fn: () => unknown | Promise<unknown>, minSeconds = 1.5): Promise<number> {
  const warm = performance.now() + 2000;
  while (performance.now() < warm) await fn();
  const samples: number[] = [];
  const end = performance.now() + minSeconds * 1000;
  while (performance.now() < end || samples.length < 5) {
    const t = performance.now();
    await fn();
    samples.push((performance.now() - t) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

export async function convBench(): Promise<void> {
  const ortNode = await loadPeer('onnxruntime-node');
  const ortWeb = await loadPeer('onnxruntime-web');
  if (ortWeb) ortWeb.env.wasm.numThreads = 1;
  const pools = [1, 2].map((n) => createPool(loadConfig({ WORKERS: String(n) })));
  for (const c of CASES) {
    const cinG = c.x[1] / c.groups;
    const wShape = [c.cout, cinG, c.k, c.k];
    const x = tensor(c.x, random(c.x.reduce((a, b) => a * b, 1), 1));
    const w = tensor(wShape, random(wShape.reduce((a, b) => a * b, 1), 2));
    const b = tensor([c.cout], random(c.cout, 3));
    const call: OperatorCall = { name: 'conv2d', inputs: [x], attributes: { padding: 1, groups: c.groups }, weights: { weight: w, bias: b }, training: false, seed: 0, maxElements: 1 << 26 };
    const flops = runOperator(call).layer.flopsByConvention["2macs"];
    const gflops = (s: number) => flops / s / 1e9;
    console.log(`\n## ${c.name} (${(flops / 1e6).toFixed(0)} MFLOP)`);
    const rows: [string, number][] = [];
    rows.push(['convlens kernel, in-process, 1 thread', gflops(await time(() => runOperator(call)))]);
    for (const [i, pool] of pools.entries()) {
      // each call sends fresh copies: transfers detach the buffers they move
      const fresh = (): OperatorCall => ({ ...call, inputs: [tensor(x.shape, x.data.slice())], weights: { weight: tensor(w.shape, w.data.slice()), bias: tensor(b.shape, b.data.slice()) } });
      rows.push([`convlens worker pool, ${i + 1} worker${i ? 's' : ''}`, gflops(await time(() => callOperator(pool, fresh())))]);
    }
    const model = convModel(c.x, w.data, wShape, b.data, c.groups, 1);
    for (const [label, ort, opts] of [
      ['onnxruntime-node, 1 thread', ortNode, { intraOpNumThreads: 1, interOpNumThreads: 1 }],
      ['onnxruntime-web (wasm), 1 thread', ortWeb, {}],
    ] as const) {
      if (!ort) {
        console.log(`${label}: skipped (npm --prefix bench ci --ignore-scripts)`);
        continue;
      }
      const session = await ort.InferenceSession.create(model, opts);
      const feeds = { x: new ort.Tensor('float32', x.data, c.x) };
      rows.push([label, gflops(await time(() => session.run(feeds)))]);
    }
    const base = rows[0][1];
    for (const [label, g] of rows) console.log(`${label.padEnd(40)} ${g.toFixed(2).padStart(7)} GFLOP/s   ${(g / base).toFixed(2)}× convlens 1 thread`);
    const [one, two] = [rows[1][1], rows[2][1]];
    console.log(`two workers / one worker: ${(two / one).toFixed(2)}×`);
  }
  await Promise.all(pools.map((p) => p.close()));
}
