/**
 * The HTML report (src/analysis/formats/html.ts) of zoo resnet50 and unet in Debian's chromium,
 * offline: the document is served from a loopback server with the app's Content-Security-Policy
 * on top of the document's own, and every request to another origin is aborted
 * (test/browser/harness.ts). Every chart renders with a size and marks, no two labels of a chart
 * overlap, nothing is requested but the page, nothing is logged as an error, and the page prints
 * to PDF. The HTML, a full-page screenshot and the PDF are kept in test-artifacts/.
 *
 * Then the same reports as the service answers them, `GET /v1/models/{name}/report` from the app
 * itself (its own headers), with the deployed graph: its six charts with a size, no error, no other
 * host, a screenshot (test-artifacts/report-<model>-rest.png).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { resolveDevice } from '../../src/analysis/devices.js';
import { reportHtml } from '../../src/analysis/formats/html.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { analyzeMemory } from '../../src/analysis/memory.js';
import { moduleSummary } from '../../src/analysis/modules.js';
import { roofline } from '../../src/analysis/roofline.js';
import { loadGraph } from '../../src/graph/load.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { CSP_DIRECTIVES } from '../../src/http/security.js';
import { DEFAULTS } from '../helpers.js';
import { ARTIFACTS, CHROMIUM, HAVE_CHROMIUM, openPage, serve } from './harness.js';
import type { Served } from './harness.js';

if (!HAVE_CHROMIUM) console.warn(`browser tests SKIPPED: no chromium at ${CHROMIUM} (set CHROMIUM_PATH, or apt-get install chromium)`);

const APP_CSP = Object.entries(CSP_DIRECTIVES)
  .map(([directive, values]) => `${directive} ${values.join(' ')}`)
  .join(';');

const CHARTS = ['layers', 'ops', 'receptive-field', 'memory', 'roofline'] as const;

/** The report of a zoo model with every part the HTML can show, built in-process. */
function build(model: string) {
  const { graph, origin } = loadGraph({ kind: 'model', name: model });
  const inference = inferGraph(graph);
  const report = { ...analyzeGraph(graph, DEFAULTS, inference), source: origin };
  const memory = analyzeMemory(graph, inference, report);
  const rl = roofline(report, resolveDevice('a100-sxm4-40gb'));
  const modules = moduleSummary(report, { depth: 2, topK: 10 });
  return { report, memory, rl, html: reportHtml({ report, memory, roofline: rl, modules }, { depth: 2 }) };
}

interface Box {
  chart: string;
  text: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

describe.skipIf(!HAVE_CHROMIUM)('the HTML report in chromium, with every other host blocked', () => {
  let served: Served;
  let server: Server;
  let base: string;
  const pages = new Map<string, string>();
  /** Every path the report server was asked for. */
  const asked: string[] = [];

  beforeAll(async () => {
    served = await serve();
    server = createServer((req, res) => {
      asked.push(req.url ?? '');
      const html = pages.get(req.url ?? '');
      if (!html) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': APP_CSP });
      res.end(html);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await served?.close();
  });

  it.each(['resnet50', 'unet'])('%s: five charts with size and marks, the peak marked, no overlapping labels, no request but the page, no error, prints to PDF', async (model) => {
    const { report, memory, rl, html } = build(model);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(path.join(ARTIFACTS, `report-${model}.html`), html);
    const route = `/report-${model}.html`;
    pages.set(route, html);
    asked.length = 0;

    const w = await openPage({ ...served, base }, 1100, 900);
    const requested: string[] = [];
    w.page.on('request', (r) => requested.push(r.url()));
    try {
      const response = await w.page.goto(`${base}${route}`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      expect(await w.page.title()).toBe(`convlens report: ${model}`);

      for (const kind of CHARTS) {
        const svg = await w.page.$(`svg[data-chart="${kind}"]`);
        expect(svg, kind).not.toBeNull();
        const box = await svg!.boundingBox();
        expect(box!.width, kind).toBeGreaterThan(400);
        expect(box!.height, kind).toBeGreaterThan(100);
        const marks = await svg!.$$eval('rect, circle, path', (els) => els.filter((e) => (e as SVGGraphicsElement).getBBox().width > 0).length);
        expect(marks, kind).toBeGreaterThan(0);
      }
      const count = (selector: string) => w.page.$$eval(selector, (els) => els.length);
      expect(await count('svg[data-chart="layers"] .bars')).toBe(2);
      expect(await count('svg[data-chart="layers"] .bars rect')).toBe(2 * report.layers.filter((l) => l.executed && (l.macs > 0 || l.params > 0)).length);
      expect(await count('svg[data-chart="roofline"] .dots circle')).toBe(rl.layers.filter((l) => l.flops > 0 && l.bytes > 0).length);
      expect(await count('svg[data-chart="roofline"] path.ceiling')).toBe(1);
      expect(await count('svg[data-chart="receptive-field"] path.rf-h')).toBe(1);
      expect(await count('svg[data-chart="receptive-field"] [data-mark="input"]')).toBe(1);
      expect(await count('svg[data-chart="memory"] path.during')).toBe(1);
      const peak = await w.page.$('svg[data-chart="memory"] [data-mark="peak"]');
      expect((await peak!.boundingBox())!.width).toBeGreaterThan(0);
      expect(await peak!.evaluate((e) => e.textContent)).toContain(`while ${memory.peak.layer} runs`);

      // no label of a chart covers another (1 px tolerance)
      const boxes: Box[] = await w.page.$$eval('svg[data-chart] text', (els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { chart: e.closest('svg')!.getAttribute('data-chart')!, text: e.textContent ?? '', x: r.x, y: r.y, w: r.width, h: r.height };
        }),
      );
      const overlaps: string[] = [];
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i];
          const b = boxes[j];
          if (a.chart !== b.chart || a.w === 0 || b.w === 0) continue;
          const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
          const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
          if (dx > 1 && dy > 1) overlaps.push(`${a.chart}: "${a.text}" × "${b.text}"`);
        }
      }
      expect(overlaps).toEqual([]);

      // the tables carry the report's own figures
      expect(await w.page.$eval('table.totals [data-field="params"]', (e) => e.textContent)).toBe(report.totals.params.toLocaleString('en-US'));
      expect(await w.page.$eval('table.totals [data-field="macs"]', (e) => e.textContent)).toBe(report.totals.macs.toLocaleString('en-US'));

      const pdf = await w.page.pdf({ format: 'A4', printBackground: true });
      expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
      writeFileSync(path.join(ARTIFACTS, `report-${model}.pdf`), pdf);
      await w.page.screenshot({ path: path.join(ARTIFACTS, `report-${model}.png`) as `${string}.png`, fullPage: true });

      expect(requested).toEqual([`${base}${route}`]);
      expect(asked).toEqual([route]);
      expect(w.blocked).toEqual([]);
      expect(w.violations).toEqual([]);
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('resnet50 modules at depth 3 (the CLI\'s HTML): every module name starts at its own indent, on its row\'s first line; the squeezed name column put `layer1.0.downsample …` on a second line at depth 0', async () => {
    const { graph } = loadGraph({ kind: 'model', name: 'resnet50' });
    const inference = inferGraph(graph);
    const report = analyzeGraph(graph, DEFAULTS, inference);
    const html = reportHtml({ report, modules: moduleSummary(report, { depth: 3 }) }, { depth: 3 });
    const route = '/report-resnet50-depth3.html';
    pages.set(route, html);
    const w = await openPage({ ...served, base }, 1400, 900);
    try {
      await w.page.goto(`${base}${route}`, { waitUntil: 'load' });
      // per name cell: depth (em spaces + 1), the name's offset from the cell's content box, one em in px
      const cells = await w.page.$$eval('section#modules tbody td:first-child', (tds) =>
        tds
          .filter((td) => td.querySelector('code'))
          .map((td) => {
            const cell = td.getBoundingClientRect();
            const code = td.querySelector('code')!.getBoundingClientRect();
            const indent = td.querySelector('.indent')?.textContent?.length ?? 0;
            const em = parseFloat(getComputedStyle(td).fontSize);
            // where the name's lines begin: a character whose box starts a new line
            const text = td.querySelector('code')!;
            const range = document.createRange();
            const tops: number[] = [];
            let at = 0;
            for (const node of [...text.childNodes].flatMap((n) => (n.nodeType === 3 ? [n] : [...n.childNodes]))) {
              for (let k = 0; k < (node.textContent ?? '').length; k++, at++) {
                range.setStart(node, k);
                range.setEnd(node, k + 1);
                tops.push(range.getBoundingClientRect().top);
              }
            }
            const name = text.textContent!;
            const breaks = tops.map((t, k) => (k > 0 && t > tops[k - 1] + 2 ? name.slice(0, k) : null)).filter((x) => x !== null);
            return { name, depth: indent + 1, dx: code.left - cell.left - 8, dy: code.top - cell.top, em, breaks };
          }),
      );
      expect(cells.length).toBeGreaterThan(100);
      const misplaced = cells.filter((c) => Math.abs(c.dx - (c.depth - 1) * c.em) > 2 || c.dy > 8).map((c) => `${c.name} (depth ${c.depth}): dx ${c.dx.toFixed(1)}, dy ${c.dy.toFixed(1)}`);
      expect(misplaced).toEqual([]);
      // a name that wraps breaks after a dot of its path ('layer1.0.' / 'downsample'), not inside a component ('…downsampl' / 'e')
      expect(cells.flatMap((c) => c.breaks).filter((head) => !head.endsWith('.'))).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('at a phone\'s 375 px (resnet50): the page does not scroll sideways (wide tables and charts scroll in their own box), chart labels keep ≥ 8 px; screenshot kept', async () => {
    const { html } = build('resnet50');
    const route = '/report-resnet50-narrow.html';
    pages.set(route, html);
    const w = await openPage({ ...served, base }, 375, 800);
    try {
      await w.page.goto(`${base}${route}`, { waitUntil: 'load' });
      // the browser review found 893 px (tables) and 3–4 px chart labels here
      expect(await w.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      const smallest = await w.page.$$eval('svg[data-chart] text', (els) => Math.min(...els.map((e) => e.getBoundingClientRect().height).filter((h) => h > 0)));
      expect(smallest).toBeGreaterThanOrEqual(8);
      mkdirSync(ARTIFACTS, { recursive: true });
      await w.page.screenshot({ path: path.join(ARTIFACTS, 'report-resnet50-375.png') as `${string}.png` });
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('a 250-character layer name without spaces (the limit is 256): the page stays 1100 px wide, the name breaks in its cell', async () => {
    const long = `${'L'.repeat(240)}_conv_tail`;
    const spec = { name: 'long', inputs: [{ name: 'x', shape: [1, 3, 32, 32] }], layers: [{ name: long, op: 'conv2d', outChannels: 8, kernelSize: 3 }, { name: 'relu', op: 'relu' }] };
    const graph = parseNetworkSpec(spec);
    const inference = inferGraph(graph);
    const report = analyzeGraph(graph, DEFAULTS, inference);
    const html = reportHtml({ report, memory: analyzeMemory(graph, inference, report), roofline: roofline(report, resolveDevice('a100-sxm4-40gb')) }, { depth: 2 });
    const route = '/report-long-name.html';
    pages.set(route, html);
    const w = await openPage({ ...served, base }, 1100, 900);
    try {
      await w.page.goto(`${base}${route}`, { waitUntil: 'load' });
      // it was 2,581 px: overflow-wrap: break-word does not lower a table cell's min-content width
      expect(await w.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1100);
      const widest = await w.page.$$eval('table', (els) => Math.max(...els.map((e) => e.scrollWidth)));
      expect(widest).toBeLessThanOrEqual(1000);
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it.each(['left', 'right'])('14 convs with 200-character names, the peak near the %s edge: the peak callout inside the plot and clear of the y axis\'s labels, no caption, paragraph or warnings cell runs out of its box, op names and warning codes on one line; screenshot kept', async (side) => {
    // the hunt found the callout clipped at both ends over "30 kB", captions past the 960 px column,
    // warning messages over the layer column and conv2d broken as con/v2d
    const name = (i: number) => `encoder_backbone_stage_${i}_${'very_long_descriptive_module_name_'.repeat(5)}conv_${i}`;
    const layers = Array.from({ length: 14 }, (_, i) => {
      const big = side === 'left' ? i === 0 : i === 13;
      return { name: name(i), op: 'conv2d', outChannels: big ? 96 : 6, kernelSize: 3, padding: 1, stride: side === 'left' && !big && i % 4 === 1 ? 2 : 1 };
    });
    const graph = parseNetworkSpec({ name: `long-${side}`, inputs: [{ name: 'x', shape: [1, 3, 33, 33] }], layers });
    const inference = inferGraph(graph);
    const report = analyzeGraph(graph, DEFAULTS, inference);
    const memory = analyzeMemory(graph, inference, report);
    expect(memory.peak.layer).toBe(name(side === 'left' ? 1 : 13));
    const html = reportHtml({ report, memory, roofline: roofline(report, resolveDevice('a100-sxm4-40gb')) }, { depth: 3 });
    const route = `/report-long-names-${side}.html`;
    pages.set(route, html);
    const w = await openPage({ ...served, base }, 1100, 900);
    try {
      await w.page.goto(`${base}${route}`, { waitUntil: 'load' });
      const callout = await w.page.$eval('svg[data-chart="memory"]', (svg) => {
        const rect = (e: Element) => e.getBoundingClientRect();
        const box = rect(svg.querySelector('[data-mark="peak"] rect.marker-box')!);
        const ticks = [...svg.querySelectorAll('.axis.y text.tick')].map(rect);
        const texts = [...svg.querySelectorAll('[data-mark="peak"] text')].map(rect);
        const chart = rect(svg);
        return {
          inChart: box.left >= chart.left && box.right <= chart.right,
          overTicks: ticks.filter((t) => t.right > box.left && t.left < box.right && t.bottom > box.top && t.top < box.bottom).length,
          textOut: texts.filter((t) => t.left < box.left || t.right > box.right).length,
        };
      });
      expect(callout).toEqual({ inChart: true, overTicks: 0, textOut: 0 });
      const runOut = await w.page.$$eval('figcaption, main p, main li, table.warnings td', (els) =>
        els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.tagName} ${(e.textContent ?? '').slice(0, 40)}`),
      );
      expect(runOut).toEqual([]);
      const broken = await w.page.$$eval('td code', (els) =>
        els.filter((e) => /^(conv2d|[A-Z][A-Z0-9_]+)$/.test(e.textContent ?? '') && e.getClientRects().length > 1).map((e) => e.textContent),
      );
      expect(broken).toEqual([]);
      expect(await w.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1100);
      await w.screenshot(`report-long-names-${side}`);
      await (await w.page.$('#memory figure'))!.screenshot({ path: path.join(ARTIFACTS, `report-long-names-${side}-memory.png`) as `${string}.png` });
      await (await w.page.$('#warnings'))!.screenshot({ path: path.join(ARTIFACTS, `report-long-names-${side}-warnings.png`) as `${string}.png` });
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it.each(['resnet50', 'unet'])('%s from GET /v1/models/{name}/report?device=a100-sxm4-40gb&deployed=true: six charts (the deployed graph\'s too) with size, no error, no other host; screenshot kept', async (model) => {
    const w = await openPage(served, 1100, 900);
    const requested: string[] = [];
    w.page.on('request', (r) => requested.push(r.url()));
    const url = `${served.base}/v1/models/${model}/report?device=a100-sxm4-40gb&depth=2&deployed=true`;
    try {
      const response = await w.page.goto(url, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
      expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
      expect(await w.page.title()).toBe(`convlens report: ${model}`);
      for (const kind of [...CHARTS, 'deployed']) {
        const svg = await w.page.$(`svg[data-chart="${kind}"]`);
        expect(svg, kind).not.toBeNull();
        const box = await svg!.boundingBox();
        expect(box!.width, kind).toBeGreaterThan(400);
        expect(box!.height, kind).toBeGreaterThan(kind === 'deployed' ? 40 : 100);
        const marks = await svg!.$$eval('rect, circle, path', (els) => els.filter((e) => (e as SVGGraphicsElement).getBBox().width > 0).length);
        expect(marks, kind).toBeGreaterThan(0);
      }
      // the figures are the service's own report of the model
      const { report } = build(model);
      expect(await w.page.$eval('table.totals [data-field="params"]', (e) => e.textContent)).toBe(report.totals.params.toLocaleString('en-US'));
      mkdirSync(ARTIFACTS, { recursive: true });
      await w.page.screenshot({ path: path.join(ARTIFACTS, `report-${model}-rest.png`) as `${string}.png`, fullPage: true });
      expect(requested).toEqual([url]);
      expect(w.blocked).toEqual([]);
      expect(w.violations).toEqual([]);
      expect(w.problems).toEqual([]);
    } finally {
      await w.close();
    }
  });
});
