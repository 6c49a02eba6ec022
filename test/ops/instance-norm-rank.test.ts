/**
 * instanceNorm1d and instanceNorm3d: instanceNorm2d's kernel under PyTorch's names, with their
 * modules' rank checks (torch 1.13 _check_input_dim): InstanceNorm1d takes (N, C, L) or one sample
 * (C, L), InstanceNorm3d (N, C, D, H, W) or (C, D, H, W), the sample normalised as a batch of one.
 * PyTorch goldens (scripts/goldens_instance_norm_nd.py) check the numbers; these, the ranks,
 * refusals and counts.
 */
import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { run } from './op-helpers.js';

const round = (xs: number[]) => xs.map((v) => Math.round(v * 1e4) / 1e4 + 0);

describe("instanceNorm1d, 2d and 3d hold PyTorch's ranks (instanceNorm2d: (N, C, H, W) or one sample (C, H, W); rank 5 and more as (N, C, …), as before)", () => {
  it('instanceNorm1d on [1, 2, 4, 4]: RANK_MISMATCH, expected 2D or 3D input (got 4D input); instanceNorm3d on [1, 2, 4]: expected 4D or 5D input (got 3D input)', () => {
    const e1 = errorOf(() => run('instanceNorm1d', [[[1, 2, 4, 4], Array.from({ length: 32 }, (_, i) => i)]]));
    expect([e1.code, e1.message]).toEqual(['RANK_MISMATCH', expect.stringMatching(/expected 2D or 3D input \(got 4D input\)/)]);
    const e3 = errorOf(() => run('instanceNorm3d', [[[1, 2, 4], Array.from({ length: 8 }, (_, i) => i)]]));
    expect([e3.code, e3.message]).toEqual(['RANK_MISMATCH', expect.stringMatching(/expected 4D or 5D input \(got 3D input\)/)]);
    expect(errorOf(() => run('instanceNorm3d', [[[1, 1, 1, 1, 1, 2], [1, 2]]])).code).toBe('RANK_MISMATCH');
    expect(run('instanceNorm2d', [[[1, 1, 1, 1, 2], [1, 3]]], { eps: 1e-12 })[0].data).toEqual([-1, 1]);
  });

  it('instanceNorm1d unbatched (C, L) [2, 2] = [0, 2 | 1, 5], γ [2, 1], β [0, 1]: each channel over L (means 1, 3; σ 1, 2) → [−2, 2 | 0, 2]; as a batch [1, 2, 2] the same', () => {
    const w = { weight: [[2], [2, 1]] as [number[], number[]], bias: [[2], [0, 1]] as [number[], number[]] };
    const one = run('instanceNorm1d', [[[2, 2], [0, 2, 1, 5]]], { affine: true, eps: 1e-12 }, w)[0];
    expect([one.shape, round(one.data)]).toEqual([[2, 2], [-2, 2, 0, 2]]);
    expect(round(run('instanceNorm1d', [[[1, 2, 2], [0, 2, 1, 5]]], { affine: true, eps: 1e-12 }, w)[0].data)).toEqual([-2, 2, 0, 2]);
  });

  it('unbatched, the channels are dim 0: instanceNorm1d numFeatures=3 affine on [2, 4] is CHANNEL_MISMATCH (PyTorch: weight should contain 2 elements not 3); one value per map [3, 1] is INVALID_TENSOR naming instanceNorm1d', () => {
    expect(errorOf(() => analyze(net([2, 4], { op: 'instanceNorm1d', numFeatures: 3, affine: true }))).code).toBe('CHANNEL_MISMATCH');
    const e = errorOf(() => analyze(net([3, 1], { op: 'instanceNorm1d' })));
    expect([e.code, e.message]).toEqual(['INVALID_TENSOR', expect.stringMatching(/instanceNorm1d on \[3, 1\].*Expected more than 1 spatial element/)]);
  });

  it('instanceNorm3d affine on [1, 2, 2, 3, 4]: 4 params, 7·48 + 4·2 FLOPs, as instanceNorm2d counts them; unbatched [2, 2, 3, 4] the same; trackRunningStats: 2·2 buffers and num_batches_tracked', () => {
    const batched = layer(analyze(net([1, 2, 2, 3, 4], { op: 'instanceNorm3d', affine: true })), 'l0');
    expect([batched.params, batched.flops]).toEqual([4, 48 * 7 + 2 * 4]);
    const single = layer(analyze(net([2, 2, 3, 4], { op: 'instanceNorm3d', affine: true })), 'l0');
    expect([single.params, single.flops, single.outputShapes[0]]).toEqual([4, 48 * 7 + 2 * 4, [2, 2, 3, 4]]);
    expect(layer(analyze(net([1, 2, 2, 3, 4], { op: 'instanceNorm3d', trackRunningStats: true })), 'l0').buffers).toBe(5);
  });

  it('instanceNorm2d on [2, 2, 2] = [0, 0, 2, 2 | 1, 3, 3, 1] is one sample (C, H, W) as nn.InstanceNorm2d reads it: each channel over its 4 values (means 1, 2; σ 1) → [−1, −1, 1, 1 | −1, 1, 1, −1] (read as N, C, L it gave [0, 0, 0, 0 | −1, 1, 1, −1]); a [2, 4, 4] network input into it has a global field over H, W (4 × 4)', () => {
    const y = run('instanceNorm2d', [[[2, 2, 2], [0, 0, 2, 2, 1, 3, 3, 1]]], { eps: 1e-12 })[0];
    expect([y.shape, round(y.data)]).toEqual([[2, 2, 2], [-1, -1, 1, 1, -1, 1, 1, -1]]);
    const field = layer(analyze(net([2, 4, 4], { op: 'instanceNorm2d' })), 'l0').receptiveField;
    expect(field).toMatchObject({ global: true, axes: ['h', 'w'], size: [4, 4] });
  });
});

