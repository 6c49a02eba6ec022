/**
 * A comparison (analysis/compare.ts) as GitHub-flavoured Markdown for a pull-request comment:
 * the gate verdict first when gates were given, a summary table of totals with exact deltas,
 * arrows (▲ more, ▼ less, = unchanged) and percentages, the most changed layers, and the added
 * and removed layers folded into <details>.
 */
import { z } from 'zod';
import { METRIC_LABELS } from '../compare.js';
import type { CompareMetric, Comparison, GateVerdict, LayerDiff, LayerRef } from '../compare.js';
import { arrow, code, compact, details, exact, seconds, shape, signed, signedPercent, table, text } from './md.js';

export const CompareMarkdownOptionsSchema = z.strictObject({
  topChanged: z.number().int().min(0).max(1000).default(10).describe('rows of the changed-layers table'),
  listLimit: z.number().int().min(0).max(10000).default(100).describe('added or removed layers listed before "… and N more"'),
  heading: z.number().int().min(1).max(4).default(2).describe('level of the title heading (sections one below)'),
});
export type CompareMarkdownOptions = z.infer<typeof CompareMarkdownOptionsSchema>;

const value = (m: CompareMetric, v: number) => (m === 'latencySeconds' ? seconds(v) : exact(v));

function summary(cmp: Comparison): string {
  const rows = cmp.totals.map((t) => [
    METRIC_LABELS[t.metric],
    value(t.metric, t.before),
    value(t.metric, t.after),
    `${arrow(t.delta)} ${signed(t.delta, (n) => value(t.metric, n))}`,
    signedPercent(t.percent),
  ]);
  return table(['metric', 'before', 'after', 'Δ', 'Δ %'], rows, 'lrrrr');
}

function gatesSection(v: GateVerdict): string {
  const icon = { pass: '✅', fail: '❌', unknown: '⚠️' } as const;
  const failed = v.results.filter((r) => r.status === 'fail').length;
  const unknown = v.results.filter((r) => r.status === 'unknown').length;
  const head = v.passed
    ? `✅ **${v.results.length === 1 ? 'The gate' : `All ${v.results.length} gates`} passed.**`
    : `${failed ? '❌' : '⚠️'} **${[failed ? v.results.length === 1 ? 'The gate failed' : `${failed} of ${v.results.length} gates failed` : '', unknown ? `${unknown} could not be checked` : ''].filter(Boolean).join(', ')}.**`;
  const lines = v.results.map((r) => {
    const d = r.delta;
    const change = d ? `${METRIC_LABELS[r.metric]} ${value(r.metric, d.before)} → ${value(r.metric, d.after)} (${signed(d.delta, (n) => value(r.metric, n))}, ${signedPercent(d.percent)})` : '';
    const verdict = r.status === 'pass' ? 'within the limit' : r.status === 'fail' ? 'over the limit' : r.reason === 'incomplete' ? 'cannot be checked: an analysis is incomplete' : 'cannot be checked: not available on both sides';
    return `- ${icon[r.status]} ${code(`${r.givenAs} ${r.threshold}`)}: ${[change, verdict].filter(Boolean).join(': ')}`;
  });
  return [head, '', ...lines].join('\n');
}

const magnitude = (d: LayerDiff) => [Math.abs(d.macs.delta), Math.abs(d.params.delta), Math.abs(d.memoryBytes.delta)];

function layerName(d: LayerDiff): string {
  return d.before === d.after ? code(d.after) : `${code(d.before)} → ${code(d.after)}`;
}

function changedSection(cmp: Comparison, limit: number): string | null {
  const changed = cmp.layers.matched.filter((d) => d.changed);
  if (changed.length === 0) return null;
  const top = changed
    .map((d, i) => ({ d, i, k: magnitude(d) }))
    .sort((a, b) => b.k[0] - a.k[0] || b.k[1] - a.k[1] || b.k[2] - a.k[2] || a.i - b.i)
    .slice(0, limit);
  const rows = top.map(({ d }) => [
    layerName(d),
    d.op.before === d.op.after ? code(d.op.after) : `${code(d.op.before)} → ${code(d.op.after)}`,
    shape(d.outputShape.before) === shape(d.outputShape.after) ? shape(d.outputShape.after) : `${shape(d.outputShape.before)} → ${shape(d.outputShape.after)}`,
    signed(d.params.delta, compact),
    signed(d.macs.delta, compact),
    signed(d.memoryBytes.delta, compact),
    d.matchedBy,
  ]);
  const note = changed.length > top.length ? `\n\n${top.length} of ${changed.length} changed layers shown, by |Δ MACs|, then |Δ params|.` : '';
  return table(['layer', 'op', 'output', 'Δ params', 'Δ MACs', 'Δ memory (bytes)', 'matched by'], rows, 'lllrrrl') + note;
}

function listSection(what: 'added' | 'removed', layers: readonly LayerRef[], limit: number, sign: 1 | -1): string | null {
  if (layers.length === 0) return null;
  const sum = (f: (l: LayerRef) => number) => sign * layers.reduce((s, l) => s + f(l), 0);
  const lines = layers.slice(0, limit).map((l) => `- ${code(l.name)} ${code(l.op)} ${shape(l.outputShape)}: ${compact(l.params)} params, ${compact(l.macs)} MACs`);
  if (layers.length > limit) lines.push(`- … and ${layers.length - limit} more`);
  const title = `${layers.length} ${layers.length === 1 ? 'layer' : 'layers'} ${what} (${signed(sum((l) => l.params), compact)} params, ${signed(sum((l) => l.macs), compact)} MACs)`;
  return details(title, lines.join('\n'));
}

/** The comparison as Markdown; `gates`, when given, is shown first. */
export function comparisonMarkdown(cmp: Comparison, gates?: GateVerdict, options: Partial<CompareMarkdownOptions> = {}): string {
  const o = CompareMarkdownOptionsSchema.parse(options);
  const h = '#'.repeat(o.heading);
  const hh = '#'.repeat(o.heading + 1);
  // one model at two input sizes (or batches) reads the same by name: the shapes tell the sides apart
  const shapes = (s: Comparison['before']) => s.inputs.map((i) => `[${i.shape.join(', ')}]`).join(', ');
  const named = (s: Comparison['before']) => (cmp.before.name === cmp.after.name && shapes(cmp.before) !== shapes(cmp.after) ? `${code(s.name)} at ${shapes(s)}` : code(s.name));
  const parts = [`${h} convlens: ${named(cmp.before)} → ${named(cmp.after)}`];
  if (gates && gates.results.length > 0) parts.push(gatesSection(gates));
  const notes: string[] = [];
  if (!cmp.complete) notes.push('an analysis is incomplete (unsupported operators): its totals are lower bounds, and the deltas prove nothing');
  if (cmp.conventionsDiffer.length) notes.push(`the two reports count differently (${cmp.conventionsDiffer.map(text).join('; ')}): FLOPs and bytes compare different things`);
  if (notes.length) parts.push(`> [!WARNING]\n${notes.map((n) => `> ${n[0].toUpperCase()}${n.slice(1)}.`).join('\n>\n')}`);
  parts.push(summary(cmp));
  const changed = changedSection(cmp, o.topChanged);
  const { added, removed, matched } = cmp.layers;
  const renamed = matched.filter((d) => d.matchedBy !== 'name').length;
  parts.push(
    `${matched.length} ${matched.length === 1 ? 'layer' : 'layers'} matched (${matched.length - renamed} by name, ${renamed} by module path or position), ` +
      `${matched.filter((d) => d.changed).length} changed, ${added.length} added, ${removed.length} removed.`,
  );
  if (changed && o.topChanged > 0) parts.push(`${hh} Changed layers`, changed);
  const a = listSection('added', added, o.listLimit, 1);
  const r = listSection('removed', removed, o.listLimit, -1);
  if (a || r) parts.push(`${hh} Added and removed layers`, ...[a, r].filter((x): x is string => x !== null));
  return parts.join('\n\n') + '\n';
}
