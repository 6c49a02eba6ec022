/**
 * The `convlens worker` command as a process (src/cli.ts worker): without REDIS_URL, its parent
 * killed, a job run and a SIGTERM on a real redis-server. Nothing here is timed: each case waits for
 * the worker to log or exit (bounds against a hang only), so the file runs beside others; the
 * worker's SIGTERM within 8 s while Redis is unreachable is timed, in test/jobs/redis.test.ts.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/runtime/pool.js';
import { alive, startRedis, waitFor } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const submit = (app: FastifyInstance, payload: unknown) => app.inject({ method: 'POST', url: '/v1/jobs', payload: payload as object });

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the `convlens worker` command', () => {
  it('without REDIS_URL it exits 2 and says why on stderr', async () => {
    const r = await cli(['worker'], { REDIS_URL: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('convlens: INVALID_OPTION: worker needs REDIS_URL');
  });

  it('its parent killed (SIGKILL: no signal passed on), the child it restarted with the V8 flag stops too (it ran on, an orphan polling the queue)', async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker'], { cwd: root, env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', WORKERS: '1', LOG_LEVEL: 'info' } });
    let out = '';
    parent.stdout.on('data', (d: Buffer) => (out += d));
    parent.stderr.on('data', (d: Buffer) => (out += d));
    // the child logs its first connection error, its pid in the JSON line
    for (let i = 0; i < 300 && !out.includes('ECONNREFUSED'); i++) await new Promise((r) => setTimeout(r, 100));
    const pids = out.split('\n').flatMap((l) => (l.startsWith('{') ? [(JSON.parse(l) as { pid?: number }).pid] : [])).filter((p): p is number => p !== undefined && p !== parent.pid);
    expect(pids.length, out.slice(-2000)).toBeGreaterThan(0);
    const child = pids[0];
    try {
      parent.kill('SIGKILL');
      for (let i = 0; i < 300 && alive(child); i++) await new Promise((r) => setTimeout(r, 100));
      expect(alive(child)).toBe(false);
    } finally {
      if (alive(child)) process.kill(child, 'SIGKILL');
    }
  }, 90_000);

  it('runs a job submitted to an API replica, and on SIGTERM finishes and exits 0', async () => {
    const redis = await startRedis();
    const pool = createPool(loadConfig({ WORKERS: '1' }));
    const app = await buildApp({ config: loadConfig({ WORKERS: '1', REDIS_URL: redis.url }), pool });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker'], { cwd: root, env: { ...process.env, REDIS_URL: redis.url, WORKERS: '1', LOG_LEVEL: 'info' } });
    try {
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stdout += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const { id } = (await submit(app, { kind: 'analyze', model: 'squeezenet1_1' })).json();
      // 60 s for the worker's two boots (it runs itself again with the V8 flag) and the job: a guard against a hang, not a clock
      const job = await waitFor(app, id, ['done', 'failed', 'cancelled'], 60_000);
      expect(job.result?.totals.params, stdout).toBe(1_235_496);
      expect(stdout).toContain('convlens worker ready');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('"msg":"job done"');
      expect(stdout).toContain('convlens worker stopped');
    } finally {
      // a failed expectation above left the worker running (it polled a stopped Redis on its own): ended here
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await app.close();
      await pool.close();
      await redis.stop();
    }
  }, 90_000);
});
