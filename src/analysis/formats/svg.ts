/**
 * SVG building blocks for the HTML report (formats/html.ts): escaping, numbers in human units,
 * scales with ticks, axes and legends. Hand-written, no dependency and no script: every element
 * is static markup, tooltips are SVG <title> elements.
 *
 * Geometry is in SVG user units (each chart's viewBox), which the page scales to its column;
 * charts are drawn 960 units wide with 12-unit text, so on a 960 px column text reads at 12 px.
 * Styling is by class (the document's <style>), never by style attributes, so the page satisfies
 * a Content-Security-Policy without 'unsafe-inline'.
 */
import { visibleControls } from './bidi.js';

/** Text for HTML and SVG, content or attribute: & < > " ' escaped, control and bidirectional characters shown as code points (formats/bidi.ts). */
export function esc(s: string): string {
  return visibleControls(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A coordinate: two decimals, no exponent. */
export const n2 = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0');

const PREFIXES: [number, string][] = [
  [1e15, 'P'],
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Three significant digits (or `digits`) with an SI prefix: 4.09 G, 25.6 M, 512, 0.25; `unit` after the prefix (MB, FLOP/s). */
export function si(v: number, unit = '', digits = 3): string {
  const a = Math.abs(v);
  const sep = unit ? ' ' : '';
  if (a === 0) return `0${sep}${unit}`;
  for (const [scale, prefix] of PREFIXES) {
    if (Number((a / scale).toPrecision(digits)) >= 1) return `${Number((v / scale).toPrecision(digits))} ${prefix}${unit}`;
  }
  return `${Number(v.toPrecision(digits))}${sep}${unit}`;
}

/** A count and its noun, singular for exactly one: `1 layer`, `2 layers`, `1,024 bytes`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Seconds in a readable unit: 1.23 ms, 45.6 µs. */
export function secondsText(s: number): string {
  const a = Math.abs(s);
  if (a === 0) return '0 s';
  if (a < 1e-6) return `${Number((s * 1e9).toPrecision(3))} ns`;
  if (a < 1e-3) return `${Number((s * 1e6).toPrecision(3))} µs`;
  if (a < 1) return `${Number((s * 1e3).toPrecision(3))} ms`;
  return `${Number(s.toPrecision(3))} s`;
}

/** Width of a text at a font size, estimated (sans-serif averages about 0.55 em a character). */
export const textWidth = (s: string, size = 12): number => s.length * size * 0.58;

/** The text cut with an ellipsis to fit `width`, or '' when not even one character fits. */
export function fit(s: string, width: number, size = 12): string {
  if (textWidth(s, size) <= width) return s;
  const chars = Math.floor(width / (size * 0.58)) - 1;
  return chars >= 1 ? `${s.slice(0, chars)}…` : '';
}

/** `s`, or its end after an ellipsis, within `width` at font `size`: the part that tells siblings apart (`…layer_11`). */
export function fitEnd(s: string, width: number, size = 12): string {
  if (textWidth(s, size) <= width) return s;
  const chars = Math.floor(width / (size * 0.58)) - 1;
  return chars >= 1 ? `…${s.slice(s.length - chars)}` : '';
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Scale {
  map(v: number): number;
  /** Values where ticks are labelled. */
  ticks: number[];
  lo: number;
  hi: number;
  log: boolean;
}

/** Linear from [lo, hi] to [r0, r1]. */
export function linear(lo: number, hi: number, r0: number, r1: number, ticks: number[] = []): Scale {
  const span = hi - lo || 1;
  return { map: (v) => r0 + ((v - lo) / span) * (r1 - r0), ticks, lo, hi, log: false };
}

/** A round step near span/count: 1, 2, 2.5 or 5 × 10^k. */
export function niceStep(span: number, count = 5): number {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = [1, 2, 2.5, 5, 10].find((c) => c * p >= raw * 0.999) ?? 10;
  return m * p;
}

/** The largest value a chart's axis reaches: round tops and decades above it would overflow to Infinity. */
const CHART_LIMIT = 1e300;

/** Linear from 0 to a round top at or above max, with round ticks. */
export function zeroBased(max: number, r0: number, r1: number, count = 5): Scale {
  // a round top above 1e308 is Infinity, and the ticks' loop would never end
  if (max > CHART_LIMIT) max = CHART_LIMIT;
  const step = niceStep(max > 0 ? max : 1, count);
  const top = Math.max(step, Math.ceil((max > 0 ? max : 1) / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let k = 0; k * step <= top * (1 + 1e-9); k++) ticks.push(k * step);
  return linear(0, top, r0, r1, ticks);
}

/** Integer positions [0, n] (layers in execution order), ticks at round counts. */
export function positions(n: number, r0: number, r1: number, count = 10): Scale {
  const step = Math.max(1, niceStep(Math.max(n, 1), count));
  const ticks: number[] = [];
  for (let k = 0; k <= n; k += step) ticks.push(k);
  return linear(0, Math.max(n, 1), r0, r1, ticks);
}

/** Logarithmic over whole powers of `base` around [min, max]; labels thinned to at most `most`. */
export function logarithmic(min: number, max: number, r0: number, r1: number, base = 10, most = 9): Scale {
  const lb = (v: number) => Math.log(v) / Math.log(base);
  // an overflowed bound (Infinity, or a top decade past 1e308) would make the ticks' loop endless: a
  // worker held until its timeout; no chart of ours spans more than 1e±300
  if (max > CHART_LIMIT) max = CHART_LIMIT;
  const safeMin = min > 0 ? Math.min(Math.max(min, 1 / CHART_LIMIT), CHART_LIMIT) : 1;
  const e0 = Math.floor(lb(safeMin) + 1e-9);
  const e1 = Math.max(e0 + 1, Math.ceil(lb(max > safeMin ? max : safeMin * base) - 1e-9));
  const every = Math.ceil((e1 - e0 + 1) / most);
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e++) if ((e - e0) % every === 0) ticks.push(base ** e);
  const lo = base ** e0;
  const hi = base ** e1;
  const span = lb(hi) - lb(lo);
  return { map: (v) => r0 + ((lb(Math.max(v, lo * 1e-12)) - lb(lo)) / span) * (r1 - r0), ticks, lo, hi, log: true };
}

/** Horizontal grid lines and labelled ticks left of the plot; the axis title rotated beside them. */
export function yAxis(s: Scale, r: Rect, fmt: (v: number) => string, title: string): string {
  const parts = s.ticks.map((t) => {
    const y = n2(s.map(t));
    return `<line class="grid" x1="${n2(r.x)}" x2="${n2(r.x + r.w)}" y1="${y}" y2="${y}"/><text class="tick" x="${n2(r.x - 6)}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(fmt(t))}</text>`;
  });
  const cy = r.y + r.h / 2;
  const label = `<text class="axis-title" x="${n2(r.x - 58)}" y="${n2(cy)}" text-anchor="middle" transform="rotate(-90 ${n2(r.x - 58)} ${n2(cy)})">${esc(title)}</text>`;
  return `<g class="axis y">${parts.join('')}${label}</g>`;
}

/** Tick marks and labels below the plot, the axis line, the axis title under them. */
export function xAxis(s: Scale, r: Rect, fmt: (v: number) => string, title: string, grid = false): string {
  const bottom = r.y + r.h;
  const parts = s.ticks.map((t) => {
    const x = n2(s.map(t));
    const line = grid ? `<line class="grid" x1="${x}" x2="${x}" y1="${n2(r.y)}" y2="${n2(bottom)}"/>` : '';
    return `${line}<line class="tickmark" x1="${x}" x2="${x}" y1="${n2(bottom)}" y2="${n2(bottom + 4)}"/><text class="tick" x="${x}" y="${n2(bottom + 16)}" text-anchor="middle">${esc(fmt(t))}</text>`;
  });
  const axis = `<line class="axis-line" x1="${n2(r.x)}" x2="${n2(r.x + r.w)}" y1="${n2(bottom)}" y2="${n2(bottom)}"/>`;
  const label = title ? `<text class="axis-title" x="${n2(r.x + r.w / 2)}" y="${n2(bottom + 34)}" text-anchor="middle">${esc(title)}</text>` : '';
  return `<g class="axis x">${parts.join('')}${axis}${label}</g>`;
}

export interface LegendItem {
  label: string;
  color: string;
  shape: 'rect' | 'circle' | 'line' | 'dash';
}

/** A legend in one or more rows from (x, y), wrapping at `width`; returns the markup and its height. */
export function legend(x: number, y: number, width: number, items: LegendItem[]): { svg: string; height: number } {
  let cx = x;
  let cy = y;
  const parts: string[] = [];
  for (const it of items) {
    const w = 18 + textWidth(it.label) + 18;
    if (cx > x && cx + w > x + width) {
      cx = x;
      cy += 18;
    }
    const sym =
      it.shape === 'rect'
        ? `<rect x="${n2(cx)}" y="${n2(cy - 9)}" width="12" height="12" fill="${it.color}"/>`
        : it.shape === 'circle'
          ? `<circle cx="${n2(cx + 6)}" cy="${n2(cy - 3)}" r="5" fill="${it.color}" fill-opacity="0.75"/>`
          : `<line x1="${n2(cx)}" x2="${n2(cx + 14)}" y1="${n2(cy - 3)}" y2="${n2(cy - 3)}" stroke="${it.color}" stroke-width="2"${it.shape === 'dash' ? ' stroke-dasharray="4 3"' : ''}/>`;
    parts.push(`${sym}<text class="legend" x="${n2(cx + 18)}" y="${n2(cy)}">${esc(it.label)}</text>`);
    cx += w;
  }
  return { svg: `<g class="legend">${parts.join('')}</g>`, height: cy - y + 18 };
}

/** The chart's outer element: `data-chart` names its kind; the title and description are for screen readers and tooltips. */
export function svgChart(kind: string, width: number, height: number, title: string, description: string, body: string): string {
  const id = `chart-${kind.replace(/[^a-z0-9-]/gi, '')}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" data-chart="${esc(kind)}" viewBox="0 0 ${n2(width)} ${n2(height)}" width="${n2(width)}" height="${n2(height)}" role="img" aria-labelledby="${id}-t ${id}-d">` +
    `<title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(description)}</desc>${body}</svg>`
  );
}

/** A note drawn where a chart has nothing to show. */
export const emptyNote = (r: Rect, text: string): string =>
  `<text class="empty" x="${n2(r.x + r.w / 2)}" y="${n2(r.y + r.h / 2)}" text-anchor="middle">${esc(text)}</text>`;
