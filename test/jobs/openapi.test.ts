/**
 * The jobs routes in /openapi.json: each operation with the statuses and catalog codes it answers,
 * the request and status schemas generated from the zod ones, and real answers that fit them.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/http/openapi-jobs.js';
import { testApp } from '../http/app.js';
import { tinySpec, waitFor } from './helpers.js';

type Json = Record<string, any>;

describe('jobs in the OpenAPI document', () => {
  let app: FastifyInstance;
  let doc: Json;
  beforeAll(async () => {
    app = await testApp({ WORKERS: '1' });
    doc = (await app.inject({ url: '/openapi.json' })).json();
  });
  afterAll(async () => app.close());

  const codes = (op: Json, status: string): string[] => op.responses[status].content['application/json'].schema.properties.error.properties.code.enum;

  it('POST /v1/jobs: a JobRequest (analyze | run | batch by kind) answered 202 with a JobStatus and a Location; 400, 404, 413, 415, 503 with their codes', () => {
    const op = doc.paths['/v1/jobs'].post;
    expect(op.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/JobRequest' });
    // or a multipart form (test/jobs/forms.test.ts): the JSON in request, the ONNX file as model (a batch's as models[i])
    const form = op.requestBody.content['multipart/form-data'];
    expect(form.schema.properties.request).toMatchObject({ $ref: '#/components/schemas/JobRequest' });
    expect(form.schema.properties.model).toMatchObject({ type: 'string', format: 'binary' });
    expect(form.schema.additionalProperties.description).toContain('models[i]');
    expect(form.encoding).toEqual({ request: { contentType: 'application/json' } });
    expect(doc.components.schemas.JobRequest.oneOf.map((s: Json) => s.properties.kind.const)).toEqual(['analyze', 'run', 'batch']);
    expect(op.responses['202'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/JobStatus' });
    expect(op.responses['202'].headers.Location.schema).toEqual({ type: 'string' });
    expect(Object.keys(op.responses).sort()).toEqual(['202', '400', '404', '413', '415', '500', '503']);
    expect(codes(op, '503')).toEqual(['OVERLOADED', 'QUEUE_UNAVAILABLE']);
    expect(codes(op, '404')).toEqual(['UNKNOWN_MODEL']);
  });

  it('GET and DELETE /v1/jobs/{id} answer a JobStatus, 404 JOB_NOT_FOUND or 410 JOB_EVICTED; the results are NDJSON or 406 NOT_ACCEPTABLE', () => {
    for (const [path, method] of [['/v1/jobs/{id}', 'get'], ['/v1/jobs/{id}', 'delete'], ['/v1/jobs/{id}/results', 'get']]) {
      const op = doc.paths[path][method];
      expect(op.parameters, `${method} ${path}`).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
      expect(codes(op, '404')).toEqual(['JOB_NOT_FOUND']);
      expect(codes(op, '410')).toEqual(['JOB_EVICTED']);
      expect(op.tags).toEqual(['jobs']);
    }
    expect(doc.paths['/v1/jobs/{id}'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/JobStatus' });
    const results = doc.paths['/v1/jobs/{id}/results'].get.responses;
    expect(Object.keys(results['200'].content)).toEqual(['application/x-ndjson']);
    expect(codes(doc.paths['/v1/jobs/{id}/results'].get, '406')).toEqual(['NOT_ACCEPTABLE']);
  });

  it('the status schema lists the states and the result forms (Report, RunResponse, BatchSummary); real answers fit it', async () => {
    const schema = doc.components.schemas.JobStatus;
    expect(schema.properties.status.enum).toEqual(['queued', 'running', 'done', 'failed', 'cancelled']);
    expect(schema.properties.result.anyOf.slice(0, 2)).toEqual([{ $ref: '#/components/schemas/Report' }, { $ref: '#/components/schemas/RunResponse' }]);
    const submitted = await app.inject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'analyze', spec: tinySpec } });
    expect(JobStatus.safeParse(submitted.json()).success).toBe(true);
    const done = await waitFor(app, submitted.json().id);
    expect(JobStatus.parse(done).result).toMatchObject({ layers: [{ name: 'r' }] });
  });
});
