import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { run } from './op-helpers.js';

// conv1d / conv3d: params Cout·(Cin/g)·ΠK (+Cout), MACs N·Cout·ΠO·(Cin/g)·ΠK, worked by hand.
describe('conv1d', () => {
  it('x=[1,1,5]=[1..5] w=[1,0,−1]: y[i] = x[i] − x[i+2]; p=1 adds the edges; s=2 keeps every other', () => {
    const x: [number[], number[]] = [[1, 1, 5], [1, 2, 3, 4, 5]];
    const w = { weight: [[1, 1, 3], [1, 0, -1]] as [number[], number[]] };
    expect(run('conv1d', [x], { outChannels: 1, kernelSize: 3, bias: false }, w)[0]).toEqual({ shape: [1, 1, 3], data: [-2, -2, -2] });
    // padded: [0,1,2,3,4,5,0] → 0−2, 1−3, 2−4, 3−5, 4−0
    expect(run('conv1d', [x], { outChannels: 1, kernelSize: 3, padding: 1, bias: false }, w)[0].data).toEqual([-2, -2, -2, -2, 4]);
    expect(run('conv1d', [x], { outChannels: 1, kernelSize: 3, padding: 1, stride: 2, bias: false }, w)[0].data).toEqual([-2, -2, 4]);
  });

  it('x=[2,16,1000] k=9 s=2 p=4 g=4 → 32 (audio): shape, params, MACs', () => {
    const l = layer(analyze(net([2, 16, 1000], { op: 'conv1d', outChannels: 32, kernelSize: 9, stride: 2, padding: 4, groups: 4 })), 'l0');
    // floor((1000 + 8 − 9)/2) + 1 = 500
    expect(l.outputShape).toEqual([2, 32, 500]);
    expect(l.params).toBe(32 * (16 / 4) * 9 + 32); // 1,184
    expect(l.macs).toBe(2 * 32 * 500 * (16 / 4) * 9); // 1,152,000
  });

  it('dilation 3, k=3: effective kernel 7, length 20 → 14', () => {
    expect(layer(analyze(net([1, 4, 20], { op: 'conv1d', outChannels: 4, kernelSize: 3, dilation: 3 })), 'l0').outputShape).toEqual([1, 4, 14]);
  });

  it('refuses a 4-D input (RANK_MISMATCH) and a kernel longer than the padded input (KERNEL_TOO_LARGE)', () => {
    expect(errorOf(() => analyze(net([1, 3, 8, 8], { op: 'conv1d', outChannels: 4, kernelSize: 3 }))).code).toBe('RANK_MISMATCH');
    expect(errorOf(() => analyze(net([1, 3, 4], { op: 'conv1d', outChannels: 4, kernelSize: 7, padding: 1 }))).code).toBe('KERNEL_TOO_LARGE');
  });
});

describe('conv3d', () => {
  it('r3d_18 stem x=[1,3,16,112,112] k=[3,7,7] s=[1,2,2] p=[1,3,3] → 64, no bias', () => {
    const r = analyze(net([1, 3, 16, 112, 112], { op: 'conv3d', outChannels: 64, kernelSize: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3], bias: false }));
    const l = layer(r, 'l0');
    expect(l.outputShape).toEqual([1, 64, 16, 56, 56]);
    expect(l.params).toBe(64 * 3 * 3 * 7 * 7); // 28,224
    expect(l.macs).toBe(28_224 * 16 * 56 * 56); // 1,416,167,424
    expect(l.flopsByConvention.exact).toBe((2 * 3 * 147 - 1) * 64 * 16 * 56 * 56);
    // the field per axis [d, h, w]: r = k, stride s, padding p, centre (k − 1)/2 − p = 0 on each
    expect(l.receptiveField).toEqual({ global: false, axes: ['d', 'h', 'w'], size: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3], centre: [0, 0, 0] });
  });

  it('depthwise temporal k=[3,1,1] g=C, and asymmetric pads [b_t,b_h,b_w,e_t,e_h,e_w]', () => {
    const dw = layer(analyze(net([1, 8, 4, 5, 5], { op: 'conv3d', outChannels: 8, kernelSize: [3, 1, 1], padding: [1, 0, 0], groups: 8, bias: false })), 'l0');
    expect(dw.outputShape).toEqual([1, 8, 4, 5, 5]);
    expect(dw.params).toBe(8 * 3);
    expect(dw.macs).toBe(8 * 3 * 4 * 5 * 5);
    // t: 4+0+0−1+1 = 4; h: floor((5+1+2−3)/2)+1 = 3; w: floor((6+0+1−3)/2)+1 = 3
    const asym = layer(analyze(net([1, 2, 4, 5, 6], { op: 'conv3d', outChannels: 3, kernelSize: [1, 3, 3], stride: [1, 2, 2], padding: [0, 1, 0, 0, 2, 1] })), 'l0');
    expect(asym.outputShape).toEqual([1, 3, 4, 3, 3]);
  });

  it('x=[1,1,2,2,2] of ones, k=2 weight of ones, bias 0.5: one output 8.5; p=1 corners see one voxel', () => {
    const x: [number[], number[]] = [[1, 1, 2, 2, 2], Array(8).fill(1)];
    const w = { weight: [[1, 1, 2, 2, 2], Array(8).fill(1)] as [number[], number[]], bias: [[1], [0.5]] as [number[], number[]] };
    expect(run('conv3d', [x], { outChannels: 1, kernelSize: 2 }, w)[0]).toEqual({ shape: [1, 1, 1, 1, 1], data: [8.5] });
    const padded = run('conv3d', [x], { outChannels: 1, kernelSize: 2, padding: 1 }, w)[0];
    expect(padded.shape).toEqual([1, 1, 3, 3, 3]);
    // corner (0,0,0) overlaps 1 voxel, the centre all 8, an edge centre 2, a face centre 4
    expect([padded.data[0], padded.data[13], padded.data[1], padded.data[4]]).toEqual([1.5, 8.5, 2.5, 4.5]);
  });
});

describe('convTranspose1d / convTranspose3d', () => {
  it('1-D x=[1,2,3] w=[1,1] k=2 s=2: each input written twice → [1,1,2,2,3,3]; p=1 crops one each side', () => {
    const x: [number[], number[]] = [[1, 1, 3], [1, 2, 3]];
    const w = { weight: [[1, 1, 2], [1, 1]] as [number[], number[]] };
    expect(run('convTranspose1d', [x], { outChannels: 1, kernelSize: 2, stride: 2, bias: false }, w)[0]).toEqual({ shape: [1, 1, 6], data: [1, 1, 2, 2, 3, 3] });
    expect(run('convTranspose1d', [x], { outChannels: 1, kernelSize: 2, stride: 2, padding: 1, bias: false }, w)[0].data).toEqual([1, 2, 2, 3]);
  });

  it('3-D x=[1,64,8,28,28] k=2 s=2 → 32: [1,32,16,56,56], params Cin·Cout·8 + Cout, MACs over input positions', () => {
    const l = layer(analyze(net([1, 64, 8, 28, 28], { op: 'convTranspose3d', outChannels: 32, kernelSize: 2, stride: 2 })), 'l0');
    expect(l.outputShape).toEqual([1, 32, 16, 56, 56]);
    expect(l.params).toBe(64 * 32 * 8 + 32);
    expect(l.macs).toBe(64 * 8 * 28 * 28 * 32 * 8);
    // k = s: every output receives exactly one product, so exact = 2·MACs − outputs
    expect(l.flopsByConvention.exact).toBe(2 * l.macs - 32 * 16 * 56 * 56);
  });

  it('outputPadding must be below the stride (PyTorch rule)', () => {
    expect(errorOf(() => analyze(net([1, 2, 4], { op: 'convTranspose1d', outChannels: 2, kernelSize: 3, stride: 2, outputPadding: 2 }))).code).toBe('INVALID_ATTRIBUTE');
  });
});
