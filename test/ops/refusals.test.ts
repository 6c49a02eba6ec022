import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG } from '../../src/errors.js';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';
import type { GoldenCase, Wire } from './golden-cases.js';

/** A call as a golden case gives it, without outputs: PyTorch raised instead. */
interface Refusal extends Omit<GoldenCase, 'outputs' | 'file'> {
  /** PyTorch's message (first line) when it raises on the call. */
  torchError: string;
  code: keyof typeof ERROR_CATALOG;
  /** The request path convlens names (`$`: the call as a whole, a fault found as the kernel runs). */
  path: string;
}

// scripts/goldens_refusals.py: calls PyTorch 1.13 raises on (its accepted neighbours are golden cases in the same file)
const { refusals } = JSON.parse(readFileSync(new URL('../fixtures/operators/refusals.json', import.meta.url), 'utf8')) as { refusals: Refusal[] };
const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));

describe('where PyTorch refuses an operator call, convlens answers a catalog 4xx with the field and the input shape, never numbers', () => {
  it('the fixture holds the refusals the differential run found (avgPool3d, groupNorm, instanceNorm2d and 1d, pad wrap)', () => {
    expect(new Set(refusals.map((r) => r.op))).toEqual(new Set(['avgPool3d', 'groupNorm', 'instanceNorm2d', 'instanceNorm1d', 'pad']));
  });

  it.each(refusals.map((r) => [`${r.name} → ${r.code} at ${r.path} (PyTorch: ${r.torchError})`, r] as const))('%s', (_, r) => {
    const e = errorOf(() =>
      runOperator({
        name: r.op,
        inputs: r.inputs.map(t),
        attributes: r.attributes,
        weights: Object.fromEntries(Object.entries(r.weights).map(([k, w]) => [k, t(w)])),
        training: r.training,
        seed: 0,
        maxElements: 1 << 24,
      }),
    );
    expect(e.code).toBe(r.code);
    expect(e.status).toBeGreaterThanOrEqual(400);
    expect(e.status).toBeLessThan(500);
    expect(e.details.path).toBe(r.path);
    expect(Object.values(e.details.shapes ?? {})).toContainEqual(r.inputs[0].shape);
  });
});
