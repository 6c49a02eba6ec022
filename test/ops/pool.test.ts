import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { iota, run } from './op-helpers.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';

describe('maxPool2d and avgPool2d', () => {
  it('x=[1,1,5,5] k=2 s=2 floor → 2, ceilMode → 3 (last window starts inside the input)', () => {
    expect(layer(analyze(net([1, 1, 5, 5], { op: 'maxPool2d', kernelSize: 2, stride: 2 })), 'l0').outputShape).toEqual([1, 1, 2, 2]);
    expect(layer(analyze(net([1, 1, 5, 5], { op: 'maxPool2d', kernelSize: 2, stride: 2, ceilMode: true })), 'l0').outputShape).toEqual([1, 1, 3, 3]);
  });

  it('ceilMode drops a window that would start in the right padding: x=[1,1,4,4] k=2 s=2 p=1 → 3', () => {
    // ceil((4 + 2 − 2)/2) + 1 = 3; the third window starts at 2·2 − 1 = 3 < 4 + 1, so it stays
    expect(layer(analyze(net([1, 1, 4, 4], { op: 'maxPool2d', kernelSize: 2, stride: 2, padding: 1, ceilMode: true })), 'l0').outputShape).toEqual([1, 1, 3, 3]);
    // x=[1,1,5,5] k=2 s=2 p=1: ceil(5/2) + 1 = 4 windows, the 4th starts at 6 − 1 = 5 ≥ 5 + 1? no: 3·2 = 6 ≥ 6 → dropped
    expect(layer(analyze(net([1, 1, 5, 5], { op: 'maxPool2d', kernelSize: 2, stride: 2, padding: 1, ceilMode: true })), 'l0').outputShape).toEqual([1, 1, 3, 3]);
  });

  it('stride defaults to the kernel size; (k·k − 1) comparisons per max output, k·k FLOPs per average', () => {
    const m = layer(analyze(net([1, 2, 6, 6], { op: 'maxPool2d', kernelSize: 3 })), 'l0');
    expect(m.outputShape).toEqual([1, 2, 2, 2]);
    expect(m.flops).toBe(8 * 8);
    const a = layer(analyze(net([1, 2, 6, 6], { op: 'avgPool2d', kernelSize: 3 })), 'l0');
    expect(a.flops).toBe(8 * 9);
    expect(a.params).toBe(0);
    expect(a.macs).toBe(0);
  });

  it('padding over half the kernel names its entry: [1, 2] with k=3 the width\'s at padding[1]; [b…, e…] [0, 1, 2, 1] the height\'s end at padding[2]; 3-D [0, 1, 2] with k=2 the width\'s at padding[2]; one number at padding', () => {
    for (const [shape, l, path, along] of [
      [[1, 1, 5, 6], { op: 'maxPool2d', kernelSize: 3, padding: [1, 2] }, '$.layers[0].padding[1]', 'along the width'],
      [[1, 1, 5, 6], { op: 'avgPool2d', kernelSize: 3, padding: [0, 1, 2, 1] }, '$.layers[0].padding[2]', 'along the height'],
      [[1, 1, 4, 5, 6], { op: 'avgPool3d', kernelSize: 2, padding: [0, 1, 2] }, '$.layers[0].padding[2]', 'along the width'],
      [[2, 4, 5, 6], { op: 'maxPool3d', kernelSize: [3, 2, 3], padding: [1, 2, 1] }, '$.layers[0].padding[1]', 'along the height'],
      [[1, 1, 7], { op: 'maxPool1d', kernelSize: 3, padding: 2 }, '$.layers[0].padding', 'half the kernel 3 ('],
    ] as [number[], Record<string, unknown>, string, string][]) {
      const e = errorOf(() => analyze(net(shape, l)));
      expect(e.code).toBe('INVALID_ATTRIBUTE');
      expect(e.details.path).toBe(path);
      expect(e.message).toContain(along);
      expect(e.message).toContain('pad should be at most half of kernel size');
    }
  });

  it('maxPool2d dilation 2, k=3: effective 5', () => {
    expect(layer(analyze(net([1, 1, 9, 9], { op: 'maxPool2d', kernelSize: 3, stride: 1, dilation: 2 })), 'l0').outputShape).toEqual([1, 1, 5, 5]);
  });

  it('padding is at most half the kernel size before dilation: k=3 d=2 takes padding 1, refuses 2 (PyTorch "pad should be at most half of kernel size")', () => {
    // effective kernel 5 would allow 2; PyTorch checks floor(3/2) = 1. 7 + 2 − 5 + 1 = 5 windows at stride 1
    expect(layer(analyze(net([1, 1, 7, 7], { op: 'maxPool2d', kernelSize: 3, stride: 1, dilation: 2, padding: 1 })), 'l0').outputShape).toEqual([1, 1, 5, 5]);
    const e = errorOf(() => analyze(net([1, 1, 7, 7], { op: 'maxPool2d', kernelSize: 3, dilation: 2, padding: 2 })));
    expect(e).toMatchObject({ code: 'INVALID_ATTRIBUTE', details: { path: '$.layers[0].padding' } });
    expect(e.message).toContain('padding 2 is more than half the kernel 3');
    // k=4 d=2: floor(4/2) = 2 is allowed
    expect(layer(analyze(net([1, 1, 7, 7], { op: 'maxPool2d', kernelSize: 4, dilation: 2, padding: 2 })), 'l0').outputShape).toEqual([1, 1, 2, 2]);
    // avgPool2d has no dilation: k=3 takes 1, refuses 2
    expect(errorOf(() => analyze(net([1, 1, 7, 7], { op: 'avgPool2d', kernelSize: 3, padding: 2 }))).code).toBe('INVALID_ATTRIBUTE');
  });

  it('globalAvgPool2d x=[2,64,7,7] → [2,64,1,1], H·W FLOPs per output; field global', () => {
    const l = layer(analyze(net([2, 64, 7, 7], { op: 'globalAvgPool2d' })), 'l0');
    expect(l.outputShape).toEqual([2, 64, 1, 1]);
    expect(l.flops).toBe(2 * 64 * 49);
    expect(l.receptiveField).toMatchObject({ size: [7, 7], global: true });
  });

  it('adaptiveAvgPool2d 5 → 3: windows [0,2) [1,4) [3,5) (PyTorch start/end indices)', () => {
    const l = layer(analyze(net([1, 1, 5, 5], { op: 'adaptiveAvgPool2d', outputSize: 3 })), 'l0');
    expect(l.outputShape).toEqual([1, 1, 3, 3]);
    // window sizes 2, 3, 2 per axis → Σ = 7 per axis → 49 reads in all
    expect(l.flops).toBe(49);
  });

  it('maxUnpool2d reads a maxPool2d: (H − 1)·s − 2p + k', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
      layers: [
        { name: 'pool', op: 'maxPool2d', kernelSize: 2, stride: 2, returnIndices: true },
        { name: 'unpool', op: 'maxUnpool2d', inputs: ['pool', 'pool'], kernelSize: 2, stride: 2 },
      ],
    });
    expect(layer(r, 'unpool').outputShape).toEqual([1, 3, 8, 8]);
    expect(layer(r, 'pool').outputShapes).toEqual([[1, 3, 4, 4], [1, 3, 4, 4]]);
  });

  // found by a hunt: both ends were accepted; torch 1.13 _unpool_output_size raises unless default − s < size < default + s
  it('maxUnpool2d outputSize lies strictly within one stride of the default: 2×2 input, k=2 (default 4) takes 4 and 5, refuses 2 and 6 (PyTorch: invalid output_size "(6, 6)" (dim 0 must be between 2 and 6))', () => {
    const unpool = (outputSize: number) => run('maxUnpool2d', [[[1, 1, 2, 2], [5, 7, 13, 15]], [[1, 1, 2, 2], [0, 1, 2, 3]]], { kernelSize: 2, outputSize });
    expect(unpool(4)[0].shape).toEqual([1, 1, 4, 4]);
    expect(unpool(5)[0].shape).toEqual([1, 1, 5, 5]);
    for (const size of [2, 6]) {
      const e = errorOf(() => unpool(size));
      expect(e).toMatchObject({ code: 'INVALID_ATTRIBUTE', details: { path: '$.attributes.outputSize', shapes: { x: [1, 1, 2, 2] } } });
      expect(e.message).toContain(`outputSize ${size} must lie strictly between 2 and 6`);
    }
  });

  it("maxUnpool2d outputSize of 4 sizes reads the last two, as torch's output_size=input.size() (torch: [1,2,5,5] and [9,9,5,5] alike → [.., 5, 5]); 3 sizes refused (torch: \"should be a sequence containing 2 or 4 elements\")", () => {
    // maxPool2d k=2 of a 5×5 plane: maxima at 6 (1·5 + 1), 8, 16, 18 of 1…25 → back at those offsets
    const pooled = (shape: number[]) => run('maxPool2d', [[shape, Array.from({ length: 25 * (shape.length === 4 ? shape[1] : shape[0]) }, (_, i) => (i % 25) + 1)]], { kernelSize: 2, returnIndices: true });
    const [v, i] = pooled([1, 1, 5, 5]);
    const y = run('maxUnpool2d', [[v.shape, v.data], [i.shape, i.data]], { kernelSize: 2, outputSize: [1, 1, 5, 5] })[0];
    expect(y.shape).toEqual([1, 1, 5, 5]);
    expect(y.data.flatMap((x, k) => (x ? [[k, x]] : []))).toEqual([[6, 7], [8, 9], [16, 17], [18, 19]]);
    const [vu, iu] = pooled([2, 5, 5]);
    expect(run('maxUnpool2d', [[vu.shape, vu.data], [iu.shape, iu.data]], { kernelSize: 2, outputSize: [9, 9, 5, 5] })[0].shape).toEqual([2, 5, 5]);
    const e = errorOf(() => run('maxUnpool2d', [[vu.shape, vu.data], [iu.shape, iu.data]], { kernelSize: 2, outputSize: [2, 5, 5] }));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.details.path).toMatch(/^\$\.attributes\.outputSize/);
  });

  // found by a hunt: memory access counted the first output only (48 + 192 = 240)
  it('maxPool2d with returnIndices writes both outputs: memory 192 read + 2 × 48 written = 288 elements; a split [1, 2] of [1, 3, 8, 8] writes 64 + 128', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
      layers: [
        { name: 'pool', op: 'maxPool2d', kernelSize: 2, stride: 2, returnIndices: true },
        { name: 'sp', op: 'split', axis: 1, split: [1, 2], inputs: ['x'] },
      ],
    });
    expect(layer(r, 'pool').memoryAccess.elements).toEqual({ inputs: 192, outputs: 96, weights: 0, total: 288 });
    expect(layer(r, 'sp').memoryAccess.elements).toEqual({ inputs: 192, outputs: 64 + 128, weights: 0, total: 384 });
  });
});

// PyTorch's pooling_output_shape in ceil mode gives a window where the padded input is shorter than
// the kernel (floor((span − k_eff + s − 1)/s) + 1 ≥ 1), clipped to the input; these were 400
// KERNEL_TOO_LARGE (values from torch 1.13, F.avg_pool1d/2d and F.max_pool2d)
describe('ceilMode with a padded input shorter than the kernel: one clipped window, as PyTorch', () => {
  it.each([
    ['avgPool1d [5], kernel 2, stride 3', 'avgPool1d', [[1, 1, 1], [5]], { kernelSize: 2, stride: 3, ceilMode: true }, [1, 1, 1], [5]],
    ['maxPool2d 2×10 (0…19), kernel [4, 2], stride [3, 2], padding [0, 1]', 'maxPool2d', [[1, 1, 2, 10], Array.from({ length: 20 }, (_, i) => i)], { kernelSize: [4, 2], stride: [3, 2], padding: [0, 1], ceilMode: true }, [1, 1, 1, 6], [10, 12, 14, 16, 18, 19]],
    ['avgPool2d [[1, 2], [3, 4]], kernel 3, stride 2', 'avgPool2d', [[1, 1, 2, 2], [1, 2, 3, 4]], { kernelSize: 3, stride: 2, ceilMode: true }, [1, 1, 1, 1], [2.5]],
    ['avgPool2d [9], kernel 4, stride 2, padding 1 (counting the pad: 9 of 3×3)', 'avgPool2d', [[1, 1, 1, 1], [9]], { kernelSize: 4, stride: 2, padding: 1, ceilMode: true }, [1, 1, 1, 1], [1]],
    ['avgPool2d [9], kernel 4, stride 2, padding 1, countIncludePad false', 'avgPool2d', [[1, 1, 1, 1], [9]], { kernelSize: 4, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }, [1, 1, 1, 1], [9]],
    ['maxPool2d [9], kernel 4, stride 2, padding 1', 'maxPool2d', [[1, 1, 1, 1], [9]], { kernelSize: 4, stride: 2, padding: 1, ceilMode: true }, [1, 1, 1, 1], [9]],
  ] as const)('%s', (_, op, input, attrs, shape, data) => {
    expect(run(op, [input as unknown as [number[], number[]]], attrs)).toEqual([{ shape, data }]);
  });

  it('no window starts inside (maxPool1d [5], kernel 3, stride 1: PyTorch "Invalid computed output size: -1"): KERNEL_TOO_LARGE; without ceilMode as before', () => {
    expect(errorOf(() => run('maxPool1d', [[[1, 1, 1], [5]]], { kernelSize: 3, stride: 1, ceilMode: true })).code).toBe('KERNEL_TOO_LARGE');
    expect(errorOf(() => run('avgPool1d', [[[1, 1, 1], [5]]], { kernelSize: 2, stride: 3 })).code).toBe('KERNEL_TOO_LARGE');
  });
});

// found by a hunt: a negative divisorOverride was refused; torch 1.13 refuses only 0 ("divisor must be
// not zero") and divides by the negative number (F.avg_pool2d(x, 2, divisor_override=-2))
describe('divisorOverride may be negative, not 0, as in PyTorch', () => {
  it('avgPool2d 0…15 as 4×4, k=2, divisor −2 → [−5, −9, −21, −25] (SIMD path), ∂x −1/2 everywhere for ∂y ones', () => {
    const attributes = { kernelSize: 2, divisorOverride: -2 };
    expect(run('avgPool2d', [[[1, 1, 4, 4], iota(16)]], attributes)).toEqual([{ shape: [1, 1, 2, 2], data: [-5, -9, -21, -25] }]);
    const x = tensor([1, 1, 4, 4], Float32Array.from(iota(16)));
    const res = vjpOperator({ name: 'avgPool2d', inputs: [x], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 16, gradOutputs: [tensor([1, 1, 2, 2], [1, 1, 1, 1])] });
    expect(Array.from(res.gradInputs[0]!.data)).toEqual(new Array(16).fill(-0.5));
  });

  it('avgPool2d 0…35 as 6×6, k=2, stride 3 (JS path), divisor −3 → torch [−4.666666507720947, −8.666666984558105, −28.66666603088379, −32.66666793823242]', () => {
    expect(run('avgPool2d', [[[1, 1, 6, 6], iota(36)]], { kernelSize: 2, stride: 3, divisorOverride: -3 })[0].data).toEqual([
      -4.666666507720947, -8.666666984558105, -28.66666603088379, -32.66666793823242,
    ]);
  });

  it('avgPool3d 0…7 as 2×2×2, k=2, divisor −2 → −14', () => {
    expect(run('avgPool3d', [[[1, 1, 2, 2, 2], iota(8)]], { kernelSize: 2, divisorOverride: -2 })[0].data).toEqual([-14]);
  });

  it.each(['avgPool2d', 'avgPool3d'])('%s divisorOverride 0 is SPEC_INVALID at $.attributes.divisorOverride (PyTorch: "divisor must be not zero")', (op) => {
    const e = errorOf(() => run(op, [[op === 'avgPool2d' ? [1, 1, 2, 2] : [1, 1, 2, 2, 2], iota(op === 'avgPool2d' ? 4 : 8)]], { kernelSize: 2, divisorOverride: 0 }));
    expect(e).toMatchObject({ code: 'SPEC_INVALID', details: { path: '$.attributes.divisorOverride' } });
    expect(e.message).toContain('divisorOverride must not be 0');
  });
});
