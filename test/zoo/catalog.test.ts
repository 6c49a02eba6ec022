/**
 * The torchvision catalog exported by torch.onnx.export (scripts/export_catalog.py: every
 * classification and segmentation builder of torchvision 0.14, opsets 13 and 17, weights stripped)
 * against PyTorch's own numbers: complete analysis, params, conv + linear + matmul MACs and output
 * shapes equal. The small files are committed in test/fixtures/catalog/; the others are read from
 * tmp/catalog/ when the script has been run here, and skipped (with their size) when not.
 *
 * KNOWN_GAPS is the one list of what does not pass yet, per model and opset, with the ONNX operators
 * the analyser lacks (or the quantity that differs). It is exact: a model that starts passing fails
 * its case until its entry is removed, so the table shrinks as operators land.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES, cases, locate, measure } from './catalog-gaps.js';

/**
 * `<model>@<opset>` → what differs from PyTorch (catalog-gaps.ts): the ONNX op types left unsupported
 * (sorted); when none, `params`, `macs` or `outputs` where a total differs; or `import: <code>`.
 * Regenerate with `npx tsx test/zoo/catalog-gaps.ts`.
 */
const KNOWN_GAPS: Record<string, string[]> = {
  // empty: every exported model passes. swin_t, swin_s and maxvit_t (exported without constant
  // folding, so each Linear is MatMul(x, Transpose(W)) and shared tensors Identity(W)) count their
  // weights read through transpose/reshape/identity since those ops declare foldsConstantOperands.
};

const runnable = cases.filter((c) => c.o?.file && locate(c.o.file));

describe('torchvision catalog as ONNX (scripts/export_catalog.py): complete, params, MACs and output shapes as PyTorch counts them', () => {
  it.each(runnable.map((c) => [`${c.name}@${c.opset}`, c] as const))('%s', (key, { t, o }) => {
    const found = measure(readFileSync(locate(o!.file!)!), t).gaps;
    expect({ key, gaps: found }).toEqual({ key, gaps: KNOWN_GAPS[key] ?? [] });
  });

  it('KNOWN_GAPS names only models and opsets that exist in the catalog', () => {
    const keys = new Set(cases.map((c) => c.key));
    expect(Object.keys(KNOWN_GAPS).filter((k) => !keys.has(k))).toEqual([]);
  });

  it('the committed fixtures are the ones the truth marks committed, and stay small (≤ 4 MB together)', () => {
    const committed = cases.filter((c) => c.o?.committed);
    expect(committed.length).toBeGreaterThan(0);
    for (const c of committed) expect(existsSync(new URL(c.o!.file!, FIXTURES))).toBe(true);
    expect(committed.reduce((s, c) => s + c.o!.bytes!, 0)).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  // what cannot be tested in this checkout, each with its reason
  for (const c of cases.filter((c) => !runnable.includes(c))) {
    const why = c.t.skipped ?? c.t.error ?? c.o?.error ?? `not committed (${Math.round((c.o?.bytes ?? 0) / 1024)} KB stripped): run scripts/export_catalog.py to test it here`;
    it.skip(`${c.name}@${c.opset}: ${why}`, () => {});
  }
});
