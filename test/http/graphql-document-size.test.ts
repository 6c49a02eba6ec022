/**
 * A GraphQL document over GRAPHQL_MAX_DOCUMENT_BYTES (UTF-8 bytes; 1 MiB by default) is refused
 * before anything reads it, as 400 QUERY_TOO_COMPLEX at the document, with one message wherever it
 * arrives: a JSON body's `query` (parsed on the event loop up to 128 KiB, in a worker of the real
 * piscina pool above), GET's `query` parameter, an application/graphql body. Before, only the tokens
 * (10,000) and each literal (64 KiB) were bounded: a 20 MB document of 330 literals of 60,000
 * characters passed both and was parsed on the event loop (30–110 ms a parse), a large body's by
 * mercurius after the worker's parse. Variables are not bounded by it.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';

/** A document of exactly `bytes` UTF-8 bytes that reads the models' names: a comment of `fill` (1 to 4 bytes a character) pads it. */
function documentOf(bytes: number, fill = 'x', body = '{ models { name } }'): string {
  const pad = bytes - Buffer.byteLength(`#\n${body}`);
  const unit = Buffer.byteLength(fill);
  const text = `#${fill.repeat(Math.floor(pad / unit))}${'y'.repeat(pad % unit)}\n${body}`;
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

const ADVICE = 'pass specs, tensors, ONNX files and other large values as variables (a tensor as { shape, dtype: "float32", base64 }, or as a .npy part to the REST routes)';
const refusal = (bytes: number, limit: number, path: string) => ({
  errors: [{ message: `the document is ${bytes} bytes (UTF-8), over GRAPHQL_MAX_DOCUMENT_BYTES (${limit}): ${ADVICE}`, extensions: { code: 'QUERY_TOO_COMPLEX', path, limit, bytes } }],
});

/** An app on the real pool (one worker), recording how each large body's worker task ended. */
async function appOnPool(env: Record<string, string>): Promise<{ app: FastifyInstance; pool: TaskPool; outcomes: string[] }> {
  const pool = createPool(loadConfig({ WORKERS: '1' }));
  const outcomes: string[] = [];
  const run = pool.run.bind(pool);
  pool.run = (async (task: never, payload: { kind?: string }, ...rest: never[]) => {
    try {
      const answer = await run(task, payload, ...rest);
      if (payload?.kind === 'graphql') outcomes.push('prepared');
      return answer;
    } catch (e) {
      if (payload?.kind === 'graphql') outcomes.push(`refused ${(e as { code?: string }).code}`);
      throw e;
    }
  }) as typeof pool.run;
  const app = await buildApp({ config: loadConfig({ WORKERS: '1', ...env }), pool });
  await app.ready();
  return { app, pool, outcomes };
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };

describe('GRAPHQL_MAX_DOCUMENT_BYTES=100000: one byte over is refused on every path, alike; the limit itself is answered', () => {
  const LIMIT = 100_000;
  let app: FastifyInstance;
  let pool: TaskPool;
  let outcomes: string[];
  beforeAll(async () => {
    ({ app, pool, outcomes } = await appOnPool({ GRAPHQL_MAX_DOCUMENT_BYTES: String(LIMIT) }));
  });
  // each case sees the worker outcomes of its own requests
  beforeEach(() => {
    outcomes.length = 0;
  });
  afterAll(async () => {
    await app.close();
    await pool.close();
  });
  const post = (payload: string, headers: Record<string, string> = JSON_HEADERS) => app.inject({ method: 'POST', url: '/graphql', headers, payload });
  const get = (query: string) => app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(query)}`, headers: { accept: 'application/graphql-response+json' } });
  // a document that a parse would refuse for its syntax (an unclosed brace), and whose literal (70,000 characters) and nesting (300) are over
  // their limits too: only the size is answered, so nothing read it first
  const over = `{ a(s: "${'z'.repeat(70_000)}", t: ${'['.repeat(300)}`;
  const OVER = documentOf(LIMIT + 1, 'x', over);

  it('a JSON body of 100 KB (parsed on the event loop): 400 at $.query, before any parse; 200 under application/json (a request error, as the token limit)', async () => {
    const body = JSON.stringify({ query: OVER });
    expect(body.length).toBeLessThanOrEqual(131_072);
    const res = await post(body);
    expect([res.statusCode, res.json()]).toEqual([400, refusal(LIMIT + 1, LIMIT, '$.query')]);
    const json = await post(body, { 'content-type': 'application/json', accept: 'application/json' });
    expect([json.statusCode, json.json()]).toEqual([200, refusal(LIMIT + 1, LIMIT, '$.query')]);
    expect(outcomes).toEqual([]);
  });

  it('the same document in a body over 128 KiB: refused in the worker (the real pool) with the same answer', async () => {
    const body = JSON.stringify({ query: OVER, variables: { pad: 'p'.repeat(40_000) } });
    expect(body.length).toBeGreaterThan(131_072);
    const res = await post(body);
    expect([res.statusCode, res.json()]).toEqual([400, refusal(LIMIT + 1, LIMIT, '$.query')]);
    expect(outcomes).toEqual(['refused QUERY_TOO_COMPLEX']);
    outcomes.length = 0;
    // a body member's fault comes after it, on both paths (the worker refuses first)
    const small = await post(JSON.stringify({ query: OVER, varibles: {} }));
    const large = await post(JSON.stringify({ query: OVER, varibles: { pad: 'p'.repeat(40_000) } }));
    expect(small.json()).toEqual(refusal(LIMIT + 1, LIMIT, '$.query'));
    expect(large.json()).toEqual(small.json());
    expect(outcomes).toEqual(['refused QUERY_TOO_COMPLEX']);
    outcomes.length = 0;
  });

  it('GET ?query= of 100,001 bytes: 400 at query.query; an application/graphql body: at $', async () => {
    const res = await get(OVER);
    expect([res.statusCode, res.json()]).toEqual([400, refusal(LIMIT + 1, LIMIT, 'query.query')]);
    const raw = await post(OVER, { 'content-type': 'application/graphql', accept: 'application/graphql-response+json' });
    expect([raw.statusCode, raw.json()]).toEqual([400, refusal(LIMIT + 1, LIMIT, '$')]);
  });

  it('a document of exactly 100,000 bytes is answered on each path: JSON small and large (the worker prepared it), GET, application/graphql', async () => {
    const AT = documentOf(LIMIT);
    const names = (res: { statusCode: number; json: () => { data: { models: { name: string }[] } } }) => {
      expect(res.statusCode).toBe(200);
      return res.json().data.models.map((m) => m.name);
    };
    expect(names(await post(JSON.stringify({ query: AT })))).toContain('resnet50');
    expect(names(await post(JSON.stringify({ query: AT, variables: { pad: 'p'.repeat(40_000) } })))).toContain('resnet50');
    expect(outcomes).toEqual(['prepared']);
    expect(names(await get(AT))).toContain('resnet50');
    expect(names(await post(AT, { 'content-type': 'application/graphql', accept: 'application/graphql-response+json' }))).toContain('resnet50');
  });

  it('bytes, not characters: 40,000 é (2 bytes each) are 80,000 bytes; 25,001 😀 (4 bytes, 2 UTF-16 units) one byte over is refused at 50,002 units', async () => {
    const fits = documentOf(LIMIT, 'é');
    expect((await post(JSON.stringify({ query: fits }))).statusCode).toBe(200);
    const emoji = documentOf(LIMIT + 1, '😀');
    expect(emoji.length).toBeLessThan(LIMIT / 1.9);
    expect((await post(JSON.stringify({ query: emoji }))).json()).toEqual(refusal(LIMIT + 1, LIMIT, '$.query'));
    expect((await get(emoji)).json()).toEqual(refusal(LIMIT + 1, LIMIT, 'query.query'));
    expect((await post(emoji, { 'content-type': 'application/graphql', accept: 'application/graphql-response+json' })).json()).toEqual(refusal(LIMIT + 1, LIMIT, '$'));
    // in the worker too, with \u escapes in the JSON (12 characters of JSON a 😀): the decoded document's bytes count
    const escaped = JSON.stringify({ query: emoji }).replace(/😀/g, '\\ud83d\\ude00');
    expect(escaped.length).toBeGreaterThan(131_072);
    expect((await post(escaped)).json()).toEqual(refusal(LIMIT + 1, LIMIT, '$.query'));
    expect(outcomes.at(-1)).toBe('refused QUERY_TOO_COMPLEX');
  });

  it('variables are not bounded by it: a 300,000-character model name in a variable is the model’s 404, not QUERY_TOO_COMPLEX', async () => {
    const res = await post(JSON.stringify({ query: 'query($m: String!) { model(name: $m) }', variables: { m: 'm'.repeat(300_000) } }));
    expect(res.statusCode).toBe(200);
    expect(res.json().errors[0].extensions.code).toBe('UNKNOWN_MODEL');
  });
});

describe('the default, 1 MiB (1,048,576 bytes)', () => {
  let app: FastifyInstance;
  let pool: TaskPool;
  let outcomes: string[];
  beforeAll(async () => {
    ({ app, pool, outcomes } = await appOnPool({}));
  });
  afterAll(async () => {
    await app.close();
    await pool.close();
  });

  it('1,048,577 bytes are refused in the worker; 1,048,576 are answered', async () => {
    const post = (query: string) => app.inject({ method: 'POST', url: '/graphql', headers: JSON_HEADERS, payload: JSON.stringify({ query }) });
    const over = await post(documentOf(1_048_577));
    expect([over.statusCode, over.json()]).toEqual([400, refusal(1_048_577, 1_048_576, '$.query')]);
    const at = await post(documentOf(1_048_576));
    expect(at.statusCode).toBe(200);
    expect(at.json().data.models.length).toBeGreaterThan(5);
    expect(outcomes).toEqual(['refused QUERY_TOO_COMPLEX', 'prepared']);
  });
});

describe('a body holding `__proto__` (its document read for the tensor names, body.ts)', () => {
  let app: FastifyInstance;
  let pool: TaskPool;
  beforeAll(async () => {
    ({ app, pool } = await appOnPool({ GRAPHQL_MAX_DOCUMENT_BYTES: '100000' }));
  });
  afterAll(async () => {
    await app.close();
    await pool.close();
  });

  it('an input named __proto__ under a document one byte over: the size refusal, unparsed, small and large alike (not a prototype-poisoning INVALID_JSON)', async () => {
    const query = documentOf(100_001, 'x', 'query($s: JSON, $i: JSON!) { run(spec: $s, inputs: $i) { outputs { name } } }');
    const s = { inputs: [{ name: '__proto__', shape: [1, 2] }], layers: [{ name: 'r', op: 'relu' }] };
    const body = JSON.stringify({ query, variables: { s, i: {} } }).replace('"i":{}', '"i":{"__proto__":{"shape":[1,2],"data":[-1,2]}}');
    for (const payload of [body, body + ' '.repeat(40_000)]) {
      const res = await app.inject({ method: 'POST', url: '/graphql', headers: JSON_HEADERS, payload });
      expect([res.statusCode, res.json()]).toEqual([400, refusal(100_001, 100_000, '$.query')]);
    }
    // one byte less: run, relu of [−1, 2] = [0, 2]
    const fits = body.replace('#x', '#');
    const ok = await app.inject({ method: 'POST', url: '/graphql', headers: JSON_HEADERS, payload: fits });
    expect(ok.statusCode, ok.body.slice(0, 300)).toBe(200);
    expect(ok.json().data.run.outputs).toEqual([{ name: 'r' }]);
  });
});
