/**
 * The reverse pass (runtime/backward.ts) on small graphs whose input gradients are worked by hand:
 * all-ones kernels count paths, so a stack of two 3×3 convs gives the outer product of
 * (1, 2, 3, 2, 1) with itself; a 1×1 conv's gradient is its weight; fan-out gradients add.
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { ConvlensError } from '../../src/errors.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { relu } from '../../src/ops/activation.js';
import { conv2d } from '../../src/ops/conv.js';
import { backward, forwardForBackward, resolveTarget } from '../../src/runtime/backward.js';
import type { GradTarget } from '../../src/runtime/backward.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const ones = (shape: number[]) => tensor(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1));

function inputGradient(spec: unknown, x: Tensor, weights: Record<string, Tensor>, target: GradTarget) {
  const graph = parseNetworkSpec(spec);
  const inference = inferGraph(graph);
  const t = resolveTarget(graph, inference, target);
  const state = forwardForBackward(graph, { [graph.inputs[0].name]: x }, { training: false, seed: 0, weightInit: 'seed', weights, capture: [], maxElements: 1 << 24 }, inference, [t]);
  return { state, target: t, grad: backward(state, t)[graph.inputs[0].name] };
}

const unit = (layer: string, channels: number[] | null = null, position: [number, number] | null = null): GradTarget => ({ layer, channels, position });

describe('input gradients of one output unit', () => {
  it('two stacked 3×3 all-ones convs (5×5 input, 1×1 output): the gradient counts paths, (1,2,3,2,1)ᵀ(1,2,3,2,1)', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 5, 5] }],
      layers: [
        { name: 'a', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
        { name: 'b', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
      ],
    };
    const { grad } = inputGradient(spec, ones([1, 1, 5, 5]), { 'a.weight': ones([1, 1, 3, 3]), 'b.weight': ones([1, 1, 3, 3]) }, unit('b'));
    const v = [1, 2, 3, 2, 1];
    expect(Array.from(grad.data)).toEqual(v.flatMap((r) => v.map((c) => r * c)));
  });

  it('a ReLU passes the gradient where its input is positive and stops it where negative (1×1 conv, weight 2)', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 1, 4] }],
      layers: [
        { name: 'r', op: 'relu' },
        { name: 'c', op: 'conv2d', outChannels: 1, kernelSize: [1, 3], bias: false },
      ],
    };
    const x = tensor([1, 1, 1, 4], [1, -1, 2, 5]);
    const { grad } = inputGradient(spec, x, { 'c.weight': tensor([1, 1, 1, 3], [2, 3, 4]) }, unit('c', null, [0, 1]));
    // unit 1 reads x[1..3] with weights 2, 3, 4; x[1] < 0 is cut by the ReLU
    expect(Array.from(grad.data)).toEqual([0, 0, 3, 4]);
  });

  it('channels and position choose the unit: a 1×1 conv to 2 channels (weights 2, 3), unit (1, 2) of channel 1 → 3 there, zero elsewhere; all channels → 5', () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 3, 4] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 1, bias: false }] };
    const w = { 'c.weight': tensor([2, 1, 1, 1], [2, 3]) };
    const one = inputGradient(spec, ones([1, 1, 3, 4]), w, unit('c', [1], [1, 2])).grad;
    const expected = new Array(12).fill(0);
    expected[1 * 4 + 2] = 3;
    expect(Array.from(one.data)).toEqual(expected);
    const all = inputGradient(spec, ones([1, 1, 3, 4]), w, unit('c')).grad;
    // the default position is the centre, ⌊3/2⌋ = 1, ⌊4/2⌋ = 2
    expected[1 * 4 + 2] = 5;
    expect(Array.from(all.data)).toEqual(expected);
  });

  it('a tensor read twice sums both gradients (x → 1×1 conv ×2 and x → 1×1 conv ×3, added: 5)', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 2, 2] }],
      layers: [
        { name: 'p', op: 'conv2d', inputs: ['x'], outChannels: 1, kernelSize: 1, bias: false },
        { name: 'q', op: 'conv2d', inputs: ['x'], outChannels: 1, kernelSize: 1, bias: false },
        { name: 's', op: 'add', inputs: ['p', 'q'] },
      ],
    };
    const { grad } = inputGradient(spec, ones([1, 1, 2, 2]), { 'p.weight': tensor([1, 1, 1, 1], [2]), 'q.weight': tensor([1, 1, 1, 1], [3]) }, unit('s', null, [0, 1]));
    expect(Array.from(grad.data)).toEqual([0, 5, 0, 0]);
  });

  it('only the layers the unit depends on run, and only the tensors their VJPs read are kept (the conv reads none, the ReLU its own)', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
      layers: [
        { name: 'a', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 },
        { name: 'r', op: 'relu' },
        { name: 'g', op: 'globalAvgPool2d' },
        { name: 'f', op: 'flatten' },
        { name: 'fc', op: 'linear', outFeatures: 3 },
      ],
    };
    const { state } = inputGradient(spec, ones([1, 1, 4, 4]), {}, unit('r'));
    expect(state.steps.map((s) => s.layer.name)).toEqual(['a', 'r']);
    expect([...state.kept.keys()].sort()).toEqual(['a', 'r']);
  });

  it('an op whose VJP reads neither input nor output values (vjpReads) keeps none of them: two all-ones convs keep only the unit\'s map, same gradient', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 5, 5] }],
      layers: [
        { name: 'a', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
        { name: 'b', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
      ],
    };
    expect(conv2d.vjpReads?.(conv2d.attrs.parse({ outChannels: 1, kernelSize: 3 }))).toEqual({ inputs: false, outputs: false });
    const { state, grad } = inputGradient(spec, ones([1, 1, 5, 5]), { 'a.weight': ones([1, 1, 3, 3]), 'b.weight': ones([1, 1, 3, 3]) }, unit('b'));
    expect([...state.kept.keys()]).toEqual(['b']);
    const v = [1, 2, 3, 2, 1];
    expect(Array.from(grad.data)).toEqual(v.flatMap((r) => v.map((c) => r * c)));
  });

  it('MAX_RUN_WORK counts the reverse pass too: a run the forward alone fits is WORK_TOO_LARGE for its gradient', () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 1, bias: false }] };
    const graph = parseNetworkSpec(spec);
    const inference = inferGraph(graph);
    const t = resolveTarget(graph, inference, unit('c'));
    // forward: 16 outputs × 9 MACs + 16 outputs and 9 weights written = 169 units; the reverse pass
    // at REVERSE_RATE 2 (its VJPs measured at about twice their forward) 338 more: 507
    const opts = (maxWork: number) => ({ training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 20, maxWork });
    expect(() => forwardForBackward(graph, { x: ones([1, 1, 4, 4]) }, opts(507), inference, [t])).not.toThrow();
    try {
      forwardForBackward(graph, { x: ones([1, 1, 4, 4]) }, opts(506), inference, [t]);
      expect.unreachable();
    } catch (e) {
      expect((e as ConvlensError).toJSON()).toMatchObject({ code: 'WORK_TOO_LARGE', layer: 'c', estimate: 507, limit: 506 });
    }
  });

  // found by a review: an einsum's VJP runs its general loop whatever the forward took, and was counted as the forward's GEMM
  it("an einsum on the GEMM path ('bcij,bcjk->bcik', x [1, 1, 16, 16] with itself) counts its VJP at the loop's rate: 68,352 forward + 2 · 4,096 · 100 = 887,552", () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 16, 16] }], layers: [{ name: 'e', op: 'einsum', equation: 'bcij,bcjk->bcik', inputs: ['x', 'x'] }] };
    const graph = parseNetworkSpec(spec);
    const inference = inferGraph(graph);
    const t = resolveTarget(graph, inference, unit('e'));
    // forward: 4,096 MACs + one GEMM batch's 64,000 + 256 written; the VJP: 16·16·16 combinations × 2 operands × 100
    const opts = (maxWork: number) => ({ training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 20, maxWork });
    expect(() => forwardForBackward(graph, { x: ones([1, 1, 16, 16]) }, opts(887_552), inference, [t])).not.toThrow();
    try {
      forwardForBackward(graph, { x: ones([1, 1, 16, 16]) }, opts(887_551), inference, [t]);
      expect.unreachable();
    } catch (e) {
      expect((e as ConvlensError).toJSON()).toMatchObject({ code: 'WORK_TOO_LARGE', layer: 'e', estimate: 887_552 });
    }
  });

  it('a layer without a vector-Jacobian product is NO_GRADIENT naming it and its op', () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 3, 3] }], layers: [{ name: 'act', op: 'relu' }] };
    const saved = relu.vjp;
    delete (relu as { vjp?: unknown }).vjp;
    try {
      inputGradient(spec, ones([1, 1, 3, 3]), {}, unit('act'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConvlensError);
      expect((e as ConvlensError).code).toBe('NO_GRADIENT');
      expect((e as ConvlensError).details).toMatchObject({ layer: 'act', op: 'relu', path: '$.layers[0]' });
      expect((e as ConvlensError).message).toContain("layer 'act' (relu)");
    } finally {
      relu.vjp = saved;
    }
  });

  it('a unit reached only through argMax (an index: its vjp passes nothing) is NO_GRADIENT naming it, not an all-zero gradient', () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 3, 4, 4] }], layers: [{ name: 'a', op: 'argMax', dim: 1, keepDim: true }] };
    try {
      inputGradient(spec, ones([1, 3, 4, 4]), {}, unit('a'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConvlensError);
      expect((e as ConvlensError).toJSON()).toMatchObject({ code: 'NO_GRADIENT', layer: 'a', op: 'argMax', path: '$.layers[0]' });
      expect((e as ConvlensError).message).toBe(
        "no gradient of 'a' reaches an input: layer 'a' (argMax) passes none to its inputs (its output does not vary smoothly with them: an index, a shape, an integer), as PyTorch's autograd finds no grad_fn; choose a layer before it",
      );
    }
    // after a differentiable layer too: the layer named is the one that stops it
    const deeper = { inputs: [{ name: 'x', shape: [1, 3, 4, 4] }], layers: [{ name: 'r', op: 'relu' }, { name: 'a', op: 'argMax', inputs: ['r'], dim: 1, keepDim: true }, { name: 'f', op: 'cast', inputs: ['a'], to: 'float32' }] };
    expect(() => inputGradient(deeper, ones([1, 3, 4, 4]), {}, unit('f'))).toThrow(expect.objectContaining({ code: 'NO_GRADIENT', details: expect.objectContaining({ layer: 'a' }) }));
  });

  it('x + argMax(x): the gradient passes by the add alone, as in PyTorch (a one at the unit, every channel)', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 2, 3, 3] }],
      layers: [
        { name: 'a', op: 'argMax', dim: 1, keepDim: true },
        { name: 'f', op: 'cast', inputs: ['a'], to: 'float32' },
        { name: 's', op: 'add', inputs: ['x', 'f'] },
      ],
    };
    // L = Σ_c s[0, c, 1, 1] = Σ_c x[0, c, 1, 1] + 2·argmax(…): ∂L/∂x is 1 at (c, 1, 1) for both channels
    const { grad } = inputGradient(spec, ones([1, 2, 3, 3]), {}, unit('s'));
    expect(Array.from(grad.data)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it('a unit outside the map, an unknown channel or layer are 400s with the field named', () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 3, 3] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 1 }] };
    const graph = parseNetworkSpec(spec);
    const inference = inferGraph(graph);
    const fail = (t: GradTarget) => {
      try {
        resolveTarget(graph, inference, t);
      } catch (e) {
        return (e as ConvlensError).toJSON();
      }
      throw new Error('no error');
    };
    expect(fail(unit('c', null, [3, 0]))).toMatchObject({ code: 'INVALID_OPTION', path: '$.position[0]' });
    expect(fail(unit('c', [0, 2]))).toMatchObject({ code: 'INVALID_OPTION', path: '$.channels[1]' });
    expect(fail(unit('nope'))).toMatchObject({ code: 'UNKNOWN_INPUT', path: '$.layer' });
    expect(fail(unit('x'))).toMatchObject({ code: 'UNKNOWN_INPUT', path: '$.layer' });
  });
});
