/**
 * The piscina worker pool. Tasks beyond the workers plus MAX_QUEUE waiting are refused at once
 * (503 OVERLOADED) rather than queued without bound, counted here rather than left to piscina's
 * queue, which a burst can bypass. The waiting ones wait here, first come first served, and go to
 * piscina when a worker is free, so that TASK_TIMEOUT_MS counts a task's running time only (its
 * clock once started at the call, and queued tasks timed out without running); a task past it is
 * aborted and its worker replaced.
 * A caller's signal (the client went away) cancels a task the same way: dropped from the queue, or
 * its worker replaced. A worker that runs out of heap dies alone (WORKER_OUT_OF_MEMORY), not the process.
 * Every worker gets the team settings at start (workerData): RUN_THREADS and the count of admitted
 * tasks, from which a worker's run takes partner threads only while workers are idle (runtime/split.ts).
 * A replaced worker (timeout, cancellation) takes its partner threads with it: they are its children.
 */
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Config } from '../config.js';
import { workerCount } from '../config.js';
import { ConvlensError, fromSerialized } from '../errors.js';
import { RUNNING_TS } from '../paths.js';
import type { TaskName, TaskResult, WorkerMemory } from './task-names.js';
import { modelCacheBytesPerWorker } from './model-cache.js';
import type { TeamSettings } from './split.js';
import { openMemoryGrant } from './memory-grant.js';
import { taskClock } from './task-clock.js';
import { noteLentDropped, takeLeases } from './lent-answers.js';
import type { MemoryCharge } from './memory-grant.js';

/**
 * ok; invalid: the input was rejected (4xx); timeout; overloaded: refused before running (or, once
 * running, refused memory for its graph);
 * cancelled: its client went away; failed: an internal error.
 */
export type TaskOutcome = 'ok' | 'invalid' | 'timeout' | 'overloaded' | 'cancelled' | 'failed';

export interface RunOptions {
  /** Aborts the task (queued or running) when it fires: the request's client went away. */
  signal?: AbortSignal;
  /** A worker module (URL) whose default export takes the payload itself, instead of the task table of worker.ts. */
  filename?: string;
  /**
   * Charges the request for memory the task finds it needs once running (a graph's layers:
   * runtime/memory-grant.ts); the task gets a grant (`memoryGrant` in its message) that asks this.
   */
  memory?: MemoryCharge;
  /** The name the task is counted and named under (metrics, its timeout's message) when not `task`: a request's JSON parsed in the large-JSON worker is 'parse'. */
  metric?: 'parse';
  /**
   * The SHA-256 of the task's ONNX file, hashed by the route as the file arrived
   * (runtime/file-digest.ts): sent beside the payload, never in it, for the worker's model cache key.
   */
  fileDigest?: string;
}

/** The names tasks are counted under in metrics: the worker's tasks, and a large request's parse (http/offload.ts). */
export type TaskMetric = TaskName | 'parse';

/** What a request gives the tasks it runs: its client's signal, its memory charge. */
export type TaskContext = Pick<RunOptions, 'signal' | 'memory'>;

export interface TaskPool {
  run<T>(task: TaskName, payload: unknown, transfer?: Transferable[], options?: RunOptions): Promise<T>;
  readonly threads: number;
  readonly queued: number;
  /** Each live worker's memory as its last task left it (runtime/task-answer.ts), by thread; a replaced worker's is dropped. */
  workerMemory(): WorkerMemory[];
  /** Called after every task with its duration in seconds and how it ended (metrics). */
  onTask?: (task: TaskMetric, seconds: number, outcome: TaskOutcome) => void;
  /**
   * The app began to close: tasks that have not got a worker within `ms` (waiting, or asked for
   * later) are refused 503 NOT_READY from then on; the running ones finish.
   */
  stopStarting(ms: number): void;
  close(): Promise<void>;
}

/**
 * Threads per run: RUN_THREADS, or by default two (the worker and one partner) when the pool has
 * two workers or more. Each worker keeps its own team, so the default holds WORKERS partner threads
 * in all (about 20–50 MiB each), not WORKERS × (WORKERS − 1); a run never computes on more than the
 * pool's idle workers anyway.
 */
export function runThreads(config: Pick<Config, 'RUN_THREADS'>, threads: number): number {
  return config.RUN_THREADS > 0 ? config.RUN_THREADS : Math.min(threads, 2);
}

/**
 * V8 options Node also takes in NODE_OPTIONS (so allowedNodeEnvironmentFlags lists them), which a
 * worker's execArgv refuses: V8's flags are the process's, already in force in every worker.
 */
const V8_OPTIONS = new Set(['--abort-on-uncaught-exception', '--disallow-code-generation-from-strings', '--enable-etw-stack-walking', '--expose-gc', '--huge-max-old-generation-size', '--interpreted-frames-native-stack', '--jitless', '--max-old-space-size', '--max-semi-space-size', '--perf-basic-prof-only-functions', '--perf-basic-prof', '--perf-prof-unwinding-info', '--perf-prof', '--stack-trace-limit']);

/**
 * The workers' Node options: the process's own Node options (its V8 flags hold in every thread
 * anyway, and a worker refuses them), and require(esm) turned off where Node has it. piscina loads
 * a task's module with require() first and import() only when that throws; with require(esm) (on
 * by default since Node 20.19) require() loads our ES modules synchronously, and when it meets a
 * module the ESM loader is still loading in that thread, Node 20 aborts the whole process ("FATAL
 * ERROR: v8::Module::IsGraphAsync must be used on an instantiated module": a CI run lost a test
 * fork so). Off, require() throws ERR_REQUIRE_ESM at once and every entry is import()ed.
 */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv, allowed: ReadonlySet<string> = process.allowedNodeEnvironmentFlags): string[] {
  const out: string[] = [];
  let keep = false;
  for (const arg of execArgv) {
    // a value given as its own word (`--import tsx`) goes with its flag
    if (!arg.startsWith('-')) {
      if (keep) out.push(arg);
      continue;
    }
    const name = arg.split('=')[0].replaceAll('_', '-');
    keep = allowed.has(name) && !V8_OPTIONS.has(name);
    if (keep) out.push(arg);
  }
  const off = '--no-experimental-require-module';
  if (allowed.has(off) && !out.includes(off)) out.push(off);
  return out;
}

/** workerExecArgv, if a worker takes it (tried once a process, on a thread stopped at once); else the process's options as Node passes them (undefined). */
let checked: { execArgv: string[] | undefined } | undefined;
function checkedExecArgv(): string[] | undefined {
  if (checked) return checked.execArgv;
  const execArgv = workerExecArgv();
  try {
    void new Worker('', { eval: true, execArgv }).terminate();
    checked = { execArgv };
  } catch {
    checked = { execArgv: undefined };
  }
  return checked.execArgv;
}

export function createPool(config: Config): TaskPool {
  const threads = workerCount(config);
  // admitted tasks, read by every worker: a run's partners compute only while workers are idle (runtime/split.ts)
  const busy = new Int32Array(new SharedArrayBuffer(4));
  const team: TeamSettings = { runThreads: runThreads(config, threads), threads, busy };
  const piscina = new Piscina({
    filename: new URL(RUNNING_TS ? './worker-dev.mjs' : './worker.js', import.meta.url).href,
    // all workers stay up: a worker's JIT-compiled kernels are its speed
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
    execArgv: checkedExecArgv(),
    workerData: { team, modelCacheBytes: modelCacheBytesPerWorker(config, threads) },
  });
  const lastMemory = new Map<number, WorkerMemory>();
  let inFlight = 0;
  const count = (delta: number) => {
    inFlight += delta;
    Atomics.store(busy, 0, inFlight);
  };
  // tasks handed to piscina (at most one a worker), and the ones waiting for a worker, in order
  let running = 0;
  const waiting: { go: () => void; refuse: (e: ConvlensError) => void }[] = [];
  // Closing: the process's grace (server.ts) is TASK_TIMEOUT_MS and 5 s past the start of close,
  // time for the tasks running then, not for a queue of them after: with WORKERS=1, TASK_TIMEOUT_MS
  // 3000 and eight 1.1 s runs waiting at SIGTERM, the grace ran out, the process exited 1 and the
  // last request's connection was reset with no answer (found by a shutdown soak, 2026-12-04).
  // Tasks that get no worker soon after close began are refused instead, with a code a client retries on.
  let notStarting = false;
  const shuttingDown = () => new ConvlensError('NOT_READY', 'the service is shutting down before this task got a worker: send the request again, to another replica');
  /** Resolves when a worker is free for this task (the task then holds it until `release`); rejects when `signal` aborts first, or when close stops tasks from starting. */
  const acquire = (signal: AbortSignal | undefined): Promise<void> => {
    // a fresh error each: callers may move an error's path (a batch job's), which must not reach another request
    if (notStarting) return Promise.reject(shuttingDown());
    if (running < threads && waiting.length === 0) {
      running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry = {
        go: () => {
          signal?.removeEventListener('abort', gone);
          running++;
          resolve();
        },
        refuse: (e: ConvlensError) => {
          signal?.removeEventListener('abort', gone);
          reject(e);
        },
      };
      const gone = () => {
        const at = waiting.indexOf(entry);
        if (at >= 0) waiting.splice(at, 1);
        reject(signal!.reason);
      };
      waiting.push(entry);
      signal?.addEventListener('abort', gone, { once: true });
    });
  };
  const release = () => {
    running--;
    waiting.shift()?.go();
  };
  const pool: TaskPool = {
    threads,
    get queued() {
      return Math.max(0, inFlight - threads);
    },
    workerMemory() {
      // only the live workers': a replaced one's goes. Not by piscina's workerDestroy event: after a
      // crash or running out of heap it comes once the thread has exited, its threadId then −1
      const live = new Set(piscina.threads.map((w) => w.threadId));
      for (const thread of lastMemory.keys()) if (!live.has(thread)) lastMemory.delete(thread);
      return [...lastMemory.values()];
    },
    async run<T>(taskName: TaskName, payload: unknown, transfer?: Transferable[], options: RunOptions = {}): Promise<T> {
      const task = options.metric ?? taskName;
      const cancelled = () => new ConvlensError('CLIENT_CLOSED_REQUEST', `the client went away; the ${task} task was cancelled`);
      if (options.signal?.aborted) {
        pool.onTask?.(task, 0, 'cancelled');
        throw cancelled();
      }
      if (inFlight >= threads + config.MAX_QUEUE) {
        pool.onTask?.(task, 0, 'overloaded');
        throw new ConvlensError('OVERLOADED', `all ${threads} workers are busy and ${config.MAX_QUEUE} tasks are waiting; retry later`);
      }
      count(1);
      const started = performance.now();
      let outcome: TaskOutcome = 'failed';
      try {
        let result: TaskResult<T>;
        try {
          await acquire(options.signal);
          try {
            const memory = options.memory ? openMemoryGrant(options.memory) : null;
            // the clock starts when the worker starts the task, not while it waits for one, nor while
            // a replaced worker boots (runtime/task-clock.ts); stopped in the finally, whatever throws
            const clock = taskClock(config.TASK_TIMEOUT_MS);
            try {
              const signal = options.signal ? AbortSignal.any([clock.signal, options.signal]) : clock.signal;
              const memoryGrant = memory?.grant;
              const taskStarted = clock.started;
              const fileDigest = options.fileDigest;
              const message = options.filename ? { ...(payload as object), memoryGrant, taskStarted, fileDigest } : { task: taskName, payload, memoryGrant, taskStarted, fileDigest };
              result = await piscina.run(message, { signal, transferList: transfer as never, ...(options.filename ? { filename: options.filename } : {}) });
            } finally {
              clock.stop();
              // after the task's end, its timeout or its client's going: also ends at once a first ask's wait for the request's other tasks (memory-grant.ts)
              memory?.close();
            }
          } finally {
            release();
          }
        } catch (e) {
          const err = e as Error & { code?: string };
          if (options.signal?.aborted) {
            outcome = 'cancelled';
            throw cancelled();
          }
          if (e instanceof ConvlensError && e.code === 'NOT_READY') {
            outcome = 'overloaded';
            throw e;
          }
          if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
            outcome = 'invalid';
            throw new ConvlensError('WORKER_OUT_OF_MEMORY', `the ${task} task needed more memory than a worker may use; its worker was replaced`);
          }
          if (err.name === 'AbortError' || err.name === 'TimeoutError') {
            outcome = 'timeout';
            throw new ConvlensError('TIMEOUT', `the ${task} task took longer than ${config.TASK_TIMEOUT_MS} ms and was stopped`);
          }
          throw e;
        }
        if (result.worker) lastMemory.set(result.worker.thread, result.worker);
        // the answer's lent buffers: given back once it is sent (runtime/memory.ts releaseBuffers), or when collected here
        if (result.leases) takeLeases(result.leases);
        // and what the worker let go of of the buffers it lent: this thread's objects of them pin them until it collects
        if (result.lentDropped) noteLentDropped(result.lentDropped);
        if (!result.ok) {
          // a task refused for memory once running (runtime/memory-grant.ts) is an overload, not bad input
          outcome = result.error.code === 'OVERLOADED' ? 'overloaded' : 'invalid';
          throw fromSerialized(result.error);
        }
        outcome = 'ok';
        return result.value;
      } finally {
        count(-1);
        pool.onTask?.(task, (performance.now() - started) / 1000, outcome);
      }
    },
    stopStarting(ms: number) {
      setTimeout(() => {
        notStarting = true;
        for (const w of waiting.splice(0)) w.refuse(shuttingDown());
      }, ms).unref();
    },
    close: () => piscina.close(),
  };
  return pool;
}
