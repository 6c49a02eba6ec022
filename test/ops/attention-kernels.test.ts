/**
 * attendSequences (ops/attention-kernels.ts): the forward over every sequence of a layer with its
 * projections batched, one linear layer over a chunk's tokens each, gives the values of the
 * per-sequence forward (attend) bit for bit: across chunks, with scores added per sequence, and
 * with the projections handed to a TeamLinear (RunContext.teamLinear) or taken back when it
 * declines.
 */
import { describe, expect, it } from 'vitest';
import { CHUNK_TOKENS, attend, attendSequences, attentionWeights, forwardBuffers } from '../../src/ops/attention-kernels.js';
import type { SequenceTokens } from '../../src/ops/attention-kernels.js';
import { linearColumns } from '../../src/ops/linear.js';
import type { TeamLinear } from '../../src/ops/types.js';
import { rng } from '../../src/tensor/random.js';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';

const random = (n: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

/** S sequences of T tokens of C channels, one after another in x (row s·T + p is token p of sequence s). */
function layerOf(s: number, t: number, c: number, heads: number, bias = true) {
  const plan = { c, t, heads };
  const w = attentionWeights(random(3 * c * c, 2), random(c * c, 3), bias ? random(3 * c, 4) : undefined, bias ? random(c, 5) : undefined);
  return { plan, w, x: random(s * t * c, 1), s };
}

type Layer = ReturnType<typeof layerOf>;

/** The per-sequence forward: attend on each sequence's rows. */
function perSequence({ plan, w, x, s }: Layer, addScores?: (seq: number, head: number, scores: Float32Array) => void): Float32Array {
  const { c, t } = plan;
  const y = new Float32Array(x.length);
  const f = forwardBuffers(plan);
  const out = new Float32Array(t * c);
  for (let i = 0; i < s; i++) {
    attend(x.slice(i * t * c, (i + 1) * t * c), w, plan, f, out, addScores && ((hd, sc) => addScores(i, hd, sc)));
    y.set(out, i * t * c);
  }
  return y;
}

function batched({ plan, w, x, s }: Layer, teamLinear?: TeamLinear, addScores?: (seq: number, head: number, scores: Float32Array) => void): Float32Array {
  const { c, t } = plan;
  const y = new Float32Array(x.length).fill(Number.NaN);
  const io: SequenceTokens<number> = {
    each: () => Array.from({ length: s }, (_, i) => i),
    gather: (i, tok, row) => tok.set(x.subarray(i * t * c, (i + 1) * t * c), row * c),
    scatter: (i, out, row) => y.set(out.subarray(row * c, (row + t) * c), i * t * c),
    ...(addScores && { addScores }),
  };
  attendSequences(io, plan, w, teamLinear);
  return y;
}

const sameBits = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('attendSequences', () => {
  it.each([
    ['3 sequences of 10 tokens, C=8, 2 heads, biases', layerOf(3, 10, 8, 2)],
    ['1 sequence of 9 tokens, C=12, 3 heads, no biases', layerOf(1, 9, 12, 3, false)],
    ['5 sequences of 4 tokens (under 8 rows: attend projects them with gemv), C=4, 1 head', layerOf(5, 4, 4, 1)],
  ])('%s: the per-sequence forward\'s values', (_, l) => {
    const want = perSequence(l);
    const got = batched(l);
    if (l.plan.t >= 8) expect(sameBits(got, want)).toBe(true);
    else for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
  });

  it(`more tokens than CHUNK_TOKENS (${CHUNK_TOKENS}): ${Math.floor(CHUNK_TOKENS / 16) + 3} sequences of 16 tokens go in two chunks, every token where it belongs`, () => {
    const l = layerOf(Math.floor(CHUNK_TOKENS / 16) + 3, 16, 8, 2);
    const calls: number[] = [];
    const counting: TeamLinear = (_x, rows) => {
      calls.push(rows);
      return null;
    };
    expect(sameBits(batched(l, counting), perSequence(l))).toBe(true);
    // two projections per chunk: 256 sequences of 16 tokens, then the 3 left
    expect(calls).toEqual([CHUNK_TOKENS, CHUNK_TOKENS, 48, 48]);
  });

  it('scores added per sequence (Swin\'s bias and mask) reach that sequence\'s heads', () => {
    const l = layerOf(3, 12, 8, 2);
    // sequence i, head h: +0.5·(i + 1)·(h + 1) on the first token's scores
    const add = (i: number, hd: number, sc: Float32Array) => {
      for (let q = 0; q < l.plan.t; q++) sc[q] += 0.5 * (i + 1) * (hd + 1);
    };
    const want = perSequence(l, add);
    expect(sameBits(batched(l, undefined, add), want)).toBe(true);
    expect(sameBits(want, perSequence(l))).toBe(false);
  });

  it('hands both projections of a chunk to a TeamLinear ([S·T, C] → 3C, then → C) and uses what it returns; one that declines changes nothing', () => {
    const l = layerOf(4, 10, 8, 2);
    const seen: number[][] = [];
    const linear: TeamLinear = (x, rows, ci, w, bias, co) => {
      seen.push([rows, ci, co]);
      const y = new Float32Array(rows * co);
      linearColumns(x, rows, ci, w, bias, co, 0, co, y);
      return y;
    };
    const want = perSequence(l);
    expect(sameBits(batched(l, linear), want)).toBe(true);
    expect(seen).toEqual([
      [40, 8, 24],
      [40, 8, 8],
    ]);
    expect(sameBits(batched(l, () => null), want)).toBe(true);
    // what it returns is the projection: zeros for q|k|v (and declining the output projection) make
    // every head's output 0, so every token's output is the output bias alone
    const zeroQkv: TeamLinear = (_x, rows, _ci, _w, _b, co) => (co === 24 ? new Float32Array(rows * co) : null);
    const y = batched(l, zeroQkv);
    for (let p = 0; p < 40; p++) expect([...y.subarray(p * 8, p * 8 + 8)]).toEqual([...l.w.bOut!]);
  });
});

describe('the attention ops batched over chunks: every window where it belongs', () => {
  const op = (name: string, shape: number[], attributes: Record<string, unknown>, data: Float32Array) =>
    runOperator({ name, inputs: [tensor(shape, data)], attributes, weights: {}, training: false, seed: 11, maxElements: 1 << 24 }).outputs[0].data;

  it(`Swin's shifted windows (7×7, shift 3) on a 66×66 map padded to 70×70 (100 windows of 49: chunks of ${Math.floor(CHUNK_TOKENS / 49)}): a batch of two copies gives each the single map's bits, chunks cut elsewhere`, () => {
    const one = random(66 * 66 * 8, 12);
    const two = new Float32Array(2 * one.length);
    two.set(one);
    two.set(one, one.length);
    const attrs = { numHeads: 2, window: [7, 7], shift: [3, 3] };
    const single = op('shiftedWindowAttention', [1, 66, 66, 8], attrs, one);
    const batch = op('shiftedWindowAttention', [2, 66, 66, 8], attrs, two);
    // the single map's chunks are windows [0, 83) and [83, 100); the batch's [0, 83), [83, 166), [166, 200)
    expect(sameBits(batch.subarray(0, one.length), single)).toBe(true);
    expect(sameBits(batch.subarray(one.length), single)).toBe(true);
  });

  it('multiHeadAttention with window 4×4 on NCHW 1×8×72×72 (324 windows of 16, 256 a chunk) and two copies of it: the same bits for each', () => {
    const one = random(8 * 72 * 72, 13);
    const two = new Float32Array(2 * one.length);
    two.set(one);
    two.set(one, one.length);
    const single = op('multiHeadAttention', [1, 8, 72, 72], { numHeads: 2, window: 4 }, one);
    const batch = op('multiHeadAttention', [2, 8, 72, 72], { numHeads: 2, window: 4 }, two);
    expect(sameBits(batch.subarray(0, one.length), single)).toBe(true);
    expect(sameBits(batch.subarray(one.length), single)).toBe(true);
  });
});
