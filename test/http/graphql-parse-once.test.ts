/**
 * One GraphQL request's document is parsed once on the event loop by convlens's checks (the
 * operation check, graphql/get.ts, and the preParsing check of graphql.ts read the same parse),
 * besides mercurius's own parse (its hook is given only the text). Each check parsed it anew: a
 * POST's document was parsed twice by them, a document of 10,000 tokens and 64 KiB literals each
 * time. graphql's ES build (what src/ imports) is counted here; mercurius require()s the CommonJS one.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const parses = vi.hoisted(() => ({ n: 0 }));
vi.mock('graphql', async (importOriginal) => {
  const graphql = await importOriginal<typeof import('graphql')>();
  return {
    ...graphql,
    parse: (...args: Parameters<typeof graphql.parse>) => {
      parses.n++;
      return graphql.parse(...args);
    },
  };
});

const { buildApp } = await import('../../src/app.js');
const { loadConfig } = await import('../../src/config.js');
const { inlinePool } = await import('../jobs/helpers.js');
const { prepareGraphql } = await import('../../src/http/graphql/prepare.js');

describe("a GraphQL request's document is parsed once by the checks", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp({ config: loadConfig({ WORKERS: '1' }), pool: inlinePool(1) });
    await app.ready();
  });
  afterAll(async () => app.close());

  it('POST { models { name } }: answered (resnet18 listed), one parse; a syntax error: the same error, one parse', async () => {
    parses.n = 0;
    const ok = await app.inject({ method: 'POST', url: '/graphql', payload: { query: 'query Q { models { name } }' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().data.models.map((m: { name: string }) => m.name)).toContain('resnet18');
    expect(parses.n).toBe(1);
    parses.n = 0;
    const bad = await app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ models { name }' } });
    expect(bad.json().errors[0].message).toBe('Syntax Error: Expected Name, found <EOF>.');
    expect(parses.n).toBe(1);
  });

  it('GET ?query={ models { name } }: answered, one parse (getInvalid, getRefusal and the preParsing check)', async () => {
    parses.n = 0;
    const res = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent('{ models { name } }')}` });
    expect(res.statusCode).toBe(200);
    expect(parses.n).toBe(1);
  });

  it('a document over GRAPHQL_MAX_TOKENS (10,000): QUERY_TOO_COMPLEX as before, one parse', async () => {
    parses.n = 0;
    const query = `{ models { ${Array(10_001).fill('name').join(' ')} } }`;
    const res = await app.inject({ method: 'POST', url: '/graphql', payload: { query } });
    expect(res.json().errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 10_000 });
    expect(parses.n).toBe(1);
  });

  // body.ts's name maps parsed the document for themselves: two parses of a request with a tensor named __proto__
  const PROTO = '{"query":"query($s: JSON, $i: JSON!) { run(spec: $s, inputs: $i) { outputs { name tensor { data } } } }","variables":{"s":{"inputs":[{"name":"__proto__","shape":[1,1,1,2]}],"layers":[{"name":"r","op":"relu"}]},"i":{"__proto__":{"shape":[1,1,1,2],"data":[-1,2]}}}}';

  it('a tensor named __proto__ (the name maps checked): relu of [−1, 2] is [0, 2], one parse', async () => {
    parses.n = 0;
    const res = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: PROTO });
    expect(res.json()).toEqual({ data: { run: { outputs: [{ name: 'r', tensor: { data: [0, 2] } }] } } });
    expect(parses.n).toBe(1);
  });

  it("a large body's worker (graphql/prepare.ts) with a tensor named __proto__: its run prepared, one parse", () => {
    parses.n = 0;
    // another text than the last test's (the event loop's parse of that one is still at hand)
    const answer = prepareGraphql(Buffer.from(PROTO.replace('{ outputs', '{  outputs')), 10_000, 1000);
    expect([...(answer.prepared!.fields.run as { value: { inputs: Record<string, { data: Float32Array }> } }).value.inputs['__proto__']!.data]).toEqual([-1, 2]);
    expect(parses.n).toBe(1);
  });
});
