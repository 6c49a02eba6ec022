/**
 * The HTML report's ERF section (formats/erf-svg.ts erfSection over analysis/erf-report.ts): the
 * final map's centre unit with its heatmap and statistics, the growth along depth, or the reason
 * there is none.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportErf, reportErfSync } from '../../src/runtime/erf-report.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { reportHtml } from '../../src/analysis/formats/html.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { erfSection } from '../../src/analysis/formats/erf-svg.js';

const spec = (name: string) => JSON.parse(readFileSync(new URL(`../../examples/specs/${name}`, import.meta.url), 'utf8')) as unknown;

describe('the ERF section of the HTML report', () => {
  it('conv-then-pool (3×3 stride-2 conv, 2×2 stride-2 pool): the pool is the final map, its field 5×5; growth rows for the conv and the pool', async () => {
    const erf = await reportErf({ kind: 'spec', spec: spec('conv-then-pool.json') });
    if ('unavailable' in erf) throw new Error(erf.unavailable);
    expect(erf.layer).toBe('pool');
    expect(erf.stats.theoretical.size).toEqual([5, 5]);
    expect(erf.stats.support.insideTheoretical).toBe(true);
    expect(erf.stages.map((s) => [s.layer, s.stride])).toEqual([
      ['conv', [2, 2]],
      ['pool', [4, 4]],
    ]);
    const html = erfSection(erf);
    expect(html).toMatch(/^<section id="erf"><h2>Effective receptive field<\/h2><figure class="chart"><svg /);
    expect(html).toContain('mean |gradient| over 4 seeded random inputs');
    expect(html).toContain('<td>conv</td><td class="num">2×2</td><td class="num">3×3</td>');
  });

  it("a clip's network (conv3d k3 p1, then k3 stride 2 p1 over [1, 1, 8, 8, 8]): the map sums frames, rows for the frames b's centre sees and their shares, strides t×h×w", async () => {
    const video = {
      inputs: [{ name: 'x', shape: [1, 1, 8, 8, 8] }],
      layers: [
        { name: 'a', op: 'conv3d', outChannels: 2, kernelSize: 3, padding: 1 },
        { name: 'b', op: 'conv3d', outChannels: 2, kernelSize: 3, stride: 2, padding: 1 },
      ],
    };
    const erf = await reportErf({ kind: 'spec', spec: video });
    if ('unavailable' in erf) throw new Error(erf.unavailable);
    expect(erf.layer).toBe('b');
    // b's centre t = 2: T r 5, j 2, p 2 → frames 2…6
    expect(erf.temporal?.theoretical).toEqual({ global: false, size: 5, from: 2, to: 6 });
    const html = erfSection(erf);
    expect(html).toContain('summed over channels and frames');
    expect(html).toMatch(/<th scope="row">theoretical frames<\/th><td class="num">2…6 of 8 \(field 5 frames\)<\/td>/);
    expect(html).toMatch(/<th scope="row">share of \|gradient\| per frame<\/th><td class="num">0\.000 0\.000 (0\.\d{3} ){5}0\.000<\/td>/);
    expect(html).toContain('<td>b</td><td class="num">2×2×2</td><td class="num">5×5</td>');
  });

  it('a network without a spatial map says why there is no section content', async () => {
    const erf = await reportErf({ kind: 'spec', spec: { inputs: [{ name: 'x', shape: [1, 8] }], layers: [{ name: 'fc', op: 'linear', outFeatures: 2 }] } });
    expect(erf).toEqual({ unavailable: expect.stringContaining('INVALID_OPTION') });
    expect(erfSection(erf)).toContain('<p class="small">Not computed: INVALID_OPTION');
  });

  it('the synchronous form (the CLI) gives the same numbers, and reportHtml puts the section after the receptive-field chart', async () => {
    const source = { kind: 'spec' as const, spec: spec('three-3x3-convs.json') };
    const erf = reportErfSync(source);
    expect(erf).toEqual(await reportErf(source));
    const graph = parseNetworkSpec(spec('three-3x3-convs.json'));
    const report = analyzeGraph(graph, { dtype: 'float32', flops: '2macs', includeBias: false }, inferGraph(graph));
    const html = reportHtml({ report, erf });
    expect(html.indexOf('<section id="erf">')).toBeGreaterThan(html.indexOf('<section id="receptive-field">'));
    expect(reportHtml({ report })).not.toContain('id="erf"');
  });
});

describe('ERF through the learned-tensor ops (layerScale, classToken, positionEmbedding have VJPs)', () => {
  it('convnext_tiny at 32×32: the ERF of its final map is computed (layer scale on every block), not "unavailable"', () => {
    const r = reportErfSync({ kind: 'model', name: 'convnext_tiny', resolution: 32 });
    expect('unavailable' in r ? r.unavailable : null).toBeNull();
  });
});
