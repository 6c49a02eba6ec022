/**
 * One network's report as a self-contained HTML document (`--format html`, `?format=html`): one
 * file, CSS inline, charts as inline SVG (formats/html-charts.ts), no script and no request to
 * any host, readable on screen and printed (A4, a page per section, no dark backgrounds).
 *
 * Sections: the totals (exact and in SI units); per-layer MACs and params; the op-type breakdown;
 * the receptive field along depth; the activation-memory timeline with the peak and the torchinfo
 * footprint (when a memory report is given); the roofline on a device (when a roofline is given);
 * the deployed graph's fusions (when given); the module tree at a depth and the costliest layers;
 * the counting conventions; the warnings.
 *
 * A long list is cut, saying so and where the whole is (formats/html-limits.ts): the module table
 * at MAX_MODULE_ROWS (a shallower depth first), the warnings at MAX_WARNING_ROWS, layer names in a
 * cell at MAX_NAMES_IN_CELL; the per-layer charts sum layers into bars (formats/html-charts.ts).
 *
 * Every text that comes from the network (layer, input and op names, warning messages, device
 * names) is escaped. The document carries its own Content-Security-Policy in a <meta> element
 * (nothing may load or run; the one <style> allowed by its SHA-256), so even a file saved to disk
 * and opened later cannot run script.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { footprintFromReport } from '../footprint.js';
import type { FootprintUnknown, TorchinfoFootprint } from '../footprint.js';
import type { DeployedReport } from '../deployed.js';
import type { MemoryReport } from '../memory.js';
import { DEFAULT_MODULE_DEPTH, DEFAULT_TOP_K, MAX_MODULE_DEPTH, moduleSummary } from '../modules.js';
import type { ModuleSummary, TopMetric } from '../modules.js';
import type { Report } from '../report.js';
import type { ConventionCount } from '../../conventions/index.js';
import type { RooflineReport } from '../roofline.js';
import { deployedHtml } from './deployed.js';
import { erfSection } from './erf-svg.js';
import type { ErfSectionInput } from './erf-svg.js';
import { layersChart, memoryChart, opsChart, receptiveFieldChart, rooflineChart } from './html-charts.js';
import type { Chart } from './html-charts.js';
import { MAX_MODULE_ROWS, MAX_WARNING_ROWS, moduleRows, someNames, warningRows } from './html-limits.js';
import { REPORT_CSS } from './html-style.js';
import { esc, plural, secondsText, si } from './svg.js';
import { exact, shape } from './md.js';
import { sourceLine } from './source-line.js';

export const HTML_MEDIA_TYPE = 'text/html; charset=utf-8';

export const HtmlOptionsSchema = z.strictObject({
  title: z.string().max(200).optional().describe('the document title (default: "convlens report: <network name>")'),
  depth: z.number().int().min(0).max(MAX_MODULE_DEPTH).default(DEFAULT_MODULE_DEPTH).describe('torchinfo-style depth of the module table'),
  topK: z.number().int().min(0).max(100).default(DEFAULT_TOP_K).describe('rows of each costliest-layers table'),
});
export type HtmlOptions = z.infer<typeof HtmlOptionsSchema>;

export interface HtmlInput {
  report: Report;
  /** analysis/memory.ts: the timeline chart and memory tables (omitted when absent). */
  memory?: MemoryReport;
  /** analysis/roofline.ts: the roofline chart and latency table (omitted when absent). */
  roofline?: RooflineReport;
  /** analysis/modules.ts: computed from the report at `depth` when absent. */
  modules?: ModuleSummary;
  /** analysis/footprint.ts: the memory report's, else computed from the report where it can be (footprintFromReport). */
  footprint?: TorchinfoFootprint;
  /** analysis/deployed.ts: the deployed (inference-fused) graph beside the trained one (omitted when absent). */
  deployed?: DeployedReport;
  /** conventions/index.ts countWith: another tool's count beside convlens's MACs (omitted when absent). */
  convention?: ConventionCount;
  /** analysis/erf-report.ts: the final feature map's effective receptive field (omitted when absent). */
  erf?: ErfSectionInput | { unavailable: string };
}

/** The policy the document declares for itself: no script, no request, its own <style> only. */
export function documentPolicy(css: string = REPORT_CSS): string {
  const hash = createHash('sha256').update(css, 'utf8').digest('base64');
  return `default-src 'none'; style-src 'sha256-${hash}'; img-src data:; base-uri 'none'; form-action 'none'`;
}

const pct = (p: number | null) => (p === null ? '—' : `${p.toFixed(2)}%`);
const code = (s: string) => `<code>${esc(s)}</code>`;
/** An op type or warning code in a table column: kept on one line (a narrow column broke `conv2d` as con/v2d). */
const ident = (s: string) => `<code class="ident">${esc(s)}</code>`;
/** A module path that may wrap after each dot. */
const pathCode = (s: string) => `<code>${esc(s).replace(/\./g, '.<wbr>')}</code>`;
/** Exact bytes and about: `1,024 bytes (1.02 kB)`. */
const bytesText = (n: number) => `${esc(plural(n, 'byte'))} (${esc(si(n, 'B'))})`;

interface Cell {
  html: string;
  num?: boolean;
  /** data-field, so a test or a scraper can read a figure without parsing the layout. */
  field?: string;
}
const txt = (s: string): Cell => ({ html: esc(s) });
const pctCell = (p: number | null): Cell => ({ html: esc(pct(p)), num: true });
const num = (v: number, field?: string, fmt: (n: number) => string = exact): Cell => ({ html: esc(fmt(v)), num: true, field });

function table(head: string[], rows: Cell[][], cls = ''): string {
  const th = head.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c) => `<td${c.num ? ' class="num"' : ''}${c.field ? ` data-field="${esc(c.field)}"` : ''}>${c.html}</td>`).join('')}</tr>`)
    .join('');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A key–value table (th per row). */
function facts(rows: [string, string, string?][]): string {
  return `<table class="facts"><tbody>${rows
    .map(([k, v, field]) => `<tr><th scope="row">${esc(k)}</th><td${field ? ` data-field="${esc(field)}"` : ''}>${v}</td></tr>`)
    .join('')}</tbody></table>`;
}

function figure(c: Chart): string {
  return `<figure class="chart">${c.svg}<figcaption>${esc(c.note)}</figcaption></figure>`;
}

const section = (id: string, title: string, body: string) => `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;


function totalsSection(r: Report, m: MemoryReport | undefined, rl: RooflineReport | undefined): string {
  const t = r.totals;
  const rows: Cell[][] = [
    [txt('params'), num(t.params, 'params'), num(t.params, undefined, (v) => si(v))],
    [txt('buffers (non-trainable state)'), num(t.buffers, 'buffers'), num(t.buffers, undefined, (v) => si(v))],
    [txt('MACs'), num(t.macs, 'macs'), num(t.macs, undefined, (v) => si(v))],
    [txt(`FLOPs (${r.conventions.flops})`), num(t.flops, 'flops'), num(t.flops, undefined, (v) => si(v))],
    [txt(`memory access (bytes, ${r.conventions.dtype})`), num(t.memoryAccess.bytes, 'memoryBytes'), num(t.memoryAccess.bytes, undefined, (v) => si(v, 'B'))],
    [txt('arithmetic intensity (FLOP/byte)'), t.arithmeticIntensity === null ? { html: '—', num: true } : num(t.arithmeticIntensity, 'arithmeticIntensity'), txt('')],
    [txt('layers'), num(t.layers, 'layers'), txt('')],
    [txt('depth (weighted layers on the longest path)'), num(r.structure.depth, 'depth'), txt('')],
    [txt('width (most output channels)'), num(r.structure.width, 'width'), txt('')],
  ];
  if (m) rows.push([txt(`peak activations (${m.dtype})`), num(m.peak.bytes, 'peakBytes'), num(m.peak.bytes, undefined, (v) => si(v, 'B'))]);
  if (rl) rows.push([txt(`latency lower bound, ${rl.device.name}`), { html: esc(secondsText(rl.totals.seconds)), num: true, field: 'latency' }, txt('')]);
  const incomplete = t.complete
    ? ''
    : `<p class="alert">Incomplete analysis: unsupported operators ${t.unsupported.map((u) => `${u.count}× ${code(u.opType)}`).join(', ')}. The counts cover the analysed layers only (lower bounds).</p>`;
  return section('totals', 'Totals', incomplete + table(['', 'exact', 'about'], rows, 'totals'));
}

function memorySection(m: MemoryReport, fp: TorchinfoFootprint, c: Chart): string {
  const p = m.peak;
  const live = table(
    ['tensor', 'shape', 'dtype', 'bytes', 'written by'],
    p.live.slice(0, 12).map((t) => [{ html: code(t.name) }, txt(shape(t.shape)), txt(t.dtype), num(t.bytes), { html: t.producer === null ? 'graph input' : code(t.producer) }]),
  );
  const more = p.live.length > 12 ? `<p class="small">… and ${plural(p.live.length - 12, 'smaller tensor')}.</p>` : '';
  return section(
    'memory',
    'Activation memory',
    figure(c) +
      facts([
        ['peak activations', bytesText(p.bytes), 'peakBytes'],
        ['at', p.layer === null ? '—' : `${code(p.layer)} (step ${p.step} of ${m.timeline.length})`],
        ['weights (params + buffers)', bytesText(m.weights.bytes), 'weightsBytes'],
        ['peak activations + weights', bytesText(m.totalBytes), 'totalBytes'],
        ['inputs (alive throughout)', esc(plural(m.baseline, 'byte'))],
      ]) +
      `<h3>Alive at the peak</h3>${live}${more}` +
      `<h3>torchinfo's footprint</h3><pre class="torchinfo">${esc(fp.lines.join('\n'))}</pre><p class="small">Reproduced from torchinfo's definitions (${esc(fp.source)}): forward/backward counts twice the outputs of the leaf modules with parameters PyTorch runs (convolutions, linear layers, norms, PReLU; not a layer scale, a class token or an attention module holding its projections); params size excludes buffers.</p>` +
      `<h3>Assumptions</h3><ul class="small">${m.assumptions.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>`,
  );
}

/** Layer names in a cell: the first MAX_NAMES_IN_CELL, then how many more (a 3,000-node import of an unknown op would list all). */
function skippedText(names: readonly string[]): string {
  const { names: some, more } = someNames(names);
  return some.map(code).join(', ') + (more ? `, … and ${plural(more, 'more layer')}` : '');
}

function rooflineSection(rl: RooflineReport, c: Chart): string {
  const d = rl.device;
  const t = rl.totals;
  const slowest = [...rl.layers].sort((a, b) => b.seconds - a.seconds).slice(0, 10);
  return section(
    'roofline',
    `Latency on ${d.name}`,
    figure(c) +
      `<p class="alert">${esc(rl.note)}</p>` +
      facts([
        ['device', `${esc(d.name)}${d.id ? ` (${code(d.id)})` : ''}`],
        ['element type', `${esc(d.dtype)} bytes, ${esc(d.computeDtype)} arithmetic`],
        ['peak', `${esc(si(d.peakFlops, 'FLOP/s', 4))} (${esc(exact(d.peakFlops))})`],
        ['memory bandwidth', `${esc(si(d.bandwidth, 'B/s', 4))} (${esc(exact(d.bandwidth))})`],
        ['ridge point', `${esc(si(d.ridgePoint))} FLOP/byte`],
        ['latency lower bound', esc(secondsText(t.seconds)), 'latency'],
        ['compute-bound', `${plural(t.computeBoundLayers, 'layer')}, ${esc(secondsText(t.computeBoundSeconds))}`],
        ['memory-bound', `${plural(t.memoryBoundLayers, 'layer')}, ${esc(secondsText(t.memoryBoundSeconds))}`],
        ['attained', t.attainedFlops === null ? '—' : esc(si(t.attainedFlops, 'FLOP/s'))],
        ...(rl.fallback ? ([['fallback', esc(rl.fallback.reason)]] as [string, string][]) : []),
        ...(rl.skipped.length ? ([['not counted (unsupported)', skippedText(rl.skipped)]] as [string, string][]) : []),
        ...(d.source ? ([['figures from', esc(d.source)]] as [string, string][]) : []),
      ]) +
      `<h3>Slowest layers</h3>` +
      table(
        ['layer', 'op', rl.totals.intOps > 0 ? 'FLOPs + integer ops' : 'FLOPs', 'bytes', 'FLOP/byte', 'time', 'bound'],
        slowest.map((l) => [{ html: code(l.name) }, { html: ident(l.op) }, num(l.flops + l.intOps), num(l.bytes), l.arithmeticIntensity === null ? { html: '—', num: true } : num(l.arithmeticIntensity, undefined, (v) => si(v)), { html: esc(secondsText(l.seconds)), num: true }, txt(l.bound)]),
      ),
  );
}

/** Where a report's whole lists are, for a table the page cuts (formats/html-limits.ts). */
const wholeIn = (key: string, depth?: number) =>
  `The JSON report lists them all (its <code>${key}</code>: <code>format=json</code>${depth === undefined ? '' : ` with <code>depth=${depth}</code>`}, or <code>convlens analyze --format json${depth === undefined ? '' : ` --depth ${depth}`}</code>); the CSV report has a row per layer.`;

function modulesSection(s: ModuleSummary): string {
  const asked = s.tree.depth;
  const { rows: shown, depth, all, rest } = moduleRows(s.tree);
  const whole = s.tree.totals;
  const share = (v: number, of: number) => (of > 0 ? (100 * v) / of : null);
  const rows = shown.map((m) => {
    // a module whose sub-modules lie below the depth shown has them summed in
    const cut = m.truncated || (m.depth === depth && m.children.length > 0);
    return [
      // one flex box: a name too long for the column wraps inside its own indent, not to the cell's left edge below it,
      // and after a dot of its path (<wbr>; escaped text has no dots but the path's) before anywhere inside a component
      { html: `<span class="tree"><span class="indent">${'\u2003'.repeat(m.depth - 1)}</span><span>${m.children.length > 0 || m.truncated ? `<strong>${pathCode(m.path)}</strong>` : pathCode(m.path)}${cut ? ' …' : ''}</span></span>` },
      { html: m.op ? ident(m.op) : '' },
      num(m.layers),
      num(m.params, 'params'),
      pctCell(m.share.params),
      num(m.macs, 'macs'),
      pctCell(m.share.macs),
      num(m.memoryBytes, 'memoryBytes'),
      pctCell(m.share.memoryBytes),
    ];
  });
  if (rest) {
    rows.push([
      txt(`… the other ${plural(rest.modules, 'top-level module')}, summed`),
      txt(''),
      num(rest.layers),
      num(rest.params, 'params'),
      pctCell(share(rest.params, whole.params)),
      num(rest.macs, 'macs'),
      pctCell(share(rest.macs, whole.macs)),
      num(rest.memoryBytes, 'memoryBytes'),
      pctCell(share(rest.memoryBytes, whole.memoryBytes)),
    ]);
  }
  const limit = `more than the ${exact(MAX_MODULE_ROWS)} rows this page lists`;
  const cutNote = rest
    ? `<p class="alert">Even the top level has ${plural(rest.modules + shown.length, 'module')}, ${limit}: the first ${exact(shown.length)} in execution order are shown, the other ${exact(rest.modules)} summed in the last row. ${wholeIn('modules', asked)}</p>`
    : depth < asked
      ? `<p class="alert">Depth ${asked} has ${plural(all, 'module')}, ${limit}: the table stops at depth ${depth} (${plural(shown.length, 'module')}), each with the modules below it summed in. ${wholeIn('modules', asked)}</p>`
      : '';
  return section(
    'modules',
    `Modules (depth ${depth}${depth < asked ? `; ${asked} asked` : ''})`,
    cutNote +
      `<p class="small">Layers grouped by name prefix (torchvision's <code>layer1.0.conv1</code> in <code>layer1.0</code> in <code>layer1</code>), cut at depth ${depth} as torchinfo's <code>depth</code>; a module marked … has deeper modules summed into it. MACs and memory count executed layers.</p>` +
      table(['module', 'op', 'layers', 'params', '%', 'MACs', '%', 'memory access (bytes)', '%'], rows, 'modules'),
  );
}

const TOP_TITLES: Record<TopMetric, string> = { macs: 'MACs', params: 'params', flops: 'FLOPs', memoryBytes: 'memory access (bytes)' };

function topSection(s: ModuleSummary): string {
  const parts = (['macs', 'params', 'memoryBytes'] as const)
    .filter((m) => s.top[m].length > 0)
    .map((m) => `<h3>By ${TOP_TITLES[m]}</h3>` + table(['#', 'layer', 'op', TOP_TITLES[m], 'share'], s.top[m].map((l, i) => [num(i + 1), { html: code(l.name) }, { html: ident(l.op) }, num(l.value, m), pctCell(l.share)]), 'top'));
  return section('top', 'Costliest layers', parts.join(''));
}

function opsSection(s: ModuleSummary, c: Chart): string {
  const rows = s.ops.map((o) => [{ html: ident(o.op) }, num(o.count), num(o.params, 'params'), pctCell(o.share.params), num(o.macs, 'macs'), pctCell(o.share.macs), num(o.flops, 'flops'), pctCell(o.share.flops), num(o.memoryBytes, 'memoryBytes'), pctCell(o.share.memoryBytes)]);
  return section('ops', 'By op type', figure(c) + table(['op', 'count', 'params', '%', 'MACs', '%', 'FLOPs', '%', 'memory access (bytes)', '%'], rows, 'ops'));
}

function conventionsSection(r: Report): string {
  const c = r.conventions;
  return section(
    'conventions',
    'Conventions',
    `<ul><li><b>MACs</b>: ${esc(c.macs)}</li><li><b>FLOPs</b> (${code(c.flops)}): ${esc(c.flopsDescription)}</li>` +
      `<li><b>bias</b>: ${c.includeBias ? 'bias additions counted in FLOPs' : 'bias additions not counted'}</li>` +
      `<li><b>memory access</b>: inputs + outputs + weights of each layer, ${code(c.dtype)} (${plural(c.bytesPerElement, 'byte')} per element)</li>` +
      `<li><b>params</b>: trainable (weights, bias, BN γ/β); <b>buffers</b>: non-trainable state (BN running mean, variance and num_batches_tracked, Swin's relative-position index)</li>` +
      `<li><b>receptive field</b>: ${esc(c.receptiveField)}</li></ul>`,
  );
}

/** Another tool's count (the `convention` option), family by family beside convlens's MACs, as the Markdown shows it. */
function conventionSection(c: ConventionCount): string {
  const rows = c.byFamily.map((f) => [txt(f.family), num(f.count), num(f.convlensMacs), num(f.difference)]);
  return section('convention', `${c.tool} count`, `<p>${esc(c.headline)}</p>${table(['family', c.unit, 'convlens MACs', 'difference'], rows)}`);
}

function warningsSection(r: Report): string {
  if (r.warnings.length === 0) return section('warnings', 'Warnings', '<p>None.</p>');
  const { rows: shown, left } = warningRows(r.warnings);
  const rows = shown.map((w) => [txt(w.severity), { html: ident(w.code) }, txt(w.message), { html: w.layer ? code(w.layer) : '' }]);
  const more = left.length
    ? `<p class="alert">${exact(shown.length)} of ${plural(r.warnings.length, 'warning')} listed (at most ${exact(MAX_WARNING_ROWS)}, those of severity warning first); left out: ${left.map(([c, severity, n]) => `${exact(n)} ${code(c)} (${severity})`).join(', ')}. ${wholeIn('warnings')}</p>`
    : '';
  return section('warnings', 'Warnings', table(['severity', 'code', 'message', 'layer'], rows, 'warnings') + more);
}

/** Without the memory analysis: torchinfo's footprint from the report, or why the report alone cannot give it. */
function noMemorySection(fp: TorchinfoFootprint | FootprintUnknown): string {
  const shown = 'unknown' in fp ? `<p class="alert">${esc(fp.unknown)}.</p>` : `<pre class="torchinfo">${esc(fp.lines.join('\n'))}</pre>`;
  return section('memory', 'Memory', `${shown}<p class="small">No activation timeline: the memory analysis was not run.</p>`);
}

/** The report as one HTML document (see the header). */
export function reportHtml(input: HtmlInput, options: Partial<HtmlOptions> = {}): string {
  const o = HtmlOptionsSchema.parse(options);
  const { report, memory, roofline } = input;
  const modules = input.modules ?? moduleSummary(report, { depth: o.depth, topK: o.topK });
  const title = o.title ?? `convlens report: ${report.name}`;
  const parts = [
    `<header><h1>${esc(title)}</h1><p class="source">${sourceLine(report, { text: esc, code, shape })}</p></header>`,
    totalsSection(report, memory, roofline),
    section('layers', 'MACs and params per layer', figure(layersChart(report))),
    opsSection(modules, opsChart(modules)),
    section('receptive-field', 'Receptive field along depth', figure(receptiveFieldChart(report))),
    input.erf ? erfSection(input.erf) : '',
    memory ? memorySection(memory, input.footprint ?? memory.torchinfo, memoryChart(report, memory)) : noMemorySection(input.footprint ?? footprintFromReport(report)),
    roofline ? rooflineSection(roofline, rooflineChart(roofline)) : '',
    input.deployed ? deployedHtml(input.deployed) : '',
    input.convention ? conventionSection(input.convention) : '',
    modules.tree.depth > 0 ? modulesSection(modules) : '',
    o.topK > 0 ? topSection(modules) : '',
    conventionsSection(report),
    warningsSection(report),
  ];
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${esc(documentPolicy())}">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="convlens">' +
    `<link rel="icon" href="data:,"><title>${esc(title)}</title><style>${REPORT_CSS}</style></head>` +
    `<body><main>${parts.join('\n')}</main></body></html>\n`
  );
}
