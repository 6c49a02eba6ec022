/**
 * `convlens sweep`'s report written as the sweep goes, as a Unix tool writes: the head once the
 * reference is analysed, a row per size as soon as it is, the end last. A reader that goes away
 * (`convlens sweep … | head -1`) is noticed at the next write, which fails with EPIPE, and the
 * sweep stops there (Io.stopIfOutClosed: killed by SIGPIPE, as `yes | head -1`'s yes is); written
 * all at the end, the report kept every size computing for a reader long gone. With --out FILE
 * the report is written at the end (emit), in the same text.
 *
 * The table's columns have fixed widths so that a row can be written before the next is known:
 * size as wide as the widest size asked for, params and MACs 9 (`999.999 M`), the rest their
 * heading's width (a wider cell pushes its row's later cells right rather than waiting).
 */
import { fieldCell } from '../analysis/formats/md.js';
import { sweepMarkdownHead, sweepMarkdownRow } from '../analysis/formats/sweep-markdown.js';
import type { SweepHead, SweepReport } from '../analysis/sweep.js';
import { human, withUnit } from './format.js';
import type { Io } from './io.js';
import { secondsText } from './sections.js';

type SweepEntry = SweepReport['sizes'][number];
export type SweepFormat = 'table' | 'json' | 'md';

/** `160×160`, `320×480`: a size as the table's first column and stderr's lines name it. */
export const sizeLabel = (s: number | readonly number[]) => (typeof s === 'number' ? `${s}×${s}` : s.join('×'));

const tableHeadCells = (h: SweepHead) => ['size', 'valid', 'params', 'MACs', `peak activations (${h.dtype}${h.inPlace ? ', in place' : ''})`, ...(h.device !== null ? ['latency ≥'] : []), 'final map', 'RF h×w/stride h×w'];

function tableLayout(h: SweepHead, sizeWidth: number) {
  const head = tableHeadCells(h);
  const widths = head.map((c, i) => Math.max(c.length, i === 0 ? sizeWidth : i === 2 || i === 3 ? 9 : 0));
  const right = new Set([2, 3, 4, ...(h.device !== null ? [5] : [])]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return { head, widths, line };
}

/** The table's lines before the first row: what was swept, then the column heads and their rule. */
export function sweepTableHead(h: SweepHead, sizeWidth: number): string {
  const { head, widths, line } = tableLayout(h, sizeWidth);
  return [
    `input '${h.input}', built for ${h.reference.size.join('×')}${h.reference.validInputSizes ? `; valid sizes: ${h.reference.validInputSizes}` : ''}${h.device ? `; latency: roofline lower bound on ${h.device.name} (${h.device.dtype})` : ''}`,
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
  ].join('\n');
}

export function sweepTableRow(h: SweepHead, e: SweepEntry, sizeWidth: number): string {
  return tableLayout(h, sizeWidth).line([
    e.size.join('×'),
    e.status === 'error' ? 'error' : e.valid ? 'yes' : 'no',
    e.params === null ? '-' : human(e.params),
    e.macs === null ? '-' : human(e.macs),
    e.peakActivationBytes === null ? '-' : withUnit(e.peakActivationBytes, 'B'),
    ...(h.device !== null ? [e.latencySeconds === null ? '-' : secondsText(e.latencySeconds)] : []),
    e.finalFeatureMap?.join('×') ?? '-',
    e.receptiveField ? fieldCell(e.receptiveField) : '-',
  ]);
}

/** After the rows: each size's reasons (not k·2^n, an error), after a blank line; '' when none. */
export function sweepTableEnd(r: SweepReport): string {
  const reasons = r.sizes.filter((e) => e.reasons.length).map((e) => `${e.size.join('×')}: ${e.reasons.join('; ')}`);
  return reasons.length ? ['', ...reasons].join('\n') : '';
}

export function sweepTable(r: SweepReport): string {
  const width = Math.max(0, ...r.sizes.map((e) => sizeLabel(e.size).length));
  return [sweepTableHead(r, width), ...r.sizes.map((e) => sweepTableRow(r, e, width)), ...(r.sizes.some((e) => e.reasons.length) ? [sweepTableEnd(r)] : [])].join('\n');
}

/** JSON.stringify(report, null, 2)'s text, in pieces: the head's fields, then each size (its `,` with the next). */
const indent = (text: string, by: string) => text.replace(/\n/g, `\n${by}`);

export interface SweepStream {
  head(h: SweepHead): void;
  row(e: SweepEntry): void;
  end(r: SweepReport): void;
}

/**
 * Writes the report on stdout as it comes (see the header), in the text the whole report would
 * have: the same bytes as sweepTable, sweepMarkdown and JSON.stringify(report, null, 2). After each
 * write, a reader gone stops the process (io.stopIfOutClosed).
 */
export function sweepStream(io: Io, format: SweepFormat, sizes: readonly (number | readonly number[])[]): SweepStream {
  const sizeWidth = Math.max(0, ...sizes.map((s) => sizeLabel(s).length));
  const out = (text: string) => {
    io.out(text);
    io.stopIfOutClosed?.();
  };
  let head: SweepHead | undefined;
  // JSON: a size's text waits for the next (or the end) to know whether a comma follows it
  let held: string | undefined;
  return {
    head(h) {
      head = h;
      if (format === 'table') out(sweepTableHead(h, sizeWidth));
      else if (format === 'md') out(sweepMarkdownHead(h));
      else out(JSON.stringify({ ...h, sizes: [] }, null, 2).replace(/\[\]\n\}$/, '['));
    },
    row(e) {
      if (format === 'table') out(sweepTableRow(head!, e, sizeWidth));
      else if (format === 'md') out(sweepMarkdownRow(head!, e));
      else {
        if (held !== undefined) out(`${held},`);
        held = `    ${indent(JSON.stringify(e, null, 2), '    ')}`;
      }
    },
    end(r) {
      if (format === 'table') {
        const end = sweepTableEnd(r);
        if (end !== '') out(end);
      } else if (format === 'json') out(`${held ?? ''}\n  ]\n}`.replace(/^\n/, ''));
    },
  };
}
