/**
 * Issue 9, defect 6: a kernel's memory is its tensors plus at most KERNEL_SCRATCH floats of
 * scratch. Transposed convolution's columns and deformable convolution's sampled columns are made
 * in bands, and the GEMM works in tiles of WebAssembly memory (which never shrinks); every banded
 * or tiled result equals the one-piece computation. Growth is measured as array buffers (and
 * WebAssembly memory, in `external`) still held right after the call.
 */
import { describe, expect, it } from 'vitest';
import { convTransposeForward } from '../../src/ops/conv-transpose.js';
import type { ConvTransposePlan } from '../../src/ops/conv-transpose.js';
import { deformForward } from '../../src/ops/deform-conv.js';
import type { DeformConvPlan } from '../../src/ops/deform-conv.js';
import { gemm, gemmTiles } from '../../src/ops/gemm-tiles.js';
import { KERNEL_SCRATCH } from '../../src/limits.js';
import { runOperator } from '../../src/runtime/operator.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';

const random = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};
const MB = 2 ** 20;
const axis = (inSize: number, kernel: number, stride: number, pad: number, dilation: number, out: number) => ({
  in: inSize,
  kernel,
  stride,
  dilation,
  effKernel: dilation * (kernel - 1) + 1,
  padBegin: pad,
  padEnd: pad,
  out,
});
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('GEMM tiles (ops/gemm-tiles.ts)', () => {
  it('M = 512, K = 4608 (ResNet\'s largest conv) is one tile; M = 4, K = 10^6 is tiled along K; M = 20000, K = 9 along M', () => {
    expect(gemmTiles(512, 4608)).toEqual({ mc: 512, kc: 4608 });
    const deep = gemmTiles(4, 1_000_000);
    expect(deep.mc).toBe(4);
    expect(4 * deep.kc + deep.kc * 256 + 4 * 256).toBeLessThanOrEqual(KERNEL_SCRATCH);
    expect(gemmTiles(20_000, 9)).toEqual({ mc: 4096, kc: 9 });
  });

  it('C (+)= A·B in tiles of a 3,000-float budget (13×50 by 50×37, with leading dimensions and offsets) equals the direct sums', () => {
    const [M, N, K] = [13, 37, 50];
    const [lda, ldb, ldc] = [K + 3, N + 5, N + 2];
    const A = random(2 + M * lda, 1);
    const B = random(4 + K * ldb, 2);
    for (const accumulate of [false, true]) {
      const C = random(1 + M * ldc, 3);
      const expected = C.slice();
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += A[2 + i * lda + k] * B[4 + k * ldb + j];
          expected[1 + i * ldc + j] = (accumulate ? expected[1 + i * ldc + j] : 0) + s;
        }
      }
      expect(gemmTiles(M, K, 3000).kc).toBeLessThan(K);
      gemm(M, N, K, A, 2, lda, B, 4, ldb, C, 1, ldc, accumulate, 3000);
      expect(maxDiff(C, expected)).toBeLessThan(1e-4);
    }
  });

  it('conv2d 27,778 → 1, 3×3 over 18×18 (K = 250,002): WebAssembly memory grows by at most 17 MiB (it grew 248 MB), the sum still 0.001·27,778·9 inside', () => {
    const x = tensor([1, 27_778, 18, 18], new Float32Array(27_778 * 324).fill(0.001));
    const weight = tensor([1, 27_778, 3, 3], new Float32Array(27_778 * 9).fill(1));
    const before = process.memoryUsage().external;
    const res = runOperator({ name: 'conv2d', inputs: [x], attributes: { padding: 1 }, weights: { weight }, training: false, seed: 0, maxElements: 1 << 26 });
    expect((process.memoryUsage().external - before) / MB).toBeLessThan(17 + 1);
    expect(res.outputs[0].data[18 + 1]).toBeCloseTo(0.001 * 27_778 * 9, 1);
  });
});

describe('convTranspose2d columns in bands', () => {
  const plan: ConvTransposePlan = { n: 2, cin: 4, cout: 6, groups: 2, geo: [axis(5, 3, 2, 1, 1, 9), axis(4, 2, 1, 0, 2, 6)] };
  const x = random(2 * 4 * 20, 4);
  const w = random(4 * 3 * 3 * 2, 5);
  const b = random(6, 6);

  it.each([1, 20, 47, 1e9])('a scratch of %d floats (bands of 1, 1, 2 and all 18 rows of 20 positions) gives the one-piece result', (scratch) => {
    expect(maxDiff(convTransposeForward(x, w, b, plan, scratch), convTransposeForward(x, w, b, plan, 1e9))).toBeLessThan(1e-5);
  });

  it('1 → 1, kernel 180×180 over 64×64 (530 MB of columns at once): array buffers grow by < 40 MB; Σy = Σx·Σw', () => {
    const xs = random(64 * 64, 7);
    const ws = random(180 * 180, 8);
    const before = process.memoryUsage().arrayBuffers;
    const res = runOperator({ name: 'convTranspose2d', inputs: [tensor([1, 1, 64, 64], xs)], attributes: { bias: false }, weights: { weight: tensor([1, 1, 180, 180], ws) }, training: false, seed: 0, maxElements: 1 << 26 });
    expect((process.memoryUsage().arrayBuffers - before) / MB).toBeLessThan(40);
    const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
    expect(res.outputs[0].shape).toEqual([1, 1, 243, 243]);
    expect(sum(res.outputs[0].data)).toBeCloseTo(sum(xs) * sum(ws), 0);
  });
});

describe('deformConv2d sampled columns in bands', () => {
  // x [2, 4, 5, 6], 3×3 kernel, stride 1, pad 1 → 5×6 outputs (30 positions), groups 2, 2 offset groups, with a mask
  const plan: DeformConvPlan = { n: 2, cin: 4, cout: 6, groups: 2, geo: [axis(5, 3, 1, 1, 1, 5), axis(6, 3, 1, 1, 1, 6)], offsetGroups: 2, masked: true };
  const x = random(2 * 4 * 30, 9);
  const offset = random(2 * 2 * 2 * 9 * 30, 10).map((v) => v * 1.5);
  const mask = random(2 * 2 * 9 * 30, 11);
  const w = random(6 * 2 * 9, 12);
  const b = random(6, 13);

  it.each([1, 36 * 7, 36 * 29, 1e9])('a scratch of %d floats (bands of 1, 7, 29 and all 30 positions) gives the one-piece result', (scratch) => {
    expect(maxDiff(deformForward(x, offset, mask, w, b, plan, scratch), deformForward(x, offset, mask, w, b, plan, 1e9))).toBeLessThan(1e-5);
  });

  it('256 → 8, 5×5 over 64×64 (105 MB of columns at once): array buffers grow by < 40 MB', () => {
    const xs = tensor([1, 256, 64, 64], random(256 * 4096, 14));
    const off = tensor([1, 50, 64, 64], new Float32Array(50 * 4096).fill(0.25));
    const before = process.memoryUsage().arrayBuffers;
    const res = runOperator({ name: 'deformConv2d', inputs: [xs, off], attributes: { outChannels: 8, kernelSize: 5, padding: 2 }, weights: {}, training: false, seed: 0, maxElements: 1 << 26 });
    expect((process.memoryUsage().arrayBuffers - before) / MB).toBeLessThan(40);
    expect(res.outputs[0].shape).toEqual([1, 8, 64, 64]);
  });
});
