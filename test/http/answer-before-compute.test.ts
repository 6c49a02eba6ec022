/**
 * An answer over MAX_RESPONSE_BYTES is refused before the work (runtime/answer-bound.ts): the
 * outputs' and captures' shapes are inferred before any kernel runs, and bounded as the encoder
 * bounds them (http/stream.ts, tensors.ts sendNpy), so the two agree to the byte. Upsample
 * [1, 1, 8, 8] by 8 is y [1, 1, 64, 64]: 109,074 bytes as nested JSON (2,049 for the rest of the
 * answer, 384 + 12 + 106,629 for y), 24,295 as base64, 16,512 as .npy. Nothing here is timed, so
 * the file runs beside others; a run refused before its first layer, timed against the run, is
 * test/http/answer-before-compute-run.test.ts (alone).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { isSharedApp, sharedApp, testApp } from './app.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  if (app && !isSharedApp(app)) await app.close();
  app = undefined;
});
// the three cases at MAX_RESPONSE_BYTES 4,096 (nonZero, GraphQL runOperator, GraphQL run) read only
// their own answers: one app (one worker's boot) for the three
const limit4096 = sharedApp({ MAX_RESPONSE_BYTES: '4096', WORKERS: '1' });

const x = (w = 8) => ({ shape: [1, 1, 8, w], data: Array.from({ length: 8 * w }, (_, i) => i) });
const upsample = (format: string, w = 8) => request(app!.server).post('/v1/operators/upsample').send({ inputs: [x(w)], attributes: { scaleFactor: 8 }, format });

describe('POST /v1/operators/{name}: refused before the kernel, by the bound the answer is written by', () => {
  it('MAX_RESPONSE_BYTES 109,073, one byte under the JSON bound: 413 RESPONSE_TOO_LARGE at $.format naming y and its shape, refused before running; as base64 and .npy it answers', async () => {
    app = await testApp({ MAX_RESPONSE_BYTES: '109073', WORKERS: '1' });
    const res = await upsample('json').expect(413);
    expect(res.body.error).toMatchObject({ code: 'RESPONSE_TOO_LARGE', path: '$.format', limit: 109_073, estimate: 109_074, shapes: { y: [1, 1, 64, 64] } });
    expect(res.body.error.message).toMatch(/^the answer \('y' \[1, 1, 64, 64\]: 4096 values as json\) could take 109074 bytes, over the 109073-byte limit \(MAX_RESPONSE_BYTES\), refused before running; ask for format base64 or npy/);
    expect((await upsample('base64').expect(200)).body.outputs[0].shape).toEqual([1, 1, 64, 64]);
    const npy = await upsample('npy').expect(200);
    expect(npy.headers['content-type']).toBe('application/x-npy');
  });

  it('MAX_RESPONSE_BYTES 109,074, the JSON bound itself: answered (the encoder counts the same 109,074); a wider input ([1, 1, 64, 72]) is refused before running', async () => {
    app = await testApp({ MAX_RESPONSE_BYTES: '109074', WORKERS: '1' });
    const ok = await upsample('json').expect(200);
    expect(ok.body.outputs[0].shape).toEqual([1, 1, 64, 64]);
    const wide = await upsample('json', 9).expect(413);
    expect(wide.body.error.shapes).toEqual({ y: [1, 1, 64, 72] });
    expect(wide.body.error.message).toContain('refused before running');
  });

  it('.npy by its 16,512 bytes exactly: answered at 16,512 (the smallest limit is 1,024), refused before running at a larger output', async () => {
    app = await testApp({ MAX_RESPONSE_BYTES: '16512', WORKERS: '1' });
    await upsample('npy').expect(200);
    const res = await upsample('npy', 9).expect(413);
    expect(res.body.error).toMatchObject({ code: 'RESPONSE_TOO_LARGE', estimate: 128 + 64 * 72 * 4, shapes: { y: [1, 1, 64, 72] } });
    expect(res.body.error.message).toContain('4608 values as npy');
  });

  it('a size known only from the values (nonZero: its bound [2, 4096]) is checked when encoded, at its real size: 3 non-zero of 4,096 answer, 4,096 are refused', async () => {
    app = limit4096.get();
    const data = (n: number) => Array.from({ length: 4096 }, (_, i) => (i < n ? 1 : 0));
    const few = await request(app.server).post('/v1/operators/nonZero').send({ inputs: [{ shape: [1, 4096], data: data(3) }] }).expect(200);
    expect(few.body.outputs[0].shape).toEqual([2, 3]);
    const all = await request(app.server).post('/v1/operators/nonZero').send({ inputs: [{ shape: [1, 4096], data: data(4096) }] }).expect(413);
    expect(all.body.error.message).not.toContain('refused before running');
    expect(all.body.error.shapes).toEqual({ y: [2, 4096] });
  });
});

const gql = (query: string, variables: Record<string, unknown>) => request(app!.server).post('/graphql').send({ query, variables });

describe('GraphQL runOperator and run: the data and base64 selected, before the kernel', () => {
  const up = (alias: string, fields: string) => `${alias}: runOperator(name: "upsample", inputs: [$x], attributes: { scaleFactor: 4 }) { outputs { name tensor { ${fields} } } }`;
  const x16 = { shape: [1, 1, 4, 4], data: Array.from({ length: 16 }, (_, i) => i) };

  it('MAX_RESPONSE_BYTES 4,096: y [1, 1, 16, 16] as data (6,657 bytes) is refused before running (the field null); its base64 (1,370) and stats answer', async () => {
    app = limit4096.get();
    const res = await gql(`query($x: JSON!) { ${up('a', 'data')} ${up('b', 'base64')} ${up('c', 'stats { max }')} }`, { x: x16 }).expect(200);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].path).toEqual(['a']);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 4096, estimate: 6657, shapes: { y: [1, 1, 16, 16] } });
    expect(res.body.errors[0].message).toMatch(/^the data as JSON of output 'y' \(a 1×1×16×16 tensor\) could take 6657 bytes, over the 4096-byte limit of a GraphQL answer, which is built whole in memory; refused before running/);
    expect(res.body.data.a).toBeNull();
    expect(res.body.data.b.outputs[0].tensor.base64).toHaveLength(1368);
    expect(res.body.data.c.outputs[0].tensor.stats.max).toBe(15);
  });

  it('run: the output pool selected as data (25 + 2) and the capture up as base64 (4·⌈4,096/3⌉ + 2 = 5,466): 5,493 bytes, refused before the run, naming both', async () => {
    app = limit4096.get();
    const spec = { name: 'n', inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'up', op: 'upsample', scaleFactor: 8 }, { name: 'pool', op: 'adaptiveAvgPool2d', outputSize: 1 }] };
    const query = 'query($s: JSON, $i: JSON!) { run(spec: $s, inputs: $i, capture: ["up"]) { outputs { tensor { data } } captured { name tensor { base64 } } } }';
    const res = await gql(query, { s: spec, i: { x: x16 } }).expect(200);
    expect(res.body.data.run).toBeNull();
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', shapes: { pool: [1, 1, 1, 1], up: [1, 1, 32, 32] } });
    expect(res.body.errors[0].message).toMatch(/^the data as JSON of output 'pool' \(a 1×1×1×1 tensor\), the base64 of capture 'up' \(a 1×1×32×32 tensor\) could take 5493 bytes/);
  });
});
