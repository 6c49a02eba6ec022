/**
 * ERF samples through the worker's model cache (runtime/erf-task.ts, runtime/file-digest.ts):
 * computeErf over the pool as the service runs it, K random samples of an ONNX file (FILE, default
 * bench/.cache/resnet50.onnx), its digest sent with each sample (the worker looks the graph up in
 * its cache: one import per worker, then hits) against left out (every sample imports the file, as
 * before). Rounds alternate the two, in one process on one pool; medians of each.
 *
 * INLINE=1: in this thread (the command line's runner), the cache turned off for the other rounds
 * (MODEL_CACHE_BYTES 0's path), with the process's CPU time too (less moved by other load than the wall clock).
 *
 *   node --import tsx bench/erf-cache.ts [rounds] [samples]
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config.js';
import { computeErf, inlineRunner, poolRunner } from '../src/runtime/erf.js';
import { modelCache } from '../src/runtime/model-cache.js';
import type { ErfJob } from '../src/runtime/erf.js';
import { createPool } from '../src/runtime/pool.js';
import type { RunOptions, TaskPool } from '../src/runtime/pool.js';

const FILE = process.env.FILE ?? new URL('.cache/resnet50.onnx', import.meta.url).pathname;
const rounds = Number(process.argv[2] ?? 4);
const samples = Number(process.argv[3] ?? 4);
const real = createPool(loadConfig({ WORKERS: process.env.WORKERS ?? '2', TASK_TIMEOUT_MS: '600000' }));
let withDigest = true;
const pool = new Proxy(real, {
  get(target, key) {
    if (key === 'run') return (task: string, payload: unknown, transfer?: Transferable[], options: RunOptions = {}) => target.run(task as never, payload, transfer, withDigest ? options : { ...options, fileDigest: undefined });
    const value = Reflect.get(target, key) as unknown;
    return typeof value === 'function' ? value.bind(target) : value;
  },
}) as TaskPool;

const file = readFileSync(FILE);
const job = (): ErfJob => ({ source: { kind: 'onnx', bytes: new Uint8Array(file), inputShapes: {} }, mode: 'random', samples, inputs: {}, weights: {}, weightInit: 'file', seed: 1, target: { layer: '', channels: null, position: null }, stages: false, heatmap: false, maxElements: 1 << 26 });
const INLINE = process.env.INLINE === '1';
const cacheBytes = modelCache.maxBytes;
const time = async () => {
  if (INLINE) modelCache.maxBytes = withDigest ? cacheBytes : 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const s = await computeErf(INLINE ? inlineRunner : poolRunner(pool), job());
  const cpu = process.cpuUsage(cpu0);
  return { ms: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000, sum: s.gradient.data.reduce((a, b) => a + b, 0) };
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// each worker's first sample imports the file either way: once before the rounds
withDigest = true;
console.log(`warm-up (imports, cached): ${(await time()).ms.toFixed(0)} ms`);
const ms = { on: [] as number[], off: [] as number[] };
const cpu = { on: [] as number[], off: [] as number[] };
const sums = new Set<number>();
for (let r = 0; r < rounds; r++) {
  for (const on of r % 2 === 0 ? [true, false] : [false, true]) {
    withDigest = on;
    const m = await time();
    ms[on ? 'on' : 'off'].push(m.ms);
    cpu[on ? 'on' : 'off'].push(m.cpu);
    sums.add(m.sum);
    console.log(`round ${r} ${on ? 'cache (digest sent)' : 'import per sample  '}: ${m.ms.toFixed(0)} ms${INLINE ? ` (CPU ${m.cpu.toFixed(0)} ms)` : ''}`);
  }
}
console.log(`K=${samples} random samples of ${FILE.split('/').at(-1)}, ${INLINE ? 'inline' : `${real.threads} workers`}: median ${median(ms.on).toFixed(0)} ms through the cache, ${median(ms.off).toFixed(0)} ms importing each sample (${rounds} each); gradients' sums ${sums.size === 1 ? 'identical' : 'DIFFER'}`);
if (INLINE) console.log(`CPU time medians: ${median(cpu.on).toFixed(0)} ms through the cache, ${median(cpu.off).toFixed(0)} ms importing each sample`);
await real.close();
