/**
 * Report.layers[].outputShapes over GraphQL: every output's shape of a multi-output layer, as POST
 * /v1/analyze answers them. LayerReport had only outputShape (the first), so a GraphQL client could
 * not learn the shape of a split's second part.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const spec = {
  inputs: [{ name: 'x', shape: [1, 4, 8, 8] }],
  layers: [
    { name: 's', op: 'split', axis: 1, split: [1, 3] },
    { name: 'a', op: 'relu', inputs: ['s:1'] },
    { name: 'b', op: 'relu', inputs: ['s'] },
  ],
};

describe('GraphQL LayerReport.outputShapes', () => {
  it("a split's two parts, as REST reports them", async () => {
    const rest = await request(app.server).post('/v1/analyze').send(spec).expect(200);
    const res = await request(app.server)
      .post('/graphql')
      .set('accept', 'application/json')
      .send({ query: 'query($s: JSON) { analyze(spec: $s) { layers { name outputShape outputShapes } } }', variables: { s: spec } })
      .expect(200);
    expect(res.body.errors).toBeUndefined();
    const layers = res.body.data.analyze.layers;
    expect(layers[0]).toEqual({ name: 's', outputShape: [1, 1, 8, 8], outputShapes: [[1, 1, 8, 8], [1, 3, 8, 8]] });
    expect(layers.map((l: { outputShapes: number[][] }) => l.outputShapes)).toEqual(rest.body.layers.map((l: { outputShapes: number[][] }) => l.outputShapes));
  });
});
