import { describe, expect, it } from 'vitest';
import { analyze, layer, net } from '../helpers.js';

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

  it('maxPool2d dilation 2, k=3: effective 5', () => {
    expect(layer(analyze(net([1, 1, 9, 9], { op: 'maxPool2d', kernelSize: 3, stride: 1, dilation: 2 })), 'l0').outputShape).toEqual([1, 1, 5, 5]);
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
});

describe('upsample', () => {
  it('nearest ×2: [1,3,5,7] → [1,3,10,14], no arithmetic', () => {
    const l = layer(analyze(net([1, 3, 5, 7], { op: 'upsample', scaleFactor: 2 })), 'l0');
    expect(l.outputShape).toEqual([1, 3, 10, 14]);
    expect(l.flops).toBe(0);
    expect(l.memoryAccess.elements.total).toBe(105 + 420);
  });

  it('bilinear to size [9, 4]: 7 FLOPs per output (4 mul + 3 add)', () => {
    const l = layer(analyze(net([1, 2, 3, 3], { op: 'upsample', mode: 'bilinear', size: [9, 4], alignCorners: true })), 'l0');
    expect(l.outputShape).toEqual([1, 2, 9, 4]);
    expect(l.flops).toBe(7 * 72);
  });

  it('scale 1.5 floors: 5 → 7', () => {
    expect(layer(analyze(net([1, 1, 5, 5], { op: 'upsample', scaleFactor: 1.5 })), 'l0').outputShape).toEqual([1, 1, 7, 7]);
  });
});

describe('linear, flatten, batchNorm2d, activations, merges', () => {
  it('linear Ci=512 → Co=1000 (the notes): params Ci·Co + Co, MACs Ci·Co, exact (2·Ci − 1)·Co, memory Ci + Co + Ci·Co', () => {
    const l = layer(analyze(net([1, 512], { op: 'linear', outFeatures: 1000 })), 'l0');
    expect(l.params).toBe(512 * 1000 + 1000);
    expect(l.macs).toBe(512_000);
    expect(l.flopsByConvention.seed).toBe((2 * 512 - 1) * 1000);
    // weights read: Ci·Co plus the bias Co
    expect(l.memoryAccess.elements).toEqual({ inputs: 512, outputs: 1000, weights: 513_000, total: 514_512 });
  });

  it('linear on the last dim of [2, 5, 8] → [2, 5, 3] counts 10 rows', () => {
    const l = layer(analyze(net([2, 5, 8], { op: 'linear', outFeatures: 3 })), 'l0');
    expect(l.outputShape).toEqual([2, 5, 3]);
    expect(l.macs).toBe(10 * 8 * 3);
  });

  it('global average pooling before the classifier cuts the FC cost by H·W (domain.md)', () => {
    const flat = analyze(net([1, 512, 7, 7], { op: 'flatten' }, { op: 'linear', outFeatures: 1000 }));
    const gap = analyze(net([1, 512, 7, 7], { op: 'globalAvgPool2d' }, { op: 'flatten' }, { op: 'linear', outFeatures: 1000 }));
    expect(layer(flat, 'l1').macs).toBe(49 * layer(gap, 'l2').macs);
  });

  it('batchNorm2d C=64: 2·C trainable params, 2·C buffers, 2 FLOPs per element', () => {
    const l = layer(analyze(net([1, 64, 4, 4], { op: 'batchNorm2d' })), 'l0');
    expect(l.params).toBe(128);
    expect(l.buffers).toBe(128);
    expect(l.flops).toBe(2 * 64 * 16);
    expect(layer(analyze(net([1, 64, 4, 4], { op: 'batchNorm2d', affine: false })), 'l0').params).toBe(0);
  });

  it.each([
    ['relu', 1],
    ['relu6', 2],
    ['leakyRelu', 2],
    ['sigmoid', 4],
    ['swish', 5],
    ['hardSigmoid', 4],
    ['hardSwish', 5],
    ['softmax', 5],
    ['dropout', 0],
  ])('%s on [1,4,3,3]: shape kept, %i FLOPs per element, field passed through', (op, per) => {
    const r = analyze(net([1, 4, 3, 3], { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 }, { op }));
    const l = layer(r, 'l1');
    expect(l.outputShape).toEqual([1, 4, 3, 3]);
    expect(l.flops).toBe(per * 36);
    expect(l.receptiveField).toEqual(layer(r, 'l0').receptiveField);
  });

  it('add of three [1,8,4,4]: 2 additions per element; broadcasting [1,8,1,1] × [1,8,4,4]', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 8, 4, 4] }],
      layers: [
        { name: 'a', op: 'relu', inputs: 'x' },
        { name: 'b', op: 'relu', inputs: 'x' },
        { name: 'sum', op: 'add', inputs: ['x', 'a', 'b'] },
        { name: 'gap', op: 'globalAvgPool2d', inputs: 'sum' },
        { name: 'scale', op: 'mul', inputs: ['sum', 'gap'] },
      ],
    });
    expect(layer(r, 'sum').flops).toBe(2 * 128);
    expect(layer(r, 'scale').outputShape).toEqual([1, 8, 4, 4]);
    expect(layer(r, 'scale').flops).toBe(128);
  });

  it('concat along channels: [1,3,4,4] + [1,5,4,4] → [1,8,4,4], no arithmetic', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 3, 4, 4] }],
      layers: [
        { name: 'c', op: 'conv2d', inputs: 'x', outChannels: 5, kernelSize: 1 },
        { name: 'cat', op: 'concat', inputs: ['x', 'c'] },
      ],
    });
    expect(layer(r, 'cat').outputShape).toEqual([1, 8, 4, 4]);
    expect(layer(r, 'cat').flops).toBe(0);
  });

  it('channelShuffle keeps the shape and costs nothing', () => {
    const l = layer(analyze(net([1, 9, 2, 2], { op: 'channelShuffle', groups: 3 })), 'l0');
    expect(l.outputShape).toEqual([1, 9, 2, 2]);
    expect(l.flops).toBe(0);
  });
});

describe('memory access in bytes per dtype', () => {
  it.each([
    ['float32', 4],
    ['float16', 2],
    ['bfloat16', 2],
    ['int8', 1],
  ] as const)('%s: %i bytes per element', (dtype, bytes) => {
    const l = layer(analyze(net([1, 3, 8, 8], { op: 'conv2d', outChannels: 8, kernelSize: 3, bias: false }), { dtype }), 'l0');
    expect(l.memoryAccess.bytes).toBe((192 + 288 + 216) * bytes);
  });
});
