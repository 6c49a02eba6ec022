/**
 * One network's report as GitHub-flavoured Markdown, for pull-request comments and
 * `--format md`: what was analysed, the totals (exact), the counting conventions (so a number can
 * be compared with another tool's), the module tree at a depth, the costliest layers, the
 * breakdown by op type, and the warnings. Long tables fold into <details>.
 */
import { z } from 'zod';
import { DEFAULT_MODULE_DEPTH, DEFAULT_TOP_K, MAX_MODULE_DEPTH, flattenModules, moduleSummary } from '../modules.js';
import type { ModuleSummary, TopMetric } from '../modules.js';
import type { Report } from '../report.js';
import { code, compact, details, exact, shape, share, table, text } from './md.js';
import { someNames, warningsByCode } from './html-limits.js';
import { sourceLine } from './source-line.js';

export const MarkdownOptionsSchema = z.strictObject({
  depth: z.number().int().min(0).max(MAX_MODULE_DEPTH).default(DEFAULT_MODULE_DEPTH).describe('torchinfo-style depth of the module table'),
  topK: z.number().int().min(0).max(100).default(DEFAULT_TOP_K).describe('rows of each costliest-layers table'),
  heading: z.number().int().min(1).max(4).default(2).describe('level of the title heading (sections one below)'),
  foldRows: z.number().int().min(0).default(30).describe('tables longer than this fold into <details>'),
});
export type MarkdownOptions = z.infer<typeof MarkdownOptionsSchema>;


function totalsTable(r: Report): string {
  const t = r.totals;
  const head = ['params', 'buffers', 'MACs', `FLOPs (${r.conventions.flops})`, 'memory access (bytes)', 'layers', 'depth', 'width'];
  const row = [t.params, t.buffers, t.macs, t.flops, t.memoryAccess.bytes, t.layers, r.structure.depth, r.structure.width].map(exact);
  const readable = [t.params, t.buffers, t.macs, t.flops, t.memoryAccess.bytes].map(compact);
  return table(head, [row, [...readable, '', '', ''].map((c) => (c ? `≈ ${c}` : ''))], 'rrrrrrrr');
}

function conventions(r: Report): string {
  const c = r.conventions;
  return [
    `- **MACs**: ${text(c.macs)}`,
    `- **FLOPs** (${code(c.flops)}): ${text(c.flopsDescription)}`,
    `- **bias**: ${c.includeBias ? 'bias additions counted in FLOPs' : 'bias additions not counted'}`,
    `- **memory access**: inputs + outputs + weights of each layer, ${code(c.dtype)} (${c.bytesPerElement} bytes per element)`,
    `- **params**: trainable (weights, bias, BN γ/β); **buffers**: non-trainable state (BN running mean, variance and num_batches_tracked, Swin's relative-position index)`,
    `- **receptive field**: ${text(c.receptiveField)}`,
  ].join('\n');
}

function fold(rows: number, limit: number, summary: string, body: string): string {
  return rows > limit ? details(summary, body) : body;
}

function modulesSection(s: ModuleSummary, o: MarkdownOptions): string {
  const rows = flattenModules(s.tree.modules).map((m) => [
    `${'&nbsp;&nbsp;'.repeat(m.depth - 1)}${code(m.path)}${m.truncated ? ' …' : ''}`,
    m.op ? code(m.op) : '',
    String(m.layers),
    compact(m.params),
    share(m.share.params),
    compact(m.macs),
    share(m.share.macs),
    compact(m.memoryBytes),
    share(m.share.memoryBytes),
  ]);
  const body = table(['module', 'op', 'layers', 'params', '%', 'MACs', '%', 'memory (bytes)', '%'], rows, 'llrrrrrrr');
  return fold(rows.length, o.foldRows, `${rows.length} modules`, body);
}

const TOP_TITLES: Record<TopMetric, string> = { macs: 'MACs', params: 'params', flops: 'FLOPs', memoryBytes: 'memory access (bytes)' };

function topSection(s: ModuleSummary, metrics: TopMetric[]): string {
  return metrics
    .filter((m) => s.top[m].length > 0)
    .map((m) => {
      const rows = s.top[m].map((l, i) => [String(i + 1), code(l.name), code(l.op), compact(l.value), share(l.share)]);
      return `**by ${TOP_TITLES[m]}**\n\n${table(['#', 'layer', 'op', TOP_TITLES[m], 'share'], rows, 'rllrr')}`;
    })
    .join('\n\n');
}

function opsSection(s: ModuleSummary, o: MarkdownOptions): string {
  const rows = s.ops.map((x) => [code(x.op), String(x.count), compact(x.params), share(x.share.params), compact(x.macs), share(x.share.macs), compact(x.flops), share(x.share.flops), compact(x.memoryBytes), share(x.share.memoryBytes)]);
  const body = table(['op', 'count', 'params', '%', 'MACs', '%', 'FLOPs', '%', 'memory (bytes)', '%'], rows, 'lrrrrrrrrr');
  return fold(rows.length, o.foldRows, `${rows.length} op types`, body);
}

function warningsSection(r: Report): string {
  if (r.warnings.length === 0) return 'None.';
  // the first few of each code, then one line for the rest of it (an import warned once a layer)
  const { rows, more } = warningsByCode(r.warnings);
  return [
    ...rows.map((w) => `- **${w.severity}** ${code(w.code)}: ${text(w.message)}${w.layer ? ` (layer ${code(w.layer)})` : ''}`),
    ...more.map((m) => {
      const { names, more: unnamed } = someNames(m.layers, 10);
      const at = names.length ? ` at ${names.map(code).join(', ')}${unnamed ? ` and ${unnamed.toLocaleString('en-US')} more` : ''}` : '';
      return `- **${m.severity}** ${code(m.code)}: ${m.count.toLocaleString('en-US')} more like those above${at} (the JSON report lists each)`;
    }),
  ].join('\n');
}

/** The report as Markdown (see the header). */
export function reportMarkdown(report: Report, options: Partial<MarkdownOptions> = {}): string {
  const o = MarkdownOptionsSchema.parse(options);
  const s = moduleSummary(report, { depth: o.depth, topK: o.topK });
  const h = '#'.repeat(o.heading);
  const hh = '#'.repeat(o.heading + 1);
  const parts = [`${h} convlens report: ${code(report.name)}`, sourceLine(report, { text, code, shape }), totalsTable(report)];
  if (!report.totals.complete) {
    const list = report.totals.unsupported.map((u) => `${u.count}× ${code(u.opType)}`).join(', ');
    parts.push(`> [!WARNING]\n> Incomplete analysis: unsupported operators ${list}. The counts cover the analysed layers only (lower bounds).`);
  }
  parts.push(`${hh} Conventions`, conventions(report));
  if (o.depth > 0) parts.push(`${hh} Modules (depth ${o.depth})`, modulesSection(s, o));
  if (o.topK > 0) parts.push(`${hh} Costliest layers`, topSection(s, ['macs', 'params', 'memoryBytes']));
  parts.push(`${hh} By op type`, opsSection(s, o), `${hh} Warnings`, warningsSection(report));
  return parts.join('\n\n') + '\n';
}
