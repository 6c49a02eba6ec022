import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../../src/analysis/analyze.js';
import { resolveDevice } from '../../../src/analysis/devices.js';
import { MAX_BARS, layersChart, rooflineChart } from '../../../src/analysis/formats/html-charts.js';
import { plural, si } from '../../../src/analysis/formats/svg.js';
import { reportCsv } from '../../../src/analysis/csv.js';
import { documentPolicy, reportHtml } from '../../../src/analysis/formats/html.js';
import { analyzeDeployed } from '../../../src/analysis/deployed.js';
import { inferGraph } from '../../../src/analysis/infer.js';
import { analyzeMemory } from '../../../src/analysis/memory.js';
import { flattenModules, moduleSummary } from '../../../src/analysis/modules.js';
import { roofline } from '../../../src/analysis/roofline.js';
import { loadGraph } from '../../../src/graph/load.js';
import { parseNetworkSpec } from '../../../src/graph/network.js';
import { resnet18 } from '../../../src/zoo/resnet.js';
import { swin_t } from '../../../src/zoo/swin.js';
import { DEFAULTS, net } from '../../helpers.js';

/** Everything the HTML can show, for a spec. */
function full(spec: unknown, depth = 2) {
  const graph = parseNetworkSpec(spec);
  const inference = inferGraph(graph);
  const report = analyzeGraph(graph, DEFAULTS, inference);
  const memory = analyzeMemory(graph, inference, report);
  const rl = roofline(report, resolveDevice('a100-sxm4-40gb'));
  const modules = moduleSummary(report, { depth });
  const deployed = analyzeDeployed(graph, inference, report);
  const html = reportHtml({ report, memory, roofline: rl, modules, deployed }, { depth });
  return { report, memory, rl, modules, deployed, html };
}

const count = (html: string, s: string) => html.split(s).length - 1;
/** The markup of the first element `<tag …attr…>` up to its closing tag (no nesting of the same tag inside). */
function element(html: string, tag: string, attr: string): string {
  const start = html.indexOf(`<${tag} ${attr}`);
  if (start < 0) throw new Error(`no <${tag} ${attr}>`);
  return html.slice(start, html.indexOf(`</${tag}>`, start) + tag.length + 3);
}
/** The text of every `data-field="…"` cell of a fragment, in order. */
const fields = (fragment: string, field: string) => [...fragment.matchAll(new RegExp(`data-field="${field}">([^<]*)<`, 'g'))].map((m) => m[1]);
const unescape = (s: string) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
/** The tooltips of the rects of the `i`-th bar group (0: MACs, 1: params) of the layers chart. */
function barTips(html: string, i: number): string[] {
  const groups = element(html, 'svg', 'xmlns="http://www.w3.org/2000/svg" data-chart="layers"').split('<g class="bars">').slice(1);
  return [...groups[i].split('</g>')[0].matchAll(/<title>([^<]*)<\/title>/g)].map((m) => unescape(m[1]));
}

const TAGS = new Set(
  'html head meta link title style body main header h1 h2 h3 p section table thead tbody tr th td code strong b span wbr ul li pre figure figcaption svg desc g rect line path circle text'.split(' '),
);
const ATTRS = new Set(
  'lang charset http-equiv content name rel href class id scope data-field data-chart data-mark xmlns viewBox width height role aria-labelledby x y x1 x2 y1 y2 cx cy r rx d fill fill-opacity stroke stroke-width stroke-dasharray stroke-linejoin text-anchor dominant-baseline transform'.split(' '),
);

describe('reportHtml: ResNet-18 with memory, roofline on the A100, the deployed graph and modules at depth 2', () => {
  const { report, memory, rl, modules, deployed, html } = full(resnet18());

  it('the deployed section: totals trained → deployed, the memory-access drop, every fused group', () => {
    const sec = element(html, 'section', 'id="deployed"');
    expect(fields(sec, 'deployedMemoryDrop')).toEqual(['44,413,184']);
    expect(sec).toContain('<tr><th scope="row">params</th><td class="num">11,689,512</td><td class="num">11,684,712</td><td class="num">−4,800 (−0.04%)</td></tr>');
    expect(count(sec, '<tr><td><code>')).toBe(deployed.groups.length);
    // the chart: the trained bar split into kept and removed bytes, the deployed bar as long as the kept part
    const chart = element(sec, 'svg', 'xmlns="http://www.w3.org/2000/svg" data-chart="deployed"');
    const widths = [...chart.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="30"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(3);
    expect(widths[0] + widths[1]).toBeCloseTo(812, 1);
    expect(widths[2]).toBeCloseTo(widths[0], 1);
    expect(widths[1] / 812).toBeCloseTo(44_413_184 / deployed.trained.memoryAccess.bytes, 3);
    expect(sec).not.toContain('<h3>Not fused</h3>');
  });

  it('one document: doctype, title, one <style>, its own policy allowing that style by SHA-256 and nothing else', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<title>convlens report: resnet18</title>');
    expect(count(html, '<style>')).toBe(1);
    const css = html.slice(html.indexOf('<style>') + 7, html.indexOf('</style>'));
    const hash = createHash('sha256').update(css, 'utf8').digest('base64');
    expect(documentPolicy()).toBe(`default-src 'none'; style-src 'sha256-${hash}'; img-src data:; base-uri 'none'; form-action 'none'`);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-${hash}&#39;;`);
  });

  it('no script, no event handler, no request: every tag and attribute from a fixed list, the one href a data: URL', () => {
    const tags = [...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]);
    expect(new Set(tags.filter((t) => !TAGS.has(t)))).toEqual(new Set());
    // every "<" opens one of those tags (or the doctype): no text could have opened another
    expect(count(html, '<')).toBe(tags.length + 1);
    const attrs = [...html.matchAll(/<[a-zA-Z][\w-]*((?:\s+[a-zA-Z:-]+="[^"<>]*")*)\s*\/?>/g)].flatMap((m) => [...m[1].matchAll(/([a-zA-Z:-]+)="/g)].map((a) => a[1]));
    expect(new Set(attrs.filter((a) => !ATTRS.has(a)))).toEqual(new Set());
    expect([...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1])).toEqual(['data:,']);
    expect(html).not.toMatch(/url\(|@import|<script|src=/i);
  });

  it('one chart of each kind, and nothing else drawn as a chart', () => {
    const kinds = [...html.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]);
    expect(kinds).toEqual(['layers', 'ops', 'receptive-field', 'memory', 'roofline', 'deployed']);
  });

  it('the totals table: params 11,689,512 and MACs 1,814,073,344 (torchvision), the peak and the latency of the analyses', () => {
    const totals = element(html, 'table', 'class="totals"');
    expect(fields(totals, 'params')).toEqual(['11,689,512']);
    expect(fields(totals, 'macs')).toEqual(['1,814,073,344']);
    expect(fields(totals, 'flops')).toEqual([report.totals.flops.toLocaleString('en-US')]);
    expect(fields(totals, 'memoryBytes')).toEqual([report.totals.memoryAccess.bytes.toLocaleString('en-US')]);
    expect(fields(totals, 'layers')).toEqual(['69']);
    expect(fields(totals, 'depth')).toEqual(['18']);
    expect(fields(totals, 'peakBytes')).toEqual([memory.peak.bytes.toLocaleString('en-US')]);
    expect(html).toContain(`>peak activations</th><td data-field="peakBytes">${memory.peak.bytes.toLocaleString('en-US')} bytes`);
  });

  it("the module table lists the tree at depth 2 with each module's params and MACs; depth-1 rows add up to the totals", () => {
    const table = element(html, 'table', 'class="modules"');
    const rows = flattenModules(modules.tree.modules);
    expect(fields(table, 'params')).toEqual(rows.map((m) => m.params.toLocaleString('en-US')));
    expect(fields(table, 'macs')).toEqual(rows.map((m) => m.macs.toLocaleString('en-US')));
    const top = rows.filter((m) => m.depth === 1);
    expect(top.reduce((s, m) => s + m.params, 0)).toBe(11_689_512);
    expect(top.reduce((s, m) => s + m.macs, 0)).toBe(1_814_073_344);
    expect(table).toContain('<strong><code>layer1</code></strong>');
    expect(table).toContain('<span class="tree"><span class="indent">\u2003</span><span><strong><code>layer1.<wbr>0</code></strong> …</span></span></td>');
  });

  it("the op table's MACs per op type add up to the total; conv2d has 20 layers and 11,166,912 params", () => {
    const table = element(html, 'table', 'class="ops"');
    const macs = fields(table, 'macs').map((s) => Number(s.replace(/,/g, '')));
    expect(macs.reduce((s, v) => s + v, 0)).toBe(1_814_073_344);
    expect(table).toContain('<td><code class="ident">conv2d</code></td><td class="num">20</td><td class="num" data-field="params">11,166,912</td>');
  });

  it('the layers chart: 41 bars a panel (20 conv, 20 BN, fc), the first conv1 at 118,013,952 MACs (64·3·7·7·112·112) and 9,408 params', () => {
    const macs = barTips(html, 0);
    const params = barTips(html, 1);
    expect(macs).toHaveLength(41);
    expect(params).toHaveLength(41);
    expect(macs[0]).toBe('conv1 (conv2d)\nMACs: 118,013,952 (118 M)');
    expect(params[0]).toBe('conv1 (conv2d)\nparams: 9,408 (9.41 k)');
    expect(macs[40]).toBe('fc (linear)\nMACs: 512,000 (512 k)');
    const sum = (tips: string[]) => tips.reduce((s, t) => s + Number(/: ([\d,]+) \(/.exec(t)![1].replace(/,/g, '')), 0);
    expect(sum(macs)).toBe(1_814_073_344);
    expect(sum(params)).toBe(11_689_512);
  });

  it('the receptive-field chart: the input line at 224 px, local fields and the global tail (avgpool, flatten, fc)', () => {
    const svg = element(html, 'svg', 'xmlns="http://www.w3.org/2000/svg" data-chart="receptive-field"');
    expect(svg).toMatch(/<g data-mark="input">.*>input 224 px<\/text>/);
    expect(count(svg, 'class="rf-h"')).toBe(1);
    expect(count(svg, 'class="rf-global"')).toBe(1);
    expect(svg).toContain('<title>fc (linear)\nfield global (the whole input)</title>');
    expect(svg).toContain('<title>conv1 (conv2d)\nfield 7×7, stride 2×2</title>');
  });

  it('the memory chart marks the peak with its size and layer', () => {
    const svg = element(html, 'svg', 'xmlns="http://www.w3.org/2000/svg" data-chart="memory"');
    const mark = svg.slice(svg.indexOf('<g data-mark="peak">'));
    expect(mark).toContain(`<title>peak: ${memory.peak.bytes.toLocaleString('en-US')} bytes at step ${memory.peak.step}, layer ${memory.peak.layer};`);
    expect(mark).toContain(`while ${memory.peak.layer} runs (step ${memory.peak.step})`);
    expect(count(svg, 'class="during"')).toBe(1);
  });

  it('the roofline: a dot per layer with FLOPs and bytes, one ceiling, the device, and the bound counts in the legend', () => {
    const svg = element(html, 'svg', 'xmlns="http://www.w3.org/2000/svg" data-chart="roofline"');
    expect(count(svg, '<circle ') - 3).toBe(rl.layers.filter((l) => l.flops > 0 && l.bytes > 0).length); // 3 legend symbols
    expect(count(svg, 'class="ceiling"')).toBe(1);
    expect(svg).toContain('<title id="chart-roofline-t">Roofline on NVIDIA A100 SXM4 40GB</title>');
    expect(svg).toContain('>peak 19.5 TFLOP/s (float32)</text>');
    expect(svg).toContain('>memory 1.555 TB/s</text>');
    expect(svg).toContain(`compute-bound: ${rl.totals.computeBoundLayers} layers`);
    expect(svg).toContain(`memory-bound: ${rl.totals.memoryBoundLayers} layers`);
  });
});

describe('roofline of a quantized layer: its integer ops count (qlinearConv 3×3 64→64 at 56² on a Raspberry Pi 5, int8)', () => {
  const report = analyzeGraph(
    parseNetworkSpec({
      inputs: [{ name: 'x', shape: [1, 64, 56, 56] }, { name: 's', shape: [1] }, { name: 'z', shape: [1] }],
      layers: [
        { name: 'q', op: 'quantizeLinear', inputs: ['x', 's', 'z'] },
        { name: 'qc', op: 'qlinearConv', inputs: ['q', 's', 'z', 's', 'z', 's', 'z'], outChannels: 64, kernelSize: 3, padding: 1, bias: false },
      ],
    }),
    { ...DEFAULTS, dtype: 'int8' },
  );
  const rl = roofline(report, resolveDevice('raspberry-pi-5'), 'int8');
  const qc = rl.layers.find((l) => l.name === 'qc')!;

  it("at float32 the chart puts qc at (flops + intOps)/bytes under a second roof, the int8 peak's (614.4 Gop/s beside float32's 153.6 GFLOP/s); its tooltip counts both; at int8 one roof is both", () => {
    const f32 = roofline(report, resolveDevice('raspberry-pi-5'), 'float32');
    const l = f32.layers.find((x) => x.name === 'qc')!;
    const svg = rooflineChart(f32).svg;
    expect(count(svg, 'class="ceiling"')).toBe(2);
    expect(svg).toContain('>int8 peak 614.4 Gop/s (integer ops)</text>');
    expect(svg).toContain(`intensity ${si((l.flops + l.intOps) / l.bytes)} FLOP/B: ${plural(l.flops, 'FLOP')} + 231,211,008 integer ops`);
    expect(count(rooflineChart(rl).svg, 'class="ceiling"')).toBe(1);
    expect(rooflineChart(rl).svg).toContain(`intensity ${si((qc.flops + qc.intOps) / qc.bytes)} FLOP/B`);
  });

  it("the CSV TOTAL's roofline_intensity and the HTML table's ops count them too", () => {
    const csv = reportCsv(report, { roofline: rl }).trim().split('\n');
    const head = csv[0].split(',');
    const total = csv[csv.length - 1].split(',');
    expect(Number(total[head.indexOf('roofline_intensity')])).toBeCloseTo((rl.totals.flops + rl.totals.intOps) / rl.totals.bytes, 9);
    expect(reportHtml({ report, roofline: rl })).toContain('FLOPs + integer ops');
  });
});

describe('reportHtml: names are text', () => {
  const evil = '<script>alert(1)</script>';
  const quote = 'x" onmouseover="alert(2)';
  const { html } = full({
    name: evil,
    inputs: [{ name: `in&<b>`, shape: [1, 3, 16, 16] }],
    layers: [
      { name: evil, op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
      { name: quote, op: 'relu' },
      { name: "a'b", op: 'conv2d', outChannels: 2, kernelSize: 1 },
    ],
  });

  it('a layer named <script>alert(1)</script> is escaped everywhere it appears (title, tables, tooltips)', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('<title>convlens report: &lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(html).toContain('<h1>convlens report: &lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(html).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt; (conv2d)\nMACs:');
    expect(count(html, '&lt;script&gt;alert(1)&lt;/script&gt;')).toBeGreaterThan(8);
  });

  it('the deployed section names the fused conv → ReLU group escaped', () => {
    expect(html).toContain('<tr><td><code>&lt;script&gt;alert(1)&lt;/script&gt;</code> → <code>x&quot; onmouseover=&quot;alert(2)</code></td><td>activation</td>');
  });

  it('quotes and ampersands cannot leave an attribute or start an entity', () => {
    expect(html).not.toContain('" onmouseover="');
    expect(html).toContain('x&quot; onmouseover=&quot;alert(2)');
    expect(html).toContain('a&#39;b');
    expect(html).toContain('<code>in&amp;&lt;b&gt;</code>');
    expect(html).not.toContain('    expect(html).not.toMatch(/<b>/);<b>');
  });

  it('the title option is escaped too', () => {
    const graph = parseNetworkSpec(net([1, 1, 4, 4], { op: 'conv2d', outChannels: 1, kernelSize: 1 }));
    const report = analyzeGraph(graph, DEFAULTS);
    expect(reportHtml({ report }, { title: '</title><script>x</script>' })).toContain('<title>&lt;/title&gt;&lt;script&gt;x&lt;/script&gt;</title>');
  });
});

describe('reportHtml: partial inputs and large networks', () => {
  it('without memory and roofline: three charts, the torchinfo footprint from the report, no latency row', () => {
    const graph = parseNetworkSpec(resnet18());
    const report = analyzeGraph(graph, DEFAULTS);
    const html = reportHtml({ report });
    expect([...html.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1])).toEqual(['layers', 'ops', 'receptive-field']);
    expect(html).toContain('Params size (MB): 46.76');
    expect(html).toContain('No activation timeline: the memory analysis was not run.');
    expect(html).not.toContain('data-field="latency"');
    expect(html).toContain('<h2>Modules (depth 3)</h2>');
  });

  it('depth 0 and topK 0 leave out the module and costliest-layer tables; a negative depth is refused', () => {
    const report = analyzeGraph(parseNetworkSpec(resnet18()), DEFAULTS);
    const bare = reportHtml({ report }, { depth: 0, topK: 0 });
    expect(bare).not.toContain('<section id="modules">');
    expect(bare).not.toContain('<section id="top">');
    expect(() => reportHtml({ report }, { depth: -1 })).toThrow();
  });

  it(`700 weighted layers are summed 3 a bar into 234 bars (at most ${MAX_BARS}), the totals kept, and the note says so`, () => {
    const layers = Array.from({ length: 700 }, (_, i) => ({ name: `s${Math.floor(i / 100)}.c${i}`, op: 'conv2d', outChannels: 2, kernelSize: 1 }));
    const { report, html } = full({ name: 'deep', inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], layers }, 1);
    const macs = barTips(html, 0);
    expect(macs).toHaveLength(234);
    expect(macs[0]).toBe('3 layers: s0.c0 … s0.c2\nMACs: 192 (192)'); // 3 × (2·2·4·4)
    expect(macs[233]).toBe('s6.c699 (conv2d)\nMACs: 64 (64)');
    expect(macs.reduce((s, t) => s + Number(/MACs: ([\d,]+)/.exec(t)![1].replace(/,/g, '')), 0)).toBe(report.totals.macs);
    expect(html).toContain('3 consecutive layers are summed into each bar');
    expect(html).toContain('>s3</text>'); // module bands named
  });

  it('700 layers: the receptive-field and memory charts group their tooltips 3 a column too (234 columns each, it was 700 each); a 1×1 conv on 1×2×4×4 float32 moves 128 B tensors, so a step holds x, its input and its output: 384 B', () => {
    const layers = Array.from({ length: 700 }, (_, i) => ({ name: `s${Math.floor(i / 100)}.c${i}`, op: 'conv2d', outChannels: 2, kernelSize: 1 }));
    const { html } = full({ name: 'deep', inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], layers }, 1);
    const hoverTips = (kind: string) => {
      const svg = element(html, 'svg', `xmlns="http://www.w3.org/2000/svg" data-chart="${kind}"`);
      return [...svg.split('<g class="hover">')[1].split('</g>')[0].matchAll(/<title>([^<]*)<\/title>/g)].map((m) => unescape(m[1]));
    };
    const rf = hoverTips('receptive-field');
    expect(rf).toHaveLength(234);
    expect(rf[0]).toBe('3 layers: s0.c0 … s0.c2\nfield 1×1, stride 1×1');
    expect(rf[233]).toBe('s6.c699 (conv2d)\nfield 1×1, stride 1×1');
    const mem = hoverTips('memory');
    expect(mem).toHaveLength(234);
    expect(mem[0]).toBe('steps 0–2: s0.c0 … s0.c2\nmost during 384 B (384 B) at step 1, s0.c1'); // step 0: x and c0 only, 256 B
    expect(mem[233]).toBe('step 699: s6.c699 (conv2d)\nduring 384 B (384 B), after 256 B\nallocated 128 B, freed 128 B');
  });

  it('700 alike 1×1 convs on the A100 (128 FLOPs over 280 bytes: 0.457 FLOP/B, 280 B / 1.555 TB/s = 0.18 ns): past 300 layers one dot names them, "700 layers alike, memory-bound: s0.c0, …, s0.c4, …", and the note says 700 layers as 1 dot', () => {
    const layers = Array.from({ length: 700 }, (_, i) => ({ name: `s${Math.floor(i / 100)}.c${i}`, op: 'conv2d', outChannels: 2, kernelSize: 1 }));
    const { html } = full({ name: 'deep', inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], layers }, 1);
    const svg = element(html, 'svg', 'xmlns="http://www.w3.org/2000/svg" data-chart="roofline"');
    const tips = [...svg.split('<g class="dots">')[1].split('</g>')[0].matchAll(/<title>([^<]*)<\/title>/g)].map((m) => unescape(m[1]));
    expect(tips).toEqual(['700 layers alike, memory-bound: s0.c0, s0.c1, s0.c2, s0.c3, s0.c4, …\nintensity 0.457 FLOP/B: 128 FLOPs, 280 bytes\n0.18 ns at 711 GFLOP/s']);
    expect(svg).toContain('share one dot: 700 layers as 1 dot (hover a dot for its layers).');
  });

  it('600 convs with flat names c0 … c599 (each its own module): the layers chart\'s band row joins them 2 a band into 300 bands, unlabelled, "2 modules: c0 … c1, 2 layers" (it drew 600 bands 1.4 units wide)', () => {
    const layers = Array.from({ length: 600 }, (_, i) => ({ name: `c${i}`, op: 'conv2d', outChannels: 2, kernelSize: 1 }));
    const report = analyzeGraph(parseNetworkSpec({ name: 'flat', inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], layers }), DEFAULTS);
    const svg = layersChart(report).svg;
    const bands = svg.split('<g class="bands">')[1];
    const tips = [...bands.matchAll(/<rect class="band[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(tips).toHaveLength(300);
    expect(tips[0]).toBe('2 modules: c0 … c1, 2 layers');
    expect(tips[299]).toBe('2 modules: c598 … c599, 2 layers');
    expect(bands).not.toContain('class="band-label"');
  });

  it('a 16×32 input with 3×5 kernels: the field drawn per axis, h solid and w dashed, against "input 16 (h; w 32) px"', () => {
    const { html } = full(net([1, 1, 16, 32], { op: 'conv2d', outChannels: 2, kernelSize: [3, 5], padding: [1, 2] }, { op: 'conv2d', outChannels: 2, kernelSize: [3, 5], padding: [1, 2] }));
    const svg = element(html, 'svg', 'xmlns="http://www.w3.org/2000/svg" data-chart="receptive-field"');
    expect(count(svg, 'class="rf-h"')).toBe(1);
    expect(count(svg, 'class="rf-w"')).toBe(1);
    expect(svg).toContain('>input 16 (h; w 32) px</text>');
    expect(svg).toContain('<title>l1 (conv2d)\nfield 5×9, stride 1×1</title>'); // 3 + 2 = 5, 5 + 4 = 9
  });

  it('a network without an image input draws the receptive-field chart as a note', () => {
    const { html } = full({ name: 'mlp', inputs: [{ name: 'x', shape: [1, 16] }], layers: [{ name: 'fc', op: 'linear', outFeatures: 4 }] });
    const svg = element(html, 'svg', 'xmlns="http://www.w3.org/2000/svg" data-chart="receptive-field"');
    expect(svg).toContain('class="empty"');
    expect(svg).toContain('no image (N×C×H×W) input');
  });
});

describe('reportHtml: a count of one reads in the singular', () => {
  it('on the A100 a 3×3 conv 64 → 64 on 56×56 (2·64·64·9·56·56 FLOPs over 1,753,344 bytes ≈ 132 FLOP/B, past the 12.5 ridge) and its ReLU (0.125 FLOP/B): "1 layer," compute- and memory-bound, not "1 layers"', () => {
    const { rl, html } = full(net([1, 64, 56, 56], { op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1 }, { op: 'relu' }));
    expect([rl.totals.computeBoundLayers, rl.totals.memoryBoundLayers]).toEqual([1, 1]);
    const sec = element(html, 'section', 'id="roofline"');
    expect(sec).toContain('<th scope="row">compute-bound</th><td>1 layer, ');
    expect(sec).toContain('<th scope="row">memory-bound</th><td>1 layer, ');
    expect(html).not.toMatch(/\b1 layers\b/);
  });

  it('int8 (1 byte an element): "1 byte per element" in the conventions and the memory chart\'s note, not "1 bytes"', () => {
    const graph = parseNetworkSpec(net([1, 3, 8, 8], { op: 'conv2d', outChannels: 4, kernelSize: 3 }));
    const inference = inferGraph(graph);
    const report = analyzeGraph(graph, { ...DEFAULTS, dtype: 'int8' }, inference);
    const html = reportHtml({ report, memory: analyzeMemory(graph, inference, report) });
    expect(element(html, 'section', 'id="conventions"')).toContain('<code>int8</code> (1 byte per element)');
    expect(element(html, 'figure', 'class="chart"><svg xmlns="http://www.w3.org/2000/svg" data-chart="memory"')).toContain('int8 (1 byte per element)');
    expect(html).not.toMatch(/\b1 bytes\b/);
  });

  it('11 inputs concatenated, then a 1×1 conv: 13 tensors alive at the peak (11 inputs, cat, conv), 12 listed and "… and 1 smaller tensor."', () => {
    const inputs = Array.from({ length: 11 }, (_, i) => ({ name: `x${i}`, shape: [1, 1, 2, 2] }));
    const { memory, html } = full({ name: 'cat', inputs, layers: [{ name: 'cat', op: 'concat', inputs: inputs.map((i) => i.name) }, { name: 'c', op: 'conv2d', outChannels: 4, kernelSize: 1 }] });
    expect(memory.peak.live).toHaveLength(13);
    expect(element(html, 'section', 'id="memory"')).toContain('<p class="small">… and 1 smaller tensor.</p>');
  });
});

describe('reportHtml: long names stay inside the charts', () => {
  it('the peak at a 210-character layer (step 1): the callout reads "while …<its last 40 characters> runs (step 1)", at most half the 856-unit plot (428 − 20 × 6.96 = 288.8 for the name: 41 characters less the …)', () => {
    const long = `${'L'.repeat(180)}_block_17_conv_tail_0123456789`;
    const { memory, html } = full(net([1, 3, 32, 32], { op: 'conv2d', outChannels: 4, kernelSize: 1 }, { name: long, op: 'conv2d', outChannels: 64, kernelSize: 1 }));
    expect([memory.peak.layer, memory.peak.step]).toEqual([long, 1]);
    const svg = element(html, 'svg', 'xmlns="http://www.w3.org/2000/svg" data-chart="memory"');
    const mark = svg.slice(svg.indexOf('<g data-mark="peak">'));
    expect(/class="marker-sub"[^>]*>([^<]*)</.exec(mark)![1]).toBe(`while …${long.slice(-40)} runs (step 1)`);
    expect(mark).toContain(`<title>peak: ${memory.peak.bytes.toLocaleString('en-US')} bytes at step 1, layer ${long};`); // whole in the tooltip
    const [, bx, , bw] = /class="marker-box" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"/.exec(mark)!.map(Number);
    expect(bx).toBeGreaterThanOrEqual(84 + 2);
    expect(bx + bw).toBeLessThanOrEqual(940 - 2);
  });
});

describe('module band labels cut from the left', () => {
  it('vit_b_16: the twelve encoder blocks read …_layer_0 … …layer_11, each distinct (cut on the right all read "encoder_…")', () => {
    const { graph } = loadGraph({ kind: 'model', name: 'vit_b_16' });
    const svg = layersChart(analyzeGraph(graph, DEFAULTS)).svg;
    const labels = [...svg.matchAll(/class="band-label"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(labels).toHaveLength(12);
    expect(new Set(labels).size).toBe(12);
    expect(labels[11]).toBe('…layer_11');
  });
});

describe('reportHtml: buffers on a network without batch norm', () => {
  it("swin_t's 28,812 buffers (12 blocks × 49² relative-position indices, PyTorch's model.buffers()) are not called BN statistics", () => {
    const r = full(swin_t(), 1).html;
    expect(r).toContain('<tr><td>buffers (non-trainable state)</td><td class="num" data-field="buffers">28,812</td>');
    expect(r).not.toContain('buffers (BN running statistics)');
    expect(r).toContain("<b>buffers</b>: non-trainable state (BN running mean, variance and num_batches_tracked, Swin's relative-position index)");
  });
});

