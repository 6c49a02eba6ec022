/**
 * Issue 9, defect 5: one GraphQL document with 300 aliases filled the queue for minutes. Every
 * bound is checked before anything runs (the pool is spied on): the weight (aliases count), one
 * response name per field below the root (aliases under a list multiply the answer), the tokens of
 * the document, batches (refused), the limits from the configuration; and what GET may ask.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';

let pool: TaskPool;
let run: ReturnType<typeof vi.spyOn>;
let app: FastifyInstance;
/** Apps with other limits, on the same spied pool. */
const others: FastifyInstance[] = [];

async function appWith(env: Record<string, string>): Promise<FastifyInstance> {
  const a = await buildApp({ config: loadConfig({ WORKERS: '1', ...env }), pool });
  await a.ready();
  others.push(a);
  return a;
}

beforeAll(async () => {
  pool = createPool(loadConfig({ WORKERS: '1' }));
  run = vi.spyOn(pool, 'run');
  app = await buildApp({ config: loadConfig({ WORKERS: '1' }), pool });
  await app.ready();
});
afterAll(async () => {
  for (const a of [app, ...others]) await a.close();
  await pool.close();
});
beforeEach(() => {
  run.mockClear();
});

const post = (a: FastifyInstance, body: unknown) => request(a.server).post('/graphql').send(body as object);
const gql = (query: string, variables: Record<string, unknown> = {}, a = app) => post(a, { query, variables });
const aliases = (n: number, field: (i: number) => string) => Array.from({ length: n }, (_, i) => field(i)).join(' ');

const tiny = { inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'r', op: 'relu' }] };
const x = { shape: [1, 1, 2, 2], data: [-1, 2, -3, 4] };

describe('the defect: a document with 300 aliases', () => {
  it('300 aliased analyze(model: "resnet50") weigh 3000 > 50 and select 900 fields > 500: 400 QUERY_TOO_COMPLEX, no data, not one pool task', async () => {
    const res = await gql(`{ ${aliases(300, (i) => `a${i}: analyze(model: "resnet50") { totals { macs } }`)} }`).expect(400);
    expect(res.body).not.toHaveProperty('data');
    expect(res.body.errors.map((e: { extensions: unknown }) => e.extensions)).toEqual([
      { code: 'QUERY_TOO_COMPLEX', path: '$.query', limit: 50, weight: 3000, rootFields: { analyze: 300 } },
      { code: 'QUERY_TOO_COMPLEX', path: '$.query', limit: 500, fields: 900 },
    ]);
    expect(run).not.toHaveBeenCalled();
  });

  it('300 aliases of `data` on one output tensor (one runOperator, weight 10): refused, naming the field and where', async () => {
    const res = await gql(`query($x: JSON!) { runOperator(name: "relu", inputs: [$x]) { outputs { tensor { ${aliases(300, (i) => `d${i}: data`)} } } } }`, { x }).expect(400);
    expect(res.body.errors[0].message).toBe(
      'the operation selects data under runOperator.outputs.tensor as d0, d1, d2, d3, d4 … (300): below the root a field answers the same value under every name, so select it once.',
    );
    expect(res.body.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', path: '$.query', field: 'data', fieldPath: ['runOperator', 'outputs', 'tensor'], aliases: 300 });
    expect(run).not.toHaveBeenCalled();
  });

  it('300 aliases of `name` under analyze.layers (a list as long as the graph): refused before the analysis', async () => {
    const res = await gql(`query($s: JSON) { analyze(spec: $s) { layers { ${aliases(300, (i) => `n${i}: name`)} } } }`, { s: tiny }).expect(400);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', field: 'name', fieldPath: ['analyze', 'layers'], aliases: 300 });
    expect(run).not.toHaveBeenCalled();
  });

  it('aliases spread over fields of one response name are merged as graphql-js merges them: tensor { a: data } tensor { b: data } is refused', async () => {
    const res = await gql('query($x: JSON!) { runOperator(name: "relu", inputs: [$x]) { outputs { tensor { a: data } tensor { b: data } } } }', { x }).expect(400);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', field: 'data', aliases: 2 });
  });

  it('…and through fragments: a fragment with `a: base64` and an inline fragment with `b: base64`', async () => {
    const q = 'query($x: JSON!) { runOperator(name: "relu", inputs: [$x]) { outputs { tensor { ...A ... on Tensor { b: base64 } } } } } fragment A on Tensor { a: base64 }';
    const res = await gql(q, { x }).expect(400);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', field: 'base64', fieldPath: ['runOperator', 'outputs', 'tensor'] });
    expect(run).not.toHaveBeenCalled();
  });

  it('a field repeated under its own name is one field (graphql-js answers it once): relu of [-1, 2, -3, 4] is [0, 2, 0, 4], one task', async () => {
    const res = await gql('query($x: JSON!) { runOperator(name: "relu", inputs: [$x]) { outputs { tensor { data data shape } tensor { data } } } }', { x }).expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.runOperator.outputs).toEqual([{ tensor: { data: [0, 2, 0, 4], shape: [1, 1, 2, 2] } }]);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('root fields may be aliased (with other arguments each): two analyses of different models run, weight 20', async () => {
    const res = await gql('{ a: analyze(model: "resnet18") { totals { params } } b: analyze(model: "resnet34") { totals { params } } }').expect(200);
    // torchvision's published counts
    expect(res.body.data).toEqual({ a: { totals: { params: 11689512 } }, b: { totals: { params: 21797672 } } });
    expect(run).toHaveBeenCalledTimes(2);
  });
});

describe('batches: one operation per request', () => {
  it('a JSON array of two analyses is 400 GRAPHQL_INVALID, and neither runs', async () => {
    const one = { query: '{ analyze(model: "resnet18") { name } }' };
    const res = await post(app, [one, one]).expect(400);
    expect(res.body).toEqual({
      errors: [{ message: 'batched operations (a JSON array) are not accepted: send one { "query": … } per request', extensions: { code: 'GRAPHQL_INVALID', path: '$' } }],
    });
    expect(run).not.toHaveBeenCalled();
  });

  it('an empty array too', async () => {
    const res = await post(app, []).expect(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_INVALID');
  });
});

describe('limits from the configuration', () => {
  it('GRAPHQL_MAX_COST=10: one analyze (10) runs; analyze + models (11) is refused with limit 10', async () => {
    const small = await appWith({ GRAPHQL_MAX_COST: '10' });
    const ok = await gql('{ analyze(model: "resnet18") { name } }', {}, small).expect(200);
    expect(ok.body.data.analyze.name).toBe('resnet18');
    run.mockClear();
    const res = await gql('{ analyze(model: "resnet18") { name } models { name } }', {}, small).expect(400);
    expect(res.body.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', path: '$.query', limit: 10, weight: 11, rootFields: { analyze: 1, models: 1 } });
    expect(run).not.toHaveBeenCalled();
  });

  it('GRAPHQL_MAX_FIELDS=3: { models { name } operators { name } } selects 4', async () => {
    const small = await appWith({ GRAPHQL_MAX_FIELDS: '3' });
    const res = await gql('{ models { name } operators { name } }', {}, small).expect(400);
    expect(res.body.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', path: '$.query', limit: 3, fields: 4 });
  });

  it('GRAPHQL_MAX_DEPTH=2: analyze { totals { params } } nests 3 deep', async () => {
    const small = await appWith({ GRAPHQL_MAX_DEPTH: '2' });
    const res = await gql('{ analyze(model: "resnet18") { totals { params } } }', {}, small).expect(400);
    expect(res.body.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', path: '$.query', limit: 2, depth: 3, fieldPath: ['analyze', 'totals', 'params'] });
    expect(run).not.toHaveBeenCalled();
  });

  it('GRAPHQL_MAX_TOKENS=100: a document of 103 tokens is refused as it is parsed (400; 200 under application/json), no task', async () => {
    const small = await appWith({ GRAPHQL_MAX_TOKENS: '100' });
    // { a : analyze ( model : "resnet18" ) { name } is 12 tokens, each `mI: models` 3 more (30 × 3 = 90), the closing } one
    const query = `{ a: analyze(model: "resnet18") { name } ${aliases(30, (i) => `m${i}: models`)} }`;
    const res = await gql(query, {}, small).expect(400);
    expect(res.body.errors[0]).toMatchObject({
      message: 'the document has more than 100 tokens (GRAPHQL_MAX_TOKENS): pass specs, tensors and other large values as variables',
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 100, path: '$.query' },
    });
    const json = await request(small.server).post('/graphql').set('accept', 'application/json').send({ query }).expect(200);
    expect(json.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(run).not.toHaveBeenCalled();
    // within the limit: { and }, then 10 × `mI: models { name }` (6 tokens each): 62 tokens
    const fits = await gql(`{ ${aliases(10, (i) => `m${i}: models { name }`)} }`, {}, small).expect(200);
    expect(fits.body.data.m9.length).toBeGreaterThan(5);
  });
});

describe('GET /graphql: catalog reads only', () => {
  const get = (query: string, extra: Record<string, string> = {}) => request(app.server).get('/graphql').query({ query, ...extra });

  it('{ models { name } } is answered', async () => {
    const res = await get('{ models { name } }').expect(200);
    expect(res.body.data.models.map((m: { name: string }) => m.name)).toContain('resnet50');
  });

  it.each([
    ['analyze', '{ analyze(model: "resnet18") { name } }', 'analyze starts work on the service'],
    ['run hidden in a fragment', 'query($s: JSON, $t: JSON!) { ...R } fragment R on Query { run(spec: $s, inputs: $t) { outputs { name } } }', 'run starts work on the service'],
    ['introspection', '{ __schema { queryType { name } } }', 'introspection (__schema) is answered over POST only'],
    ['introspection in a fragment', '{ models { ...T } } fragment T on ModelInfo { __type(name: "Tensor") { name } }', 'introspection (__type) is answered over POST only'],
    ['a mutation', 'mutation { analyze }', 'a mutation is never sent over GET'],
  ])('%s: 405 METHOD_NOT_ALLOWED with Allow: POST, nothing run', async (_name, query, reason) => {
    const res = await get(query).expect(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body.errors).toEqual([
      {
        message: `GET /graphql answers only reads that start no work (models, model, operators, devices, conventions, job) without introspection: ${reason}; send it as POST /graphql`,
        extensions: { code: 'METHOD_NOT_ALLOWED', path: '/graphql', allowed: ['POST'] },
      },
    ]);
    expect(run).not.toHaveBeenCalled();
  });

  it('operationName picks the operation: of `query A { models } query B { analyze }`, A is answered and B refused', async () => {
    const doc = 'query A { models { name } } query B { analyze(model: "resnet18") { name } }';
    expect((await get(doc, { operationName: 'A' }).expect(200)).body.data.models.length).toBeGreaterThan(5);
    await get(doc, { operationName: 'B' }).expect(405);
    expect(run).not.toHaveBeenCalled();
  });

  it('the same analyze over POST runs', async () => {
    const res = await gql('{ analyze(model: "resnet18") { name } }').expect(200);
    expect(res.body.data.analyze.name).toBe('resnet18');
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('a GET document that does not parse is answered as over POST (a syntax error, 400)', async () => {
    const res = await get('{ models { name }').expect(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_INVALID');
  });

  it.each([
    ['two operations without operationName', 'query A { models { name } } query B { devices { id } }', {}, 'the document holds 2 operations (A, B): name the one to run in operationName', 'query.operationName'],
    ['an operationName the document does not hold', '{ devices { id } }', { operationName: 'Z' }, 'unknown operation named "Z": the document holds (anonymous)', 'query.operationName'],
    ['an empty operationName (as over POST: no operation has that name)', 'query A { devices { id } }', { operationName: '' }, 'unknown operation named "": the document holds A', 'query.operationName'],
    ['variables=5', '{ devices { id } }', { variables: '5' }, 'variables must be a JSON object (or null), got number', 'query.variables'],
    ['variables="str"', '{ devices { id } }', { variables: '"str"' }, 'variables must be a JSON object (or null), got string', 'query.variables'],
    ['variables=[1]', '{ devices { id } }', { variables: '[1]' }, 'variables must be a JSON object (or null), got an array', 'query.variables'],
  ])('%s: 400 GRAPHQL_INVALID at its parameter (mercurius threw: 500 INTERNAL)', async (_name, query, extra, message, path) => {
    const res = await get(query, extra).expect(400);
    expect(res.body.errors).toEqual([{ message, extensions: { code: 'GRAPHQL_INVALID', path } }]);
  });

  it('variables that are not JSON: 400 GRAPHQL_INVALID at query.variables (not "the body is not valid JSON"); null and {} are answered', async () => {
    const res = await get('{ devices { id } }', { variables: '{bad' }).expect(400);
    expect(res.body.errors[0]).toMatchObject({ message: expect.stringMatching(/^variables is not JSON: /), extensions: { code: 'GRAPHQL_INVALID', path: 'query.variables' } });
    for (const variables of ['null', '{}']) expect((await get('{ devices { id } }', { variables }).expect(200)).body.data.devices.length).toBeGreaterThan(0);
  });
});

describe('a literal nested thousands of brackets deep (graphql-js parses recursively)', () => {
  it('[…] 3000 deep in an argument: 400 QUERY_TOO_COMPLEX before graphql-js parses it, not a stack overflow; 100 deep still parses', async () => {
    const { buildApp } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const app = await buildApp({ config: loadConfig({ WORKERS: '1' }) });
    try {
      const deep = `{ analyze(spec: ${'['.repeat(3000)}${']'.repeat(3000)}) { name } }`;
      const res = await app.inject({ method: 'POST', url: '/graphql', payload: { query: deep } });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', path: '$.query' });
      const shallow = `{ analyze(spec: ${'['.repeat(100)}${']'.repeat(100)}) { name } }`;
      const ok = await app.inject({ method: 'POST', url: '/graphql', payload: { query: shallow } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().errors[0].extensions.code).not.toBe('QUERY_TOO_COMPLEX');
    } finally {
      await app.close();
    }
  });

  it('documentNesting skips strings and comments: "[[[" inside a string or after # does not count', async () => {
    const { documentNesting } = await import('../../src/http/graphql/complexity.js');
    expect(documentNesting('{ a(b: "[[[[", c: """ {{{{ """) { d } } # ((((')).toBe(2);
    expect(documentNesting('{ a(b: [[1]]) }')).toBe(4);
  });
});
