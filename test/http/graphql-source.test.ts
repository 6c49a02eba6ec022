/**
 * ReportSource as GraphQL answers it: an ONNX file's int64 version numbers (ir_version, the ai.onnx
 * opset) are SafeInt, as REST answers them; past 2^31 − 1 they failed GraphQL Int's serialisation.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ WORKERS: '1' });
});
afterAll(async () => app.close());

const gql = (query: string, variables: Record<string, unknown> = {}) => request(app.server).post('/graphql').send({ query, variables });

/** A protobuf varint. */
function varint(n: bigint): number[] {
  const out: number[] = [];
  do {
    const low = Number(n & 0x7fn);
    n >>= 7n;
    out.push(n ? low | 0x80 : low);
  } while (n);
  return out;
}

// Gemm Y = A·Bᵀ + C, A [3, 5] (torch 1.13's export, IR version 8): ModelProto's first field is ir_version (field 1, varint), `08 08`
const gemm = readFileSync(fileURLToPath(new URL('../fixtures/onnx/gemm/c_one_b1.onnx', import.meta.url)));

/** The fixture with its ir_version replaced by `v`. */
function withIrVersion(v: bigint): Buffer {
  expect([...gemm.subarray(0, 2)]).toEqual([0x08, 0x08]);
  return Buffer.concat([Buffer.from([0x08, ...varint(v)]), gemm.subarray(2)]);
}

// found by a hunt: ir_version 2^33 answered null with INTERNAL ("Int cannot represent non 32-bit signed integer value"); REST answered the number
describe('an ONNX ir_version past 32 bits (int64 in ONNX)', () => {
  const onnx = withIrVersion(2n ** 33n).toString('base64');

  it('REST answers it (the reference)', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/octet-stream').send(Buffer.from(onnx, 'base64')).expect(200);
    expect(res.body.source).toMatchObject({ format: 'onnx', irVersion: 2 ** 33, opset: 13 });
  });

  it('analyze { source { irVersion opset } } answers 8589934592, as REST', async () => {
    const res = await gql('query($f: String) { analyze(onnxBase64: $f) { source { format irVersion opset producer } } }', { f: onnx }).expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.analyze.source).toMatchObject({ format: 'onnx', irVersion: 2 ** 33, opset: 13 });
  });

  it('run { source } answers it too', async () => {
    const A = { shape: [3, 5], data: Array.from({ length: 15 }, (_, i) => i / 10) };
    const res = await gql('query($f: String, $in: JSON!) { run(onnxBase64: $f, inputs: $in) { source { irVersion opset } outputs { name } } }', { f: onnx, in: { A } }).expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.run.source).toEqual({ irVersion: 2 ** 33, opset: 13 });
  });

  it('past 2^53 − 1 (2^60: the double read is no longer exact) the field is null with SIZE_TOO_LARGE at $.ir_version, not INTERNAL; the rest of the source answers', async () => {
    const res = await gql('query($f: String) { analyze(onnxBase64: $f) { source { format irVersion opset } } }', { f: withIrVersion(2n ** 60n).toString('base64') }).expect(200);
    expect(res.body.data.analyze.source).toEqual({ format: 'onnx', irVersion: null, opset: 13 });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].path).toEqual(['analyze', 'source', 'irVersion']);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'SIZE_TOO_LARGE', path: '$.ir_version' });
    expect(res.body.errors[0].message).toContain('ir_version is past 2^53 − 1');
  });

  it('the schema types both SafeInt', async () => {
    const res = await gql('{ __type(name: "ReportSource") { fields { name type { name } } } }').expect(200);
    const types = Object.fromEntries(res.body.data.__type.fields.map((f: { name: string; type: { name: string } }) => [f.name, f.type.name]));
    expect(types).toMatchObject({ irVersion: 'SafeInt', opset: 'SafeInt' });
  });
});
