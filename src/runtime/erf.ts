/**
 * An effective receptive field end to end: the gradient tasks (one per input: the given one, or K
 * seeded random ones, all queued at once so the pool's workers take them in parallel), then one
 * summary task that combines them and computes the statistics and heatmaps (runtime/erf-task.ts).
 * The same code runs over the worker pool (the service) or inline (the command line, tests).
 */
import type { GraphSource } from '../graph/load.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GradTarget } from './backward.js';
import { erfSizedAt, erfTask } from './erf-task.js';
import type { ErfGradientResult, ErfGradientTask, ErfInputMode, ErfSummary, ErfTask, StageRule } from './erf-task.js';
import type { EngineLimits } from './limits.js';
import type { TaskContext, TaskPool } from './pool.js';
import type { MemoryCharge } from './memory-grant.js';
import type { WeightInit } from './weights.js';
import { digestInSlices, knownDigest, noteDigest } from './file-digest.js';

export interface ErfJob {
  source: GraphSource;
  mode: ErfInputMode;
  /** K: random inputs to average over (modes random and luo). */
  samples: number;
  inputs: Record<string, Tensor>;
  /** The graph input the ERF is measured at (runtime/erf-input.ts); default: the first image or clip. */
  inputName?: string;
  weights: Record<string, Tensor>;
  weightInit: WeightInit;
  seed: number;
  target: GradTarget;
  stages: boolean;
  /** Stages by effective stride (default) or module name prefix. */
  stageBy?: StageRule;
  heatmap: boolean;
  maxElements: number;
  limits?: Partial<EngineLimits>;
}

/** Runs one task somewhere: a worker of the pool, or this thread; `parallel` tasks at a time. */
export interface ErfRunner {
  <T>(task: ErfTask, transfer: ArrayBuffer[]): Promise<T>;
  parallel: number;
}

/**
 * Over the pool, as many gradient tasks at a time as it has workers: K = 64 samples neither fill
 * the queue (OVERLOADED for others) nor wait there past their timeout. Each of those workers holds
 * its own copy of the network, so the request is charged for that many graphs
 * (runtime/memory-grant.ts), by the first samples that ask: charges only grow until the answer, so
 * one per sample would refuse 16 samples of a network that fits. Each ask (`what`: the graph's
 * layers, a fold) is charged for that many tasks, then no more; a gradient's peak (an ask from the
 * body) is every task's, given back when it ends (MemoryCharge.release), so at most `parallel` count.
 */
export function poolRunner(pool: TaskPool, tasks: TaskContext = {}): ErfRunner {
  const { memory } = tasks;
  const parallel = Math.max(1, pool.threads);
  const asked = new Map<string, number>();
  const perWorker: MemoryCharge | undefined =
    memory &&
    Object.assign(
      (bytes: number, what: string, fromBody?: boolean, covered?: number, own?: number) => {
        if (fromBody) return memory(bytes, what, fromBody, covered, own);
        const times = asked.get(what) ?? 0;
        if (times >= parallel) return;
        memory(bytes, what, fromBody);
        asked.set(what, times + 1);
      },
      // a sample's first ask waits for the request's other samples as a run's does (MemoryCharge.wait)
      { release: (n: number) => memory.release?.(n), lend: () => memory.lend?.() ?? 0, ...(memory.wait && { wait: memory.wait }) },
    );
  const options = { signal: tasks.signal, memory: perWorker };
  // a sample's file with its digest (runtime/file-digest.ts), beside the task: the worker's model cache key
  const digest = (task: ErfTask) => (task.kind === 'gradient' && task.source.kind === 'onnx' ? knownDigest(task.source.bytes) : undefined);
  return Object.assign(<T>(task: ErfTask, transfer: ArrayBuffer[]) => pool.run<T>('erf', task, transfer, { ...options, fileDigest: digest(task) }), { parallel });
}

export const inlineRunner: ErfRunner = Object.assign(async <T>(task: ErfTask) => erfTask(task) as T, { parallel: 1 });

/** fn over 0…count − 1, at most `parallel` at once, results in order. */
async function limited<T>(count: number, parallel: number, fn: (index: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  let failed = false;
  // once a sample fails the request has its answer: the other lanes take no more samples
  const lane = async () => {
    while (next < count && !failed) {
      const i = next++;
      try {
        out[i] = await fn(i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
  return out;
}

/** Bytes every task reads: in shared memory when several tasks read them (no copy per task). */
function sharedBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  out.set(bytes);
  noteDigest(out, knownDigest(bytes));
  return out;
}

const buffersOf = (tensors: Tensor[]): ArrayBuffer[] => [...new Set(tensors.map((t) => t.data.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer))];

export async function computeErf(run: ErfRunner, job: ErfJob): Promise<ErfSummary> {
  const count = job.mode === 'given' ? 1 : job.samples;
  let source = job.source;
  // samples of a file look it up in their worker's model cache by its digest, computed once here when
  // the route had none (a JSON body's onnxBase64, the command line), in slices that leave the event
  // loop free between them (85–100 ms in all for ResNet-50's 102 MB), when more samples than lanes
  // make some worker take two or more: each hit saves an import and inference (ResNet-50: 17–44 ms)
  if (count > run.parallel && source.kind === 'onnx' && knownDigest(source.bytes) === undefined) noteDigest(source.bytes, await digestInSlices(source.bytes));
  if (count > 1 && source.kind === 'onnx') source = { ...source, bytes: sharedBytes(source.bytes) };
  const base: Omit<ErfGradientTask, 'index'> = {
    kind: 'gradient',
    samples: count,
    source,
    mode: job.mode,
    inputs: job.inputs,
    ...(job.inputName !== undefined && { inputName: job.inputName }),
    weights: job.weights,
    weightInit: job.weightInit,
    seed: job.seed,
    target: job.target,
    stages: job.stages,
    ...(job.stageBy ? { stageBy: job.stageBy } : {}),
    maxElements: job.maxElements,
    ...(job.limits ? { limits: job.limits } : {}),
  };
  // a single task may take the request's buffers; several share them by copy (weights) or shared memory (the model)
  const transfer = count === 1 ? [...buffersOf([...Object.values(job.inputs), ...Object.values(job.weights)]), ...(source.kind === 'onnx' && source.bytes.buffer instanceof ArrayBuffer ? [source.bytes.buffer] : [])] : [];
  const parts = await limited(count, run.parallel, (index) => run<ErfGradientResult>({ ...base, index }, transfer));
  const moved = buffersOf(parts.flatMap((p) => [p.gradient, ...p.stages.map((s) => ({ shape: [], data: s.map }))]));
  return run<ErfSummary>({ kind: 'summary', mode: job.mode, parts, heatmap: job.heatmap, stages: job.stages, sizedAt: erfSizedAt(job.mode, job.source) }, moved);
}
