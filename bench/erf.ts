/**
 * The ERF's cost against the forward pass (issue 13's goal: a ResNet-50 ERF at 224, one unit and
 * one input, under 3× its forward, on the same workers). Both go through the worker pool as the
 * service runs them: the forward as a `run` task, the ERF as computeErf's gradient task (forward
 * keeping what the reverse pass reads, then the reverse pass) and its summary task; each loads the
 * same ONNX file (bench/.cache/resnet50.onnx, with its weights; the zoo model with seeded weights
 * when the file cannot be made). Also, in this thread, the reverse pass alone against runGraph,
 * and K = 2 random inputs on 2 workers against one.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inferGraph } from '../src/analysis/infer.js';
import { loadConfig } from '../src/config.js';
import { loadGraph } from '../src/graph/load.js';
import type { GraphSource } from '../src/graph/load.js';
import { backward, forwardForBackward, resolveTarget } from '../src/runtime/backward.js';
import { computeErf, poolRunner } from '../src/runtime/erf.js';
import type { ErfJob } from '../src/runtime/erf.js';
import { finalFeatureMap } from '../src/runtime/erf-task.js';
import { runGraph } from '../src/runtime/execute.js';
import { createPool } from '../src/runtime/pool.js';
import { rng } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';
import { record, say } from './records.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Median of `n` timed calls after one warm-up, in ms (ResNet-50 takes seconds: few samples). */
async function median(fn: () => unknown, n = 3): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples.sort((a, b) => a - b)[Math.floor(n / 2)];
}

export async function erfBench(): Promise<void> {
  const file = path.join(here, '.cache', 'resnet50.onnx');
  const fromFile = existsSync(file);
  const bytes = fromFile ? new Uint8Array(readFileSync(file)) : null;
  const source = (): GraphSource => (bytes ? { kind: 'onnx', bytes: bytes.slice(), inputShapes: {} } : { kind: 'model', name: 'resnet50' });
  const weightInit = bytes ? ('file' as const) : ('seed' as const);
  say(`\n## ERF of ResNet-50 at 224 (final map's centre unit, all channels) against its forward; ${fromFile ? 'bench/.cache/resnet50.onnx with its weights' : 'zoo model, seeded weights'}`);
  const r = rng(1);
  const input = tensor([1, 3, 224, 224], Float32Array.from({ length: 3 * 224 * 224 }, () => r() * 2 - 1));

  // in this thread: the reverse pass against the forward
  const { graph } = loadGraph(source());
  const inference = inferGraph(graph);
  const opts = { training: false, seed: 0, weightInit, weights: {}, capture: [], maxElements: 1 << 26, maxWork: Number.MAX_SAFE_INTEGER };
  const feed = { [graph.inputs[0].name]: input };
  const target = resolveTarget(graph, inference, { layer: finalFeatureMap(graph, inference), channels: null, position: null });
  const fwd = await median(() => runGraph(graph, feed, opts, inference));
  let keepMs = 0;
  let backMs = 0;
  const erf = await median(() => {
    const t0 = performance.now();
    const state = forwardForBackward(graph, feed, opts, inference, [target]);
    const t1 = performance.now();
    backward(state, target, true);
    keepMs = t1 - t0;
    backMs = performance.now() - t1;
  });
  say(`one thread: forward ${fwd.toFixed(0)} ms; ERF ${erf.toFixed(0)} ms (forward keeping ${keepMs.toFixed(0)} ms + reverse pass ${backMs.toFixed(0)} ms): ${(erf / fwd).toFixed(2)}× (goal < 3×)`);

  // the service's path: tasks on the pool's workers
  const pool = createPool(loadConfig({ WORKERS: '2', TASK_TIMEOUT_MS: '600000' }));
  try {
    const runTaskMs = await median(() => pool.run('run', { source: source(), inputs: { input }, weights: {}, weightInit, training: false, seed: 0, capture: [], maxElements: 1 << 26, limits: { maxWork: Number.MAX_SAFE_INTEGER } }));
    const job = (mode: 'given' | 'random', samples: number): ErfJob => ({
      source: source(),
      mode,
      samples,
      inputs: mode === 'given' ? { input: tensor(input.shape, input.data.slice()) } : {},
      weights: {},
      weightInit,
      seed: 0,
      target: { layer: '', channels: null, position: null },
      stages: false,
      heatmap: false,
      maxElements: 1 << 26,
      limits: { maxWork: Number.MAX_SAFE_INTEGER },
    });
    const erfTaskMs = await median(() => computeErf(poolRunner(pool), job('given', 1)));
    const ratio = erfTaskMs / runTaskMs;
    say(`worker pool: run task ${runTaskMs.toFixed(0)} ms; ERF (gradient + summary tasks) ${erfTaskMs.toFixed(0)} ms: ${ratio.toFixed(2)}× (goal < 3×)`);
    const k2 = await median(() => computeErf(poolRunner(pool), job('random', 2)), 1);
    say(`K = 2 random inputs on ${pool.threads} workers: ${k2.toFixed(0)} ms, ${(k2 / erfTaskMs).toFixed(2)}× one input (1 would be perfectly parallel)`);
    record({
      bench: 'erf',
      name: 'ResNet-50 ERF at 224 (one unit, one input) / forward, worker pool',
      unit: 'ms',
      higherIsBetter: false,
      convlens: erfTaskMs,
      peers: { forward: runTaskMs },
      against: 'forward',
      extra: { goal: 'ERF < 3× forward (ratio ≥ 0.333)', oneThread: { forwardMs: fwd, erfMs: erf, keepMs, backwardMs: backMs }, k2Ms: k2 },
    });
  } finally {
    await pool.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await erfBench();
