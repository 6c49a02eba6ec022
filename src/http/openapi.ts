/**
 * The OpenAPI 3.1 document, generated: request bodies and query strings from http/requests.ts,
 * the report from analysis/report.ts, the spec from graph/network.ts, other answers and the error
 * from http/responses.ts, operator and model names from their registries, each route's error codes
 * from the catalog. Zod writes JSON Schema draft 2020-12, OpenAPI 3.1's dialect; the schemas go to
 * components.schemas and refer to each other there. Served at /openapi.json, shown at /docs.
 */
import { z } from 'zod';
import { ReportSchema } from '../analysis/report.js';
import { ERROR_CATALOG } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { networkSpecSchema } from '../graph/network.js';
import { OPS } from '../ops/registry.js';
import { ZOO } from '../zoo/index.js';
import { AnalyzeBody, AnalyzeQuery, FoldRequest, ModelQuery, OperatorQuery, OperatorRequest, RunRequest, Tensor } from './requests.js';
import * as R from './responses.js';
import { EXAMPLES } from './openapi-examples.js';
import { JOB_SCHEMAS, jobPaths } from './openapi-jobs.js';
import { REPORT_SCHEMAS, REPORT_TEXTS, reportPaths } from './openapi-reports.js';
import { erfPaths } from './openapi-erf.js';
import { OPEN_PATHS, PROBE_ROUTES } from './security.js';

type Json = Record<string, unknown>;

/** Every schema the document names, by component name. */
function components(): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  const named: Record<string, z.ZodType> = {
    NetworkSpec: networkSpecSchema(),
    AnalyzeBody,
    AnalyzeQuery,
    Report: ReportSchema,
    RunRequest,
    OperatorRequest,
    OperatorQuery,
    FoldRequest,
    ModelQuery,
    Tensor,
    TensorOut: R.TensorOut,
    RunResponse: R.RunResponse,
    OperatorResponse: R.OperatorResponse,
    FoldResponse: R.FoldResponse,
    ModelsResponse: R.ModelsResponse,
    OperatorsResponse: R.OperatorsResponse,
    JsonSchema: R.JsonSchemaResponse,
    Health: R.HealthResponse,
    GraphQLRequest: R.GraphQLRequest,
    GraphQLResponse: R.GraphQLResponse,
    LandingIndex: R.LandingIndex,
    Error: R.ErrorResponse,
    ...JOB_SCHEMAS,
    ...REPORT_SCHEMAS,
  };
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}` });
  // `$id: "#/…"` is not a valid 2020-12 $id, and `$schema` is implied by the document
  return Object.fromEntries(Object.entries(schemas).map(([id, { $id: _i, $schema: _s, ...rest }]) => [id, rest as Json]));
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (schema: Json, extra: Json = {}) => ({ 'application/json': { schema, ...extra } });
const binary = (mediaType: string, description: string) => ({ type: 'string', format: 'binary', contentMediaType: mediaType, description });

/** The query parameters of an object schema component, one per property. */
function queryParameters(schemas: Record<string, Json>, id: string, note = ''): Json[] {
  const s = schemas[id] as { properties: Record<string, Json>; required?: string[] };
  return Object.entries(s.properties).map(([name, { description, ...schema }]) => ({
    name,
    in: 'query',
    required: s.required?.includes(name) ?? false,
    ...(description ? { description: `${description}${note}` } : {}),
    schema,
  }));
}

const pathParameter = (description: string, names: string[]) => ({ name: 'name', in: 'path', required: true, description, schema: { type: 'string', enum: names } });

/** Error codes that come together. */
const BODY: ErrorCode[] = ['INVALID_JSON', 'INCOMPLETE_BODY', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];
/** A network in the request: its spec, and its layers' memory (GRAPH_TOO_LARGE: runtime/memory-grant.ts). */
const GRAPH: ErrorCode[] = ['SPEC_INVALID', 'UNKNOWN_OP', 'DUPLICATE_NAME', 'UNKNOWN_INPUT', 'CYCLE', 'GRAPH_TOO_LARGE'];
const LAYER: ErrorCode[] = ['INVALID_ATTRIBUTE', 'RANK_MISMATCH', 'CHANNEL_MISMATCH', 'SHAPE_MISMATCH', 'KERNEL_TOO_LARGE', 'NON_POSITIVE_SIZE', 'SIZE_TOO_LARGE'];
const ONNX: ErrorCode[] = ['ONNX_INVALID', 'ONNX_GRAPH_INVALID', 'MISSING_DIMENSION', 'UNSUPPORTED_DTYPE'];
/** Tensors in the request, and the answer's size (MAX_RESPONSE_BYTES). */
const TENSORS: ErrorCode[] = ['INVALID_TENSOR', 'TENSOR_TOO_LARGE', 'RESPONSE_TOO_LARGE'];
const WORKERS: ErrorCode[] = ['OVERLOADED', 'TIMEOUT', 'WORKER_OUT_OF_MEMORY', 'PARTNER_FAILED'];

/** The error answers of an operation, one per status, each naming its catalog codes (and its schema allowing only them). */
function errorResponses(codes: ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...new Set<ErrorCode>([...codes, 'INTERNAL'])]) {
    const status = ERROR_CATALOG[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.map((c) => `${c}: ${ERROR_CATALOG[c].title}`).join('; '),
        content: json({ allOf: [ref('Error')], properties: { error: { properties: { code: { enum: list } } } } }),
      },
    ]),
  );
}

const ok = (description: string, content: Json) => ({ '200': { description, content } });

interface Operation extends Json {
  tags: string[];
  summary: string;
  operationId: string;
}

function page(operationId: string, summary: string, description: string, content: Json = { 'text/html': { schema: { type: 'string' } } }): { get: Operation } {
  return { get: { tags: ['pages'], summary, description, operationId, responses: ok(summary, content) } };
}

export interface DocumentOptions {
  /** Whether GraphiQL is served (config.GRAPHIQL). */
  graphiql: boolean;
  version: string;
  description: string;
  /** API_KEYS set: the key schemes, 401 on every operation but the probes and the pages. */
  apiKeys?: boolean;
  /** RATE_LIMIT_PER_MINUTE (0: off): 429 on every operation but the probes. */
  rateLimit?: number;
  /** No METRICS_PORT: /metrics is served here. */
  metricsOnMainPort?: boolean;
}

/** Security schemes, 401 and 429 where the deployment answers them (security.ts). */
function withAccess(paths: Record<string, Json>, opts: DocumentOptions): Record<string, Json> {
  for (const [path, item] of Object.entries(paths)) {
    for (const op of Object.values(item) as Json[]) {
      const extra: ErrorCode[] = [];
      if (opts.apiKeys) {
        if (OPEN_PATHS.has(path)) op.security = [];
        else extra.push('UNAUTHORIZED');
      }
      if (opts.rateLimit && !PROBE_ROUTES.has(path)) extra.push('RATE_LIMITED');
      if (extra.length > 0) op.responses = { ...(op.responses as Json), ...errorResponses(extra) };
    }
  }
  return paths;
}

const SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', description: 'an API key from API_KEYS as `Authorization: Bearer <key>`' },
  apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'the same key as `X-API-Key: <key>`' },
};

/** The document: a plain object, the same on every call. */
export function openApiDocument(opts: DocumentOptions): Json {
  const schemas = components();
  const npyOut = { 'application/x-npy': { schema: binary('application/x-npy', 'a single output tensor as a .npy file (format: npy); its shape and stats also in x-tensor-shape and x-tensor-stats') } };
  const jsonOrMultipart = (id: string, files: string) => ({
    ...json(ref(id), { examples: EXAMPLES[id] }),
    'multipart/form-data': {
      schema: {
        type: 'object',
        properties: { request: { ...ref(id), description: 'the JSON request' } },
        additionalProperties: binary('application/x-npy', files),
      },
      encoding: { request: { contentType: 'application/json' } },
    },
  });
  const paths: Record<string, Json> = {
    '/v1/analyze': {
      post: {
        tags: ['analysis'],
        operationId: 'analyze',
        summary: 'Analyse a network: shapes, parameters, MACs and FLOPs, memory, receptive fields; peak memory, latency, module tree, other tools\' counts, formulas',
        description:
          'The network is a JSON spec (the body itself, or `{ spec, options }`), a built-in model (`?model=resnet50`, or `{ model, resolution, options }`), or an ONNX file (the body as application/octet-stream, or a multipart form with the file). Dynamic ONNX dimensions come from `?input=1,3,224,224` (the first input) or `?input.<name>=…`. Options (the body\'s `options` or the query, not both) add analyses as top-level keys of the report: `memory`/`inPlace` → memory, `device` (GET /v1/devices, or a profile) → roofline, `depth`/`topK` → modules, `convention` (GET /v1/conventions) → convention, `explain` → explain, `deployed` → deployed. The answer is JSON, or by `?format=` (or Accept) CSV, Markdown, a self-contained HTML report, or for an uploaded ONNX file `?format=netron`: Netron\'s attachment JSON (the NetronAttachment schema).',
        parameters: queryParameters(schemas, 'AnalyzeQuery'),
        requestBody: {
          required: false,
          description: 'none with ?model',
          content: {
            ...json({ oneOf: [ref('NetworkSpec'), ref('AnalyzeBody')] }, { examples: EXAMPLES.analyze }),
            ...Object.fromEntries(['application/octet-stream', 'application/x-onnx', 'application/onnx'].map((t) => [t, { schema: binary(t, 'an ONNX model file') }])),
            'multipart/form-data': {
              schema: { type: 'object', properties: { model: binary('application/octet-stream', 'an ONNX model file (the first file part is read)') }, required: ['model'] },
            },
          },
        },
        responses: {
          ...ok('the report (with the analyses asked for), or its rendering', { ...json(ref('AnalysisReport')), ...REPORT_TEXTS.csv, ...REPORT_TEXTS.md, ...REPORT_TEXTS.html }),
          ...errorResponses([...BODY, ...GRAPH, ...LAYER, ...ONNX, 'INVALID_OPTION', 'UNKNOWN_MODEL', 'ANALYSIS_TOO_LARGE', 'NOT_ACCEPTABLE', ...WORKERS]),
        },
      },
    },
    '/v1/run': {
      post: {
        tags: ['compute'],
        operationId: 'run',
        summary: 'Run a whole network on input tensors',
        description:
          "A spec, a built-in model or an ONNX file (onnxBase64, or a multipart file part named `model`) run on the given inputs with weights given, read from the ONNX file, or seeded as PyTorch initialises them. Weights are named `<layer>.<role>` or as a PyTorch state_dict names them (`bn1.running_mean`, `attn.out_proj.weight`; an ONNX file's initializer by its own name, `c1.weight`); a torchvision state_dict loads as it is into the zoo's models but shufflenet_v2_x1_0 and deeplabv3_resnet50. Tensors in JSON, or as .npy parts of a multipart form (named after the input, dots and all: `input.1`; `weights.<layer>.<role>` is a weight and `model` the ONNX file). Without a format, the answer is .npy or JSON by the q-values Accept gives them, at equal q in the request encoding.",
        requestBody: { required: true, content: jsonOrMultipart('RunRequest', '.npy tensors named after the input (any name but `model` and `weights.…`), `weights.<layer>.<role>`, or the ONNX file as `model`') },
        responses: {
          ...ok('the outputs (and captured layers)', { ...json(ref('RunResponse')), ...npyOut }),
          ...errorResponses([...BODY, ...GRAPH, ...LAYER, ...ONNX, ...TENSORS, 'INVALID_OPTION', 'UNKNOWN_MODEL', 'UNSUPPORTED_OPERATOR', 'NOT_ACCEPTABLE', ...WORKERS]),
        },
      },
    },
    '/v1/operators/{name}': {
      post: {
        tags: ['compute'],
        operationId: 'runOperator',
        summary: "Run one operator's reference kernel",
        description: 'Semantics and defaults follow torch.nn.functional and torchvision.ops. Inputs, attributes and weights in JSON; or a multipart form with .npy parts; or a single .npy input as the body, the rest in the query.',
        parameters: [pathParameter('the operator (GET /v1/operators)', OPS.map((op) => op.name)), ...queryParameters(schemas, 'OperatorQuery', ' (with an application/x-npy body only)')],
        requestBody: {
          required: true,
          content: { ...jsonOrMultipart('OperatorRequest', '.npy tensors named after the input, or `weights.<role>`'), 'application/x-npy': { schema: binary('application/x-npy', 'the first input as a .npy file') } },
        },
        responses: {
          ...ok('the outputs and the cost of the call', { ...json(ref('OperatorResponse')), ...npyOut }),
          ...errorResponses([...BODY, 'SPEC_INVALID', ...LAYER, ...TENSORS, 'INVALID_OPTION', 'UNKNOWN_OPERATOR', 'UNSUPPORTED_OPERATOR', 'NOT_ACCEPTABLE', ...WORKERS]),
        },
      },
    },
    '/v1/transforms/fold-batchnorm': {
      post: {
        tags: ['compute'],
        operationId: 'foldBatchNorm',
        summary: 'Fold an inference batch norm into the conv before it',
        requestBody: { required: true, content: jsonOrMultipart('FoldRequest', '.npy tensors named weight, bias, gamma, beta, runningMean, runningVar') },
        responses: { ...ok("the folded weight and bias", json(ref('FoldResponse'))), ...errorResponses([...BODY, ...TENSORS, 'SHAPE_MISMATCH', 'INVALID_OPTION', 'NOT_ACCEPTABLE', ...WORKERS]) },
      },
    },
    ...jobPaths({ ref, json, errorResponses, body: BODY }),
    ...reportPaths({ ref, json, errorResponses, body: BODY, ok, queryParameters: (id, note) => queryParameters(schemas, id, note), graph: [...GRAPH, ...LAYER], onnx: ONNX, workers: WORKERS }),
    ...erfPaths({ ref, json, errorResponses, body: BODY }),
    '/v1/models': {
      get: { tags: ['catalog'], operationId: 'models', summary: 'The built-in models', responses: ok('the model zoo', json(ref('ModelsResponse'))) },
    },
    '/v1/models/{name}': {
      get: {
        tags: ['catalog'],
        operationId: 'model',
        summary: "A built-in model's network spec",
        parameters: [pathParameter('a built-in model', ZOO.map((m) => m.name)), ...queryParameters(schemas, 'ModelQuery')],
        responses: { ...ok('its spec, which POST /v1/analyze and /v1/run accept', json(ref('NetworkSpec'))), ...errorResponses(['UNKNOWN_MODEL', 'INVALID_OPTION']) },
      },
    },
    '/v1/operators': {
      get: { tags: ['catalog'], operationId: 'operators', summary: 'The operators, their attributes and PyTorch equivalents', responses: ok('the operator catalog', json(ref('OperatorsResponse'))) },
    },
    '/v1/schema/network': {
      get: { tags: ['schemas'], operationId: 'networkSchema', summary: 'The JSON Schema of a network spec', responses: ok('JSON Schema draft 2020-12', json(ref('JsonSchema'))) },
    },
    '/v1/schema/report': {
      get: { tags: ['schemas'], operationId: 'reportSchema', summary: 'The JSON Schema of a report (with the optional analyses)', responses: ok('JSON Schema draft 2020-12', json(ref('JsonSchema'))) },
    },
    '/graphql': {
      get: {
        tags: ['graphql'],
        operationId: 'graphqlGet',
        summary: 'GraphQL over GET: catalog reads only',
        description:
          'A query whose root fields are models, model or operators, without introspection; anything that starts work (analyze, run, runOperator, foldBatchNorm), a mutation or introspection is 405 METHOD_NOT_ALLOWED with `Allow: POST`. Errors come as a GraphQL response with the catalog code in `errors[].extensions.code`.',
        parameters: [
          { name: 'query', in: 'query', required: true, schema: { type: 'string' }, description: 'a GraphQL document' },
          { name: 'variables', in: 'query', required: false, schema: { type: 'string' }, description: 'variables as JSON' },
          { name: 'operationName', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: { ...ok('a GraphQL response; errors inside it', json(ref('GraphQLResponse'))), ...errorResponses(['METHOD_NOT_ALLOWED']) },
      },
      post: {
        tags: ['graphql'],
        operationId: 'graphql',
        summary: 'GraphQL: analyze, models, operators, runOperator, run, foldBatchNorm',
        description:
          'One operation per request (a JSON array is refused), a document of at most GRAPHQL_MAX_DOCUMENT_BYTES UTF-8 bytes (large values go in variables) and GRAPHQL_MAX_TOKENS tokens, bounded by weight (run 25, analyze 10, runOperator 10, foldBatchNorm 5, model 5, operators 5, conventions 3, the mutation submitJob 10, other root fields 1; every alias counts; at most GRAPHQL_MAX_COST), fields, depth and one name per field below the root: QUERY_TOO_COMPLEX before anything runs. Errors come as a GraphQL response with the catalog code in `errors[].extensions.code`.',
        requestBody: { required: true, content: json(ref('GraphQLRequest'), { examples: EXAMPLES.graphql }) },
        responses: { ...ok('a GraphQL response; errors inside it, with catalog codes in extensions', json(ref('GraphQLResponse'))), ...errorResponses([...BODY]) },
      },
    },
    '/healthz': {
      get: { tags: ['operations'], operationId: 'health', summary: 'Liveness, with the worker pool', responses: ok('up', json(ref('Health'))) },
    },
    '/readyz': {
      get: {
        tags: ['operations'],
        operationId: 'ready',
        summary: 'Readiness: whether to send this replica traffic',
        description:
          'A 503 NOT_READY (`error.ready: false`, `error.reason`: `draining` once shutdown began, `memory` while the requests in flight hold more than 90% of MEMORY_BUDGET_BYTES) tells a load balancer to send requests elsewhere; /healthz stays the liveness probe.',
        responses: {
          ...ok('ready', json({ type: 'object', properties: { ready: { const: true } }, required: ['ready'], additionalProperties: false })),
          ...errorResponses(['NOT_READY']),
        },
      },
    },
    '/metrics': {
      get: {
        tags: ['operations'],
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        ...(opts.metricsOnMainPort === false ? { description: 'served on METRICS_PORT; on this port a 404 NOT_FOUND' } : {}),
        responses: ok('the Prometheus text exposition format', { 'text/plain': { schema: { type: 'string' } } }),
      },
    },
    '/': page('landing', 'The landing page', 'links to everything here; a JSON index for Accept: application/json', {
      'text/html': { schema: { type: 'string' } },
      ...json(ref('LandingIndex')),
    }),
    ...(opts.graphiql ? { '/graphiql': page('graphiql', 'GraphiQL', 'an in-browser IDE for /graphql, served from the graphiql package (no CDN)') } : {}),
    '/docs': page('docs', 'This documentation (Swagger UI)', 'Swagger UI, served from @fastify/swagger-ui (no CDN)'),
    '/openapi.json': page('openapi', 'This document', 'OpenAPI 3.1', json({ type: 'object' })),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'convlens',
      version: opts.version,
      summary: opts.description,
      description: [
        `[Home](/)${opts.graphiql ? ' · [GraphiQL](/graphiql)' : ''} · [this document as JSON](/openapi.json)`,
        'Every error is `{ error: { code, message, path, layer, shapes }, requestId }` with a stable code from the catalog; a known path with another method is a 405 METHOD_NOT_ALLOWED with `Allow`.',
      ].join('\n\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [
      { name: 'analysis', description: 'shapes, costs and receptive fields' },
      { name: 'compute', description: 'reference kernels: operators, networks, transforms' },
      { name: 'jobs', description: 'long work queued and read later: analyses, runs, batches (NDJSON results)' },
      { name: 'catalog', description: 'built-in models and operators' },
      { name: 'schemas', description: 'JSON Schemas of the spec and the report' },
      { name: 'graphql', description: 'the same over GraphQL' },
      { name: 'operations', description: 'health and metrics' },
      { name: 'pages', description: 'for people' },
    ],
    paths: withAccess(paths, opts),
    ...(opts.apiKeys ? { security: [{ bearer: [] }, { apiKey: [] }] } : {}),
    components: { schemas, ...(opts.apiKeys ? { securitySchemes: SECURITY_SCHEMES } : {}) },
  };
}
