/**
 * A whole-network run's memory: peak RSS above the idle process, against the sum of the model's
 * weights and the report's peak activation memory (src/analysis/memory.ts, liveness in execution
 * order). Each network runs in a fresh child process (`bench/memory.ts --child <file>`) so one
 * run's heap does not inflate the next; the child does only what /v1/run does with the model cache
 * off (MODEL_CACHE_BYTES=0: import, shape inference, the forward), and the budget's report is made in this
 * process (its analysis is no part of a run, and its garbage would be collected inside the
 * measured run). The peak is sampled (process RSS after every layer, via the
 * executor's onLayer hook, and after loading): getrusage's maxrss is the process's lifetime peak,
 * which module loading and transpiling can set before the run starts.
 * Goal (issue 12): peak RSS above idle ≤ 1.5 × (weights + peak activations): ratio ≥ 0.67.
 * Also, in another fresh child, the same first run with the model cache on (the default), which
 * keeps the folded weights for the next run: a second copy of them by design (MODEL_CACHE_BYTES
 * bounds it), printed apart from the goal's line.
 * Uses the ONNX files bench/networks.ts exports into bench/.cache/.
 *
 * Second run: runTask (what a /v1/run worker does) on the same file's bytes, warm, without and with
 * the worker's model cache (runtime/model-cache.ts): a cache hit hashes the file and skips import,
 * analysis and BN folding. Fastest of three alternating pairs, in another fresh child.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyzeGraph } from '../src/analysis/analyze.js';
import { inferGraph } from '../src/analysis/infer.js';
import { analyzeMemory } from '../src/analysis/memory.js';
import { SERVER_NODE_FLAGS } from '../src/node-flags.js';
import { loadGraph } from '../src/graph/load.js';
import { runGraph } from '../src/runtime/execute.js';
import { modelCache } from '../src/runtime/model-cache.js';
import { runTask } from '../src/runtime/tasks.js';
import { WeightStore } from '../src/runtime/weight-store.js';
import { wasmFloats } from '../src/tensor/gemm.js';
import { instantiateKernels } from '../src/tensor/wasm-memory.js';
import { tensor } from '../src/tensor/tensor.js';
import { record, say } from './records.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MODELS = ['resnet18', 'mobilenet_v2', 'resnet50'];

interface ChildResult {
  /** Bytes of folded weights a kept store holds after the run (the model cache's; 0 with it off). */
  keptBytes: number;
  idleBytes: number;
  peakBytes: number;
  /** RssAnon (/proc/self/status: the process's private anonymous pages) idle and at the RSS peak; null off Linux. */
  idleAnonBytes: number | null;
  peakAnonBytes: number | null;
  /** The GEMM module's WebAssembly memory after the run (it only grows). */
  gemmWasmBytes: number;
  /** process.memoryUsage() at the peak: V8 heap, array buffers. */
  atPeak: { heapTotal: number; heapUsed: number; arrayBuffers: number };
}

/** The budget: the model's weights and the report's peak activation memory (computed here, in the parent: the run's child does only what /v1/run does). */
function budgetOf(file: string): { weightsBytes: number; activationsBytes: number } {
  const { graph } = loadGraph({ kind: 'onnx', bytes: readFileSync(file), inputShapes: {} });
  const inference = inferGraph(graph);
  const report = analyzeGraph(graph, { dtype: 'float32', flops: '2macs', includeBias: false }, inference);
  const memory = analyzeMemory(graph, inference, report);
  return { weightsBytes: memory.weights.bytes, activationsBytes: memory.peak.bytes };
}

function anonBytes(): number | null {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * What a /v1/run of the file does (import, shape inference, the forward), nothing else, sampled
 * after every layer: with the model cache off (MODEL_CACHE_BYTES=0), or, `cached`, as a first run
 * with the cache on, which keeps every folded weight (a kept WeightStore) for the next run.
 */
function child(file: string, cached = false): ChildResult {
  // the idle process as a pool worker is idle: its kernel modules instantiated at its start (runtime/worker.ts)
  instantiateKernels();
  (globalThis as { gc?: () => void }).gc?.();
  const idleBytes = process.memoryUsage().rss;
  const idleAnonBytes = anonBytes();
  const { graph } = loadGraph({ kind: 'onnx', bytes: readFileSync(file), inputShapes: {} });
  const inference = inferGraph(graph);
  const input = tensor([1, 3, 224, 224]);
  let peakBytes = 0;
  let peakAnonBytes: number | null = null;
  let atPeak = { heapTotal: 0, heapUsed: 0, arrayBuffers: 0 };
  const sample = () => {
    const u = process.memoryUsage();
    if (u.rss <= peakBytes) return;
    peakBytes = u.rss;
    peakAnonBytes = anonBytes();
    atPeak = { heapTotal: u.heapTotal, heapUsed: u.heapUsed, arrayBuffers: u.arrayBuffers };
  };
  sample();
  const store = cached ? new WeightStore(true) : undefined;
  runGraph(graph, { [graph.inputs[0].name]: input }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 26, maxWork: Number.MAX_SAFE_INTEGER, onLayer: sample, ...(store && { store }) }, inference);
  sample();
  // the store is read after the last sample: alive through it, as the cache holds it past the run
  return { keptBytes: store?.bytes ?? 0, idleBytes, peakBytes, idleAnonBytes, peakAnonBytes, gemmWasmBytes: wasmFloats(0).length * 4, atPeak };
}

interface TimeResult {
  firstMs: number;
  uncachedMs: number;
  cachedMs: number;
}

/** runTask on a copy of the file each time (as a request brings one): cold, then warm uncached and cached, fastest of three pairs. */
function timeChild(file: string): TimeResult {
  const bytes = readFileSync(file);
  const task = () => ({
    source: { kind: 'onnx' as const, bytes: new Uint8Array(bytes), inputShapes: {} },
    inputs: { input: tensor([1, 3, 224, 224]) },
    weights: {},
    weightInit: 'file' as const,
    training: false,
    seed: 0,
    capture: [],
    maxElements: 1 << 26,
    limits: { maxWork: Number.MAX_SAFE_INTEGER },
  });
  const timed = () => {
    const t = performance.now();
    runTask(task());
    return performance.now() - t;
  };
  const firstMs = timed();
  let uncachedMs = Infinity;
  let cachedMs = Infinity;
  for (let k = 0; k < 3; k++) {
    modelCache.clear();
    uncachedMs = Math.min(uncachedMs, timed());
    cachedMs = Math.min(cachedMs, timed());
  }
  return { firstMs, uncachedMs, cachedMs };
}

export async function memoryBench(): Promise<void> {
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  for (const model of MODELS) {
    const file = path.join(here, '.cache', `${model}.onnx`);
    say(`\n## ${model}: peak RSS of one forward at 224, above the idle process`);
    if (!existsSync(file)) {
      say('skipped: run `npm run bench -- networks` first (it exports bench/.cache/*.onnx)');
      continue;
    }
    const out = execFileSync(process.execPath, [...SERVER_NODE_FLAGS, '--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult;
    const { weightsBytes, activationsBytes } = budgetOf(file);
    const above = r.peakBytes - r.idleBytes;
    const budget = weightsBytes + activationsBytes;
    say(`weights ${mb(weightsBytes)} + peak activations ${mb(activationsBytes)} = ${mb(budget)}; peak RSS above idle ${mb(above)} = ${(above / budget).toFixed(2)}× (goal ≤ 1.5×)`);
    const anon = r.peakAnonBytes !== null && r.idleAnonBytes !== null ? r.peakAnonBytes - r.idleAnonBytes : null;
    say(`  at the peak: anonymous RSS above idle ${anon === null ? 'n/a' : mb(anon)}; array buffers ${mb(r.atPeak.arrayBuffers)} (the file's bytes, live and not yet collected tensors, weight scratch), V8 heap ${mb(r.atPeak.heapUsed)} used of ${mb(r.atPeak.heapTotal)}; the GEMM module's WebAssembly memory ${mb(r.gemmWasmBytes)}`);
    const c = JSON.parse(execFileSync(process.execPath, [...SERVER_NODE_FLAGS, '--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child-cached', file], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').at(-1)!) as ChildResult;
    const aboveCached = c.peakBytes - c.idleBytes;
    say(`  with the model cache on (the default): a first run that keeps its folded weights (${mb(c.keptBytes)}) for the next peaks ${mb(aboveCached)} above idle = ${(aboveCached / budget).toFixed(2)}× (the cache holds a second copy of the folded weights by design, bounded by MODEL_CACHE_BYTES; the goal is the run's own memory, above)`);
    record({ bench: 'memory', name: `${model} forward with the model cache on, peak RSS above idle`, unit: 'bytes', higherIsBetter: false, convlens: aboveCached, peers: { 'weights + peak activations': budget }, against: 'weights + peak activations', extra: { weightsBytes, activationsBytes, ...c } });
    record({ bench: 'memory', name: `${model} forward, peak RSS above idle`, unit: 'bytes', higherIsBetter: false, convlens: above, peers: { 'weights + peak activations': budget }, against: 'weights + peak activations', extra: { goal: 'ratio ≥ 0.67 (RSS ≤ 1.5× the budget)', weightsBytes, activationsBytes, ...r } });
    const timing = execFileSync(process.execPath, [...SERVER_NODE_FLAGS, '--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child-time', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const t = JSON.parse(timing.trim().split('\n').at(-1)!) as TimeResult;
    say(`runTask: first (cold) ${t.firstMs.toFixed(0)} ms; warm without the model cache ${t.uncachedMs.toFixed(0)} ms, second run from the cache ${t.cachedMs.toFixed(0)} ms = ${(t.cachedMs / t.uncachedMs).toFixed(2)}× the time`);
    record({ bench: 'memory', name: `${model} second run from the model cache`, unit: 'ms', higherIsBetter: false, convlens: t.cachedMs, peers: { 'warm run without the cache': t.uncachedMs }, against: 'warm run without the cache', extra: { ...t } });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--child') {
  console.log(JSON.stringify(child(process.argv[3])));
}
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--child-cached') {
  console.log(JSON.stringify(child(process.argv[3], true)));
}
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--child-time') {
  console.log(JSON.stringify(timeChild(process.argv[3])));
}
