/**
 * Through the routes, an error about an ONNX layer names a field the file has: the node's
 * AttributeProto or input (test/graph/onnx-error-paths.test.ts for the cases), a spec its own field.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxModel } from '../graph/onnx-builder.js';
import type { NodeSpec } from '../graph/onnx-builder.js';
import { bigKernelConv, blockedQuantize, CONV_ATTRS, KERNEL_OVER_INPUT_SPEC, qlinearConv } from '../graph/onnx-error-models.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const octets = (url: string, bytes: Uint8Array) => request(app.server).post(url).set('content-type', 'application/octet-stream').send(Buffer.from(bytes));

describe('ONNX error paths through HTTP', () => {
  it('POST /v1/analyze?input=1,2,3,3 with a dynamic [N, 2, H, W] input and a 5×5 Conv (kernel_shape its attribute[2]): 400 KERNEL_TOO_LARGE at $.graph.node[1].attribute[2], onnxAttribute kernel_shape', async () => {
    const res = await octets('/v1/analyze?input=1,2,3,3', bigKernelConv(CONV_ATTRS, ['N', 2, 'H', 'W'])).expect(400);
    expect(res.body.error).toMatchObject({ code: 'KERNEL_TOO_LARGE', path: '$.graph.node[1].attribute[2]', onnxAttribute: 'kernel_shape', layer: 'c', opType: 'Conv' });
  });

  it('the same Conv without kernel_shape: at $.graph.node[1].input[1], W, whose shape gives the kernel', async () => {
    const res = await octets('/v1/analyze?input=1,2,3,3', bigKernelConv({}, ['N', 2, 'H', 'W'])).expect(400);
    expect(res.body.error).toMatchObject({ code: 'KERNEL_TOO_LARGE', path: '$.graph.node[1].input[1]' });
    expect(res.body.error).not.toHaveProperty('onnxAttribute');
  });

  it('POST /v1/run with the fixed-size file as onnxBase64: the same path, at $.graph.node[1].attribute[2]', async () => {
    const bytes = Buffer.from(bigKernelConv(CONV_ATTRS));
    const res = await request(app.server)
      .post('/v1/run')
      .send({ onnxBase64: bytes.toString('base64'), inputs: { x: { shape: [1, 2, 3, 3], data: new Array(18).fill(1) } } })
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'KERNEL_TOO_LARGE', path: '$.graph.node[1].attribute[2]', onnxAttribute: 'kernel_shape' });
  });

  const int64 = (name: string, data: number[]) => ({ name, dims: [data.length], data, type: 'int64' as const });
  it.each<[string, string, string, string | undefined, NodeSpec, number, number[]]>([
    ['MaxPool strides [0, 0]', 'ONNX_GRAPH_INVALID', '$.graph.node[0].attribute[1]', 'strides', { op: 'MaxPool', inputs: ['x'], outputs: ['y'], name: 'n', attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [0, 0] } } }, 13, [1, 2, 8, 8]],
    ['Slice-13 steps [0] (input 4)', 'INVALID_ATTRIBUTE', '$.graph.node[0].input[4]', undefined, { op: 'Slice', inputs: ['x', 's', 'e', 'ax', 'sp'], outputs: ['y'], name: 'n' }, 13, [1, 2, 8, 8]],
    ['Softmax-11 with its axis defaulted to 1 over [4]', 'INVALID_ATTRIBUTE', '$.graph.node[0]', undefined, { op: 'Softmax', inputs: ['x'], outputs: ['y'], name: 'n' }, 11, [4]],
  ])('POST /v1/analyze, %s: 400 %s at %s', async (_, code, path, onnxAttribute, node, opset, x) => {
    const initializers = [int64('s', [0]), int64('e', [4]), int64('ax', [2]), int64('sp', [0])].filter((i) => node.inputs.includes(i.name));
    const bytes = onnxModel({ inputs: [{ name: 'x', shape: x }], outputs: ['y'], initializers, nodes: [node], opset });
    const res = await octets('/v1/analyze', bytes).expect(400);
    expect(res.body.error).toMatchObject({ code, path, layer: 'n' });
    expect(res.body.error.onnxAttribute).toBe(onnxAttribute);
  });

  it('POST /v1/analyze, a Conv whose group (attribute[1], after strides) is FLOATS: 400 ONNX_GRAPH_INVALID at $.graph.node[1].attribute[1], named in onnxAttribute as every error about an AttributeProto (the attribute reader said `attribute`)', async () => {
    const res = await octets('/v1/analyze', bigKernelConv({ strides: { ints: [1, 1] }, group: { floats: [1] } }, [1, 2, 5, 5])).expect(400);
    expect(res.body.error).toEqual({ code: 'ONNX_GRAPH_INVALID', message: "node 'c' (Conv): attribute 'group' must be an INT, got FLOATS", path: '$.graph.node[1].attribute[1]', layer: 'c', opType: 'Conv', onnxAttribute: 'group' });
  });

  it("POST /v1/analyze, QLinearConv 2 → 4 channels with w_scale [3] (map-quant.ts): 400 SHAPE_MISMATCH at $.graph.node[0].input[4], the node's w_scale", async () => {
    const res = await octets('/v1/analyze', qlinearConv([0.1, 0.1, 0.1])).expect(400);
    expect(res.body.error).toMatchObject({ code: 'SHAPE_MISMATCH', path: '$.graph.node[0].input[4]', layer: 'qc', opType: 'QLinearConv' });
  });

  it('POST /v1/run with a QuantizeLinear of block_size 2 (attribute[1]), which convlens leaves unsupported: 400 UNSUPPORTED_OPERATOR at $.graph.node[0].attribute[1] (was the node)', async () => {
    const res = await request(app.server)
      .post('/v1/run')
      .send({ onnxBase64: Buffer.from(blockedQuantize()).toString('base64'), inputs: { x: { shape: [1, 2, 8, 8], data: new Array(128).fill(1) } } })
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'UNSUPPORTED_OPERATOR', path: '$.graph.node[0].attribute[1]', layer: 'q' });
    expect(res.body.error.message).toMatch(/blocked quantization \(block_size\)/);
  });

  it('a bare JSON spec body with the 5×5 conv2d as layers[3]: 400 KERNEL_TOO_LARGE at $.layers[3].kernelSize, unchanged', async () => {
    const spec = KERNEL_OVER_INPUT_SPEC;
    const res = await request(app.server).post('/v1/analyze').send(spec).expect(400);
    expect(res.body.error).toMatchObject({ code: 'KERNEL_TOO_LARGE', path: '$.layers[3].kernelSize' });
    expect(res.body.error).not.toHaveProperty('onnxAttribute');
  });
});
