/**
 * An error about a layer of a spec points at the field the client sent: `$.spec.layers[0]…` when
 * the spec is the body's `spec` (the routes answered `$.layers[0]…`, as if the spec were the
 * body), `$.models[1].spec…` in a batch job, `$.layers[0]…` when the spec is the whole body; and a
 * compare side's ONNX error at `$.old.onnxBase64` (it was `$.old.old.onnxBase64`).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../jobs/helpers.js';
import { testApp } from './app.js';

/** Its one layer reads a tensor nothing writes: UNKNOWN_INPUT at layers[0].inputs[0]. */
const dangling = { inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'a', op: 'relu', inputs: ['nope'] }] };
/** groups 3 does not divide 4 channels: INVALID_ATTRIBUTE at layers[0].groups, found by inference. */
const badGroups = { inputs: [{ name: 'x', shape: [1, 4, 4, 4] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 6, kernelSize: 1, groups: 3 }] };
const x = { shape: [1, 1, 4, 4], data: new Array(16).fill(1) };

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const post = (url: string, body: unknown) => request(app.server).post(url).send(body as object);

describe('spec errors at the request\'s own paths', () => {
  it('POST /v1/analyze: a bare spec body at $.layers[0].inputs[0]; { spec } at $.spec.layers[0].inputs[0]; inference\'s errors too ($.spec.layers[0].groups)', async () => {
    expect((await post('/v1/analyze', dangling).expect(400)).body.error).toMatchObject({ code: 'UNKNOWN_INPUT', path: '$.layers[0].inputs[0]' });
    expect((await post('/v1/analyze', { spec: dangling }).expect(400)).body.error).toMatchObject({ code: 'UNKNOWN_INPUT', path: '$.spec.layers[0].inputs[0]' });
    expect((await post('/v1/analyze', { spec: badGroups }).expect(400)).body.error).toMatchObject({ code: 'INVALID_ATTRIBUTE', path: '$.spec.layers[0].groups', layer: 'c' });
  });

  it('POST /v1/run, /v1/sweep and /v1/erf: $.spec.layers[0].inputs[0]', async () => {
    expect((await post('/v1/run', { spec: dangling, inputs: { x } }).expect(400)).body.error).toMatchObject({ code: 'UNKNOWN_INPUT', path: '$.spec.layers[0].inputs[0]' });
    expect((await post('/v1/sweep', { spec: dangling, sizes: [8] }).expect(400)).body.error).toMatchObject({ code: 'UNKNOWN_INPUT', path: '$.spec.layers[0].inputs[0]' });
    expect((await post('/v1/erf', { spec: dangling }).expect(400)).body.error).toMatchObject({ code: 'UNKNOWN_INPUT', path: '$.spec.layers[0].inputs[0]' });
  });

  it('POST /v1/compare: $.old.spec.layers[0].inputs[0]; an ONNX side that does not parse at $.old.onnxBase64', async () => {
    expect((await post('/v1/compare', { old: { spec: dangling }, new: 'resnet18' }).expect(400)).body.error).toMatchObject({ code: 'UNKNOWN_INPUT', path: '$.old.spec.layers[0].inputs[0]' });
    expect((await post('/v1/compare', { old: { onnxBase64: 'AAAA' }, new: 'resnet18' }).expect(400)).body.error).toMatchObject({ code: 'ONNX_INVALID', path: '$.old.onnxBase64' });
  });

  it('jobs: an analyze job fails at $.spec.layers[0].inputs[0]; a batch\'s second model at $.models[1].spec.layers[0].inputs[0]', async () => {
    const job = await post('/v1/jobs', { kind: 'analyze', spec: dangling }).expect(202);
    expect((await waitFor(app, job.body.id)).error).toMatchObject({ code: 'UNKNOWN_INPUT', path: '$.spec.layers[0].inputs[0]' });
    const batch = await post('/v1/jobs', { kind: 'batch', models: ['resnet18', { spec: dangling }] }).expect(202);
    const done = await waitFor(app, batch.body.id);
    const lines = (await request(app.server).get(`/v1/jobs/${batch.body.id}/results`).expect(200)).text.trim().split('\n').map((l) => JSON.parse(l));
    expect(done.status).toBe('done');
    expect(lines[1].error).toMatchObject({ code: 'UNKNOWN_INPUT', path: '$.models[1].spec.layers[0].inputs[0]' });
  });
});
