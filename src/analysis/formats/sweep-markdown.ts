/** A resolution sweep as Markdown (CLI `convlens sweep --format md`, REST `POST /v1/sweep?format=md`). */
import type { SweepReport } from '../sweep.js';
import { code, exact, fieldCell, seconds as mdSeconds, table as mdTable, text as mdText } from './md.js';

export function sweepMarkdown(r: SweepReport): string {
  const latency = r.device !== null;
  const rows = r.sizes.map((e) => [
    e.size.join('×'),
    e.status === 'error' ? '❌ error' : e.valid ? '✅' : '⚠️',
    e.params === null ? '—' : exact(e.params),
    e.macs === null ? '—' : exact(e.macs),
    e.peakActivationBytes === null ? '—' : exact(e.peakActivationBytes),
    ...(latency ? [e.latencySeconds === null ? '—' : mdSeconds(e.latencySeconds)] : []),
    e.finalFeatureMap?.join('×') ?? '—',
    e.receptiveField ? fieldCell(e.receptiveField) : '—',
    mdText(e.reasons.join('; ')),
  ]);
  const head = ['size', 'valid', 'params', 'MACs', `peak activations (bytes, ${r.dtype}${r.inPlace ? ', in place' : ''})`, ...(latency ? ['latency (lower bound)'] : []), 'final map', 'receptive field', 'notes'];
  return [
    `## convlens sweep: ${code(r.name)}, input ${code(r.input)} (built for ${r.reference.size.join('×')})`,
    ...(r.device ? [`Latency: a roofline lower bound on ${mdText(r.device.name)} (${r.device.dtype}).`] : []),
    mdTable(head, rows, `llrrr${latency ? 'r' : ''}lll`),
  ].join('\n\n') + '\n';
}
