/**
 * GET /openapi.json: an OpenAPI 3.1 document, structurally valid, every $ref resolving, every route
 * of the app documented and nothing else; its request examples answer 200 with the documented
 * response schema, and documented error codes are the ones the routes answer.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ReportSchema } from '../../src/analysis/report.js';
import { AnalysisReportSchema } from '../../src/analysis/extras.js';
import { SweepReportSchema } from '../../src/analysis/sweep.js';
import { CompareResponse } from '../../src/http/openapi-reports.js';
import { ERROR_CATALOG } from '../../src/errors.js';
import { networkSpecSchema } from '../../src/graph/network.js';
import { registeredRoutes } from '../../src/http/errors.js';
import * as R from '../../src/http/responses.js';
import { AnalyzeBody, CompareRequest, FoldRequest, OperatorRequest, RunRequest, SweepRequest } from '../../src/http/requests.js';
import { testApp } from './app.js';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Routes that serve the documentation pages' own assets: not API, not documented. */
const ASSET_ROUTES = [/^\/graphiql\/assets\//, /^\/docs\/./];

/** The zod schema behind each response component, to check real answers with. */
const RESPONSE_SCHEMAS: Record<string, z.ZodType> = {
  Report: ReportSchema,
  AnalysisReport: AnalysisReportSchema,
  CompareResponse,
  SweepReport: SweepReportSchema,
  DevicesResponse: R.DevicesResponse,
  ConventionsResponse: R.ConventionsResponse,
  NetworkSpec: networkSpecSchema(),
  RunResponse: R.RunResponse,
  OperatorResponse: R.OperatorResponse,
  FoldResponse: R.FoldResponse,
  ModelsResponse: R.ModelsResponse,
  OperatorsResponse: R.OperatorsResponse,
  JsonSchema: R.JsonSchemaResponse,
  Health: R.HealthResponse,
  GraphQLResponse: R.GraphQLResponse,
  LandingIndex: R.LandingIndex,
};
const REQUEST_SCHEMAS: Record<string, z.ZodType> = { RunRequest, OperatorRequest, FoldRequest, AnalyzeBody, CompareRequest, SweepRequest, NetworkSpec: networkSpecSchema() };

function resolvePointer(doc: Json, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<any>((node, key) => (node && typeof node === 'object' ? node[key] : undefined), doc);
}

function* walk(node: unknown, at = '#'): Generator<[string, Json]> {
  if (!node || typeof node !== 'object') return;
  yield [at, node as Json];
  for (const [k, v] of Object.entries(node)) yield* walk(v, `${at}/${k}`);
}

const operations = (doc: Json) =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([m]) => METHODS.includes(m))
      .map(([method, op]) => ({ path, method, op: op as Json })),
  );

const refName = (schema: Json | undefined) => (schema?.$ref as string | undefined)?.replace('#/components/schemas/', '');

describe('GET /openapi.json', () => {
  let app: FastifyInstance;
  let doc: Json;
  beforeAll(async () => {
    app = await testApp();
    const res = await app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.json();
  });
  afterAll(async () => app.close());

  it('is OpenAPI 3.1.x with info.title, info.version = package.json version, and only the top-level fields 3.1 defines', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBe('convlens');
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    const allowed = ['openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks', 'components', 'security', 'tags', 'externalDocs'];
    expect(Object.keys(doc).filter((k) => !allowed.includes(k) && !k.startsWith('x-'))).toEqual([]);
  });

  it('every $ref is local and resolves; no schema carries its own $id or $schema', () => {
    const refs = [...walk(doc)].filter(([, n]) => typeof n.$ref === 'string');
    expect(refs.length).toBeGreaterThan(20);
    for (const [at, node] of refs) {
      expect(node.$ref, at).toMatch(/^#\//);
      expect(resolvePointer(doc, node.$ref), `${at} → ${node.$ref}`).toBeTypeOf('object');
    }
    for (const [id, schema] of Object.entries(doc.components.schemas as Json)) {
      expect(schema.$id, id).toBeUndefined();
      expect(schema.$schema, id).toBeUndefined();
    }
  });

  it('operations are well formed: unique operationIds, declared tags, path parameters for every {template}, responses with descriptions and valid status keys', () => {
    const ids = operations(doc).map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = new Set((doc.tags as Json[]).map((t) => t.name));
    for (const { path, method, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(path, where).toMatch(/^\//);
      for (const t of op.tags) expect(tags.has(t), `${where} tag ${t}`).toBe(true);
      const params = (op.parameters ?? []) as Json[];
      for (const p of params) {
        expect(['query', 'header', 'path', 'cookie'], where).toContain(p.in);
        expect(p.schema ?? p.content, `${where} ${p.name}`).toBeDefined();
      }
      const templates = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(params.filter((p) => p.in === 'path').map((p) => p.name).sort(), where).toEqual(templates.sort());
      for (const p of params.filter((p) => p.in === 'path')) expect(p.required, where).toBe(true);
      expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(op.responses as Json)) {
        expect(status, where).toMatch(/^([1-5]XX|[1-5]\d\d|default)$/);
        expect(response.description, `${where} ${status}`).toBeTypeOf('string');
      }
      if (op.requestBody) expect(Object.keys(op.requestBody.content).length, where).toBeGreaterThan(0);
    }
  });

  it('documents every route of the app (HEAD and the pages\' assets aside), and no route the app does not have', () => {
    const routes = registeredRoutes(app)
      .filter((r) => r.method !== 'HEAD' && !ASSET_ROUTES.some((re) => re.test(r.url)))
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    const documented = operations(doc).map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(routes).toContain('POST /v1/analyze');
    expect([...new Set(routes)].sort()).toEqual(documented.sort());
  });

  it('POST /v1/analyze takes a spec or { spec | model, options } as JSON, an ONNX file as octet-stream, or a multipart form', () => {
    const content = doc.paths['/v1/analyze'].post.requestBody.content;
    expect(Object.keys(content)).toEqual(expect.arrayContaining(['application/json', 'application/octet-stream', 'multipart/form-data']));
    expect(content['application/json'].schema.oneOf.map(refName)).toEqual(['NetworkSpec', 'AnalyzeBody']);
    expect(content['multipart/form-data'].schema.properties.model.format).toBe('binary');
    const params = doc.paths['/v1/analyze'].post.parameters.map((p: Json) => p.name);
    expect(params).toEqual(expect.arrayContaining(['model', 'resolution', 'input', 'dtype', 'flops', 'includeBias', 'memory', 'inPlace', 'device', 'depth', 'topK', 'convention', 'explain', 'deployed', 'format']));
    const answers = doc.paths['/v1/analyze'].post.responses['200'].content;
    expect(refName(answers['application/json'].schema)).toBe('AnalysisReport');
    // the text formats are documented as strings of their media types
    expect(Object.keys(answers).sort()).toEqual(['application/json', 'text/csv', 'text/html', 'text/markdown']);
    for (const t of ['text/csv', 'text/html', 'text/markdown']) expect(answers[t].schema.type, t).toBe('string');
    expect(Object.keys(doc.paths['/v1/models/{name}/report'].get.responses['200'].content)[0]).toBe('text/html');
    // the generated schemas are the zod ones: the spec's ops are its layer variants' op names
    expect(JSON.stringify(doc.components.schemas.NetworkSpec)).toContain('"conv2d"');
  });

  it('each error response names its catalog codes, all of that status, and refers to the Error schema (code, message, path, layer, shapes)', () => {
    const error = doc.components.schemas.Error;
    expect(Object.keys(error.properties.error.properties)).toEqual(['code', 'message', 'path', 'layer', 'shapes']);
    expect(error.properties.error.properties.code.enum).toEqual(Object.keys(ERROR_CATALOG));
    for (const { path, method, op } of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if (/^2\d\d$/.test(status)) continue;
        const schema = response.content['application/json'].schema;
        expect(refName(schema.allOf[0]), `${method} ${path} ${status}`).toBe('Error');
        for (const code of schema.properties.error.properties.code.enum as (keyof typeof ERROR_CATALOG)[]) {
          expect(ERROR_CATALOG[code].status, `${method} ${path} ${status} ${code}`).toBe(Number(status));
          expect(response.description).toContain(code);
        }
      }
    }
    const analyze = doc.paths['/v1/analyze'].post.responses;
    expect(Object.keys(analyze).sort()).toEqual(['200', '400', '404', '406', '413', '415', '500', '503']);
    expect(analyze['404'].content['application/json'].schema.properties.error.properties.code.enum).toEqual(['UNKNOWN_MODEL']);
  });

  it('path parameters list the registries: /v1/models/{name} the zoo, /v1/operators/{name} the operators', () => {
    const enumOf = (path: string, method: string) => doc.paths[path][method].parameters.find((p: Json) => p.in === 'path').schema.enum;
    expect(enumOf('/v1/models/{name}', 'get')).toEqual(expect.arrayContaining(['resnet18', 'resnet50', 'mobilenet_v2', 'unet']));
    expect(enumOf('/v1/operators/{name}', 'post')).toEqual(expect.arrayContaining(['conv2d', 'maxPool2d', 'linear', 'deformConv2d']));
  });

  it('every JSON request example matches its request schema, answers 200, and the answer matches the documented response schema', async () => {
    let checked = 0;
    for (const { path, method, op } of operations(doc)) {
      const media = op.requestBody?.content?.['application/json'];
      for (const [name, example] of Object.entries((media?.examples ?? {}) as Json)) {
        const where = `${method.toUpperCase()} ${path} example ${name}`;
        const schemaNames = media.schema.oneOf ? media.schema.oneOf.map(refName) : [refName(media.schema)];
        const requestSchemas = schemaNames.map((n: string) => REQUEST_SCHEMAS[n]).filter(Boolean);
        if (requestSchemas.length) expect(requestSchemas.some((s: z.ZodType) => s.safeParse(example.value).success), where).toBe(true);
        const url = path.replace('{name}', name);
        const res = await app.inject({ method: method.toUpperCase() as 'POST', url, payload: example.value as object });
        expect(res.statusCode, `${where}: ${res.body.slice(0, 300)}`).toBe(200);
        const responseSchema = RESPONSE_SCHEMAS[refName(op.responses['200'].content['application/json'].schema)!];
        const parsed = responseSchema.safeParse(res.json());
        expect(parsed.success, `${where}: ${parsed.error?.message}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it('the GET routes without parameters answer what they document', async () => {
    for (const { path, method, op } of operations(doc)) {
      const schema = op.responses['200']?.content['application/json']?.schema;
      if (method !== 'get' || path.includes('{') || op.parameters?.some((p: Json) => p.required) || !refName(schema)) continue;
      const res = await app.inject({ url: path, headers: { accept: 'application/json' } });
      expect(res.statusCode, path).toBe(200);
      const parsed = RESPONSE_SCHEMAS[refName(schema)!].safeParse(res.json());
      expect(parsed.success, `${path}: ${parsed.error?.message}`).toBe(true);
    }
    const spec = await app.inject({ url: '/v1/models/resnet18?resolution=160' });
    expect(networkSpecSchema().safeParse(spec.json()).success).toBe(true);
  });

  it('errors answer the documented Error schema with a code documented for that route and status', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/v1/analyze', { model: 'resnet19' }, '/v1/analyze'],
      ['POST', '/v1/analyze', { layers: [] }, '/v1/analyze'],
      ['GET', '/v1/models/resnet19', undefined, '/v1/models/{name}'],
      ['POST', '/v1/operators/conv4d', { inputs: [] }, '/v1/operators/{name}'],
      ['POST', '/v1/transforms/fold-batchnorm', { weight: { shape: [1], data: [1] } }, '/v1/transforms/fold-batchnorm'],
      ['POST', '/v1/analyze?model=resnet18&device=nope', undefined, '/v1/analyze'],
      ['POST', '/v1/compare', { old: 'resnet18', new: 'resnet19' }, '/v1/compare'],
      ['POST', '/v1/compare?format=pdf', { old: 'resnet18', new: 'resnet34' }, '/v1/compare'],
      ['POST', '/v1/sweep', { model: 'resnet18' }, '/v1/sweep'],
      ['GET', '/v1/models/resnet19/report', undefined, '/v1/models/{name}/report'],
      ['GET', '/v1/models/resnet18/report?depth=-1', undefined, '/v1/models/{name}/report'],
    ];
    // an Accept the route cannot answer: 406, documented
    const png = await app.inject({ method: 'POST', url: '/v1/analyze?model=resnet18', headers: { accept: 'image/png' } });
    expect(png.statusCode).toBe(406);
    expect(doc.paths['/v1/analyze'].post.responses['406'].content['application/json'].schema.properties.error.properties.code.enum).toEqual(['NOT_ACCEPTABLE']);
    for (const [method, url, payload, path] of cases) {
      const res = await app.inject({ method: method as 'POST', url, ...(payload ? { payload: payload as object } : {}) });
      const body = R.ErrorResponse.parse(res.json());
      const documented = doc.paths[path][method.toLowerCase()].responses[String(res.statusCode)];
      expect(documented, `${method} ${url} answered ${res.statusCode} ${body.error.code}`).toBeDefined();
      expect(documented.content['application/json'].schema.properties.error.properties.code.enum, `${method} ${url}`).toContain(body.error.code);
    }
  });

  it('every text answer documented for the report routes (analyze, a model\'s report, compare, sweep) is served, by Accept, with that media type', async () => {
    const probes: Record<string, { method: 'GET' | 'POST'; url: string; payload?: object }> = {
      '/v1/analyze': { method: 'POST', url: '/v1/analyze?model=resnet18' },
      '/v1/models/{name}/report': { method: 'GET', url: '/v1/models/resnet18/report' },
      '/v1/compare': { method: 'POST', url: '/v1/compare', payload: { old: 'resnet18', new: 'resnet34' } },
      '/v1/sweep': { method: 'POST', url: '/v1/sweep', payload: { model: 'resnet18', sizes: [160, 224] } },
    };
    let checked = 0;
    for (const { path, method, op } of operations(doc)) {
      const types = Object.keys(op.responses['200']?.content ?? {}).filter((t) => t.startsWith('text/'));
      if (!types.length || path.startsWith('/graphiql') || ['/', '/docs', '/openapi.json', '/metrics'].includes(path)) continue;
      const probe = probes[path];
      expect(probe, `${method.toUpperCase()} ${path} documents ${types.join(', ')}: probe it here`).toBeDefined();
      for (const type of types) {
        const res = await app.inject({ method: probe.method, url: probe.url, headers: { accept: type }, ...(probe.payload ? { payload: probe.payload } : {}) });
        expect(res.statusCode, `${path} ${type}`).toBe(200);
        expect(res.headers['content-type'], `${path} ${type}`).toMatch(new RegExp(`^${type}`));
        expect(res.body.length, `${path} ${type}`).toBeGreaterThan(100);
        checked++;
      }
    }
    expect(checked).toBe(3 + 3 + 1 + 1);
  });

  it('with GRAPHIQL=false the document has no /graphiql', async () => {
    const other = await testApp({ GRAPHIQL: 'false' });
    try {
      const d = (await other.inject({ url: '/openapi.json' })).json();
      expect(d.paths['/graphiql']).toBeUndefined();
      expect(d.paths['/docs']).toBeDefined();
    } finally {
      await other.close();
    }
  });
});
