/**
 * The five charts of the HTML report, each an inline <svg data-chart="…"> with a note saying what
 * it shows and what it leaves out:
 *
 *   layers            MACs and params per layer (two panels on one x axis): the executed layers
 *                     with MACs or params, in execution order. Up to MAX_BARS one bar a layer;
 *                     beyond, consecutive layers are summed into MAX_BARS bars (the note says how
 *                     many per bar) so a 1,000-layer import still reads on one page and prints.
 *   ops               op-type breakdown: one horizontal stacked bar per metric (MACs, FLOPs,
 *                     params, memory access), the costliest op types by colour, the rest "other".
 *   receptive-field   field size h of every executed layer along execution order, log2 scale,
 *                     against the input height (a reference line); global fields are drawn at the
 *                     input height, as reaching the whole input; w dashed when it differs from h.
 *   memory            live activation bytes while each layer runs (`during`, filled) and after it
 *                     (`after`, line), with the peak marked and labelled.
 *   roofline          layers by arithmetic intensity (FLOP/byte, log) against attainable FLOP/s
 *                     (log) under the device's ceilings min(peak, bandwidth × intensity); points
 *                     coloured by bound, area proportional to the layer's time; past MAX_BARS
 *                     layers, those drawn alike are one point.
 *
 * The receptive-field and memory charts carry a tooltip a layer (a transparent column over its
 * step); past MAX_BARS layers a column covers as many as share a bar of the layers chart.
 *
 * Under the position axes a band row names the modules (name prefixes, formats/modules.ts): the
 * shallowest depth whose largest module spans at most half the layers.
 */
import type { MemoryReport } from '../memory.js';
import { modulePaths } from '../modules.js';
import { axisNames } from '../../ops/receptive-field.js';
import type { ModuleSummary } from '../modules.js';
import type { LayerReport, Report } from '../report.js';
import type { RooflineReport } from '../roofline.js';
import { bands, bars, dots, hoverColumns, joinBands, line, marker, mergeDots, reference, segmentLabel, stackedRow, steps } from './charts.js';
import type { Band, Bar, Dot, Segment } from './charts.js';
import { emptyNote, esc, fitEnd, legend, logarithmic, n2, plural, positions, secondsText, si, svgChart, textWidth, xAxis, yAxis, zeroBased } from './svg.js';
import type { LegendItem, Rect } from './svg.js';

/** Bars drawn one a layer up to this many; above, consecutive layers share a bar. */
export const MAX_BARS = 300;
/** Layers a hover column of the receptive-field and memory charts covers: one, or as many as share a bar past MAX_BARS. */
const perColumn = (n: number) => Math.max(1, Math.ceil(n / MAX_BARS));
/** Op types coloured in the breakdown; the rest are summed into "other". */
export const MAX_OP_COLOURS = 7;

export const COLOURS = {
  macs: '#0072B2',
  params: '#009E73',
  compute: '#0072B2',
  memory: '#D55E00',
  ceiling: '#222222',
  input: '#D55E00',
  global: '#E69F00',
  during: '#0072B2',
  after: '#666666',
  peak: '#D55E00',
  other: '#999999',
};
/** Okabe and Ito's colour-blind-safe palette, for op types. */
const OP_PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#882255'];

export interface Chart {
  kind: 'layers' | 'ops' | 'receptive-field' | 'memory' | 'roofline';
  svg: string;
  note: string;
}

const WIDTH = 960;
const LEFT = 84;
const RIGHT = 20;
const PLOT_W = WIDTH - LEFT - RIGHT;
const BAND_H = 22;

const exact = (n: number) => n.toLocaleString('en-US');

/** Module bands over items at positions 0…n−1 (`paths` per item), at the shallowest useful depth; at most MAX_BARS (charts.ts joinBands). */
function moduleBands(paths: readonly string[][], scale = 1): Band[] {
  const n = paths.length;
  let result: Band[] = [];
  for (let depth = 1; depth <= 4; depth++) {
    const keys = paths.map((p) => p.slice(0, depth).join('.'));
    const runs: Band[] = [];
    keys.forEach((k, i) => {
      const last = runs[runs.length - 1];
      if (last && last.label === k) last.to = i + 1;
      else runs.push({ from: i, to: i + 1, label: k, tip: k });
    });
    result = runs;
    const largest = Math.max(...runs.map((r) => r.to - r.from));
    if (largest <= n / 2 || paths.every((p) => p.length <= depth)) break;
  }
  // the last component alone when it names something (`denseblock3`, not `0`)
  const short = (label: string) => {
    const last = label.split('.').pop()!;
    return /^\d+$/.test(last) ? undefined : last;
  };
  return joinBands(result, MAX_BARS).map((b) => ({ ...b, short: b.label ? short(b.label) : undefined, from: b.from / scale, to: b.to / scale, tip: b.label ? `${b.label}: ${plural(b.to - b.from, 'layer')}` : `${b.tip}, ${plural(b.to - b.from, 'layer')}` }));
}

function pathsByName(report: Report): Map<string, string[]> {
  const paths = modulePaths(report.layers.map((l) => l.name));
  return new Map(report.layers.map((l, i) => [l.name, paths[i]]));
}

/** Per-layer MACs and params, two panels sharing the layer axis. */
export function layersChart(report: Report): Chart {
  const items = report.layers.filter((l) => l.executed && (l.macs > 0 || l.params > 0));
  const per = Math.max(1, Math.ceil(items.length / MAX_BARS));
  const groups: LayerReport[][] = [];
  for (let i = 0; i < items.length; i += per) groups.push(items.slice(i, i + per));
  const tip = (g: LayerReport[], metric: 'macs' | 'params') => {
    const v = g.reduce((s, l) => s + l[metric], 0);
    const what = metric === 'macs' ? 'MACs' : 'params';
    if (g.length === 1) return `${g[0].name} (${g[0].op})\n${what}: ${exact(v)} (${si(v)})`;
    return `${g.length} layers: ${g[0].name} … ${g[g.length - 1].name}\n${what}: ${exact(v)} (${si(v)})`;
  };
  const macs: Bar[] = groups.map((g) => ({ value: g.reduce((s, l) => s + l.macs, 0), tip: tip(g, 'macs') }));
  const params: Bar[] = groups.map((g) => ({ value: g.reduce((s, l) => s + l.params, 0), tip: tip(g, 'params') }));
  const top: Rect = { x: LEFT, y: 26, w: PLOT_W, h: 170 };
  const bottom: Rect = { x: LEFT, y: top.y + top.h + 34, w: PLOT_W, h: 130 };
  const bandY = bottom.y + bottom.h + 6;
  const height = bandY + BAND_H + 48;
  // ticks at round layer counts, wherever they fall among the bars
  const layerTicks = positions(items.length, 0, 1).ticks;
  const xs = { ...positions(groups.length, LEFT, LEFT + PLOT_W), ticks: layerTicks.map((t) => t / per) };
  const unseen = report.layers.filter((l) => !l.executed && l.params > 0);
  const body: string[] = [];
  if (groups.length === 0) {
    body.push(emptyNote({ ...top, h: bottom.y + bottom.h - top.y }, 'no layer has MACs or params'));
  } else {
    for (const [r, values, color, title] of [
      [top, macs, COLOURS.macs, 'MACs'],
      [bottom, params, COLOURS.params, 'params'],
    ] as const) {
      const ys = zeroBased(Math.max(...values.map((b) => b.value)), r.y + r.h, r.y, 4);
      body.push(yAxis(ys, r, (v) => si(v), title), bars(xs, ys, values, color));
      body.push(`<line class="axis-line" x1="${r.x}" x2="${r.x + r.w}" y1="${r.y + r.h}" y2="${r.y + r.h}"/>`);
      body.push(`<text class="panel-title" x="${r.x + 4}" y="${r.y - 8}">${esc(`${title} per layer`)}</text>`);
    }
    const byName = pathsByName(report);
    body.push(bands(xs, bandY, BAND_H, moduleBands(items.map((l) => byName.get(l.name)!), per)));
    const axisRect: Rect = { x: LEFT, y: bandY, w: PLOT_W, h: BAND_H };
    const xTitle = per === 1 ? `layers with MACs or params, in execution order (${items.length})` : `layers with MACs or params, in execution order: ${items.length} in ${groups.length} bars of ${per}`;
    body.push(xAxis(xs, axisRect, (v) => String(Math.round(v * per)), xTitle));
  }
  const note =
    `Bars: the ${plural(items.length, 'executed layer')} with MACs or params (of ${plural(report.layers.length, 'layer')}), in execution order` +
    (per > 1 ? `; ${per} consecutive layers are summed into each bar to keep ${items.length} layers readable (hover a bar for its layers)` : '; one bar a layer (hover for its name)') +
    `. Layers without MACs or params (activations, pooling, add, reshape) are left out; the band row names the modules.` +
    (unseen.length > 0 ? ` ${plural(unseen.length, 'layer')} no output depends on (${exact(unseen.reduce((s, l) => s + l.params, 0))} params) ${unseen.length === 1 ? 'counts' : 'count'} in the params total but ${unseen.length === 1 ? 'is' : 'are'} not drawn.` : '');
  return { kind: 'layers', svg: svgChart('layers', WIDTH, height, 'MACs and params per layer', note, body.join('')), note };
}

/** The op-type breakdown as stacked bars, one per metric. */
export function opsChart(summary: ModuleSummary): Chart {
  const ops = summary.ops;
  const metrics = [
    ['macs', 'MACs'],
    ['flops', 'FLOPs'],
    ['params', 'params'],
    ['memoryBytes', 'memory access'],
  ] as const;
  const weight = (o: (typeof ops)[number]) => Math.max(...metrics.map(([m]) => o.share[m] ?? 0));
  // a lone leftover op gets the eighth colour rather than an "other" of one
  const colours = ops.length === MAX_OP_COLOURS + 1 ? MAX_OP_COLOURS + 1 : MAX_OP_COLOURS;
  const coloured = [...ops].sort((a, b) => weight(b) - weight(a)).slice(0, colours).map((o) => o.op);
  const colour = new Map(coloured.map((op, i) => [op, OP_PALETTE[i]]));
  const shown = ops.filter((o) => colour.has(o.op));
  const rest = ops.filter((o) => !colour.has(o.op));
  const left = 128;
  const rowH = 30;
  const rows = metrics.map(([m, title], i) => {
    const r: Rect = { x: left, y: 12 + i * (rowH + 12), w: WIDTH - left - RIGHT, h: rowH };
    const segs: Segment[] = shown.map((o) => ({
      value: o[m],
      color: colour.get(o.op)!,
      label: `${o.op} ${(o.share[m] ?? 0).toFixed(1)}%`,
      short: `${(o.share[m] ?? 0).toFixed(0)}%`,
      tip: `${o.op}: ${exact(o[m])} ${title} (${(o.share[m] ?? 0).toFixed(2)}%), ${plural(o.count, 'layer')}`,
    }));
    const other = rest.reduce((s, o) => s + o[m], 0);
    if (other > 0) {
      const share = rest.reduce((s, o) => s + (o.share[m] ?? 0), 0);
      segs.push({ value: other, color: COLOURS.other, label: `other ${share.toFixed(1)}%`, short: `${share.toFixed(0)}%`, tip: `other (${rest.map((o) => o.op).join(', ')}): ${exact(other)} ${title} (${share.toFixed(2)}%)` });
    }
    return stackedRow(r, title, segs);
  });
  const legendY = 12 + metrics.length * (rowH + 12) + 14;
  const items: LegendItem[] = shown.map((o) => ({ label: o.op, color: colour.get(o.op)!, shape: 'rect' }));
  if (rest.length > 0) items.push({ label: `other (${plural(rest.length, 'op type')})`, color: COLOURS.other, shape: 'rect' });
  const leg = legend(left, legendY, WIDTH - left - RIGHT, items);
  const note = `Each bar is one metric's total over the network, split by op type (executed layers; params of every layer). The ${plural(shown.length, 'op type')} with the largest shares ${shown.length === 1 ? 'is' : 'are'} coloured${rest.length ? `; the ${plural(rest.length, 'other op type')} are summed as "other"` : ''}. Exact figures are in the table below.`;
  return { kind: 'ops', svg: svgChart('ops', WIDTH, legendY + leg.height + 4, 'Breakdown by op type', note, rows.join('') + leg.svg), note };
}

/**
 * Receptive-field size along execution order against the input height (the length of a 1-D
 * input): h solid, w dashed where it differs, and for 3-D maps the depth d in a second colour.
 */
export function receptiveFieldChart(report: Report): Chart {
  const layers = report.layers.filter((l) => l.executed);
  // the layout drawn: the first input that carries a field, (N, C, H, W) before the others
  const input = report.inputs.find((i) => i.shape.length === 4) ?? report.inputs.find((i) => i.shape.length === 3 || i.shape.length === 5);
  const names = input ? axisNames(input.shape.length - 2) : [];
  const extent = (a: string) => (input && names.includes(a as never) ? input.shape[2 + names.indexOf(a as never)] : null);
  const main = names.length === 1 ? 'l' : 'h';
  const inputH = extent(main);
  const inputW = extent('w');
  const inputD = extent('d');
  const along = (a: string) =>
    layers.map((l) => {
      const f = l.receptiveField;
      return f && !f.global && f.axes.length === names.length ? f.size[f.axes.indexOf(a as never)] ?? null : null;
    });
  const h = along(main);
  const w = names.includes('w') ? along('w') : h;
  const d = names.includes('d') ? along('d') : null;
  const global = layers.map((l) => (l.receptiveField?.global ? inputH : null));
  const plot: Rect = { x: LEFT, y: 34, w: PLOT_W, h: 260 };
  const bandY = plot.y + plot.h + 6;
  const height = bandY + BAND_H + 48;
  const known = [...h, ...w, ...(d ?? [])].filter((v): v is number => v !== null);
  const title = 'Receptive field along depth';
  if (inputH === null || known.length + global.filter((v) => v !== null).length === 0) {
    const note = 'No receptive field to draw: the network has no image (N×C×H×W) input (nor a sequence N×C×L or video N×C×D×H×W one), or no layer with a spatial field.';
    return { kind: 'receptive-field', svg: svgChart('receptive-field', WIDTH, height, title, note, emptyNote(plot, note)), note };
  }
  const ys = logarithmic(1, Math.max(inputH, inputD ?? 1, ...known) * 1.05, plot.y + plot.h, plot.y, 2, 12);
  const xs = positions(layers.length, LEFT, LEFT + PLOT_W);
  const differs = names.includes('w') && (h.some((v, i) => v !== w[i]) || inputH !== inputW);
  const inputLabel = `input ${inputH}${differs ? ` (h; w ${inputW})` : names.length === 1 ? ' (l)' : ''}${inputD !== null ? `, d ${inputD}` : ''} px`;
  const body = [
    yAxis(ys, plot, (v) => (v < 1e5 ? String(v) : si(v)), 'field size (input pixels)'),
    `<line class="axis-line" x1="${plot.x}" x2="${plot.x + plot.w}" y1="${plot.y + plot.h}" y2="${plot.y + plot.h}"/>`,
    reference(plot, ys.map(inputH), inputLabel, COLOURS.input, 'input'),
    steps(xs, ys, h, COLOURS.macs, { cls: `rf-${main}` }),
    differs ? steps(xs, ys, w, COLOURS.macs, { dash: true, cls: 'rf-w' }) : '',
    d ? steps(xs, ys, d, COLOURS.params, { cls: 'rf-d' }) : '',
    steps(xs, ys, global, COLOURS.global, { cls: 'rf-global' }),
  ];
  // hover targets: a column a layer, or past MAX_BARS layers a column as many as share a bar
  const fieldText = (l: LayerReport) => {
    const rf = l.receptiveField;
    const axes = rf && rf.axes.length !== 2 ? ` (${rf.axes.join('×')})` : '';
    return !rf ? 'unknown' : rf.global ? 'global (the whole input)' : `${rf.size.join('×')}, stride ${rf.stride.join('×')}${axes}`;
  };
  body.push(
    hoverColumns(xs, plot, layers.length, perColumn(layers.length), (i, j) => {
      const [a, b] = [layers[i], layers[j - 1]];
      if (j - i === 1) return `${a.name} (${a.op})\nfield ${fieldText(a)}`;
      const [fa, fb] = [fieldText(a), fieldText(b)];
      return `${j - i} layers: ${a.name} … ${b.name}\nfield ${fa === fb ? fa : `${fa} … ${fb}`}`;
    }),
  );
  const firstOver = h.findIndex((v) => v !== null && v > inputH);
  const items: LegendItem[] = [{ label: `local field, ${main}`, color: COLOURS.macs, shape: 'line' }];
  if (differs) items.push({ label: 'local field, w', color: COLOURS.macs, shape: 'dash' });
  if (d) items.push({ label: 'local field, d', color: COLOURS.params, shape: 'line' });
  if (global.some((v) => v !== null)) items.push({ label: 'global (whole input)', color: COLOURS.global, shape: 'line' });
  items.push({ label: 'input size', color: COLOURS.input, shape: 'dash' });
  body.push(legend(LEFT + 4, 18, PLOT_W, items).svg);
  const byName = pathsByName(report);
  body.push(bands(xs, bandY, BAND_H, moduleBands(layers.map((l) => byName.get(l.name)!))));
  body.push(xAxis(xs, { x: LEFT, y: bandY, w: PLOT_W, h: BAND_H }, (v) => String(v), `executed layers in execution order (${layers.length})`));
  const res = report.structure.resolution;
  const note =
    `The field of every executed layer's output, per axis in input pixels (log₂ scale), against the input (${(input?.shape ?? []).slice(2).join('×')}${names.length === 2 ? '' : `, ${names.join('×')}`}). ` +
    (firstOver >= 0 ? `It exceeds the input ${names.length === 1 ? 'length' : 'height'} from layer ${layers[firstOver].name} on (padding counts in the field). ` : 'It stays within the input. ') +
    (global.some((v) => v !== null) ? 'Layers after the spatial axes are collapsed (global pooling, flatten, linear) see the whole input and are drawn at its size. ' : '') +
    (res ? `Final feature map ${res.finalFeatureMap.join('×')} at ${res.finalFeatureMapLayer}; valid input sizes: ${res.validInputSizes}.` : '');
  return { kind: 'receptive-field', svg: svgChart('receptive-field', WIDTH, height, title, note, body.join('')), note };
}

/** Live activation bytes along execution order, with the peak marked. */
export function memoryChart(report: Report, memory: MemoryReport): Chart {
  const t = memory.timeline;
  const plot: Rect = { x: LEFT, y: 34, w: PLOT_W, h: 260 };
  const bandY = plot.y + plot.h + 6;
  const height = bandY + BAND_H + 48;
  const title = 'Activation memory timeline';
  if (t.length === 0) {
    const note = 'No executed layer: nothing to draw.';
    return { kind: 'memory', svg: svgChart('memory', WIDTH, height, title, note, emptyNote(plot, note)), note };
  }
  // headroom above the peak for its label
  const ys = zeroBased(Math.max(...t.map((e) => e.during)) * 1.2, plot.y + plot.h, plot.y, 5);
  const xs = positions(t.length, LEFT, LEFT + PLOT_W);
  const body = [
    yAxis(ys, plot, (v) => si(v, 'B'), `live activations (${memory.dtype})`),
    steps(xs, ys, t.map((e) => e.during), COLOURS.during, { area: true, cls: 'during' }),
    steps(xs, ys, t.map((e) => e.after), COLOURS.after, { dash: true, cls: 'after' }),
    `<line class="axis-line" x1="${plot.x}" x2="${plot.x + plot.w}" y1="${plot.y + plot.h}" y2="${plot.y + plot.h}"/>`,
    hoverColumns(xs, plot, t.length, perColumn(t.length), (i, j) => {
      if (j - i === 1) {
        const e = t[i];
        return `step ${e.step}: ${e.layer} (${e.op})\nduring ${exact(e.during)} B (${si(e.during, 'B')}), after ${exact(e.after)} B\nallocated ${si(e.allocatedBytes, 'B')}, freed ${si(e.freedBytes, 'B')}`;
      }
      const most = t.slice(i, j).reduce((m, e) => (e.during > m.during ? e : m));
      return `steps ${t[i].step}–${t[j - 1].step}: ${t[i].layer} … ${t[j - 1].layer}\nmost during ${exact(most.during)} B (${si(most.during, 'B')}) at step ${most.step}, ${most.layer}`;
    }),
  ];
  const p = memory.peak;
  if (p.step !== null && p.layer !== null) {
    const x = (xs.map(p.step) + xs.map(p.step + 1)) / 2;
    // the callout at most half the plot wide, the name cut from the left (siblings differ at the end): the tooltip, the facts and the note name it whole
    const around = `while  runs (step ${p.step})`;
    const lines = [`peak ${si(p.bytes, 'B')}`, `while ${fitEnd(p.layer, PLOT_W / 2 - textWidth(around), 12)} runs (step ${p.step})`];
    body.push(marker(plot, x, ys.map(p.bytes), lines, COLOURS.peak, 'peak', `peak: ${plural(p.bytes, 'byte')} at step ${p.step}, layer ${p.layer}; ${plural(p.live.length, 'tensor')} alive`));
  }
  body.push(
    legend(LEFT + 4, 18, PLOT_W, [
      { label: 'while the layer runs (inputs and outputs alive)', color: COLOURS.during, shape: 'rect' },
      { label: 'after it (inputs read last freed)', color: COLOURS.after, shape: 'dash' },
    ]).svg,
  );
  const byName = pathsByName(report);
  body.push(bands(xs, bandY, BAND_H, moduleBands(t.map((e) => byName.get(e.layer) ?? [e.layer]))));
  body.push(xAxis(xs, { x: LEFT, y: bandY, w: PLOT_W, h: BAND_H }, (v) => String(v), `executed layers in execution order (${t.length})`));
  const note =
    `Bytes of activation tensors alive at each step, ${memory.dtype} (${plural(memory.bytesPerElement, 'byte')} per element), ${memory.inPlace ? 'element-wise layers written in place' : 'no buffer reused'}; weights (${si(memory.weights.bytes, 'B')}) are not included. ` +
    (p.layer !== null ? `Peak ${si(p.bytes, 'B')} (${plural(p.bytes, 'byte')}) while ${p.layer} runs.` : '') +
    (memory.complete ? '' : ` ${plural(memory.unknownTensors.length, 'tensor')} of unknown shape count as 0: a lower bound.`);
  return { kind: 'memory', svg: svgChart('memory', WIDTH, height, title, note, body.join('')), note };
}

/** Radius of the slowest layer's dot in the roofline; the others by area ∝ time, none below MIN_DOT_R so the briefest stay visible. */
export const MAX_DOT_R = 13;
export const MIN_DOT_R = 2;

/** Layers under the device's roofs: intensity against attainable FLOP/s, log–log; a quantized layer's integer ops count (under an int8 roof of their own). */
export function rooflineChart(rl: RooflineReport): Chart {
  const d = rl.device;
  const ops = (l: RooflineReport['layers'][number]) => l.flops + l.intOps;
  const plotted = rl.layers.filter((l) => ops(l) > 0 && l.bytes > 0 && l.seconds > 0);
  const intRoof = rl.totals.intOps > 0 && d.intPeakOps !== d.peakFlops;
  const intRidge = d.intPeakOps / d.bandwidth;
  const plot: Rect = { x: LEFT, y: 34, w: PLOT_W, h: 330 };
  const height = plot.y + plot.h + 52;
  const title = `Roofline on ${d.name}`;
  const ais = plotted.map((l) => ops(l) / l.bytes);
  const xs = logarithmic(Math.min(d.ridgePoint / 4, ...ais), Math.max(d.ridgePoint * 4, intRoof ? intRidge * 4 : 0, ...ais), LEFT, LEFT + PLOT_W);
  const perf = plotted.map((l) => ops(l) / l.seconds);
  const ys = logarithmic(Math.min(d.bandwidth * xs.lo, ...perf), Math.max(d.peakFlops, intRoof ? d.intPeakOps : 0) * 3, plot.y + plot.h, plot.y);
  const xStart = Math.max(xs.lo, ys.lo / d.bandwidth);
  const roofAt = (peak: number, ridge: number): [number, number][] => [
    [xs.map(xStart), ys.map(d.bandwidth * xStart)],
    [xs.map(ridge), ys.map(peak)],
    [xs.map(xs.hi), ys.map(peak)],
  ];
  const roof = roofAt(d.peakFlops, d.ridgePoint);
  const int8 = roofAt(d.intPeakOps, intRidge);
  const longest = Math.max(...plotted.map((l) => l.seconds), 0);
  const pts: Dot[] = plotted.map((l, i) => ({
    x: xs.map(ais[i]),
    y: ys.map(perf[i]),
    // area ∝ time, as the legend says (3 + 10·√(t/T) drew a layer of a quarter the time at 8/13 the radius, 38% of the area)
    r: Math.max(MIN_DOT_R, MAX_DOT_R * Math.sqrt(l.seconds / (longest || 1))),
    color: l.bound === 'compute' ? COLOURS.compute : COLOURS.memory,
    tip: `${l.name} (${l.op}), ${l.bound}-bound\nintensity ${si(ais[i])} FLOP/B: ${plural(l.flops, 'FLOP')}${l.intOps ? ` + ${plural(l.intOps, 'integer op')}` : ''}, ${plural(l.bytes, 'byte')}\n${secondsText(l.seconds)} at ${si(perf[i], 'FLOP/s')}`,
  }));
  // past MAX_BARS layers, layers drawn alike (a 3,000-block import's repeats) are one dot naming them
  const drawn = plotted.length > MAX_BARS ? mergeDots(pts, (m) => `${plural(m.length, 'layer')} alike, ${plotted[m[0]].bound}-bound: ${m.slice(0, 5).map((i) => plotted[i].name).join(', ')}${m.length > 5 ? ', …' : ''}\n${pts[m[0]].tip.split('\n').slice(1).join('\n')}`) : pts;
  const ridgeX = xs.map(d.ridgePoint);
  const body = [
    yAxis(ys, plot, (v) => si(v), 'attainable FLOP/s'),
    xAxis(xs, plot, (v) => si(v), 'arithmetic intensity (FLOP per byte moved)', true),
    `<g data-mark="ridge"><line x1="${n2(ridgeX)}" x2="${n2(ridgeX)}" y1="${n2(ys.map(d.peakFlops))}" y2="${n2(plot.y + plot.h)}" stroke="#888" stroke-width="1" stroke-dasharray="3 3"/>` +
      `<text class="ref-label" x="${n2(ridgeX + 5)}" y="${n2(plot.y + plot.h - 8)}">ridge ${esc(si(d.ridgePoint))} FLOP/B</text></g>`,
    line(roof, COLOURS.ceiling, 2.5),
    intRoof ? line(int8, COLOURS.ceiling, 1.2) + segmentLabel(int8[1], int8[2], `int8 peak ${si(d.intPeakOps, 'op/s', 4)} (integer ops)`, drawn, 1) : '',
    plotted.length ? dots(drawn) : emptyNote(plot, 'no layer with FLOPs and bytes'),
    segmentLabel(roof[1], roof[2], `peak ${si(d.peakFlops, 'FLOP/s', 4)} (${d.computeDtype})`, drawn, 1),
    segmentLabel(roof[0], roof[1], `memory ${si(d.bandwidth, 'B/s', 4)}`, drawn, 0.5),
  ];
  const cb = rl.totals;
  const items: LegendItem[] = [
    { label: `compute-bound: ${plural(cb.computeBoundLayers, 'layer')}, ${secondsText(cb.computeBoundSeconds)}`, color: COLOURS.compute, shape: 'circle' },
    { label: `memory-bound: ${plural(cb.memoryBoundLayers, 'layer')}, ${secondsText(cb.memoryBoundSeconds)}`, color: COLOURS.memory, shape: 'circle' },
    { label: 'circle area ∝ layer time (the briefest at a minimum size)', color: '#bbbbbb', shape: 'circle' },
  ];
  body.push(legend(LEFT + 4, 18, PLOT_W, items).svg);
  const left = rl.layers.length - plotted.length;
  const note =
    `${d.name}, ${d.dtype} (${d.computeDtype} arithmetic): peak ${si(d.peakFlops, 'FLOP/s', 4)}, memory ${si(d.bandwidth, 'B/s', 4)}, ridge at ${si(d.ridgePoint)} FLOP/byte. ` +
    `Each layer sits on the roof min(peak, bandwidth × intensity) at its own intensity; left of the ridge it is memory-bound. ` +
    `Total ${secondsText(cb.seconds)}, a lower bound.` +
    (drawn.length < pts.length ? ` Layers drawn alike (the same intensity, FLOP/s and time) share one dot: ${plural(plotted.length, 'layer')} as ${plural(drawn.length, 'dot')} (hover a dot for its layers).` : '') +
    (left > 0 ? ` ${plural(left, 'layer')} with no FLOPs or no bytes (reshape, flatten) ${left === 1 ? 'is' : 'are'} not drawn.` : '');
  return { kind: 'roofline', svg: svgChart('roofline', WIDTH, height, title, note, body.join('')), note };
}
