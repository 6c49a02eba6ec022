/**
 * How much of a long list the HTML report (formats/html.ts) prints. A 3,000-layer import listed
 * every module at depth 3 (6,300 rows, 332,568 px of a 339,610 px page, most of a 6 MB file), as
 * the per-layer charts had been before they summed layers into bars: past these limits the page
 * shows a part, says how much it leaves out, and where the whole is (the JSON report lists every
 * module and warning, the CSV every layer). Pure selection: html.ts renders what is chosen.
 */
import type { ModuleNode, ModuleTree } from '../modules.js';
import type { ReportWarning } from '../report.js';

/**
 * Rows of the module table. Every built-in model fits at the default depth 3 (inception_v3's 436
 * rows the most; resnet101 378), so a table is cut only for a network far larger than those:
 * 500 rows are about 11,000 px, some twelve printed pages.
 */
export const MAX_MODULE_ROWS = 500;
/** Rows of the warnings table: the built-in models give at most 27 (swin_s), a per-layer warning on every layer of an import thousands. */
export const MAX_WARNING_ROWS = 100;
/** Layer names listed in one table cell (the roofline's layers not counted) before "… and N more". */
export const MAX_NAMES_IN_CELL = 20;

export interface ModuleRows {
  /** The rows, depth first in execution order (flattenModules's order). */
  rows: ModuleNode[];
  /** The depth the rows reach: the tree's, or a shallower one when that has too many modules. */
  depth: number;
  /** Modules of the tree at the depth asked. */
  all: number;
  /** Top-level modules past the rows, when even depth 1 has more than MAX_MODULE_ROWS: summed in one last row. */
  rest: { modules: number; layers: number; params: number; macs: number; memoryBytes: number } | null;
}

const flatten = (modules: readonly ModuleNode[], depth: number): ModuleNode[] =>
  modules.flatMap((m) => (m.depth <= depth ? [m, ...flatten(m.children, depth)] : []));

/**
 * The module table's rows: the whole tree when it fits in `max` rows; else the tree at the deepest
 * depth that fits, every module still listed with the modules below it summed in (so the rows
 * still add up to the totals); else, when even the top level does not fit, its first `max − 1`
 * modules and the others summed in one row. The rows keep the tree's order, as torchinfo's do.
 */
export function moduleRows(tree: ModuleTree, max = MAX_MODULE_ROWS): ModuleRows {
  const all = flatten(tree.modules, tree.depth).length;
  for (let depth = tree.depth; depth >= 1; depth--) {
    const rows = flatten(tree.modules, depth);
    if (rows.length <= max) return { rows, depth, all, rest: null };
  }
  const shown = tree.modules.slice(0, Math.max(0, max - 1));
  const others = tree.modules.slice(shown.length);
  const sum = (key: 'layers' | 'params' | 'macs' | 'memoryBytes') => others.reduce((s, m) => s + m[key], 0);
  return { rows: shown, depth: 1, all, rest: { modules: others.length, layers: sum('layers'), params: sum('params'), macs: sum('macs'), memoryBytes: sum('memoryBytes') } };
}

export interface WarningRows {
  rows: ReportWarning[];
  /** What is left out, per code in order of first appearance: [code, severity, count]. */
  left: [string, ReportWarning['severity'], number][];
}

/**
 * At most `max` warnings, in the report's order; when some must go, those of severity `warning`
 * are kept before the `info` ones, so a thousand notes cannot hide the one warning.
 */
export function warningRows(warnings: readonly ReportWarning[], max = MAX_WARNING_ROWS): WarningRows {
  if (warnings.length <= max) return { rows: [...warnings], left: [] };
  const rank = (w: ReportWarning) => (w.severity === 'warning' ? 0 : 1);
  const kept = new Set(
    [...warnings.keys()]
      .sort((a, b) => rank(warnings[a]) - rank(warnings[b]) || a - b)
      .slice(0, max),
  );
  const left = new Map<string, [string, ReportWarning['severity'], number]>();
  warnings.forEach((w, i) => {
    if (kept.has(i)) return;
    const key = `${w.severity} ${w.code}`;
    const entry = left.get(key) ?? left.set(key, [w.code, w.severity, 0]).get(key)!;
    entry[2]++;
  });
  return { rows: warnings.filter((_, i) => kept.has(i)), left: [...left.values()] };
}

/** The first `max` names and how many more there are. */
export function someNames(names: readonly string[], max = MAX_NAMES_IN_CELL): { names: string[]; more: number } {
  return { names: names.slice(0, max), more: Math.max(0, names.length - max) };
}

/** Warnings of one code the text renderings (the CLI's table, Markdown) print one by one before summing the rest in a line. */
export const MAX_WARNINGS_PER_CODE = 5;

export interface WarningsByCode {
  rows: ReportWarning[];
  /** Per code past its first `perCode`, in order of first appearance: the code, its severity, how many more, the layers they name. */
  more: { code: string; severity: ReportWarning['severity']; count: number; layers: string[] }[];
}

/**
 * The first `perCode` warnings of each code (and severity), in the report's order, and the others
 * of that code counted with the layers they name: an import warned once a layer (SSDlite's 180
 * DATA_DEPENDENT_SHAPE, one per NonZero) is one line past the first few, not a screen of them.
 */
export function warningsByCode(warnings: readonly ReportWarning[], perCode = MAX_WARNINGS_PER_CODE): WarningsByCode {
  const seen = new Map<string, number>();
  const more = new Map<string, WarningsByCode['more'][number]>();
  const rows: ReportWarning[] = [];
  for (const w of warnings) {
    const key = `${w.severity} ${w.code}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n <= perCode) {
      rows.push(w);
      continue;
    }
    const entry = more.get(key) ?? more.set(key, { code: w.code, severity: w.severity, count: 0, layers: [] }).get(key)!;
    entry.count++;
    if (w.layer) entry.layers.push(w.layer);
  }
  return { rows, more: [...more.values()] };
}
