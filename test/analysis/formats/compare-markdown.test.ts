import { describe, expect, it } from 'vitest';
import { compareReports, evaluateGates, parseGates } from '../../../src/analysis/compare.js';
import type { Report } from '../../../src/analysis/report.js';
import { comparisonMarkdown } from '../../../src/analysis/formats/compare-markdown.js';
import { resnet18, resnet34 } from '../../../src/zoo/resnet.js';
import { analyzeGraph } from '../../../src/analysis/analyze.js';
import { inferGraph } from '../../../src/analysis/infer.js';
import { analyzeMemory } from '../../../src/analysis/memory.js';
import { parseNetworkSpec } from '../../../src/graph/network.js';
import { analyze, DEFAULTS } from '../../helpers.js';

const r18 = analyze(resnet18());
const r34 = analyze(resnet34());
const lines = (md: string) => md.split('\n');

describe('comparisonMarkdown: ResNet-18 → ResNet-34', () => {
  const cmp = compareReports(r18, r34);
  const gates = evaluateGates(cmp, parseGates({ params: '0', macs: '5%', layers: '100%' }));
  const md = comparisonMarkdown(cmp, gates, { listLimit: 3 });

  it('title, then the gate verdict with one line per gate', () => {
    expect(lines(md)[0]).toBe('## convlens: `resnet18` → `resnet34`');
    expect(md).toContain('❌ **2 of 3 gates failed.**');
    expect(lines(md)).toContain('- ❌ `--max-params-increase 0`: params 11,689,512 → 21,797,672 (+10,108,160, +86.47%): over the limit');
    expect(lines(md)).toContain('- ❌ `--max-macs-increase 5%`: MACs 1,814,073,344 → 3,663,761,408 (+1,849,688,064, +101.96%): over the limit');
    expect(lines(md)).toContain('- ✅ `--max-layers-increase 100%`: layers 69 → 125 (+56, +81.16%): within the limit');
    expect(md.indexOf('gates failed')).toBeLessThan(md.indexOf('| metric |'));
  });

  it('one model at two input sizes: the title names the shapes (both sides were `resnet18`); the sides carry their inputs', () => {
    const at160 = compareReports(r18, analyze(resnet18(160)));
    expect(at160.before.inputs).toEqual([{ name: 'input', shape: [1, 3, 224, 224] }]);
    expect(at160.after.inputs).toEqual([{ name: 'input', shape: [1, 3, 160, 160] }]);
    expect(lines(comparisonMarkdown(at160))[0]).toBe('## convlens: `resnet18` at [1, 3, 224, 224] → `resnet18` at [1, 3, 160, 160]');
  });

  it('the summary table: exact values, arrows and percentages', () => {
    expect(lines(md)).toContain('| metric | before | after | Δ | Δ % |');
    expect(lines(md)).toContain('| params | 11,689,512 | 21,797,672 | ▲ +10,108,160 | +86.47% |');
    expect(lines(md)).toContain('| MACs | 1,814,073,344 | 3,663,761,408 | ▲ +1,849,688,064 | +101.96% |');
    expect(lines(md)).toContain('| depth | 18 | 34 | ▲ +16 | +88.89% |');
    expect(lines(md)).toContain('| layers | 69 | 125 | ▲ +56 | +81.16% |');
  });

  it('the layer counts, and the added layers folded with their sums (no removed section, no changed table)', () => {
    expect(md).toContain('69 layers matched (69 by name, 0 by module path or position), 0 changed, 56 added, 0 removed.');
    expect(md).toContain('<details><summary>56 layers added (+10.11 M params, +1.850 G MACs)</summary>');
    expect(lines(md)).toContain('- `layer1.2.conv1` `conv2d` 1×64×56×56: 36.86 k params, 115.6 M MACs');
    expect(lines(md)).toContain('- … and 53 more');
    expect(md).not.toContain('layers removed');
    expect(md).not.toContain('### Changed layers');
  });

  // found by a hunt: "1 layers added"
  it('one layer added: "1 layer added (0 params, 0 MACs)", singular', () => {
    const net = (extra: boolean) => analyze({ name: 't', inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'a', op: 'relu' }, ...(extra ? [{ name: 'b', op: 'relu' }] : [])] });
    expect(comparisonMarkdown(compareReports(net(false), net(true)))).toContain('<details><summary>1 layer added (0 params, 0 MACs)</summary>');
  });

  it('the other way round: ▼ and − everywhere, removed layers, all gates passed', () => {
    const back = compareReports(r34, r18);
    const text = comparisonMarkdown(back, evaluateGates(back, parseGates({ params: '0' })));
    expect(text).toContain('✅ **The gate passed.**');
    expect(lines(text)).toContain('| params | 21,797,672 | 11,689,512 | ▼ −10,108,160 | −46.37% |');
    expect(text).toContain('<details><summary>56 layers removed (−10.11 M params, −1.850 G MACs)</summary>');
  });

  // the verdict's forms: "The gate passed.", "All 3 gates passed.", "The gate failed", "2 of 3 gates
  // failed", "1 could not be checked"; /gates (passed|failed)/ alone missed the one-gate ones
  it('no gates given, or a verdict of none: no verdict; the summary table follows the title', () => {
    for (const md0 of [comparisonMarkdown(cmp), comparisonMarkdown(cmp, evaluateGates(cmp, parseGates({})))]) {
      expect(md0).not.toMatch(/gates? (passed|failed)|could not be checked/);
      expect(lines(md0).slice(0, 3)).toEqual(['## convlens: `resnet18` → `resnet34`', '', '| metric | before | after | Δ | Δ % |']);
    }
  });
});

describe('comparisonMarkdown: changed and renamed layers, warnings', () => {
  it('a renamed, resized classifier appears in the changed-layers table as fc → classifier', () => {
    const spec = JSON.parse(JSON.stringify(resnet18()).replaceAll('"fc"', '"classifier"'));
    spec.layers.find((l: { name: string }) => l.name === 'classifier').outFeatures = 10;
    const md = comparisonMarkdown(compareReports(r18, analyze(spec)));
    expect(md).toContain('### Changed layers');
    // params 5,130 − 513,000; MACs 5,120 − 512,000; bytes 4·(512 + 10 + 5,130) − 4·(512 + 1000 + 513,000) = −2,035,440
    expect(lines(md)).toContain('| `fc` → `classifier` | `linear` | 1×1000 → 1×10 | −507.9 k | −506.9 k | −2.035 M | position |');
    expect(md).toContain('69 layers matched (68 by name, 1 by module path or position), 1 changed, 0 added, 0 removed.');
  });

  it('an incomplete analysis and different conventions are called out', () => {
    const partial: Report = { ...r34, totals: { ...r34.totals, complete: false } };
    const cmp = compareReports(r18, { ...partial, conventions: { ...partial.conventions, dtype: 'float16' } });
    const md = comparisonMarkdown(cmp, evaluateGates(cmp, parseGates({ macs: '5%' })));
    expect(md).toContain('> [!WARNING]\n> An analysis is incomplete');
    expect(md).toContain('(dtype: float32 → float16)');
    expect(md).toContain('⚠️ **1 could not be checked.**');
    expect(md).toContain('cannot be checked: an analysis is incomplete');
  });

  it('latency and peak memory rows when both sides have them', () => {
    const cmp = compareReports(r18, r34, { before: { latencySeconds: 0.0012, peakMemoryBytes: 1e6 }, after: { latencySeconds: 0.0025, peakMemoryBytes: 1e6 } });
    const md = comparisonMarkdown(cmp);
    expect(lines(md)).toContain('| latency (s) | 1.2 ms | 2.5 ms | ▲ +1.3 ms | +108.33% |');
    expect(lines(md)).toContain('| peak activations (bytes) | 1,000,000 | 1,000,000 | = 0 | 0% |');
  });

  it('the peak compared is of activations alone, and named so: ResNet-18 → ResNet-34 both peak at 7,024,640 B while their weights go 46,796,608 → 87,259,072 B, as PyTorch holds parameters and buffers', () => {
    // by hand: at bn1, conv1's and bn1's outputs (64·112·112·4 = 3,211,264 B each) and the input (3·224·224·4 = 602,112 B);
    // weights (params + buffers) × 4: (11,689,512 + 9,600)·4 and (21,797,672 + 17,024)·4, and 8 B for each batch norm's
    // num_batches_tracked (20 and 36; it was left out: 46,796,448 → 87,258,784). The row said "peak memory (bytes) … = 0".
    const peakOf = (m: typeof resnet18) => {
      const graph = parseNetworkSpec(m());
      const inference = inferGraph(graph);
      return analyzeMemory(graph, inference, analyzeGraph(graph, DEFAULTS, inference));
    };
    const [a, b] = [peakOf(resnet18), peakOf(resnet34)];
    expect([a.peak.bytes, b.peak.bytes]).toEqual([2 * 3_211_264 + 602_112, 7_024_640]);
    expect([a.weights.bytes, b.weights.bytes]).toEqual([(11_689_512 + 9_600) * 4 + 20 * 8, (21_797_672 + 17_024) * 4 + 36 * 8]);
    const md = comparisonMarkdown(compareReports(r18, r34, { before: { peakMemoryBytes: a.peak.bytes }, after: { peakMemoryBytes: b.peak.bytes } }));
    expect(lines(md)).toContain('| peak activations (bytes) | 7,024,640 | 7,024,640 | = 0 | 0% |');
    expect(md).not.toContain('peak memory');
    const gate = evaluateGates(compareReports(r18, r34, { before: { peakMemoryBytes: a.peak.bytes }, after: { peakMemoryBytes: b.peak.bytes } }), parseGates({ peakMemoryBytes: '0' }));
    expect(gate.results[0].message).toBe('peak activations (bytes) 7,024,640 → 7,024,640 (0, 0.00%) within --max-peak-memory-increase 0');
  });
});
