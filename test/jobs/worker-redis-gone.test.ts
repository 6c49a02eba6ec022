/**
 * `convlens worker` stopping after its Redis went away (jobs/worker.ts close). Its close needs Redis:
 * BullMQ hands the running jobs back and closes its connections through it, and a command waits for
 * a connection for ever. Before, a SIGTERM after Redis had stopped began a close that never ended:
 * two workers orphaned by a test run (their parent killed, their test's Redis stopped) were found
 * still closing an hour later. Now the close stops without Redis once it has been unreachable for
 * STOP_UNREACHABLE_MS, and the process exits 0.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { STOP_UNREACHABLE_MS } from '../../src/jobs/worker.js';
import { alive, startRedis } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('convlens worker whose Redis went away', () => {
  it(`SIGTERM once Redis has stopped: it stops without Redis after ${STOP_UNREACHABLE_MS} ms unreachable and exits 0 (its close waited for Redis for ever)`, async () => {
    const redis = await startRedis();
    const parent = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker'], { cwd: root, env: { ...process.env, REDIS_URL: redis.url, WORKERS: '1', LOG_LEVEL: 'info' } });
    let out = '';
    parent.stdout.on('data', (d: Buffer) => (out += d));
    parent.stderr.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((resolve) => parent.once('exit', (code) => resolve(code)));
    // the worker runs as the child its parent restarted with the V8 flag: its pid is in its JSON lines
    const childPids = () => out.split('\n').flatMap((l) => (l.startsWith('{') ? [(JSON.parse(l) as { pid?: number }).pid] : [])).filter((p): p is number => p !== undefined && p !== parent.pid);
    try {
      for (let i = 0; i < 600 && !out.includes('convlens worker ready'); i++) await sleep(100);
      expect(out, out.slice(-2000)).toContain('convlens worker ready');
      await redis.stop();
      // its connections have seen Redis go (the client reconnects, and logs why)
      await sleep(1000);
      const signalled = performance.now();
      parent.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(STOP_UNREACHABLE_MS + 20_000).then(() => 'still running')]);
      expect(code, out.slice(-2000)).toBe(0);
      expect(performance.now() - signalled).toBeGreaterThanOrEqual(STOP_UNREACHABLE_MS - 1000);
      expect(out).toContain('closing: Redis cannot be reached, stopping without it');
      expect(out).toContain('convlens worker stopped');
    } finally {
      for (const pid of childPids()) if (alive(pid)) process.kill(pid, 'SIGKILL');
      if (parent.exitCode === null) parent.kill('SIGKILL');
      await redis.stop();
    }
  }, 90_000);
});
