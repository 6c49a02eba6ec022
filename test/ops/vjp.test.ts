import { describe, expect, it } from 'vitest';
import { OPS_BY_NAME } from '../../src/ops/registry.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import type { VjpCall } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { scaledError } from '../helpers.js';
import type { Wire } from './golden-cases.js';
import { VJP_CASES, type VjpCase } from './vjp-cases.js';

const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));

const call = (c: VjpCase): VjpCall => ({
  name: c.op,
  inputs: c.inputs.map(t),
  attributes: c.attributes,
  weights: Object.fromEntries(Object.entries(c.weights).map(([k, w]) => [k, t(w)])),
  training: c.training,
  seed: 0,
  maxElements: 1 << 24,
  gradOutputs: c.gradOutputs.map((g) => (g ? t(g) : null)),
});

const ready = VJP_CASES.filter((c) => OPS_BY_NAME.get(c.op)?.vjp);
const waiting = VJP_CASES.filter((c) => !OPS_BY_NAME.get(c.op)?.vjp);

describe('every vector-Jacobian product against PyTorch autograd (test/fixtures/vjp/*.json): max abs error ≤ 1e-5 of the gradient scale', () => {
  it('the fixtures hold cases', () => expect(VJP_CASES.length).toBeGreaterThan(0));

  it.each(ready.map((c) => [`${c.file}: ${c.name}`, c] as const))('%s', (_, c) => {
    const res = vjpOperator(call(c));
    expect(res.gradInputs.length).toBe(c.gradInputs.length);
    c.gradInputs.forEach((want, i) => {
      const got = res.gradInputs[i];
      if (want === null) {
        expect(got, `input ${i} has no gradient`).toBeNull();
        return;
      }
      expect(got, `input ${i}`).not.toBeNull();
      expect(got!.shape).toEqual(want.shape);
      expect(scaledError(got!.data, want.data), `input ${i}`).toBeLessThanOrEqual(1e-5);
    });
  });

  // goldens of ops whose vjp is not written yet: listed, so the gap shows in every run
  for (const c of waiting) it.todo(`${c.file}: ${c.name} (${c.op} has no vjp yet)`);
});

describe('vjpOperator', () => {
  const x = tensor([1, 1, 3, 3], Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const base = { inputs: [x], training: false, seed: 0, maxElements: 1 << 20 };

  it('conv2d k=2 weight ones: each input pixel collects the output gradients of the windows holding it (hand-worked)', () => {
    const w = tensor([1, 1, 2, 2], Float32Array.from([1, 1, 1, 1]));
    const g = tensor([1, 1, 2, 2], Float32Array.from([1, 10, 100, 1000]));
    const res = vjpOperator({ ...base, name: 'conv2d', attributes: { bias: false }, weights: { weight: w }, gradOutputs: [g] });
    // window (i, j) covers pixels (i..i+1, j..j+1): the centre is in all four
    expect(Array.from(res.gradInputs[0]!.data)).toEqual([1, 11, 10, 101, 1111, 1010, 100, 1100, 1000]);
    expect(Array.from(res.outputs[0].data)).toEqual([12, 16, 24, 28]);
  });

  it('a null output gradient counts as zeros', () => {
    const w = tensor([1, 1, 2, 2], Float32Array.from([1, 2, 3, 4]));
    const res = vjpOperator({ ...base, name: 'conv2d', attributes: { bias: false }, weights: { weight: w }, gradOutputs: [null] });
    expect(Array.from(res.gradInputs[0]!.data)).toEqual(new Array(9).fill(0));
  });

  it('an output gradient of the wrong shape is SHAPE_MISMATCH naming both shapes', () => {
    const w = tensor([1, 1, 2, 2], Float32Array.from([1, 2, 3, 4]));
    expect(() => vjpOperator({ ...base, name: 'conv2d', attributes: {}, weights: { weight: w }, gradOutputs: [tensor([1, 1, 3, 3])] })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringContaining('[1, 1, 2, 2]') }),
    );
  });

  it('an op without a vjp is NO_GRADIENT; an unknown op is UNKNOWN_OPERATOR', () => {
    const noVjp = [...OPS_BY_NAME.values()].find((op) => !op.vjp);
    if (noVjp) expect(() => vjpOperator({ ...base, name: noVjp.name, attributes: {}, weights: {}, gradOutputs: [] })).toThrow(expect.objectContaining({ code: 'NO_GRADIENT' }));
    expect(() => vjpOperator({ ...base, name: 'conv4d', attributes: {}, weights: {}, gradOutputs: [] })).toThrow(expect.objectContaining({ code: 'UNKNOWN_OPERATOR' }));
  });
});

describe('conv2d input gradient at sizes the goldens do not reach, against a direct scatter', () => {
  /** ∂x[n, ci, iy, ix] += w[co, ci − g·Cin/g, u, v]·g[n, co, oy, ox]: the definition, loop by loop. */
  function reference(gy: Float32Array, w: Float32Array, [n, cin, H, W]: number[], cout: number, k: number, s: number, p: number, d: number, groups: number, [OH, OW]: number[]) {
    const gx = new Float32Array(n * cin * H * W);
    const [cinG, coutG] = [cin / groups, cout / groups];
    for (let b = 0; b < n; b++)
      for (let co = 0; co < cout; co++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++)
            for (let c = 0; c < cinG; c++)
              for (let u = 0; u < k; u++)
                for (let v = 0; v < k; v++) {
                  const [iy, ix] = [oy * s - p + u * d, ox * s - p + v * d];
                  if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                  const ci = Math.floor(co / coutG) * cinG + c;
                  gx[((b * cin + ci) * H + iy) * W + ix] += w[((co * cinG + c) * k + u) * k + v] * gy[((b * cout + co) * OH + oy) * OW + ox];
                }
    return gx;
  }
  const cases: [string, number, number, number, number, number, number, number][] = [
    // name, cin, cout, size, k, stride, pad, groups (dilation 1 unless named)
    ['3×3 32→48 over 20×20 s1 p1 (the forward GEMM path)', 32, 48, 20, 3, 1, 1, 1],
    ['3×3 32→48 over 22×22 s2 p0 (the transposed path, the last row and column dropped)', 32, 48, 22, 3, 2, 0, 1],
    ['1×1 64→40 over 15×15 (pointwise)', 64, 40, 15, 1, 1, 0, 1],
    ['1×1 s2 48→24 over 15×15 (strided pointwise)', 48, 24, 15, 1, 2, 0, 1],
    ['3×3 depthwise 24 over 19×19 s2 p1', 24, 24, 19, 3, 2, 1, 24],
    ['5×5 depthwise ×2 16→32 over 17×17 s1 p2', 16, 32, 17, 5, 1, 2, 16],
    ['3×3 g4 32→32 over 12×12 d2 p2', 32, 32, 12, 3, 1, 2, 4],
  ];
  it.each(cases)('%s', (name, cin, cout, size, k, s, p, groups) => {
    const d = name.includes(' d2 ') ? 2 : 1;
    const rnd = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);
    const x = tensor([1, cin, size, size], rnd(cin * size * size, 1));
    const w = tensor([cout, cin / groups, k, k], rnd((cout * cin * k * k) / groups, 2));
    const out = Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
    const g = tensor([1, cout, out, out], rnd(cout * out * out, 3));
    const res = vjpOperator({ name: 'conv2d', inputs: [x], attributes: { outChannels: cout, kernelSize: k, stride: s, padding: p, dilation: d, groups, bias: false }, weights: { weight: w }, training: false, seed: 0, maxElements: 1 << 22, gradOutputs: [g] });
    const want = reference(g.data, w.data, x.shape, cout, k, s, p, d, groups, [out, out]);
    expect(scaledError(res.gradInputs[0]!.data, want)).toBeLessThanOrEqual(1e-5);
  });
});

describe("a kernel's fault in a vector-Jacobian product call is named as runOperator names it", () => {
  it('gatherElements (dim 1) of [2, 2] at indices [[0, 5], [1, 0]] given as data: INVALID_TENSOR at $.inputs[1], layer gatherElements, the element [0, 1] named', () => {
    let caught: unknown;
    try {
      vjpOperator({
        name: 'gatherElements',
        inputs: [tensor([2, 2], [1, 2, 3, 4]), tensor([2, 2], [0, 5, 1, 0])],
        attributes: { dim: 1 },
        weights: {},
        training: false,
        seed: 0,
        maxElements: 1 << 20,
        gradOutputs: [tensor([2, 2], [1, 1, 1, 1])],
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({
      code: 'INVALID_TENSOR',
      message: "layer 'gatherElements': indices[0, 1] = 5 is out of range for axis 1 of data [2, 2] (valid: integers -2…1)",
      details: { path: '$.inputs[1]', layer: 'gatherElements' },
    });
  });
});
