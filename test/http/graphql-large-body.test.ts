/**
 * A GraphQL request over OFFLOAD_JSON_BYTES (128 KiB) as JSON is parsed in a worker of the pool, as
 * REST's large bodies are, with the same answers. Found by a hunt: parsed on the event loop (up to
 * JSON_BODY_LIMIT, 64 MiB), a 30 MB body held GET /healthz for 0.9–2.1 s.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { OFFLOAD_WORKER } from '../../src/http/offload.js';
import type { TaskName } from '../../src/runtime/task-names.js';
import { inlinePool } from '../jobs/helpers.js';

describe('a large GraphQL request is parsed in a worker', () => {
  let app: FastifyInstance;
  const parsed: unknown[] = [];
  beforeAll(async () => {
    const pool = inlinePool(1);
    const run = pool.run.bind(pool);
    pool.run = (async (task: TaskName, payload: unknown, transfer?: unknown, options?: { filename?: string }) => {
      const p = payload as { kind?: unknown; json?: Uint8Array; graphqlTokens?: number };
      if (p.kind === 'json') parsed.push({ task, filename: options?.filename, bytes: p.json!.byteLength, graphqlTokens: p.graphqlTokens });
      return run(task, payload, transfer, options);
    }) as typeof pool.run;
    app = await buildApp({ config: loadConfig({ WORKERS: '1', GRAPHQL_MAX_TOKENS: '5000' }), pool });
    await app.ready();
  });
  afterAll(async () => app.close());
  const post = (payload: string) => app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload });

  it('resnet18 (11,689,512 params, torchvision) asked in 200,000 bytes (padded with spaces): answered, parsed there with GRAPHQL_MAX_TOKENS', async () => {
    const json = JSON.stringify({ query: '{ analyze(model: "resnet18") { totals { params } } }' });
    const res = await post(json + ' '.repeat(200_000 - json.length));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.analyze.totals.params).toBe(11_689_512);
    expect(parsed).toEqual([{ task: 'analyze', filename: OFFLOAD_WORKER, bytes: 200_000, graphqlTokens: 5000 }]);
    // at 128 KiB and under, on the event loop as before
    parsed.length = 0;
    expect((await post(json + ' '.repeat(131_072 - json.length))).statusCode).toBe(200);
    expect(parsed).toEqual([]);
  });

  it('200,000 bytes that are not JSON: 400 INVALID_JSON as a small body gets, in a GraphQL answer', async () => {
    const bad = await post(`{"query": "{ __typename }",${' '.repeat(200_000)}`);
    const small = await post('{"query": "{ __typename }",');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].extensions.code).toBe('INVALID_JSON');
    expect(bad.json().errors[0].message.replace(/\d+/g, 'N')).toBe(small.json().errors[0].message.replace(/\d+/g, 'N'));
    expect(parsed.length).toBe(1);
  });
});
