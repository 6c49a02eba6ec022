/**
 * A JSON argument written as a GraphQL literal (attributes: { mode: "bilinear" }): GraphQL reads an
 * unquoted word there (mode: bilinear, bias: FALSE) as an enum value, which JSON has no place for.
 * graphql-scalars' JSON dropped it without a word, and the call ran with the default in its place;
 * it is refused before anything runs (GRAPHQL_INVALID at the document, located at the word), naming
 * the word and where it is in the value, and saying to quote it.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ WORKERS: '1' });
});
afterAll(async () => app.close());

const gql = (query: string, variables: Record<string, unknown> = {}) => request(app.server).post('/graphql').send({ query, variables });

// found by a hunt: mode: bilinear ran nearest (the default), bias: FALSE counted the bias
describe('a bare word inside a JSON literal is refused, never dropped', () => {
  it('runOperator(attributes: { mode: bilinear, … }): GRAPHQL_INVALID naming bilinear at mode, located at the word, nothing run', async () => {
    const query = '{ runOperator(name: "upsample", inputs: [{shape: [1, 1, 2, 2], data: [1, 2, 3, 4]}], attributes: {mode: bilinear, scaleFactor: 2}) { outputs { tensor { data } } } }';
    const res = await gql(query).expect(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    const [e] = res.body.errors;
    expect(e.extensions).toEqual({ code: 'GRAPHQL_INVALID', path: '$.query' });
    expect(e.locations).toEqual([{ line: 1, column: query.indexOf('bilinear') + 1 }]);
    expect(e.message).toBe(
      'the bare word bilinear at mode in a JSON value is a GraphQL enum value, which JSON has no place for: quote it (mode: "bilinear"); unquoted, a JSON value takes only numbers, true, false, null, lists and objects',
    );
  });

  it('analyze(spec: { … bias: FALSE }): refused at layers[0].bias, suggesting false as well as "FALSE"', async () => {
    const res = await gql('{ analyze(spec: {inputs: [{name: "x", shape: [1, 3, 8, 8]}], layers: [{name: "c", op: "conv2d", outChannels: 4, kernelSize: 3, bias: FALSE}]}) { totals { params } } }').expect(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_INVALID');
    expect(res.body.errors[0].message).toMatch(/^the bare word FALSE at layers\[0\]\.bias in a JSON value .*: quote it \(bias: "FALSE"\), or write false for the boolean; /);
  });

  it('in a list (data: [1, two, 3, 4]), at the top of the value, and under an input object (compare(old: { spec: … })) alike', async () => {
    const list = await gql('{ runOperator(name: "relu", inputs: [{shape: [4], data: [1, two, 3, 4]}]) { operator } }').expect(400);
    expect(list.body.errors[0].message).toMatch(/^the bare word two at \[0\]\.data\[1\] in a JSON value .*: quote it \("two"\); /);
    const top = await gql('{ runOperator(name: "relu", inputs: [], attributes: inplace) { operator } }').expect(400);
    expect(top.body.errors).toHaveLength(1);
    expect(top.body.errors[0].message).toMatch(/^the bare word inplace in a JSON value .*: quote it \("inplace"\); /);
    const nested = await gql('{ compare(old: {model: "resnet18"}, new: {spec: {inputs: [{name: "x", shape: [1, 3, 8, 8]}], layers: [{name: "r", op: relu}]}}) { totals { params { before } } } }').expect(400);
    expect(nested.body.errors[0].message).toMatch(/^the bare word relu at layers\[0\]\.op in a JSON value/);
  });

  it('quoted, the same call runs bilinear: [1, 1.25, 1.75, 2] on the first row, not nearest\'s [1, 1, 2, 2]', async () => {
    const res = await gql('{ runOperator(name: "upsample", inputs: [{shape: [1, 1, 2, 2], data: [1, 2, 3, 4]}], attributes: {mode: "bilinear", scaleFactor: 2}) { outputs { tensor { shape data } } } }').expect(200);
    expect(res.body.errors).toBeUndefined();
    const out = res.body.data.runOperator.outputs[0].tensor;
    expect(out.shape).toEqual([1, 1, 4, 4]);
    expect(out.data.slice(0, 4)).toEqual([1, 1.25, 1.75, 2]);
  });

  it('true, false and null literals still read as JSON: bias false 108 params, true 112; padding null is carried as null (refused by the spec, not dropped)', async () => {
    const analyze = (attrs: string) => gql(`{ analyze(spec: {inputs: [{name: "x", shape: [1, 3, 8, 8]}], layers: [{name: "c", op: "conv2d", outChannels: 4, kernelSize: 3, ${attrs}}]}) { totals { params } } }`).expect(200);
    expect((await analyze('bias: false')).body.data.analyze.totals.params).toBe(108);
    expect((await analyze('bias: true')).body.data.analyze.totals.params).toBe(112);
    const nul = await analyze('bias: false, padding: null');
    expect(nul.body.errors[0].extensions).toMatchObject({ code: 'SPEC_INVALID', path: '$.spec.layers[0].padding' });
    expect(nul.body.errors[0].message).toMatch(/got null$/);
  });
});
