import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';

describe('batchNorm2d', () => {
  it('batchNorm2d C=64: 2·C trainable params, 2·C + 1 buffers (running mean, var; num_batches_tracked), 2 FLOPs per element', () => {
    const l = layer(analyze(net([1, 64, 4, 4], { op: 'batchNorm2d' })), 'l0');
    expect(l.params).toBe(128);
    // torch.nn.BatchNorm2d(64): buffers running_mean [64], running_var [64], num_batches_tracked [] (int64): 129 elements (was 128)
    expect(l.buffers).toBe(129);
    // the forward pass reads γ, β, μ, σ² (4·64) and not num_batches_tracked: memory access 2·1024 + 256
    expect(l.memoryAccess.elements).toEqual({ inputs: 1024, outputs: 1024, weights: 256, total: 2304 });
    expect(layer(analyze(net([1, 64, 4, 4], { op: 'batchNorm2d', trackRunningStats: false })), 'l0').buffers).toBe(0);
    expect(l.flops).toBe(2 * 64 * 16);
    expect(layer(analyze(net([1, 64, 4, 4], { op: 'batchNorm2d', affine: false })), 'l0').params).toBe(0);
  });
});

describe('batchNorm momentum null (PyTorch\'s momentum=None: the cumulative moving average of the running statistics)', () => {
  it('batchNorm1d, 2d and 3d take momentum null with the counts of momentum 0.1 (it sets only training\'s update of the running statistics, which no forward pass reads); out of [0, 1] is still refused; instanceNorm2d refuses null, as nn.InstanceNorm2d(momentum=None) fails on its first forward', () => {
    for (const [op, shape] of [
      ['batchNorm1d', [4, 8, 5]],
      ['batchNorm2d', [1, 8, 4, 4]],
      ['batchNorm3d', [1, 8, 2, 3, 3]],
    ] as const) {
      const none = layer(analyze(net([...shape], { op, momentum: null })), 'l0');
      const def = layer(analyze(net([...shape], { op })), 'l0');
      // nn.BatchNorm*d(8, momentum=None): weight, bias (16); running_mean, running_var, num_batches_tracked (17)
      expect([op, none.params, none.buffers, none.flops]).toEqual([op, 16, 17, def.flops]);
    }
    const refused = (attrs: Record<string, unknown>) => {
      const e = errorOf(() => analyze(net([1, 8, 4, 4], attrs)));
      return [e.code, e.details.path];
    };
    for (const bad of [1.5, -0.1]) expect(refused({ op: 'batchNorm2d', momentum: bad })).toEqual(['SPEC_INVALID', '$.layers[0].momentum']);
    expect(refused({ op: 'instanceNorm2d', momentum: null })).toEqual(['SPEC_INVALID', '$.layers[0].momentum']);
  });
});

describe('batchNorm2d receptive field', () => {
  it('on running statistics it passes the conv field through; without them (batch statistics over N, H, W) it is global, with the local 3×3 in a warning', () => {
    const conv = { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 };
    const kept = analyze(net([1, 3, 6, 6], conv, { op: 'batchNorm2d' }));
    expect(layer(kept, 'l1').receptiveField).toEqual(layer(kept, 'l0').receptiveField);
    const batch = analyze(net([1, 3, 6, 6], conv, { op: 'batchNorm2d', trackRunningStats: false }));
    expect(layer(batch, 'l1').receptiveField?.global).toBe(true);
    expect(batch.warnings.find((w) => w.code === 'NORMALISATION_RECEPTIVE_FIELD')?.localField).toEqual([
      { size: 3, stride: 1, padding: 1 },
      { size: 3, stride: 1, padding: 1 },
    ]);
  });
});

describe('batchNorm2d in training on one value per channel', () => {
  const call = (shape: number[], data: number[]) => () =>
    runOperator({ name: 'batchNorm2d', inputs: [tensor(shape, Float32Array.from(data))], attributes: {}, weights: {}, training: true, seed: 0, maxElements: 1 << 16 });

  it('[1, 1, 1, 1] is INVALID_TENSOR, as PyTorch refuses it (Expected more than 1 value per channel when training)', () => {
    const e = errorOf(call([1, 1, 1, 1], [5]));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.message).toContain('Expected more than 1 value per channel when training');
  });

  it('[1, 1, 1, 2] = [5, 6] normalises with the batch: mean 5.5, biased variance 0.25 → ±0.5/√(0.25 + 1e-5)', () => {
    const y = call([1, 1, 1, 2], [5, 6])().outputs[0].data;
    const v = 0.5 / Math.sqrt(0.25 + 1e-5);
    expect(Array.from(y)).toEqual([Math.fround(-v), Math.fround(v)]);
  });
});
// found by the differential run against PyTorch: eval mode without running statistics was accepted
describe('batchNorm2d at inference without running statistics on one value per channel', () => {
  const call = (shape: number[], data: number[], attributes: Record<string, unknown>) => () =>
    runOperator({ name: 'batchNorm2d', inputs: [tensor(shape, Float32Array.from(data))], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 16 });

  it('batchNorm2d x=[1, 2, 1, 1] trackRunningStats=false affine=false at inference is INVALID_TENSOR at $.inputs, as nn.BatchNorm2d(2, track_running_stats=False).eval() refuses it', () => {
    const e = errorOf(call([1, 2, 1, 1], [5, 6], { trackRunningStats: false, affine: false }));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.details.path).toBe('$.inputs');
    expect(e.message).toContain('Expected more than 1 value per channel when training');
    // the analyzer reads the same rule
    expect(errorOf(() => analyze(net([1, 2, 1, 1], { op: 'batchNorm2d', trackRunningStats: false }))).code).toBe('INVALID_TENSOR');
    // rank 2 (BatchNorm1d on [1, C]) too
    expect(errorOf(call([1, 3], [1, 2, 3], { trackRunningStats: false })).code).toBe('INVALID_TENSOR');
  });

  it('batchNorm2d x=[1, 2, 1, 1] with running statistics at inference runs (PyTorch does): (x − μ)/√(σ² + ε) with μ 0, σ² 1', () => {
    const y = call([1, 2, 1, 1], [5, 6], { affine: false })().outputs[0].data;
    expect(Array.from(y)).toEqual([Math.fround(5 / Math.sqrt(1 + 1e-5)), Math.fround(6 / Math.sqrt(1 + 1e-5))]);
  });

  it('batchNorm2d x=[2, 1, 1, 1] = [3, −1] trackRunningStats=false at inference: two values per channel, PyTorch gives ±0.9999987483024597', () => {
    const y = call([2, 1, 1, 1], [3, -1], { trackRunningStats: false, affine: false })().outputs[0].data;
    expect(y[0]).toBeCloseTo(0.9999987483024597, 6);
    expect(y[1]).toBeCloseTo(-0.9999987483024597, 6);
  });
});

