/**
 * The jobs routes' part of the OpenAPI document (openapi.ts assembles it): their schemas
 * (JobRequest from jobs/request.ts, JobStatus from jobs/types.ts with the result's three forms) and
 * path items, with the catalog codes each answers.
 */
import { z } from 'zod';
import { ReportSchema } from '../analysis/report.js';
import type { ErrorCode } from '../errors.js';
import { JobRequest } from '../jobs/request.js';
import { BatchSummary, JobStatusHead } from '../jobs/types.js';
import { NDJSON } from './jobs.js';
import { RunResponse } from './responses.js';

type Json = Record<string, unknown>;

/** A job's status as GET /v1/jobs/{id} answers it. */
export const JobStatus = JobStatusHead.extend({
  result: z
    .union([ReportSchema, RunResponse, BatchSummary])
    .optional()
    .describe('when done: the report (analyze), the run response (run), or the counts of a batch, whose reports stream from links.results'),
}).describe('a job: its state, timestamps, progress, and its result or error');

export const JOB_SCHEMAS = { JobRequest, JobStatus };

export interface DocHelpers {
  ref(id: string): Json;
  json(schema: Json, extra?: Json): Json;
  errorResponses(codes: ErrorCode[]): Record<string, Json>;
  /** INVALID_JSON, INCOMPLETE_BODY, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE. */
  body: ErrorCode[];
}

/** The multipart form of a job request: the JSON in `request`, the files as parts (jobs/request.ts reads them). */
function formBody(h: DocHelpers): Json {
  const file = (description: string) => ({ type: 'string', format: 'binary', contentMediaType: 'application/octet-stream', description });
  return {
    'multipart/form-data': {
      schema: {
        type: 'object',
        properties: {
          request: { ...h.ref('JobRequest'), description: 'the JSON request, kind included' },
          model: file("the ONNX file: of an analyze job (with the request's inputShapes for dynamic inputs), or of a run, as POST /v1/run's part `model`"),
        },
        additionalProperties: file("a batch's `models[i]`: the ONNX file of model i, whose entry in models is then an object giving at most name and inputShapes; a run's .npy tensors, named after the input or `weights.<layer>.<role>`"),
      },
      encoding: { request: { contentType: 'application/json' } },
    },
  };
}

const idParameter = { name: 'id', in: 'path', required: true, description: 'the job id POST /v1/jobs answered', schema: { type: 'string', format: 'uuid' } };

export function jobPaths(h: DocHelpers): Record<string, Json> {
  const status = (description: string) => ({ description, content: h.json(h.ref('JobStatus')) });
  const lookup: ErrorCode[] = ['JOB_NOT_FOUND', 'JOB_EVICTED', 'QUEUE_UNAVAILABLE'];
  return {
    '/v1/jobs': {
      post: {
        tags: ['jobs'],
        operationId: 'submitJob',
        summary: 'Submit long work: an analysis, a run, or a batch of analyses',
        description:
          'Validated now, with the errors the synchronous route would answer, then queued: in memory, or on Redis (BullMQ) when REDIS_URL is set, where any replica answers for the job and `convlens worker` processes run it. Answers 202 with the job (Location: its URL). JSON (ONNX files as onnxBase64) up to JSON_BODY_LIMIT, or a multipart form as the synchronous routes take: the ONNX file as a file part (analyze: `model`; a batch\'s model i: `models[i]`; run: POST /v1/run\'s parts), each up to BODY_LIMIT, and the JSON in the `request` field; a part no field reads is 400. Inputs the in-process store could never hold (JOB_STORE_MAX_BYTES), or on Redis file parts over 2 × JSON_BODY_LIMIT in all, are 413 PAYLOAD_TOO_LARGE. A full queue (JOB_MAX_PENDING), or a store without room now, is 503 OVERLOADED.',
        requestBody: { required: true, content: { ...h.json(h.ref('JobRequest')), ...formBody(h) } },
        responses: {
          '202': { ...status('accepted: the job, queued (or already running)'), headers: { Location: { description: 'the job: /v1/jobs/{id}', schema: { type: 'string' } } } },
          ...h.errorResponses([...h.body, 'SPEC_INVALID', 'INVALID_OPTION', 'INVALID_TENSOR', 'TENSOR_TOO_LARGE', 'UNKNOWN_MODEL', 'OVERLOADED', 'QUEUE_UNAVAILABLE']),
        },
      },
    },
    '/v1/jobs/{id}': {
      get: {
        tags: ['jobs'],
        operationId: 'job',
        summary: "A job's status, with its result when done",
        description: 'queued, running, done (with result), failed or cancelled (with error); finished jobs are kept JOB_TTL_SECONDS (expiresAt), then 404 JOB_NOT_FOUND. In-process, a finished job forgotten before then to make room in the store (JOB_STORE_MAX_BYTES: the oldest finished results go first) is 410 JOB_EVICTED until its expiresAt.',
        parameters: [idParameter],
        responses: { '200': status('the job'), ...h.errorResponses(lookup) },
      },
      delete: {
        tags: ['jobs'],
        operationId: 'cancelJob',
        summary: 'Cancel a queued or running job, or forget a finished one',
        description:
          'A queued job is dropped; a running one stops at once (a task running in a worker thread is stopped and its worker replaced): status cancelled, error JOB_CANCELLED. A finished job and its results are deleted; the answer is the job as it was.',
        parameters: [idParameter],
        responses: { '200': status('the job after cancelling, or as it was before being forgotten'), ...h.errorResponses(lookup) },
      },
    },
    '/v1/jobs/{id}/results': {
      get: {
        tags: ['jobs'],
        operationId: 'jobResults',
        summary: "A job's results as NDJSON, streamed as they come",
        description:
          'One JSON document per line. A batch: `{ index, name, report }` or `{ index, name, error }` per model, in model order, each sent as soon as it and the models before it are done; the stream ends when the job finishes (a failed or cancelled batch ends with `{ error }`). Analyze and run jobs: one line, their result or `{ error }`, once finished.',
        parameters: [idParameter],
        responses: {
          '200': { description: 'the result lines', content: { [NDJSON]: { schema: { type: 'string', description: 'newline-delimited JSON documents' } } } },
          ...h.errorResponses([...lookup, 'NOT_ACCEPTABLE']),
        },
      },
    },
  };
}
