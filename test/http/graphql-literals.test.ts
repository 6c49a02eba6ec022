/**
 * A GraphQL document's long literals are refused before it is parsed (src/http/graphql/literals.ts):
 * graphql-js bounds tokens (GRAPHQL_MAX_TOKENS), not their length, and the document was parsed
 * three times a request (the operation check, the preParsing check, mercurius). Before (2026-12-05,
 * a loaded 2-vCPU VM, app.inject): `{ analyze(model: "<2,000,000 x>") … }` took 3.6 s, 2 MB of
 * \u escapes 0.62 s, a 2 MB block string 0.46 s, one of 500,000 short lines 2.0 s (a parse 0.53 s).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { MAX_LITERAL_LENGTH, longestLiteral } from '../../src/http/graphql/literals.js';
import { inlinePool } from '../jobs/helpers.js';
import { Lexer, Source, TokenKind } from 'graphql';

/** graphql-js's own longest string, block string or number token (its lexer: the reference). */
function lexedLongest(text: string): number {
  const lexer = new Lexer(new Source(text));
  let longest = 0;
  for (let t = lexer.advance(); t.kind !== TokenKind.EOF; t = lexer.advance()) {
    if (t.kind === TokenKind.STRING || t.kind === TokenKind.BLOCK_STRING || t.kind === TokenKind.INT || t.kind === TokenKind.FLOAT) longest = Math.max(longest, t.end - t.start);
  }
  return longest;
}

describe('longestLiteral', () => {
  it('measures strings with their quotes, block strings, and numbers; not names (digits in them), comments, punctuation', () => {
    expect(longestLiteral('{ models { name } }')).toEqual({ length: 0, at: -1 });
    // "abc" is 5 characters; 123456 is 6; the name a1234567 and the comment's 40 are not literals
    expect(longestLiteral('{ a1234567(x: "abc", y: 123456) } # ' + 'c'.repeat(40))).toEqual({ length: 6, at: 24 });
    expect(longestLiteral('{ f(x: -1.5e+10) }')).toEqual({ length: 8, at: 7 });
    // an escaped quote does not end a string; a block string's \""" does not end it
    expect(longestLiteral('{ f(x: "a\\"b") }').length).toBe(6);
    expect(longestLiteral('{ f(x: """a\\"""b""") }')).toEqual({ length: 12, at: 7 });
    // a string in a comment is not a literal; an unterminated string ends at its line
    expect(longestLiteral('# "' + 'q'.repeat(50) + '"\n{ f(x: "ab\n) }').length).toBe(3);
  });
});

describe('longestLiteral reads block strings as graphql-js lexes them', () => {
  const Q = '"""';
  it.each([
    // an escaped quote triple right after the opening one: a search for a """ not after a backslash ended at the quote after it (8)
    ['an escaped triple, a quote, then 1,000 lines', `{ a(s: ${Q}\\${Q}"${'x\n'.repeat(1000)}${Q}) }`],
    ['two escaped triples in a row', `{ a(s: ${Q}\\${Q}\\${Q}${Q}) }`],
    ['a backslash before an escaped triple', `{ a(s: ${Q}a\\\\${Q}b${Q}) }`],
    ['a block string then a longer string', `{ a(s: ${Q}xy${Q}, t: "${'z'.repeat(30)}") }`],
  ])('%s: the lexer’s length', (_name, text) => {
    expect(longestLiteral(text).length).toBe(lexedLongest(text));
  });
});

describe(`a GraphQL literal over ${MAX_LITERAL_LENGTH} characters`, () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    // documents of 2 MB, over GRAPHQL_MAX_DOCUMENT_BYTES' 1 MiB (refused before this scan: graphql-document-size.test.ts)
    app = await buildApp({ config: loadConfig({ WORKERS: '1', GRAPHQL_MAX_DOCUMENT_BYTES: String(4 * 2 ** 20) }), pool: inlinePool(1) });
    await app.ready();
  });
  afterAll(async () => app.close());
  const post = (query: string) => app.inject({ method: 'POST', url: '/graphql', headers: { accept: 'application/graphql-response+json', 'content-type': 'application/json' }, payload: JSON.stringify({ query }) });

  it.each([
    ['a string of 2,000,000 x', `"${'x'.repeat(2_000_000)}"`, 2_000_002],
    ['330,000 \\u0041 escapes', `"${'\\u0041'.repeat(330_000)}"`, 1_980_002],
    ['a block string of 500,000 lines', `"""${'  x\n'.repeat(500_000)}"""`, 2_000_006],
  ])('%s as analyze(model:): 400 QUERY_TOO_COMPLEX at $.query, before it is parsed', async (_, literal, length) => {
    const res = await post(`{ analyze(model: ${literal}) { totals { params } } }`);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', path: '$.query', limit: MAX_LITERAL_LENGTH, length });
    expect(res.json().errors[0].message).toMatch(/pass specs, tensors, ONNX files and other large values as variables$/);
    expect(res.body.length).toBeLessThan(1000);
  });

  it(`a string of ${MAX_LITERAL_LENGTH} characters, quotes included, is read: the model name's own 404 (over 256 characters)`, async () => {
    const res = await post(`{ analyze(model: "${'x'.repeat(MAX_LITERAL_LENGTH - 2)}") { totals { params } } }`);
    expect(res.statusCode).toBe(200);
    expect(res.json().errors[0].extensions.code).toBe('UNKNOWN_MODEL');
    // and over GET, refused before the GET checks parse it
    const get = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(`{ model(name: "${'y'.repeat(MAX_LITERAL_LENGTH)}") { name } }`)}`, headers: { accept: 'application/graphql-response+json' } });
    expect(get.statusCode).toBe(400);
    expect(get.json().errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: MAX_LITERAL_LENGTH, length: MAX_LITERAL_LENGTH + 2 });
  });
});
