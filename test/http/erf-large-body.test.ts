/**
 * POST /v1/erf's JSON over OFFLOAD_JSON_BYTES (128 KiB), a body or a form's `request` field, is
 * parsed in a worker of the pool (http/offload.ts), as the other task routes' are, with the same
 * answers. It was parsed on the event loop (the route did not take offloadJson): a body up to
 * JSON_BODY_LIMIT (64 MiB), and a large `request` field with JSON.parse outright.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { inlinePool } from '../jobs/helpers.js';

describe('a large POST /v1/erf request is parsed in a worker', () => {
  let app: FastifyInstance;
  const parsed: unknown[] = [];
  beforeAll(async () => {
    const pool = inlinePool(1, (_task, p) => {
      if (p.kind === 'job') parsed.push({ where: p.where, length: (p.json as { length: number }).length });
    });
    app = await buildApp({ config: loadConfig({ WORKERS: '1' }), pool });
    await app.ready();
  });
  afterAll(async () => app.close());
  beforeEach(() => {
    parsed.length = 0;
  });
  // a 3×3 conv over a 9×9 input, unit at the centre: the theoretical field is 3×3, the gradient 9 values
  const spec = { inputs: [{ name: 'x', shape: [1, 1, 9, 9] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false }] };
  const json = JSON.stringify({ spec, samples: 1, stages: false });

  it('a body of 200,000 bytes (padded with spaces): parsed there, answered as the same body of 128 KiB or less', async () => {
    const large = await request(app.server).post('/v1/erf').set('content-type', 'application/json').send(json + ' '.repeat(200_000 - json.length));
    expect(large.status, JSON.stringify(large.body).slice(0, 300)).toBe(200);
    expect(parsed).toEqual([{ where: 'body', length: 200_000 }]);
    const small = await request(app.server).post('/v1/erf').set('content-type', 'application/json').send(json);
    expect(large.body.statistics).toEqual(small.body.statistics);
    expect(parsed).toHaveLength(1);
    // not JSON, and not an object: the small body's answers
    for (const bad of ['{"spec": ', '[1, 2]']) {
      const a = await request(app.server).post('/v1/erf').set('content-type', 'application/json').send(bad + ' '.repeat(140_000));
      const b = await request(app.server).post('/v1/erf').set('content-type', 'application/json').send(bad);
      expect([a.status, a.body.error.code, a.body.error.path]).toEqual([b.status, b.body.error.code, b.body.error.path]);
    }
  });

  it('a form whose request field is 200,000 characters: parsed there; not JSON there is 400 INVALID_JSON at request, as a small one', async () => {
    const res = await request(app.server).post('/v1/erf').field('request', json + ' '.repeat(200_000 - json.length));
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    expect(parsed).toEqual([{ where: 'request', length: 200_000 }]);
    const bad = await request(app.server).post('/v1/erf').field('request', '{"spec": ' + ' '.repeat(140_000));
    expect([bad.status, bad.body.error.code, bad.body.error.path]).toEqual([400, 'INVALID_JSON', 'request']);
  });
});

describe('a large POST /v1/erf body is parsed with GRAPHQL_MAX_TOKENS, as a small one is', () => {
  let app: FastifyInstance;
  const tokens: unknown[] = [];
  beforeAll(async () => {
    const pool = inlinePool(1, (_task, p) => {
      if (p.kind === 'job') tokens.push(p.graphqlTokens);
    });
    app = await buildApp({ config: loadConfig({ WORKERS: '1', GRAPHQL_MAX_TOKENS: '30000' }), pool });
    await app.ready();
  });
  afterAll(async () => app.close());

  // A body shaped as a GraphQL request whose document (about 15,030 tokens: over the default 10,000, within
  // 30,000) passes the variable i as inputs: with the configured limit its __proto__ key is a tensor name
  // (body.ts), so the body parses and erf refuses its members; with the default it did not parse and the key
  // was refused as prototype poisoning (400 INVALID_JSON at $.variables.i.__proto__) in the large body only.
  it('the same answer at 90,168 and at 230,168 bytes: not INVALID_JSON at the __proto__ key, and the worker had 30,000', async () => {
    const capture = Array(15_000).fill('"r"').join(' ');
    const query = `query($i: JSON!) { run(model: "resnet18", inputs: $i, capture: [${capture}]) { outputs { name } } }`;
    const body = JSON.stringify({ query, variables: { i: {} } }).replace('"i":{}', '"i":{"__proto__":{"shape":[1,1,1,2],"data":[-1,2]}}');
    expect(body.length).toBe(90_168);
    const post = (payload: string) => request(app.server).post('/v1/erf').set('content-type', 'application/json').send(payload);
    const small = await post(body);
    const large = await post(body + ' '.repeat(140_000));
    expect(small.body.error.code).not.toBe('INVALID_JSON');
    expect([large.status, large.body.error.code, large.body.error.path, large.body.error.message]).toEqual([small.status, small.body.error.code, small.body.error.path, small.body.error.message]);
    expect(tokens).toEqual([30_000]);
  });
});
