/**
 * A zoo model's forwards in-process as a /v1/run worker runs them (runTask, the model cache on):
 * per forward its wall and CPU time, minor page faults (process.resourceUsage) and RSS, the
 * per-op times (the executor's onLayer hook) with OPS=1, and at the end the large-buffer pool's
 * hits and misses (tensor/large-buffers.ts) and the process's peak RSS. The first two forwards
 * draw and keep the seeded weights; later ones are the steady state. With TREE=<another checkout>
 * that tree's code runs instead (before and after, in separate processes).
 * Run: nice -n 19 node --import tsx bench/forward-faults.ts [model] [resolution] [forwards]
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const tree = process.env.TREE ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { runTask } = (await import(`${tree}/src/runtime/tasks.ts`)) as typeof import('../src/runtime/tasks.js');
const { tensor } = (await import(`${tree}/src/tensor/tensor.ts`)) as typeof import('../src/tensor/tensor.js');
const { rng } = (await import(`${tree}/src/tensor/random.ts`)) as typeof import('../src/tensor/random.js');
const pool = ((await import(`${tree}/src/tensor/large-buffers.ts`).catch(() => null)) as typeof import('../src/tensor/large-buffers.js') | null)?.largeBuffers;

const name = process.argv[2] ?? 'mvit_v2_s';
const resolution = Number(process.argv[3] ?? 224);
const forwards = Number(process.argv[4] ?? 4);
// the video models read [N, 3, 16, H, W]
const shape = [1, 3, 16, resolution, resolution];
const r = rng(1);
const x = tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => r() * 2 - 1));
for (let i = 0; i < forwards; i++) {
  const perOp = new Map<string, number>();
  const onLayer = (_layer: unknown, op: string, ms: number) => perOp.set(op, (perOp.get(op) ?? 0) + ms);
  const faults = process.resourceUsage().minorPageFault;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const out = runTask({ source: { kind: 'model', name, resolution }, inputs: { '': x }, weights: {}, weightInit: 'seed', training: false, seed: 0, capture: [], onLayer, maxElements: 1 << 30 } as never);
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  const logits = Object.values(out.outputs)[0].data;
  const sum = logits.reduce((a, b) => a + b, 0);
  console.log(
    `${name} at ${resolution}, forward ${i}: ${ms.toFixed(0)} ms (CPU ${((used.user + used.system) / 1000).toFixed(0)} ms), ${process.resourceUsage().minorPageFault - faults} faults, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, sum of outputs ${sum}`,
  );
  if (process.env.OPS) console.log('  ' + [...perOp].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([op, t]) => `${op} ${t.toFixed(0)} ms`).join(', '));
}
if (pool) console.log(`large-buffer pool: ${pool.hits} hits, ${pool.misses} misses, ${(pool.freeBytes / 2 ** 20).toFixed(1)} MiB free`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
