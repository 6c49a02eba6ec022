/** GraphQL's ReceptiveField names its axes: [h, w] for a 2-D map, [d, h, w] for a 3-D one, [l] for a 1-D one. */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const analyze = async (shape: number[], layers: Record<string, unknown>[]) => {
  const res = await request(app.server)
    .post('/graphql')
    .send({ query: 'query($spec: JSON) { analyze(spec: $spec) { layers { name receptiveField { axes size stride padding centre global } } } }', variables: { spec: { inputs: [{ name: 'x', shape }], layers } } })
    .expect(200);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.analyze.layers as { name: string; receptiveField: unknown }[];
};

describe('GraphQL ReceptiveField.axes', () => {
  it('conv3d (3,7,7) s=(1,2,2) p=(1,3,3): axes [d, h, w], size [3, 7, 7], stride [1, 2, 2]; then global over [8, 32, 32]', async () => {
    const layers = await analyze([1, 3, 8, 32, 32], [
      { name: 'stem', op: 'conv3d', outChannels: 4, kernelSize: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3] },
      { name: 'pool', op: 'adaptiveAvgPool3d', outputSize: 1 },
    ]);
    expect(layers[0].receptiveField).toEqual({ axes: ['d', 'h', 'w'], size: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3], centre: [0, 0, 0], global: false });
    expect(layers[1].receptiveField).toEqual({ axes: ['d', 'h', 'w'], size: [8, 32, 32], stride: null, padding: null, centre: null, global: true });
  });

  it('conv1d k=5 s=2: axes [l]; conv2d 3×3: axes [h, w]', async () => {
    const [l] = await analyze([1, 1, 64], [{ name: 'c', op: 'conv1d', outChannels: 1, kernelSize: 5, stride: 2 }]);
    expect(l.receptiveField).toEqual({ axes: ['l'], size: [5], stride: [2], padding: [0], centre: [2], global: false });
    const [hw] = await analyze([1, 1, 16, 16], [{ name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 3 }]);
    expect(hw.receptiveField).toMatchObject({ axes: ['h', 'w'], size: [3, 3] });
  });
});
