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
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
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

  it("Conv('', W): the weight is bound, but the data input is omitted → ONNX_GRAPH_INVALID naming x (was RANK_MISMATCH on a shape [])", () => {
    const bytes = onnxModel({ inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], outputs: ['y'], initializers: [{ name: 'W', dims: [3, 2, 1, 1] }], nodes: [{ op: 'Conv', inputs: ['', 'W'], outputs: ['y'], name: 'c' }] });
    expect(errorOf(() => importOnnx(bytes))).toMatchObject({ code: 'ONNX_GRAPH_INVALID', message: "node 'c' (Conv) has 0 named inputs; as conv2d it needs 1 (x), and 'x' is missing", details: { path: '$.graph.node[0].input' } });
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

describe('inputs an op does not take, outputs it does not write, control flow that asks too much (second fuzzing round)', () => {
  const two = (node: NodeSpec, outputs: string[]) => onnxModel({ inputs: [{ name: 'x', shape: [1, 2] }], outputs, nodes: [node] });

  it("Add(x, x, '') is Add(x, x): a trailing empty name is an omitted optional input, dropped", () => {
    expect(importOnnx(two({ op: 'Add', inputs: ['x', 'x', ''], outputs: ['y'], name: 'a' }, ['y'])).graph.layers.map((l) => [l.op, l.inputs])).toEqual([['add', ['x', 'x']]]);
  });

  it("Add(x, x, '', x): a variadic op's repeated input cannot be omitted → ONNX_GRAPH_INVALID at its inputs (Add(x, '', x) misses its required b)", () => {
    const e = errorOf(() => importOnnx(two({ op: 'Add', inputs: ['x', 'x', '', 'x'], outputs: ['y'], name: 'a' }, ['y'])));
    expect(e).toMatchObject({ code: 'ONNX_GRAPH_INVALID', message: "node 'a' (Add) omits its input 3 (an empty name); as add it repeats its last input (b), and none of those can be omitted", details: { path: '$.graph.node[0].input' } });
    expect(errorOf(() => importOnnx(two({ op: 'Add', inputs: ['x', '', 'x'], outputs: ['y'], name: 'a' }, ['y']))).message).toBe("node 'a' (Add) has 2 named inputs; as add it needs 2 (a, b), and 'b' is missing");
  });

  it('Or(x, x, x): three named inputs for a two-input op → ONNX_GRAPH_INVALID', () => {
    const e = errorOf(() => importOnnx(two({ op: 'Or', inputs: ['x', 'x', 'x'], outputs: ['y'], name: 'o' }, ['y'])));
    expect(e).toMatchObject({ code: 'ONNX_GRAPH_INVALID', message: "node 'o' (Or) has 3 inputs; as logicalOr it takes at most 2 (a, b)", details: { path: '$.graph.node[0].input' } });
  });

  it("Relu(x) naming a second output: imported when nothing reads it; ONNX_GRAPH_INVALID at output[1] when the graph returns it", () => {
    expect(importOnnx(two({ op: 'Relu', inputs: ['x'], outputs: ['y', 'e1'], name: 'r' }, ['y'])).graph.layers).toHaveLength(1);
    const e = errorOf(() => importOnnx(two({ op: 'Relu', inputs: ['x'], outputs: ['y', 'e1'], name: 'r' }, ['y', 'e1'])));
    expect(e).toMatchObject({ code: 'ONNX_GRAPH_INVALID', message: "node 'r' (Relu) names 'e1' as its output 2, which is read, but relu writes 1 output here: nothing would compute it", details: { path: '$.graph.node[0].output[1]' } });
  });

  it('Identity of a constant naming a second output that a node reads → ONNX_GRAPH_INVALID (the importer folds it into one constant)', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2] }],
      outputs: ['z'],
      initializers: [{ name: 'c', dims: [1], data: [1] }],
      nodes: [
        { op: 'Identity', inputs: ['c'], outputs: ['y', 'y2'], name: 'i' },
        { op: 'Add', inputs: ['x', 'y2'], outputs: ['z'], name: 'a' },
      ],
    });
    expect(errorOf(() => importOnnx(bytes))).toMatchObject({ code: 'ONNX_GRAPH_INVALID', details: { path: '$.graph.node[0].output[1]', layer: 'i' } });
  });

  it('an If naming 2 outputs whose else_branch gives 1 → ONNX_GRAPH_INVALID at its attributes (it read "undefined")', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2] }],
      outputs: ['y', 'z'],
      nodes: [
        { op: 'Greater', inputs: ['x', 'x'], outputs: ['cond'], name: 'g' },
        {
          op: 'If',
          inputs: ['cond'],
          outputs: ['y', 'z'],
          name: 'if',
          attrs: {
            then_branch: { g: { nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['t1'] }, { op: 'Neg', inputs: ['x'], outputs: ['t2'] }], outputs: ['t1', 't2'] } },
            else_branch: { g: { nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['e1'] }], outputs: ['e1'] } },
          },
        },
      ],
    });
    expect(errorOf(() => importOnnx(bytes))).toMatchObject({ code: 'ONNX_GRAPH_INVALID', message: "If 'if' names 2 outputs, but its else_branch gives 1", details: { path: '$.graph.node[1].attribute', layer: 'if' } });
  });

  it('a Loop whose constant trip count M is 2.5 → ONNX_GRAPH_INVALID at M (it read as a number beyond ±(2^53 − 1)); M = 2 unrolls', () => {
    const loop = (m: number) =>
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 2] }],
        outputs: ['v'],
        initializers: [{ name: 'M', dims: [], data: [m], type: m === 2 ? 'int64' : 'float' }],
        nodes: [{ op: 'Loop', inputs: ['M', '', 'x'], outputs: ['v'], name: 'loop', attrs: { body: { g: { inputs: ['i', 'c', 'vi'], nodes: [{ op: 'Identity', inputs: ['c'], outputs: ['co'] }, { op: 'Relu', inputs: ['vi'], outputs: ['vo'] }], outputs: ['co', 'vo'] } } } }],
      });
    expect(errorOf(() => importOnnx(loop(2.5)))).toMatchObject({ code: 'ONNX_GRAPH_INVALID', message: "Loop 'loop' has the trip count M = 2.5: M is an integer (int64), the iterations to run", details: { path: '$.graph.node[0].input[0]' } });
    // two iterations: two Relus on the carried value
    expect(importOnnx(loop(2)).graph.layers.filter((l) => l.op === 'relu')).toHaveLength(2);
  });

  it('a Loop naming 2 outputs whose body gives 1 after its condition (1 carried value, no scan) → ONNX_GRAPH_INVALID at its outputs', () => {
    // M = 2, one carried value; the body returns its condition and the value (the fuzzer's file)
    const loop = Buffer.from('CAg6oQEKcwoBTQoACgF4EgF2EgFzIgRMb29wKl0KBGJvZHkyUgoRCgFjEgJjbyIISWRlbnRpdHkKDgoCdmkSAnZvIgRSZWx1EgFiWgsKAWkSBgoECAcSAFoLCgFjEgYKBAgJEgBaBAoCdmliBAoCY29iBAoCdm+gAQUSAWcqCBAHOgECQgFNWhMKAXgSDgoMCAESCAoCCAEKAggCYgMKAXZiAwoBc0IECgAQEQ==', 'base64');
    expect(errorOf(() => importOnnx(loop))).toMatchObject({ code: 'ONNX_GRAPH_INVALID', message: "Loop 'Loop_0' names 2 outputs, but its body gives 1 after its condition (1 carried, 0 scanned)", details: { path: '$.graph.node[0].output' } });
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

// onnx.checker's single static assignment (graph/onnx/node-checks.ts checkSingleAssignment): each
// of these was analysed silently with the last writer winning (fuzzing against PyTorch, 2026-12-02)
describe('a tensor defined twice is ONNX_GRAPH_INVALID at its second definition', () => {
  const x = { name: 'x', shape: [1, 3, 8, 8] };
  it('two Convs writing y (4 and 8 channels: params counted both, MACs one) → at $.graph.node[1].output[0]', () => {
    const bytes = onnxModel({
      inputs: [x],
      outputs: ['y'],
      initializers: [
        { name: 'Wa', dims: [4, 3, 3, 3] },
        { name: 'Wb', dims: [8, 3, 3, 3] },
      ],
      nodes: [
        { op: 'Conv', inputs: ['x', 'Wa'], outputs: ['y'], name: 'convA' },
        { op: 'Conv', inputs: ['x', 'Wb'], outputs: ['y'], name: 'convB' },
      ],
    });
    expect(errorOf(() => importOnnx(bytes))).toMatchObject({
      code: 'ONNX_GRAPH_INVALID',
      message: "'y' is defined twice, by node 0 'convA' (Conv) and by node 1 'convB' (Conv): an ONNX graph gives each tensor one source (single static assignment)",
      details: { path: '$.graph.node[1].output[0]', tensor: 'y' },
    });
  });

  it('two initializers named W ([4,3,3,3] then [8,3,1,1]) → at $.graph.initializer[1]', () => {
    const bytes = onnxModel({
      inputs: [x],
      outputs: ['y'],
      initializers: [
        { name: 'W', dims: [4, 3, 3, 3] },
        { name: 'W', dims: [8, 3, 1, 1] },
      ],
      nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'c' }],
    });
    expect(errorOf(() => importOnnx(bytes)).details).toMatchObject({ path: '$.graph.initializer[1]', tensor: 'W' });
  });

  it('two graph inputs named x ([1,3,8,8] then [1,5,4,4]) → at $.graph.input[1]; a node writing a graph input\'s name → at its output', () => {
    const twice = onnxModel({ inputs: [x, { name: 'x', shape: [1, 5, 4, 4] }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }] });
    expect(errorOf(() => importOnnx(twice)).details).toMatchObject({ path: '$.graph.input[1]', tensor: 'x' });
    const over = onnxModel({ inputs: [x], outputs: ['x'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['x'], name: 'r' }] });
    expect(errorOf(() => importOnnx(over)).details).toMatchObject({ path: '$.graph.node[0].output[0]', tensor: 'x' });
  });

  it('a weight listed among the inputs (keep_initializers_as_inputs) is fine with its own shape or a dynamic one; declared [8,3,1,1] over an initializer [4,3,3,3] → at $.graph.input[1]', () => {
    const net = (declared: (number | string)[]) =>
      onnxModel({ inputs: [x, { name: 'W', shape: declared }], outputs: ['y'], initializers: [{ name: 'W', dims: [4, 3, 3, 3] }], nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'c' }] });
    expect(importOnnx(net([4, 3, 3, 3])).graph.layers).toHaveLength(1);
    expect(importOnnx(net(['o', 3, 3, 3])).graph.layers).toHaveLength(1);
    expect(errorOf(() => importOnnx(net([8, 3, 1, 1])))).toMatchObject({
      code: 'ONNX_GRAPH_INVALID',
      message: "graph input 'W' is declared [8, 3, 1, 1] but its initializer holds [4, 3, 3, 3]",
      details: { path: '$.graph.input[1]' },
    });
  });
});

describe('an input dimension declared 0 or negative', () => {
  it('is read as dynamic, and the message says what was declared (it said only "is dynamic")', () => {
    const bytes = onnxModel({ inputs: [{ name: 'x', shape: [1, 3, -8, 4] }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }] });
    const e = errorOf(() => importOnnx(bytes));
    expect(e.code).toBe('MISSING_DIMENSION');
    expect(e.message).toMatch(/^input 'x' dimension 2 is declared -8, not a size \(read as dynamic\); give the input's shape with each N filled in: REST \?input=1,3,N,4 /);
    expect(importOnnx(bytes, { inputShapes: { x: [1, 3, 5, 4] } }).graph.inputs[0].shape).toEqual([1, 3, 5, 4]);
  });
});

describe('weights in an external data file (onnx.save(..., save_as_external_data=True))', () => {
  it('analyse as stripped weights do; a run with the file\'s weights says which file holds them (it said "weights stripped")', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      outputs: ['y'],
      initializers: [{ name: 'W', dims: [3, 2, 1, 1], external: 'model.onnx.data' }],
      nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'c' }],
    });
    const { graph } = importOnnx(bytes);
    expect(graph.constants.get('W')!.external).toBe('model.onnx.data');
    const e = errorOf(() => runGraph(graph, { x: tensor([1, 2, 4, 4], new Float32Array(32)) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 16 }));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.message).toContain("(initializer 'W', its data is in the external file 'model.onnx.data' beside the model, which convlens does not read");
  });
});
