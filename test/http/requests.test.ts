import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { AnalyzeBody, AnalyzeQuery, CompareRequest, FoldRequest, ModelQuery, OperatorQuery, OperatorRequest, RunRequest, parseRequest } from '../../src/http/requests.js';
import type { Where } from '../../src/http/requests.js';
import { ErfRequest } from '../../src/http/erf-request.js';
import { queryOptions } from '../../src/http/report-answers.js';
import { errorOf } from '../helpers.js';

const body: Where = { in: 'body' };
const query: Where = { in: 'query' };
const t = { shape: [1], data: [1] };
const SCHEMAS: Record<string, z.ZodType> = { OperatorRequest, OperatorQuery, RunRequest, FoldRequest, AnalyzeBody, AnalyzeQuery, ModelQuery };
const bn = { weight: { shape: [1, 1, 1, 1], data: [1] }, gamma: t, beta: t, runningMean: t, runningVar: t };

describe('unknown keys: 400 INVALID_OPTION naming the key, its JSONPath and the closest known key', () => {
  it('a body field: { spec, optoins } → $.optoins, did you mean options', () => {
    const e = errorOf(() => parseRequest(AnalyzeBody, { spec: {}, optoins: { dtype: 'int8' } }, body));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details).toMatchObject({ path: '$.optoins', suggestion: 'options', known: ['spec', 'model', 'resolution', 'options'] });
    expect(e.message).toContain("'optoins' (did you mean 'options'?)");
  });

  it('a key inside options: { options: { dtpye } } → $.options.dtpye, did you mean dtype', () => {
    const e = errorOf(() => parseRequest(AnalyzeBody, { model: 'resnet18', options: { dtpye: 'int8' } }, body));
    expect(e.details).toMatchObject({ path: '$.options.dtpye', suggestion: 'dtype', known: ['dtype', 'flops', 'includeBias', 'depth', 'topK', 'memory', 'inPlace', 'device', 'convention', 'convTranspose', 'explain', 'deployed', 'erf'] });
  });

  it('a query parameter: ?resolutoin= → query.resolutoin, did you mean resolution', () => {
    const e = errorOf(() => parseRequest(AnalyzeQuery, { model: 'resnet18', resolutoin: '320' }, query));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details).toMatchObject({ path: 'query.resolutoin', suggestion: 'resolution' });
    expect(e.message).toMatch(/^unknown query parameter 'resolutoin'/);
    expect(errorOf(() => parseRequest(ModelQuery, { resoltion: '32' }, query)).details).toMatchObject({ path: 'query.resoltion', suggestion: 'resolution' });
  });

  it("a key inside ?device's JSON profile is a field of it, not a query parameter: ?device={…, foo} → query.device.foo, 'unknown field'", () => {
    const e = errorOf(() => queryOptions({ device: JSON.stringify({ name: 'x', peaks: { float32: 1, fp8: 1 }, bandwidth: 1 }) }));
    expect(e.details).toMatchObject({ path: 'query.device.peaks.fp8' });
    expect(e.message).toMatch(/^unknown field 'fp8' at query\.device\.peaks\.fp8/);
    expect(errorOf(() => queryOptions({ device: JSON.stringify({ name: 'x', peaks: { float32: 1 }, bandwidth: 1, foo: 1 }) })).message).toMatch(/^unknown field 'foo' at query\.device\.foo/);
    expect(errorOf(() => parseRequest(AnalyzeQuery, { model: 'resnet18', resolutoin: '320' }, query)).message).toMatch(/^unknown query parameter 'resolutoin'/);
  });

  it('nothing close: no suggestion, the known keys still listed', () => {
    const e = errorOf(() => parseRequest(RunRequest, { model: 'resnet18', zebra: 1 }, body));
    expect(e.details.path).toBe('$.zebra');
    expect(e.details.suggestion).toBeUndefined();
    expect(e.details.known).toContain('capture');
  });

  it('several unknown keys: every one named, each with its path and suggestion', () => {
    const e = errorOf(() => parseRequest(RunRequest, { model: 'resnet18', captur: [], sed: 1 }, body));
    expect(e.message).toContain("'captur' (did you mean 'capture'?), 'sed' (did you mean 'seed'?)");
    expect(e.details).toMatchObject({ path: '$.captur', unknown: [{ path: '$.captur', suggestion: 'capture' }, { path: '$.sed', suggestion: 'seed' }] });
  });

  it('a misspelt key is reported before the required key it leaves missing: gama, not "gamma is required"', () => {
    const { gamma: _g, ...rest } = bn;
    const e = errorOf(() => parseRequest(FoldRequest, { ...rest, gama: t }, body));
    expect(e.details).toMatchObject({ path: '$.gama', suggestion: 'gamma' });
  });

  it("a key that is a field of an object beside it: { model, convention: 'fvcore' } → $.convention, a field of 'options' ($.options.convention), suggestion options.convention", () => {
    const e = errorOf(() => parseRequest(AnalyzeBody, { model: 'resnet18', convention: 'fvcore' }, body));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details).toMatchObject({ path: '$.convention', suggestion: 'options.convention', known: ['spec', 'model', 'resolution', 'options'] });
    expect(e.message).toBe("unknown field 'convention' (a field of 'options': $.options.convention) at $.convention; known: spec, model, resolution, options");
    // and with another unknown key beside it, each its own: memory homed, zebra nothing close
    const two = errorOf(() => parseRequest(AnalyzeBody, { model: 'resnet18', memory: true, zebra: 1 }, body));
    expect(two.details).toMatchObject({ unknown: [{ path: '$.memory', suggestion: 'options.memory' }, { path: '$.zebra' }] });
  });

  it('a query parameter is not homed (a query string is flat): ?convention= on a query without it is unknown with no suggestion', () => {
    const e = errorOf(() => parseRequest(ModelQuery, { convention: 'fvcore' }, query));
    expect(e.details.path).toBe('query.convention');
    expect(String(e.details.suggestion ?? '')).not.toContain('.');
    // no query schema has an object field, so the case above holds with or without the rule: a schema
    // with one, where the same key in a body is homed ($.options.convention), is not in a query
    const nested = z.strictObject({ model: z.string(), options: z.strictObject({ convention: z.string() }).optional() });
    expect(errorOf(() => parseRequest(nested, { model: 'resnet18', convention: 'fvcore' }, body)).details.suggestion).toBe('options.convention');
    const flat = errorOf(() => parseRequest(nested, { model: 'resnet18', convention: 'fvcore' }, query));
    expect(flat.details).toMatchObject({ path: 'query.convention' });
    expect(flat.details.suggestion).toBeUndefined();
    expect(flat.message).not.toContain('a field of');
  });

  it('under a prefix (options parsed on their own): $.options.<key>', () => {
    const e = errorOf(() => parseRequest(AnalyzeBody.shape.options.unwrap(), { flop: 'macs' }, { in: 'body', prefix: ['options'] }));
    expect(e.details).toMatchObject({ path: '$.options.flop', suggestion: 'flops' });
  });
});

describe('unknown keys inside a union (a network is a name or an object): the object branch\'s keys are listed (the list was empty: "known: ")', () => {
  it("compare's new { model, foo }: known spec, model, resolution, onnxBase64, inputShapes", () => {
    const e = errorOf(() => parseRequest(CompareRequest, { old: 'resnet18', new: { model: 'resnet18', foo: 1 } }, body));
    expect(e.details).toMatchObject({ path: '$.new.foo', known: ['spec', 'model', 'resolution', 'onnxBase64', 'inputShapes'] });
    expect(e.message).toBe("unknown field 'foo' at $.new.foo; known: spec, model, resolution, onnxBase64, inputShapes");
  });
});

describe('bad values: the catalog code of the field, and its path', () => {
  it.each([
    ['OperatorRequest', { attributes: 5 }, 'SPEC_INVALID', '$.attributes'],
    ['OperatorRequest', { inputs: 5 }, 'INVALID_TENSOR', '$.inputs'],
    ['OperatorRequest', { weights: [] }, 'INVALID_TENSOR', '$.weights'],
    ['OperatorRequest', { seed: 1.5 }, 'INVALID_OPTION', '$.seed'],
    ['OperatorRequest', { training: 'yes' }, 'INVALID_OPTION', '$.training'],
    ['OperatorRequest', { format: 'xml' }, 'INVALID_OPTION', '$.format'],
    ['RunRequest', { spec: 'vgg' }, 'SPEC_INVALID', '$.spec'],
    ['RunRequest', { model: 'resnet18', resolution: 0 }, 'INVALID_OPTION', '$.resolution'],
    ['RunRequest', { model: 'resnet18', weightInit: 'zeros' }, 'INVALID_OPTION', '$.weightInit'],
    ['RunRequest', { model: 'resnet18', capture: 'conv1' }, 'INVALID_OPTION', '$.capture'],
    ['RunRequest', { model: 'resnet18', capture: ['conv1', 7] }, 'INVALID_OPTION', '$.capture[1]'],
    ['FoldRequest', { ...bn, eps: 0 }, 'INVALID_OPTION', '$.eps'],
    ['AnalyzeBody', { model: 'resnet18', options: { flops: 'lots' } }, 'INVALID_OPTION', '$.options.flops'],
  ] as const)('%s %j: %s at %s', (name, raw, code, path) => {
    const e = errorOf(() => parseRequest(SCHEMAS[name], raw, body));
    expect(e.code).toBe(code);
    expect(e.details.path).toBe(path);
  });

  it('a capture asked twice is INVALID_OPTION at its second place (the answer held it once, so a list zipped with capture was off by one)', () => {
    const e = errorOf(() => parseRequest(RunRequest, { model: 'resnet18', capture: ['conv1', 'layer1', 'conv1'] }, body));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details.path).toBe('$.capture[2]');
    expect(e.message).toContain("'conv1' is asked twice (capture[0] and capture[2])");
  });

  it('a missing tensor: INVALID_TENSOR "$.weight is required"', () => {
    const { weight: _w, ...rest } = bn;
    const e = errorOf(() => parseRequest(FoldRequest, rest, body));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.message).toBe('$.weight is required');
  });

  it.each([
    ['AnalyzeQuery', { resolution: 'big' }, 'query.resolution'],
    ['AnalyzeQuery', { resolution: '9000' }, 'query.resolution'],
    ['AnalyzeQuery', { dtype: 'float64' }, 'query.dtype'],
    ['AnalyzeQuery', { includeBias: 'yes' }, 'query.includeBias'],
    ['OperatorQuery', { seed: '1.5' }, 'query.seed'],
  ] as const)('%s %j: INVALID_OPTION at %s', (name, raw, path) => {
    const e = errorOf(() => parseRequest(SCHEMAS[name], raw, query));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details.path).toBe(path);
  });
});

describe('parsed values', () => {
  it('defaults: attributes {}, training false, seed 0, capture [], fuse true, eps 1e-5', () => {
    expect(parseRequest(OperatorRequest, {}, body)).toEqual({ attributes: {}, training: false, seed: 0 });
    expect(parseRequest(RunRequest, { model: 'vgg11' }, body)).toEqual({ model: 'vgg11', training: false, seed: 0, capture: [], fuse: true });
    expect(parseRequest(FoldRequest, bn, body).eps).toBe(1e-5);
  });

  it('query strings become numbers and booleans: ?resolution=320&includeBias=1&seed=3&training=false', () => {
    expect(parseRequest(AnalyzeQuery, { model: 'resnet18', resolution: '320', includeBias: '1', flops: 'macs' }, query)).toEqual({
      model: 'resnet18',
      resolution: 320,
      includeBias: true,
      flops: 'macs',
    });
    expect(parseRequest(OperatorQuery, { seed: '3', training: 'false' }, query)).toEqual({ seed: 3, training: false });
  });

  it('a seed is 0 to 2^32 − 1, the generator\'s 32-bit state: 4294967296 (seed 0\'s numbers again) and −3 are INVALID_OPTION at the seed', () => {
    expect(parseRequest(RunRequest, { model: 'vgg11', seed: 4294967295 }, body).seed).toBe(4294967295);
    for (const seed of [4294967296, -3, 1e30]) {
      const e = errorOf(() => parseRequest(RunRequest, { model: 'vgg11', seed }, body));
      expect([e.code, e.details.path, e.message]).toEqual(['INVALID_OPTION', '$.seed', '$.seed: must be an integer from 0 to 4294967295']);
    }
    const q = errorOf(() => parseRequest(OperatorQuery, { seed: '4294967296' }, query));
    expect([q.code, q.details.path]).toEqual(['INVALID_OPTION', 'query.seed']);
  });

  it('tensors pass through undecoded (decodeTensor checks them once, later)', () => {
    const malformed = { shape: [3], data: [1, 2] };
    expect(parseRequest(OperatorRequest, { inputs: [malformed] }, body).inputs).toEqual([malformed]);
  });
});

describe('integer options out of range say the range, not "must be an integer"', () => {
  it.each([
    ['?resolution=0', AnalyzeQuery, { model: 'resnet18', resolution: '0' }, query, 'query.resolution', 'must be an integer from 1 to 8192'],
    ['?resolution=-5', AnalyzeQuery, { model: 'resnet18', resolution: '-5' }, query, 'query.resolution', 'must be an integer from 1 to 8192'],
    ['?resolution=8193', AnalyzeQuery, { model: 'resnet18', resolution: '8193' }, query, 'query.resolution', 'must be an integer from 1 to 8192'],
    ['?topK=100000', AnalyzeQuery, { model: 'resnet18', topK: '100000' }, query, 'query.topK', 'must be an integer from 0 to 1000'],
    ['?depth=1000', AnalyzeQuery, { model: 'resnet18', depth: '1000' }, query, 'query.depth', 'must be an integer from 0 to 64'],
    ['{ resolution: 100000 }', AnalyzeBody, { model: 'resnet18', resolution: 100000 }, body, '$.resolution', 'must be an integer from 1 to 8192'],
    ['{ resolution: 2.5 }', AnalyzeBody, { model: 'resnet18', resolution: 2.5 }, body, '$.resolution', 'must be an integer from 1 to 8192'],
    ['{ options: { depth: -1 } }', AnalyzeBody, { model: 'resnet18', options: { depth: -1 } }, body, '$.options.depth', 'must be an integer from 0 to 64'],
    ['erf { samples: 1000 }', ErfRequest, { model: 'resnet18', samples: 1000 }, body, '$.samples', 'samples must be an integer from 1 to 64'],
  ] as const)('%s is INVALID_OPTION at its path, saying the range', (_, schema, value, where, path, says) => {
    const e = errorOf(() => parseRequest(schema as z.ZodType, value, where));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details).toMatchObject({ path });
    expect(e.message).toContain(says);
  });
});

describe('documentation: the JSON Schemas an OpenAPI document is generated from', () => {
  const doc = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as { properties: Record<string, { description?: string }>; additionalProperties?: boolean };

  it.each(Object.entries(SCHEMAS))('%s: closed (additionalProperties false), every field described', (_, schema) => {
    const d = doc(schema);
    expect(d.additionalProperties).toBe(false);
    const undocumented = Object.entries(d.properties).filter(([, p]) => !p.description);
    expect(undocumented.map(([k]) => k)).toEqual([]);
  });

  it("a tensor field documents TensorJson's two forms: { shape, data } and { shape, dtype, base64 }", () => {
    const weight = doc(FoldRequest).properties.weight as { description: string; anyOf: { required: string[] }[] };
    expect(weight.description).toBe('the conv weight [Cout, Cin/g, Kh, Kw]');
    expect(weight.anyOf.map((a) => a.required)).toEqual([
      ['shape', 'data'],
      ['shape', 'base64'],
    ]);
    expect(JSON.stringify(doc(RunRequest))).not.toContain('$ref');
  });
});
