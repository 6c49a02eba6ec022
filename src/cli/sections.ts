/**
 * The extra sections `convlens analyze` prints after its table (and appends to --format md) when
 * asked: the module tree at --depth, peak memory (--memory), the roofline latency lower bound
 * (--device), another tool's count (--convention) and the deployed graph (--deployed).
 */
import type { DeployedReport } from '../analysis/deployed.js';
import type { MemoryReport } from '../analysis/memory.js';
import { flattenModules, moduleSummary } from '../analysis/modules.js';
import type { Report } from '../analysis/report.js';
import type { RooflineReport } from '../analysis/roofline.js';
import type { ConventionCount } from '../conventions/index.js';
import { ROOFLINE_TOP, slowest } from '../analysis/formats/extras-markdown.js';
import { human, withUnit } from './format.js';


/** Left-aligned columns, two spaces apart; `right` columns (by index) right-aligned. */
export function columns(head: string[], rows: string[][], right: number[] = []): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  // the last column is free text, not padded: its rule stops at 40 characters (an operator's summary runs to hundreds)
  const rule = widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? Math.min(w, Math.max(head[i].length, 40)) : w));
  return [line(head), line(rule), ...rows.map(line)].join('\n');
}

const pct = (p: number | null) => (p === null ? '-' : `${p.toFixed(2)}%`);

/** 0.0123 → "12.3 ms". */
export function secondsText(s: number): string {
  if (s === 0) return '0 s';
  if (s >= 1) return `${s.toPrecision(4)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toPrecision(4)} ms`;
  if (s >= 1e-6) return `${(s * 1e6).toPrecision(4)} µs`;
  return `${(s * 1e9).toPrecision(4)} ns`;
}

export function modulesText(report: Report, depth: number): string {
  const s = moduleSummary(report, { depth, topK: 0 });
  const rows = flattenModules(s.tree.modules).map((m) => [
    `${'  '.repeat(m.depth - 1)}${m.name}`,
    String(m.layers),
    human(m.params),
    human(m.macs),
    pct(m.share.macs),
  ]);
  return [`modules (depth ${depth}):`, columns(['module', 'layers', 'params', 'MACs', 'MACs %'], rows, [1, 2, 3, 4])].join('\n');
}

export function memoryText(m: MemoryReport): string {
  const at = m.peak.layer === null ? '' : ` at layer ${m.peak.layer} (step ${m.peak.step})`;
  const live = m.peak.live
    .slice(0, 5)
    .map((t) => `${t.name} ${t.shape.join('×')} ${withUnit(t.bytes, 'B')}`)
    .join(', ');
  return [
    `peak activation memory: ${m.peak.bytes.toLocaleString('en-US')} B (${withUnit(m.peak.bytes, 'B')}, ${m.dtype})${at}${m.inPlace ? ', in-place element-wise layers' : ''}${m.complete ? '' : ' (a lower bound: some tensors have no known shape)'}`,
    ...(live ? [`  live at the peak: ${live}${m.peak.live.length > 5 ? `, … (${m.peak.live.length} in all)` : ''}`] : []),
    `weights: ${m.weights.bytes.toLocaleString('en-US')} B; peak activations + weights: ${m.totalBytes.toLocaleString('en-US')} B`,
    `torchinfo footprint: ${m.torchinfo.lines.join('; ')}`,
  ].join('\n');
}


export function rooflineText(r: RooflineReport): string {
  const t = r.totals;
  const d = r.device;
  const rows = slowest(r).map((l) => [l.name, l.op, secondsText(l.seconds), l.bound, l.arithmeticIntensity === null ? '-' : l.arithmeticIntensity.toFixed(1)]);
  return [
    `latency on ${d.name} (${d.dtype}${d.computeDtype !== d.dtype ? `, computed at ${d.computeDtype}` : ''}): at least ${secondsText(t.seconds)} ` +
      `(${t.computeBoundLayers} layers compute-bound, ${secondsText(t.computeBoundSeconds)}; ${t.memoryBoundLayers} memory-bound, ${secondsText(t.memoryBoundSeconds)}; ridge ${d.ridgePoint.toFixed(1)} FLOP/byte)`,
    `  ${r.note}`,
    ...(r.fallback ? [`  ${r.fallback.reason}`] : []),
    ...(r.skipped.length ? [`  not counted (unsupported): ${r.skipped.join(', ')}`] : []),
    `slowest layers:`,
    columns(['layer', 'op', 'time', 'bound', 'FLOP/byte'], rows, [2, 4]),
  ].join('\n');
}

export function conventionText(c: ConventionCount): string {
  const rows = c.byFamily.map((f) => [f.family, String(f.layers), f.count.toLocaleString('en-US'), f.convlensMacs.toLocaleString('en-US'), f.difference.toLocaleString('en-US'), f.why]);
  return [`convention ${c.preset} (${c.version}): ${c.headline}`, columns(['family', 'layers', c.unit, 'convlens MACs', 'difference', 'why'], rows, [1, 2, 3, 4])].join('\n');
}

/** The deployed graph: totals before and after the inference fusions, the groups saving the most memory. */
export function deployedText(d: DeployedReport): string {
  const line = (label: string, a: number, b: number) => [label, a.toLocaleString('en-US'), b.toLocaleString('en-US'), (b - a).toLocaleString('en-US'), pct(a === 0 ? null : ((b - a) / a) * 100)];
  const rows = [
    line('params', d.trained.params, d.deployed.params),
    line('buffers', d.trained.buffers, d.deployed.buffers),
    line('MACs', d.trained.macs, d.deployed.macs),
    line(`FLOPs (${d.flops})`, d.trained.flops, d.deployed.flops),
    line(`memory access (B, ${d.dtype})`, d.trained.memoryAccess.bytes, d.deployed.memoryAccess.bytes),
    line('kernels', d.kernels.trained, d.kernels.deployed),
  ];
  const top = [...d.groups].sort((a, b) => b.memoryDrop.bytes - a.memoryDrop.bytes).slice(0, ROOFLINE_TOP);
  return [
    `deployed graph (BN folded into convs, conv + add + activation fused): ${d.groups.length} fused groups, memory access −${d.memoryDrop.bytes.toLocaleString('en-US')} B (${pct(d.memoryDrop.percent)})${d.complete ? '' : ' (incomplete analysis: lower bounds)'}`,
    columns(['', 'trained', 'deployed', 'change', 'change %'], rows, [1, 2, 3, 4]),
    ...(top.length ? ['largest memory drops:', columns(['layers', 'fused', 'drop (B)'], top.map((g) => [g.layers.join(' → '), g.fusions.join(' + '), g.memoryDrop.bytes.toLocaleString('en-US')]), [2])] : []),
    ...(d.unfused.length ? [`not fused: ${d.unfused.slice(0, 5).map((u) => `${u.layer} (${u.reason})`).join('; ')}${d.unfused.length > 5 ? `; … (${d.unfused.length} in all)` : ''}`] : []),
  ].join('\n');
}

/** The same sections as Markdown, appended to reportMarkdown's document. */
