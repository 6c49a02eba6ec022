/**
 * computeBand over an arena region a previous job left full of values: the GEMM paths store every
 * output of their band (ops/conv.ts convRowsOverwrites), so the band is not cleared first; the
 * depthwise kernels add into the output, so theirs is. Either way the bits of convRows into zeros.
 * And the clock the leader and its partners time a partner's start by (wallMicros).
 */
import { describe, expect, it } from 'vitest';
import { convRows, convRowsOverwrites } from '../../src/ops/conv.js';
import type { ConvPlan } from '../../src/ops/conv.js';
import { gemmTiles } from '../../src/ops/gemm-tiles.js';
import { stageConv } from '../../src/ops/conv-im2col.js';
import { packA } from '../../src/tensor/gemm.js';
import { MODE_CHANNELS, MODE_ROWS, NO_START, computeBand, startLagMs, wallMicros } from '../../src/runtime/team-protocol.js';
import { rng } from '../../src/tensor/random.js';

const axis = (n: number, k: number, pad: number) => ({ in: n, kernel: k, stride: 1, dilation: 1, effKernel: k, padBegin: pad, padEnd: pad, out: n + 2 * pad - k + 1 });
const plan = (cin: number, cout: number, groups: number, H: number, W: number, k: number): ConvPlan => ({ n: 1, cin, cout, groups, geo: [axis(H, k, (k - 1) >> 1), axis(W, k, (k - 1) >> 1)] });
const bitsOf = (a: Float32Array) => [...new Uint32Array(a.slice().buffer)];

const cases: [string, ConvPlan, number, number][] = [
  // name, plan, mode, bands
  ['3×3 8→16 at 10×12 (staged im2col GEMM), rows in 3 bands', plan(8, 16, 1, 10, 12, 3), MODE_ROWS, 3],
  ['3×3 8→16 at 10×12, channels in 2 bands of 8', plan(8, 16, 1, 10, 12, 3), MODE_CHANNELS, 2],
  ['1×1 6→8 at 2×3 (pointwise, a plane under 8 positions: the plain GEMM), rows in 2 bands', plan(6, 8, 1, 2, 3, 1), MODE_ROWS, 2],
  ['1×1 16→24 at 8×8 (pointwise, packed: every ResNet-50 1×1), rows in 2 bands', plan(16, 24, 1, 8, 8, 1), MODE_ROWS, 2],
  ['1×1 16→24 at 8×8, channels in 2 bands of 12', plan(16, 24, 1, 8, 8, 1), MODE_CHANNELS, 2],
  ['3×3 64→4 at 258×258 (an input too large to stage: the im2col from JavaScript panels), rows in 2 bands', plan(64, 4, 1, 258, 258, 3), MODE_ROWS, 2],
  ['3×3 2048→4 at 3×3 (K = 18,432: a depth-tiled GEMM, its first tile stores), rows in 3 bands', plan(2048, 4, 1, 3, 3, 3), MODE_ROWS, 3],
  ['grouped 3×3 8→8 in 4 groups of 2 channels, rows in 2 bands', plan(8, 8, 4, 6, 7, 3), MODE_ROWS, 2],
  ['depthwise 3×3 8→8 (groups 8: the SIMD kernel), rows in 2 bands', plan(8, 8, 8, 6, 7, 3), MODE_ROWS, 2],
  ['depthwise 3×3 stride 3 8→8 at 9×9 (the scalar loop, which adds its taps into the output), rows in 3 bands', strided(plan(8, 8, 8, 9, 9, 3), 3), MODE_ROWS, 3],
];

function strided(p: ConvPlan, s: number): ConvPlan {
  return { ...p, geo: p.geo.map((g) => ({ ...g, stride: s, out: Math.floor((g.in + g.padBegin + g.padEnd - g.effKernel) / s) + 1 })) as ConvPlan['geo'] };
}

describe('computeBand into a region left full of NaN by another job (out is never cleared before a band)', () => {
  for (const [name, p, mode, bands] of cases) {
    it(name, () => {
      const r = rng(5);
      const rand = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);
      const [OH, OW] = [p.geo[0].out, p.geo[1].out];
      const K = (p.cin / p.groups) * p.geo[0].kernel * p.geo[1].kernel;
      const x = rand(p.cin * p.geo[0].in * p.geo[1].in);
      const w = rand(p.cout * K);
      const b = rand(p.cout);
      const want = new Float32Array(p.cout * OH * OW);
      convRows(x, w, b, p, 0, OH, want);
      const out = new Float32Array(want.length).fill(NaN);
      const units = mode === MODE_ROWS ? OH : p.cout;
      for (let i = 0; i < bands; i++) computeBand(mode, p, x, w, b, out, Math.round((i * units) / bands), Math.round(((i + 1) * units) / bands));
      expect(bitsOf(out)).toEqual(bitsOf(want));
    });
  }

  it('the paths are taken: the 258×258 conv is not staged, the 18,432-deep one is tiled; convRowsOverwrites is false for the depthwise convs only', () => {
    const big = cases[5][1];
    expect(stageConv(64, big.geo, packA(4, 576, new Float32Array(4 * 576), 0, 576))).toBeNull();
    expect(gemmTiles(4, 18432).kc).toBeLessThan(18432);
    expect(cases.map(([, p]) => convRowsOverwrites(p))).toEqual([true, true, true, true, true, true, true, true, false, false]);
  });
});

describe('wallMicros and startLagMs: the wall clock in µs as an int32, differences right across the wrap', () => {
  it('an int32; two readings at least 5 ms apart differ by the time between them (performance.now), to a few µs', async () => {
    const t0 = performance.now();
    const a = wallMicros();
    const t = performance.now();
    expect(a).toBe(a | 0);
    while (performance.now() - t < 5);
    const d = (wallMicros() - a) | 0;
    const t1 = performance.now();
    // a lies between t0 and t, the second reading 5 ms after t and before t1, whatever the
    // scheduler did meanwhile (each reading rounded to the µs)
    expect(d).toBeGreaterThanOrEqual(5000 - 1);
    expect(d).toBeLessThanOrEqual((t1 - t0) * 1000 + 1);
  });

  it('startLagMs: a start 10 µs after an open just below 2^31 (wrapped to just above −2^31) is 0.01 ms; 2.5 ms after an open of 0, 2.5; 3 µs before, 0; NO_START, null', () => {
    const open = 0x7fffffff - 4;
    const start = (open + 10) | 0;
    expect(start).toBe(-0x80000000 + 5);
    expect(startLagMs(start, open)).toBeCloseTo(0.01, 12);
    expect(startLagMs(2500, 0)).toBe(2.5);
    expect(startLagMs(-3, 0)).toBe(0);
    expect(startLagMs(NO_START, 1234)).toBeNull();
  });
});
