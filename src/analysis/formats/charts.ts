/**
 * Marks for the HTML report's charts (formats/svg.ts has the scales and axes): bars over layer
 * positions, bands naming the modules under them, stepped series (line or area) broken where a
 * value is unknown, dots, lines, a labelled horizontal reference, a labelled point marker, and one
 * row of a horizontal stacked bar. Each takes its scales and returns markup; every mark a reader
 * may ask about carries a <title> tooltip.
 */
import { esc, fit, fitEnd, n2, plural, textWidth } from './svg.js';
import type { Rect, Scale } from './svg.js';

export interface Bar {
  value: number;
  tip: string;
}

/** Bar i spans positions [i, i + 1] of `xs`; a gap between bars when they are wide enough to afford one. */
export function bars(xs: Scale, ys: Scale, items: readonly Bar[], color: string): string {
  const base = ys.map(0);
  const parts = items.map((b, i) => {
    const x0 = xs.map(i);
    const w = xs.map(i + 1) - x0;
    const gap = w >= 4 ? Math.min(w * 0.2, 3) : 0;
    const top = ys.map(Math.max(0, b.value));
    return `<rect x="${n2(x0 + gap / 2)}" y="${n2(top)}" width="${n2(Math.max(w - gap, 0.5))}" height="${n2(Math.max(base - top, 0))}" fill="${color}"><title>${esc(b.tip)}</title></rect>`;
  });
  return `<g class="bars">${parts.join('')}</g>`;
}

/**
 * Transparent columns over positions [0, n) of `xs`, each a tooltip: `per` consecutive positions a
 * column, `tip(from, to)` its text (positions from…to − 1). A chart of thousands of layers groups
 * them as its bars do: 6,000 columns 0.14 units wide cannot be pointed at one by one, and their
 * tooltips made most of a 6 MB page.
 */
export function hoverColumns(xs: Scale, r: Rect, n: number, per: number, tip: (from: number, to: number) => string): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i += per) {
    const to = Math.min(n, i + per);
    parts.push(`<rect x="${n2(xs.map(i))}" y="${n2(r.y)}" width="${n2(xs.map(to) - xs.map(i))}" height="${n2(r.h)}"><title>${esc(tip(i, to))}</title></rect>`);
  }
  return `<g class="hover">${parts.join('')}</g>`;
}

export interface Band {
  /** First position (inclusive) and last (exclusive) on the x scale. */
  from: number;
  to: number;
  label: string;
  /** Shown when the label does not fit (`denseblock3` for `features.denseblock3`). */
  short?: string;
  tip: string;
}

/**
 * At most `max` bands: past it, consecutive bands are joined, unlabelled, the tooltip naming the
 * first and the last (`300 modules: a … b`). Flat names make every layer a module of its own:
 * 6,000 bands a fraction of a unit wide, each with a tooltip, were 1.7 MB of one chart.
 */
export function joinBands(groups: readonly Band[], max: number): Band[] {
  if (groups.length <= max) return [...groups];
  const per = Math.ceil(groups.length / max);
  const out: Band[] = [];
  for (let i = 0; i < groups.length; i += per) {
    const g = groups.slice(i, i + per);
    const last = g[g.length - 1];
    out.push(g.length === 1 ? g[0] : { from: g[0].from, to: last.to, label: '', tip: `${plural(g.length, 'module')}: ${g[0].label} … ${last.label}` });
  }
  return out;
}

/** Alternately shaded bands under a plot (top at `y`, `h` high), labelled where the label fits. */
export function bands(xs: Scale, y: number, h: number, groups: readonly Band[]): string {
  const parts = groups.map((g, i) => {
    const x0 = xs.map(g.from);
    const w = xs.map(g.to) - x0;
    // a label cut to a letter or two names nothing: the band's tooltip still does. Cut from the
    // left: siblings differ at the end (ViT's encoder_layer_0 … 11 all read "encoder_…" cut right)
    const whole = [g.label, g.short ?? ''].find((l) => l !== '' && fit(l, w - 4, 11) === l);
    const cut = fitEnd(g.short ?? g.label, w - 4, 11);
    const label = whole ?? (cut.length >= 4 ? cut : '');
    const text = label ? `<text class="band-label" x="${n2(x0 + w / 2)}" y="${n2(y + h / 2)}" text-anchor="middle" dominant-baseline="middle">${esc(label)}</text>` : '';
    return `<g><rect class="band band-${i % 2}" x="${n2(x0)}" y="${n2(y)}" width="${n2(w)}" height="${n2(h)}"><title>${esc(g.tip)}</title></rect>${text}</g>`;
  });
  return `<g class="bands">${parts.join('')}</g>`;
}

/**
 * A step function: value i held over positions [i, i + 1]; null breaks the line. With `area` the
 * region down to the baseline is filled (class `area`), else only the line is drawn.
 */
export function steps(xs: Scale, ys: Scale, values: readonly (number | null)[], color: string, o: { area?: boolean; dash?: boolean; cls?: string } = {}): string {
  const runs: string[] = [];
  let run: string[] = [];
  let start = 0;
  const base = ys.log ? ys.map(ys.lo) : ys.map(0);
  const close = (end: number) => {
    if (run.length === 0) return;
    const d = `M${run.join('L')}`;
    runs.push(o.area ? `M${n2(xs.map(start))},${n2(base)}L${run.join('L')}L${n2(xs.map(end))},${n2(base)}Z` : d);
    run = [];
  };
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      close(i);
      return;
    }
    if (run.length === 0) start = i;
    const y = n2(ys.map(v));
    run.push(`${n2(xs.map(i))},${y}`, `${n2(xs.map(i + 1))},${y}`);
  });
  close(values.length);
  if (runs.length === 0) return '';
  const d = runs.join('');
  const cls = o.cls ? ` class="${o.cls}"` : '';
  return o.area
    ? `<path${cls} d="${d}" fill="${color}" fill-opacity="0.25" stroke="${color}" stroke-width="1.5" stroke-linejoin="round"/>`
    : `<path${cls} d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${o.dash ? ' stroke-dasharray="5 3"' : ''}/>`;
}

export interface Dot {
  x: number;
  y: number;
  r: number;
  color: string;
  tip: string;
}

/** Points in screen coordinates, smallest drawn last so they stay visible over large ones. */
export function dots(points: readonly Dot[]): string {
  const ordered = [...points].sort((a, b) => b.r - a.r);
  return `<g class="dots">${ordered
    .map((p) => `<circle cx="${n2(p.x)}" cy="${n2(p.y)}" r="${n2(p.r)}" fill="${p.color}" fill-opacity="0.6" stroke="${p.color}" stroke-width="1"><title>${esc(p.tip)}</title></circle>`)
    .join('')}</g>`;
}

/**
 * Dots drawn alike (centre, radius and colour equal to the markup's 0.01 unit) as one, its tooltip
 * `merged(members)` (indices into `points`): a network of repeated blocks puts its repeats on one
 * spot, a circle and a tooltip each, one over the other.
 */
export function mergeDots(points: readonly Dot[], merged: (members: number[]) => string): Dot[] {
  const byKey = new Map<string, number[]>();
  points.forEach((p, i) => {
    const key = `${n2(p.x)} ${n2(p.y)} ${n2(p.r)} ${p.color}`;
    (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(i);
  });
  return [...byKey.values()].map((members) => (members.length === 1 ? points[members[0]] : { ...points[members[0]], tip: merged(members) }));
}

/** A polyline through screen points. */
export function line(points: readonly [number, number][], color: string, width = 2, dash = false, cls = 'ceiling'): string {
  if (points.length < 2) return '';
  return `<path class="${cls}" d="M${points.map(([x, y]) => `${n2(x)},${n2(y)}`).join('L')}" fill="none" stroke="${color}" stroke-width="${width}"${dash ? ' stroke-dasharray="6 4"' : ''}/>`;
}

/** A horizontal reference line across the plot at screen y, labelled at its right end above the line. */
export function reference(r: Rect, y: number, label: string, color: string, data: string): string {
  const tx = r.x + r.w - 4;
  return (
    `<g data-mark="${esc(data)}"><line x1="${n2(r.x)}" x2="${n2(r.x + r.w)}" y1="${n2(y)}" y2="${n2(y)}" stroke="${color}" stroke-width="1.5" stroke-dasharray="6 4"/>` +
    `<text class="ref-label" x="${n2(tx)}" y="${n2(y - 5)}" text-anchor="end" fill="${color}">${esc(label)}</text></g>`
  );
}

/**
 * A point marked with a dashed drop line to the plot's bottom, a ring, and a label on a white
 * backing above it when the plot has room there (else beside it), kept inside the plot and
 * extending to the left when the point is in the right half. A line longer
 * than the plot is cut (the tooltip has it whole): a box wider than the plot was clipped at both
 * ends of the chart and covered the y axis's tick labels.
 */
export function marker(r: Rect, x: number, y: number, lines: string[], color: string, data: string, tip: string): string {
  const right = x > r.x + r.w / 2;
  const size = (i: number) => (i === 0 ? 13 : 12);
  const shown = lines.map((l, i) => fit(l, r.w - 16, size(i)));
  // the estimate in full: at 0.9 of it a 200-character name's line ran out of its box in chromium
  const w = Math.min(Math.max(...shown.map((l, i) => textWidth(l, size(i)))) + 12, r.w - 4);
  const h = lines.length * 15 + 6;
  // above the point when there is room (nothing is drawn above a maximum), else beside it on the
  // side with more room; held inside the plot either way (over the point if it must)
  const above = y - r.y >= h + 10;
  const bx = Math.min(Math.max(above ? (right ? x - w + 16 : x - 16) : right ? x - 10 - w : x + 10, r.x + 2), r.x + r.w - w - 2);
  const by = above ? y - h - 10 : Math.min(Math.max(y - h / 2, r.y + 2), r.y + r.h - h - 2);
  const text = shown
    .map((l, i) => `<text class="${i === 0 ? 'marker-label' : 'marker-sub'}" x="${n2(bx + 6)}" y="${n2(by + 16 + i * 15)}">${esc(l)}</text>`)
    .join('');
  return (
    `<g data-mark="${esc(data)}"><title>${esc(tip)}</title>` +
    `<line x1="${n2(x)}" x2="${n2(x)}" y1="${n2(y)}" y2="${n2(r.y + r.h)}" stroke="${color}" stroke-width="1.5" stroke-dasharray="4 3"/>` +
    `<circle cx="${n2(x)}" cy="${n2(y)}" r="6" fill="#fff" stroke="${color}" stroke-width="2.5"/>` +
    `<rect class="marker-box" x="${n2(bx)}" y="${n2(by)}" width="${n2(w)}" height="${n2(h)}" rx="3" stroke="${color}"/>${text}</g>`
  );
}

export interface Segment {
  value: number;
  color: string;
  /** Shown inside the segment when it fits, else `short` when that fits, else nothing. */
  label: string;
  short?: string;
  tip: string;
}

/** One horizontal stacked bar: the row's title left of it, segments in order as shares of their sum. */
export function stackedRow(r: Rect, title: string, segments: readonly Segment[]): string {
  const total = segments.reduce((s, g) => s + g.value, 0);
  const head = `<text class="row-title" x="${n2(r.x - 8)}" y="${n2(r.y + r.h / 2)}" text-anchor="end" dominant-baseline="middle">${esc(title)}</text>`;
  if (!(total > 0)) {
    return `${head}<rect class="empty-row" x="${n2(r.x)}" y="${n2(r.y)}" width="${n2(r.w)}" height="${n2(r.h)}"/><text class="empty" x="${n2(r.x + 8)}" y="${n2(r.y + r.h / 2)}" dominant-baseline="middle">none</text>`;
  }
  let x = r.x;
  const parts = segments.map((g) => {
    const w = (g.value / total) * r.w;
    const label = [g.label, g.short ?? ''].find((l) => l !== '' && fit(l, w - 8, 12) === l) ?? ''; // bold 11: measured as 12
    const text = label ? `<text class="seg-label" x="${n2(x + w / 2)}" y="${n2(r.y + r.h / 2)}" text-anchor="middle" dominant-baseline="middle">${esc(label)}</text>` : '';
    const out = `<g><rect x="${n2(x)}" y="${n2(r.y)}" width="${n2(w)}" height="${n2(r.h)}" fill="${g.color}"><title>${esc(g.tip)}</title></rect>${text}</g>`;
    x += w;
    return out;
  });
  return `${head}<g class="stack">${parts.join('')}</g>`;
}

/**
 * A label along the segment p0 → p1 (rotated with it), placed where it is clearest of the dots:
 * candidate centres along the segment, above or below it, next to it or a line further off; the
 * first clear candidate in order of closeness to `prefer` (0 = at p0, 1 = at p1) and of the sides
 * as listed, else the one with most clearance.
 */
export function segmentLabel(p0: [number, number], p1: [number, number], text: string, obstacles: readonly Dot[], prefer = 0.5): string {
  const dx = p1[0] - p0[0];
  const dy = p1[1] - p0[1];
  const len = Math.hypot(dx, dy) || 1;
  const angle = Math.atan2(dy, dx);
  const half = textWidth(text) / 2 + 3;
  const lo = Math.min(0.5, half / len);
  const hi = Math.max(0.5, 1 - half / len);
  // beside the line, then a little further off it (clear of dots up to 13 units in radius)
  const sides = [
    { base: -7, top: -18, bottom: -3 },
    { base: 17, top: 5, bottom: 20 },
    { base: -19, top: -30, bottom: -15 },
    { base: 31, top: 19, bottom: 34 },
  ];
  const candidates: { t: number; side: (typeof sides)[number]; clearance: number; rank: number }[] = [];
  for (let k = 0; k <= 40; k++) {
    const t = lo + ((hi - lo) * k) / 40;
    const cx = p0[0] + dx * t;
    const cy = p0[1] + dy * t;
    sides.forEach((side, s) => {
      let clearance = Infinity;
      for (const o of obstacles) {
        // the dot's centre in the label's frame: x along the segment, y across it
        const ox = o.x - cx;
        const oy = o.y - cy;
        const lx = ox * Math.cos(angle) + oy * Math.sin(angle);
        const ly = -ox * Math.sin(angle) + oy * Math.cos(angle);
        const ex = Math.max(Math.abs(lx) - half, 0);
        const ey = Math.max(side.top - ly, ly - side.bottom, 0);
        clearance = Math.min(clearance, Math.hypot(ex, ey) - o.r);
      }
      candidates.push({ t, side, clearance, rank: Math.abs(t - prefer) + s });
    });
  }
  const clear = candidates.filter((c) => c.clearance >= 3).sort((a, b) => a.rank - b.rank);
  const best = clear[0] ?? [...candidates].sort((a, b) => b.clearance - a.clearance)[0];
  const x = p0[0] + dx * best.t;
  const y = p0[1] + dy * best.t;
  return `<text class="ref-label" transform="translate(${n2(x)} ${n2(y)}) rotate(${n2((angle * 180) / Math.PI)})" y="${best.side.base}" text-anchor="middle">${esc(text)}</text>`;
}
