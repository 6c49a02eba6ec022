/**
 * weightInit "file" on a network without a file (a spec, a built-in model) is INVALID_OPTION at
 * $.weightInit on every surface that takes it (POST /v1/run, POST /v1/erf, GraphQL run and
 * effectiveReceptiveField, a run job), as the CLI's `--weight-init file` is (cli/erf.ts). It was
 * answered 200 with seeded weights over REST and GraphQL while the CLI refused it.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const gql = (query: string, variables: Record<string, unknown>) => request(app.server).post('/graphql').set('accept', 'application/json').send({ query, variables });

const spec = { inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 3 }] };
const x = { shape: [1, 1, 4, 4], data: new Array(16).fill(1) };
const specNet = { spec };
const zooNet = { model: 'squeezenet1_1', resolution: 32 };
const refusal = (what: string) => ({ code: 'INVALID_OPTION', path: '$.weightInit', message: `weightInit "file" reads an ONNX file's weights; ${what} has none: its weights are seeded (weightInit "seed", with seed)` });

describe('weightInit "file" without an ONNX file', () => {
  it.each([
    ['a spec', specNet, { x }],
    ['a built-in model', zooNet, { input: { shape: [1, 3, 32, 32], data: new Array(3 * 32 * 32).fill(0.5) } }],
  ])('POST /v1/run and GraphQL run refuse it for %s, at $.weightInit', async (what, net, inputs) => {
    const rest = await request(app.server).post('/v1/run').send({ ...net, inputs, weightInit: 'file' }).expect(400);
    expect(rest.body.error).toMatchObject(refusal(what));
    const res = await gql('query($spec: JSON, $model: String, $r: Int, $inputs: JSON!) { run(spec: $spec, model: $model, resolution: $r, inputs: $inputs, weightInit: "file") { outputs { name } } }', {
      spec: 'spec' in net ? net.spec : null,
      model: 'model' in net ? net.model : null,
      r: 'resolution' in net ? net.resolution : null,
      inputs,
    }).expect(200);
    expect(res.body.data.run).toBeNull();
    expect(res.body.errors[0]).toMatchObject({ message: refusal(what).message, extensions: { code: 'INVALID_OPTION', path: '$.weightInit' } });
  });

  it('POST /v1/erf and GraphQL effectiveReceptiveField refuse it for a spec, at $.weightInit', async () => {
    const rest = await request(app.server).post('/v1/erf').send({ spec, samples: 1, weightInit: 'file' }).expect(400);
    expect(rest.body.error).toMatchObject(refusal('a spec'));
    const res = await gql('query($spec: JSON) { effectiveReceptiveField(spec: $spec, samples: 1, weightInit: "file") { layer } }', { spec }).expect(200);
    expect(res.body.data.effectiveReceptiveField).toBeNull();
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.weightInit' });
  });

  it('a run job is refused at submit, nothing queued', async () => {
    const res = await request(app.server).post('/v1/jobs').send({ kind: 'run', spec, inputs: { x }, weightInit: 'file' }).expect(400);
    expect(res.body.error).toMatchObject(refusal('a spec'));
  });

  it('"seed" on a spec, and leaving it out, still run', async () => {
    await request(app.server).post('/v1/run').send({ spec, inputs: { x }, weightInit: 'seed' }).expect(200);
    await request(app.server).post('/v1/run').send({ spec, inputs: { x } }).expect(200);
  });
});
