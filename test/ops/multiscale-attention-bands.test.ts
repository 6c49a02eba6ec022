/**
 * multiscaleAttention's scores a band of rows at a time (ops/multiscale-attention-kernels.ts
 * SCORE_BAND): the golden cases' tokens are few, so at the default band each head is one band; here
 * the same PyTorch goldens (test/fixtures/operators/mvit.json, test/fixtures/vjp/mvit.json) are run
 * with bands of 1, 2, 3 and 7 rows, where a band's relPos rows, softmax rows, ∂q rows and the sums
 * of ∂kᵀ and ∂vᵀ over the bands must line up with the whole.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { multiscaleAttention, multiscaleForward } from '../../src/ops/multiscale-attention.js';
import type { MultiscaleAttentionAttrs, MultiscaleAttentionPlan } from '../../src/ops/multiscale-attention.js';
import { SCORE_BAND, bandRows, prod } from '../../src/ops/multiscale-attention-kernels.js';
import { multiscaleAttentionVjp } from '../../src/ops/multiscale-attention-vjp.js';
import { checkOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { scaledError } from '../helpers.js';
import type { GoldenCase, Wire } from './golden-cases.js';
import { VJP_CASES } from './vjp-cases.js';

const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));
const { cases: all } = JSON.parse(readFileSync(new URL('../fixtures/operators/mvit.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };
const forwardCases = all.filter((c) => c.op === 'multiscaleAttention');
const vjpCases = VJP_CASES.filter((c) => c.op === 'multiscaleAttention');

/** The op's checked plan, attributes and weights for a golden's call. */
function prepared(c: { attributes: Record<string, unknown>; inputs: Wire[]; weights: Record<string, Wire> }) {
  const inputs = c.inputs.map(t);
  const weights = Object.fromEntries(Object.entries(c.weights).map(([k, w]) => [k, t(w)]));
  const { attrs, plan, weights: w } = checkOperator({ name: 'multiscaleAttention', inputs, attributes: c.attributes, weights, training: false, seed: 0, maxElements: 1 << 24 });
  const p = plan as MultiscaleAttentionPlan;
  return { inputs, attrs: attrs as MultiscaleAttentionAttrs, p, w, lk: 1 + prod(p.kThw), lq: 1 + prod(p.qThw) };
}

const BANDS = [1, 2, 3, 7];

describe('multiscaleAttention in bands of query rows', () => {
  it('bandRows: ⌊band / Lk⌋ rows, at least 1, at most Lq (mvit_v2_s block 0: Lk 393, 166 rows of the 256 KiB band)', () => {
    expect(SCORE_BAND).toBe(65_536);
    expect(bandRows(25_089, 393)).toBe(166);
    expect(bandRows(10, 393)).toBe(10);
    expect(bandRows(25_089, 100_000)).toBe(1);
    expect(bandRows(33, 9, 9 * 3 + 8)).toBe(3);
  });

  it.each(forwardCases.map((c) => [c.name, c] as const))('%s: bands of 1, 2, 3, 7 rows give the whole-band output bit for bit, within 1e-5 of PyTorch', (_, c) => {
    const { inputs, attrs, p, w, lk, lq } = prepared(c);
    const whole = multiscaleForward(inputs[0].data, p, attrs, w);
    expect(bandRows(lq, lk)).toBe(lq);
    expect(Array.from(multiscaleAttention.run({ attrs, plan: p, inputs, weights: w, outputs: [c.outputs[0].shape], training: false, seed: 0 })[0].data)).toEqual(Array.from(whole));
    for (const rows of BANDS) {
      const banded = multiscaleForward(inputs[0].data, p, attrs, w, rows * lk);
      expect(Array.from(banded), `${rows} rows a band`).toEqual(Array.from(whole));
    }
    expect(scaledError(whole, c.outputs[0].data)).toBeLessThanOrEqual(1e-5);
  });

  it.each(vjpCases.map((c) => [c.name, c] as const))('%s: the input gradient in bands of 1, 2, 3, 7 rows within 1e-5 of PyTorch autograd and 1e-6 of the whole band', (_, c) => {
    const { inputs, attrs, p, w, lk, lq } = prepared(c);
    const ctx = { attrs, plan: p, inputs, weights: w, outputs: [[p.n, lq, p.dim]], training: false, seed: 0, forward: [], gradOutputs: c.gradOutputs.map((g) => (g ? t(g) : null)) };
    const whole = multiscaleAttentionVjp(ctx)[0].data;
    for (const rows of BANDS) {
      const banded = multiscaleAttentionVjp(ctx, rows * lk)[0].data;
      expect(scaledError(banded, whole), `${rows} rows a band`).toBeLessThanOrEqual(1e-6);
      expect(scaledError(banded, c.gradInputs[0]!.data), `${rows} rows a band`).toBeLessThanOrEqual(1e-5);
    }
  });
});
