/**
 * The CLI's human table (its CSV is analysis/csv.ts, the one REST answers too). Receptive fields
 * show every axis (h×w for 2-D maps; 1-D and 3-D ones name theirs); a global field (after global pooling, flatten or linear: every unit sees the
 * whole input) has no meaningful size or stride, so it prints as `global`.
 */
import { fieldCell } from '../analysis/formats/md.js';
import { someNames, warningsByCode } from '../analysis/formats/html-limits.js';
import type { Report, ReportWarning } from '../analysis/report.js';


/** 1234567 → "1.235 M"; below 1000 the number itself. */
export const human = (n: number) =>
  n >= 1e9 ? `${(n / 1e9).toFixed(3)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(3)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n);

/** An amount with its unit: "1.815 GMACs", "192 FLOPs" (a space where human() gives no prefix). */
export const withUnit = (n: number, unit: string) => `${human(n)}${n >= 1e3 ? '' : ' '}${unit}`;


export function table(r: Report): string {
  const rows = r.layers.map((l) => [l.name, l.op, l.outputShape ? JSON.stringify(l.outputShape) : '?', human(l.params), human(l.macs), fieldCell(l.receptiveField)]);
  // 1-D and 3-D fields name their axes in the cell (9/4 (l), 3×7×7/1×2×2 (d×h×w))
  const nd = r.layers.some((l) => l.receptiveField && l.receptiveField.axes.length !== 2);
  const head = ['layer', 'op', 'output', 'params', 'MACs', nd ? 'RF size/stride (axes)' : 'RF h×w/stride h×w'];
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
    `total: ${t.params.toLocaleString('en-US')} params, ${withUnit(t.macs, 'MACs')}, ${withUnit(t.flops, 'FLOPs')} (${r.conventions.flops}), memory access ${withUnit(t.memoryAccess.bytes, 'B')}, depth ${r.structure.depth}, width ${r.structure.width}${t.complete ? '' : ', INCOMPLETE (unsupported operators: the counts cover the analysed layers only)'}`,
    ...warningLines(r.warnings),
  ].join('\n');
}

/** The warnings, a line each: the first few of each code, then one line for the rest of that code with the layers they name. */
function warningLines(warnings: readonly ReportWarning[]): string[] {
  const { rows, more } = warningsByCode(warnings);
  return [
    ...rows.map((w) => `${w.severity}: ${w.code}: ${w.message}`),
    ...more.map((m) => {
      const { names, more: unnamed } = someNames(m.layers, 10);
      const at = names.length ? ` at ${names.join(', ')}${unnamed ? ` and ${unnamed.toLocaleString('en-US')} more` : ''}` : '';
      return `${m.severity}: ${m.code}: ${m.count.toLocaleString('en-US')} more like those above${at} (the JSON report lists each)`;
    }),
  ];
}
