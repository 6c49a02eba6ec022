import { describe, expect, it } from 'vitest';
import { loadGraph, requestSource } from '../../src/graph/load.js';
import { inexactSize } from '../../src/graph/onnx/proto.js';
import { errorOf } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

describe('requestSource: one network per request, for REST, GraphQL, /v1/run and the CLI alike', () => {
  it('a model with a resolution, a spec, ONNX bytes with input shapes', () => {
    expect(requestSource({ model: 'resnet18', resolution: 160 })).toEqual({ kind: 'model', name: 'resnet18', resolution: 160 });
    expect(requestSource({ spec: { layers: [] } })).toEqual({ kind: 'spec', spec: { layers: [] } });
    const onnx = new Uint8Array([1, 2]);
    expect(requestSource({ onnx, inputShapes: { '': [1, 3, 8, 8] } })).toEqual({ kind: 'onnx', bytes: onnx, inputShapes: { '': [1, 3, 8, 8] }, at: '$.onnxBase64' });
    expect(requestSource({ onnx, onnxAt: 'body' })).toMatchObject({ kind: 'onnx', at: 'body' });
  });

  it("bytes that are not ONNX: ONNX_INVALID at the source's place in the request", () => {
    const e = errorOf(() => loadGraph({ kind: 'onnx', bytes: new TextEncoder().encode('GIF89a, not a model'), inputShapes: {}, at: '$.old.onnxBase64' }));
    expect(e.code).toBe('ONNX_INVALID');
    expect(e.details.path).toBe('$.old.onnxBase64');
  });

  it('a weight whose raw_data is shorter than its dims (16 bytes for 16777216×3×3×3, or one float of two): 400 INVALID_TENSOR naming it and the node reading it, at the file\'s place; not a stripped weight counted as 453 M parameters', () => {
    const model = (dims: number[], raw?: Uint8Array, data?: number[]) =>
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
        outputs: ['y'],
        initializers: [{ name: 'W', dims, ...(raw && { raw }), ...(data && { data }) }],
        nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'conv1' }],
      });
    const huge = errorOf(() => loadGraph({ kind: 'onnx', bytes: model([16777216, 3, 3, 3], new Uint8Array(16)), inputShapes: {}, at: 'body' }));
    expect(huge).toMatchObject({ code: 'INVALID_TENSOR', status: 400, details: { path: 'body', tensor: 'W', layer: 'conv1', shape: [16777216, 3, 3, 3] } });
    expect(huge.message).toBe("initializer 'W' declares dims [16777216, 3, 3, 3] (452984832 elements of float32, 1811939328 bytes), but its raw_data holds 16 bytes: the file is damaged");
    const floats = errorOf(() => loadGraph({ kind: 'onnx', bytes: model([2, 3, 1, 1], undefined, [1, 2, 3, 4, 5]), inputShapes: {} }));
    expect(floats.message).toContain('float_data holds 5 values');
    // no data at all is a stripped weight: analysed by its shape
    expect(loadGraph({ kind: 'onnx', bytes: model([2, 3, 1, 1]), inputShapes: {} }).graph.layers).toHaveLength(1);
  });

  const relu = (input: { shape: (number | string)[]; elemType?: number; sequence?: boolean }) => onnxModel({ inputs: [{ name: 'x', ...input }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'relu' }] });

  it.each([
    ['2^53 + 1', '9007199254740993'],
    ['2^62', '4611686018427387904'],
  ])('an input dimension of %s (%s): 400 SIZE_TOO_LARGE stating its exact digits at the input (a number rounds them: 2^53 + 1 was printed 9007199254740992, 2^62 as 4611686018427388000)', (_, digits) => {
    const e = errorOf(() => loadGraph({ kind: 'onnx', bytes: relu({ shape: [1, digits, 4, 4] }), inputShapes: {}, at: 'body' }));
    expect(e).toMatchObject({ code: 'SIZE_TOO_LARGE', status: 400, details: { path: '$.graph.input[0]', input: 'x', dimension: 1 } });
    expect(e.message).toBe(`input 'x' dimension 1 is ${digits} in the model, over 2^53: more than convlens counts exactly`);
  });

  it('the first input given both unnamed ([1, 3, 4, 4]) and by its name ([1, 3, 8, 8]): 400 INVALID_OPTION at the unnamed one (the named one won, the other was ignored); the same shape both ways loads', () => {
    const bytes = relu({ shape: ['N', 3, 'H', 'W'] });
    const e = errorOf(() => loadGraph({ kind: 'onnx', bytes, inputShapes: { '': [1, 3, 4, 4], x: [1, 3, 8, 8] } }));
    expect(e).toMatchObject({ code: 'INVALID_OPTION', status: 400, details: { path: '$.inputShapes[""]', input: 'x', shapes: { first: [1, 3, 4, 4], named: [1, 3, 8, 8] } } });
    expect(e.message).toBe("input 'x' is the first input, given [1, 3, 4, 4] for the first input and [1, 3, 8, 8] by its name: give its shape once");
    const query = errorOf(() => loadGraph({ kind: 'onnx', bytes, inputShapes: { '': [1, 3, 4, 4], x: [1, 3, 8, 8] }, shapesAt: 'query.input' }));
    expect(query.details.path).toBe('query.input');
    expect(loadGraph({ kind: 'onnx', bytes, inputShapes: { '': [1, 3, 8, 8], x: [1, 3, 8, 8] } }).graph.inputs[0].shape).toEqual([1, 3, 8, 8]);
  });

  it("an initializer declaring dims [9007199254740993, 1] (2^53 + 1): 400 SIZE_TOO_LARGE naming it with the file's exact dims", () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
      outputs: ['y'],
      initializers: [{ name: 'W', dims: ['9007199254740993', 1] }],
      nodes: [{ op: 'Add', inputs: ['x', 'W'], outputs: ['y'], name: 'add1' }],
    });
    const e = errorOf(() => loadGraph({ kind: 'onnx', bytes, inputShapes: {}, at: 'body' }));
    expect(e).toMatchObject({ code: 'SIZE_TOO_LARGE', status: 400 });
    // at the file's place in the request, as a damaged tensor is
    expect(e.details).toEqual({ path: 'body', tensor: 'W', layer: 'add1' });
    expect(e.message).toBe("initializer 'W' declares dims [9007199254740993, 1]: a dimension over 2^53, more than convlens counts exactly");
  });

  it.each([
    ['2^53', '9007199254740992', null],
    ['2^53 + 1', '9007199254740993', '9007199254740993'],
    ['−(2^53 + 1)', '-9007199254740993', '-9007199254740993'],
    ['2^53 − 1', '9007199254740991', null],
  ])('inexactSize of a Long %s: %s → %s (only past ±2^53 does a number round it)', (_, digits, expected) => {
    const long = { toNumber: () => Number(digits), toString: () => digits };
    expect(inexactSize(long)).toBe(expected);
  });

  it.each([
    [8, 'STRING (ONNX element type 8)'],
    [14, 'COMPLEX64 (ONNX element type 14)'],
    [15, 'COMPLEX128 (ONNX element type 15)'],
    [17, 'FLOAT8E4M3FN (ONNX element type 17)'],
    [22, 'INT4 (ONNX element type 22)'],
    [99, 'ONNX element type 99'],
  ])('an input of element type %i: 400 UNSUPPORTED_DTYPE at the input, %s named (a string input was analysed and run as float32: a fuzz, 2026-12-04)', (elemType, named) => {
    const e = errorOf(() => loadGraph({ kind: 'onnx', bytes: relu({ shape: [1, 3, 4, 4], elemType }), inputShapes: {}, at: 'body' }));
    expect(e).toMatchObject({ code: 'UNSUPPORTED_DTYPE', status: 400, details: { path: '$.graph.input[0]', input: 'x', elemType } });
    expect(e.message).toBe(`input 'x' holds ${named} values; convlens analyses and runs tensors of float (16, 32 and 64-bit, bfloat16), integer (8 to 64-bit) and bool elements`);
  });

  it('an input that is a sequence of float tensors (sequence_type): 400 UNSUPPORTED_DTYPE at the input (its elem_type read as unset, it was run as one float tensor)', () => {
    const e = errorOf(() => loadGraph({ kind: 'onnx', bytes: relu({ shape: [3], sequence: true }), inputShapes: { x: [3] } }));
    expect(e).toMatchObject({ code: 'UNSUPPORTED_DTYPE', status: 400, details: { path: '$.graph.input[0]', input: 'x' } });
    expect(e.message).toBe("input 'x' is a sequence (ONNX sequence_type), not a dense tensor; convlens analyses and runs tensors of float (16, 32 and 64-bit, bfloat16), integer (8 to 64-bit) and bool elements");
  });

  it.each([
    [0, 'unset'],
    [7, 'INT64'],
    [9, 'BOOL'],
    [10, 'FLOAT16'],
  ])('an input of element type %i (%s) loads: numbers, read as float32', (elemType) => {
    expect(loadGraph({ kind: 'onnx', bytes: relu({ shape: [1, 3, 4, 4], elemType }), inputShapes: {} }).graph.inputs).toEqual([{ name: 'x', shape: [1, 3, 4, 4], path: '$.graph.input[0]' }]);
  });

  it.each([
    ['with raw_data of 432 bytes', new Uint8Array(432)],
    ['stripped (no data)', undefined],
  ])('a weight declaring dims [-12, 3, 3, 1], %s: 400 INVALID_TENSOR, dimension 0 negative (with data the message counted −108 elements of −432 bytes: a fuzz, 2026-12-04)', (_, raw) => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
      outputs: ['y'],
      initializers: [{ name: 'W', dims: [-12, 3, 3, 1], ...(raw && { raw }) }],
      nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'conv1' }],
    });
    const e = errorOf(() => loadGraph({ kind: 'onnx', bytes, inputShapes: {}, at: 'body' }));
    expect(e).toMatchObject({ code: 'INVALID_TENSOR', status: 400, details: { path: 'body', tensor: 'W', shape: [-12, 3, 3, 1] } });
    expect(e.message).toBe("initializer 'W' declares dims [-12, 3, 3, 1]: dimension 0 is negative, and a tensor's dims are sizes (0 or more): the file is damaged");
  });

  it.each([
    ['int32_data', 'int32', 'int32Data', [4], [1, 2, 3]],
    ['double_data', 'double', 'doubleData', [2], [1.5, 2.5, 3.5]],
    ['uint64_data', 'uint64', 'uint64Data', [2], [7]],
    ['int32_data of float16 bits', 'float16', 'int32Data', [3], [0x3c00]],
  ] as const)('a weight whose %s holds another count than its dims (%s %j, values %j): 400 INVALID_TENSOR naming the field', (_, type, field, dims, data) => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
      outputs: ['y'],
      initializers: [{ name: 'B', dims: [...dims], type, field, data: [...data] }],
      nodes: [{ op: 'Add', inputs: ['x', 'B'], outputs: ['y'], name: 'add1' }],
    });
    const e = errorOf(() => loadGraph({ kind: 'onnx', bytes, inputShapes: {} }));
    expect(e).toMatchObject({ code: 'INVALID_TENSOR', status: 400, details: { tensor: 'B', layer: 'add1' } });
    const name = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    expect(e.message).toContain(`${name} holds ${data.length} values`);
  });

  it("inputShapes naming a weight that an older export lists among its inputs (W [2, 3, 1, 1]): INVALID_OPTION at its key, saying it is a stored weight; it was ignored", () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 3, 8, 8] }, { name: 'W', shape: [2, 3, 1, 1] }],
      outputs: ['y'],
      initializers: [{ name: 'W', dims: [2, 3, 1, 1] }],
      nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'conv1' }],
    });
    expect(loadGraph({ kind: 'onnx', bytes, inputShapes: { x: [1, 3, 8, 8] } }).graph.inputs.map((i) => i.name)).toEqual(['x']);
    const e = errorOf(() => loadGraph({ kind: 'onnx', bytes, inputShapes: { W: [4, 3, 1, 1] }, at: 'body' }));
    expect(e).toMatchObject({ code: 'INVALID_OPTION', status: 400, details: { path: '$.inputShapes.W', input: 'W', shape: [2, 3, 1, 1] } });
    expect(e.message).toBe("inputShapes names 'W', a weight the file stores (shape [2, 3, 1, 1]), not an input the model is fed; its inputs: 'x'");
  });

  it('none: SPEC_INVALID naming the choices; two: SPEC_INVALID at the second', () => {
    expect(errorOf(() => requestSource({}, 'spec or model')).message).toBe('give the network: spec or model');
    expect(errorOf(() => requestSource({ spec: {}, model: 'resnet18' })).details.path).toBe('$.model');
  });

  // found by the fuzz round: GraphQL's analyze(model: "resnet18", onnxBase64: "AAAA") was "give one
  // network, not model and onnx" at $.onnx, a field no request has (REST's compare said $.old.onnx)
  it('model or spec with an ONNX file: SPEC_INVALID at onnxBase64, or at the file part, named as given', () => {
    const onnx = new Uint8Array([8, 7]);
    const b64 = errorOf(() => requestSource({ model: 'resnet18', onnx, onnxAt: '$.old.onnxBase64' }));
    expect(b64).toMatchObject({ code: 'SPEC_INVALID', message: 'give one network, not model and onnxBase64', details: { path: '$.onnxBase64' } });
    expect(errorOf(() => requestSource({ spec: {}, onnx })).details.path).toBe('$.onnxBase64');
    const part = errorOf(() => requestSource({ spec: {}, onnx, onnxAt: 'model' }));
    expect(part).toMatchObject({ message: "give one network, not spec and an ONNX file part 'model'", details: { path: 'model' } });
  });

  it('resolution without a model: INVALID_OPTION at $.resolution (a spec or ONNX file has its own input shape)', () => {
    const e = errorOf(() => requestSource({ spec: {}, resolution: 224 }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details.path).toBe('$.resolution');
  });
});

describe('modelSpec: a zoo model at a resolution too small for it', () => {
  it('alexnet at 8: a 400 catalog error on $.resolution naming the layer, not a crash', async () => {
    const { modelSpec } = await import('../../src/graph/load.js');
    const e = errorOf(() => modelSpec('alexnet', 8));
    expect(e.status).toBe(400);
    expect(e.details.path).toBe('$.resolution');
    expect(e.message).toMatch(/^alexnet at resolution 8: layer '[^']+': /);
  });
});
