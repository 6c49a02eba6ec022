/**
 * `convlens worker` with Redis unreachable (jobs/redis-link.ts): each connection retries with a
 * capped exponential backoff (0.5 s doubling to 30 s), the log has one line when the link changes,
 * not one per attempt, and WORKER_REDIS_WAIT_MS bounds the wait at start: exit 5, one line on
 * stderr, for an orchestrator to restart it. It retried about once a second per connection, two
 * warnings a second, for ever.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { RETRY_MAX_MS, retryDelay } from '../src/jobs/redis-link.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The worker as its own process (the server's V8 flag given, so it does not run itself again), until it exits. */
function runWorker(port: number, waitMs: number) {
  const child = spawn('nice', ['-n', '19', process.execPath, '--initial-old-space-size=128', '--import', 'tsx', 'src/cli.ts', 'worker'], {
    cwd: root,
    env: { ...process.env, REDIS_URL: `redis://127.0.0.1:${port}`, WORKERS: '1', WORKER_REDIS_WAIT_MS: String(waitMs), LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), waitMs + 90_000);
  return new Promise<{ code: number | null; logs: { level: number; msg: string }[]; err: string }>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, logs: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)), err });
    }),
  );
}

describe('the backoff', () => {
  it('0.5, 1, 2, 4, 8, 16 s, then 30 s for ever (the cap)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(retryDelay)).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, RETRY_MAX_MS]);
  });

  it('WORKER_REDIS_WAIT_MS: 60 s by default, 0 (for ever) accepted, a negative refused', () => {
    expect(loadConfig({}).WORKER_REDIS_WAIT_MS).toBe(60_000);
    expect(loadConfig({ WORKER_REDIS_WAIT_MS: '0' }).WORKER_REDIS_WAIT_MS).toBe(0);
    expect(() => loadConfig({ WORKER_REDIS_WAIT_MS: '-1' })).toThrow(/WORKER_REDIS_WAIT_MS/);
  });
});

describe('convlens worker with Redis unreachable', () => {
  it('a port nobody listens on (4125), WORKER_REDIS_WAIT_MS=3000: one warning in the log, then exit 5 with one QUEUE_UNAVAILABLE line on stderr naming host:port', async () => {
    const r = await runWorker(4125, 3000);
    expect(r.code).toBe(5);
    const warnings = r.logs.filter((l) => l.level >= 40 && l.level < 50);
    expect(warnings.map((l) => l.msg)).toEqual(['Redis cannot be reached; retrying after 0.5 s, doubling up to 30 s']);
    expect(r.logs.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([expect.stringMatching(/^Redis at 127\.0\.0\.1:4125 could not be reached in 3 s/)]);
    expect(r.err).toBe('convlens: QUEUE_UNAVAILABLE: Redis at 127.0.0.1:4125 could not be reached in 3 s (WORKER_REDIS_WAIT_MS; 0 waits for ever): exiting for the orchestrator to restart the worker (at REDIS_URL)\n');
  }, 120_000);

  it('a port that accepts and closes at once (4124), 8 s: at most 5 attempts a connection, the gaps doubling (0.5, 1, 2, 4 s), one warning; before, 78 attempts in 21 s and a warning each', async () => {
    const at: number[] = [];
    let first = 0;
    const server = net.createServer((s) => {
      first ||= Date.now();
      at.push(Date.now() - first);
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(4124, '127.0.0.1', resolve));
    try {
      const r = await runWorker(4124, 8000);
      expect(r.code).toBe(5);
      expect(r.logs.filter((l) => l.level === 40)).toHaveLength(1);
      // four connections (the worker's two, BullMQ's two), each trying at 0, 0.5, 1.5, 3.5 and 7.5 s (and the connect's own time):
      // at most 5 each; after 4 s only the 7.5 s one. Before: about 4 a second throughout (78 in 21 s)
      expect(at.length, `attempts at ${at.join(', ')} ms`).toBeLessThanOrEqual(4 * 6);
      expect(at.filter((t) => t > 4000).length, `attempts at ${at.join(', ')} ms`).toBeLessThanOrEqual(4 * 2);
    } finally {
      server.close();
    }
  }, 120_000);
});
