/**
 * `convlens worker`'s link to Redis (jobs/redis-link.ts) over its four connections (its command
 * connection, its cancel subscriber, BullMQ's command and blocking connections). It kept one state
 * for all of them: the first connection back said "Redis reachable again" (and `up`) while another
 * was still down, that one's next refused attempt said "Redis connection lost" a second time, and a
 * connection refused at the start after another had connected said "lost" of a Redis never reached.
 * Now each connection has its own state and the link's is their aggregate, one line per change.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConvlensError } from '../../src/errors.js';
import { createRedisJobs } from '../../src/jobs/redis.js';
import { redisLink } from '../../src/jobs/redis-link.js';
import { startJobWorker } from '../../src/jobs/worker.js';
import type { JobWorker } from '../../src/jobs/worker.js';
import { inlinePool, startRedis, tinySpec } from './helpers.js';
import type { RedisServer } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
const LOST = 'Redis connection lost; retrying after 0.5 s, doubling up to 30 s';
const UNREACHED = 'Redis cannot be reached; retrying after 0.5 s, doubling up to 30 s';
const BACK = 'Redis reachable again';

/** A logger that keeps its lines (level, message, fields), and `at` each: what `snapshot` said then. */
function capture(snapshot: () => unknown = () => undefined) {
  const lines: { level: 'info' | 'warn' | 'error'; msg: string; obj: Record<string, unknown>; at: unknown }[] = [];
  const at = (level: 'info' | 'warn' | 'error') => (obj: unknown, msg: string) => void lines.push({ level, msg, obj: obj as Record<string, unknown>, at: snapshot() });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') }, msgs: () => lines.map((l) => l.msg) };
}

/** Two connections (a, b) on one link, their events emitted by the test. */
function twoConnections() {
  const c = capture();
  const link = redisLink(c.log, '127.0.0.1:6379');
  const a = new EventEmitter();
  const b = new EventEmitter();
  link.watch(a, 'a');
  link.watch(b, 'b');
  return { ...c, link, a, b };
}

describe('the link over two connections (events emitted by hand)', () => {
  it('both up, both refused: one "lost" warning; a back: no line, still down; b refused again: no line; b back: one "reachable again", up', () => {
    const { link, a, b, msgs } = twoConnections();
    a.emit('ready');
    b.emit('ready');
    expect([link.state, msgs()]).toEqual(['up', []]);
    a.emit('error', refused());
    b.emit('error', refused());
    expect([link.state, msgs()]).toEqual(['down', [LOST]]);
    a.emit('ready');
    expect([link.state, link.connections, msgs()]).toEqual(['down', { a: 'up', b: 'down' }, [LOST]]);
    b.emit('error', refused());
    expect(msgs()).toEqual([LOST]);
    b.emit('ready');
    expect([link.state, link.connections, msgs()]).toEqual(['up', { a: 'up', b: 'up' }, [LOST, BACK]]);
  });

  it('at the start a ready and b refused: "cannot be reached" (not "lost": the link was never up), once; both ready: "reachable again"', () => {
    const { link, a, b, msgs } = twoConnections();
    a.emit('ready');
    expect(link.state).toBe('starting');
    b.emit('error', refused());
    a.emit('error', refused());
    expect([link.state, msgs()]).toEqual(['down', [UNREACHED]]);
    b.emit('ready');
    a.emit('ready');
    expect([link.state, msgs()]).toEqual(['up', [UNREACHED, BACK]]);
  });

  it('an error that is not the connection\'s (a command refused) is logged as it comes and changes no state; one logged elsewhere (BullMQ\'s) is not logged twice', () => {
    const { link, a, b, lines } = twoConnections();
    const c = new EventEmitter();
    link.watch(c, 'c', true);
    for (const e of [a, b, c]) e.emit('ready');
    a.emit('error', new Error('ERR unknown command'));
    c.emit('error', new Error('ERR unknown command'));
    expect(link.state).toBe('up');
    expect(lines.map((l) => [l.msg, l.obj.connection])).toEqual([['redis error', 'a']]);
  });
});

describe('convlens worker (in-process) with a real redis-server killed and started again', () => {
  let redis: RedisServer | null = null;
  let again: RedisServer | null = null;
  let worker: JobWorker | null = null;
  afterEach(async () => {
    await worker?.close();
    // only the servers this test started
    await again?.kill();
    await redis?.kill();
    [worker, again, redis] = [null, null, null];
  });

  it('SIGKILL with its four connections up: one "lost" warning; Redis back on its port: one "reachable again", logged once all four are up; a job submitted then runs', async () => {
    redis = await startRedis();
    const c = capture(() => worker?.link.connections);
    worker = await startJobWorker(loadConfig({ WORKERS: '1', REDIS_URL: redis.url }), inlinePool(1), c.log);
    expect(worker!.link.state).toBe('up');
    expect(worker!.link.connections).toEqual({ 'convlens-worker': 'up', 'convlens-worker-cancel': 'up', bullmq: 'up', 'bullmq-blocking': 'up' });
    await redis.kill();
    // each connection's first reconnection is refused (0.5 s); all four are down, one line said so
    for (let i = 0; i < 200 && Object.values(worker!.link.connections).some((s) => s !== 'down'); i++) await sleep(50);
    expect(worker!.link.connections, c.msgs().join('\n')).toEqual({ 'convlens-worker': 'down', 'convlens-worker-cancel': 'down', bullmq: 'down', 'bullmq-blocking': 'down' });
    again = await startRedis(redis.port);
    for (let i = 0; i < 400 && worker!.link.state !== 'up'; i++) await sleep(50);
    expect(worker!.link.state, c.msgs().join('\n')).toBe('up');
    // a late event (a connection's last refused attempt, BullMQ reconnecting its blocking connection) adds nothing
    await sleep(1500);
    expect(c.lines.filter((l) => l.level !== 'info' || l.msg === BACK).map((l) => l.msg)).toEqual([LOST, BACK]);
    const back = c.lines.find((l) => l.msg === BACK)!;
    expect(back.at).toEqual({ 'convlens-worker': 'up', 'convlens-worker-cancel': 'up', bullmq: 'up', 'bullmq-blocking': 'up' });
    expect(back.obj.downMs).toBeGreaterThan(400);
    // BullMQ takes jobs again
    const api = createRedisJobs({ ...loadConfig({ WORKERS: '1' }), REDIS_URL: again.url });
    try {
      const { head } = await api.submit({ kind: 'analyze', spec: tinySpec });
      let status = head.status;
      for (let i = 0; i < 200 && status !== 'done' && status !== 'failed'; i++) {
        await sleep(50);
        status = (await api.get(head.id))!.head.status;
      }
      expect(status).toBe('done');
    } finally {
      await api.close();
    }
  }, 60_000);

  it('Redis gone before the start, WORKER_REDIS_WAIT_MS=1500: one "cannot be reached" warning, then QUEUE_UNAVAILABLE (the worker process exits 5 on it) within the wait and the bounded unwinding', async () => {
    redis = await startRedis();
    await redis.kill();
    const c = capture();
    const started = performance.now();
    const error = await startJobWorker(loadConfig({ WORKERS: '1', REDIS_URL: redis.url, WORKER_REDIS_WAIT_MS: '1500' }), inlinePool(1), c.log).catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(error).toBeInstanceOf(ConvlensError);
    expect(error).toMatchObject({ code: 'QUEUE_UNAVAILABLE', message: expect.stringMatching(/could not be reached in 1\.5 s \(WORKER_REDIS_WAIT_MS/) });
    expect(took).toBeGreaterThanOrEqual(1400);
    // 1.5 s, then at most STOP_UNREADY_MS (2 s) for BullMQ to let go
    expect(took).toBeLessThan(6000);
    await sleep(1000);
    expect(c.lines.filter((l) => l.level !== 'info').map((l) => l.msg)).toEqual([UNREACHED]);
  }, 30_000);
});
