/**
 * einsum merges each operand at the shape it presents at the output (src/ops/einsum.ts): a pooled
 * summary without the output's spatial labels is broadcast over the map, a gate, as the same product
 * written as mul reads it (receptive-field.ts mergeRF: a squeeze-excitation's pooled summary). Before,
 * every operand was merged at the output's shape and the summary's field kept its own dims through
 * moveDims (its labels i, j summed), which happened to be the output's h, w: the summary counted as a
 * full-size path and made the field global, where mul kept the conv's 3×3. Autograd reads the
 * gradient of a gate through the mean, over the whole map, for both forms; the convention that a
 * broadcast summary is a gate is mergeRF's, and both forms now follow it.
 */
import { describe, expect, it } from 'vitest';
import { analyze, layer } from '../helpers.js';

const CONV_3 = { global: false, axes: ['h', 'w'], size: [3, 3], stride: [1, 1], padding: [1, 1], centre: [0, 0] };
const GLOBAL = { global: true, axes: ['h', 'w'], size: [6, 6], stride: null, padding: null, centre: null };

describe('einsum with a pooled summary of a 3×3 conv (k3 p1 on 1×2×6×6)', () => {
  const conv = { name: 'c', op: 'conv2d', inputs: 'x', outChannels: 3, kernelSize: 3, padding: 1 };
  const run = (...more: object[]) => layer(analyze({ inputs: [{ name: 'x', shape: [1, 2, 6, 6] }], layers: [conv, ...more] }), 'y').receptiveField;
  const mean = { name: 'm', op: 'reduceMean', inputs: 'c', axes: [2, 3], keepDims: true };

  it('mul(c, c.mean((2, 3), keepdim=True)): the gate keeps the conv\'s 3×3 (the reference)', () => {
    expect(run(mean, { name: 'y', op: 'mul', inputs: ['c', 'm'] })).toEqual(CONV_3);
  });

  it("einsum 'nchw,ncij->nchw' of c and that mean [1, 3, 1, 1]: 3×3, as mul (it was global: the mean's dims 2, 3 read as the output's)", () => {
    expect(run(mean, { name: 'y', op: 'einsum', inputs: ['c', 'm'], equation: 'nchw,ncij->nchw' })).toEqual(CONV_3);
  });

  it("einsum 'nchw,nc->nchw' of c and s = einsum 'nchw->nc' (a [1, 3] sum): 3×3, as mul by s[:, :, None, None] (it was global)", () => {
    const s = { name: 's', op: 'einsum', inputs: ['c'], equation: 'nchw->nc' };
    expect(run(s, { name: 'y', op: 'einsum', inputs: ['c', 's'], equation: 'nchw,nc->nchw' })).toEqual(CONV_3);
    expect(run(s, { name: 'u', op: 'reshape', inputs: 's', shape: [1, 3, 1, 1] }, { name: 'y', op: 'mul', inputs: ['c', 'u'] })).toEqual(CONV_3);
  });

  it("a global operand with the output's spatial labels stays a path: scores 'nchw,ncij->nhwij' (global), then 'nhwij,ncij->nchw' by c: global", () => {
    const scores = { name: 'p', op: 'einsum', inputs: ['c', 'c'], equation: 'nchw,ncij->nhwij' };
    expect(run(scores, { name: 'y', op: 'einsum', inputs: ['p', 'c'], equation: 'nhwij,ncij->nchw' })).toEqual(GLOBAL);
  });
});
