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
  // Exported without constant folding (scripts/export_catalog.py NO_FOLDING, so the relative-position
  // bias stays a Gather of its learned table): torch then writes each Linear as MatMul(x,
  // Transpose(W)) and shared tensors as Identity(W), and initializers reached through Transpose or
  // Identity are not counted as parameters yet (importer). Complete, MACs and outputs exact:
  //   maxvit_t 8,977,352 params for 30,919,624 (5,558,046,720 MACs, PyTorch's)
  //   swin_t     861,538 params for 28,288,354 (4,490,566,656 MACs, PyTorch's)
  //   swin_s     945,778 params for 49,606,258 (8,740,875,264 MACs, PyTorch's)
  'maxvit_t@13': ['params'],
  'maxvit_t@17': ['params'],
  'swin_t@13': ['params'],
  'swin_t@17': ['params'],
  'swin_s@13': ['params'],
  'swin_s@17': ['params'],
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
