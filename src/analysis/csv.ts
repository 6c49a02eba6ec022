/**
 * A report as CSV (RFC 4180): one row per layer, in report order, then a `TOTAL` row. The columns
 * are the CLI's (`convlens analyze --format csv`, cli/format.ts) and, when those analyses were
 * asked for (analysis/extras.ts), more on the right, so a spreadsheet that reads the first twelve
 * keeps working:
 *
 *   layer, op, output, params, macs, flops, memory_bytes,
 *   rf_h, rf_w, rf_stride_h, rf_stride_w, rf_global        the h and w axes of the field (2-D
 *                                                          maps, and 3-D maps' h and w); a global
 *                                                          field has empty size and stride and
 *                                                          rf_global=true
 *   1-D / 3-D:  rf_l, rf_stride_l          only when a layer has a 1-D field (N, C, L): its one axis
 *               rf_d, rf_stride_d          only when a layer has a 3-D field (N, C, D, H, W): depth
 *   memory:     live_bytes        bytes alive while the layer runs (the timeline's `during`);
 *               allocated_bytes   its new output buffers (0 when written in place);
 *               TOTAL: live_bytes is the peak, allocated_bytes the sum
 *   roofline:   latency_s, bound, roofline_intensity      per layer max(FLOPs / peak, bytes /
 *               bandwidth), compute or memory; TOTAL: the sum (a lower bound), no bound
 *   convention: <preset>_<unit>   (e.g. ptflops_macs) the tool's count; TOTAL: its total
 *   explain:    params_formula, macs_formula               the formulas with values substituted
 *   deployed:   fused_into              the host layer a fused layer's work moved into (empty
 *                                       when it stays a layer of its own);
 *               deployed_memory_bytes   memory access after the fusions: the group's on its host,
 *                                       0 on the layers fused away; TOTAL: the deployed total
 *
 * Cells of layers an analysis does not cover (not executed, unsupported; the work of a constant too
 * large to fold, CONSTANT_LAYERS_NOT_COUNTED, as a folded one's) are empty, never 0: a
 * layer that does not run has its params and no macs, flops or memory_bytes, so the rows of those
 * columns add up to TOTAL (less exclusive If branches' credit, analysis/branches.ts).
 */
import type { Extras } from './extras.js';
import type { LayerReport, Report } from './report.js';
import { uncountedLayers } from './constant-work.js';

export const CSV_BASE_COLUMNS = ['layer', 'op', 'output', 'params', 'macs', 'flops', 'memory_bytes', 'rf_h', 'rf_w', 'rf_stride_h', 'rf_stride_w', 'rf_global'] as const;
export const CSV_TOTAL_ROW = 'TOTAL';

type Cell = string | number | boolean | undefined | null;

/**
 * RFC 4180 field: quoted when it holds a comma, a quote or a line break. A text (a layer name)
 * that starts with = + - @, a tab or a carriage return gets a leading ' so that a spreadsheet
 * shows it rather than evaluating it as a formula (OWASP's CSV injection advice); numbers are
 * written as they are.
 */
const cell = (v: Cell) => {
  const raw = v === undefined || v === null ? '' : String(v);
  const s = typeof v === 'string' && /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

type Field = LayerReport['receptiveField'];

/** Size and stride of the field along the named axis; empty when it has no such axis or is global. */
function axisCells(f: Field, axis: 'l' | 'd' | 'h' | 'w'): Cell[] {
  const i = f && !f.global ? f.axes.indexOf(axis) : -1;
  return f && !f.global && i >= 0 ? [f.size[i], f.stride[i]] : [undefined, undefined];
}

function fieldCells(f: Field): Cell[] {
  const [h, w] = [axisCells(f, 'h'), axisCells(f, 'w')];
  return [h[0], w[0], h[1], w[1], f ? f.global : undefined];
}

/** The columns of 1-D and 3-D fields' other axes, when the report has such fields (2-D reports keep their twelve columns). */
function axisColumns(r: Report): Columns[] {
  const counts = new Set(r.layers.map((l) => l.receptiveField?.axes.length));
  return (['l', 'd'] as const)
    .filter((a) => counts.has(a === 'l' ? 1 : 3))
    .map((a) => ({ head: [`rf_${a}`, `rf_stride_${a}`], layer: (l: LayerReport) => axisCells(l.receptiveField, a), total: [undefined, undefined] }));
}

/** A group of columns: header names, a row's cells for a layer, the TOTAL row's cells. */
interface Columns {
  head: string[];
  layer(l: LayerReport): Cell[];
  total: Cell[];
}

function extraColumns(extras: Extras): Columns[] {
  const groups: Columns[] = [];
  const m = extras.memory;
  if (m) {
    const steps = new Map(m.timeline.map((t) => [t.layer, t]));
    groups.push({
      head: ['live_bytes', 'allocated_bytes'],
      layer: (l) => {
        const t = steps.get(l.name);
        return t ? [t.during, t.allocatedBytes] : [undefined, undefined];
      },
      total: [m.peak.bytes, m.timeline.reduce((s, t) => s + t.allocatedBytes, 0)],
    });
  }
  const r = extras.roofline;
  if (r) {
    const rows = new Map(r.layers.map((x) => [x.name, x]));
    groups.push({
      head: ['latency_s', 'bound', 'roofline_intensity'],
      layer: (l) => {
        const x = rows.get(l.name);
        return x ? [x.seconds, x.bound, x.arithmeticIntensity] : [undefined, undefined, undefined];
      },
      total: [r.totals.seconds, undefined, r.totals.bytes > 0 ? (r.totals.flops + r.totals.intOps) / r.totals.bytes : undefined],
    });
  }
  const c = extras.convention;
  if (c) {
    const rows = new Map(c.layers.map((x) => [x.name, x]));
    groups.push({
      head: [`${c.preset}_${c.unit.toLowerCase()}`.replace(/[^a-z0-9_]/g, '_')],
      layer: (l) => [rows.get(l.name)?.count],
      total: [c.total],
    });
  }
  const x = extras.explain;
  if (x) {
    const rows = new Map(x.layers.map((e) => [e.name, e]));
    groups.push({
      head: ['params_formula', 'macs_formula'],
      layer: (l) => {
        const e = rows.get(l.name);
        return e ? [e.params.formula, e.macs.formula] : [undefined, undefined];
      },
      total: [undefined, undefined],
    });
  }
  const d = extras.deployed;
  if (d) {
    const host = new Map<string, string>();
    const bytes = new Map<string, number>();
    for (const g of d.groups) {
      for (const name of g.layers) {
        host.set(name, g.host);
        bytes.set(name, name === g.host ? g.deployed.memoryAccess.bytes : 0);
      }
    }
    groups.push({
      head: ['fused_into', 'deployed_memory_bytes'],
      layer: (l) => [host.get(l.name) === l.name ? undefined : host.get(l.name), bytes.get(l.name) ?? (l.executed ? l.memoryAccess.bytes : undefined)],
      total: [undefined, d.deployed.memoryAccess.bytes],
    });
  }
  return groups;
}

/** The report as CSV, with the columns of the extras given (see the header). */
export function reportCsv(r: Report, extras: Extras = {}): string {
  const groups = [...axisColumns(r), ...extraColumns(extras)];
  const head = [...CSV_BASE_COLUMNS, ...groups.flatMap((g) => g.head)];
  // a layer no output depends on (Inception-v3's AuxLogits in eval) does not run: its parameters
  // count, its work does not, as in the totals; nor does a constant too large to fold's
  // (CONSTANT_LAYERS_NOT_COUNTED, whose note gives its figures), as the folded ones'
  const uncounted = uncountedLayers(r);
  const ran = (l: LayerReport, v: number) => (l.executed && !uncounted.has(l.name) ? v : undefined);
  const rows: Cell[][] = r.layers.map((l) => [
    l.name,
    l.op,
    l.outputShape?.join('x'),
    l.params,
    ran(l, l.macs),
    ran(l, l.flops),
    ran(l, l.memoryAccess.bytes),
    ...fieldCells(l.receptiveField),
    ...groups.flatMap((g) => g.layer(l)),
  ]);
  const t = r.totals;
  rows.push([CSV_TOTAL_ROW, undefined, undefined, t.params, t.macs, t.flops, t.memoryAccess.bytes, ...fieldCells(null), ...groups.flatMap((g) => g.total)]);
  return [head.join(','), ...rows.map((row) => row.map(cell).join(','))].join('\n');
}
