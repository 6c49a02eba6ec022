/**
 * A GraphQL request over OFFLOAD_JSON_BYTES (128 KiB) has its effectiveReceptiveField job and its
 * submitJob submission built in the worker that parses it (http/graphql/prepare.ts), with the real
 * piscina pool: the ERF job's tensors come back moved (Float32Arrays), a submission as the job the
 * in-process queue runs (prepared there, its tensors moved; it came back as JSON bytes that the
 * queue parsed and prepared in a worker again, a second parse of a 20 MB request), and their
 * variables as placeholders. Before, both were cloned back as the parsed body and read on the event loop: 4
 * clients posting 20 MB ERF or submitJob bodies held GET /healthz for seconds (p99; the figures are in
 * the commit). The answers, and the errors' codes, messages and paths, are those of a small body.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLOAD_JSON_BYTES } from '../../src/http/body.js';
import { appWithGraphqlAnswers } from './graphql-large-app.js';

/** Two bias-free all-ones 3×3 convs over a 7×7 input: the centre unit's input gradient counts the paths, (0,1,2,3,2,1,0)ᵀ(0,1,2,3,2,1,0). */
const spec = {
  inputs: [{ name: 'x', shape: [1, 1, 7, 7] }],
  layers: [
    { name: 'a', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
    { name: 'b', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
  ],
};
const ones = (n: number) => new Array(n).fill(1);
const weights = { 'a.weight': { shape: [1, 1, 3, 3], data: ones(9) }, 'b.weight': { shape: [1, 1, 3, 3], data: ones(9) } };
const PATHS = [0, 1, 2, 3, 2, 1, 0].flatMap((a, _, v) => v.map((b) => a * b));
const ERF = `query($s: JSON, $i: JSON, $w: JSON, $n: Int) {
  effectiveReceptiveField(spec: $s, inputs: $i, weights: $w, samples: $n) { layer input { name mode samples } gradient { shape data } statistics { mass } heatmap { svg } }
}`;
/** A relu network over one input x of shape [1, 1, 1, n]. */
const reluSpec = (n: number) => ({ inputs: [{ name: 'x', shape: [1, 1, 1, n] }], layers: [{ name: 'r', op: 'relu' }] });
const SUBMIT = 'mutation($r: JSON!) { submitJob(kind: run, request: $r) { kind error { code } } }';

describe('a large GraphQL request: effectiveReceptiveField and submitJob built in the worker, with the real pool', () => {
  let app: FastifyInstance;
  let close: (() => Promise<void>) | undefined;
  /** The worker's answers to the large bodies, as the event loop receives them. */
  const answers: Array<{ body: any; prepared?: { operation: string; fields: Record<string, any> } }> = [];
  /** The kinds of the large-JSON tasks sent. */
  const kinds: string[] = [];
  beforeAll(async () => {
    ({ app, close } = await appWithGraphqlAnswers(answers, kinds));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  const inject = (payload: string) => app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload });

  /** The request as a small body and padded past 128 KiB with spaces: both answers, and the worker's answer to the large one. */
  async function both(query: string, variables: Record<string, unknown>) {
    const json = JSON.stringify({ query, variables });
    expect(json.length).toBeLessThan(OFFLOAD_JSON_BYTES);
    answers.length = 0;
    kinds.length = 0;
    const small = await inject(json);
    const large = await inject(json + ' '.repeat(200_000 - json.length));
    expect(answers).toHaveLength(1);
    return { small: small.json(), large: large.json(), status: [small.statusCode, large.statusCode], worker: answers[0]! };
  }

  /** job(id) until it has finished: its result. */
  async function result(id: string): Promise<any> {
    for (let k = 0; k < 200; k++) {
      const job = (await inject(JSON.stringify({ query: `{ job(id: "${id}") { status result error { code message } } }` }))).json().data.job;
      if (job.status !== 'queued' && job.status !== 'running') return job;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${id} did not finish`);
  }

  it('the ERF of a given all-ones input: the path counts either way; the input came back a Float32Array, its variables as placeholders', async () => {
    const { small, large, status, worker } = await both(ERF, { s: spec, w: weights, i: { x: { shape: [1, 1, 7, 7], data: ones(49) } } });
    expect(status).toEqual([200, 200]);
    expect(small.errors).toBeUndefined();
    const r = small.data.effectiveReceptiveField;
    expect(r).toMatchObject({ layer: 'b', input: { name: 'x', mode: 'given', samples: 1 }, gradient: { shape: [1, 1, 7, 7], data: PATHS }, statistics: { mass: 81 } });
    expect(r.heatmap.svg).toMatch(/^<svg/);
    expect(large).toEqual(small);
    const job = worker.prepared!.fields.effectiveReceptiveField.value;
    expect(job.inputs.x.data).toBeInstanceOf(Float32Array);
    expect(job.weights['a.weight'].data).toBeInstanceOf(Float32Array);
    expect(worker.body.variables).toEqual({ s: {}, w: {}, i: {} });
  });

  it('the ERF without its heatmap selected: heatmap null either way (the worker built its job with one; the selection decides)', async () => {
    const query = ERF.replace(' heatmap { svg }', '');
    const { small, large, worker } = await both(query, { s: spec, w: weights, i: { x: { shape: [1, 1, 7, 7], data: ones(49) } } });
    expect(small.data.effectiveReceptiveField.gradient.data).toEqual(PATHS);
    expect(large).toEqual(small);
    expect(worker.prepared!.fields.effectiveReceptiveField.value.heatmap).toBe(true);
  });

  it('ERF errors: a tensor of 48 values for [1, 1, 7, 7] (INVALID_TENSOR) and samples beside a given input (INVALID_OPTION at $.samples), the same either way', async () => {
    const short = await both(ERF, { s: spec, i: { x: { shape: [1, 1, 7, 7], data: ones(48) } } });
    expect(short.small.data.effectiveReceptiveField).toBeNull();
    expect(short.small.errors[0].extensions.code).toBe('INVALID_TENSOR');
    expect(short.large).toEqual(short.small);
    expect(short.worker.prepared!.fields.effectiveReceptiveField.error.code).toBe('INVALID_TENSOR');
    const samples = await both(ERF, { s: spec, i: { x: { shape: [1, 1, 7, 7], data: ones(49) } }, n: 2 });
    expect(samples.small.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.samples' });
    expect(samples.large).toEqual(samples.small);
    expect(samples.worker.prepared!.fields.effectiveReceptiveField.error.path).toBe('$.samples');
  });

  it('submitJob(kind: run) of relu over [−1, 2, −3, 4]: both jobs done with [0, 2, 0, 4]; the job came back prepared (its input a Float32Array), parsed once (no job task), its variable a placeholder', async () => {
    const query = 'mutation($r: JSON!) { submitJob(kind: run, request: $r) { id kind error { code } } }';
    const { small, large, worker } = await both(query, { r: { spec: reluSpec(4), inputs: { x: { shape: [1, 1, 1, 4], data: [-1, 2, -3, 4] } } } });
    expect(small.errors).toBeUndefined();
    const [a, b] = [await result(small.data.submitJob.id), await result(large.data.submitJob.id)];
    expect(a.status).toBe('done');
    expect(a.result.outputs).toEqual([expect.objectContaining({ name: 'r', shape: [1, 1, 1, 4], data: [0, 2, 0, 4] })]);
    expect(b).toEqual(a);
    expect({ ...large.data.submitJob, id: 0 }).toEqual({ ...small.data.submitJob, id: 0 });
    const job = worker.prepared!.fields.submitJob.value;
    expect(worker.prepared!.operation).toBe('mutation');
    expect(job.kind).toBe('run');
    expect(job.task.inputs.x.data).toBeInstanceOf(Float32Array);
    expect([...job.task.inputs.x.data]).toEqual([-1, 2, -3, 4]);
    expect(worker.body.variables).toEqual({ r: {} });
    // the large body's one parse (the small one's job was prepared on the event loop; runReport runs the jobs): no job task parsing its JSON again
    expect(kinds.filter((k) => k !== 'runReport')).toEqual(['graphql']);
  });

  it('submitJob errors the same either way: a tensor of 3 values for 4 (INVALID_TENSOR under $.request), kind inside request, request a list', async () => {
    const short = await both(SUBMIT, { r: { spec: reluSpec(4), inputs: { x: { shape: [1, 1, 1, 4], data: [1, 2, 3] } } } });
    expect(short.small.data.submitJob).toBeNull();
    expect(short.small.errors[0].extensions.code).toBe('INVALID_TENSOR');
    expect(short.small.errors[0].extensions.path).toMatch(/^\$\.request\.inputs/);
    expect(short.large).toEqual(short.small);
    expect(short.worker.prepared!.fields.submitJob.value.refused).toMatchObject({ code: 'INVALID_TENSOR', path: expect.stringMatching(/^\$\.inputs/) });
    const kind = await both(SUBMIT, { r: { kind: 'run', spec: reluSpec(4) } });
    expect(kind.small.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.request.kind' });
    expect(kind.large).toEqual(kind.small);
    expect(kind.worker.prepared!.fields.submitJob.error.path).toBe('$.request.kind');
    const list = await both(SUBMIT, { r: [1, 2] });
    expect(list.small.errors[0].extensions).toMatchObject({ code: 'SPEC_INVALID', path: '$.request' });
    expect(list.large).toEqual(list.small);
  });

  it('submitJob with −0 in its data: prepared in the worker as the object it parsed (−0 kept, no JSON written again), the same answer', async () => {
    const r = { spec: reluSpec(2), inputs: { x: { shape: [1, 1, 1, 2], data: [-0, 1] } } };
    const json = JSON.stringify({ query: SUBMIT, variables: { r } }).replace('"data":[0,1]', '"data":[-0,1]');
    expect(json).toContain('[-0,1]');
    answers.length = 0;
    const query = SUBMIT.replace('kind error', 'id kind error');
    const small = (await inject(json.replace(SUBMIT, query))).json();
    const large = (await inject(json.replace(SUBMIT, query) + ' '.repeat(200_000))).json();
    expect(small.data.submitJob.kind).toBe('run');
    const [a, b] = [await result(small.data.submitJob.id), await result(large.data.submitJob.id)];
    expect(a.status).toBe('done');
    expect(b).toEqual(a);
    delete small.data.submitJob.id;
    delete large.data.submitJob.id;
    expect(large).toEqual(small);
    expect(Object.is(answers[0]!.prepared!.fields.submitJob.value.task.inputs.x.data[0], -0)).toBe(true);
    expect(answers[0]!.body.variables).toEqual({ r: {} });
  });
});
