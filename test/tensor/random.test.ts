import { describe, expect, it } from 'vitest';
import { fillSymmetric, rng } from '../../src/tensor/random.js';

describe('rng (mulberry32)', () => {
  it('seed 42 draws 0.6011037519…, 0.4482905589…, 0.8524657934… (a Python transcription of mulberry32)', () => {
    const r = rng(42);
    expect([r(), r(), r()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });
});

describe('fillSymmetric', () => {
  it('seed 42, bound 1/8: (2u − 1)/8 of those draws, rounded to float32', () => {
    expect([...fillSymmetric(new Float32Array(3), 42, 0.125)]).toEqual([0.02527593821287155, -0.012927359901368618, 0.08811645209789276]);
  });

  it.each([
    [0, 1, 1],
    [7, 1000, 1 / Math.sqrt(27)],
    [0xdeadbeef, 4099, 0.5],
    [-5, 64, 3],
  ])('seed %i, %i floats, bound %f: the bits of the rng(seed) loop', (seed, n, bound) => {
    const r = rng(seed);
    const loop = new Float32Array(n);
    for (let i = 0; i < n; i++) loop[i] = (r() * 2 - 1) * bound;
    expect(fillSymmetric(new Float32Array(n), seed, bound)).toEqual(loop);
  });
});
