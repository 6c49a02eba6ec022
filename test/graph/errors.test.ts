import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeField } from '../../src/graph/attribute-errors.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { OPS } from '../../src/ops/registry.js';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { testApp } from '../http/app.js';
import { analyze, errorOf, net } from '../helpers.js';

const conv = (extra: Record<string, unknown> = {}) => ({ op: 'conv2d', outChannels: 8, kernelSize: 3, ...extra });

describe('every invalid spec names its code, JSON path, layer and shapes', () => {
  it('groups that do not divide the input channels (the issue\'s example)', () => {
    const e = errorOf(() => analyze({ inputs: [{ name: 'x', shape: [1, 64, 8, 8] }], layers: [{ name: 'conv3', op: 'conv2d', outChannels: 64, kernelSize: 3, groups: 3 }] }));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toContain("layer 'conv3': groups=3 does not divide 64 input channels");
    expect(e.details).toMatchObject({ path: '$.layers[0].groups', layer: 'conv3', shapes: { input: [1, 64, 8, 8] } });
  });

  it("functional naming no layer: UNKNOWN_INPUT at $.functional[1]; naming layers, the graph carries them", () => {
    const spec = (functional: string[]) => ({ inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'r', op: 'relu' }, { name: 'p', op: 'maxPool2d', kernelSize: 2 }], functional });
    const e = errorOf(() => parseNetworkSpec(spec(['r', 'q'])));
    expect([e.code, e.details.path]).toEqual(['UNKNOWN_INPUT', '$.functional[1]']);
    expect(parseNetworkSpec(spec(['r', 'p'])).functional).toEqual(['r', 'p']);
  });

  it('subclassed naming no layer: UNKNOWN_INPUT at $.subclassed[0]; a layer functional too: SPEC_INVALID (a call has no module class); else the graph carries them', () => {
    const spec = (subclassed: string[], functional?: string[]) => ({
      inputs: [{ name: 'x', shape: [1, 1, 4, 4, 4] }],
      layers: [{ name: 'c', op: 'conv3d', outChannels: 2, kernelSize: 3 }, { name: 'r', op: 'relu' }],
      subclassed,
      ...(functional && { functional }),
    });
    const e = errorOf(() => parseNetworkSpec(spec(['q'])));
    expect([e.code, e.details.path, e.message]).toEqual(['UNKNOWN_INPUT', '$.subclassed[0]', "subclassed names 'q', which is no layer"]);
    const both = errorOf(() => parseNetworkSpec(spec(['c', 'r'], ['r'])));
    expect([both.code, both.details.path, both.details.layer]).toEqual(['SPEC_INVALID', '$.subclassed[1]', 'r']);
    const g = parseNetworkSpec(spec(['c']));
    expect([g.subclassed, g.functional]).toEqual([['c'], undefined]);
  });

  it('groups that do not divide the output channels', () => {
    const e = errorOf(() => analyze(net([1, 4, 8, 8], conv({ outChannels: 6, groups: 4 }))));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.details.path).toBe('$.layers[0].groups');
  });

  it('add of mismatched shapes', () => {
    const e = errorOf(() =>
      analyze({
        inputs: [{ name: 'x', shape: [1, 4, 8, 8] }],
        layers: [
          { name: 'a', op: 'conv2d', inputs: 'x', outChannels: 8, kernelSize: 1 },
          { name: 'sum', op: 'add', inputs: ['a', 'x'] },
        ],
      }),
    );
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toContain('[1, 8, 8, 8] and [1, 4, 8, 8]');
    expect(e.details).toMatchObject({ path: '$.layers[1].inputs', layer: 'sum', shapes: { input0: [1, 8, 8, 8], input1: [1, 4, 8, 8] } });
  });

  it('concat of mismatched spatial sizes', () => {
    const e = errorOf(() =>
      analyze({
        inputs: [{ name: 'x', shape: [1, 4, 8, 8] }],
        layers: [
          { name: 'p', op: 'maxPool2d', inputs: 'x', kernelSize: 2 },
          { name: 'cat', op: 'concat', inputs: ['x', 'p'] },
        ],
      }),
    );
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.details).toMatchObject({ layer: 'cat', path: '$.layers[1].inputs' });
  });

  it('an unknown input reference', () => {
    const e = errorOf(() => analyze({ inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'a', op: 'add', inputs: ['x', 'ghost'] }] }));
    expect(e.code).toBe('UNKNOWN_INPUT');
    expect(e.details).toMatchObject({ path: '$.layers[0].inputs[1]', layer: 'a' });
  });

  it('an unknown output', () => {
    const e = errorOf(() => analyze({ ...net([1, 1, 4, 4], { op: 'relu' }), outputs: ['nope'] }));
    expect(e).toMatchObject({ code: 'UNKNOWN_INPUT', details: { path: '$.outputs[0]' } });
  });

  it('a cycle names its layers', () => {
    const e = errorOf(() =>
      analyze({
        inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
        layers: [
          { name: 'a', op: 'add', inputs: ['x', 'c'] },
          { name: 'b', op: 'relu', inputs: 'a' },
          { name: 'c', op: 'relu', inputs: 'b' },
        ],
      }),
    );
    expect(e.code).toBe('CYCLE');
    expect(e.message).toMatch(/a → b → c → a|b → c → a → b|c → a → b → c/);
    expect(e.details.path).toMatch(/^\$\.layers\[\d\]$/);
  });

  it('duplicate layer names, and a layer named like an input', () => {
    expect(errorOf(() => analyze(net([1, 1, 4, 4], { name: 'a', op: 'relu' }, { name: 'a', op: 'relu' })))).toMatchObject({
      code: 'DUPLICATE_NAME',
      details: { path: '$.layers[1].name' },
    });
    expect(errorOf(() => analyze(net([1, 1, 4, 4], { name: 'x', op: 'relu' })))).toMatchObject({ code: 'DUPLICATE_NAME', details: { path: '$.layers[0].name' } });
  });

  it.each([
    ['zero in an input shape', { inputs: [{ name: 'x', shape: [1, 0, 4, 4] }], layers: [{ name: 'a', op: 'relu' }] }, '$.inputs[0].shape[1]'],
    ['negative kernel size', net([1, 1, 4, 4], conv({ kernelSize: -1 })), '$.layers[0].kernelSize'],
    ['zero stride', net([1, 1, 4, 4], conv({ stride: 0 })), '$.layers[0].stride'],
    ['fractional channels', net([1, 1, 4, 4], conv({ outChannels: 2.5 })), '$.layers[0].outChannels'],
    ['a misspelt attribute (the path names the key)', net([1, 1, 4, 4], conv({ kernel_size: 3 })), '$.layers[0].kernel_size'],
    ['a missing required attribute', net([1, 1, 4, 4], { op: 'linear' }), '$.layers[0].outFeatures'],
    ['no layers', { inputs: [{ name: 'x', shape: [1] }], layers: [] }, '$.layers'],
    ['no inputs', { inputs: [], layers: [{ name: 'a', op: 'relu' }] }, '$.inputs'],
    ['a spec that is not an object', 42, '$'],
  ])('SPEC_INVALID: %s', (_, spec, path) => {
    const e = errorOf(() => analyze(spec));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.details.path).toBe(path);
  });

  it('an unknown op lists the known ones', () => {
    const e = errorOf(() => analyze(net([1, 1, 4, 4], { op: 'conv4d' })));
    expect(e.code).toBe('UNKNOWN_OP');
    expect(e.details.path).toBe('$.layers[0].op');
    expect(e.message).toContain('conv2d');
  });

  it('a kernel larger than its padded input', () => {
    const e = errorOf(() => analyze(net([1, 1, 4, 4], conv({ kernelSize: 7, padding: 1 }))));
    expect(e.code).toBe('KERNEL_TOO_LARGE');
    expect(e.message).toContain('effective kernel 7');
    expect(e.message).toContain('padded input height 6');
    expect(e.details).toMatchObject({ path: '$.layers[0].kernelSize', layer: 'l0', shapes: { input0: [1, 1, 4, 4] } });
  });

  it('a dilated kernel larger than its input: k=3 d=3 needs 7', () => {
    expect(errorOf(() => analyze(net([1, 1, 6, 6], conv({ dilation: 3 })))).code).toBe('KERNEL_TOO_LARGE');
  });

  it('a transposed conv whose padding leaves no output', () => {
    const e = errorOf(() => analyze(net([1, 1, 1, 1], { op: 'convTranspose2d', outChannels: 1, kernelSize: 1, padding: 1 })));
    expect(e.code).toBe('NON_POSITIVE_SIZE');
    expect(e.details.path).toBe('$.layers[0].padding');
  });

  it('outputPadding not below stride or dilation (PyTorch rule)', () => {
    const e = errorOf(() => analyze(net([1, 1, 4, 4], { op: 'convTranspose2d', outChannels: 1, kernelSize: 3, stride: 2, outputPadding: 2 })));
    expect(e).toMatchObject({ code: 'INVALID_ATTRIBUTE', details: { path: '$.layers[0].outputPadding' } });
  });

  it('padding "same" with stride 2 (PyTorch rejects it)', () => {
    expect(errorOf(() => analyze(net([1, 1, 8, 8], conv({ padding: 'same', stride: 2 }))))).toMatchObject({
      code: 'INVALID_ATTRIBUTE',
      details: { path: '$.layers[0].padding' },
    });
  });

  it('pooling padding above half the kernel', () => {
    expect(errorOf(() => analyze(net([1, 1, 8, 8], { op: 'maxPool2d', kernelSize: 2, padding: 2 })))).toMatchObject({
      code: 'INVALID_ATTRIBUTE',
      details: { path: '$.layers[0].padding' },
    });
  });

  it('a conv on a rank-2 tensor', () => {
    const e = errorOf(() => analyze(net([1, 16], conv())));
    expect(e).toMatchObject({ code: 'RANK_MISMATCH', details: { layer: 'l0', shapes: { input0: [1, 16] } } });
  });

  it('a declared inChannels that disagrees with the input', () => {
    expect(errorOf(() => analyze(net([1, 3, 8, 8], conv({ inChannels: 4 }))))).toMatchObject({ code: 'CHANNEL_MISMATCH', details: { path: '$.layers[0].inChannels' } });
  });

  it('a linear whose inFeatures disagree', () => {
    expect(errorOf(() => analyze(net([1, 10], { op: 'linear', outFeatures: 2, inFeatures: 12 })))).toMatchObject({ code: 'CHANNEL_MISMATCH' });
  });

  it('too many inputs for a unary op', () => {
    const e = errorOf(() => analyze({ inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'r', op: 'relu', inputs: ['x', 'x'] }] }));
    expect(e).toMatchObject({ code: 'SPEC_INVALID', details: { path: '$.layers[0].inputs' } });
  });

  it('upsample with both scale and size, or alignCorners on nearest', () => {
    expect(errorOf(() => analyze(net([1, 1, 4, 4], { op: 'upsample', scaleFactor: 2, size: 8 })))).toMatchObject({ code: 'SPEC_INVALID' });
    expect(errorOf(() => analyze(net([1, 1, 4, 4], { op: 'upsample', scaleFactor: 2, alignCorners: true })))).toMatchObject({
      code: 'SPEC_INVALID',
      details: { path: '$.layers[0].alignCorners' },
    });
  });

  it('deformConv2d with offsets of the wrong shape', () => {
    const e = errorOf(() =>
      analyze({
        inputs: [{ name: 'x', shape: [1, 4, 8, 8] }],
        layers: [
          { name: 'off', op: 'conv2d', inputs: 'x', outChannels: 10, kernelSize: 3, padding: 1 },
          { name: 'dcn', op: 'deformConv2d', inputs: ['x', 'off'], outChannels: 4, kernelSize: 3, padding: 1 },
        ],
      }),
    );
    expect(e).toMatchObject({ code: 'SHAPE_MISMATCH', details: { layer: 'dcn', path: '$.layers[1].inputs' } });
  });
});

// Issue 8, item 7: errors that speak PyTorch. `c1` is layer 3, after three layers that are fine.
const pytorchNet = (c1: Record<string, unknown>) => ({
  inputs: [{ name: 'x', shape: [1, 3, 16, 16] }],
  layers: [
    { name: 'c0', op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 },
    { name: 'bn0', op: 'batchNorm2d' },
    { name: 'r0', op: 'relu' },
    { name: 'c1', ...c1 },
  ],
});
const CAMEL = "(convlens spells PyTorch's arguments in camelCase)";
const x4 = () => tensor([1, 1, 4, 4], new Float32Array(16));
const runOp = (name: string, attributes: Record<string, unknown>) =>
  runOperator({ name, inputs: [x4()], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 20 });

describe('PyTorch habits in a spec: missing and misspelt attributes are named, with the likely fix', () => {
  it('conv2d without kernelSize: names it, says what it is and its PyTorch name, path $.layers[3].kernelSize', () => {
    const e = errorOf(() => parseNetworkSpec(pytorchNet({ op: 'conv2d', outChannels: 8 })));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.message).toMatch(/^layer 'c1': conv2d needs kernelSize \(.+; PyTorch: kernel_size\)$/);
    expect(e.message).not.toContain('Invalid input');
    expect(e.details).toMatchObject({ path: '$.layers[3].kernelSize', layer: 'c1', missing: ['kernelSize'] });
  });

  it('what a field is: its .describe() text, else words from its schema', () => {
    expect(describeField(z.union([z.number().int().positive(), z.tuple([z.number().int().positive(), z.number().int().positive()])]))).toBe(
      'a positive integer or a pair of positive integers',
    );
    expect(describeField(z.number().int().positive().describe("the kernel's [height, width]").default(1))).toBe("the kernel's [height, width]");
    expect(describeField(z.enum(['nearest', 'bilinear']))).toBe('one of "nearest", "bilinear"');
    expect(errorOf(() => parseNetworkSpec(pytorchNet({ op: 'linear' }))).message).toBe("layer 'c1': linear needs outFeatures (output features; PyTorch: out_features)");
    expect(errorOf(() => parseNetworkSpec(pytorchNet({ op: 'conv2d', outChannels: 8 }))).message).toBe(
      "layer 'c1': conv2d needs kernelSize (the kernel's [height, width], or one number for both; PyTorch: kernel_size)",
    );
  });

  it('kernel_size given, kernelSize missing: one error naming both, at the unknown key, before the missing one', () => {
    const e = errorOf(() => parseNetworkSpec(pytorchNet({ op: 'conv2d', outChannels: 8, kernel_size: 3 })));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.message).toBe(`layer 'c1': conv2d has no attribute kernel_size; did you mean kernelSize? ${CAMEL}`);
    expect(e.details).toMatchObject({ path: '$.layers[3].kernel_size', layer: 'c1', suggestion: 'kernelSize', missing: ['kernelSize'] });
    expect(e.details.issues).toEqual([{ path: '$.layers[3].kernel_size', message: e.message }]);
  });

  it('out_channels and kernel_size, and stride 0: both renames first, then the unrelated error, all in details.issues', () => {
    const e = errorOf(() => parseNetworkSpec(pytorchNet({ op: 'conv2d', out_channels: 8, kernel_size: 3, stride: 0 })));
    const issues = e.details.issues as { path: string; message: string }[];
    expect(issues.map((i) => i.path)).toEqual(['$.layers[3].out_channels', '$.layers[3].kernel_size', '$.layers[3].stride']);
    expect(e.details).toMatchObject({ path: '$.layers[3].out_channels', suggestion: 'outChannels' });
    expect(issues[2].message).toMatch(/^layer 'c1': stride: Too small/); // zod's words, after the layer, as before
  });

  it('an input dimension of −2 ([1, 3, −2, 4]): the message names the field as JSONPath writes it, inputs[0].shape[2] (it said zod\'s inputs.0.shape.2)', () => {
    const e = errorOf(() => parseNetworkSpec({ inputs: [{ name: 'x', shape: [1, 3, -2, 4] }], layers: [{ name: 'r', op: 'relu' }] }));
    expect(e.details.path).toBe('$.inputs[0].shape[2]');
    expect(e.message).toBe('inputs[0].shape[2]: Too small: expected number to be >0');
    const kernel = errorOf(() => parseNetworkSpec(pytorchNet({ op: 'conv2d', outChannels: 8, kernelSize: [3, 0] })));
    expect(kernel.message).toMatch(/^layer 'c1': kernelSize\[1\]: Too small/);
  });

  it('kernel_size beside kernelSize is not accepted silently: the error says to remove it', () => {
    const e = errorOf(() => parseNetworkSpec(pytorchNet({ op: 'conv2d', outChannels: 8, kernelSize: 3, kernel_size: 3 })));
    expect(e.message).toBe(`layer 'c1': conv2d has no attribute kernel_size; did you mean kernelSize? ${CAMEL} (kernelSize is given too: remove kernel_size)`);
    expect(e.details).toMatchObject({ path: '$.layers[3].kernel_size', suggestion: 'kernelSize' });
    expect(e.details.missing).toBeUndefined();
  });

  it.each([
    ['strides', 'stride', { kernelSize: 3 }], // nearest by edit distance
    ['kernal_size', 'kernelSize', {}], // camelCase, then edit distance; explains the missing kernelSize
    ['kernel', 'kernelSize', {}], // inside the name of the missing kernelSize
    ['input', 'inputs', { kernelSize: 3 }], // a layer field, not an attribute
  ])('unknown key %s → did you mean %s?', (key, fix, attrs) => {
    const e = errorOf(() => parseNetworkSpec(pytorchNet({ op: 'conv2d', outChannels: 8, ...attrs, [key]: 1 })));
    expect(e.message).toBe(`layer 'c1': conv2d has no attribute ${key}; did you mean ${fix}?`);
    expect(e.details).toMatchObject({ path: `$.layers[3].${key}`, suggestion: fix });
  });

  it('an unknown key like nothing: the list of valid attributes; on relu (nn.ReLU(inplace=True)), none', () => {
    const e = errorOf(() => parseNetworkSpec(pytorchNet({ op: 'conv2d', outChannels: 8, kernelSize: 3, foo: 1 })));
    expect(e.message).toBe("layer 'c1': conv2d has no attribute foo; its attributes are outChannels, inChannels, kernelSize, stride, padding, dilation, groups, bias, mode, paddingMode");
    expect(e.details).toMatchObject({ path: '$.layers[3].foo', knownAttributes: ['outChannels', 'inChannels', 'kernelSize', 'stride', 'padding', 'dilation', 'groups', 'bias', 'mode', 'paddingMode'] });
    expect(e.details.suggestion).toBeUndefined();
    const r = errorOf(() => parseNetworkSpec(pytorchNet({ op: 'relu', inplace: true })));
    expect(r).toMatchObject({ code: 'SPEC_INVALID', message: "layer 'c1': relu has no attribute inplace; it takes no attributes", details: { path: '$.layers[3].inplace' } });
  });

  it('the envelope: a layer without op, without name, and `layer` for `layers`', () => {
    expect(errorOf(() => parseNetworkSpec(pytorchNet({ kernelSize: 3 })))).toMatchObject({
      message: "layer 'c1' needs op (the operator, e.g. conv2d; GET /v1/operators lists them)",
      details: { path: '$.layers[3].op' },
    });
    expect(errorOf(() => parseNetworkSpec({ inputs: [{ name: 'x', shape: [1] }], layers: [{ op: 'relu' }] }))).toMatchObject({
      message: '$.layers[0] needs name (Unique layer name)',
      details: { path: '$.layers[0].name' },
    });
    const { layers, ...rest } = pytorchNet({ op: 'relu' });
    expect(errorOf(() => parseNetworkSpec({ ...rest, layer: layers }))).toMatchObject({
      message: 'the spec has no field layer; did you mean layers?',
      details: { path: '$.layer', suggestion: 'layers', missing: ['layers'] },
    });
  });
});

describe('PyTorch op names get the convlens op', () => {
  it.each([
    ['conv2D', 'conv2d', 'torch.nn.Conv2d'],
    ['Conv2d', 'conv2d', 'torch.nn.Conv2d'],
    ['nn.Conv2d', 'conv2d', 'torch.nn.Conv2d'],
    ['torch.nn.Conv2d', 'conv2d', 'torch.nn.Conv2d'],
    ['Conv2D', 'conv2d', 'torch.nn.Conv2d'],
    ['BatchNorm2d', 'batchNorm2d', 'torch.nn.BatchNorm2d'],
    ['ReLU', 'relu', 'torch.nn.ReLU'],
    ['MaxPool2d', 'maxPool2d', 'torch.nn.MaxPool2d'],
    ['F.max_pool2d', 'maxPool2d', 'torch.nn.MaxPool2d'], // snake_case function
    ['nn.SiLU', 'swish', 'torch.nn.SiLU'], // by the op's pytorch field
    ['torch.cat', 'concat', 'torch.cat'],
    ['F.interpolate', 'resize', 'torch.nn.functional.interpolate'],
    ['conv4d', 'conv2d', 'torch.nn.Conv2d'], // edit distance
  ])('%s → %s', (name, op, pytorch) => {
    const e = errorOf(() => parseNetworkSpec(pytorchNet({ op: name })));
    expect(e.code).toBe('UNKNOWN_OP');
    expect(e.message).toBe(`layer 'c1': unknown op '${name}'; did you mean ${op} (${pytorch})?`);
    expect(e.details).toMatchObject({ path: '$.layers[3].op', layer: 'c1', suggestion: op });
    expect(e.details.knownOps).toEqual(OPS.map((o) => o.name));
  });

  it('no close op: a few by substring, or none; the message never lists them all', () => {
    const pool = errorOf(() => parseNetworkSpec(pytorchNet({ op: 'pool2d' })));
    expect(pool.message).toBe("layer 'c1': unknown op 'pool2d'; did you mean one of maxPool2d, avgPool2d, maxUnpool2d?");
    expect(pool.details.suggestion).toBeUndefined();
    const none = errorOf(() => parseNetworkSpec(pytorchNet({ op: 'xyzzy' })));
    expect(none.message).toBe(`layer 'c1': unknown op 'xyzzy'; GET /v1/operators lists all ${OPS.length} (the error's knownOps lists them too)`);
    expect(none.details.suggestions).toEqual([]);
    expect(none.message).not.toContain('reduceMean');
  });
});

describe('the same through runOperator (attributes at $.attributes)', () => {
  it('conv2d without kernelSize', () => {
    const e = errorOf(() => runOp('conv2d', { outChannels: 1 }));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.message).toMatch(/^conv2d needs kernelSize \(.+; PyTorch: kernel_size\)$/);
    expect(e.details).toMatchObject({ path: '$.attributes.kernelSize', missing: ['kernelSize'] });
  });

  it('kernel_size for kernelSize', () => {
    const e = errorOf(() => runOp('conv2d', { outChannels: 1, kernel_size: 3 }));
    expect(e).toMatchObject({
      code: 'SPEC_INVALID',
      message: `conv2d has no attribute kernel_size; did you mean kernelSize? ${CAMEL}`,
      details: { path: '$.attributes.kernel_size', suggestion: 'kernelSize', missing: ['kernelSize'] },
    });
  });

  it('other zod errors keep their words: conv2d: groups: …', () => {
    const e = errorOf(() => runOp('conv2d', { outChannels: 1, kernelSize: 1, groups: 0 }));
    expect(e.message).toMatch(/^conv2d: groups: Too small/);
    expect(e.details.path).toBe('$.attributes.groups');
  });

  it.each(['conv2D', 'Conv2d', 'nn.Conv2d'])('operator %s → UNKNOWN_OPERATOR, did you mean conv2d?', (name) => {
    const e = errorOf(() => runOp(name, {}));
    expect(e).toMatchObject({ code: 'UNKNOWN_OPERATOR', message: `no operator '${name}'; did you mean conv2d (torch.nn.Conv2d)?`, details: { suggestion: 'conv2d' } });
  });
});

describe('the same through POST /v1/analyze: 400 with code, path, message and suggestion', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => app.close());

  it('missing kernelSize', async () => {
    const res = await request(app.server).post('/v1/analyze').send(pytorchNet({ op: 'conv2d', outChannels: 8 })).expect(400);
    expect(res.body.error).toMatchObject({ code: 'SPEC_INVALID', path: '$.layers[3].kernelSize', layer: 'c1', missing: ['kernelSize'] });
    expect(res.body.error.message).toMatch(/^layer 'c1': conv2d needs kernelSize \(.+; PyTorch: kernel_size\)$/);
  });

  it('kernel_size', async () => {
    const res = await request(app.server).post('/v1/analyze').send(pytorchNet({ op: 'conv2d', outChannels: 8, kernel_size: 3 })).expect(400);
    expect(res.body.error).toMatchObject({
      code: 'SPEC_INVALID',
      path: '$.layers[3].kernel_size',
      message: `layer 'c1': conv2d has no attribute kernel_size; did you mean kernelSize? ${CAMEL}`,
      suggestion: 'kernelSize',
    });
  });

  it.each(['conv2D', 'Conv2d', 'nn.Conv2d'])('op %s', async (name) => {
    const res = await request(app.server).post('/v1/analyze').send(pytorchNet({ op: name, outChannels: 8, kernelSize: 3 })).expect(400);
    expect(res.body.error).toMatchObject({
      code: 'UNKNOWN_OP',
      path: '$.layers[3].op',
      layer: 'c1',
      message: `layer 'c1': unknown op '${name}'; did you mean conv2d (torch.nn.Conv2d)?`,
      suggestion: 'conv2d',
    });
  });
});

describe('a bounded error body', () => {
  it('10 000 unknown keys on one layer: details.issues stops at 50 and counts the rest', () => {
    const junk = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`junk${i}`, 1]));
    const e = errorOf(() => parseNetworkSpec(pytorchNet({ op: 'relu', ...junk })));
    expect(e.details.path).toBe('$.layers[3].junk0');
    expect(e.details.issues).toHaveLength(50);
    expect(e.details.issuesOmitted).toBe(9_950);
  });
});
