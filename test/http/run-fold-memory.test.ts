/**
 * POST /v1/run of an ONNX file whose weights the graph computes (graph/fold-constants.ts): the folds'
 * memory (graph/fold-budget.ts's bound: the float initializers read, plus 3 × the largest in flight,
 * float32) is charged to the request's reservation before they run (runtime/memory-grant.ts
 * chargeFold), so first runs of heavy files are admitted within MEMORY_BUDGET_BYTES: 413
 * GRAPH_TOO_LARGE when the whole budget cannot hold the request and its folds, 503 OVERLOADED while
 * others hold what it needs. And the import folds within MAX_TENSOR_ELEMENTS as configured.
 *
 * The heavy file: x [1, 128, 4, 4] → Conv 3×3 pad 1 with the weight W·2, W [128, 128, 3, 3]
 * (147,456 values): the fold reads W and may hold 3 × W in flight, 4 bytes × 4 × 147,456 =
 * 2,359,296 bytes. Sent as JSON (onnxBase64), the request reserves 4 × its length (JSON_FACTOR).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { JSON_FACTOR, admissionOf } from '../../src/http/admission.js';
import { concatSumConvModel } from '../graph/fold-configured-model.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { testApp } from './app.js';
import { head, portOf, rawRequest } from './raw.js';

const MiB = 1024 * 1024;
const FOLD_BYTES = 4 * 4 * 128 * 128 * 9;
const heavy = onnxModel({
  inputs: [{ name: 'x', shape: [1, 128, 4, 4] }],
  outputs: ['y'],
  initializers: [
    { name: 'W', dims: [128, 128, 3, 3], data: Array.from({ length: 128 * 128 * 9 }, (_, i) => (i % 5) - 2) },
    { name: 'two', dims: [], data: [2] },
  ],
  nodes: [
    { op: 'Mul', inputs: ['W', 'two'], outputs: ['W2'], name: 'ws' },
    { op: 'Conv', inputs: ['x', 'W2'], outputs: ['y'], name: 'conv', attrs: { pads: { ints: [1, 1, 1, 1] } } },
  ],
  opset: 13,
});
const body = JSON.stringify({ onnxBase64: Buffer.from(heavy).toString('base64'), inputs: { x: { shape: [1, 128, 4, 4], data: new Array(128 * 16).fill(0) } }, format: 'flat' });
const reserved = JSON_FACTOR * Buffer.byteLength(body);

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});
const serve = async (env: Record<string, string>) => (app = await testApp({ WORKERS: '1', MODEL_CACHE_BYTES: '0', RESERVE_AHEAD_MS: '60000', ...env }));
const run = (a: FastifyInstance) => request(a.server).post('/v1/run').set('content-type', 'application/json').send(body);

describe("a first run's weight folds within the memory budget", () => {
  it(`a budget of the request's reservation + 1 MiB (not + the fold's ${FOLD_BYTES.toLocaleString('en-US')} bytes): 413 GRAPH_TOO_LARGE at the file, naming the fold; with the fold's bytes too: 200`, async () => {
    const small = await serve({ MEMORY_BUDGET_BYTES: String(reserved + MiB) });
    const refused = await run(small);
    expect(refused.status).toBe(413);
    expect(refused.body.error).toMatchObject({ code: 'GRAPH_TOO_LARGE', path: '$.onnxBase64', needed: FOLD_BYTES });
    expect(refused.body.error.message).toContain("folding the weights at import (up to node 'ws' (Mul))");
    await small.close();
    const enough = await serve({ MEMORY_BUDGET_BYTES: String(reserved + FOLD_BYTES + MiB) });
    expect((await run(enough)).status).toBe(200);
  });

  it('the same budget with 1.5 MiB held by a half-sent request: 503 OVERLOADED (the fold does not fit now), then 200 once it is gone; the budget is all given back', async () => {
    const a = await serve({ MEMORY_BUDGET_BYTES: String(reserved + FOLD_BYTES + MiB) });
    const holding = (1.5 * MiB) / JSON_FACTOR;
    const other = await rawRequest(await portOf(a), head('/v1/operators/relu', { 'content-type': 'application/json', 'content-length': holding }), '{');
    const refused = await run(a);
    expect([refused.status, refused.body.error.code]).toEqual([503, 'OVERLOADED']);
    expect(refused.body.error.message).toContain('folding the weights at import');
    other.destroy();
    await other.closed(1000);
    await new Promise((r) => setTimeout(r, 50));
    expect((await run(a)).status).toBe(200);
    // the fold's charge went with the request's reservation
    for (let t = 0; t < 50 && admissionOf(a)!.budget.used > 0; t++) await new Promise((r) => setTimeout(r, 20));
    expect(admissionOf(a)!.budget.used).toBe(0);
  });
});

describe('MAX_TENSOR_ELEMENTS as configured bounds the folds of a run', () => {
  // x [1, 64, 1, 1] → Conv with ReduceSum(Concat(W ×4; axis 0), axis 0) of W [8, 64, 1, 1]: a 64-value weight through 2,048 values
  const file = concatSumConvModel();

  const send = (a: FastifyInstance) => request(a.server).post('/v1/run').send({ onnxBase64: Buffer.from(file).toString('base64'), inputs: { x: { shape: [1, 64, 1, 1], data: new Array(64).fill(1) } }, format: 'flat' });

  it('MAX_TENSOR_ELEMENTS=1000: 400 INVALID_TENSOR at $.weights naming the Concat of 2,048 values and the configured 1,000; 4096: y = −8 (test/graph/onnx-fold-configured.test.ts works it)', async () => {
    const limited = await serve({ MAX_TENSOR_ELEMENTS: '1000' });
    const refused = await send(limited);
    expect([refused.status, refused.body.error.code, refused.body.error.path]).toEqual([400, 'INVALID_TENSOR', '$.weights']);
    expect(refused.body.error.message).toContain("node 'four' (Concat) computes 2,048 values, more than a tensor may hold (1,000, MAX_TENSOR_ELEMENTS)");
    await limited.close();
    const roomy = await serve({ MAX_TENSOR_ELEMENTS: '4096' });
    const ok = await send(roomy);
    expect([ok.status, ok.body.outputs[0].data]).toEqual([200, [-8]]);
  });
});
