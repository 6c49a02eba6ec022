/**
 * multiHeadAttention scales q as torch 1.13's nn.MultiheadAttention (F.multi_head_attention_forward):
 * `q_scaled = q / math.sqrt(E)`, a float32 tensor over a Python float that PyTorch takes as float32,
 * so each value is fl(q / fl32(√d)); autograd divides ∂q the same way. At d = 48 and 80 the double
 * 1/√d times q (convlens's rule before) gives other bits for 40 of 192 and 62 of 320 of the fixture's
 * values; torch's inference fast path (eval, no grad, even heads) multiplies by fl32(1/fl32(√d)) and
 * differs for 77 and 11 (scripts/goldens_mha_q_scale.py → test/fixtures/attention/mha_q_scale.json).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attendBackward, attendHead, attentionWeights, backwardBuffers, forwardBuffers, mhaQDivisor } from '../../src/ops/attention-kernels.js';
import { multiHeadAttention } from '../../src/ops/attention.js';
import type { Wire } from './golden-cases.js';
import { inferOf } from './op-helpers.js';

interface Case {
  d: number;
  q: Wire;
  qScaled: Wire;
  g: Wire;
  gradQ: Wire;
  differ: { doubleReciprocal: number; fastPath: number };
}
const { cases } = JSON.parse(readFileSync(new URL('../fixtures/attention/mha_q_scale.json', import.meta.url), 'utf8')) as { cases: Case[] };
const T = 4;
/** The fixture's values as float32 (written as their shortest decimal). */
const f32 = (w: Wire) => Array.from(Float32Array.from(w.data));

/** One sequence of T tokens through one head of d = C (numHeads 1): the plan, q|k|v with q the fixture's and k zero but in its last row. */
function head(c: Case) {
  const d = c.d;
  const { plan } = inferOf(multiHeadAttention, [[1, T, d]], { numHeads: 1 });
  const f = forwardBuffers(plan, true);
  let seed = 5;
  const next = () => Math.fround(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 30) - 1);
  for (let p = 0; p < T; p++) {
    for (let e = 0; e < d; e++) {
      f.qkv[p * 3 * d + e] = c.q.data[p * d + e]; // rounded to float32 as stored
      f.qkv[p * 3 * d + d + e] = p === T - 1 ? next() : 0;
      f.qkv[p * 3 * d + 2 * d + e] = next();
    }
  }
  attendHead(f.qkv, 0, plan, f, f.att, 0);
  return { plan, f, next };
}

describe('multiHeadAttention divides q by the float32 √d, as torch 1.13 F.multi_head_attention_forward', () => {
  it.each(cases.map((c) => [c.d, c] as const))('d=%i: the scaled q equals torch q / math.sqrt(d) bit for bit (the double reciprocal would not)', (d, c) => {
    const { f } = head(c);
    const scaled = Array.from({ length: T * d }, (_, i) => f.qkv[Math.floor(i / d) * 3 * d + (i % d)]);
    expect(scaled).toEqual(f32(c.qScaled));
    // the rule before: q times the double 1/√d, rounded; and the fixture's own count of it
    const want = f32(c.qScaled);
    const before = f32(c.q).filter((q, i) => Math.fround(q * (1 / Math.sqrt(d))) !== want[i]).length;
    expect(before).toBe(c.differ.doubleReciprocal);
    expect(before).toBeGreaterThan(0);
  });

  it.each(cases.map((c) => [c.d, c] as const))("d=%i VJP: ∂q = fl(fl(gS·k) / fl32(√d)) (k zero but in its last row: one product an entry), the division torch autograd's (q.grad = g / √d, bit for bit)", (d, c) => {
    expect(Array.from(Float32Array.from(f32(c.g), (v) => v / mhaQDivisor(d)))).toEqual(f32(c.gradQ));
    const { plan, f, next } = head(c);
    const eye = (n: number, rows = n) => Float32Array.from({ length: rows * n }, (_, i) => (i % n === Math.floor(i / n) % n ? 1 : 0));
    const b = backwardBuffers(plan);
    const gOut = Float32Array.from({ length: T * d }, next);
    attendBackward(gOut, attentionWeights(eye(d, 3 * d), eye(d)), plan, f, b, new Float32Array(T * d));
    const want: number[] = [];
    const got: number[] = [];
    for (let p = 0; p < T; p++) {
      for (let e = 0; e < d; e++) {
        want.push(Math.fround(Math.fround(b.gP[p * T + T - 1] * f.qkv[(T - 1) * 3 * d + d + e]) / mhaQDivisor(d)));
        got.push(b.gQkv[p * 3 * d + e]);
      }
    }
    expect(got).toEqual(want);
    expect(want.some((v) => v !== 0)).toBe(true);
  });
});
