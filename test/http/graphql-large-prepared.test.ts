/**
 * A GraphQL request over OFFLOAD_JSON_BYTES (128 KiB) has its run, runOperator and foldBatchNorm
 * requests built in the worker that parses it (http/graphql/prepare.ts), with the real piscina pool:
 * only the built requests come back, their tensors moved (Float32Arrays, not the JSON arrays and
 * base64 text), and a variable read only by them comes back as a placeholder. Found by a probe:
 * the whole parsed body was cloned back and its tensors decoded on the event loop, and a 19 MB run
 * body of 2 M numbers held GET /healthz for 1.9 s at p99 (4 clients). The answers, and the errors'
 * codes, messages and paths, are those of the same request in a small body.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLOAD_JSON_BYTES } from '../../src/http/body.js';
import { appWithGraphqlAnswers } from './graphql-large-app.js';

/** A relu network over one input x of shape [1, 1, 1, n]. */
const reluSpec = (n: number) => ({ inputs: [{ name: 'x', shape: [1, 1, 1, n] }], layers: [{ name: 'r', op: 'relu' }] });
const f32base64 = (values: number[]) => Buffer.from(new Float32Array(values).buffer).toString('base64');

describe('a large GraphQL request: its tensor fields built in the worker, with the real pool', () => {
  let app: FastifyInstance;
  let close: (() => Promise<void>) | undefined;
  /** The worker's answers to the large bodies, as the event loop receives them. */
  const answers: Array<{ body: any; prepared?: { fields: Record<string, any> } }> = [];
  beforeAll(async () => {
    ({ app, close } = await appWithGraphqlAnswers(answers));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  /** The request as a small body and padded past 128 KiB with spaces: both answers, and the worker's answer to the large one. */
  async function both(query: string, variables: Record<string, unknown>) {
    const json = JSON.stringify({ query, variables });
    expect(json.length).toBeLessThan(OFFLOAD_JSON_BYTES);
    answers.length = 0;
    const inject = (payload: string) => app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload });
    const small = await inject(json);
    const large = await inject(json + ' '.repeat(200_000 - json.length));
    expect(answers).toHaveLength(1);
    return { small: small.json(), large: large.json(), status: [small.statusCode, large.statusCode], worker: answers[0]! };
  }

  it('run of relu over [−1, 2, −3, 4] in base64: [0, 2, 0, 4] either way; the input came back a Float32Array, the spec and tensor variables as placeholders', async () => {
    const { small, large, status, worker } = await both('query($s: JSON, $i: JSON!) { run(spec: $s, inputs: $i) { outputs { name tensor { shape data } } } }', {
      s: reluSpec(4),
      i: { x: { shape: [1, 1, 1, 4], dtype: 'float32', base64: f32base64([-1, 2, -3, 4]) } },
    });
    expect(status).toEqual([200, 200]);
    expect(small.data.run.outputs).toEqual([{ name: 'r', tensor: { shape: [1, 1, 1, 4], data: [0, 2, 0, 4] } }]);
    expect(large).toEqual(small);
    const input = worker.prepared!.fields.run.value.inputs.x;
    expect(input.data).toBeInstanceOf(Float32Array);
    expect([...input.data]).toEqual([-1, 2, -3, 4]);
    expect(worker.body.variables).toEqual({ s: {}, i: {} });
  });

  it('run of relu over 20,000 values as a JSON array (−1, 2 repeated): relu mean 1 either way, the array never cloned back', async () => {
    const data = Array.from({ length: 20_000 }, (_, k) => (k % 2 ? 2 : -1));
    const { small, large, worker } = await both('query($s: JSON, $i: JSON!) { run(spec: $s, inputs: $i) { outputs { tensor { shape stats { mean min max } } } } }', {
      s: reluSpec(20_000),
      i: { x: { shape: [1, 1, 1, 20_000], data } },
    });
    expect(small.data.run.outputs[0].tensor).toEqual({ shape: [1, 1, 1, 20_000], stats: { mean: 1, min: 0, max: 2 } });
    expect(large).toEqual(small);
    expect(worker.prepared!.fields.run.value.inputs.x.data).toBeInstanceOf(Float32Array);
    expect(JSON.stringify(worker.body).length).toBeLessThan(1000);
  });

  it('a tensor of 3 values for shape [1, 1, 1, 4]: the same INVALID_TENSOR, message and path either way', async () => {
    const { small, large, worker } = await both('query($s: JSON, $i: JSON!) { run(spec: $s, inputs: $i) { outputs { name } } }', {
      s: reluSpec(4),
      i: { x: { shape: [1, 1, 1, 4], data: [1, 2, 3] } },
    });
    expect(small.data.run).toBeNull();
    expect(small.errors[0].extensions.code).toBe('INVALID_TENSOR');
    expect(small.errors[0].path).toEqual(['run']);
    expect(large).toEqual(small);
    expect(worker.prepared!.fields.run.error.code).toBe('INVALID_TENSOR');
  });

  it('runOperator (aliased) conv2d of the 3×3 ramp by [1, 2; 3, 4] = [37, 47; 67, 77] beside an unknown operator (UNKNOWN_OPERATOR at $.name): the same either way', async () => {
    const { small, large, worker } = await both(
      `query($x: JSON!, $w: JSON) {
        conv: runOperator(name: "conv2d", inputs: { x: $x }, weights: { weight: $w }, attributes: { outChannels: 1, kernelSize: 2, bias: false }) { outputs { tensor { shape data } } }
        bad: runOperator(name: "conv2dd", inputs: { x: $x }) { outputs { name } }
      }`,
      { x: { shape: [1, 1, 3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, w: { shape: [1, 1, 2, 2], data: [1, 2, 3, 4] } },
    );
    expect(small.data.conv.outputs[0].tensor).toEqual({ shape: [1, 1, 2, 2], data: [37, 47, 67, 77] });
    expect(small.data.bad).toBeNull();
    expect(small.errors).toHaveLength(1);
    expect(small.errors[0].path).toEqual(['bad']);
    expect(small.errors[0].extensions).toMatchObject({ code: 'UNKNOWN_OPERATOR', path: '$.name' });
    expect(large).toEqual(small);
    expect(Object.keys(worker.prepared!.fields).sort()).toEqual(['bad', 'conv']);
    expect(worker.body.variables).toEqual({ x: {}, w: {} });
  });

  it('foldBatchNorm of w = 2, b = 1, γ = 3, β = 0.5, μ = 1, σ² = 3, eps 1: w′ = 2·3/2 = 3, b′ = (1 − 1)·3/2 + 0.5 = 0.5, either way', async () => {
    const t = (v: number) => ({ shape: [1], data: [v] });
    const { small, large, worker } = await both(
      'query($w: JSON!, $b: JSON, $g: JSON!, $be: JSON!, $m: JSON!, $v: JSON!) { foldBatchNorm(weight: $w, bias: $b, gamma: $g, beta: $be, runningMean: $m, runningVar: $v, eps: 1) { weight { data } bias { data } } }',
      { w: { shape: [1, 1, 1, 1], data: [2] }, b: t(1), g: t(3), be: t(0.5), m: t(1), v: t(3) },
    );
    expect(small.errors, JSON.stringify(small.errors)).toBeUndefined();
    expect(small.data.foldBatchNorm).toEqual({ weight: { data: [3] }, bias: { data: [0.5] } });
    expect(large).toEqual(small);
    expect(worker.prepared!.fields.foldBatchNorm.value).toBeDefined();
  });

  it('a variable read by run and by analyze stays in the body (analyze reads it); a field under @include is built on the event loop, its variables kept', async () => {
    const spec = reluSpec(2);
    const tensor = { x: { shape: [1, 1, 1, 2], data: [-1, 2] } };
    const shared = await both('query($s: JSON, $i: JSON!) { run(spec: $s, inputs: $i) { outputs { tensor { data } } } analyze(spec: $s) { totals { layers } } }', { s: spec, i: tensor });
    expect(shared.small.data).toEqual({ run: { outputs: [{ tensor: { data: [0, 2] } }] }, analyze: { totals: { layers: 1 } } });
    expect(shared.large).toEqual(shared.small);
    expect(shared.worker.body.variables).toEqual({ s: spec, i: {} });
    const included = await both('query($s: JSON, $i: JSON!, $yes: Boolean!) { run(spec: $s, inputs: $i) @include(if: $yes) { outputs { tensor { data } } } }', { s: spec, i: tensor, yes: true });
    expect(included.small.data).toEqual({ run: { outputs: [{ tensor: { data: [0, 2] } }] } });
    expect(included.large).toEqual(included.small);
    expect(included.worker.prepared).toBeUndefined();
    expect(included.worker.body.variables).toEqual({ s: spec, i: tensor, yes: true });
  });
});
