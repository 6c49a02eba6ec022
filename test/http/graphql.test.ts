import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import mercurius from 'mercurius';
import { formatErrors } from '../../src/http/graphql.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const gql = (query: string, variables: Record<string, unknown> = {}) => request(app.server).post('/graphql').send({ query, variables });

describe('GraphQL', () => {
  it('analyze a spec with typed report fields', async () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 32, 32] }],
      layers: [
        { name: 'conv', op: 'conv2d', outChannels: 4, kernelSize: 3, stride: 2, bias: false },
        { name: 'pool', op: 'maxPool2d', kernelSize: 2 },
      ],
    };
    const res = await gql(
      `query($spec: JSON) { analyze(spec: $spec, options: { flops: macs, dtype: float16 }) {
          conventions { flops dtype bytesPerElement }
          layers { name outputShape params macs flops flopsByConvention { twoMacs macs seed } memoryAccess { elements bytes } receptiveField { size stride padding centre } }
          totals { params macs complete }
          structure { depth width resolution { downsamplings finalFeatureMap } }
        } }`,
      { spec },
    ).expect(200);
    const a = res.body.data.analyze;
    expect(a.conventions).toEqual({ flops: 'macs', dtype: 'float16', bytesPerElement: 2 });
    expect(a.layers[0]).toMatchObject({ outputShape: [1, 4, 15, 15], params: 36, macs: 36 * 225, flops: 36 * 225 });
    expect(a.layers[0].flopsByConvention).toEqual({ twoMacs: 2 * 36 * 225, macs: 36 * 225, seed: (2 * 9 - 1) * 4 * 225 });
    expect(a.layers[1].receptiveField).toEqual({ size: [5, 5], stride: [4, 4], padding: [0, 0], centre: [2, 2] });
    expect(a.structure).toEqual({ depth: 1, width: 4, resolution: { downsamplings: 2, finalFeatureMap: [7, 7] } });
  });

  it('analyze a built-in model', async () => {
    const res = await gql('{ analyze(model: "vgg16") { totals { params } warnings { code layer details } } }').expect(200);
    expect(res.body.data.analyze.totals.params).toBe(138_357_544);
    expect(res.body.data.analyze.warnings.find((w: { code: string }) => w.code === 'FC_DOMINATES').details.paramShare).toBeGreaterThan(0.5);
  });

  it('an invalid spec: the error carries code, path and layer in extensions', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 64, 8, 8] }], layers: [{ name: 'conv3', op: 'conv2d', outChannels: 64, kernelSize: 3, groups: 3 }] };
    const res = await gql('query($spec: JSON) { analyze(spec: $spec) { name } }', { spec });
    expect(res.body.errors[0].message).toContain('groups=3 does not divide 64 input channels');
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'INVALID_ATTRIBUTE', path: '$.spec.layers[0].groups', layer: 'conv3' });
  });

  // found by the fuzz round: model(name: "nope") was UNKNOWN_MODEL at $.model and runOperator(name: "nope") UNKNOWN_OPERATOR
  // at name, REST's paths (a body's model field, the URL's operator name); the argument both name is $.name
  it('an unknown name in model(name:) or runOperator(name:): the error at $.name, the argument', async () => {
    const res = await gql('{ model(name: "resnt18") runOperator(name: "rleu", inputs: []) { operator } }').expect(200);
    expect(res.body.data).toEqual({ model: null, runOperator: null });
    const by = Object.fromEntries(res.body.errors.map((e: { path: string[]; extensions: object }) => [e.path[0], e.extensions]));
    expect(by.model).toMatchObject({ code: 'UNKNOWN_MODEL', path: '$.name', suggestion: 'resnet18' });
    expect(by.runOperator).toMatchObject({ code: 'UNKNOWN_OPERATOR', path: '$.name', suggestion: 'relu' });
    // a resolution the model refuses stays at its own argument
    const small = await gql('{ model(name: "resnet18", resolution: 0) }').expect(200);
    expect(small.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.resolution' });
  });

  it('models, model and operators', async () => {
    const res = await gql('{ models { name torchvisionParams } model(name: "resnet18", resolution: 64) operators { name pytorch runnable } }').expect(200);
    expect(res.body.data.models.find((m: { name: string }) => m.name === 'resnet18').torchvisionParams).toBe(11_689_512);
    expect(res.body.data.model.inputs[0].shape).toEqual([1, 3, 64, 64]);
    expect(res.body.data.operators.map((o: { name: string }) => o.name)).toContain('deformConv2d');
  });

  it('an unexpected resolver error is answered as INTERNAL without its message', () => {
    const logged: unknown[] = [];
    const context = { reply: { log: { error: (o: unknown) => logged.push(o), info: () => {} }, request: { id: 'req-1' } } } as never;
    const secret = new GraphQLError('boom', { originalError: new TypeError("Cannot read properties of undefined (reading 'secret')") });
    const catalog = new GraphQLError('bad', { originalError: new mercurius.ErrorWithProps('layer x: bad', { code: 'SPEC_INVALID' }, 400) });
    const { response } = formatErrors({ data: null, errors: [secret, catalog] } as never, context);
    expect(response.errors![0]).toMatchObject({ message: 'internal error; see the service log with this request id', extensions: { code: 'INTERNAL', requestId: 'req-1' } });
    expect(JSON.stringify(response)).not.toContain('secret');
    expect(response.errors![1].message).toBe('bad');
    expect(logged).toHaveLength(1);
  });

  it('a model resolution out of range is INVALID_OPTION, as in REST', async () => {
    const res = await gql('{ model(name: "resnet18", resolution: 0) }');
    expect(res.body.errors[0].extensions.code).toBe('INVALID_OPTION');
  });

  it('GraphiQL is served at /graphiql', async () => {
    const res = await request(app.server).get('/graphiql').expect(200);
    expect(res.text.toLowerCase()).toContain('graphiql');
  });
});
