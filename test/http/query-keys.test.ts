/**
 * The query string as the routes read it: a key or value that is not valid percent-encoding is
 * refused (400 MALFORMED_REQUEST at `query.<key>`), as a path that is not is; before, the query
 * parser kept such a value as its literal text (`?model=resnet%zz` was the model "resnet%zz").
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { malformedQuery } from '../../src/http/query-keys.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ WORKERS: '1' });
});
afterAll(async () => app.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('a zoo model\'s resolution refused by the model (found by a walk through the README, 2026-12-04): at query.resolution where the query gives it, as ?resolution=0 is; at $.resolution in a body', () => {
  it.each([
    ['POST', '/v1/analyze?model=vit_b_16&resolution=100', 'INVALID_OPTION'],
    ['POST', '/v1/analyze?model=vgg16&resolution=16', 'KERNEL_TOO_LARGE'],
    ['GET', '/v1/models/vgg16/report?resolution=16&format=json', 'KERNEL_TOO_LARGE'],
    ['GET', '/v1/models/vgg16?resolution=16', 'KERNEL_TOO_LARGE'],
  ])('%s %s: 400 %s at query.resolution (it was $.resolution, a body field the request has not)', async (method, url, code) => {
    const res = await request(app.server)[method === 'GET' ? 'get' : 'post'](url).expect(400);
    expect(res.body.error).toMatchObject({ code, path: 'query.resolution' });
  });

  it('the same resolution in a JSON body { model: "vgg16", resolution: 16 } stays at $.resolution', async () => {
    const res = await request(app.server).post('/v1/analyze').send({ model: 'vgg16', resolution: 16 }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'KERNEL_TOO_LARGE', path: '$.resolution' });
  });
});

describe('a query key given twice (found by a fuzz, 2026-12-05): 400 INVALID_OPTION saying so at query.<key>, as ?input does', () => {
  it.each([
    ['POST', '/v1/analyze?model=resnet18&model=resnet18', 'model', 'Invalid input: expected string, received array'],
    ['GET', '/v1/models/resnet18/report?format=json&format=md', 'format', 'must be one of html, json, md, csv'],
    ['POST', '/v1/analyze?model=resnet18&memory=true&memory=false', 'memory', 'must be true or false'],
    ['POST', '/v1/analyze?model=resnet18&resolution=224&resolution=160&resolution=128', 'resolution', 'an integer from …'],
  ])('%s %s: "query.%s is given N times" (it said "%s")', async (method, url, key) => {
    const res = await request(app.server)[method === 'GET' ? 'get' : 'post'](url).expect(400);
    const times = url.split(`${key}=`).length - 1;
    expect(res.body.error).toEqual({ code: 'INVALID_OPTION', message: `query.${key} is given ${times} times; give it once`, path: `query.${key}` });
  });
});

it('a query flag takes true, false, 1 or 0, and its refusal says all four (?memory=TRUE said "must be true or false" while 1 and 0 were read)', async () => {
  const res = await request(app.server).post('/v1/analyze?model=resnet18&memory=TRUE').expect(400);
  expect(res.body.error).toEqual({ code: 'INVALID_OPTION', message: 'query.memory: must be true or false (or 1, 0)', path: 'query.memory' });
  const one = await request(app.server).post('/v1/analyze?model=resnet18&memory=1').expect(200);
  expect(one.body.memory.inPlace).toBe(false);
  expect(one.body.memory.peak).toBeDefined();
});

describe('a query value or key that is not valid percent-encoding: 400 MALFORMED_REQUEST naming the parameter', () => {
  it.each([
    ['POST', '/v1/analyze?model=resnet%zz', 'query.model', /^the value of \?model \('resnet%zz'\) is not valid percent-encoding/],
    // %E0%A4 is two bytes of a three-byte UTF-8 sequence: decodes to no character
    ['POST', '/v1/analyze?model=resnet18&input=1,3,%E0%A4', 'query.input', /^the value of \?input \('1,3,%E0%A4'\)/],
    ['POST', '/v1/analyze?model=resnet18&resolution=6%4', 'query.resolution', /^the value of \?resolution/],
    ['POST', '/v1/analyze?mo%zzdel=resnet18', 'query.mo%zzdel', /^the query key 'mo%zzdel' is not valid percent-encoding/],
    ['GET', '/v1/models?x=%', 'query.x', /^the value of \?x \('%'\)/],
  ])('%s %s: at %s (it was read literally)', async (method, url, path, message) => {
    const res = await request(app.server)[method === 'GET' ? 'get' : 'post'](url).expect(400);
    expect(res.body.error).toMatchObject({ code: 'MALFORMED_REQUEST', path });
    expect(res.body.error.message).toMatch(message);
    expect(res.body.requestId).toMatch(UUID);
    expect(res.headers['x-request-id']).toBe(res.body.requestId);
  });

  it('the probes answer whatever a monitor appends: /healthz?x=%zz is 200, /readyz?probe=%E0 is not 400', async () => {
    await request(app.server).get('/healthz?x=%zz').expect(200);
    const ready = await request(app.server).get('/readyz?probe=%E0');
    expect(ready.status).not.toBe(400);
  });

  it('the first malformed parameter is named, after ones that decode', async () => {
    const res = await request(app.server).post('/v1/analyze?model=resnet18&resolution=%36%34&input=%ZZ&memory=%zz').expect(400);
    expect(res.body.error).toMatchObject({ code: 'MALFORMED_REQUEST', path: 'query.input' });
  });

  it('GET /graphql?query=…%zz: the GraphQL error form, MALFORMED_REQUEST at query.query', async () => {
    const res = await request(app.server).get('/graphql?query=%7B%20models%20%7B%20name%20%7D%20%zz').expect(400);
    expect(res.body.errors[0].extensions).toEqual({ code: 'MALFORMED_REQUEST', path: 'query.query' });
    expect(res.body).not.toHaveProperty('data');
  });

  it('valid percent-encoding (hex either case, UTF-8, + as a space) is read as before', async () => {
    const res = await request(app.server).post('/v1/analyze?model=resnet%31%38&resolution=%36%34').expect(200);
    expect(res.body.name).toBe('resnet18');
    const gql = await request(app.server).get(`/graphql?query=${encodeURIComponent('{ model(name: "resnet18") }').replace(/%20/g, '+')}`).expect(200);
    expect(gql.body.data.model.name).toBe('resnet18');
  });
});

describe('malformedQuery(url)', () => {
  it.each([
    ['/v1/analyze', null],
    ['/v1/analyze?model=resnet18', null],
    ['/v1/analyze?name=caf%C3%A9&x=a+b%2Bc', null],
    ['/v1/analyze?flag&other=', null],
    ['/v1/analyze?model=resnet%zz', 'query.model'],
    ['/v1/analyze?a=1&b=%E0%A4', 'query.b'],
    ['/v1/analyze?a=%C3', 'query.a'],
    ['/v1/analyze?%zz', 'query.%zz'],
    ['/v1/analyze?ke%79=%zz', 'query.key'],
  ])('%s → %s', (url, path) => {
    const e = malformedQuery(url);
    expect(e === null ? null : e.details.path).toBe(path);
    if (e) expect(e.code).toBe('MALFORMED_REQUEST');
  });

  it('a long value is shortened in the message, not echoed whole', () => {
    const e = malformedQuery(`/v1/analyze?model=${'a'.repeat(5000)}%zz`)!;
    expect(e.message.length).toBeLessThan(300);
  });
});
