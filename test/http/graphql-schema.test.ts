/**
 * The schema as tools see it: the standard introspection query (GraphiQL, codegen, Postman) is
 * answered; every type, field, argument, input field and enum value is described; and the cost
 * bound refuses an over-complex document before any resolver runs (the pool is spied on).
 */
import type { FastifyInstance } from 'fastify';
import { buildClientSchema, buildSchema, getIntrospectionQuery, graphqlSync, parse, printSchema, specifiedRules, validate } from 'graphql';
import type { IntrospectionQuery } from 'graphql';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { complexityRule } from '../../src/http/graphql/complexity.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';

let app: FastifyInstance;
let pool: TaskPool;
let run: ReturnType<typeof vi.spyOn>;
beforeAll(async () => {
  const config = loadConfig({ WORKERS: '1' });
  pool = createPool(config);
  run = vi.spyOn(pool, 'run');
  app = await buildApp({ config, pool });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await pool.close();
});
beforeEach(() => {
  run.mockClear();
});

const gql = (query: string, variables: Record<string, unknown> = {}) => request(app.server).post('/graphql').send({ query, variables });

const ALL_OPTIONS = { descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true };

describe('introspection', () => {
  it('the standard getIntrospectionQuery() is answered, and builds a client schema (what GraphiQL and codegen do)', async () => {
    const res = await gql(getIntrospectionQuery()).expect(200);
    expect(res.body.errors).toBeUndefined();
    const sdl = printSchema(buildClientSchema(res.body.data as IntrospectionQuery));
    expect(sdl).toContain('type Tensor {');
    expect(sdl).toContain('run(');
  });

  it('getIntrospectionQuery() with every option (deprecated arguments, repeatable directives …) is answered', async () => {
    const res = await gql(getIntrospectionQuery(ALL_OPTIONS)).expect(200);
    expect(res.body.errors).toBeUndefined();
    const query = res.body.data.__schema.types.find((t: { name: string }) => t.name === 'Query');
    const runArgs = query.fields.find((f: { name: string }) => f.name === 'run').args;
    expect(runArgs.find((a: { name: string }) => a.name === 'format')).toMatchObject({ isDeprecated: true });
  });

  it('__type(name: "Tensor") answers its fields', async () => {
    const res = await gql('{ __type(name: "Tensor") { fields { name type { kind ofType { name } } } } }').expect(200);
    expect(res.body.data.__type.fields.map((f: { name: string }) => f.name)).toEqual(['shape', 'dtype', 'data', 'base64', 'stats']);
  });
});

/** Everything without a description (or with an empty one), as `Type`, `Type.field`, `Type.field(arg)`, `Enum.VALUE`. */
function undescribed(schema: IntrospectionQuery['__schema']): string[] {
  const missing: string[] = [];
  const check = (what: string, d: string | null | undefined) => {
    if (!d || d.trim().length < 8) missing.push(what);
  };
  for (const t of schema.types) {
    if (t.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(t.name)) continue;
    check(t.name, t.description);
    if (t.kind === 'OBJECT' || t.kind === 'INTERFACE') {
      for (const f of t.fields) {
        check(`${t.name}.${f.name}`, f.description);
        for (const a of f.args) check(`${t.name}.${f.name}(${a.name})`, a.description);
      }
    }
    if (t.kind === 'INPUT_OBJECT') for (const f of t.inputFields) check(`${t.name}.${f.name}`, f.description);
    if (t.kind === 'ENUM') for (const v of t.enumValues) check(`${t.name}.${v.name}`, v.description);
  }
  return missing;
}

describe('descriptions', () => {
  it('every type, field, argument, input field and enum value of the served schema is described', async () => {
    const res = await gql(getIntrospectionQuery(ALL_OPTIONS)).expect(200);
    expect(undescribed(res.body.data.__schema)).toEqual([]);
  });

  it('the walk finds what is missing (a schema with none: the type, the field and its argument)', () => {
    const schema = buildSchema('type Query { "A field." a(x: Int): Int b: Int } enum E { "The one." ONE TWO } input I { "A field." f: Int g: Int }');
    const result = graphqlSync({ schema, source: getIntrospectionQuery(ALL_OPTIONS) });
    expect(undescribed((result.data as unknown as IntrospectionQuery).__schema)).toEqual(['Query', 'Query.a(x)', 'Query.b', 'E', 'E.TWO', 'I', 'I.g']);
  });
});

describe('cost bound: refused before any resolver runs, with QUERY_TOO_COMPLEX', () => {
  const tiny = { inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'r', op: 'relu' }] };
  const tensor = { shape: [1, 1, 4, 4], data: Array.from({ length: 16 }, (_, i) => i) };

  it('three aliased runs weigh 3 × 25 = 75 > 50: 400, no data, the weights in the message, no pool task', async () => {
    const q = `query($s: JSON, $t: JSON!) { ${['a', 'b', 'c'].map((k) => `${k}: run(spec: $s, inputs: $t) { outputs { name } }`).join(' ')} }`;
    const res = await gql(q, { s: tiny, t: tensor }).expect(400);
    expect(res.body).not.toHaveProperty('data');
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].message).toBe(
      "the operation weighs 75 (run ×3 = 75); the limit is 50. Root fields weigh run 25, sweep 25, effectiveReceptiveField 25, compare 20, analyze 10, runOperator 10, foldBatchNorm 5, model 5, operators 5, conventions 3, any other 1; a report's analyses memory 2, explain 2, html 3, deployed 1, roofline 1, modules 1, convention 1, markdown 1, csv 1, netron 1, and each alias counts: split the work over several requests.",
    );
    expect(res.body.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', path: '$.query', limit: 50, weight: 75, rootFields: { run: 3 } });
    expect(run).not.toHaveBeenCalled();
  });

  it('the same over application/json: 200 with errors and no data, still nothing run', async () => {
    const q = `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: analyze(model: "resnet18") { name }`).join(' ')} }`;
    const res = await request(app.server).post('/graphql').set('accept', 'application/json').send({ query: q }).expect(200);
    expect(res.body).not.toHaveProperty('data');
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', weight: 60 });
    expect(run).not.toHaveBeenCalled();
  });

  it('runs hidden in a fragment and an inline fragment count too (run ×2 + analyze ×1 = 60)', async () => {
    const q = 'query($s: JSON, $t: JSON!) { ...R ... on Query { c: analyze(spec: $s) { name } } } fragment R on Query { a: run(spec: $s, inputs: $t) { outputs { name } } b: run(spec: $s, inputs: $t) { outputs { name } } }';
    const res = await gql(q, { s: tiny, t: tensor }).expect(400);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', weight: 60, rootFields: { run: 2, analyze: 1 } });
    expect(run).not.toHaveBeenCalled();
  });

  it('51 aliased catalog reads weigh 51 > 50', async () => {
    const q = `{ ${Array.from({ length: 51 }, (_, i) => `m${i}: models { name }`).join(' ')} }`;
    const res = await gql(q).expect(400);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', weight: 51 });
  });

  it('501 aliases inside one analyze select 503 fields > 500', async () => {
    const q = `query($s: JSON) { analyze(spec: $s) { layers { ${Array.from({ length: 501 }, (_, i) => `n${i}: name`).join(' ')} } } }`;
    const res = await gql(q, { s: tiny }).expect(400);
    expect(res.body.errors[0].message).toBe('the operation selects 503 fields (fragments expanded at every spread, aliases counted); the limit is 500.');
    expect(run).not.toHaveBeenCalled();
  });

  it('fragments that spread the next one twice, 24 deep (2^24 fields expanded), are measured at once and refused', async () => {
    const n = 24;
    const frags = Array.from({ length: n }, (_, i) => `fragment F${i} on LayerReport { ${i === n - 1 ? 'name' : `...F${i + 1} ... on LayerReport { ...F${i + 1} }`} }`).join(' ');
    const started = performance.now();
    const res = await gql(`query($s: JSON) { analyze(spec: $s) { layers { ...F0 } } } ${frags}`, { s: tiny }).expect(400);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', fields: 2 + 2 ** (n - 1) });
    expect(run).not.toHaveBeenCalled();
  });

  it('fragments on Query that spread the next one twice, 40 deep, at the root: weighed at once (2^40 models fields) and refused, not walked 2^40 times on the event loop', async () => {
    const n = 40;
    const frags = Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ');
    const started = performance.now();
    const res = await gql(`{ ...F0 } ${frags} fragment F${n} on Query { models { name } }`).expect(400);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', weight: 2 ** n, rootFields: { models: 2 ** n } });
    expect(run).not.toHaveBeenCalled();
  });

  it('fragments on Query that spread the next one three times, 700 deep: the weight 3^700 (past a double, which answered null) is its exact digits in extensions, its magnitude in the message', async () => {
    const n = 700;
    const frags = Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} ...F${i + 1} }`).join(' ');
    const res = await gql(`{ ...F0 } ${frags} fragment F${n} on Query { models { name } }`).expect(400);
    const exact = (3n ** 700n).toString();
    expect(exact).toHaveLength(334);
    const complex = res.body.errors.filter((e: { extensions: { weight?: unknown } }) => e.extensions.weight !== undefined);
    expect(complex[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', path: '$.query', limit: 50, weight: exact, rootFields: { models: exact } });
    expect(complex[0].message).toContain(`weighs about ${exact[0]}.${exact.slice(1, 3)}e+333 (models ×about`);
    const fields = res.body.errors.find((e: { extensions: { fields?: unknown } }) => e.extensions.fields !== undefined);
    expect(fields.extensions.fields).toBe((3n ** 700n * 2n).toString());
    expect(run).not.toHaveBeenCalled();
  });

  it('within the bound it runs: five analyses (weight 50) are five pool tasks', async () => {
    const q = `query($s: JSON) { ${Array.from({ length: 5 }, (_, i) => `a${i}: analyze(spec: $s) { totals { layers } }`).join(' ')} }`;
    const res = await gql(q, { s: tiny }).expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.a4).toEqual({ totals: { layers: 1 } });
    expect(run).toHaveBeenCalledTimes(5);
  });
});

describe('complexityRule on a recursive schema (convlens\'s own is acyclic, so no query nests past 6 but through introspection)', () => {
  const schema = buildSchema('type Query { node: Node } type Node { next: Node value: Int }');
  const errors = (query: string, limits = { rootWeight: 50, fields: 500, depth: 3 }) => validate(schema, parse(query), [...specifiedRules, complexityRule(limits)]);

  it('depth 3 passes, depth 4 is refused naming the deepest path by alias', () => {
    expect(errors('{ node { next { value } } }')).toEqual([]);
    const [e] = errors('{ node { deep: next { next { value } } } }');
    expect(e.message).toBe('the operation nests fields 4 deep (node.deep.next.value); the limit is 3 (introspection under __schema and __type is exempt).');
    expect(e.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 3, depth: 4, fieldPath: ['node', 'deep', 'next', 'value'] });
  });

  it('depth counts through fragments; a named operation is named', () => {
    const [e] = errors('query Deep { node { ...N } } fragment N on Node { next { next { value } } }');
    expect(e.message).toMatch(/^operation Deep nests fields 4 deep \(node\.next\.next\.value\)/);
  });

  it('introspection nests 9 deep under __schema and __type and is exempt from the depth', () => {
    const ofType = (n: number): string => (n === 0 ? 'name' : `ofType { ${ofType(n - 1)} }`);
    expect(errors(`{ __schema { types { fields { type { ${ofType(6)} } } } } __type(name: "Node") { fields { type { ${ofType(6)} } } } }`)).toEqual([]);
  });

  it('introspection still counts towards the fields', () => {
    const [e] = errors('{ __schema { types { name kind description } } }', { rootWeight: 50, fields: 4, depth: 3 });
    expect(e.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', fields: 5, limit: 4 });
  });

  it('a fragment cycle is left to NoFragmentCyclesRule (no stack overflow)', () => {
    const messages = errors('{ node { ...A } } fragment A on Node { next { ...B } } fragment B on Node { next { ...A } }').map((e) => e.message);
    expect(messages).toContain('Cannot spread fragment "A" within itself via "B".');
  });
});
