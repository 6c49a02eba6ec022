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
});
