/**
 * Answers' tensors go back once sent (http/tensors.ts releaseWhenSent, runtime/memory.ts
 * releaseBuffers): the main thread detaches a worker's output after the response's last byte is
 * with the kernel, so it never waits for a full collection. Released early, the bytes on the wire
 * would be wrong: each case checks the answer's values against ones worked here, on answers of
 * 1 MiB or more (smaller buffers are left to the collector).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';
import { waitFor } from '../jobs/helpers.js';
import { binary, testApp } from './app.js';

const released = vi.hoisted(() => ({ bytes: [] as number[] }));
vi.mock('../../src/runtime/memory.js', async (original) => {
  const real = await original<typeof import('../../src/runtime/memory.js')>();
  return {
    ...real,
    releaseBuffers: (buffers: Iterable<ArrayBufferLike>) => {
      const bytes = real.releaseBuffers(buffers);
      released.bytes.push(bytes);
      return bytes;
    },
  };
});

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ MAX_TENSOR_ELEMENTS: String(1 << 22) });
});
afterAll(async () => app.close());
beforeEach(() => {
  released.bytes.length = 0;
});

// 1×4×256×256 float32: 1 MiB, values −1.5, −0.5, 0.5, 1.5 … in turn (exact in float32)
const SHAPE = [1, 4, 256, 256];
const N = 4 * 256 * 256;
const x = Float32Array.from({ length: N }, (_, i) => (i % 4) - 1.5);
const relu = (v: number) => Math.max(0, v);
const decode64 = (b64: string) => new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer);
const twoRelus = { name: 'r', inputs: [{ name: 'x', shape: SHAPE }], layers: [{ name: 'act', op: 'relu' }, { name: 'out', op: 'relu' }] };
const expectRelu = (data: Float32Array) => {
  expect(data.length).toBe(N);
  let wrong = 0;
  for (let i = 0; i < N; i++) if (data[i] !== relu(x[i])) wrong++;
  expect(wrong).toBe(0);
};

describe('an answer of 1 MiB: sent whole, then released', () => {
  it('POST /v1/operators/relu, a .npy body and a .npy answer (streamed from the output\'s own bytes)', async () => {
    const res = await request(app.server).post('/v1/operators/relu').set('content-type', 'application/x-npy').send(encodeNpy(tensor(SHAPE, x))).buffer(true).parse(binary).expect(200);
    expectRelu(decodeNpy(res.body, 'y', N).data);
    await vi.waitFor(() => expect(released.bytes).toEqual([4 * N]));
  });

  it('POST /v1/operators/relu, base64 in JSON both ways (encoded as the answer is written)', async () => {
    const b64 = Buffer.from(x.buffer).toString('base64');
    const res = await request(app.server).post('/v1/operators/relu').send({ inputs: [{ shape: SHAPE, dtype: 'float32', base64: b64 }] }).expect(200);
    expectRelu(new Float32Array(new Uint8Array(Buffer.from(res.body.outputs[0].base64, 'base64')).buffer));
    await vi.waitFor(() => expect(released.bytes).toEqual([4 * N]));
  });

  it('POST /v1/run, relu then relu with the first captured: the output and the capture (two buffers) released together', async () => {
    const res = await request(app.server)
      .post('/v1/run')
      .send({ spec: twoRelus, inputs: { shape: SHAPE, dtype: 'float32', base64: Buffer.from(x.buffer).toString('base64') }, capture: ['act'], format: 'base64' })
      .expect(200);
    expectRelu(decode64(res.body.outputs[0].base64));
    expectRelu(decode64(res.body.captured[0].base64));
    await vi.waitFor(() => expect(released.bytes).toEqual([8 * N]));
  });

  it('GraphQL run with two aliased runOperator fields besides: every result released once the one response is sent', async () => {
    const input = { shape: SHAPE, dtype: 'float32', base64: Buffer.from(x.buffer).toString('base64') };
    const res = await request(app.server)
      .post('/graphql')
      .send({
        query: 'query($x: JSON!) { a: runOperator(name: "relu", inputs: [$x]) { outputs { tensor { base64 } } } b: runOperator(name: "relu", inputs: [$x]) { outputs { tensor { base64 } } } }',
        variables: { x: input },
      })
      .expect(200);
    expectRelu(decode64(res.body.data.a.outputs[0].tensor.base64));
    expectRelu(decode64(res.body.data.b.outputs[0].tensor.base64));
    await vi.waitFor(() => expect(released.bytes).toEqual([8 * N]));
    released.bytes.length = 0;
    const run = await request(app.server)
      .post('/graphql')
      .send({ query: 'query($spec: JSON!, $x: JSON!) { run(spec: $spec, inputs: $x) { outputs { tensor { base64 } } } }', variables: { spec: twoRelus, x: input } })
      .expect(200);
    expectRelu(decode64(run.body.data.run.outputs[0].tensor.base64));
    await vi.waitFor(() => expect(released.bytes).toEqual([4 * N]));
  });

  it('POST /v1/erf as .npy: a 1×1×512×512 gradient through two all-ones 3×3 convs, (1,2,3,2,1)ᵀ(1,2,3,2,1) around the centre, then released', async () => {
    const ones = { shape: [1, 1, 3, 3], data: new Array(9).fill(1) };
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 512, 512] }], layers: [{ name: 'a', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false }, { name: 'b', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false }] };
    const res = await request(app.server)
      .post('/v1/erf')
      .send({ spec, weights: { 'a.weight': ones, 'b.weight': ones }, input: 'random', samples: 1, format: 'npy' })
      .buffer(true)
      .parse(binary)
      .expect(200);
    const g = decodeNpy(res.body, 'gradient', 512 * 512).data;
    // linear: the gradient is the same at any input (here one seeded random one); the output is
    // 508×508, its centre unit (254, 254) reads input rows and columns 254…258
    const v = [1, 2, 3, 2, 1];
    let wrong = 0;
    for (let r = 0; r < 512; r++) for (let c = 0; c < 512; c++) {
      const inside = r >= 254 && r <= 258 && c >= 254 && c <= 258;
      if (g[r * 512 + c] !== (inside ? v[r - 254] * v[c - 254] : 0)) wrong++;
    }
    expect(wrong).toBe(0);
    await vi.waitFor(() => expect(released.bytes).toEqual([4 * 512 * 512]));
  });

  it('a run job (POST /v1/jobs): the result right, its tensors never on the main thread (run and encoded in one worker task since 705be54: nothing to release here)', async () => {
    const submitted = await app.inject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'run', spec: twoRelus, inputs: { shape: SHAPE, dtype: 'float32', base64: Buffer.from(x.buffer).toString('base64') }, format: 'base64' } });
    expect(submitted.statusCode).toBe(202);
    const job = await waitFor(app, submitted.json().id);
    expect(job.status).toBe('done');
    expectRelu(decode64(job.result.outputs[0].base64));
    expect(released.bytes).toEqual([]);
  });

  it('GraphQL runOperator: base64 selected, released after the response', async () => {
    const res = await request(app.server)
      .post('/graphql')
      .send({ query: 'query($x: JSON!) { runOperator(name: "relu", inputs: [$x]) { outputs { tensor { shape base64 } } } }', variables: { x: { shape: SHAPE, dtype: 'float32', base64: Buffer.from(x.buffer).toString('base64') } } })
      .expect(200);
    const out = res.body.data.runOperator.outputs[0].tensor;
    expect(out.shape).toEqual(SHAPE);
    expectRelu(new Float32Array(new Uint8Array(Buffer.from(out.base64, 'base64')).buffer));
    await vi.waitFor(() => expect(released.bytes).toEqual([4 * N]));
  });

  it('a small answer (16 values) is left to the collector: nothing released', async () => {
    const res = await request(app.server).post('/v1/operators/relu').send({ inputs: [{ shape: [16], data: Array.from({ length: 16 }, (_, i) => i - 8) }] }).expect(200);
    expect(res.body.outputs[0].data[0]).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(released.bytes).toEqual([0]);
  });
});
