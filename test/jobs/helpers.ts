/** Jobs tests' helpers: a real redis-server on a free loopback port, a controllable pool, polling. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { Piscina } from 'piscina';
import { ConvlensError, fromSerialized } from '../../src/errors.js';
import type { SerializedError } from '../../src/errors.js';
import type { TaskPool } from '../../src/runtime/pool.js';
import { TASKS } from '../../src/runtime/worker.js';
import type { TaskName } from '../../src/runtime/task-names.js';
import { JobStatus } from '../../src/http/openapi-jobs.js';
import { OFFLOAD_WORKER } from '../../src/http/offload.js';
import type { OffloadTask } from '../../src/http/offload.js';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that holds its connections and answers nothing, then answers again. */
  pause(): void;
  resume(): void;
  /** SIGKILL: Redis gone at once, its connections cut (resolves once it has exited). */
  kill(): Promise<void>;
}

/** Whether `port` (0: any) can be listened on at 127.0.0.1: the port, or null. */
function tryPort(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => {
      const { port: got } = srv.address() as { port: number };
      srv.close(() => resolve(got));
    });
  });
}

/**
 * A free loopback port: any the system gives, or with TEST_PORT_RANGE=FIRST-LAST (a machine shared
 * with other test runs, each given its range) the first free one from a random start in that range.
 */
export async function freePort(): Promise<number> {
  const range = /^(\d+)-(\d+)$/.exec(process.env.TEST_PORT_RANGE ?? '');
  if (!range) return (await tryPort(0))!;
  const [first, last] = [Number(range[1]), Number(range[2])];
  const start = Math.floor(Math.random() * (last - first + 1));
  for (let i = 0; i <= last - first; i++) {
    const port = await tryPort(first + ((start + i) % (last - first + 1)));
    if (port !== null) return port;
  }
  throw new Error(`no free port in TEST_PORT_RANGE ${range[0]}`);
}

/** Whether a process of this pid is still running (signal 0 probes it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A throwaway redis-server (Debian's /usr/bin/redis-server): loopback, no persistence. `port`: a
 * given one (a Redis started again where a killed one was), else a free one. `dir`: its data is
 * saved there as it stops (SIGTERM, stop()) and loaded from there as it starts: a Redis restarted
 * with the same `dir` and port has its keys back, as a production one does.
 */
export async function startRedis(port?: number, dir?: string): Promise<RedisServer> {
  port ??= await freePort();
  const persistence = dir === undefined ? ['--save', ''] : ['--dir', dir, '--dbfilename', 'dump.rdb', '--save', '3600 1'];
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited ${code}:\n${out}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      }),
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/**
 * A MONITOR connection to a test's Redis: `until` resolves once Redis has received a command whose
 * first argument is `key`, from any client (a Lua script's calls included). Tests wait on it, not on
 * a sleep, for a client to have reached a point (a results stream past its first read: 300 ms was
 * not always enough at load 20). A plain socket: ioredis's monitor() can take a line of the MONITOR
 * feed for the answer to its own ready check ("Command queue state error").
 */
export async function watchCommands(redis: Pick<RedisServer, 'port'>) {
  const socket = connect(redis.port, '127.0.0.1');
  socket.setEncoding('utf8');
  let feed = '';
  socket.on('data', (d: string) => (feed += d.toLowerCase()));
  socket.on('error', () => undefined);
  const until = async (text: string, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (!feed.includes(text)) {
      if (Date.now() > end) throw new Error(`Redis's MONITOR feed had no ${text} in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  socket.write('MONITOR\r\n');
  await until('+ok\r\n', 10_000);
  return {
    until: (command: string, key: string, timeoutMs = 20_000) => until(`"${command}" "${key}"`.toLowerCase(), timeoutMs),
    close: () => void socket.destroy(),
  };
}

/** Polls GET /v1/jobs/{id} until the job is in one of `states`; checks every answer against the documented schema. */
export async function waitFor(app: FastifyInstance, id: string, states: string[] = ['done', 'failed', 'cancelled'], timeoutMs = 20_000): Promise<Record<string, any>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.inject({ url: `/v1/jobs/${id}` });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const parsed = JobStatus.safeParse(body);
    expect(parsed.success, parsed.error?.message).toBe(true);
    if (states.includes(body.status)) return body;
    if (Date.now() > until) throw new Error(`job ${id} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A pool that runs tasks in-process (the worker's own task table), each one after `gate` opens:
 * tests decide when work finishes. `overloaded` first answers OVERLOADED that many times.
 */
/** `seen`, if given, is told of every task as it is run (the large-body tests watch what is parsed where). */
export function inlinePool(threads = 1, seen?: (task: TaskName, payload: Record<string, unknown>, options?: { filename?: string }) => void) {
  let open!: () => void;
  const pool = {
    threads,
    queued: 0,
    workerMemory: () => [],
    stopStarting: () => undefined,
    calls: [] as TaskName[],
    overloaded: 0,
    gate: Promise.resolve(),
    /** From now on tasks wait until release(). */
    hold() {
      pool.gate = new Promise<void>((r) => (open = r));
    },
    release() {
      open?.();
      pool.gate = Promise.resolve();
    },
    async run<T>(task: TaskName, payload: unknown, _transfer?: unknown, options?: { filename?: string }): Promise<T> {
      pool.calls.push(task);
      seen?.(task, payload as Record<string, unknown>, options);
      if (pool.overloaded > 0) {
        pool.overloaded--;
        throw new ConvlensError('OVERLOADED', 'all workers busy (test)');
      }
      await pool.gate;
      // a task for the large-JSON worker (http/offload-worker.ts: a report written as JSON there) runs its entry
      if (options?.filename === OFFLOAD_WORKER) {
        // its answer as the pool reads it (runtime/task-answer.ts): moved buffers unwrapped, a refusal thrown
        const answer = (await import('../../src/http/offload-worker.js')).default(payload as OffloadTask) as Record<symbol, unknown>;
        const result = (answer[Piscina.valueSymbol] ?? answer) as { ok: boolean; value?: unknown; error?: SerializedError };
        if (!result.ok) throw fromSerialized(result.error!);
        return result.value as T;
      }
      return (TASKS[task] as (p: unknown) => T)(payload);
    },
    close: async () => undefined,
  };
  return pool as typeof pool & TaskPool;
}

export const tinySpec = { name: 'tiny', inputs: [{ name: 'x', shape: [1, 2] }], layers: [{ name: 'r', op: 'relu' }] };

export interface Pending {
  name: string;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** Every task waits for the test to settle it; `pending` lists them by model name. */
export function deferredPool(threads: number) {
  const pending: Pending[] = [];
  const pool: TaskPool = {
    threads,
    queued: 0,
    workerMemory: () => [],
    stopStarting: () => undefined,
    run: <T>(_task: string, payload: unknown) =>
      new Promise<T>((resolve, reject) => {
        // a job's analysis is the large-JSON worker's `report` task ({ kind, input: { source } }); other tasks carry the source
        const { input, source: own } = payload as { input?: { source: { name?: string } }; source?: { name?: string } };
        const source = input?.source ?? own!;
        pending.push({ name: source.name ?? '?', resolve: resolve as (v: unknown) => void, reject });
      }),
    close: async () => undefined,
  };
  /** Answers the task of model `name` with `value` (a report's JSON bytes, as that worker moves them back, for an object). */
  const settle = async (name: string, value: unknown = { name }) => {
    const i = pending.findIndex((p) => p.name === name);
    pending.splice(i, 1)[0].resolve(value instanceof Uint8Array ? value : new TextEncoder().encode(JSON.stringify(value)));
    // let the runner's continuations run
    await new Promise((r) => setImmediate(r));
  };
  return { pool, pending, settle };
}
