import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

/** The production app with a small worker pool; close it in afterAll. */
export async function testApp(env: Record<string, string> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ config: loadConfig({ WORKERS: '2', ...env }) });
  await app.ready();
  return app;
}
