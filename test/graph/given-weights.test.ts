/**
 * A run's weights by the names a PyTorch state_dict gives them (graph/given-weights.ts). Before, only
 * `<layer>.<role>` in convlens's camelCase bound: `bn1.running_mean` was refused ("did you mean
 * 'bn1.runningMean'"), a state_dict's num_batches_tracked too, and an ONNX file's initializer
 * `c1.weight` (the state_dict key in torch.onnx.export) had to be given as `/c1/Conv.weight`.
 * The torchvision keys are from torchvision 0.14 (scripts/state_dict_goldens.py).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { runtimeWeights } from '../../src/graph/given-weights.js';
import { loadGraph } from '../../src/graph/load.js';
import type { Graph } from '../../src/graph/graph.js';
import { ConvlensError } from '../../src/errors.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { ZOO, ZOO_BY_NAME } from '../../src/zoo/index.js';
import { onnxModel } from './onnx-builder.js';

const KEYS = JSON.parse(gunzipSync(readFileSync(new URL('../fixtures/torchvision/state-dict-keys.json.gz', import.meta.url))).toString('utf8')) as Record<string, [string, number[]][]>;

const zeros = (shape: number[]) => tensor(shape);
const bind = (graph: Graph, given: Record<string, Tensor>) => runtimeWeights(graph, inferGraph(graph).analysed, given);
/** The error a call throws, as { code, path, message, suggestion }. */
function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ConvlensError)) throw e;
    return { code: e.code, path: e.details.path, message: e.message, suggestion: e.details.suggestion };
  }
  throw new Error('not refused');
}

const spec = (layers: unknown[], shape = [1, 3, 4, 4]) => loadGraph({ kind: 'spec', spec: { inputs: [{ name: 'x', shape }], layers } }).graph;
const BN = spec([
  { name: 'conv1', op: 'conv2d', outChannels: 4, kernelSize: 3 },
  { name: 'bn1', op: 'batchNorm2d' },
]);

describe('a spec: <layer>.<role> as convlens or PyTorch spells the role', () => {
  it('bn1.running_mean and bn1.running_var bind bn1.runningMean and bn1.runningVar, the same tensors; <layer>.<role> as before', () => {
    const mean = zeros([4]);
    const variance = zeros([4]);
    const w = zeros([4, 3, 3, 3]);
    const out = bind(BN, { 'bn1.running_mean': mean, 'bn1.running_var': variance, 'conv1.weight': w });
    expect(Object.keys(out)).toEqual(['bn1.runningMean', 'bn1.runningVar', 'conv1.weight']);
    expect([out['bn1.runningMean'], out['bn1.runningVar'], out['conv1.weight']]).toEqual([mean, variance, w]);
    expect(out['bn1.runningMean']).toBe(mean);
  });

  it("a batch norm's num_batches_tracked binds its numBatchesTracked, a scalar (PyTorch's int64 buffer; it was ignored, undeclared); another layer's is no weight (400 at its key)", () => {
    expect(Object.keys(bind(BN, { 'bn1.num_batches_tracked': tensor([], [7]) }))).toEqual(['bn1.numBatchesTracked']);
    expect(refusal(() => bind(BN, { 'conv1.num_batches_tracked': tensor([], [7]) }))).toMatchObject({ code: 'INVALID_TENSOR', path: '$.weights["conv1.num_batches_tracked"]' });
  });

  it('one weight under both spellings: 400 INVALID_TENSOR naming both (one would be lost)', () => {
    expect(refusal(() => bind(BN, { 'bn1.runningMean': zeros([4]), 'bn1.running_mean': zeros([4]) }))).toMatchObject({
      code: 'INVALID_TENSOR',
      path: '$.weights["bn1.running_mean"]',
      message: "weight 'bn1.runningMean' is given twice, as 'bn1.runningMean' and as 'bn1.running_mean'",
    });
  });

  it("a misspelt key: 400 with the closest name in PyTorch's spelling when it was written so; a wrong shape at the key as given", () => {
    expect(refusal(() => bind(BN, { 'bn1.running_mea': zeros([4]) }))).toMatchObject({ code: 'INVALID_TENSOR', path: '$.weights["bn1.running_mea"]', suggestion: 'bn1.running_mean' });
    expect(refusal(() => bind(BN, { 'bn1.running_var': zeros([5]) }))).toMatchObject({
      code: 'SHAPE_MISMATCH',
      path: '$.weights["bn1.running_var"]',
      message: "weight 'bn1.running_var' must be [4], got [5]",
    });
  });

  it("a parameter of a module inside the op (attn.out_proj.weight: attn's outProjWeight) and a module that is a parameter (class_token, layer_scale [C, 1, 1] for a [C] weight)", () => {
    const tokens = spec(
      [
        { name: 'class_token', op: 'classToken' },
        { name: 'attn', op: 'multiHeadAttention', numHeads: 2 },
        { name: 'layer_scale', op: 'layerScale', dim: -1 },
      ],
      [1, 4, 8],
    );
    const scale = tensor([8, 1, 1], [1, 2, 3, 4, 5, 6, 7, 8]);
    const out = bind(tokens, { 'attn.in_proj_weight': zeros([24, 8]), 'attn.out_proj.weight': zeros([8, 8]), 'attn.out_proj.bias': zeros([8]), class_token: zeros([1, 1, 8]), layer_scale: scale });
    expect(Object.keys(out)).toEqual(['attn.inProjWeight', 'attn.outProjWeight', 'attn.outProjBias', 'class_token.weight', 'layer_scale.weight']);
    expect(out['layer_scale.weight']).toMatchObject({ shape: [8], data: scale.data });
    expect(refusal(() => bind(tokens, { layer_scale: zeros([8, 2]) }))).toMatchObject({ code: 'SHAPE_MISMATCH', path: '$.weights.layer_scale' });
  });
});

describe('an ONNX file: an initializer binds by its own name (the state_dict key of a torch.onnx.export)', () => {
  // /c1/Conv reads c1.weight [2, 1, 1, 1] and c1.bias; /c2/Conv, depthwise, reads c1.weight too (tied); /fc/MatMul reads fc.w [2, 3] as a linear's [3, 2]
  const bytes = onnxModel({
    inputs: [{ name: 'input.1', shape: [1, 1, 1, 1] }],
    outputs: ['y'],
    nodes: [
      { op: 'Conv', name: '/c1/Conv', inputs: ['input.1', 'c1.weight', 'c1.bias'], outputs: ['a'], attrs: { kernel_shape: { ints: [1, 1] } } },
      { op: 'Conv', name: '/c2/Conv', inputs: ['a', 'c1.weight'], outputs: ['b'], attrs: { kernel_shape: { ints: [1, 1] }, group: { i: 2 } } },
      { op: 'Flatten', name: '/Flatten', inputs: ['b'], outputs: ['f'] },
      { op: 'MatMul', name: '/fc/MatMul', inputs: ['f', 'fc.w'], outputs: ['y'] },
    ],
    initializers: [
      { name: 'c1.weight', dims: [2, 1, 1, 1], data: [1, 1] },
      { name: 'c1.bias', dims: [2], data: [0, 0] },
      { name: 'fc.w', dims: [2, 3], data: [0, 0, 0, 0, 0, 0] },
    ],
  });
  const graph = loadGraph({ kind: 'onnx', bytes, inputShapes: {} }).graph;

  it('c1.weight binds both convs that read it, c1.bias its conv, under the keys the runtime reads; the node-name form as before', () => {
    const w = tensor([2, 1, 1, 1], [2, 3]);
    const out = bind(graph, { 'c1.weight': w, 'c1.bias': zeros([2]) });
    expect(Object.keys(out).sort()).toEqual(['/c1/Conv.bias', '/c1/Conv.weight', '/c2/Conv.weight']);
    expect(out['/c1/Conv.weight'].data).toEqual(w.data);
    expect(out['/c2/Conv.weight'].data).toEqual(w.data);
    expect(Object.keys(bind(graph, { '/c1/Conv.weight': w }))).toEqual(['/c1/Conv.weight']);
  });

  it("a MatMul's initializer is given as the file stores it, [in, out], and read transposed; another shape is 400 at its key", () => {
    const out = bind(graph, { 'fc.w': tensor([2, 3], [1, 2, 3, 4, 5, 6]) });
    expect(out['/fc/MatMul.weight']).toEqual({ shape: [3, 2], data: Float32Array.from([1, 4, 2, 5, 3, 6]) });
    expect(refusal(() => bind(graph, { 'fc.w': zeros([3, 2]) }))).toMatchObject({ code: 'SHAPE_MISMATCH', path: '$.weights["fc.w"]' });
  });

  it('an initializer and its layer key for one weight: 400 given twice; a misspelt initializer name: the closest', () => {
    expect(refusal(() => bind(graph, { '/c1/Conv.bias': zeros([2]), 'c1.bias': zeros([2]) }))).toMatchObject({ code: 'INVALID_TENSOR', path: '$.weights["c1.bias"]' });
    expect(refusal(() => bind(graph, { 'c1.wieght': zeros([2, 1, 1, 1]) }))).toMatchObject({ code: 'INVALID_TENSOR', suggestion: 'c1.weight' });
  });
});

/**
 * `n` zeros, as a view of one buffer kept for every key: binding by name reads no value (a reshaped
 * weight needs only its length; a transposed one is copied), and a fresh array for each key
 * allocated and cleared every model's parameters (vit_h_14's 632 M: 2.5 GB), most of this file's time.
 */
let zeros32 = new Float32Array(0);
const zerosOf = (n: number) => (zeros32.length >= n ? zeros32 : (zeros32 = new Float32Array(n))).subarray(0, n);

/** What torchvision's state_dict does against a zoo model: keys bound, ignored and refused, and the zoo's weights it leaves to the seed. */
function coverage(name: string) {
  const z = ZOO_BY_NAME.get(name)!;
  const { graph } = loadGraph({ kind: 'model', name, resolution: z.resolution });
  const analysed = inferGraph(graph).analysed;
  const wanted = new Map<string, number[]>();
  for (const a of analysed) for (const w of a.inferred?.weights ?? []) wanted.set(`${a.layer.name}.${w.name}`, [...w.shape]);
  const bound = new Map<string, number[]>();
  const refused: string[] = [];
  let ignored = 0;
  for (const [key, shape] of KEYS[name]) {
    try {
      // values are not read to bind them by name: zeros of the shape (a reshaped one needs their length)
      const out = runtimeWeights(graph, analysed, { [key]: { shape, data: zerosOf(shape.reduce((a, b) => a * b, 1)) } });
      if (Object.keys(out).length === 0) ignored++;
      for (const [k, t] of Object.entries(out)) {
        expect(bound.has(k), `${name}: ${k} bound twice`).toBe(false);
        bound.set(k, t.shape);
      }
    } catch (e) {
      if (!(e instanceof ConvlensError)) throw e;
      refused.push(key);
    }
  }
  const shapesAgree = [...bound].every(([k, s]) => JSON.stringify(wanted.get(k)) === JSON.stringify(s));
  return { keys: KEYS[name].length, bound: bound.size, ignored, refused, unset: [...wanted.keys()].filter((k) => !bound.has(k)), shapesAgree };
}

/** Every zoo model with a torchvision builder: the fixture holds its state_dict's keys (scripts/state_dict_goldens.py). */
const TORCHVISION = ZOO.filter((z) => z.torchvision !== undefined).map((z) => z.name);

/**
 * The zoo models a torchvision state_dict loads into as is (README "Weights by their PyTorch names"):
 * all of them, no exception. shufflenet_v2_* named torchvision's stage*.0.branch1.0–4 branch1.dw.0–1
 * and branch1.pw.0–2, and deeplabv3_* its classifier.1–3 classifier.1.0–2 (36 and 6 keys refused in
 * shufflenet_v2_x1_0 and deeplabv3_resnet50); the zoo now names them as torchvision does.
 */
const AS_IS = TORCHVISION;

describe("torchvision's state_dicts against the zoo's layers", () => {
  it('the fixture holds the keys of every zoo model with a torchvision builder (92), and only those', () => {
    expect(TORCHVISION.length).toBe(92);
    expect(Object.keys(KEYS).sort()).toEqual([...TORCHVISION].sort());
    // the README's sentence says what this file proves: the count, and the zoo's models without a builder
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain(`loads as it is (every key binds, \`num_batches_tracked\` too, and no weight is left to the seed) into each of the ${TORCHVISION.length} zoo models torchvision builds`);
    expect(ZOO.filter((z) => z.torchvision === undefined).map((z) => z.name)).toEqual(['mobilenet_v1', 'unet', 'yolov8n']);
    expect(readme).toContain("the zoo's other 3, mobilenet_v1, unet and yolov8n, have no torchvision builder");
  });

  it.each(AS_IS)('%s takes every key (num_batches_tracked too) and leaves no weight to the seed', (name) => {
    const r = coverage(name);
    expect({ name, refused: r.refused, unset: r.unset, shapesAgree: r.shapesAgree }).toEqual({ name, refused: [], unset: [], shapesAgree: true });
    expect(r.bound + r.ignored).toBe(r.keys);
    // resnet18: 102 weights and 20 batch norms' num_batches_tracked, now declared (they were the 20 ignored)
    if (name === 'resnet18') expect(r).toMatchObject({ keys: 122, bound: 122, ignored: 0 });
    if (name === 'vit_b_16') expect(r).toMatchObject({ keys: 152, bound: 152, ignored: 0 });
    // the layers renamed to torchvision's names: 3 stages' branch1 (2 convs, 2 norms × 5 keys), DeepLabHead's classifier.1 conv, classifier.2 norm
    if (name === 'shufflenet_v2_x1_0') expect(KEYS[name].filter(([k]) => /^stage\d\.0\.branch1\./.test(k))).toHaveLength(36);
    if (name === 'deeplabv3_resnet50') expect(KEYS[name].filter(([k]) => /^classifier\.[12]\./.test(k))).toHaveLength(6);
  }, 120_000);
});
