/**
 * What the edge tests share (security-keys.test.ts, security-limits.test.ts): two API keys, and an
 * app whose pool's `run` is spied on.
 */
import { vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';

export const KEY_A = 'convlens-test-key-A-0123456789';
export const KEY_B = 'convlens-test-key-B-9876543210';

/** An app on a shared one-worker pool whose `run` is spied on: what a refused request would have started. */
export async function spiedApp(env: Record<string, string>) {
  const config = loadConfig({ WORKERS: '1', ...env });
  const pool: TaskPool = createPool(config);
  const run = vi.spyOn(pool, 'run');
  const app = await buildApp({ config, pool });
  await app.ready();
  return { app, run, close: async () => (await app.close(), await pool.close()) };
}
