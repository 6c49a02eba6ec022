/**
 * The worker's model cache (runtime/model-cache.ts): a second run of the same ONNX bytes reuses
 * the imported graph, its analysis and the folded conv weights, and gives the same bits; the cache
 * is keyed by content (a copy of the file hits), by input shapes, and bounded by bytes, least
 * recently used out. The weight store it keeps folds once per weight source.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { builtKey, modelCache, ModelCache, modelKey, cachedModel, familyKey, foldedBytes, PER_LAYER_BYTES } from '../../src/runtime/model-cache.js';
import { taskLimits } from '../../src/runtime/limits.js';
import { runTask } from '../../src/runtime/tasks.js';
import type { RunTask } from '../../src/runtime/tasks.js';
import { tensor } from '../../src/tensor/tensor.js';
import { scaledError } from '../helpers.js';
import { loadGraph } from '../../src/graph/load.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { onnxRunTask } from './onnx-run-task.js';

const dir = new URL('../fixtures/networks/', import.meta.url);
const bytesOf = (name: string) => new Uint8Array(readFileSync(new URL(`${name}.onnx`, dir)));
const goldenOf = (name: string) => JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as { input: { shape: number[]; data: number[] }; output: { data: number[] } };

const task = onnxRunTask;
const out = (r: ReturnType<typeof runTask>) => r.outputs[r.order.outputs[0]].data;

/** A small spec with seeded weights: conv 3→8 3×3 + BN + ReLU (a fold), pooled, linear 8→10 (6 layers). */
const smallSpec = {
  name: 'small',
  inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
  layers: [
    { name: 'conv', op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 },
    { name: 'bn', op: 'batchNorm2d' },
    { name: 'relu', op: 'relu' },
    { name: 'pool', op: 'globalAvgPool2d' },
    { name: 'flat', op: 'flatten' },
    { name: 'fc', op: 'linear', outFeatures: 10 },
  ],
};

// the cache is this process's: its size limit goes back to what it was, for the files after this one in the worker
const maxBytes = modelCache.maxBytes;
afterEach(() => {
  modelCache.clear();
  modelCache.maxBytes = maxBytes;
});

describe('model cache', () => {
  it('a file whose weights the import folds counts them: two StdConv2d weights (64·3·3·3 + 128·64·3·3 = 75,456 values) and the statistics they are standardised by (a mean and a variance per output channel, 2·(64 + 128) = 384): 303,360 bytes besides the file', () => {
    const ws = new URL('../fixtures/onnx/ws/', import.meta.url);
    const bytes = new Uint8Array(readFileSync(new URL('ws_big_17.onnx', ws)));
    const truth = JSON.parse(readFileSync(new URL('truth_big.json', ws), 'utf8')) as { input: { shape: number[]; data: number[] } };
    runTask(task(bytes, truth.input));
    const graph = loadGraph({ kind: 'onnx', bytes, inputShapes: {} }).graph;
    expect(foldedBytes(graph)).toBe((75_456 + 384) * 4);
    expect(modelCache.bytes).toBeGreaterThanOrEqual(bytes.byteLength + (75_456 + 384) * 4 + graph.layers.length * PER_LAYER_BYTES);
  });

  it('mobilenet_v2_w050 (52 conv → BN pairs): the second run of a copy of the file hits, keeps the 52 folds and the classifier decoded, and gives the first run\'s bits (PyTorch within 1e-4)', () => {
    const golden = goldenOf('mobilenet_v2_w050');
    const bytes = bytesOf('mobilenet_v2_w050');
    const first = out(runTask(task(bytes, golden.input)));
    expect(modelCache.size).toBe(1);
    const folded = modelCache.bytes;
    // file + folded weights (a kept fold per conv) + the layer estimate
    expect(folded).toBeGreaterThan(bytes.byteLength + 100_000);
    const second = out(runTask(task(Uint8Array.from(bytes), golden.input)));
    expect(modelCache.size).toBe(1);
    // the second run decoded the classifier's weight and bias again (no fold is kept for them): kept decoded now, 1280·10 + 10 floats
    expect(modelCache.bytes).toBe(folded + (1280 * 10 + 10) * 4);
    expect(Array.from(second)).toEqual(Array.from(first));
    expect(scaledError(second, golden.output.data)).toBeLessThanOrEqual(1e-4);
    // from the third run on nothing more is kept, and the bits stay
    const third = out(runTask(task(Uint8Array.from(bytes), golden.input)));
    expect(modelCache.bytes).toBe(folded + (1280 * 10 + 10) * 4);
    expect(Array.from(third)).toEqual(Array.from(first));
  });

  it('a cached model with fuse false, captured BN outputs or given weights runs them unfolded: the bits of an uncached run', () => {
    const golden = goldenOf('resnet18_w16');
    const bytes = bytesOf('resnet18_w16');
    runTask(task(bytes, golden.input));
    const cases: Partial<RunTask>[] = [
      { fuse: false },
      { capture: ['/layer1/layer1.0/bn1/BatchNormalization'] },
      { weights: { '/fc/Gemm.bias': tensor([10], new Float32Array(10).fill(0.5)) } },
    ];
    for (const more of cases) {
      const cached = runTask(task(bytes, golden.input, more));
      modelCache.maxBytes = 0;
      const fresh = runTask(task(bytes, golden.input, more));
      modelCache.maxBytes = 1 << 30;
      expect(Array.from(out(cached))).toEqual(Array.from(out(fresh)));
      for (const name of cached.order.captured) expect(Array.from(cached.captured[name].data)).toEqual(Array.from(fresh.captured[name].data));
    }
    // the kept folds were not disturbed by the runs above
    expect(Array.from(out(runTask(task(bytes, golden.input))))).toEqual(Array.from(out(runTask(task(Uint8Array.from(bytes), golden.input)))));
  });

  it('another seed with weightInit seed folds afresh and replaces the kept fold (bytes not counted twice)', () => {
    const golden = goldenOf('resnet18_w16');
    const bytes = bytesOf('resnet18_w16');
    const a1 = out(runTask(task(bytes, golden.input, { weightInit: 'seed', seed: 1 })));
    const size = modelCache.bytes;
    const a2 = out(runTask(task(bytes, golden.input, { weightInit: 'seed', seed: 2 })));
    expect(modelCache.bytes).toBe(size);
    expect(Array.from(a2)).not.toEqual(Array.from(a1));
    expect(Array.from(out(runTask(task(bytes, golden.input, { weightInit: 'seed', seed: 1 }))))).toEqual(Array.from(a1));
  });

  it('keys: the same bytes with other input shapes, another folding budget or another MAX_TENSOR_ELEMENTS (a weight folds within it), are other entries; other bytes another key', () => {
    const a = bytesOf('resnet18_w16');
    expect(modelKey(a, {}, 10)).toBe(modelKey(Uint8Array.from(a), {}, 10));
    expect(modelKey(a, { input: [1, 3, 32, 32] }, 10)).not.toBe(modelKey(a, { input: [1, 3, 64, 64] }, 10));
    expect(modelKey(a, { b: [1], a: [2] }, 10)).toBe(modelKey(a, { a: [2], b: [1] }, 10));
    expect(modelKey(a, {}, 10)).not.toBe(modelKey(a, {}, 11));
    expect(modelKey(a, {}, 10, 1000)).not.toBe(modelKey(a, {}, 10, 2000));
    const b = Uint8Array.from(a);
    b[b.length - 1] ^= 1;
    expect(modelKey(b, {}, 10)).not.toBe(modelKey(a, {}, 10));
  });

  it('LRU by bytes: over the budget the least recently used entry goes; an entry alone over the budget is not kept', () => {
    const bytes = bytesOf('vit_tiny');
    const { graph, origin } = loadGraph({ kind: 'onnx', bytes, inputShapes: {} });
    const entry = () => cachedModel(graph, origin, inferGraph(graph), bytes);
    const one = ModelCache.sizeOf(entry());
    expect(one).toBe(bytes.buffer.byteLength + graph.layers.length * PER_LAYER_BYTES);
    const cache = new ModelCache(2 * one + 10);
    cache.set('a', entry());
    cache.set('b', entry());
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('c', entry());
    expect([cache.get('a') !== undefined, cache.get('b') !== undefined, cache.get('c') !== undefined]).toEqual([true, false, true]);
    const small = new ModelCache(one - 1);
    small.set('a', entry());
    expect(small.size).toBe(0);
    const off = new ModelCache(0);
    off.set('a', entry());
    expect(off.size).toBe(0);
  });

  it('a spec run again (conv 3→8 3×3 + BN + ReLU, pooled, linear 8→10; seeded weights) reuses its graph and folds; from the second run it keeps the linear\'s seeded weights (10·8 + 10 floats), the third keeps nothing more; every run the bits of an uncached one', () => {
    const input = { shape: [1, 3, 8, 8], data: Array.from({ length: 192 }, (_, i) => Math.sin(i)) };
    const specTask = (): RunTask => ({ ...task(new Uint8Array(0), input, { weightInit: 'seed', seed: 5 }), source: { kind: 'spec', spec: smallSpec } });
    modelCache.maxBytes = 0;
    const fresh = Array.from(out(runTask(specTask())));
    modelCache.maxBytes = 1 << 30;
    expect(Array.from(out(runTask(specTask())))).toEqual(fresh);
    expect(modelCache.size).toBe(1);
    // the fold of conv and BN (8·27 + 8 floats) and the layer estimate
    const first = modelCache.bytes;
    expect(first).toBe((8 * 27 + 8) * 4 + 6 * PER_LAYER_BYTES);
    expect(Array.from(out(runTask(specTask())))).toEqual(fresh);
    expect(modelCache.bytes).toBe(first + (10 * 8 + 10) * 4);
    expect(Array.from(out(runTask(specTask())))).toEqual(fresh);
    expect(modelCache.bytes).toBe(first + (10 * 8 + 10) * 4);
    expect(modelCache.size).toBe(1);
  });

  it('built keys: a zoo model by name and resolution, a spec by its JSON, each under the folding budget', () => {
    expect(builtKey({ kind: 'model', name: 'resnet18', resolution: 64 }, 10)).toBe(builtKey({ kind: 'model', name: 'resnet18', resolution: 64 }, 10));
    expect(builtKey({ kind: 'model', name: 'resnet18', resolution: 64 }, 10)).not.toBe(builtKey({ kind: 'model', name: 'resnet18', resolution: 32 }, 10));
    expect(builtKey({ kind: 'model', name: 'resnet18' }, 10)).not.toBe(builtKey({ kind: 'model', name: 'resnet34' }, 10));
    // no resolution: the zoo's default (224 for resnet18), the same graph
    expect(builtKey({ kind: 'model', name: 'resnet18' }, 10)).toBe(builtKey({ kind: 'model', name: 'resnet18', resolution: 224 }, 10));
    expect(builtKey({ kind: 'model', name: 'resnet18' }, 10)).not.toBe(builtKey({ kind: 'model', name: 'resnet18' }, 11));
    const spec = { name: 'a', inputs: [{ name: 'x', shape: [1, 3] }], layers: [] };
    expect(builtKey({ kind: 'spec', spec }, 10)).toBe(builtKey({ kind: 'spec', spec: structuredClone(spec) }, 10));
    expect(builtKey({ kind: 'spec', spec }, 10)).not.toBe(builtKey({ kind: 'spec', spec: { ...spec, name: 'b' } }, 10));
  });

  it('a spec whose linear is sized by its data (nonZero → linear, seed 3): runs with 3, 3, then 5 non-zeros give the uncached bits, never a stale weight', () => {
    const spec = { name: 'dd', inputs: [{ name: 'x', shape: [1, 6] }], layers: [{ name: 'nz', op: 'nonZero' }, { name: 'fc', op: 'linear', outFeatures: 2 }] };
    const data = [[1, 0, 1, 0, 1, 0], [1, 0, 1, 0, 1, 0], [1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 0]];
    const run = (d: number[]) => {
      const r = runTask({ ...task(new Uint8Array(0), { shape: [1, 6], data: d }, { weightInit: 'seed', seed: 3 }), source: { kind: 'spec', spec } });
      return r.outputs[r.order.outputs[0]];
    };
    modelCache.maxBytes = 0;
    const fresh = data.map((d) => Array.from(run(d).data));
    modelCache.maxBytes = 1 << 30;
    const cached = data.map((d) => Array.from(run(d).data));
    expect(cached).toEqual(fresh);
    expect(fresh[2].length).toBe(4);
  });

  it('a budget that holds the spec\'s graph and 500 bytes more keeps the seeded weights that fit (480 of them), not the conv\'s fold (896): that one is folded afresh each run, the bits unchanged', () => {
    const input = { shape: [1, 3, 8, 8], data: Array.from({ length: 192 }, (_, i) => Math.cos(i)) };
    const specTask = (): RunTask => ({ ...task(new Uint8Array(0), input, { weightInit: 'seed', seed: 2 }), source: { kind: 'spec', spec: smallSpec } });
    modelCache.maxBytes = 0;
    const fresh = Array.from(out(runTask(specTask())));
    modelCache.maxBytes = 6 * PER_LAYER_BYTES + 500;
    try {
      for (let run = 0; run < 3; run++) expect(Array.from(out(runTask(specTask())))).toEqual(fresh);
      expect(modelCache.size).toBe(1);
      // in the order a run draws them, while they fit in 500 bytes: not the conv's weight (8·27
    // floats), its bias and BN's four vectors (5·8: the fold's inputs, drawn each run since the
    // fold is not kept), the linear's weight (10·8); not its bias (10 floats: 520 bytes)
    expect(modelCache.bytes).toBe(6 * PER_LAYER_BYTES + (5 * 8 + 10 * 8) * 4);
    } finally {
      modelCache.maxBytes = 1 << 30;
    }
  });
  /** A zoo model's run at this resolution with seeded weights (seed 3), its input sin(i). */
  const zooTask = (name: string, resolution: number): RunTask => {
    const { graph } = loadGraph({ kind: 'model', name, resolution });
    const shape = graph.inputs[0].shape;
    const data = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));
    return { ...task(new Uint8Array(0), { shape, data }, { weightInit: 'seed', seed: 3 }), source: { kind: 'model', name, resolution }, inputs: { [graph.inputs[0].name]: tensor(shape, Float32Array.from(data)) } };
  };
  const layersAt = (name: string, resolution: number) => loadGraph({ kind: 'model', name, resolution }).graph.layers.length;

  it('families: a zoo model by name, a file by its bytes, under the same budgets; a spec has none (its JSON holds its sizes)', () => {
    expect(familyKey(builtKey({ kind: 'model', name: 'resnet18', resolution: 64 }, 10))).toBe('model:resnet18:10');
    expect(familyKey(builtKey({ kind: 'model', name: 'resnet18', resolution: 96 }, 10))).toBe('model:resnet18:10');
    expect(familyKey(builtKey({ kind: 'model', name: 'resnet18', resolution: 64 }, 11))).toBe('model:resnet18:11');
    const a = bytesOf('resnet18_w16');
    expect(familyKey(modelKey(a, { input: [1, 3, 32, 32] }, 10, 1000))).toBe(familyKey(modelKey(a, { input: [1, 3, 64, 64] }, 10, 1000)));
    expect(familyKey(modelKey(a, {}, 10, 1000))).not.toBe(familyKey(modelKey(a, {}, 10, 2000)));
    expect(familyKey(builtKey({ kind: 'spec', spec: smallSpec }, 10))).toBeNull();
  });

  it('mobilenet_v3_small at 32 px, then at 64 and 96 (seed 3): each new size adopts the folds and seeded weights the first keeps (the same arrays) and adds only its graph (layers × 4,096 bytes), where it kept its 10.1 MB of weights again; every run the bits of an uncached one', () => {
    const out32 = () => out(runTask(zooTask('mobilenet_v3_small', 32)));
    modelCache.maxBytes = 0;
    const fresh = { 32: Array.from(out32()), 64: Array.from(out(runTask(zooTask('mobilenet_v3_small', 64)))) };
    modelCache.maxBytes = 1 << 30;
    for (let i = 0; i < 3; i++) expect(Array.from(out32())).toEqual(fresh[32]);
    const alone = modelCache.bytes;
    // the folds (first run) and the seeded weights (drawn twice in a row: kept from the second run)
    expect(alone).toBeGreaterThan(8e6);
    expect(Array.from(out(runTask(zooTask('mobilenet_v3_small', 64))))).toEqual(fresh[64]);
    expect(modelCache.bytes).toBe(alone + layersAt('mobilenet_v3_small', 64) * PER_LAYER_BYTES);
    runTask(zooTask('mobilenet_v3_small', 96));
    expect(modelCache.bytes).toBe(alone + (layersAt('mobilenet_v3_small', 64) + layersAt('mobilenet_v3_small', 96)) * PER_LAYER_BYTES);
    const [first, ...others] = modelCache.family(`model:mobilenet_v3_small:${taskLimits(undefined).maxFolded}`);
    expect(others.length).toBe(2);
    for (const o of others) expect([...o.store.kept().keys()].every((b) => first.store.kept().has(b))).toBe(true);
    expect(Array.from(out32())).toEqual(fresh[32]);
  });

  it('a file at two input sizes (resnet18.onnx, its height and width dynamic, seeded weights): the second imports from the bytes the first keeps and adopts the 46.7 MB of folds and seeded weights the first keeps: it adds its graph only; dropping the first leaves the shared weights counted with the second', () => {
    const file = readFileSync(new URL('../fixtures/onnx/resnet18.onnx', import.meta.url));
    const at = (side: number): RunTask => {
      const shape = [1, 3, side, side];
      const data = Array.from({ length: 3 * side * side }, (_, i) => Math.cos(i));
      return { ...task(new Uint8Array(file), { shape, data }, { weightInit: 'seed', seed: 3 }), source: { kind: 'onnx', bytes: new Uint8Array(file), inputShapes: { input: shape } } };
    };
    modelCache.maxBytes = 0;
    const fresh = Array.from(out(runTask(at(48))));
    modelCache.maxBytes = 1 << 30;
    runTask(at(32));
    runTask(at(32));
    const alone = modelCache.bytes;
    expect(Array.from(out(runTask(at(48))))).toEqual(fresh);
    const [first, second] = modelCache.family(familyKey(modelKey(file, {}, taskLimits(undefined).maxFolded, 1 << 24)));
    expect(second.file).toBe(first.file);
    expect(modelCache.bytes).toBe(alone + second.graph.layers.length * PER_LAYER_BYTES);
    // over a budget that holds the second alone, the first goes; its folds stay, kept by the second
    modelCache.maxBytes = ModelCache.sizeOf(second);
    modelCache.trim();
    expect([modelCache.size, modelCache.bytes]).toEqual([1, ModelCache.sizeOf(second)]);
    expect(Array.from(out(runTask(at(48))))).toEqual(fresh);
  });
});

// found by a review: a zoo graph the cache kept answered a later request's layer error at the first request's field
describe('a cached zoo model takes each request\'s own model field', () => {
  it('mobilenet_v3_small at 32 run from $.model, then from query.model with a 2^19-element limit: TENSOR_TOO_LARGE at query.model (it was $.model)', () => {
    const x = { input: tensor([1, 3, 32, 32], new Float32Array(3 * 32 * 32)) };
    const run = (modelAt: string, maxElements: number) => runTask({ source: { kind: 'model', name: 'mobilenet_v3_small', resolution: 32, modelAt }, inputs: x, weights: {}, weightInit: 'seed', training: false, seed: 0, capture: [], maxElements });
    run('$.model', 1 << 24);
    expect(modelCache.size).toBe(1);
    let error: unknown;
    try {
      run('query.model', 1 << 19);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'TENSOR_TOO_LARGE', details: { path: 'query.model' } });
    expect(modelCache.size).toBe(1);
  });
});
