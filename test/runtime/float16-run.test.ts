/**
 * runtime/float16-run.ts by hand: what is rounded to float16, where, and what is answered as
 * float16, on small graphs written with onnx.helper's layout (test/graph/onnx-builder.ts). The
 * values sit on float16 ties, so a tensor left unrounded shows: 2048 + 1 = 2049 is a tie between
 * 2048 and 2050 and goes to 2048 (even); 2049 + 1 = 2050 is a float16 value.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { inputElementType, outputElementType } from '../../src/graph/onnx/element-types.js';
import { runGraph } from '../../src/runtime/execute.js';
import { float16Inputs, float16Tensors } from '../../src/runtime/float16-run.js';
import { halfBits } from '../../src/tensor/float16.js';
import { tensor } from '../../src/tensor/tensor.js';
import { onnxModel } from '../graph/onnx-builder.js';
import type { InitSpec, NodeSpec } from '../graph/onnx-builder.js';

const FLOAT16 = 10;
const half = (name: string, dims: number[], values: number[]): InitSpec => ({ name, dims, type: 'float16', field: 'int32Data', data: values.map(halfBits) });
const OPTS = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 20 };

function runModel(m: { inputs: { name: string; shape: number[]; elemType?: number }[]; outputs: string[]; nodes: NodeSpec[]; initializers?: InitSpec[] }, inputs: Record<string, number[]>, extra: Partial<typeof OPTS> & { fuse?: boolean } = {}) {
  const { graph } = importOnnx(onnxModel(m));
  const given = Object.fromEntries(m.inputs.map((i) => [i.name, tensor(i.shape, Float32Array.from(inputs[i.name]))]));
  return { graph, ...runGraph(graph, given, { ...OPTS, ...extra }) };
}

describe('float16 tensors of an ONNX graph in a run', () => {
  it('Conv (1×1, w 1, b 1) → Add(residual r) → Relu, all FLOAT16: the conv output 2049 is rounded to 2048 before the add (2048 + 1 → 2048; unrounded, 2049 + 1 = 2050)', () => {
    const m = {
      inputs: [
        { name: 'x', shape: [1, 1, 1, 2], elemType: FLOAT16 },
        { name: 'r', shape: [1, 1, 1, 2], elemType: FLOAT16 },
      ],
      outputs: ['y'],
      initializers: [half('W', [1, 1, 1, 1], [1]), half('B', [1], [1])],
      nodes: [
        { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { kernel_shape: { ints: [1, 1] } } },
        { op: 'Add', inputs: ['c', 'r'], outputs: ['s'] },
        { op: 'Relu', inputs: ['s'], outputs: ['y'] },
      ],
    };
    const out = runModel(m, { x: [2048, 4], r: [1, 0.5] });
    expect(Array.from(out.outputs.y.data)).toEqual([2048, 5.5]);
    expect(out.outputs.y.dtype).toBe('float16');
    // captured, the conv's output is the rounded one too
    expect(Array.from(runModel(m, { x: [2048, 4], r: [1, 0.5] }, { capture: ['c'] } as never).captured.c.data)).toEqual([2048, 5]);
  });

  it('Conv → BatchNormalization (γ 1, β 1, μ 0, σ² 1, ε 1e−5), FLOAT16: the conv output 2049 → 2048, then 2048/√1.00001 + 1 = 2048.99 → 2048; folding the batch norm into the conv skipped that rounding (2049.99 → 2050)', () => {
    const m = {
      inputs: [{ name: 'x', shape: [1, 1, 1, 1], elemType: FLOAT16 }],
      outputs: ['y'],
      initializers: [half('W', [1, 1, 1, 1], [1]), half('B', [1], [1]), half('g', [1], [1]), half('b', [1], [1]), half('mu', [1], [0]), half('var', [1], [1])],
      nodes: [
        { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { kernel_shape: { ints: [1, 1] } } },
        { op: 'BatchNormalization', inputs: ['c', 'g', 'b', 'mu', 'var'], outputs: ['y'] },
      ],
    };
    expect(Array.from(runModel(m, { x: [2048] }).outputs.y.data)).toEqual([2048]);
    expect(Array.from(runModel(m, { x: [2048] }, { fuse: false }).outputs.y.data)).toEqual([2048]);
  });

  it('the same graph with FLOAT inputs and weights: float32 throughout, no dtype (2049 + 1 = 2050)', () => {
    const m = {
      inputs: [
        { name: 'x', shape: [1, 1, 1, 1] },
        { name: 'r', shape: [1, 1, 1, 1] },
      ],
      outputs: ['y'],
      initializers: [{ name: 'W', dims: [1, 1, 1, 1], data: [1] }, { name: 'B', dims: [1], data: [1] }] as InitSpec[],
      nodes: [
        { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { kernel_shape: { ints: [1, 1] } } },
        { op: 'Add', inputs: ['c', 'r'], outputs: ['y'] },
      ],
    };
    const out = runModel(m, { x: [2048], r: [1] });
    expect(Array.from(out.outputs.y.data)).toEqual([2050]);
    expect(out.outputs.y.dtype).toBeUndefined();
    expect(float16Tensors(out.graph).size).toBe(0);
  });

  it('a float32 graph that casts: Cast(to FLOAT16) output is float16 and rounded, Cast back to FLOAT answers float32; the Add of a FLOAT16 constant between them rounds (2048 + 1 → 2048)', () => {
    const m = {
      inputs: [{ name: 'x', shape: [3] }],
      outputs: ['h', 'y'],
      initializers: [half('one', [1], [1])],
      nodes: [
        { op: 'Cast', inputs: ['x'], outputs: ['h'], attrs: { to: { i: FLOAT16 } } },
        { op: 'Add', inputs: ['h', 'one'], outputs: ['p'] },
        { op: 'Cast', inputs: ['p'], outputs: ['y'], attrs: { to: { i: 1 } } },
      ],
    };
    const out = runModel(m, { x: [2048, 70000, 0.1] });
    expect([out.outputs.h.dtype, out.outputs.y.dtype]).toEqual(['float16', undefined]);
    expect(Array.from(out.outputs.h.data)).toEqual([2048, Infinity, 0.0999755859375]);
    expect(Array.from(out.outputs.y.data)).toEqual([2048, Infinity, 1.099609375]);
  });

  it('the types kept at import: inputs as declared, Cast by its `to`, MaxPool indices and TopK indices int64, comparisons bool, others their first input\'s', () => {
    const { graph } = importOnnx(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 1, 2, 2], elemType: FLOAT16 }],
        outputs: ['v', 'i', 'pi', 'pooled', 'f', 'g'],
        initializers: [{ name: 'k', dims: [1], type: 'int64', data: [1] }, half('zero', [1], [0])],
        nodes: [
          { op: 'MaxPool', inputs: ['x'], outputs: ['pooled', 'pi'], attrs: { kernel_shape: { ints: [2, 2] } } },
          { op: 'TopK', inputs: ['x', 'k'], outputs: ['v', 'i'] },
          { op: 'Cast', inputs: ['x'], outputs: ['f'], attrs: { to: { i: 1 } } },
          { op: 'Greater', inputs: ['x', 'zero'], outputs: ['g'] },
        ],
      }),
    );
    expect(inputElementType(graph.inputs[0])).toBe('float16');
    const typeOf = (t: string) => {
      const l = graph.layers.find((x) => x.outputs.includes(t))!;
      return outputElementType(l, l.outputs.indexOf(t));
    };
    expect(Object.fromEntries(['pooled', 'pi', 'v', 'i', 'f', 'g'].map((t) => [t, typeOf(t)]))).toEqual({ pooled: 'float16', pi: 'int64', v: 'float16', i: 'int64', f: 'float32', g: 'bool' });
    expect([...float16Tensors(graph)].sort()).toEqual(['pooled', 'v', 'x', 'zero']);
  });

  it('float16 sum: ReduceSum of [65504, 65504, −65504] is 65504 (float32 accumulation, rounded once), where float16 accumulation would overflow', () => {
    const out = runModel(
      {
        inputs: [{ name: 'x', shape: [3], elemType: FLOAT16 }],
        outputs: ['y'],
        initializers: [{ name: 'axes', dims: [1], type: 'int64', data: [0] }],
        nodes: [{ op: 'ReduceSum', inputs: ['x', 'axes'], outputs: ['y'], attrs: { keepdims: { i: 0 } } }],
      },
      { x: [65504, 65504, -65504] },
    );
    expect(Array.from(out.outputs.y.data)).toEqual([65504]);
    expect(out.outputs.y.dtype).toBe('float16');
  });

  it('a FLOAT16 input on entry: float32 data rounded in a copy (2049 → 2048, 0.1 → 0.0999755859375, 70000 → ∞, NaN kept), the caller\'s array untouched; data already of float16 values, and a FLOAT input, passed as given', () => {
    const { graph } = importOnnx(onnxModel({ inputs: [{ name: 'x', shape: [5], elemType: FLOAT16 }, { name: 'f', shape: [1], elemType: 1 }], outputs: ['y'], nodes: [{ op: 'Add', inputs: ['x', 'f'], outputs: ['y'] }] }));
    const given = tensor([5], [2049, 0.1, 70000, NaN, -0]);
    const f = tensor([1], [2049]);
    const out = float16Inputs(graph, { x: given, f }, float16Tensors(graph));
    expect(Array.from(out.x.data)).toEqual([2048, 0.0999755859375, Infinity, NaN, -0]);
    expect(Array.from(given.data)).toEqual([2049, Math.fround(0.1), 70000, NaN, -0]);
    expect(out.f).toBe(f);
    const exact = tensor([5], [2048, 0.0999755859375, -65504, 2 ** -24, 0]);
    expect(float16Inputs(graph, { x: exact, f }, float16Tensors(graph)).x).toBe(exact);
  });
});
