/**
 * A resolution sweep as Markdown (CLI `convlens sweep --format md`, REST `POST /v1/sweep?format=md`):
 * its head (title, latency note, the table's head) and a row per size, which the CLI writes as each
 * size is analysed (cli/sweep-stream.ts); sweepMarkdown is the two together.
 */
import type { SweepHead, SweepReport } from '../sweep.js';
import { code, exact, fieldCell, seconds as mdSeconds, table as mdTable, text as mdText } from './md.js';

type SweepEntry = SweepReport['sizes'][number];

const headCells = (r: SweepHead) => ['size', 'valid', 'params', 'MACs', `peak activations (bytes, ${r.dtype}${r.inPlace ? ', in place' : ''})`, ...(r.device !== null ? ['latency (lower bound)'] : []), 'final map', 'receptive field', 'notes'];
const align = (r: SweepHead) => `llrrr${r.device !== null ? 'r' : ''}lll`;

const cells = (r: SweepHead, e: SweepEntry) => [
  e.size.join('×'),
  e.status === 'error' ? '❌ error' : e.valid ? '✅' : '⚠️',
  e.params === null ? '—' : exact(e.params),
  e.macs === null ? '—' : exact(e.macs),
  e.peakActivationBytes === null ? '—' : exact(e.peakActivationBytes),
  ...(r.device !== null ? [e.latencySeconds === null ? '—' : mdSeconds(e.latencySeconds)] : []),
  e.finalFeatureMap?.join('×') ?? '—',
  e.receptiveField ? fieldCell(e.receptiveField) : '—',
  mdText(e.reasons.join('; ')),
];

/** The lines before the first row: title, latency note, the table's head and rule (no final line break). */
export function sweepMarkdownHead(r: SweepHead): string {
  return [
    `## convlens sweep: ${code(r.name)}, input ${code(r.input)} (built for ${r.reference.size.join('×')})`,
    ...(r.device ? [`Latency: a roofline lower bound on ${mdText(r.device.name)} (${r.device.dtype}).`] : []),
    mdTable(headCells(r), [], align(r)),
  ].join('\n\n');
}

/** One size's row (one line, no line break). */
export const sweepMarkdownRow = (r: SweepHead, e: SweepEntry): string => mdTable(headCells(r), [cells(r, e)], align(r)).split('\n')[2];

export function sweepMarkdown(r: SweepReport): string {
  return [sweepMarkdownHead(r), ...r.sizes.map((e) => sweepMarkdownRow(r, e))].join('\n') + '\n';
}
