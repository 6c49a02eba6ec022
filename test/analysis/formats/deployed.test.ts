import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../../src/analysis/analyze.js';
import { analyzeDeployed } from '../../../src/analysis/deployed.js';
import { DEPLOYED_GROUPS_SHOWN, deployedChart, deployedHtml, deployedMarkdown } from '../../../src/analysis/formats/deployed.js';
import { inferGraph } from '../../../src/analysis/infer.js';
import { parseNetworkSpec } from '../../../src/graph/network.js';
import { DEFAULTS } from '../../helpers.js';

function deployed(spec: unknown) {
  const graph = parseNetworkSpec(spec);
  const inference = inferGraph(graph);
  return analyzeDeployed(graph, inference, analyzeGraph(graph, DEFAULTS, inference));
}

// conv c (3→4, 3×3, no bias) → bn → relu on 1×3×8×8: 1596 → 560 elements (test/analysis/deployed.test.ts)
const small = {
  inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
  layers: [
    { name: 'c', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1, bias: false },
    { name: 'bn', op: 'batchNorm2d' },
    { name: 'relu', op: 'relu' },
    { name: 'bn2', op: 'batchNorm2d', trackRunningStats: false },
  ],
};

describe('deployed graph as Markdown and HTML', () => {
  const d = deployed(small);

  it('markdown: the totals trained → deployed with the change, the group, and the unfused layer with its reason', () => {
    const md = deployedMarkdown(d);
    expect(md).toContain('### Deployed graph (inference fusions)');
    expect(md).toContain(`memory access drops by **${(4144).toLocaleString('en-US')} bytes**`);
    expect(md).toMatch(/^\| params \| 124 \| 120 \| −4 \(−3\.23%\) \|$/m); // bn2 keeps its 8
    expect(md).toMatch(/^\| kernels \(executed layers\) \| 4 \| 2 \| −2 \(−50\.00%\) \|$/m);
    expect(md).toContain('| `c` → `bn` → `relu` | foldBatchNorm + activation |');
    expect(md).toContain('<details><summary>Not fused (1)</summary>');
    expect(md).toMatch(/\| `bn2` \| `batchNorm2d` \| it follows an activation/);
    // one group in the singular (it said "1 fused groups"), in the HTML and the chart's note too
    expect(md).toContain('**1** fused group;');
    expect(deployedHtml(d)).toContain('with 1 fused group; 4 layers run as 2 kernels.');
    expect(deployedChart(d).note).toContain('(1 fused group, 4 layers → 2 kernels)');
  });

  it('html: the same figures as cells; names escaped; the chart\'s bars in proportion', () => {
    const html = deployedHtml(deployed({ ...small, layers: [{ ...small.layers[0], name: '<c>' }, ...small.layers.slice(1)] }));
    expect(html).toContain('<code>&lt;c&gt;</code> → <code>bn</code> → <code>relu</code>');
    expect(html).not.toContain('<c>');
    expect(html).toContain('<h3>Not fused</h3>');
    const chart = deployedChart(d).svg;
    const widths = [...chart.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="30"/g)].map((m) => Number(m[1]));
    // trained (1596 + the unfused bn2's 2·256 + 0) elements: the kept part is the deployed total
    const t = d.trained.memoryAccess.bytes;
    const k = d.deployed.memoryAccess.bytes;
    expect(widths[0] / (widths[0] + widths[1])).toBeCloseTo(k / t, 3);
    expect(widths[2]).toBeCloseTo(widths[0], 2);
  });

  it(`more than ${DEPLOYED_GROUPS_SHOWN} groups: the ${DEPLOYED_GROUPS_SHOWN} saving the most are listed, and the summary says so`, () => {
    // 61 conv → relu pairs; conv k of width k + 1 channels, so the first saves the least
    const layers = Array.from({ length: DEPLOYED_GROUPS_SHOWN + 1 }, (_, k) => [
      { name: `c${k}`, op: 'conv2d', outChannels: k + 1, kernelSize: 1 },
      { name: `r${k}`, op: 'relu' },
    ]).flat();
    const many = deployed({ inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers });
    expect(many.groups).toHaveLength(DEPLOYED_GROUPS_SHOWN + 1);
    const md = deployedMarkdown(many);
    expect(md).toContain(`<details><summary>Fused groups (${DEPLOYED_GROUPS_SHOWN + 1}, the ${DEPLOYED_GROUPS_SHOWN} saving the most shown)</summary>`);
    expect(md).not.toContain('| `c0` → `r0` |');
    expect(md).toContain(`| \`c${DEPLOYED_GROUPS_SHOWN}\` → \`r${DEPLOYED_GROUPS_SHOWN}\` |`);
  });
});
