/**
 * GraphQL errors as a person and a client need them: graphql-js's own messages for syntax and
 * validation, catalog codes for domain errors, and the status codes of the GraphQL-over-HTTP spec
 * (graphql/graphql-over-http, "Status Codes"): a request error is 400 under
 * application/graphql-response+json (also the default without Accept) and 200 under
 * application/json, with `errors` and no `data`; a field error is 200 with `data`.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseMediaType } from '../../src/http/graphql/errors.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const GQL = 'application/graphql-response+json';
const post = (body: unknown, accept?: string) => {
  const r = request(app.server).post('/graphql');
  if (accept) r.set('accept', accept);
  return r.send(body as object);
};

describe('GraphQL request errors: the message graphql-js wrote, GRAPHQL_INVALID at the document ($.query; it had no path), no data', () => {
  const cases: [string, string, RegExp][] = [
    ['a syntax error (an unclosed selection)', '{ models { name ', /^Syntax Error: Expected Name, found <EOF>\.$/],
    ['an unknown field "parms" (Did you mean "params"?)', '{ analyze(model: "resnet18") { totals { parms } } }', /^Cannot query field "parms" on type "Totals"\. Did you mean "params"( or "macs")?\?$/],
    ['an argument of the wrong type (resolution: "high")', '{ analyze(model: "resnet18", resolution: "high") { name } }', /^Int cannot represent non-integer value: "high"$/],
    ['an unknown argument "modle"', '{ analyze(modle: "resnet18") { name } }', /^Unknown argument "modle" on field "Query\.analyze"\. Did you mean "model"\?$/],
    ['a missing selection on an object field', '{ analyze(model: "resnet18") }', /^Field "analyze" of type "Report" must have a selection of subfields\. Did you mean "analyze \{ \.\.\. \}"\?$/],
    // the schema has no Subscription type: before, execution's "not configured" error came back 200 as INTERNAL
    ['a subscription (the service has none)', 'subscription watch { x }', /^this service has no subscription operations, so the subscription 'watch' cannot run: it answers queries \(analyze, .*\) and mutations \(submitJob, cancelJob\); poll a job with job\(id\) rather than subscribing$/],
  ];
  for (const [what, query, message] of cases) {
    it(`${what}: 400 under ${GQL} (and without Accept), 200 under application/json`, async () => {
      for (const [accept, status, type] of [
        [undefined, 400, GQL],
        [GQL, 400, GQL],
        ['application/json', 200, 'application/json'],
      ] as const) {
        const res = await post({ query }, accept);
        expect(res.status, `Accept: ${accept}`).toBe(status);
        expect(res.headers['content-type']).toBe(`${type}; charset=utf-8`);
        expect(res.body).not.toHaveProperty('data');
        expect(res.body.errors).toHaveLength(1);
        expect(res.body.errors[0].message).toMatch(message);
        expect(res.body.errors[0].extensions).toEqual({ code: 'GRAPHQL_INVALID', path: '$.query' });
        expect(res.body.errors[0].locations[0].line).toBe(1);
      }
    });
  }

  it('a query that is JSON but not GraphQL ("{}") is a syntax error, not an internal one', async () => {
    const res = await post({ query: '{}' }).expect(400);
    expect(res.body.errors[0]).toMatchObject({ message: 'Syntax Error: Expected Name, found "}".', extensions: { code: 'GRAPHQL_INVALID', path: '$.query' }, locations: [{ line: 1, column: 2 }] });
  });

  it('a body sent as application/graphql (the document itself): the syntax error is at $, the body', async () => {
    const res = await request(app.server).post('/graphql').set('content-type', 'application/graphql').send('{ models { name ').expect(400);
    expect(res.body.errors[0]).toMatchObject({ message: 'Syntax Error: Expected Name, found <EOF>.', extensions: { code: 'GRAPHQL_INVALID', path: '$' } });
  });

  it.each([
    ['never used', 'query($n: Int) { models { name } }', {}, 'Variable "$n" is never used.'],
    ['used where String! is expected', 'query($n: Int) { model(name: $n) }', { n: 1 }, 'Variable "$n" of type "Int" used in position expecting type "String!".'],
  ])('a variable %s is a fault of the document: at $.query, not at $.variables.n (which the request may not even hold)', async (_, query, variables, message) => {
    const res = await post({ query, variables }).expect(400);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0]).toMatchObject({ message, extensions: { code: 'GRAPHQL_INVALID', path: '$.query' } });
  });

  it('over GET (?query={models): the syntax error is at query.query, line 1 column 8', async () => {
    const res = await request(app.server).get('/graphql').query({ query: '{models' }).expect(400);
    expect(res.body.errors).toEqual([{ message: 'Syntax Error: Expected Name, found <EOF>.', locations: [{ line: 1, column: 8 }], extensions: { code: 'GRAPHQL_INVALID', path: 'query.query' } }]);
  });

  it('a variable of the wrong type ($r: Int given "high") names the variable', async () => {
    const res = await post({ query: 'query($r: Int) { analyze(model: "resnet18", resolution: $r) { name } }', variables: { r: 'high' } }).expect(400);
    expect(res.body.errors[0].message).toBe('Variable "$r" got invalid value "high"; Int cannot represent non-integer value: "high"');
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_INVALID');
    expect(res.body).not.toHaveProperty('data');
  });

  it('nothing runs: no worker task for a document that does not validate', async () => {
    const before = await taskCount();
    await post({ query: '{ a: analyze(model: "resnet18") { totals { parms } } b: analyze(model: "vgg16") { name } }' }).expect(400);
    expect(await taskCount()).toBe(before);
  });
});

describe("a variable's error names the value in the request: extensions.path (it had only the code)", () => {
  const ANALYZE_R = 'query($r: Int!) { analyze(model: "resnet18", resolution: $r) { name } }';
  const ANALYZE_O = 'query($o: AnalyzeOptions) { analyze(model: "resnet18", options: $o) { name } }';
  const COMPARE_G = 'query($g: [GateInput!]) { compare(old: { model: "resnet18" }, new: { model: "resnet18" }, gates: $g) { gates { passed } } }';
  const extensionsOf = async (body: object) => ((await post(body).expect(400)).body.errors as { extensions: unknown }[]).map((e) => e.extensions);

  it.each([
    ['an Int! given a string', ['$.variables.r'], { query: ANALYZE_R, variables: { r: 'high' } }],
    ['an Int! not given (variables present)', ['$.variables.r'], { query: ANALYZE_R, variables: {} }],
    ['an Int! not given (no variables at all)', ['$.variables.r'], { query: ANALYZE_R }],
    ['an Int! given null', ['$.variables.r'], { query: ANALYZE_R, variables: { r: null } }],
    ['an input object with a wrong type and an unknown field', ['$.variables.o.flops', '$.variables.o.dtyp'], { query: ANALYZE_O, variables: { o: { dtyp: 'float16', flops: 3 } } }],
    ['an unknown field whose name is not an identifier', ['$.variables.o["my dtype"]'], { query: ANALYZE_O, variables: { o: { 'my dtype': 'float16' } } }],
    [
      'a list of input objects: a required field missing, a bad enum and a wrong type',
      ['$.variables.g[1].maxIncrease', '$.variables.g[2].metric', '$.variables.g[2].maxIncrease'],
      { query: COMPARE_G, variables: { g: [{ metric: 'macs', maxIncrease: '5%' }, { metric: 'macs' }, { metric: 'bogus', maxIncrease: 1 }] } },
    ],
  ])('%s: GRAPHQL_INVALID at %j', async (_, paths, body) => {
    expect(await extensionsOf(body)).toEqual(paths.map((path) => ({ code: 'GRAPHQL_INVALID', path })));
  });

  it("GET /graphql: the path is into the query string's variables parameter (query.variables.n)", async () => {
    const res = await request(app.server).get('/graphql').query({ query: 'query($n: String!) { model(name: $n) }', variables: '{"n": 3}' }).expect(400);
    expect(res.body.errors[0].extensions).toEqual({ code: 'GRAPHQL_INVALID', path: 'query.variables.n' });
  });

  it('graphql-js\'s message is kept as it was', async () => {
    const res = await post({ query: COMPARE_G, variables: { g: [{ metric: 'macs' }] } }).expect(400);
    expect(res.body.errors[0].message).toBe('Variable "$g" got invalid value { metric: "macs" } at "g[0]"; Field "maxIncrease" of required type "String!" was not provided.');
  });
});

describe('GraphQL requests the server cannot read: 4xx under both media types', () => {
  it('a body that is not JSON is 400 INVALID_JSON', async () => {
    for (const accept of [GQL, 'application/json']) {
      const res = await request(app.server).post('/graphql').set('accept', accept).set('content-type', 'application/json').send('{"query":').expect(400);
      expect(res.body.errors[0].extensions.code).toBe('INVALID_JSON');
      expect(res.body.errors[0].message).toMatch(/JSON/);
      expect(res.body).not.toHaveProperty('data');
    }
  });

  it('a body without a query is 400 GRAPHQL_INVALID saying what to send', async () => {
    const res = await post({ variables: {} }, 'application/json').expect(400);
    expect(res.body.errors[0]).toMatchObject({ message: expect.stringContaining('the request has no query'), extensions: { code: 'GRAPHQL_INVALID' } });
  });

  // a leftover of the last session's review: these had no extensions.path
  it('no query (none, or empty) is at the member the document belongs in: $.query, GET\'s query.query, an application/graphql body\'s $', async () => {
    for (const body of [{}, { variables: {} }, { query: '' }]) {
      const res = await post(body).expect(400);
      expect(res.body.errors, JSON.stringify(body)).toEqual([{ message: expect.stringContaining('the request has no query'), extensions: { code: 'GRAPHQL_INVALID', path: '$.query' } }]);
    }
    for (const query of [{}, { query: '' }, { variables: '{}' }]) {
      const res = await request(app.server).get('/graphql').query(query).expect(400);
      expect(res.body.errors[0].extensions, JSON.stringify(query)).toEqual({ code: 'GRAPHQL_INVALID', path: 'query.query' });
    }
    const graphql = await request(app.server).post('/graphql').set('content-type', 'application/graphql').send('').expect(400);
    expect(graphql.body.errors[0].extensions).toEqual({ code: 'GRAPHQL_INVALID', path: '$' });
  });

  // found by a hunt: an application/graphql body was read as UTF-8 whatever it was, so a Latin-1 é became U+FFFD without a word
  it('an application/graphql body that is not UTF-8 is 400 GRAPHQL_INVALID at $; one declared in another charset 415 at headers.content-type; UTF-8 é is read', async () => {
    const latin1 = Buffer.concat([Buffer.from('{ model(name: "r'), Buffer.from([0xe9]), Buffer.from('snet18") }')]);
    const bad = await request(app.server).post('/graphql').set('content-type', 'application/graphql').send(latin1).expect(400);
    expect(bad.body.errors).toEqual([{ message: "the document's bytes are not UTF-8: send it in UTF-8", extensions: { code: 'GRAPHQL_INVALID', path: '$' } }]);
    const declared = await request(app.server).post('/graphql').set('content-type', 'application/graphql; charset=iso-8859-1').send(latin1).expect(415);
    expect(declared.body.errors[0].extensions).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.content-type' });
    const utf8 = await request(app.server).post('/graphql').set('content-type', 'application/graphql; charset=utf-8').send(Buffer.from('{ model(name: "résnet18") }')).expect(200);
    expect(utf8.body.errors[0].message).toMatch(/^no built-in model 'résnet18'/);
  });

  it('a JSON body that is not an object (5, "x", true) is 400 GRAPHQL_INVALID at $', async () => {
    for (const body of ['5', '"x"', 'true']) {
      const res = await request(app.server).post('/graphql').set('content-type', 'application/json').send(body).expect(400);
      expect(res.body.errors, body).toEqual([{ message: 'not a GraphQL request: body must be object; send { "query": "…", "variables": { … }, "operationName": "…" }', extensions: { code: 'GRAPHQL_INVALID', path: '$' } }]);
    }
  });

  it('a query that is not a string is 400 GRAPHQL_INVALID naming the field', async () => {
    const res = await post({ query: { models: true } }, 'application/json').expect(400);
    expect(res.body.errors[0].message).toBe('query must be a string (the GraphQL document), got object');
    expect(res.body.errors[0].extensions.path).toBe('$.query');
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_INVALID');
  });

  // found by the fuzz round: operationName 5 ran as "5" ('Unknown operation named "5".'); variables [1] and
  // extensions "x" were 'not a GraphQL request: body/variables must be object,null', without a path
  it('operationName that is not a string, variables or extensions that are not objects: 400 GRAPHQL_INVALID at the member', async () => {
    const cases: [object, string, string][] = [
      [{ query: 'query A { models { name } }', operationName: 5 }, '$.operationName', 'operationName must be a string (the name of one of the document\'s operations) or null, got number'],
      [{ query: '{ models { name } }', variables: [1] }, '$.variables', 'variables must be a JSON object (or null), got an array'],
      [{ query: '{ models { name } }', variables: '{"n": 1}' }, '$.variables', 'variables must be a JSON object (or null), got string'],
      [{ query: '{ models { name } }', extensions: 'x' }, '$.extensions', 'extensions must be a JSON object (or null), got string'],
    ];
    for (const [body, path, message] of cases) {
      for (const accept of [GQL, 'application/json']) {
        const res = await post(body, accept).expect(400);
        expect(res.body).toEqual({ errors: [{ message, extensions: { code: 'GRAPHQL_INVALID', path } }] });
      }
    }
    const nulls = await post({ query: 'query A { models { name } }', operationName: null, variables: null, extensions: null }).expect(200);
    expect(nulls.body.data.models.length).toBeGreaterThan(0);
  });
});

// found by the fuzz round: { models { name ×1000 } } answered QUERY_TOO_COMPLEX and a bare "Validation aborted." GRAPHQL_INVALID
describe("graphql-js's validation stopped short", () => {
  it("a document over the field limit whose repeated fields stop graphql-js's overlap check: the one QUERY_TOO_COMPLEX error", async () => {
    const res = await post({ query: `{ models { ${'name '.repeat(1000)}} }` }).expect(400);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', path: '$.query', limit: 500, fields: 1001 });
  });
});

describe('an operationName that picks no operation: at $.operationName (query.operationName over GET), naming the operations', () => {
  // found by the fuzz round: POST answered these without a path (GET's were at query.operationName)
  it('an unknown name, or none for a document of two operations: 400 at $.operationName', async () => {
    const unknown = await post({ query: 'query A { models { name } }', operationName: 'B' }).expect(400);
    expect(unknown.body).toEqual({ errors: [{ message: 'unknown operation named "B": the document holds A', extensions: { code: 'GRAPHQL_INVALID', path: '$.operationName' } }] });
    // a request error in a well-formed request, as graphql-js's was: 200 under application/json
    const none = await post({ query: 'query A { models { name } } query B { operators { name } }' }, 'application/json').expect(200);
    expect(none.body).toEqual({ errors: [{ message: 'the document holds 2 operations (A, B): name the one to run in operationName', extensions: { code: 'GRAPHQL_INVALID', path: '$.operationName' } }] });
  });

  // found by a review: with variables in the body (as most clients send, {} included) mercurius reported graphql-js's error inside its validation error, and the path was lost
  it('the same with variables {} or null in the body, and over GET: one message, at the request\'s operationName', async () => {
    for (const variables of [{}, null]) {
      const res = await post({ query: 'query A { models { name } }', operationName: 'B', variables }).expect(400);
      expect(res.body.errors, JSON.stringify(variables)).toEqual([{ message: 'unknown operation named "B": the document holds A', extensions: { code: 'GRAPHQL_INVALID', path: '$.operationName' } }]);
      const two = await post({ query: 'query { models { name } } query { operators { name } }', variables }).expect(400);
      expect(two.body.errors[0].extensions).toEqual({ code: 'GRAPHQL_INVALID', path: '$.operationName' });
    }
    const get = await request(app.server).get('/graphql').query({ query: 'query A { models { name } }', operationName: 'B', variables: '{}' }).expect(400);
    expect(get.body.errors).toEqual([{ message: 'unknown operation named "B": the document holds A', extensions: { code: 'GRAPHQL_INVALID', path: 'query.operationName' } }]);
  });
});

describe('query-string keys /graphql does not read (they were ignored)', () => {
  it('GET /graphql?query=…&varibles=…: 400 INVALID_OPTION at query.varibles, suggesting variables; nothing ran', async () => {
    const res = await request(app.server).get('/graphql').query({ query: 'query($n: String!) { model(name: $n) { name } }', varibles: '{"n":"resnet18"}' }).expect(400);
    expect(res.body.errors[0].extensions).toEqual({ code: 'INVALID_OPTION', path: 'query.varibles', suggestion: 'variables' });
    expect(res.body.errors[0].message).toBe('GET /graphql takes query, operationName, variables, extensions; got ?varibles (did you mean variables?)');
    expect(res.body).not.toHaveProperty('data');
  });

  it('GET /graphql with the four parameters of GraphQL-over-HTTP answers', async () => {
    const res = await request(app.server).get('/graphql').query({ query: 'query M($n: String!) { model(name: $n) }', operationName: 'M', variables: '{"n":"resnet18"}', extensions: '{}' }).expect(200);
    expect(res.body.data.model.name).toBe('resnet18');
  });

  it('a POST body member /graphql does not read ({ query, varibles }): 400 INVALID_OPTION at $.varibles suggesting variables (the operation ran without its variables); a query that is an array: 400 GRAPHQL_INVALID at $.query (it ran)', async () => {
    const misspelt = await post({ query: 'query($m: String) { model(name: $m) }', varibles: { m: 'resnet18' } }).expect(400);
    expect(misspelt.body.errors[0].extensions).toEqual({ code: 'INVALID_OPTION', path: '$.varibles', suggestion: 'variables' });
    expect(misspelt.body.errors[0].message).toBe("a GraphQL request holds query, operationName, variables, extensions; got 'varibles' (did you mean variables?)");
    const listed = await post({ query: ['{ models { name } }'] }).expect(400);
    expect(listed.body.errors[0].extensions).toEqual({ code: 'GRAPHQL_INVALID', path: '$.query' });
    expect(listed.body.errors[0].message).toBe('query must be a string (the GraphQL document), got an array');
    const ok = await post({ query: 'query M($m: String!) { model(name: $m) }', variables: { m: 'resnet18' }, operationName: 'M', extensions: {} }).expect(200);
    expect(ok.body.data.model.name).toBe('resnet18');
  });

  it('POST /graphql?op=M (a client naming the operation in its URL for the logs): the URL is not read, the body answers', async () => {
    const res = await request(app.server).post('/graphql?op=M').send({ query: 'query M { model(name: "resnet18") }' }).expect(200);
    expect(res.body.data.model.name).toBe('resnet18');
  });
});

describe('GraphQL domain errors: 200, data null where a field failed, the catalog code in extensions', () => {
  it('an unknown model: UNKNOWN_MODEL, path and model; the other root field still answers', async () => {
    for (const accept of [undefined, GQL, 'application/json']) {
      const res = await post({ query: '{ models { name } analyze(model: "resnet5O") { name } }' }, accept).expect(200);
      expect(res.body.data.analyze).toBeNull();
      expect(res.body.data.models.length).toBeGreaterThan(10);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0].message).toMatch(/^no built-in model 'resnet5O'/);
      expect(res.body.errors[0].path).toEqual(['analyze']);
      expect(res.body.errors[0].extensions).toMatchObject({ code: 'UNKNOWN_MODEL', path: '$.model', model: 'resnet5O' });
    }
  });

  it('an invalid spec: SPEC_INVALID or a shape error carries path, layer and shapes', async () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
      layers: [
        { name: 'a', op: 'conv2d', outChannels: 4, kernelSize: 1 },
        { name: 'b', op: 'conv2d', outChannels: 4, kernelSize: 1, inputs: ['x'] },
        { name: 'cat', op: 'add', inputs: ['a', 'x'] },
      ],
    };
    const res = await post({ query: 'query($s: JSON) { analyze(spec: $s) { name } }', variables: { s: spec } }).expect(200);
    expect(res.body.data).toEqual({ analyze: null });
    const e = res.body.errors[0];
    expect(e.extensions.code).toMatch(/^(SHAPE_MISMATCH|CHANNEL_MISMATCH)$/);
    expect(e.extensions).toMatchObject({ layer: 'cat', path: expect.stringMatching(/^\$\.spec\.layers\[2\]/) });
    expect(Object.values(e.extensions.shapes)).toEqual(expect.arrayContaining([[1, 4, 8, 8], [1, 3, 8, 8]]));
    expect(e.message).toContain('cat');
  });

  it('SPEC_INVALID for a spec that breaks its schema names the JSONPath', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 'sometimes' }] };
    const res = await post({ query: 'query($s: JSON) { analyze(spec: $s) { name } }', variables: { s: spec } }).expect(200);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'SPEC_INVALID', path: '$.spec.layers[0].padding' });
  });
});

describe('a body GraphQL does not read', () => {
  it('text/plain: 415 UNSUPPORTED_MEDIA_TYPE at headers.content-type, naming the type sent and the JSON body /graphql reads', async () => {
    const res = await request(app.server).post('/graphql').set('content-type', 'text/plain').send('{ models { name } }').expect(415);
    expect(res.body.errors[0].extensions).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.content-type' });
    expect(res.body.errors[0].message).toBe('the content type \'text/plain\' is not read here; send application/json: { "query": "…", "variables": { … } }');
  });

  // found by the fuzz round: a form was 400 GRAPHQL_INVALID "not a GraphQL request: body must be object", without a path
  it('multipart/form-data (a query as a form field, or a GraphQL multipart upload): 415 UNSUPPORTED_MEDIA_TYPE as text/plain is; the connection still answers', async () => {
    const form = await request(app.server).post('/graphql').field('query', '{ models { name } }').expect(415);
    expect(form.body.errors).toEqual([
      { message: expect.stringMatching(/^the content type 'multipart\/form-data; boundary=[^']+' is not read here; send application\/json: \{ "query": "…", "variables": \{ … \} \}$/), extensions: { code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.content-type' } },
    ]);
    const bare = await request(app.server).post('/graphql').set('content-type', 'multipart/form-data').send('x').expect(415);
    expect(bare.body.errors[0].extensions).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.content-type' });
    await post({ query: '{ models { name } }' }).expect(200);
  });

  // found by a review: the REST routes' binary media arrive as bytes, whose index keys were read as body members ('0' at $["0"])
  it.each(['application/octet-stream', 'application/x-npy', 'application/onnx'])('%s: 415 UNSUPPORTED_MEDIA_TYPE at headers.content-type, an empty body too', async (type) => {
    const res = await request(app.server).post('/graphql').set('content-type', type).send(Buffer.from('{ models { name } }')).expect(415);
    expect(res.body.errors).toEqual([{ message: `the content type '${type}' is not read here; send application/json: { "query": "…", "variables": { … } }`, extensions: { code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.content-type' } }]);
    const empty = await request(app.server).post('/graphql').set('content-type', type).send(Buffer.alloc(0)).expect(415);
    expect(empty.body.errors[0].extensions).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.content-type' });
  });
});

describe('GET /graphql parameters as POST members are checked (a review found GET left out)', () => {
  const get = (query: Record<string, string | string[]>) => request(app.server).get('/graphql').query(query);
  it('extensions that is not a JSON object: 400 GRAPHQL_INVALID at query.extensions (5 and [1] answered 200; x said "the body is not valid JSON" without a path)', async () => {
    for (const [extensions, message] of [
      ['5', 'extensions must be a JSON object (or null), got number'],
      ['[1]', 'extensions must be a JSON object (or null), got an array'],
    ]) {
      const res = await get({ query: '{ models { name } }', extensions }).expect(400);
      expect(res.body.errors, extensions).toEqual([{ message, extensions: { code: 'GRAPHQL_INVALID', path: 'query.extensions' } }]);
    }
    const text = await get({ query: '{ models { name } }', extensions: 'x' }).expect(400);
    expect(text.body.errors[0].extensions).toEqual({ code: 'GRAPHQL_INVALID', path: 'query.extensions' });
    expect(text.body.errors[0].message).toMatch(/^extensions is not JSON: /);
    await get({ query: '{ models { name } }', extensions: 'null' }).expect(200);
  });

  it.each(['query', 'operationName', 'variables', 'extensions'])('?%s given twice: 400 GRAPHQL_INVALID at query.%s (it said "querystring/… must be string" without a path)', async (key) => {
    const res = await get({ query: 'query A { models { name } }', [key]: key === 'query' ? ['{ models { name } }', '{ operators { name } }'] : key === 'operationName' ? ['A', 'B'] : ['{}', '{}'] }).expect(400);
    expect(res.body.errors).toEqual([{ message: `${key} is given 2 times; give it once`, extensions: { code: 'GRAPHQL_INVALID', path: `query.${key}` } }]);
  });
});

describe('responseMediaType(Accept)', () => {
  const cases: [string | undefined, string][] = [
    [undefined, GQL],
    ['', GQL],
    ['*/*', GQL],
    ['application/*', GQL],
    ['application/json', 'application/json'],
    ['application/json; charset=utf-8', 'application/json'],
    [GQL, GQL],
    [`${GQL}, application/json;q=0.9`, GQL],
    [`application/json, ${GQL};q=0.5`, 'application/json'],
    [`${GQL};q=0, */*`, 'application/json'],
    ['application/json, multipart/mixed', 'application/json'],
    ['text/html', 'application/json'],
  ];
  for (const [accept, media] of cases) {
    it(`${JSON.stringify(accept)} → ${media}`, () => expect(responseMediaType(accept)).toBe(media));
  }
});

async function taskCount(): Promise<number> {
  const text = (await request(app.server).get('/metrics').expect(200)).text;
  return text
    .split('\n')
    .filter((l) => l.startsWith('convlens_task_seconds_count'))
    .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
}

// found by a review: with GRAPHQL_MAX_FIELDS raised, graphql-js's overlapping-fields rule stopped on 1,500 repeated fields with a bare 'Validation aborted.' as the whole answer
describe('a document graphql-js stops validating (GRAPHQL_MAX_FIELDS 5000, 1,500 repeated fields)', () => {
  let wide: FastifyInstance;
  beforeAll(async () => {
    wide = await testApp({ GRAPHQL_MAX_FIELDS: '5000' });
  });
  afterAll(async () => wide.close());
  it('400 QUERY_TOO_COMPLEX saying why, not a bare "Validation aborted."', async () => {
    const res = await request(wide.server).post('/graphql').send({ query: `{ models { ${'name '.repeat(1500)}} }` }).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'the document has too many fields for graphql-js to check that they do not conflict (it stopped validating): select fewer fields, or repeat fewer', extensions: { code: 'QUERY_TOO_COMPLEX', path: '$.query' } }] });
  });
});
