/**
 * Worker-thread entry: every CPU-heavy task (analysis, ONNX import, kernels) runs here so the
 * event loop stays free. One dispatcher over a task table; tasks answer `{ ok, value }` or
 * `{ ok: false, error }` with a catalog error, and anything else thrown is an internal failure.
 *
 * After every task the worker gives back what it no longer holds (runtime/memory.ts). Runs and
 * operator calls split their large layers across the worker's team (runtime/split.ts).
 */
import { workerData } from 'piscina';
import { analyzeTask, compareTask, foldTask, runTask, sweepTask } from './tasks.js';
import type { OperatorTask, RunTask, RunTaskResult } from './tasks.js';
import { runOperator } from './operator.js';
import type { OperatorResult } from './operator.js';
import type { MemoryGrant } from './memory-grant.js';
import { modelCache } from './model-cache.js';
import { answerTask } from './task-answer.js';
import { lentAnswers } from './lent-answers.js';
import { erfTask } from './erf-task.js';
import { configureTeams, lastTeamJob, splitHeads, splitKernel, splitLinear, splitMlp, splitStats, teamActivations } from './split.js';
import type { TeamSettings } from './split.js';
import type { TaskName } from './task-names.js';
import { instantiateKernels } from '../tensor/wasm-memory.js';
import { noteDigest } from './file-digest.js';
import type { GraphSource } from '../graph/load.js';

// this thread runs kernels: their modules compiled now, not in its first task (tensor/wasm-memory.ts)
instantiateKernels();
// RUN_THREADS and the pool's admitted-task count, from the pool (absent when run inline: no split)
const settings = workerData as { team?: TeamSettings; modelCacheBytes?: number } | undefined;
void configureTeams(settings?.team ?? null);
// with partners, cached models keep their weights where the partners read them in place
modelCache.shareWeights = (settings?.team?.runThreads ?? 1) > 1;
// the pool's share of the memory budget for this worker's cache (runtime/model-cache.ts modelCacheBytesPerWorker)
if (typeof settings?.modelCacheBytes === 'number') modelCache.maxBytes = settings.modelCacheBytes;

/** A whole run, its convolutions (and other layers runtime/split.ts splits) across this worker's team (RunOptions.split; ConvNeXt blocks' MLPs: splitMlp; attention's projections and heads: splitLinear, splitHeads), their outputs in its shared memory (RunOptions.shared). */
function runWithTeam(t: RunTask): RunTaskResult {
  return runTask({ ...t, split: splitKernel, splitMlp, splitLinear, splitHeads, shared: teamActivations });
}

/**
 * One operator call, its layer across this worker's team when that gains (runtime/operator.ts), all
 * its checks made here; `workers` in the answer: the threads its layer was split across (this one
 * and the partners the job was open to), when a partner computed part of it (absent when this
 * thread computed it alone).
 */
function operatorWithTeam(t: OperatorTask): OperatorResult {
  const jobs = splitStats.jobs;
  // its output, its answer, in a buffer lent to the main thread when its team computes it (runtime/lent-answers.ts)
  const r = lentAnswers.lendingAnswers(() => runOperator(t, { split: splitKernel, shared: teamActivations }));
  const job = splitStats.jobs > jobs ? lastTeamJob() : null;
  return job && job.bands > job.leaderBands ? { ...r, extra: { ...r.extra, workers: 1 + job.partners } } : r;
}

export const TASKS = {
  analyze: analyzeTask,
  operator: operatorWithTeam,
  run: runWithTeam,
  foldBatchNorm: foldTask,
  erf: erfTask,
  compare: compareTask,
  sweep: sweepTask,
} as const satisfies Record<TaskName, (payload: never) => unknown>;

/**
 * `fileDigest`: the SHA-256 the route computed of the task's ONNX file as it arrived (runtime/pool.ts
 * RunOptions.fileDigest), a field of the pool's message beside the payload: the model cache's key
 * without hashing the file again here (runtime/file-digest.ts).
 */
export default function handle({ task, payload, memoryGrant, taskStarted, fileDigest }: { task: TaskName; payload: never; memoryGrant?: MemoryGrant; taskStarted?: SharedArrayBuffer; fileDigest?: string }): unknown {
  const source = (payload as { source?: GraphSource } | undefined)?.source;
  if (source?.kind === 'onnx') noteDigest(source.bytes, fileDigest);
  return answerTask(() => TASKS[task](payload), memoryGrant, taskStarted);
}
