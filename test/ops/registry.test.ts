/**
 * The registry as a spec: every operator, iterated from the one list (no hand-typed op lists), has
 * a unique name, a runnable kernel, attribute defaults that fill in as its JSON Schema states, and
 * PyTorch goldens — or a named reason in EXEMPT saying where else its outputs are checked.
 */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { OPS, OPS_BY_NAME } from '../../src/ops/registry.js';
import { GOLDEN_CASES } from './golden-cases.js';

const cases = GOLDEN_CASES;

/** Operators without PyTorch goldens, and where their outputs are checked instead. */
const EXEMPT: Record<string, string> = {
  scaledDotProductAttention: 'F.scaled_dot_product_attention is torch ≥ 2.0 (the goldens are torch 1.13): onnxruntime-node 1.30 goldens of ONNX Attention (grouped-query 4-D, causal 3-D) and a hand-worked mean in test/graph/onnx-opset-later.test.ts',
  rotaryEmbedding: 'ONNX RotaryEmbedding (opset 23; torch has no such op, only transformers code): onnxruntime-node 1.30 goldens and hand-worked rotations in test/graph/onnx-opset-later.test.ts',
  resize: 'ONNX Resize semantics (PyTorch has no op for every mode): test/graph/onnx.test.ts',
  sigmoidLut: 'an approximation, not a PyTorch op: its max error against the exact sigmoid, test/runtime/operators.test.ts',
  dropout: 'random in training: statistics and identity at inference, test/runtime/operators.test.ts',
  squeeze: 'shape plumbing, folded at analysis: test/graph/onnx.test.ts',
  unsqueeze: 'shape plumbing, folded at analysis: test/graph/onnx.test.ts',
  shape: 'returns its input shape: folded at analysis, test/graph/onnx.test.ts',
  cast: 'values unchanged in float32: test/graph/onnx.test.ts',
  identity: 'returns its input: test/analysis/receptive-field.test.ts',
  constantOfShape: 'its input is the output shape, which analysis must know (a constant: runOperator makes input 0 a graph input): test/ops/sequence.test.ts',
  range: 'its inputs set the output size, which analysis must know (constants: runOperator makes input 0 a graph input): test/ops/sequence.test.ts against torch.arange values',
  loop: "an ONNX Loop kept whole (its body an imported sub-graph, which no JSON golden can hold): run to PyTorch's paste_masks_in_image in test/graph/onnx-control-flow.test.ts",
};

/** A golden case's attributes less every one that has a default: what is left must parse. */
function withoutDefaults(op: string, properties: Record<string, { default?: unknown }>): Record<string, unknown> {
  const golden = cases.find((c) => c.op === op)?.attributes ?? {};
  return Object.fromEntries(Object.entries(golden).filter(([k]) => !('default' in (properties[k] ?? {}))));
}

describe('the operator registry', () => {
  it('has unique names, and OPS_BY_NAME finds each one', () => {
    const names = OPS.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    for (const op of OPS) expect(OPS_BY_NAME.get(op.name)).toBe(op);
  });

  it.each(OPS.map((o) => [o.name, o] as const))('%s: inputs named, a kernel, a PyTorch equivalent and a summary', (_, op) => {
    expect(op.inputNames.length).toBeGreaterThan(0);
    expect(op.minInputs).toBeGreaterThanOrEqual(1);
    expect(op.minInputs).toBeLessThanOrEqual(op.inputNames.length);
    expect(typeof op.run).toBe('function');
    expect(op.pytorch).toMatch(/\S/);
    expect(op.summary.length).toBeGreaterThan(5);
  });

  it.each(OPS.map((o) => [o.name] as const))('%s: every default in its JSON Schema fills in when the attribute is left out', (name) => {
    const op = OPS_BY_NAME.get(name)!;
    const schema = z.toJSONSchema(op.attrs, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { default?: unknown }> };
    const minimal = withoutDefaults(name, schema.properties ?? {});
    const parsed = op.attrs.safeParse(minimal);
    expect(parsed.success, JSON.stringify(minimal)).toBe(true);
    const data = parsed.data as Record<string, unknown>;
    for (const [key, prop] of Object.entries(schema.properties ?? {})) {
      if ('default' in prop) expect(data[key], `${name}.${key}`).toEqual(prop.default);
    }
  });

  it('every operator has PyTorch goldens, or an exemption that says where it is checked', () => {
    const covered = new Set(cases.map((c) => c.op));
    const missing = OPS.map((o) => o.name).filter((n) => !covered.has(n) && !(n in EXEMPT));
    expect(missing).toEqual([]);
    // an exemption for an operator that has goldens (or no longer exists) is stale
    for (const name of Object.keys(EXEMPT)) {
      expect(OPS_BY_NAME.has(name), name).toBe(true);
      expect(covered.has(name), name).toBe(false);
    }
  });
});
