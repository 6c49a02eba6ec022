/**
 * A job request is validated before anything is queued, with the errors (code, JSONPath, closest
 * key) the synchronous routes answer; a batch's models are checked one by one with their index.
 */
import { describe, expect, it } from 'vitest';
import { inputBytes, prepareJob } from '../../src/jobs/request.js';
import { errorOf } from '../helpers.js';
import { tinySpec } from './helpers.js';

const LIMITS = { maxElements: 1000, batchMax: 3 };
const prepare = (body: unknown) => prepareJob(body, LIMITS);

describe('the envelope: { kind, …fields }', () => {
  it.each([
    [{ model: 'resnet18' }, '$.kind is required: analyze, run or batch', undefined],
    [{ kind: 'analyse', model: 'resnet18' }, '$.kind must be analyze, run or batch, got "analyse" (did you mean \'analyze\'?)', 'analyze'],
    [{ kind: 'runn', model: 'resnet18' }, '$.kind must be analyze, run or batch, got "runn" (did you mean \'run\'?)', 'run'],
  ])('%j → INVALID_OPTION at $.kind', (body, message, suggestion) => {
    const e = errorOf(() => prepare(body));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toBe(message);
    expect(e.details).toMatchObject({ path: '$.kind', known: ['analyze', 'run', 'batch'] });
    expect(e.details.suggestion).toBe(suggestion);
  });

  it.each([[[]], ['resnet18'], [null]])('a body that is not an object (%j) is SPEC_INVALID at $', (body) => {
    expect(errorOf(() => prepare(body)).details.path).toBe('$');
    expect(errorOf(() => prepare(body)).code).toBe('SPEC_INVALID');
  });
});

describe('a bad body is refused as the synchronous route refuses it (code and path: POST /v1/run, POST /v1/analyze)', () => {
  it.each([
    // an unknown field before an unknown model: /v1/run checks its fields first (the job said UNKNOWN_MODEL)
    [{ kind: 'run', model: 'squeezenet1_1x', foo: 1 }, 'INVALID_OPTION', '$.foo'],
    [{ kind: 'run', model: 'squeezenet1_1x' }, 'UNKNOWN_MODEL', '$.model'],
    // a resolution without a model, before "no network given" (the job said SPEC_INVALID at $)
    [{ kind: 'analyze', resolution: 32 }, 'INVALID_OPTION', '$.resolution'],
    [{ kind: 'analyze', model: 'nope', foo: 1 }, 'INVALID_OPTION', '$.foo'],
  ])('%j → %s at %s', (body, code, path) => {
    const e = errorOf(() => prepare(body));
    expect([e.code, e.details.path]).toEqual([code, path]);
  });
});

describe('kind analyze: the fields of POST /v1/analyze, plus onnxBase64 and inputShapes', () => {
  it('an unknown device or convention is refused at submission (400 with the option\'s path), not a job that fails later', () => {
    const device = errorOf(() => prepare({ kind: 'analyze', model: 'resnet18', options: { device: 'nonesuch-gpu' } }));
    expect(device.code).toBe('INVALID_OPTION');
    expect(device.details.path).toBe('$.options.device');
    const convention = errorOf(() => prepare({ kind: 'analyze', model: 'resnet18', options: { convention: 'flopz' } }));
    expect(convention.code).toBe('INVALID_OPTION');
    expect(convention.details.path).toBe('$.options.convention');
  });

  it('a zoo model at a resolution becomes a model source with default options', () => {
    expect(prepare({ kind: 'analyze', model: 'resnet18', resolution: 160 })).toEqual({
      kind: 'analyze',
      source: { kind: 'model', name: 'resnet18', resolution: 160, resolutionAt: '$.resolution', modelAt: '$.model' },
      options: { dtype: 'float32', flops: '2macs', includeBias: false },
    });
  });

  it('onnxBase64 "AAECAw==" is the 4 bytes 0, 1, 2, 3 with its inputShapes', () => {
    const job = prepare({ kind: 'analyze', onnxBase64: 'AAECAw==', inputShapes: { '': [1, 3, 8, 8] } });
    expect(job.kind === 'analyze' && job.source.kind === 'onnx' && [...job.source.bytes]).toEqual([0, 1, 2, 3]);
    expect(job.kind === 'analyze' && job.source.kind === 'onnx' && job.source.inputShapes).toEqual({ '': [1, 3, 8, 8] });
    expect(inputBytes(job)).toBe(4);
  });

  it.each([
    [{ resoluton: 160, model: 'resnet18' }, 'INVALID_OPTION', '$.resoluton', 'resolution'],
    [{ spec: 'vgg16' }, 'SPEC_INVALID', '$.spec', undefined],
    [{ model: 'resnet18', spec: tinySpec }, 'SPEC_INVALID', '$.model', undefined],
    [{ spec: tinySpec, inputShapes: { '': [1, 2] } }, 'INVALID_OPTION', '$.inputShapes', undefined],
    [{ spec: tinySpec, resolution: 64 }, 'INVALID_OPTION', '$.resolution', undefined],
    [{ model: 'resnet19' }, 'UNKNOWN_MODEL', '$.model', 'resnet18'],
    [{ model: 'resnet18', options: { dtype: 'float64' } }, 'INVALID_OPTION', '$.options.dtype', undefined],
  ])('%j → %s at %s', (fields, code, path, suggestion) => {
    const e = errorOf(() => prepare({ kind: 'analyze', ...fields }));
    expect(e.code).toBe(code);
    expect(e.details.path).toBe(path);
    expect(e.details.suggestion).toBe(suggestion);
  });
});

describe('kind run: the fields of POST /v1/run, decoded once', () => {
  it('inputs [-1, 2] decode to a Float32Array; 8 bytes held until it runs', () => {
    const job = prepare({ kind: 'run', spec: tinySpec, inputs: { x: { shape: [1, 2], data: [-1, 2] } } });
    expect(job.kind).toBe('run');
    if (job.kind !== 'run') return;
    expect([...job.task.inputs.x.data]).toEqual([-1, 2]);
    expect(job.encoding).toBe('flat');
    expect(inputBytes(job)).toBe(8);
  });

  it.each([
    [{ spec: tinySpec }, 'INVALID_TENSOR', '$.inputs'],
    [{ spec: tinySpec, inputs: { x: { shape: [1, 2000], data: [] } } }, 'TENSOR_TOO_LARGE', '$.inputs.x'],
    [{ model: 'vgg61', inputs: { x: { shape: [1], data: [0] } } }, 'UNKNOWN_MODEL', '$.model'],
    [{ spec: tinySpec, inputs: { x: { shape: [1, 2], data: [0, 0] } }, captur: ['r'] }, 'INVALID_OPTION', '$.captur'],
  ])('%j → %s at %s', (fields, code, path) => {
    const e = errorOf(() => prepare({ kind: 'run', ...fields }));
    expect(e.code).toBe(code);
    expect(e.details.path).toBe(path);
  });
});

describe('kind batch: models by zoo name or as objects, at most JOB_BATCH_MAX', () => {
  it('names come from the zoo name, the name given, the spec name, else models[i]', () => {
    const job = prepare({
      kind: 'batch',
      models: ['resnet18', { onnxBase64: 'AAAA', name: 'mine.onnx' }, { spec: { ...tinySpec, name: undefined } }],
      options: { dtype: 'int8' },
    });
    expect(job.kind === 'batch' && job.items.map((i) => i.name)).toEqual(['resnet18', 'mine.onnx', 'models[2]']);
    expect(job.kind === 'batch' && job.options.dtype).toBe('int8');
    // 'AAAA' is three zero bytes
    expect(inputBytes(job)).toBe(3);
    const named = prepare({ kind: 'batch', models: [{ spec: tinySpec }] });
    expect(named.kind === 'batch' && named.items[0].name).toBe('tiny');
  });

  it.each([
    [{ models: [] }, 'INVALID_OPTION', '$.models'],
    [{ models: ['resnet18', 'resnet18', 'resnet18', 'resnet18'] }, 'INVALID_OPTION', '$.models'],
    [{ models: ['resnet18', 'resnet51'] }, 'UNKNOWN_MODEL', '$.models[1]'],
    [{ models: ['resnet18', { modle: 'resnet18' }] }, 'INVALID_OPTION', '$.models[1].modle'],
    [{ models: [{ model: 'resnet18', spec: tinySpec }] }, 'SPEC_INVALID', '$.models[0].model'],
    [{ models: [{ spec: 'x' }] }, 'SPEC_INVALID', '$.models[0].spec'],
    [{ models: [42] }, 'INVALID_OPTION', '$.models[0]'],
    [{ models: [{ model: 'resnet19' }] }, 'UNKNOWN_MODEL', '$.models[0].model'],
    // not base64: the path once, as in the message (it was $.models[1].models[1].onnxBase64)
    [{ models: ['resnet18', { onnxBase64: '!!' }] }, 'ONNX_INVALID', '$.models[1].onnxBase64'],
    [{ models: ['resnet18'], option: {} }, 'INVALID_OPTION', '$.option'],
  ])('%j → %s at %s', (fields, code, path) => {
    const e = errorOf(() => prepare({ kind: 'batch', ...fields }));
    expect(e.code, e.message).toBe(code);
    expect(e.details.path).toBe(path);
  });

  it('a zoo model\'s resolution its model refuses (vgg16 at 16: KERNEL_TOO_LARGE, when the job builds it) is at $.models[1].resolution, where the batch gives it (it was $.resolution, a top-level field the job has not)', async () => {
    const job = prepare({ kind: 'batch', models: ['resnet18', { model: 'vgg16', resolution: 16 }] });
    const source = job.kind === 'batch' ? job.items[1].source : null;
    expect(source).toMatchObject({ kind: 'model', name: 'vgg16', resolution: 16, resolutionAt: '$.models[1].resolution' });
    const { loadGraph } = await import('../../src/graph/load.js');
    const e = errorOf(() => loadGraph(source!));
    expect([e.code, e.details.path]).toEqual(['KERNEL_TOO_LARGE', '$.models[1].resolution']);
  });

  it('over the limit the message names JOB_BATCH_MAX and both counts', () => {
    expect(errorOf(() => prepare({ kind: 'batch', models: ['vgg11', 'vgg11', 'vgg11', 'vgg11'] })).message).toBe(
      'a batch holds at most 3 models (JOB_BATCH_MAX); this one has 4: split it',
    );
  });
});
