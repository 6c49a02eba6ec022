import { describe, expect, it } from 'vitest';
import { loadGraph, requestSource } from '../../src/graph/load.js';
import { errorOf } from '../helpers.js';

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

  it('none: SPEC_INVALID naming the choices; two: SPEC_INVALID at the second', () => {
    expect(errorOf(() => requestSource({}, 'spec or model')).message).toBe('give the network: spec or model');
    expect(errorOf(() => requestSource({ spec: {}, model: 'resnet18' })).details.path).toBe('$.model');
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
