/**
 * An effective receptive field as inline SVG for the HTML report: the contribution map in at most
 * 48×48 cells (each the mean of the pixels it covers, coloured with viridis over the cells'
 * maximum), the theoretical field's box (white on a dark edge, solid, so it shows on the heatmap
 * and on the grey padding), the non-zero gradient's bounding box (dashed) and the circle holding
 * 95 % of the mass, in input-pixel coordinates (viewBox). The view is the input and at most 15 % of
 * its side of padding around it: a theoretical field far wider (ResNet-18's 435 px at 64 px) runs
 * off the view rather than shrinking the input to a corner; the caption gives its size.
 */
import type { ErfStats, ErfTemporal } from '../erf.js';
import { viridis } from '../erf-png.js';

const MAX_CELLS = 48;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number) => String(Math.round(v * 100) / 100);

export function erfSvg(map: ArrayLike<number>, stats: ErfStats, title: string, size = 240): string {
  const [h, w] = stats.input;
  const ch = Math.ceil(h / Math.min(h, MAX_CELLS));
  const cw = Math.ceil(w / Math.min(w, MAX_CELLS));
  const rows = Math.ceil(h / ch);
  const cols = Math.ceil(w / cw);
  const cells = new Float64Array(rows * cols);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) cells[Math.floor(y / ch) * cols + Math.floor(x / cw)] += map[y * w + x];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) cells[r * cols + c] /= (Math.min(h, (r + 1) * ch) - r * ch) * (Math.min(w, (c + 1) * cw) - c * cw);
  }
  let max = 0;
  for (const v of cells) if (v > max) max = v;
  const parts: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [R, G, B] = viridis(max > 0 ? cells[r * cols + c] / max : 0);
      parts.push(`<rect x="${c * cw}" y="${r * ch}" width="${cw}" height="${ch}" fill="rgb(${R},${G},${B})"/>`);
    }
  }
  const t = stats.theoretical.box;
  const box = `x="${t.left}" y="${t.top}" width="${t.right - t.left + 1}" height="${t.bottom - t.top + 1}" fill="none"`;
  const u = Math.max(h, w) / 120;
  parts.push(`<rect ${box} stroke="#222" stroke-width="${num(3 * u)}"/><rect ${box} stroke="#fff" stroke-width="${num(u)}"><title>theoretical field ${stats.theoretical.size.join('×')}</title></rect>`);
  const s = stats.support.box;
  if (s) {
    parts.push(
      `<rect x="${s.left}" y="${s.top}" width="${s.right - s.left + 1}" height="${s.bottom - s.top + 1}" fill="none" stroke="#fff" stroke-dasharray="${num(Math.max(h, w) / 40)}" stroke-width="${num(Math.max(h, w) / 200)}"><title>non-zero gradient</title></rect>`,
    );
  }
  if (stats.radius.p95 !== null) {
    const [cy, cx] = stats.theoretical.centre;
    parts.push(`<circle cx="${num(cx + 0.5)}" cy="${num(cy + 0.5)}" r="${num(stats.radius.p95 + 0.5)}" fill="none" stroke="#f55" stroke-width="${num(Math.max(h, w) / 150)}"><title>95 % of the gradient mass</title></circle>`);
  }
  // the view reaches into the padding where the theoretical box does (grey outside the input), at most 15 % of the input's side
  const margin = Math.ceil(0.15 * Math.max(h, w));
  const x0 = Math.max(Math.min(0, t.left), -margin);
  const y0 = Math.max(Math.min(0, t.top), -margin);
  const vw = Math.min(Math.max(w, t.right + 1), w + margin) - x0;
  const vh = Math.min(Math.max(h, t.bottom + 1), h + margin) - y0;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${size}" height="${Math.round((size * vh) / vw)}" viewBox="${x0} ${y0} ${vw} ${vh}" shape-rendering="crispEdges">` +
    `<title>${esc(title)}</title>` +
    `<rect x="${x0}" y="${y0}" width="${vw}" height="${vh}" fill="#ddd"/>` +
    parts.join('') +
    '</svg>'
  );
}

/** What the HTML section shows: one unit's map and statistics, and the growth along depth. */
export interface ErfSectionInput {
  layer: string;
  mode: string;
  samples: number;
  map: ArrayLike<number>;
  stats: ErfStats;
  /** A clip's time axis (frame shares, the frames the unit can see); absent or null for an image. */
  temporal?: ErfTemporal | null;
  stages: { layer: string; stride: [number, number]; temporalStride?: number | null; stats: ErfStats }[];
}

/** A clip's rows: the frames the unit can see, and each frame's share of Σ|gradient|. */
const temporalRows = (t: ErfTemporal): [string, string][] => [
  ['theoretical frames', `${t.theoretical.from}…${t.theoretical.to} of ${t.frames.length} (field ${t.theoretical.size} frames${t.theoretical.global ? ', global' : ''})`],
  ['share of |gradient| per frame', t.frames.map((f) => f.toFixed(3)).join(' ')],
];

const cell = (v: number | null, digits = 2) => (v === null ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(digits));

/**
 * The HTML report's section "Effective receptive field" (id erf): the heatmap SVG of the final
 * feature map's centre unit and its statistics, then one row per stage; or, given a reason, why
 * there is none (a layer without a VJP, no spatial map).
 */
export function erfSection(input: ErfSectionInput | { unavailable: string }): string {
  const head = '<section id="erf"><h2>Effective receptive field</h2>';
  if ('unavailable' in input) return `${head}<p class="small">Not computed: ${esc(input.unavailable)}</p></section>`;
  const s = input.stats;
  const how = input.mode === 'given' ? 'at the given input' : `mean |gradient| over ${input.samples} seeded random inputs${input.mode === 'luo' ? " (Luo et al.'s setting)" : ''}`;
  const rows: [string, string][] = [
    ['theoretical field', `${s.theoretical.size.map((v) => cell(v)).join('×')} (${s.theoretical.area} pixels inside the input)`],
    ['non-zero gradient', s.support.box ? `${s.support.box.bottom - s.support.box.top + 1}×${s.support.box.right - s.support.box.left + 1}${s.support.insideTheoretical ? '' : ' (outside the theoretical field!)'}` : 'none'],
    ['radius holding 50 / 90 / 95 %', [s.radius.p50, s.radius.p90, s.radius.p95].map((v) => cell(v)).join(' / ')],
    ['Gaussian σ (rows × columns)', s.gaussian ? s.gaussian.sigma.map((v) => v.toFixed(2)).join(' × ') : '–'],
    ['95 % area / theoretical area', cell(s.areaRatio, 4)],
    ['high-contribution area ratio (t = 20/30/50/99 %)', s.highContribution.map((h) => cell(h.areaRatio, 4)).join(' / ')],
    ...(input.temporal ? temporalRows(input.temporal) : []),
  ];
  const stats = `<table class="erf"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td class="num">${esc(v)}</td></tr>`).join('')}</tbody></table>`;
  const growth = input.stages.length
    ? `<table class="erf-growth"><thead><tr>${['stage output', 'stride', 'theoretical', 'r50', 'r95', 'σ', 'area ratio'].map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${input.stages
        .map(
          (st) =>
            `<tr><td>${esc(st.layer)}</td><td class="num">${[...(st.temporalStride ? [st.temporalStride] : []), ...st.stride].join('×')}</td><td class="num">${st.stats.theoretical.size.map((v) => cell(v)).join('×')}</td><td class="num">${cell(st.stats.radius.p50)}</td><td class="num">${cell(st.stats.radius.p95)}</td><td class="num">${st.stats.gaussian ? st.stats.gaussian.sigma.map((v) => v.toFixed(1)).join('×') : '–'}</td><td class="num">${cell(st.stats.areaRatio, 4)}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  const svg = erfSvg(input.map, s, `effective receptive field of ${input.layer}`);
  return `${head}<figure class="chart">${svg}<figcaption>${esc(`${input.layer}, centre unit: |∂unit/∂input| summed over channels${input.temporal ? ' and frames' : ''}, ${how}; white box: the theoretical field (${input.stats.theoretical.size.join('×')} px${Math.min(input.stats.theoretical.box.left, input.stats.theoretical.box.top) < -Math.ceil(0.15 * Math.max(...input.stats.input)) ? ', wider than the view' : ''}); dashed: the non-zero gradient; red circle: 95 % of the mass.`)}</figcaption></figure>${stats}${growth}</section>`;
}
