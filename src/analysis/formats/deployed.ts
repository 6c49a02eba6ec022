/**
 * The deployed graph (analysis/deployed.ts) as a Markdown section (PR comments, `--format md`) and
 * an HTML section (`--format html`): trained and deployed totals side by side with the change, the
 * memory-access drop, the fused groups (host, what fused into it, memory before and after) and the
 * layers that could not fuse, with why.
 */
import type { DeployedReport, FusedGroup } from '../deployed.js';
import { code, details, exact, signed, table as mdTable, text as mdText } from './md.js';
import { stackedRow } from './charts.js';
import { esc, legend, plural, si, svgChart } from './svg.js';

/** Fused groups listed in full up to this many; past it, the ones that save the most memory. */
export const DEPLOYED_GROUPS_SHOWN = 60;

const percentOf = (d: number, base: number) => (base === 0 ? null : (d / base) * 100);
const signedPct = (p: number | null) => (p === null ? '—' : p === 0 ? '0%' : `${p > 0 ? '+' : '−'}${Math.abs(p).toFixed(2)}%`);

interface Row {
  label: string;
  trained: number;
  deployed: number;
}

function rows(d: DeployedReport): Row[] {
  return [
    { label: 'params', trained: d.trained.params, deployed: d.deployed.params },
    { label: 'buffers (non-trainable state)', trained: d.trained.buffers, deployed: d.deployed.buffers },
    { label: 'MACs', trained: d.trained.macs, deployed: d.deployed.macs },
    { label: `FLOPs (${d.flops})`, trained: d.trained.flops, deployed: d.deployed.flops },
    { label: `memory access (bytes, ${d.dtype})`, trained: d.trained.memoryAccess.bytes, deployed: d.deployed.memoryAccess.bytes },
    { label: 'kernels (executed layers)', trained: d.kernels.trained, deployed: d.kernels.deployed },
  ];
}

const fusionText = (g: FusedGroup) => g.fusions.join(' + ');

/** The groups to list: all of them, or the DEPLOYED_GROUPS_SHOWN saving the most memory. */
function shownGroups(d: DeployedReport): { groups: FusedGroup[]; more: number } {
  if (d.groups.length <= DEPLOYED_GROUPS_SHOWN) return { groups: d.groups, more: 0 };
  const groups = [...d.groups].sort((a, b) => b.memoryDrop.bytes - a.memoryDrop.bytes).slice(0, DEPLOYED_GROUPS_SHOWN);
  return { groups, more: d.groups.length - DEPLOYED_GROUPS_SHOWN };
}

/** `### Deployed graph`: totals, then the groups and unfused layers collapsed. */
export function deployedMarkdown(d: DeployedReport): string {
  const totals = mdTable(
    ['', 'trained', 'deployed', 'change'],
    rows(d).map((r) => [mdText(r.label), exact(r.trained), exact(r.deployed), `${signed(r.deployed - r.trained)} (${signedPct(percentOf(r.deployed - r.trained, r.trained))})`]),
    'lrrr',
  );
  const drop = d.memoryDrop;
  const { groups, more } = shownGroups(d);
  const groupTable = mdTable(
    ['layers', 'fused', 'memory trained (B)', 'deployed (B)', 'drop'],
    groups.map((g) => [g.layers.map(code).join(' → '), mdText(fusionText(g)), exact(g.trained.memoryAccess.bytes), exact(g.deployed.memoryAccess.bytes), `${exact(g.memoryDrop.bytes)} (${signedPct(g.memoryDrop.percent === null ? null : -g.memoryDrop.percent)})`]),
    'llrrr',
  );
  const parts = [
    '### Deployed graph (inference fusions)',
    `BN folded into the preceding conv, conv + residual add + activation fused where legal: **${d.groups.length}** fused ${d.groups.length === 1 ? 'group' : 'groups'}; memory access drops by **${exact(drop.bytes)} bytes**${drop.percent === null ? '' : ` (${drop.percent.toFixed(2)}%)`}.${d.complete ? '' : ' Incomplete analysis: lower bounds.'}`,
    totals,
  ];
  if (d.groups.length) parts.push(details(`Fused groups (${d.groups.length}${more ? `, the ${groups.length} saving the most shown` : ''})`, groupTable));
  if (d.unfused.length) {
    parts.push(details(`Not fused (${d.unfused.length})`, mdTable(['layer', 'op', 'why'], d.unfused.map((u) => [code(u.layer), code(u.op), mdText(u.reason)]))));
  }
  return parts.join('\n\n');
}

const numCell = (v: number) => `<td class="num">${esc(exact(v))}</td>`;

function htmlTable(head: string[], body: string[], cls: string): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

const CHART_W = 960;
const KEPT = '#0072B2';
const REMOVED = '#D55E00';

/**
 * Memory access before and after fusion as two bars on one scale: the trained graph's split into
 * what the deployed graph still moves and what the fusions remove; the deployed graph's alone.
 */
export function deployedChart(d: DeployedReport): { svg: string; note: string } {
  const trained = d.trained.memoryAccess.bytes;
  const kept = d.deployed.memoryAccess.bytes;
  const removed = Math.max(0, trained - kept);
  const left = 128;
  const full = CHART_W - left - 20;
  const rowH = 30;
  const pct = (v: number) => (trained > 0 ? `${((v / trained) * 100).toFixed(1)}%` : '');
  const rows = [
    stackedRow({ x: left, y: 12, w: full, h: rowH }, 'trained', [
      { value: kept, color: KEPT, label: `still moved ${si(kept, 'B')}`, short: pct(kept), tip: `moved by the deployed graph too: ${exact(kept)} bytes` },
      { value: removed, color: REMOVED, label: `removed ${si(removed, 'B')}`, short: pct(removed), tip: `removed by the fusions: ${exact(removed)} bytes (${pct(removed)})` },
    ]),
    stackedRow({ x: left, y: 12 + rowH + 12, w: trained > 0 ? (full * kept) / trained : full, h: rowH }, 'deployed', [
      { value: kept, color: KEPT, label: `${si(kept, 'B')}`, short: pct(kept), tip: `the deployed graph moves ${exact(kept)} bytes` },
    ]),
  ];
  const leg = legend(left, 12 + 2 * (rowH + 12) + 14, full, [
    { label: 'moved by both graphs', color: KEPT, shape: 'rect' },
    { label: 'removed by the fusions', color: REMOVED, shape: 'rect' },
  ]);
  const note = `Memory access (bytes read and written, ${d.dtype}) of the trained graph and of the deployed graph on one scale: BN folded into the convs, residual adds and activations done in the conv epilogues (${plural(d.groups.length, 'fused group')}, ${d.kernels.trained} layers → ${plural(d.kernels.deployed, 'kernel')}).`;
  const height = 12 + 2 * (rowH + 12) + 14 + leg.height + 4;
  return { svg: svgChart('deployed', CHART_W, height, 'Memory access, trained and deployed', note, rows.join('') + leg.svg), note };
}

/** `<section id="deployed">`: the same content as the Markdown, as the HTML report's tables. */
export function deployedHtml(d: DeployedReport): string {
  const totals = htmlTable(
    ['', 'trained', 'deployed', 'change'],
    rows(d).map(
      (r) => `<tr><th scope="row">${esc(r.label)}</th>${numCell(r.trained)}${numCell(r.deployed)}<td class="num">${esc(`${signed(r.deployed - r.trained)} (${signedPct(percentOf(r.deployed - r.trained, r.trained))})`)}</td></tr>`,
    ),
    'totals deployed',
  );
  const drop = d.memoryDrop;
  const { groups, more } = shownGroups(d);
  const groupRows = groups.map(
    (g) =>
      `<tr><td>${g.layers.map((l) => `<code>${esc(l)}</code>`).join(' → ')}</td><td>${esc(fusionText(g))}${g.biasAdded ? ' (bias added)' : ''}${g.residual ? `, adds <code>${esc(g.residual)}</code>` : ''}</td>` +
      `${numCell(g.trained.memoryAccess.bytes)}${numCell(g.deployed.memoryAccess.bytes)}<td class="num">${esc(`${exact(g.memoryDrop.bytes)}${g.memoryDrop.percent === null ? '' : ` (${g.memoryDrop.percent.toFixed(1)}%)`}`)}</td></tr>`,
  );
  const chart = deployedChart(d);
  const unfused = d.unfused.map((u) => `<tr><td><code>${esc(u.layer)}</code></td><td><code>${esc(u.op)}</code></td><td>${esc(u.reason)}</td></tr>`);
  return (
    `<section id="deployed"><h2>Deployed graph (inference fusions)</h2>` +
    `<figure class="chart">${chart.svg}<figcaption>${esc(chart.note)}</figcaption></figure>` +
    `<p>Memory access drops by <b data-field="deployedMemoryDrop">${esc(exact(drop.bytes))}</b> bytes (${esc(si(drop.bytes, 'B'))}${drop.percent === null ? '' : `, ${esc(drop.percent.toFixed(2))}%`}) ` +
    `with ${plural(d.groups.length, 'fused group')}; ${plural(d.kernels.trained, 'layer')} run as ${plural(d.kernels.deployed, 'kernel')}.${d.complete ? '' : ' Incomplete analysis: lower bounds.'}</p>` +
    totals +
    (groups.length ? `<h3>Fused groups${more ? ` (the ${groups.length} saving the most memory of ${d.groups.length})` : ''}</h3>` + htmlTable(['layers', 'fused', 'memory trained (bytes)', 'deployed (bytes)', 'drop'], groupRows, 'groups') : '') +
    (unfused.length ? `<h3>Not fused</h3>` + htmlTable(['layer', 'op', 'why'], unfused, 'unfused') : '') +
    `<h3>Rules</h3><ul class="small">${d.fusions.map((f) => `<li>${esc(f)}</li>`).join('')}</ul></section>`
  );
}
