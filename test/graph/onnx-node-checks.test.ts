/**
 * An ONNX node with fewer inputs than its op needs, one that writes nothing, and a graph output
 * nothing produces are ONNX_GRAPH_INVALID at their paths (graph/onnx/node-checks.ts), as a JSON
 * spec's layer with too few inputs is SPEC_INVALID: before, each reached a kernel's shape function
 * and crashed into a 500 (found by fuzzing the service, 2026-12-02).
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { errorOf } from '../helpers.js';
import { testApp } from '../http/app.js';
import { onnxModel } from './onnx-builder.js';
import type { NodeSpec } from './onnx-builder.js';

const one = (node: NodeSpec, outputs = node.outputs.filter((o) => o !== '')) => onnxModel({ inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], outputs, nodes: [node] });

describe('ONNX nodes and outputs the importer refuses', () => {
  it.each([
    ['Relu with no input', { op: 'Relu', inputs: [], outputs: ['y'], name: 'r' }, 'r', "node 'r' (Relu) has 0 named inputs; as relu it needs 1 (x), and 'x' is missing"],
    ['Gather with data only', { op: 'Gather', inputs: ['x'], outputs: ['y'], name: 'g' }, 'g', "node 'g' (Gather) has 1 named input; as gather it needs 2 (data, indices), and 'indices' is missing"],
    ['MatMul whose first input is the empty name', { op: 'MatMul', inputs: ['', 'x'], outputs: ['y'], name: 'm' }, 'm', "node 'm' (MatMul) has 1 named input; as matmul it needs 2 (a, b), and 'a' is missing"],
    ['ScatterND with two of three', { op: 'ScatterND', inputs: ['x', 'x'], outputs: ['y'], name: 's' }, 's', "node 's' (ScatterND) has 2 named inputs; as scatterND it needs 3 (data, indices, updates), and 'updates' is missing"],
  ])('%s → ONNX_GRAPH_INVALID at the node\'s inputs', (_, node, layer, message) => {
    const e = errorOf(() => importOnnx(one(node)));
    expect(e).toMatchObject({ code: 'ONNX_GRAPH_INVALID', message, details: { path: '$.graph.node[0].input', layer } });
  });

  it('Clip with its optional min omitted (the empty name) and max given is still taken (max becomes its attribute): only the required inputs must be named', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      outputs: ['y'],
      initializers: [{ name: 'hi', dims: [], data: [6] }],
      nodes: [{ op: 'Clip', inputs: ['x', '', 'hi'], outputs: ['y'], name: 'c' }],
    });
    expect(importOnnx(bytes).graph.layers.map((l) => [l.op, l.inputs, l.attrs.max])).toEqual([['clip', ['x'], 6]]);
  });

  it.each([
    ['no outputs', []],
    ['only the empty name', ['']],
  ])('a node with %s → ONNX_GRAPH_INVALID at its outputs', (_, outputs) => {
    const e = errorOf(() => importOnnx(one({ op: 'Relu', inputs: ['x'], outputs, name: 'r' }, ['x'])));
    expect(e).toMatchObject({ code: 'ONNX_GRAPH_INVALID', message: "node 'r' (Relu) writes no output: a node needs at least one named output", details: { path: '$.graph.node[0].output', layer: 'r' } });
  });

  it('a declared output no node, input or initializer produces → ONNX_GRAPH_INVALID at that output, not dropped', () => {
    const bytes = onnxModel({ inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], outputs: ['y', 'ghost'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }] });
    expect(errorOf(() => importOnnx(bytes))).toMatchObject({ code: 'ONNX_GRAPH_INVALID', message: "the graph's output 'ghost' is produced by no node, input or initializer", details: { path: '$.graph.output[1]' } });
  });

  it('a graph input declared as an output is produced (by the caller): taken', () => {
    const bytes = onnxModel({ inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], outputs: ['y', 'x'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }] });
    expect(importOnnx(bytes).graph.outputs).toEqual(['y', 'x']);
  });
});

describe('the same files over HTTP: 400, never a 500', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => app.close());

  it.each([
    ['/v1/analyze', one({ op: 'Gather', inputs: ['x'], outputs: ['y'], name: 'g' }), '$.graph.node[0].input'],
    ['/v1/analyze', one({ op: 'Relu', inputs: ['x'], outputs: [], name: 'r' }, ['x']), '$.graph.node[0].output'],
    ['/v1/run', one({ op: 'Relu', inputs: [], outputs: ['y'], name: 'r' }), '$.graph.node[0].input'],
  ])('POST %s with a malformed node → 400 ONNX_GRAPH_INVALID (case %#)', async (route, bytes, path) => {
    const sent = route === '/v1/run' ? request(app.server).post(route).send({ onnxBase64: Buffer.from(bytes).toString('base64'), inputs: { x: { shape: [1, 2, 4, 4], data: new Array(32).fill(1) } } }) : request(app.server).post(route).set('content-type', 'application/octet-stream').send(Buffer.from(bytes));
    const res = await sent.expect(400);
    expect(res.body.error).toMatchObject({ code: 'ONNX_GRAPH_INVALID', path });
  });
});
