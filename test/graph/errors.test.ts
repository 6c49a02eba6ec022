import { describe, expect, it } from 'vitest';
import { analyze, errorOf, net } from '../helpers.js';

const conv = (extra: Record<string, unknown> = {}) => ({ op: 'conv2d', outChannels: 8, kernelSize: 3, ...extra });

describe('every invalid spec names its code, JSON path, layer and shapes', () => {
  it('groups that do not divide the input channels (the issue\'s example)', () => {
    const e = errorOf(() => analyze({ inputs: [{ name: 'x', shape: [1, 64, 8, 8] }], layers: [{ name: 'conv3', op: 'conv2d', outChannels: 64, kernelSize: 3, groups: 3 }] }));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toContain("layer 'conv3': groups=3 does not divide 64 input channels");
    expect(e.details).toMatchObject({ path: '$.layers[0].groups', layer: 'conv3', shapes: { input: [1, 64, 8, 8] } });
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
    ['a misspelt attribute', net([1, 1, 4, 4], conv({ kernel_size: 3 })), '$.layers[0]'],
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
    const e = errorOf(() => analyze(net([1, 1, 4, 4], { op: 'conv3d' })));
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
