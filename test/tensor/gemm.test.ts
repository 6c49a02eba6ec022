import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { committedIsAssembled } from '../wasm-assembly.js';
import { assemble, relaxedText } from '../../scripts/build-wasm.js';
import { GEMM_FMA, blockColumns, gemm, gemmPacked, packA } from '../../src/tensor/gemm.js';
import { rng } from '../../src/tensor/random.js';

describe('GEMM', () => {
  it('the committed wasm/gemm.wasm is what wabt assembles from wasm/gemm.wat (npm run wasm)', async () => {
    expect(await committedIsAssembled('gemm')).toBe(true);
  });

  it('the committed wasm/gemm-relaxed.wasm is the relaxed-SIMD assembly of the same wasm/gemm.wat, its 13 multiply-adds fused (8 in block, 5 in gemv)', async () => {
    const wat = fileURLToPath(new URL('../../wasm/gemm.wat', import.meta.url));
    const committed = new Uint8Array(readFileSync(wat.replace(/\.wat$/, '-relaxed.wasm')));
    expect(Buffer.from(await assemble(wat, 'relaxed')).equals(Buffer.from(committed))).toBe(true);
    const code = relaxedText(readFileSync(wat, 'utf8')).replace(/;;.*$/gm, '');
    expect(code.match(/f32x4\.relaxed_madd/g)).toHaveLength(13);
    expect(code).not.toMatch(/f32x4\.mul/);
  });

  it('the relaxed build runs exactly where the engine validates it (Node 20: not by default)', () => {
    const relaxed = readFileSync(fileURLToPath(new URL('../../wasm/gemm-relaxed.wasm', import.meta.url)));
    expect(GEMM_FMA).toBe(WebAssembly.validate(relaxed));
  });

  it('with relaxed SIMD on (Node 20: --experimental-wasm-relaxed-simd) the FMA kernel runs and still equals the triple loop (M=64 N=520 K=70)', () => {
    const gemmUrl = new URL('../../src/tensor/gemm.ts', import.meta.url).href;
    const script = `
      const { GEMM_FMA, gemm } = await import(${JSON.stringify(gemmUrl)});
      const [M, N, K] = [64, 520, 70];
      let seed = 1;
      const r = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
      const A = Float32Array.from({ length: M * K }, r), B = Float32Array.from({ length: K * N }, r);
      const C = new Float32Array(M * N);
      gemm(M, N, K, A, 0, K, B, 0, N, C, 0, N, false);
      let err = 0;
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
        err = Math.max(err, Math.abs(C[i * N + j] - s));
      }
      console.log(JSON.stringify({ fma: GEMM_FMA, err }));`;
    // where relaxed SIMD already ships (newer Node) the flag is not needed, and may no longer exist
    const flags = GEMM_FMA ? [] : ['--experimental-wasm-relaxed-simd'];
    const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const { fma, err } = JSON.parse(out.trim().split('\n').pop()!);
    expect(fma).toBe(true);
    expect(err).toBeLessThan(1e-5);
  });

  it.each([
    [1, 1, 1],
    [3, 5, 7],
    [4, 8, 2],
    [5, 9, 3],
    [6, 257, 13],
    [13, 300, 1],
    [64, 520, 70],
    // 100 rows: a 2,560-column output area, so 2,600 columns take two areas, the second with 40 (tensor/gemm.ts outColumns)
    [100, 2600, 3],
  ])('M=%i N=%i K=%i, accumulating into C, equals the triple loop in double precision', (M, N, K) => {
    const r = rng(M * 1000 + N * 10 + K);
    const A = Float32Array.from({ length: M * K }, () => r() - 0.5);
    const B = Float32Array.from({ length: K * N }, () => r() - 0.5);
    const C = new Float32Array(M * N).fill(1);
    gemm(M, N, K, A, 0, K, B, 0, N, C, 0, N, true);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 1;
        for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
        expect(Math.abs(C[i * N + j] - s)).toBeLessThan(1e-5);
      }
    }
  });

  it('blocks of B stay within 1 MiB of L2: 256 columns up to K = 1,024, 224 at K = 1,152 (3×3×128), 112 at 2,304, 56 at 4,608 (3×3×512), never fewer than 8', () => {
    expect([512, 1024, 1152, 2304, 4608, 1 << 20].map(blockColumns)).toEqual([256, 256, 224, 112, 56, 8]);
  });

  it('M=12 N=130 K=4,608 (blocks of 56 columns: 56, 56 and 18) gives the bits of the kernel\'s own order, the bias then each product rounded and added in float32', () => {
    const [M, N, K] = [12, 130, 4608];
    const r = rng(77);
    const A = Float32Array.from({ length: M * K }, () => r() - 0.5);
    const B = Float32Array.from({ length: K * N }, () => r() - 0.5);
    const bias = Float32Array.from({ length: M }, () => r() - 0.5);
    const C = new Float32Array(M * N);
    gemmPacked(N, packA(M, K, A, 0, K), (col, width, panels) => {
      for (let k = 0; k < K; k++) for (let j = 0; j < width; j++) panels[(j >> 3) * K * 8 + k * 8 + (j & 7)] = B[k * N + col + j];
    }, C, 0, N, false, bias);
    const f = Math.fround;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = bias[i];
        for (let k = 0; k < K; k++) s = f(s + f(A[i * K + k] * B[k * N + j]));
        // with relaxed SIMD's FMA (not Node 20's default) each step rounds once: close, not the same bits
        if (GEMM_FMA) expect(Math.abs(C[i * N + j] - s)).toBeLessThan(1e-4);
        else expect(C[i * N + j]).toBe(s);
      }
    }
  });

  it('offsets and leading dimensions: a 2×3 block inside larger matrices', () => {
    // A = [[1, 2], [3, 4]] at offset 1 with lda 3; B = [[1, 0, 2], [0, 1, 3]] at offset 2 with ldb 4
    const A = Float32Array.from([9, 1, 2, 9, 3, 4]);
    const B = Float32Array.from([9, 9, 1, 0, 2, 9, 0, 1, 3, 9]);
    const C = new Float32Array(2 * 5);
    gemm(2, 3, 2, A, 1, 3, B, 2, 4, C, 1, 5, false);
    // [[1, 2, 8], [3, 4, 18]] written at columns 1..3 of rows of 5
    expect(Array.from(C)).toEqual([0, 1, 2, 8, 0, 0, 3, 4, 18, 0]);
  });
});
