/**
 * Issue 9, defect 8: names are data, never object keys that reach Object.prototype. Inputs,
 * layers, outputs, captured tensors and ONNX tensors named like inherited properties
 * (`constructor`, `toString`, `__proto__`, `hasOwnProperty`, `valueOf`) behave as any other name.
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { runOperator } from '../../src/runtime/operator.js';
import { runTask } from '../../src/runtime/tasks.js';
import type { RunTask } from '../../src/runtime/tasks.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { DEFAULTS, errorOf } from '../helpers.js';

const NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];
const OPTS = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 20 };
const TASK = { weights: {}, training: false, seed: 0, capture: [], maxElements: 1 << 20 };

/** A record with one own entry, whatever the key (an object literal `{ __proto__: t }` would set the prototype instead). */
function record(key: string, value: Tensor): Record<string, Tensor> {
  const r: Record<string, Tensor> = {};
  Object.defineProperty(r, key, { value, enumerable: true, writable: true, configurable: true });
  return r;
}

/** Through structuredClone, as a task payload reaches a worker. */
const cloned = <T>(v: T): T => structuredClone(v);

describe.each(NAMES)('a spec using the name %j', (name) => {
  it('as its input, read by relu: the relu runs on the given tensor', () => {
    const graph = parseNetworkSpec({ inputs: [{ name, shape: [1, 2] }], layers: [{ name: 'out', op: 'relu', inputs: [name] }] });
    const res = runGraph(graph, record(name, tensor([1, 2], [-1, 3])), OPTS);
    expect(Object.keys(res.outputs)).toEqual(['out']);
    expect(Array.from(res.outputs.out.data)).toEqual([0, 3]);
  });

  it('as its input, not given: INVALID_TENSOR naming it (no inherited property taken for a tensor)', () => {
    const graph = parseNetworkSpec({ inputs: [{ name, shape: [1, 2] }], layers: [{ name: 'out', op: 'relu', inputs: [name] }] });
    const e = errorOf(() => runGraph(graph, { x: tensor([1, 2], [1, 2]) }, OPTS));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.message).toContain(`'${name}'`);
  });

  it('as the only layer: it is the output, an own entry of outputs, and captured under its name', () => {
    const graph = parseNetworkSpec({ inputs: [{ name: 'x', shape: [1, 2] }], layers: [{ name, op: 'relu' }] });
    const res = runGraph(graph, { x: tensor([1, 2], [-2, 5]) }, { ...OPTS, capture: [name] });
    expect(Object.keys(res.outputs)).toEqual([name]);
    expect(Object.hasOwn(res.outputs, name)).toBe(true);
    expect(Array.from(res.outputs[name].data)).toEqual([0, 5]);
    expect(Array.from(res.captured[name].data)).toEqual([0, 5]);
  });

  it('as its input, through runTask with the tensor under that name (payload cloned as for a worker)', () => {
    const spec = { inputs: [{ name, shape: [1, 2] }, { name: 'y', shape: [1, 2] }], layers: [{ name: 'out', op: 'add', inputs: [name, 'y'] }] };
    const inputs = record(name, tensor([1, 2], [4, -4]));
    inputs.y = tensor([1, 2], [1, 1]);
    const res = runTask(cloned<RunTask>({ ...TASK, source: { kind: 'spec', spec }, inputs, weightInit: 'seed' }));
    expect(Array.from(res.outputs.out.data)).toEqual([5, -3]);
  });

  it('as its only input, given to runTask under another name: fed to that input', () => {
    const spec = { inputs: [{ name, shape: [1, 2] }], layers: [{ name: 'out', op: 'relu', inputs: [name] }] };
    const res = runTask({ ...TASK, source: { kind: 'spec', spec }, inputs: { input: tensor([1, 2], [4, -4]) }, weightInit: 'seed' });
    expect(Array.from(res.outputs.out.data)).toEqual([4, 0]);
  });

  it('as an attribute key of a layer: 400 SPEC_INVALID, not a 500', () => {
    const raw = `{"inputs": [{"name": "x", "shape": [1, 1, 2, 2]}], "layers": [{"name": "c", "op": "conv2d", "outChannels": 1, "kernelSize": 1, ${JSON.stringify(name)}: 3}]}`;
    const e = errorOf(() => parseNetworkSpec(JSON.parse(raw)));
    expect(e.code).toBe('SPEC_INVALID');
  });

  it('as an operator weight role: INVALID_TENSOR (conv2d has weight and bias), not a 500', () => {
    const e = errorOf(() =>
      runOperator({ name: 'conv2d', inputs: [tensor([1, 1, 2, 2], [1, 2, 3, 4])], attributes: { outChannels: 1, kernelSize: 1 }, weights: record(name, tensor([1], [1])), training: false, seed: 0, maxElements: 1 << 20 }),
    );
    expect(e.code).toBe('INVALID_TENSOR');
  });
});

describe('an ONNX graph whose tensors and nodes are named like inherited properties', () => {
  // x "constructor" → Relu (node hasOwnProperty) → "__proto__" → Identity (node valueOf) → "toString"; outputs "toString" and "__proto__"
  const bytes = onnxModel({
    inputs: [{ name: 'constructor', shape: [1, 3] }],
    outputs: ['toString', '__proto__'],
    nodes: [
      { op: 'Relu', inputs: ['constructor'], outputs: ['__proto__'], name: 'hasOwnProperty' },
      { op: 'Identity', inputs: ['__proto__'], outputs: ['toString'], name: 'valueOf' },
    ],
  });

  it('analyses: both outputs reported with their shapes', () => {
    const report = analyzeGraph(importOnnx(bytes, {}).graph, DEFAULTS);
    expect(report.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['toString', [1, 3]],
      ['__proto__', [1, 3]],
    ]);
  });

  it('runs: both outputs returned as own entries, and the node "hasOwnProperty" captured', () => {
    const res = runTask(
      cloned<RunTask>({ ...TASK, source: { kind: 'onnx', bytes, inputShapes: {} }, inputs: record('constructor', tensor([1, 3], [-1, 0, 2])), weightInit: 'file', capture: ['hasOwnProperty'] }),
    );
    expect(res.order.outputs).toEqual(['toString', '__proto__']);
    expect(Object.hasOwn(res.outputs, '__proto__')).toBe(true);
    expect(Array.from(res.outputs['toString'].data)).toEqual([0, 0, 2]);
    expect(Array.from(res.outputs['__proto__'].data)).toEqual([0, 0, 2]);
    expect(Array.from(res.captured['hasOwnProperty'].data)).toEqual([0, 0, 2]);
  });

  it('a dynamic input "constructor" without a shape given: MISSING_DIMENSION (no inherited function taken for a shape)', () => {
    const dynamic = onnxModel({ inputs: [{ name: 'constructor', shape: ['N', 3] }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['constructor'], outputs: ['y'] }] });
    expect(errorOf(() => importOnnx(dynamic, { inputShapes: {} })).code).toBe('MISSING_DIMENSION');
  });
});
