/**
 * GitHub-flavoured Markdown helpers shared by the report and comparison renderings: numbers,
 * escaping and tables. Layer names always go in code spans, so Markdown and HTML in a name
 * (`<b>`, `*`) stay literal. A `|` is escaped where it would end a table cell: in table cells
 * (GFM unescapes `\|` there, inside code spans too); in a code span elsewhere the backslash would
 * show, so code() leaves it.
 */
import type { LayerReport } from '../report.js';
import { visibleControls } from './bidi.js';
import { secondsText } from './svg.js';

/** One formatter: toLocaleString with options builds one per call (60 µs). */
const SIX_DIGITS = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });
/** Exact, with thousands separators: 11,689,512. */
export const exact = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : SIX_DIGITS.format(Number(n.toPrecision(6))));

/** Four significant digits with an SI prefix: 1.814 G, 11.69 M, 9.408 k, 512. */
export function compact(n: number): string {
  const a = Math.abs(n);
  for (const [scale, prefix] of [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const) {
    if (a >= scale) return `${(n / scale).toPrecision(4)} ${prefix}`;
  }
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(4)));
}

/** Seconds as ms, µs or ns when small: 0.00123 → 1.23 ms (the charts' own: formats/svg.ts). */
export const seconds = secondsText;

/** 25.49%, or — when there is no whole to be a share of. */
export const share = (p: number | null) => (p === null ? '—' : `${p.toFixed(2)}%`);

/** +86.47%, −3.10%, 0%; `new` when the value was 0 before. */
export const signedPercent = (p: number | null) => (p === null ? 'new' : p === 0 ? '0%' : `${p > 0 ? '+' : '−'}${Math.abs(p).toFixed(2)}%`);

/** ▲ increase, ▼ decrease, = unchanged. */
export const arrow = (d: number) => (d > 0 ? '▲' : d < 0 ? '▼' : '=');

/** +10,108,160 / −512 / 0, with a formatter for the magnitude. */
export const signed = (d: number, fmt: (n: number) => string = exact) => (d > 0 ? `+${fmt(d)}` : d < 0 ? `−${fmt(-d)}` : '0');

/** A code span that survives any name: backticks inside get a longer fence (table() escapes its pipes). */
export function code(s: string): string {
  const clean = visibleControls(s).replace(/[\r\n]+/g, ' ');
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || clean.startsWith(' ') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

/** Plain text for a table cell or a line: Markdown and HTML characters escaped. */
export const text = (s: string) => visibleControls(s).replace(/[\r\n]+/g, ' ').replace(/([\\`*_[\]<>|#~])/g, '\\$1').replace(/&/g, '&amp;');

/** `1×3×224×224` */
export const shape = (s: readonly number[] | null) => (s ? s.join('×') : '?');

/** A GFM table; `align` per column: l (default) or r. */
export function table(head: string[], rows: string[][], align: string = ''): string {
  const sep = head.map((_, i) => (align[i] === 'r' ? '--:' : ':--'));
  // a pipe not yet escaped (a code span's; text() escapes its own) would end the cell
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/(?<!\\)\|/g, '\\|')).join(' | ')} |`;
  return [line(head), line(sep), ...rows.map(line)].join('\n');
}

/** A collapsed section (GitHub renders <details>); the body needs blank lines around it to be Markdown. */
export const details = (summary: string, body: string) => `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;

/**
 * `7×7/2×2` (size h×w / stride h×w) for a 2-D map; 1-D and 3-D fields name their axes, `9/4 (l)`,
 * `3×7×7/1×2×2 (d×h×w)`; `global`, or empty when the layer has no field (a table cell, Markdown or text).
 */
export function fieldCell(f: LayerReport['receptiveField']): string {
  if (!f) return '';
  if (f.global) return 'global';
  const cell = `${f.size.join('×')}/${f.stride.join('×')}`;
  return f.axes.length === 2 ? cell : `${cell} (${f.axes.join('×')})`;
}
