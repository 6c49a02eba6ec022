/**
 * The model cache's key of a /v1/run's ONNX file (runtime/file-digest.ts): hashed by the route as
 * the file streams in and sent with the task, against hashed whole in the worker (the digest left
 * out of the pool's message: what every run did before). The app listens on PORT (default 3981),
 * one worker; each request posts bench/.cache/resnet50.onnx (FILE) as the multipart part "model"
 * over a real socket, its input a .npy part. The first run imports the file (a miss), the later
 * ones hit the worker's cache; rounds alternate the two ways, medians of each.
 * Measured: the run task's time in the pool (its worker's, the answer's move included), and the
 * event loop's time in each chunk's hash update (its sizes), timed around Hash.prototype.update.
 *
 *   node --import tsx bench/file-digest.ts [rounds]
 */
import { Hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/runtime/pool.js';
import type { RunOptions, TaskPool } from '../src/runtime/pool.js';
import { encodeNpy } from '../src/tensor/encoding.js';
import { tensor } from '../src/tensor/tensor.js';
import { runTask } from '../src/runtime/tasks.js';
import { noteDigest } from '../src/runtime/file-digest.js';
import { createHash } from 'node:crypto';

const FILE = process.env.FILE ?? new URL('.cache/resnet50.onnx', import.meta.url).pathname;
const PORT = Number(process.env.PORT ?? 3981);
const SIZE = Number(process.env.SIZE ?? 224);
const rounds = Number(process.argv[2] ?? 6);

// the event loop's time in each update of a chunk of 1 KiB or more (a hash of the model part as it arrives)
const updates: { bytes: number; ms: number }[] = [];
const update = Hash.prototype.update;
const plain = update as (this: Hash, data: unknown, encoding?: unknown) => Hash;
Hash.prototype.update = function timed(this: Hash, data: unknown, encoding?: unknown) {
  const t0 = performance.now();
  const out = plain.call(this, data, encoding);
  const n = (data as Uint8Array).byteLength ?? 0;
  if (n >= 1024) updates.push({ bytes: n, ms: performance.now() - t0 });
  return out;
} as typeof update;

const config = loadConfig({ WORKERS: '1', PORT: String(PORT), TASK_TIMEOUT_MS: '600000' });
const real = createPool(config);
let withDigest = true;
let lastMs = 0;
const pool = new Proxy(real, {
  get(target, key) {
    if (key === 'run') {
      return async (task: string, payload: unknown, transfer?: Transferable[], options: RunOptions = {}) => {
        const opts = task === 'run' && !withDigest ? { ...options, fileDigest: undefined } : options;
        const t0 = performance.now();
        try {
          return await target.run(task as never, payload, transfer, opts);
        } finally {
          if (task === 'run') lastMs = performance.now() - t0;
        }
      };
    }
    const value = Reflect.get(target, key) as unknown;
    return typeof value === 'function' ? value.bind(target) : value;
  },
}) as TaskPool;

const app = await buildApp({ config, pool });
await app.listen({ port: PORT, host: '127.0.0.1' });
const file = readFileSync(FILE);
const SHA256 = createHash('sha256').update(file).digest('hex');
const npy = encodeNpy(tensor([1, 3, SIZE, SIZE], Float32Array.from({ length: 3 * SIZE * SIZE }, (_, i) => Math.sin(i))));

async function post(): Promise<{ worker: number; total: number; hash: { chunks: number; ms: number; max: number; bytes: number } }> {
  const form = new FormData();
  form.append('model', new Blob([new Uint8Array(file)]), 'resnet50.onnx');
  form.append('input', new Blob([new Uint8Array(npy)]), 'x.npy');
  form.append('request', JSON.stringify({ format: 'base64' }));
  updates.length = 0;
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${PORT}/v1/run`, { method: 'POST', body: form });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${res.status} ${text.slice(0, 300)}`);
  const total = performance.now() - t0;
  const big = updates.filter((u) => u.bytes >= 1024);
  return { worker: lastMs, total, hash: { chunks: big.length, ms: big.reduce((s, u) => s + u.ms, 0), max: Math.max(0, ...big.map((u) => u.ms)), bytes: big.reduce((s, u) => s + u.bytes, 0) } };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (x: number) => x.toFixed(1);

const first = await post();
console.log(`first run (import, digest sent): worker ${f(first.worker)} ms, request ${f(first.total)} ms; hash on the event loop: ${first.hash.chunks} chunks of ${(first.hash.bytes / first.hash.chunks / 1024).toFixed(1)} KiB mean, ${f(first.hash.ms)} ms in all, ${first.hash.max.toFixed(3)} ms the longest`);
const times = { on: [] as number[], off: [] as number[] };
const totals = { on: [] as number[], off: [] as number[] };
const perChunk: number[] = [];
const sizes: number[] = [];
for (let r = 0; r < rounds; r++) {
  for (const on of r % 2 === 0 ? [true, false] : [false, true]) {
    withDigest = on;
    const m = await post();
    times[on ? 'on' : 'off'].push(m.worker);
    totals[on ? 'on' : 'off'].push(m.total);
    if (on) {
      perChunk.push(...updates.map((u) => u.ms));
      sizes.push(...updates.map((u) => u.bytes));
    }
    console.log(`round ${r} ${on ? 'digest sent   ' : 'hashed in worker'}: worker ${f(m.worker)} ms, request ${f(m.total)} ms`);
  }
}
console.log(`cache hits, worker time median: digest sent ${f(median(times.on))} ms, hashed in the worker ${f(median(times.off))} ms (${rounds} each); whole request median ${f(median(totals.on))} vs ${f(median(totals.off))} ms`);
const sorted = [...perChunk].sort((a, b) => a - b);
console.log(`hash updates on the event loop: ${perChunk.length} chunks, size median ${(median(sizes) / 1024).toFixed(1)} KiB (max ${(Math.max(...sizes) / 1024).toFixed(1)}), time median ${median(perChunk).toFixed(3)} ms, p99 ${sorted[Math.floor(sorted.length * 0.99)].toFixed(3)} ms, max ${sorted.at(-1)!.toFixed(3)} ms`);
await app.close();
await real.close();

// the worker's part alone, in this thread (a cache hit's runTask, as the worker runs it without a team):
// the file's digest noted (as the worker notes the pool's) or not (hashed in modelKey), alternating, wall and CPU time
const inline = { on: [] as number[], off: [] as number[], cpuOn: [] as number[], cpuOff: [] as number[] };
const input = { input: tensor([1, 3, SIZE, SIZE], Float32Array.from({ length: 3 * SIZE * SIZE }, (_, i) => Math.sin(i))) };
const task = (bytes: Uint8Array) => ({ source: { kind: 'onnx' as const, bytes, inputShapes: {} }, inputs: input, weights: {}, weightInit: 'file' as const, training: false, seed: 0, capture: [], maxElements: 1 << 26 });
runTask(task(new Uint8Array(file)));
for (let r = 0; r < rounds; r++) {
  for (const on of r % 2 === 0 ? [true, false] : [false, true]) {
    const bytes = new Uint8Array(file);
    if (on) noteDigest(bytes, SHA256);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    runTask(task(bytes));
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    inline[on ? 'on' : 'off'].push(ms);
    inline[on ? 'cpuOn' : 'cpuOff'].push((cpu.user + cpu.system) / 1000);
  }
}
console.log(`runTask cache hit in this thread, medians of ${rounds}: digest noted ${f(median(inline.on))} ms (CPU ${f(median(inline.cpuOn))}), hashed ${f(median(inline.off))} ms (CPU ${f(median(inline.cpuOff))})`);
