/**
 * A GraphQL answer's budget (http/graphql/answer-budget.ts): the tensors' data and base64 and the
 * jobs' results one operation selects, charged before anything is encoded. With MAX_RESPONSE_BYTES
 * 4,096: relu of 256 values as JSON is bounded by 256·25 + 255 + 2 = 6,657 bytes (refused), as
 * base64 by 4·⌈1,024/3⌉ + 2 = 1,370 (two fit, 2,740; a third would make 4,110).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';
import { waitFor } from '../jobs/helpers.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ MAX_RESPONSE_BYTES: '4096', WORKERS: '1' });
});
afterAll(async () => app.close());

const gql = (query: string, variables: Record<string, unknown> = {}) => request(app.server).post('/graphql').send({ query, variables });
const x = { shape: [1, 1, 16, 16], data: Array.from({ length: 256 }, (_, i) => i - 128) };
const relu = (alias: string, field: string) => `${alias}: runOperator(name: "relu", inputs: [$x]) { outputs { tensor { ${field} stats { max } } } }`;

describe('GraphQL answers carry at most MAX_RESPONSE_BYTES of tensor data', () => {
  it('data of 256 values (bound 6,657 bytes) over 4,096: RESPONSE_TOO_LARGE for the call, refused before its kernel runs (the field null: no stats without the run), the other fields of the answer intact', async () => {
    const res = await gql(`query($x: JSON!) { ${relu('a', 'data')} ${relu('b', 'base64')} }`, { x }).expect(200);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 4096, estimate: 6657, shapes: { y: [1, 1, 16, 16] } });
    expect(res.body.errors[0].message).toMatch(/^the data as JSON of output 'y' \(a 1×1×16×16 tensor\) could take 6657 bytes, over the 4096-byte limit of a GraphQL answer, which is built whole in memory; refused before running/);
    expect(res.body.errors[0].path).toEqual(['a']);
    expect(res.body.data.a).toBeNull();
    expect(res.body.data.b.outputs[0].tensor.stats.max).toBe(127);
  });

  it('base64 (1,370 bytes each): two aliases fit, the third (4,110 in all) is refused', async () => {
    const two = await gql(`query($x: JSON!) { ${relu('a', 'base64')} ${relu('b', 'base64')} }`, { x }).expect(200);
    expect(two.body.errors).toBeUndefined();
    expect(two.body.data.b.outputs[0].tensor.stats.max).toBe(127);
    const three = await gql(`query($x: JSON!) { ${relu('a', 'base64')} ${relu('b', 'base64')} ${relu('c', 'base64')} }`, { x }).expect(200);
    expect(three.body.errors).toHaveLength(1);
    expect(three.body.errors[0].extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', estimate: 4110 });
    expect(three.body.errors[0].message).toContain('(after 2740 for the fields before it)');
  });

  it("a job's result is charged before it is parsed: job(id) { result } of a 2,048-value run (over 4,096 bytes of JSON) is refused, job(id) { status } answers", async () => {
    const spec = { name: 'r', inputs: [{ name: 'x', shape: [1, 1, 32, 64] }], layers: [{ name: 'act', op: 'relu' }] };
    const big = { shape: [1, 1, 32, 64], data: Array.from({ length: 2048 }, (_, i) => i) };
    const submitted = await request(app.server).post('/v1/jobs').send({ kind: 'run', spec, inputs: { x: big } }).expect(202);
    const id = submitted.body.id as string;
    expect((await waitFor(app, id)).status).toBe('done');
    const status = await gql('query($id: ID!) { job(id: $id) { status } }', { id }).expect(200);
    expect(status.body).toEqual({ data: { job: { status: 'done' } } });
    const result = await gql('query($id: ID!) { job(id: $id) { status result } }', { id }).expect(200);
    expect(result.body.errors[0].extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 4096 });
    expect(result.body.errors[0].message).toMatch(/^a job's result could take \d+ bytes, over the 4096-byte limit/);
  });
});
