/**
 * The CLI's report formats besides JSON: a human table and a CSV for spreadsheets and pipelines.
 * Receptive fields show both axes. A global field (after global pooling, flatten or linear: every
 * unit sees the whole input) has no meaningful size or stride, so it prints as `global` in the
 * table and as rf_global=true with empty size and stride columns in the CSV.
 */
import { fieldCell } from '../analysis/formats/md.js';
import type { LayerReport, Report } from '../analysis/report.js';

type Field = LayerReport['receptiveField'];

/** 1234567 → "1.235 M"; below 1000 the number itself. */
export const human = (n: number) =>
  n >= 1e9 ? `${(n / 1e9).toFixed(3)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(3)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n);


export function table(r: Report): string {
  const rows = r.layers.map((l) => [l.name, l.op, l.outputShape ? JSON.stringify(l.outputShape) : '?', human(l.params), human(l.macs), fieldCell(l.receptiveField)]);
  const head = ['layer', 'op', 'output', 'params', 'MACs', 'RF h×w/stride h×w'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const t = r.totals;
  return [
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `total: ${t.params.toLocaleString('en-US')} params, ${human(t.macs)}MACs, ${human(t.flops)}FLOPs (${r.conventions.flops}), memory ${human(t.memoryAccess.bytes)}B, depth ${r.structure.depth}, width ${r.structure.width}${t.complete ? '' : ', INCOMPLETE (unsupported operators: the counts cover the analysed layers only)'}`,
    ...r.warnings.map((w) => `${w.severity}: ${w.code}: ${w.message}`),
  ].join('\n');
}

export const CSV_COLUMNS = ['layer', 'op', 'output', 'params', 'macs', 'flops', 'memory_bytes', 'rf_h', 'rf_w', 'rf_stride_h', 'rf_stride_w', 'rf_global'] as const;
/** The name of the CSV's last row, which holds the report's totals. */
export const CSV_TOTAL_ROW = 'TOTAL';

/** RFC 4180 field: quoted when it holds a comma, a quote or a line break. */
const cell = (v: string | number | boolean | undefined) => {
  const s = v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

function fieldCells(f: Field): (number | boolean | undefined)[] {
  if (!f) return [undefined, undefined, undefined, undefined, undefined];
  if (f.global) return [undefined, undefined, undefined, undefined, true];
  return [f.size[0], f.size[1], f.stride[0], f.stride[1], false];
}

/** One row per layer, then a TOTAL row with the totals (no op, output or field). */
export function csv(r: Report): string {
  const rows = r.layers.map((l) => [l.name, l.op, l.outputShape?.join('x'), l.params, l.macs, l.flops, l.memoryAccess.bytes, ...fieldCells(l.receptiveField)]);
  const t = r.totals;
  rows.push([CSV_TOTAL_ROW, undefined, undefined, t.params, t.macs, t.flops, t.memoryAccess.bytes, ...fieldCells(null)]);
  return [CSV_COLUMNS.join(','), ...rows.map((row) => row.map(cell).join(','))].join('\n');
}
