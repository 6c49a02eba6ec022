import type { FastifyInstance } from 'fastify';
import type request from 'supertest';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

/** The production app with a small worker pool; close it in afterAll. */
export async function testApp(env: Record<string, string> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ config: loadConfig({ WORKERS: '2', ...env }) });
  await app.ready();
  return app;
}

const shared = new WeakSet<FastifyInstance>();

/** Whether `app` is one sharedApp made: closed after its describe's cases, not after each. */
export const isSharedApp = (app: FastifyInstance): boolean => shared.has(app);

/**
 * One testApp for the cases of the enclosing describe that use it (refusals and calls that leave
 * nothing behind): made before them, closed after all of them; `get()` is the app.
 */
export function sharedApp(env: Record<string, string>): { get(): FastifyInstance } {
  let one: FastifyInstance | undefined;
  beforeAll(async () => {
    one = await testApp(env);
    shared.add(one);
  });
  afterAll(async () => one?.close());
  return { get: () => one! };
}

/** supertest's parser for a binary answer (a .npy file): its bytes as one Buffer (`.buffer(true).parse(binary)`). */
export const binary = (res: request.Response, done: (err: Error | null, body: Buffer) => void): void => {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};
