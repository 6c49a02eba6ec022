/**
 * The app of the large-GraphQL-body tests: the real piscina pool (one worker), so what the worker
 * sends back is structured-cloned and its buffers moved as in the service (test helper inlinePool
 * does neither), and each of its answers to a large body's parse (task kind 'graphql') kept, as
 * the event loop receives it, and the kinds of the tasks sent to it (`kinds`).
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';

export async function appWithGraphqlAnswers(answers: unknown[], kinds: string[] = []): Promise<{ app: FastifyInstance; pool: TaskPool; close: () => Promise<void> }> {
  const pool = createPool(loadConfig({ WORKERS: '1' }));
  const run = pool.run.bind(pool);
  pool.run = (async (task: never, payload: { kind?: string }, ...rest: never[]) => {
    // every large-JSON task's kind, as it is sent (a job's parse: 'job')
    if (typeof payload?.kind === 'string') kinds.push(payload.kind);
    const answer = await run(task, payload, ...rest);
    if (payload?.kind === 'graphql') answers.push(structuredClone(answer));
    return answer;
  }) as typeof pool.run;
  const app = await buildApp({ config: loadConfig({ WORKERS: '1' }), pool });
  await app.ready();
  return { app, pool, close: async () => (await app.close(), await pool.close()) };
}
