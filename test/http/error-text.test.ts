/**
 * Errors that echo the request are bounded (src/http/error-text.ts), and so are GraphQL names
 * (src/http/graphql/complexity.ts longestName). Before (2026-12-05, the service on the 2-vCPU VM):
 * a 30 MB model name in POST /v1/analyze was a 60 MB 404 (the name in `message` and in `model`),
 * logged whole, with /healthz stalled 6.4 s; a 10 MB field name in a GraphQL document a 10 MB 400
 * and a 4.8 s stall. The answers' code and path stay what they were.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { MAX_ERROR_STRING, boundText } from '../../src/http/error-text.js';
import { MAX_NAME_LENGTH, longestName } from '../../src/http/graphql/complexity.js';

const LONG = 'x'.repeat(2_000_000);

describe('boundText', () => {
  it(`keeps a string of ${MAX_ERROR_STRING} characters as it is; a longer one keeps its first 12,288 and last 2,048, and says how many it left out`, () => {
    const fits = 'a'.repeat(MAX_ERROR_STRING);
    expect(boundText(fits)).toBe(fits);
    const text = `${'h'.repeat(20_000)}${'t'.repeat(5_000)}`;
    const bounded = boundText(text);
    expect(bounded).toBe(`${'h'.repeat(12_288)}…[${25_000 - 12_288 - 2_048} characters left out]…${'t'.repeat(2_048)}`);
  });

  it('cuts no surrogate pair (an emoji is two UTF-16 units): a head that would end on a first half, a tail that would start on a second half, keep the pair whole or leave it out', () => {
    // 'a' then 10,000 😀: pairs start at odd units, so unit 12,287 (the head's last) is a first half:
    // the head keeps 12,287 units ('a' and 6,143 pairs); the tail's first, 20,001 - 2,048, starts a pair
    const head = boundText(`a${'😀'.repeat(10_000)}`);
    expect(head).toBe(`a${'😀'.repeat(6_143)}…[${20_001 - 12_287 - 2_048} characters left out]…${'😀'.repeat(1_024)}`);
    // 10,000 😀 then 'z': the head's last unit, 12,287, ends a pair; the tail's first, 20,001 - 2,048 = 17,953,
    // is a second half: the tail keeps 2,047 units (1,023 pairs and 'z')
    const tail = boundText(`${'😀'.repeat(10_000)}z`);
    expect(tail).toBe(`${'😀'.repeat(6_144)}…[${20_001 - 12_288 - 2_047} characters left out]…${'😀'.repeat(1_023)}z`);
    const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    for (const t of [head, tail]) expect(lone.test(t)).toBe(false);
  });
});

describe('longestName', () => {
  it('counts names, not strings, block strings, comments nor numbers', () => {
    expect(longestName('{ models { name } }')).toEqual({ length: 6, at: 2 });
    expect(longestName(`{ a(b: "${'s'.repeat(50)}", c: """ ${'q'.repeat(60)} """) { d } } # ${'c'.repeat(70)}`).length).toBe(1);
    expect(longestName('{ a(b: 123e45, c: 0xdeadbeef) }').length).toBe(1);
    expect(longestName(`query($${'v'.repeat(40)}: Int) { m }`).length).toBe(40);
  });
});

describe('a request that echoes 2,000,000 characters', () => {
  let app: FastifyInstance;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    // a GraphQL document of 2 MB, over GRAPHQL_MAX_DOCUMENT_BYTES' 1 MiB (refused before the name scan: graphql-document-size.test.ts)
    app = await buildApp({ config: loadConfig({ WORKERS: '1', GRAPHQL_MAX_DOCUMENT_BYTES: String(4 * 2 ** 20) }), logger: pino({ level: 'info' }, sink) });
    await app.ready();
  });
  afterAll(async () => app?.close());

  const longestLogLine = () => Math.max(...lines.map((l) => l.length));

  it('POST /v1/analyze { model }: 404 UNKNOWN_MODEL at $.model naming the length, not the name (checkModel refuses a name over 256 characters at once)', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/analyze', payload: { model: LONG } });
    expect(res.statusCode).toBe(404);
    const { error } = res.json();
    expect(error).toMatchObject({ code: 'UNKNOWN_MODEL', path: '$.model' });
    expect(error.message).toMatch(/^no built-in model has a name of 2000000 characters \(more than 256\); available: .*resnet18/);
    expect(res.body.length).toBeLessThan(2_000);
  });

  it('POST /v1/analyze with a field named by 2,000,000 characters: 400 INVALID_OPTION, its message and path bounded (head and tail kept: the known fields after the name), the log line too', async () => {
    lines.length = 0;
    const res = await app.inject({ method: 'POST', url: '/v1/analyze', payload: { model: 'resnet18', [LONG]: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.body.length).toBeLessThan(3 * MAX_ERROR_STRING);
    const { error } = res.json();
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message.startsWith("unknown field 'xxxx")).toBe(true);
    expect(error.message).toMatch(/…\[\d+ characters left out\]…/);
    expect(error.message).toMatch(/; known: spec, model, resolution, options$/);
    // `$.` and the name: 2,000,002 characters, its first 12,288 and last 2,048 kept
    expect(error.path).toMatch(/^\$\.x{12286}…\[1985666 characters left out\]…x{2048}$/);
    expect(longestLogLine()).toBeLessThan(3 * MAX_ERROR_STRING);
  });

  it('POST /v1/jobs { kind: analyze, model }: 404 UNKNOWN_MODEL, bounded', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'analyze', model: LONG } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'UNKNOWN_MODEL', path: '$.model' });
    expect(res.body.length).toBeLessThan(3 * MAX_ERROR_STRING);
  });

  it('GraphQL analyze(model: $m): the field error UNKNOWN_MODEL, bounded', async () => {
    const res = await app.inject({ method: 'POST', url: '/graphql', payload: { query: 'query($m: String) { analyze(model: $m) { name } }', variables: { m: LONG } } });
    expect(res.statusCode).toBe(200);
    expect(res.json().errors[0].extensions).toMatchObject({ code: 'UNKNOWN_MODEL' });
    expect(res.body.length).toBeLessThan(3 * MAX_ERROR_STRING);
  });

  it('GraphQL: a variable of type Int given the string: GRAPHQL_INVALID at $.variables.n, graphql-js\'s message bounded', async () => {
    const res = await app.inject({ method: 'POST', url: '/graphql', headers: { accept: 'application/graphql-response+json' }, payload: { query: 'query($n: Int) { analyze(model: "resnet18", resolution: $n) { name } }', variables: { n: LONG } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].extensions).toMatchObject({ code: 'GRAPHQL_INVALID', path: '$.variables.n' });
    expect(res.body.length).toBeLessThan(3 * MAX_ERROR_STRING);
  });

  it(`GraphQL: a field name of 2,000,000 characters is QUERY_TOO_COMPLEX at $.query before it is parsed (limit ${MAX_NAME_LENGTH}); one of ${MAX_NAME_LENGTH} is graphql-js's unknown field`, async () => {
    lines.length = 0;
    const res = await app.inject({ method: 'POST', url: '/graphql', headers: { accept: 'application/graphql-response+json' }, payload: { query: `{ ${LONG} }` } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', path: '$.query', limit: MAX_NAME_LENGTH, length: LONG.length });
    expect(res.body.length).toBeLessThan(1000);
    expect(longestLogLine()).toBeLessThan(1000);
    const at = await app.inject({ method: 'POST', url: '/graphql', headers: { accept: 'application/graphql-response+json' }, payload: { query: `{ ${'m'.repeat(MAX_NAME_LENGTH)} }` } });
    expect(at.statusCode).toBe(400);
    expect(at.json().errors[0]).toMatchObject({ message: expect.stringMatching(/^Cannot query field "m{1024}" on type "Query"/), extensions: { code: 'GRAPHQL_INVALID' } });
  });
});
