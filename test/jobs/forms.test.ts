/**
 * POST /v1/jobs as a multipart form, as the synchronous routes take files: the ONNX file as a file
 * part (analyze: `model`; a batch's model i: `models[i]`; run: POST /v1/run's parts), the JSON in the
 * `request` field. Found by a hunt: the jobs API took JSON only, an ONNX file as onnxBase64 (4/3 of
 * its bytes) under JSON_BODY_LIMIT, so convnext_tiny's 114 MB export was 413 as a job and 200 from
 * POST /v1/analyze (BODY_LIMIT). Here JSON_BODY_LIMIT is 100,000 bytes and shufflenet_v2_x1_0's
 * export 165,932: the same shape at a small scale. Parameter counts are torch's (fixtures/onnx/truth.json).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { testApp } from '../http/app.js';
import { waitFor } from './helpers.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/onnx/${name}`, import.meta.url));
const truth = JSON.parse(fixture('truth.json').toString()) as { models: Record<string, { params: number; bytes: number }> };
const shufflenet = fixture('shufflenet_v2_x1_0.onnx');
const resnet18 = fixture('resnet18.onnx');
const mobilenet = fixture('mobilenet_v2.onnx');
/** The exports' dynamic height and width, at the resolution torch counted them. */
const SHAPES = { '': [1, 3, 224, 224] };
const reluOnnx = Buffer.from(onnxModel({ inputs: [{ name: 'x', shape: [1, 2] }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] }));

describe('POST /v1/jobs as a multipart form (JSON_BODY_LIMIT 100,000 bytes)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp({ JSON_BODY_LIMIT: '100000', BODY_LIMIT: '1000000' });
  });
  afterAll(async () => app.close());
  const post = () => request(app.server).post('/v1/jobs');

  it('shufflenet_v2_x1_0 (165,932 bytes): as onnxBase64 413 JSON_BODY_LIMIT; as the file part model 202, then done with the report POST /v1/analyze answers for the same form (2,278,604 params)', async () => {
    expect(shufflenet.length).toBe(truth.models.shufflenet_v2_x1_0.bytes);
    const json = await post().send({ kind: 'analyze', onnxBase64: shufflenet.toString('base64'), inputShapes: SHAPES });
    expect([json.status, json.body.error.code, json.body.error.message]).toEqual([413, 'PAYLOAD_TOO_LARGE', 'the body is larger than the 100000-byte limit (JSON_BODY_LIMIT)']);
    const res = await post().field('request', JSON.stringify({ kind: 'analyze', inputShapes: SHAPES, options: { memory: true } })).attach('model', shufflenet, 'shufflenet_v2_x1_0.onnx');
    expect(res.status, res.text).toBe(202);
    expect(res.headers.location).toBe(`/v1/jobs/${res.body.id}`);
    const job = await waitFor(app, res.body.id);
    expect(job.status).toBe('done');
    expect(job.result.totals.params).toBe(truth.models.shufflenet_v2_x1_0.params);
    const sync = await request(app.server).post('/v1/analyze?memory=true&input=1,3,224,224').attach('model', shufflenet, 'shufflenet_v2_x1_0.onnx').expect(200);
    expect(job.result).toEqual(sync.body);
  });

  it('a PyTorch export (graph torch_jit) is named by its filename, as POST /v1/analyze names it: resnet18 (11,689,512 params)', async () => {
    const res = await post().field('request', JSON.stringify({ kind: 'analyze', inputShapes: SHAPES })).attach('model', resnet18, 'nets/resnet18.onnx').expect(202);
    const job = await waitFor(app, res.body.id);
    expect([job.result.name, job.result.totals.params]).toEqual(['resnet18', truth.models.resnet18.params]);
  });

  it('a batch: models[0] and models[2] as file parts beside a zoo name; lines in model order, named by filename or by name (11,689,512, 3,504,872 and 3,504,872 params)', async () => {
    const res = await post()
      .field('request', JSON.stringify({ kind: 'batch', models: [{ inputShapes: SHAPES }, 'mobilenet_v2', { name: 'mnv2-export', inputShapes: SHAPES }] }))
      .attach('models[0]', resnet18, 'resnet18.onnx')
      .attach('models[2]', mobilenet, 'mobilenet_v2.onnx')
      .expect(202);
    expect(res.body.progress).toEqual({ done: 0, total: 3 });
    const results = await request(app.server).get(`/v1/jobs/${res.body.id}/results`).expect(200);
    const lines = results.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.index, l.name, l.report?.totals.params ?? l.error])).toEqual([
      [0, 'resnet18.onnx', truth.models.resnet18.params],
      [1, 'mobilenet_v2', truth.models.mobilenet_v2.params],
      [2, 'mnv2-export', truth.models.mobilenet_v2.params],
    ]);
    expect((await waitFor(app, res.body.id)).result).toEqual({ models: 3, reports: 3, errors: 0 });
  });

  it('a run: the ONNX file as model and the input as an .npy part, as POST /v1/run takes them: relu of [-1, 2] is [0, 2], the answer /v1/run gives', async () => {
    const npy = encodeNpy(tensor([1, 2], [-1, 2]));
    const res = await post().field('request', JSON.stringify({ kind: 'run', format: 'base64' })).attach('model', reluOnnx, 'relu.onnx').attach('x', npy, 'x.npy').expect(202);
    const job = await waitFor(app, res.body.id);
    expect(job.status, JSON.stringify(job.error)).toBe('done');
    const sync = await request(app.server).post('/v1/run').field('request', JSON.stringify({ format: 'base64' })).attach('model', reluOnnx, 'relu.onnx').attach('x', npy, 'x.npy').expect(200);
    expect(job.result).toEqual(sync.body);
    expect(job.result.outputs[0]).toMatchObject({ name: 'y', shape: [1, 2], stats: { min: 0, max: 2, mean: 1 } });
  });

  it.each([
    ['a part analyze does not read: 400 INVALID_OPTION at it', { kind: 'analyze' }, [['model', resnet18], ['weights', resnet18]], 400, 'INVALID_OPTION', 'weights', "file part 'weights' not read: an analyze job reads one file part, 'model' (the ONNX file)"],
    ['the file and onnxBase64: 400 SPEC_INVALID', { kind: 'analyze', onnxBase64: 'AAAA' }, [['model', resnet18]], 400, 'SPEC_INVALID', '$.onnxBase64', "give one network, not an ONNX file part 'model' and onnxBase64"],
    ['the file and a zoo model: 400 SPEC_INVALID', { kind: 'analyze', model: 'resnet18' }, [['model', resnet18]], 400, 'SPEC_INVALID', 'model', "give one network, not model and an ONNX file part 'model'"],
    ['a batch part past its models: 400 INVALID_OPTION at it', { kind: 'batch', models: [{}] }, [['models[0]', resnet18], ['models[1]', resnet18]], 400, 'INVALID_OPTION', 'models[1]', "file part 'models[1]' not read: a batch reads the file parts models[0] to models[0], each the ONNX file of that model in models"],
    ['a batch part beside a zoo name: 400 SPEC_INVALID', { kind: 'batch', models: ['resnet18'] }, [['models[0]', resnet18]], 400, 'SPEC_INVALID', '$.models[0]', "give one network for $.models[0]: the file part 'models[0]' or $.models[0] in the request, not both (with the file, $.models[0] is an object that may give name and inputShapes)"],
    ['a file part over BODY_LIMIT: 413 naming it', { kind: 'analyze' }, [['model', Buffer.alloc(1_000_001, 1)]], 413, 'PAYLOAD_TOO_LARGE', 'body', "file part 'model' is larger than the 1000000-byte limit (BODY_LIMIT)"],
  ] as const)('%s', async (_, req, parts, status, code, path, message) => {
    let r = post().field('request', JSON.stringify(req));
    for (const [name, bytes] of parts) r = r.attach(name, bytes, 'f.onnx');
    const res = await r;
    expect([res.status, res.body.error?.code, res.body.error?.path, res.body.error?.message]).toEqual([status, code, path, message]);
  });

  it('an ONNX body (application/octet-stream) is still 415, naming the form', async () => {
    const res = await post().set('content-type', 'application/octet-stream').send(resnet18).expect(415);
    expect(res.body.error.message).toContain('or a multipart form: the ONNX file as the file part "model"');
  });
});

describe('the in-process store bounds a form as it bounds JSON (JOB_STORE_MAX_BYTES 100,000)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp({ JOB_STORE_MAX_BYTES: '100000' });
  });
  afterAll(async () => app.close());

  it('shufflenet_v2_x1_0 (165,932 bytes) could never fit in the store: 413 PAYLOAD_TOO_LARGE naming JOB_STORE_MAX_BYTES, not a 503 "retry later"; resnet18 (22,792) is taken', async () => {
    const res = await request(app.server).post('/v1/jobs').field('request', JSON.stringify({ kind: 'analyze' })).attach('model', shufflenet, 'shufflenet_v2_x1_0.onnx');
    expect([res.status, res.body.error.code, res.body.error.limit]).toEqual([413, 'PAYLOAD_TOO_LARGE', 100000]);
    expect(res.body.error.message).toMatch(/^this job's inputs \(its ONNX files and tensors\) hold 165932 bytes, more than the whole in-process job store \(JOB_STORE_MAX_BYTES, 100000 bytes\)/);
    await request(app.server).post('/v1/jobs').field('request', JSON.stringify({ kind: 'analyze' })).attach('model', resnet18, 'resnet18.onnx').expect(202);
  });
});
