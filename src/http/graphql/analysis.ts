/**
 * GraphQL over the analyses of issue 11, computed by the same code as REST and the CLI
 * (analysis/extras.ts in the analyze worker task; the compare and sweep tasks):
 *   - Report.memory, roofline, modules, convention, explain, deployed: the analyze resolver reads
 *     which of them its selection asks for, with their arguments (graphql/selection.ts), checks
 *     them (an unknown device or preset is INVALID_OPTION naming the argument and the closest
 *     name) and runs one worker task that returns the report with those keys;
 *   - compare(old:, new:), sweep, devices, conventions;
 *   - the mappings from the analyses' JSON to the SDL's types (twoMacs for `2macs`, the module
 *     tree flattened with parents, records as lists).
 */
import { parseThreshold } from '../../analysis/compare.js';
import { DEVICES, resolveDevice } from '../../analysis/devices.js';
import type { DeviceProfile } from '../../analysis/devices.js';
import { ExtrasOptionsSchema, MAX_TOP_K, planExtras } from '../../analysis/extras.js';
import type { ExtrasOptions } from '../../analysis/extras.js';
import { DEFAULT_MODULE_DEPTH, flattenModules, MAX_MODULE_DEPTH } from '../../analysis/modules.js';
import type { RenderFormat } from '../../analysis/render.js';
import type { AnalyzeTask } from '../../runtime/tasks.js';
import type { ModuleNode } from '../../analysis/modules.js';
import { conventionCatalog } from '../catalog.js';
import { ConvlensError } from '../../errors.js';
import { closest } from '../../suggest.js';
import type { GraphSource } from '../../graph/load.js';
import { byConvention, memoryAccess } from './results.js';

type Parent = Record<string, any>;

/** The Report fields computed with the analysis, and the worker options each selection adds. */
export const REPORT_EXTRA_FIELDS = ['memory', 'roofline', 'modules', 'convention', 'explain', 'deployed'] as const;
type ExtraField = (typeof REPORT_EXTRA_FIELDS)[number];

/** Where an extras option comes from in the document, for error paths. */
const ARGUMENT_OF: Record<keyof ExtrasOptions, string> = {
  depth: 'modules(depth:)',
  topK: 'modules(topK:)',
  memory: 'memory',
  inPlace: 'memory(inPlace:)',
  device: 'roofline(device:)',
  convention: 'convention(name:)',
  convTranspose: 'convention(convTranspose:)',
  explain: 'explain',
  deployed: 'deployed',
} as Record<keyof ExtrasOptions, string>;

/** GraphQL passes omitted optional arguments as absent and explicit ones as null: both mean "not given". */
export function stripNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map(stripNulls) as T;
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => [k, stripNulls(x)])) as T;
}

/** The extras options of a Report selection, and the fields whose arguments were refused. */
export interface SelectedExtras {
  options: ExtrasOptions;
  /** A field's own error (an unknown device, a depth out of range): that field answers it, the rest of the report is computed. */
  errors: Partial<Record<ExtraField | 'netron' | 'markdown' | 'html', ConvlensError>>;
}

/**
 * The extras options a Report selection asks for. A field selected twice must ask the same (one
 * worker task computes one memory report, one roofline, …): different arguments are INVALID_OPTION.
 * Each field is checked alone, before any work: a field whose arguments are refused is left out of
 * the task, and its error is the field's (a GraphQL field error at `analyze.roofline`), not the
 * whole report's.
 */
export function extrasOptions(selected: Map<string, Record<string, unknown>[]>): SelectedExtras {
  const o: Record<string, unknown> = {};
  const errors: SelectedExtras['errors'] = {};
  const field = (name: ExtraField, options: (args: Record<string, unknown>) => Record<string, unknown>) => {
    try {
      const list = selected.get(name)?.map((a) => stripNulls(a));
      if (!list?.length) return;
      const distinct = new Set(list.map((a) => JSON.stringify(a)));
      if (distinct.size > 1) {
        throw new ConvlensError('INVALID_OPTION', `${name} is selected with different arguments (${[...distinct].join(', ')}); one analysis computes it once: select it once, or use another analyze`, {
          path: `$.${name}`,
        });
      }
      const mine = options(list[0]);
      const parsed = ExtrasOptionsSchema.safeParse(mine);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const key = String(issue.path[0] ?? '') as keyof ExtrasOptions;
        const at = ARGUMENT_OF[key] ?? key;
        throw new ConvlensError('INVALID_OPTION', `${at}: ${issue.message}`, { path: `$.${at}` });
      }
      // unknown device or preset names fail here, before any work, at the argument that gave them
      planExtras(parsed.data, (key) => `$.${ARGUMENT_OF[key] ?? key}`);
      Object.assign(o, parsed.data);
    } catch (e) {
      if (!(e instanceof ConvlensError)) throw e;
      errors[name] = e;
    }
  };
  field('memory', (memory) => ({ memory: true, ...(memory.inPlace !== undefined && { inPlace: memory.inPlace }) }));
  field('roofline', (rl) => {
    if ((rl.device === undefined) === (rl.profile === undefined)) {
      throw new ConvlensError('INVALID_OPTION', 'roofline needs exactly one of device (a built-in id, see `devices`) or profile (a custom device)', { path: '$.roofline' });
    }
    // a profile is checked here so its errors point into it (the options' union would name device)
    if (rl.profile !== undefined) resolveDevice(rl.profile, '$.roofline(profile:)');
    return { device: rl.device ?? rl.profile };
  });
  field('modules', (modules) => {
    for (const [arg, max] of [
      ['depth', MAX_MODULE_DEPTH],
      ['topK', MAX_TOP_K],
    ] as const) {
      const v = modules[arg];
      if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max)) {
        throw new ConvlensError('INVALID_OPTION', `modules(${arg}:) must be an integer from 0 to ${max}, got ${String(v)}`, { path: `$.modules(${arg}:)` });
      }
    }
    // a modules selection without arguments still asks for the summary, at the default depth
    return { depth: modules.depth ?? DEFAULT_MODULE_DEPTH, ...(modules.topK !== undefined && { topK: modules.topK }) };
  });
  field('convention', (convention) => ({ convention: convention.name, ...(convention.convTranspose !== undefined && { convTranspose: convention.convTranspose }) }));
  field('explain', () => ({ explain: true }));
  field('deployed', () => ({ deployed: true }));
  return { options: o as ExtrasOptions, errors };
}

/** Report fields rendered in the worker, and their format names (analysis/render.ts). */
const RENDERED: Record<string, RenderFormat> = { markdown: 'md', html: 'html', csv: 'csv', netron: 'netron' };

/**
 * The renderings a Report selection asks for (markdown, html, csv, netron), with the one depth and
 * topK their module tables use; netron only for an ONNX source: for another, netron answers its
 * own error (put in `errors`), the rest of the report is computed. Null when none is selected.
 */
export function renderOptions(selected: Map<string, Record<string, unknown>[]>, source: GraphSource, errors: SelectedExtras['errors'] = {}): AnalyzeTask['render'] | undefined {
  if (selected.has('netron') && source.kind !== 'onnx') {
    errors.netron = new ConvlensError('INVALID_OPTION', "netron annotates an ONNX file's nodes: analyse an ONNX file (onnxBase64); a spec or built-in model has none", { path: '$.netron' });
  }
  // markdown's and html's depth and topK: refused arguments are those fields' errors (as modules'), the rest is rendered
  let tables: { depth?: number; topK?: number } = {};
  try {
    tables = moduleTableArguments(selected);
  } catch (e) {
    if (!(e instanceof ConvlensError)) throw e;
    for (const f of ['markdown', 'html'] as const) if (selected.has(f)) errors[f] = e;
  }
  const formats = Object.keys(RENDERED).filter((f) => selected.has(f) && !errors[f as keyof typeof errors]);
  if (!formats.length) return undefined;
  const { depth, topK } = tables;
  return { formats: formats.map((f) => RENDERED[f]), ...(depth !== undefined && { depth }), ...(topK !== undefined && { topK }) };
}

/** The one depth and topK markdown and html render their module tables with (one rendering pass), in REST's ranges. */
function moduleTableArguments(selected: Map<string, Record<string, unknown>[]>): { depth?: number; topK?: number } {
  const args = ['markdown', 'html'].flatMap((f) => (selected.get(f) ?? []).map((a) => stripNulls(a)));
  const distinct = new Set(args.map((a) => JSON.stringify({ depth: a.depth, topK: a.topK })));
  if (distinct.size > 1) {
    throw new ConvlensError('INVALID_OPTION', `markdown and html are selected with different depth or topK (${[...distinct].join(', ')}): one rendering pass uses one; select them alike`, { path: '$.markdown' });
  }
  const { depth, topK } = (args[0] ?? {}) as { depth?: number; topK?: number };
  if (depth !== undefined && !(Number.isInteger(depth) && depth >= 0 && depth <= MAX_MODULE_DEPTH)) {
    throw new ConvlensError('INVALID_OPTION', `depth must be an integer from 0 to ${MAX_MODULE_DEPTH}, got ${depth}`, { path: '$.markdown(depth:)' });
  }
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 0 && topK <= MAX_TOP_K)) {
    throw new ConvlensError('INVALID_OPTION', `topK must be an integer from 0 to ${MAX_TOP_K}, got ${topK}`, { path: '$.markdown(topK:)' });
  }
  return { depth, topK };
}

/** An explanation cut to the named layers (report order kept); an unknown name is INVALID_OPTION naming the closest. */
function explainLayers(e: Parent, names: string[] | undefined): Parent {
  if (!names) return e;
  const all = (e.layers as { name: string }[]).map((l) => l.name);
  const known = new Set(all);
  names.forEach((name, i) => {
    if (known.has(name)) return;
    const near = closest(name, all);
    throw new ConvlensError('INVALID_OPTION', `explain: no layer '${name}'${near ? `; did you mean '${near}'?` : ''}`, { path: `$.explain(layers:)[${i}]`, ...(near ? { suggestion: near } : {}) });
  });
  const wanted = new Set(names);
  const layers = (e.layers as Parent[]).filter((l) => wanted.has(l.name));
  return { layers, agrees: layers.every((l) => l.agrees) };
}

/** A module tree flattened in tree order, each node with its parent's path. */
function flatModules(tree: Parent) {
  return flattenModules(tree.modules as ModuleNode[]).map(({ children: _c, ...m }) => ({
    ...m,
    parent: m.depth > 1 ? m.path.slice(0, m.path.length - m.name.length - 1) : null,
  }));
}

const toGqlFlops = (c: string) => (c === '2macs' ? 'twoMacs' : c);

/** compare's gates: [{ metric, maxIncrease: "5%" }] → analysis/compare.ts gates, each named by its argument's path (INVALID_OPTION there when at fault). */
export function gatesOf(raw: { metric: string; maxIncrease: string }[] | undefined) {
  return (raw ?? []).map((g, i) => {
    const path = `$.gates[${i}].maxIncrease`;
    return { metric: g.metric, maxIncrease: parseThreshold(g.maxIncrease, path), givenAs: path };
  });
}

/** A device argument pair (built-in id or custom profile), checked here so an error names the argument. */
export function deviceArgument(device: unknown, profile: unknown, where: string): string | DeviceProfile | undefined {
  if (device !== undefined && profile !== undefined) {
    throw new ConvlensError('INVALID_OPTION', `${where}: give device (a built-in id) or profile (a custom device), not both`, { path: '$.profile' });
  }
  if (device !== undefined) resolveDevice(device, '$.device');
  if (profile !== undefined) resolveDevice(profile, '$.profile');
  return (device ?? profile) as string | DeviceProfile | undefined;
}

/** sweep's sizes: [[224], [160, 320]] → [224, [160, 320]]. */
export function sweepSizes(raw: number[][]): (number | [number, number])[] {
  return raw.map((s, i) => {
    if (s.length === 1) return s[0];
    if (s.length === 2) return [s[0], s[1]] as [number, number];
    throw new ConvlensError('INVALID_OPTION', `sizes[${i}] has ${s.length} numbers: give [side] for a square input or [height, width]`, { path: `$.sizes[${i}]` });
  });
}

/** Transfer lists of the ONNX bytes in sources, so the worker takes them without a copy. */
export function transfers(...sources: GraphSource[]): ArrayBuffer[] {
  return sources.flatMap((s) => (s.kind === 'onnx' ? [s.bytes.buffer as ArrayBuffer] : []));
}

export const catalogResolvers = {
  devices: () =>
    DEVICES.map((d) => ({
      ...d,
      description: d.description ?? null,
      peaks: { float32: d.peaks.float32, float16: d.peaks.float16 ?? null, bfloat16: d.peaks.bfloat16 ?? null, int8: d.peaks.int8 ?? null },
      derivation: Object.entries(d.derivation).map(([figure, text]) => ({ figure, text })),
    })),
  conventions: () => conventionCatalog().conventions,
};

const FIELD_ERRORS = new WeakMap<object, SelectedExtras['errors']>();

/** The analyze result, its refused fields' errors (SelectedExtras.errors) kept for their resolvers. */
export function withFieldErrors<T extends object>(report: T, errors: SelectedExtras['errors']): T {
  if (Object.keys(errors).length) FIELD_ERRORS.set(report, errors);
  return report;
}

/** Throws the field's own error, if its arguments were refused; else nothing. */
function fieldError(p: Parent, name: keyof SelectedExtras['errors']): undefined {
  const e = FIELD_ERRORS.get(p)?.[name];
  if (e) throw e;
  return undefined;
}

/**
 * An ONNX file's version number (an int64 there) as SafeInt: within ±(2^53 − 1) as read. Past it the
 * number was already rounded when the file was read (a double), and SafeInt's serialiser would throw
 * a bare error (INTERNAL): refused here by name, at the file's field, the rest of the source answered.
 */
function onnxVersion(v: unknown, field: string, path: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && !Number.isSafeInteger(v)) {
    throw new ConvlensError('SIZE_TOO_LARGE', `the ONNX file's ${field} is past 2^53 − 1 (read as about ${v}), more than GraphQL's SafeInt carries exactly`, { path });
  }
  return v as number;
}

/** Field resolvers of the analyses' types. */
export const analysisTypeResolvers = {
  ReportSource: {
    irVersion: (p: Parent) => onnxVersion(p.irVersion, 'ir_version', '$.ir_version'),
    opset: (p: Parent) => onnxVersion(p.opset, 'ai.onnx opset', '$.opset_import'),
  },
  Report: {
    // computed in the analyze task from this selection (extrasOptions); absent only when not selected
    // a field whose arguments were refused (extrasOptions) answers its error, alone
    memory: (p: Parent) => fieldError(p, 'memory') ?? p.memory ?? null,
    roofline: (p: Parent) => fieldError(p, 'roofline') ?? p.roofline ?? null,
    modules: (p: Parent) => fieldError(p, 'modules') ?? p.modules ?? null,
    convention: (p: Parent) => fieldError(p, 'convention') ?? p.convention ?? null,
    explain: (p: Parent, args: { layers?: string[] | null }) => fieldError(p, 'explain') ?? (p.explain ? explainLayers(p.explain, args.layers ?? undefined) : null),
    deployed: (p: Parent) => fieldError(p, 'deployed') ?? p.deployed ?? null,
    markdown: (p: Parent) => fieldError(p, 'markdown') ?? p.renderings?.md ?? null,
    html: (p: Parent) => fieldError(p, 'html') ?? p.renderings?.html ?? null,
    csv: (p: Parent) => p.renderings?.csv ?? null,
    netron: (p: Parent) => fieldError(p, 'netron') ?? p.renderings?.netron ?? null,
  },
  ModuleTree: { modules: (p: Parent) => flatModules(p) },
  QuantizedWeights: { byDtype: (p: Parent) => Object.entries(p.byDtype as Record<string, Parent>).map(([dtype, b]) => ({ dtype, ...b })) },
  LayerExplanation: { flops: (p: Parent) => ({ twoMacs: p.flops['2macs'], macs: p.flops.macs, exact: p.flops.exact }) },
  DeployedGraph: { flops: (p: Parent) => toGqlFlops(p.flops) },
  DeployedCosts: {
    flopsByConvention: (p: Parent) => byConvention(p.flopsByConvention),
    memoryAccess: (p: Parent) => memoryAccess(p.memoryAccess),
  },
  Comparison: {
    gates: (p: Parent) => p.gates ?? null,
    // markdown: rendered in the compare task when selected, charged (graphql/charged.ts)
  },
  LayerDiff: {
    opBefore: (p: Parent) => p.op.before,
    opAfter: (p: Parent) => p.op.after,
    outputShapeBefore: (p: Parent) => p.outputShape.before,
    outputShapeAfter: (p: Parent) => p.outputShape.after,
  },
  SweepEntry: { size: (p: Parent) => p.size },
  SweepError: {
    details: (p: Parent) => {
      const { code: _c, message: _m, path: _p, layer: _l, ...rest } = p;
      return Object.keys(rest).length ? rest : null;
    },
  },
};
