/**
 * A fused activation in the GEMM's copy-out (runtime/execute.ts epilogueMember, tensor/gemm.ts
 * withEpilogue): the conv's outputs are mapped by the activation's own kernel in the kernel's
 * output area, before the copy to the tensor, instead of in a pass over the tensor afterwards.
 * Same kernel, same final values: bit for bit the run with the epilogue off (the activation in
 * place after the conv), and within 1e-5 of the unfused run (BN not folded).
 */
import { describe, expect, it } from 'vitest';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { runGraph } from '../../src/runtime/execute.js';
import type { RunOptions } from '../../src/runtime/execute.js';
import { epilogueMapped, gemmPacked, mapOnHeap, packA, wasmFloats, withEpilogue } from '../../src/tensor/gemm.js';
import { clampSimd, reluSimd } from '../../src/ops/clamp-simd.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { bnWeights, random, relErr } from './spec-tensors.js';

const OPTS: RunOptions = { training: false, seed: 7, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 22 };


/** Bit patterns (NaN and −0 compared exactly). */
const bits = (t: Tensor) => [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)];

function net(activation: Record<string, unknown>, conv: Record<string, unknown> = {}) {
  return parseNetworkSpec({
    inputs: [{ name: 'x', shape: [2, 8, 12, 12] }],
    layers: [
      { name: 'conv', op: 'conv2d', outChannels: 16, kernelSize: 3, padding: 1, bias: false, ...conv },
      { name: 'bn', op: 'batchNorm2d' },
      { name: 'act', ...activation },
    ],
  });
}

function runs(activation: Record<string, unknown>, x: Tensor, conv: Record<string, unknown> = {}) {
  const weights = bnWeights('bn', 16, 3);
  const out = (opts: Partial<RunOptions>) => Object.values(runGraph(net(activation, conv), { x }, { ...OPTS, weights, ...opts }).outputs)[0];
  const before = epilogueMapped();
  const fused = out({});
  const mapped = epilogueMapped() - before;
  return { fused, mapped, apart: out({ epilogue: false }), unfused: out({ fuse: false }) };
}

describe('a fused activation in the GEMM copy-out', () => {
  const x = random([2, 8, 12, 12], 11, -2, 2);

  it.each([
    ['relu6', { op: 'relu6' }],
    ['relu', { op: 'relu' }],
    ['clip [-0.5, 0.25]', { op: 'clip', min: -0.5, max: 0.25 }],
    ['sigmoid (a JS point-wise kernel)', { op: 'sigmoid' }],
  ])('conv 8→16 3×3 → BN → %s on [2, 8, 12, 12]: mapped in the copy-out (2·16·144 floats), bit for bit the activation applied after, ≤ 1e-5 of the unfused run', (_name, act) => {
    const { fused, mapped, apart, unfused } = runs(act, x);
    expect(mapped).toBe(2 * 16 * 144);
    expect(bits(fused)).toEqual(bits(apart));
    expect(relErr(fused, unfused)).toBeLessThan(1e-5);
  });

  it('NaN and -0 answers are the activation kernel\'s own: ReLU and ReLU6 keep a NaN conv output, as PyTorch (one NaN input in image 0: 16 channels × its 3×3 neighbourhood)', () => {
    const xn = random([2, 8, 12, 12], 12);
    xn.data[5 * 144 + 40] = NaN;
    for (const act of [{ op: 'relu' }, { op: 'relu6' }]) {
      const { fused, mapped, apart } = runs(act, xn);
      expect(mapped).toBeGreaterThan(0);
      expect(bits(fused)).toEqual(bits(apart));
      const nans = [...fused.data].filter(Number.isNaN).length;
      expect(nans).toBe(16 * 9);
    }
  });

  it('with a split hook (the worker\'s team): a kernel the hook declines is mapped; one it runs without the activation offered (mapped false) maps nothing and the activation runs after; same bits either way', () => {
    const weights = bnWeights('bn', 16, 3);
    const apart = Object.values(runGraph(net({ op: 'relu6' }), { x }, { ...OPTS, weights, epilogue: false }).outputs)[0];
    const declines: RunOptions['split'] = () => null;
    const runsAlone: RunOptions['split'] = (op, ctx) => ({ outputs: op.run(ctx), mapped: false });
    for (const split of [declines, runsAlone]) {
      const before = epilogueMapped();
      const y = Object.values(runGraph(net({ op: 'relu6' }), { x }, { ...OPTS, weights, split }).outputs)[0];
      expect(epilogueMapped() - before).toBe(split === declines ? 2 * 16 * 144 : 0);
      expect(bits(y)).toEqual(bits(apart));
    }
  });

  it('a split hook is offered the fused activation (op and attributes) and, when it applies it (mapped true), the run does not apply it again: leaky ReLU 0.1 (not idempotent: twice would scale negatives by 0.01) gives the one-pass bits', () => {
    const weights = bnWeights('bn', 16, 3);
    const act = { op: 'leakyRelu', negativeSlope: 0.1 };
    const apart = Object.values(runGraph(net(act), { x }, { ...OPTS, weights, epilogue: false }).outputs)[0];
    const offered: unknown[] = [];
    const applies: RunOptions['split'] = (op, ctx, _keep, epilogue) => {
      offered.push(epilogue && { op: epilogue.op?.name, attrs: epilogue.attrs });
      const [y] = op.run(ctx);
      epilogue!.op!.runInPlace!({ ...ctx, attrs: epilogue!.attrs, inputs: [y], weights: {} }, 0);
      return { outputs: [y], mapped: true };
    };
    const y = Object.values(runGraph(net(act), { x }, { ...OPTS, weights, split: applies }).outputs)[0];
    expect(offered).toEqual([{ op: 'leakyRelu', attrs: { negativeSlope: 0.1 } }]);
    expect(bits(y)).toEqual(bits(apart));
    expect(y.data.some((v) => v < 0)).toBe(true);
  });

  it('a residual block\'s tail (conv 16→16 → BN → add the block\'s input → leaky ReLU 0.1) is offered to a split hook as residual and activation; applied by the hook (mapped) neither runs again, declined (mapped false) both run after it; the bits of the run with no hook either way', () => {
    const spec = parseNetworkSpec({
      inputs: [{ name: 'x', shape: [2, 16, 12, 12] }],
      layers: [
        { name: 'conv', op: 'conv2d', outChannels: 16, kernelSize: 3, padding: 1, bias: false },
        { name: 'bn', op: 'batchNorm2d' },
        { name: 'add', op: 'add', inputs: ['bn', 'x'] },
        { name: 'act', op: 'leakyRelu', negativeSlope: 0.1 },
      ],
    });
    const weights = bnWeights('bn', 16, 5);
    const x16 = random([2, 16, 12, 12], 13, -2, 2);
    const run = (split?: RunOptions['split']) => Object.values(runGraph(spec, { x: x16 }, { ...OPTS, weights, ...(split && { split }) }).outputs)[0];
    const plain = run();
    const offered: unknown[] = [];
    const applies: RunOptions['split'] = (op, ctx, _keep, epilogue) => {
      if (!epilogue?.residual) return null;
      offered.push({ op: epilogue.op?.name, attrs: epilogue.attrs, residual: epilogue.residual.shape });
      const [y] = op.run(ctx);
      for (let i = 0; i < y.data.length; i++) y.data[i] += epilogue.residual.data[i];
      epilogue.op!.runInPlace!({ ...ctx, attrs: epilogue.attrs, inputs: [y], weights: {} }, 0);
      return { outputs: [y], mapped: true };
    };
    const declines: RunOptions['split'] = (op, ctx, _keep, epilogue) => (epilogue?.residual ? { outputs: op.run(ctx), mapped: false } : null);
    expect(bits(run(applies))).toEqual(bits(plain));
    expect(offered).toEqual([{ op: 'leakyRelu', attrs: { negativeSlope: 0.1 }, residual: [2, 16, 12, 12] }]);
    expect(bits(run(declines))).toEqual(bits(plain));
    expect(plain.data.some((v) => v < 0)).toBe(true);
  });

  it('a depthwise conv (no GEMM: its kernel adds the bias) maps nothing; the activation runs after it, same bits', () => {
    const { fused, mapped, apart } = runs({ op: 'relu6' }, x, { outChannels: 16, groups: 8 });
    // groups 8 with 8 inputs: one input channel per group, two kernels each (depthwise multiplier 2)
    expect(mapped).toBe(0);
    expect(bits(fused)).toEqual(bits(apart));
  });

  it('gemmPacked maps only final values: with a bias (its start) and not accumulating; with accumulate it maps nothing', () => {
    const [M, N, K] = [5, 300, 7];
    const A = random([M, K], 1).data;
    const B = random([K, N], 2).data;
    const bias = random([M], 3).data;
    const fill = (col: number, width: number, panels: Float32Array) => {
      for (let k = 0; k < K; k++) for (let j = 0; j < width; j++) panels[(j >> 3) * K * 8 + k * 8 + (j & 7)] = B[k * N + col + j];
    };
    const plain = new Float32Array(M * N);
    gemmPacked(N, packA(M, K, A, 0, K), fill, plain, 0, N, false, bias);
    const half = (v: Float32Array) => {
      for (let i = 0; i < v.length; i++) v[i] = v[i] > 0 ? v[i] : v[i] / 2;
    };
    const mappedC = new Float32Array(M * N);
    const { covered } = withEpilogue(half, () => gemmPacked(N, packA(M, K, A, 0, K), fill, mappedC, 0, N, false, bias));
    expect(covered).toBe(M * N);
    const want = plain.slice();
    half(want);
    expect([...mappedC]).toEqual([...want]);
    const acc = plain.slice();
    const none = withEpilogue(half, () => gemmPacked(N, packA(M, K, A, 0, K), fill, acc, 0, N, true, bias));
    expect(none.covered).toBe(0);
  });

  it('on a view of the GEMM module\'s memory, clamp and ReLU run there in place (mapOnHeap) with the copying kernels\' bits: NaN, ±0, ±∞, the bounds themselves, 11 floats (a 4-lane body and a tail)', () => {
    const values = [NaN, -0, 0, -Infinity, Infinity, -0.5, 0.25, 6, 6.000001, -1e-30, 3];
    for (const bounds of [[0, 6], [-0.5, 0.25], null] as const) {
      const want = Float32Array.from(values);
      if (bounds) clampSimd(want, want, bounds[0], bounds[1]);
      else reluSimd(want, want);
      const view = wasmFloats(1024).subarray(1000, 1000 + values.length);
      view.set(values);
      expect(mapOnHeap(view, bounds)).toBe(true);
      expect([...new Uint32Array(view.slice().buffer)]).toEqual([...new Uint32Array(want.buffer)]);
      expect(mapOnHeap(Float32Array.from(values), bounds)).toBe(false);
    }
  });
});
