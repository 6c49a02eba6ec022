/**
 * Where the cost is: the module tree (layers grouped by name prefix, cut at a depth as torchinfo's
 * `depth`), the costliest layers, and the breakdown by op type. Pure functions of a report.
 *
 * Module paths. A layer's name becomes a path of components:
 * 1. The name is split on `/` into segments (empty segments dropped: torch.onnx.export names start
 *    with `/`), and each segment on `.` into atoms (empty atoms dropped).
 * 2. Segments are joined left to right. torch.onnx.export writes each module's scope as its
 *    qualified name from its last non-numeric atom on (torch/onnx/utils.py,
 *    `_unqualified_variable_name`: `layer1.0` for block 0 of layer1, `downsample.0` inside
 *    layer2.0), so a segment may repeat the end of the path so far: its atoms replace the longest
 *    tail of the path that is a proper prefix of them (`layer1` + `layer1.0` → layer1.0,
 *    `layer2.0.downsample` + `downsample.0` → layer2.0.downsample.0); otherwise they are appended
 *    (`layer1.0` + `conv1` → layer1.0.conv1). A name without `/` is one segment: torchvision's
 *    `layer1.0.conv1` → layer1 › 0 › conv1.
 * 3. In a name with `/` (a scoped ONNX name) the last segment is not a module but the node's label
 *    in its innermost scope (usually its op type: `Conv`, `Add`), kept whole. When a scope directly
 *    holds exactly one node and no sub-scope, that node is the module itself and takes the scope's
 *    path (`/layer1/layer1.0/conv1/Conv` → layer1.0.conv1, `/fc/Gemm` → fc); otherwise the label is
 *    the node's last component (`/layer1/layer1.0/Add` → layer1.0.Add, `/Flatten` → Flatten,
 *    `/fc/MatMul` and `/fc/Add` → fc.MatMul and fc.Add).
 * 4. A name with no prefix (`conv1`, `Conv_0`) is a top-level module of its own.
 * So torchvision's names and their ONNX export give the same groups.
 *
 * Sums. A group's params and buffers add up every layer under it; its MACs, FLOPs and memory
 * bytes only the executed ones the totals count, as the report's totals do (a layer no output
 * depends on costs nothing at inference; a constant too large to fold, CONSTANT_LAYERS_NOT_COUNTED,
 * nothing, as the folded ones), so the groups at any depth add up to the totals and their shares to 100 %.
 * Shares are percentages of the whole network (null when the whole is 0).
 *
 * Depth, as torchinfo's: depth d lists the modules whose path has at most d components, each
 * with everything below it summed in (depth 1: the top-level modules only); 0 lists none.
 */
import { z } from 'zod';
import type { LayerReport, Report } from './report.js';
import { uncountedLayers } from './constant-work.js';

/** torchinfo's default depth. */
export const DEFAULT_MODULE_DEPTH = 3;
export const MAX_MODULE_DEPTH = 64;
export const DEFAULT_TOP_K = 10;

const atoms = (segment: string) => segment.split('.').filter((a) => a.length > 0);

/** Joins a segment's atoms to a path: they replace the longest tail of the path that is a proper prefix of them. */
function joinSegment(path: string[], parts: string[]): string[] {
  for (let k = Math.max(0, path.length - parts.length + 1); k < path.length; k++) {
    if (path.slice(k).every((a, i) => a === parts[i])) return [...path.slice(0, k), ...parts];
  }
  return [...path, ...parts];
}

interface Parsed {
  scope: string[];
  /** The node's label within its scope (scoped names only). */
  label: string | null;
}

function parse(name: string): Parsed {
  const segments = name.split('/').filter((s) => s.length > 0);
  if (!name.includes('/')) {
    const parts = atoms(name);
    return { scope: parts.length ? parts : [name], label: null };
  }
  if (segments.length === 0) return { scope: [], label: name };
  let scope: string[] = [];
  for (const s of segments.slice(0, -1)) scope = joinSegment(scope, atoms(s));
  return { scope, label: segments[segments.length - 1] };
}

const KEY_SEPARATOR = '\u0000';

/** The module path of every name (rules 1–4 above); the names are read together, for rule 3. */
export function modulePaths(names: readonly string[]): string[][] {
  const parsed = names.map(parse);
  const direct = new Map<string, number>();
  const hasSubScope = new Set<string>();
  for (const p of parsed) {
    if (p.label === null) continue;
    const key = p.scope.join(KEY_SEPARATOR);
    direct.set(key, (direct.get(key) ?? 0) + 1);
    for (let i = 1; i < p.scope.length; i++) hasSubScope.add(p.scope.slice(0, i).join(KEY_SEPARATOR));
  }
  return parsed.map((p) => {
    if (p.label === null) return p.scope;
    const key = p.scope.join(KEY_SEPARATOR);
    const isModule = p.scope.length > 0 && direct.get(key) === 1 && !hasSubScope.has(key);
    return isModule ? p.scope : [...p.scope, p.label];
  });
}

const Share = z
  .number()
  .nullable()
  .describe('percentage of the whole network (0–100); null when the whole is 0');

const Costs = {
  layers: z.number().int().describe('layers under the module (itself included)'),
  params: z.number().describe('trainable parameters of every layer under it'),
  buffers: z.number().describe('non-trainable state (BN running statistics) of every layer under it'),
  macs: z.number().describe('MACs of its executed layers'),
  flops: z.number().describe('FLOPs of its executed layers, under the report\'s convention'),
  memoryBytes: z.number().describe('memory access bytes of its executed layers'),
};
const Shares = z
  .object({ params: Share, macs: Share, flops: Share, memoryBytes: Share })
  .describe('shares of the whole network, in percent');

export interface ModuleNode {
  name: string;
  path: string;
  depth: number;
  op: string | null;
  layer: string | null;
  layers: number;
  params: number;
  buffers: number;
  macs: number;
  flops: number;
  memoryBytes: number;
  share: { params: number | null; macs: number | null; flops: number | null; memoryBytes: number | null };
  truncated: boolean;
  children: ModuleNode[];
}

export const ModuleNodeSchema: z.ZodType<ModuleNode> = z.lazy(() =>
  z.object({
    name: z.string().describe('the last component of the path (`conv1`, `0`)'),
    path: z.string().describe('components joined by `.` (`layer1.0.conv1`)'),
    depth: z.number().int().describe('number of components: 1 for a top-level module'),
    op: z.string().nullable().describe('the op when the module is exactly one layer, else null'),
    layer: z.string().nullable().describe("that layer's name in the report (an ONNX node's `/layer1/layer1.0/conv1/Conv`), else null"),
    ...Costs,
    share: Shares,
    truncated: z.boolean().describe('modules below it exist but lie deeper than the depth asked: they are summed into it'),
    children: z.array(ModuleNodeSchema).describe('sub-modules in execution order (empty at the depth limit)'),
  }),
);

const Totals = z.object({ ...Costs }).describe('the whole network (equals the report totals)');

export const ModuleTreeSchema = z
  .object({
    depth: z.number().int().describe('the depth asked: modules with at most this many path components are listed'),
    totals: Totals,
    modules: z.array(ModuleNodeSchema).describe('top-level modules in execution order'),
  })
  .describe('layers grouped by name prefix, with per-module totals and shares of the whole (torchinfo-style depth)');
export type ModuleTree = z.infer<typeof ModuleTreeSchema>;

export const TOP_METRICS = ['macs', 'params', 'flops', 'memoryBytes'] as const;
export type TopMetric = (typeof TOP_METRICS)[number];

const TopLayerSchema = z.object({
  name: z.string(),
  op: z.string(),
  path: z.string().describe('its module path'),
  value: z.number(),
  share: Share,
});
export type TopLayer = z.infer<typeof TopLayerSchema>;

export const TopLayersSchema = z
  .object(Object.fromEntries(TOP_METRICS.map((m) => [m, z.array(TopLayerSchema)])) as Record<TopMetric, z.ZodArray<typeof TopLayerSchema>>)
  .describe('the k costliest layers by each metric, largest first (ties in execution order); layers worth 0 are left out');
export type TopLayers = z.infer<typeof TopLayersSchema>;

export const OpBreakdownSchema = z
  .array(
    z.object({
      op: z.string().describe("convlens op (an unsupported ONNX node's op type)"),
      count: z.number().int().describe('layers of this op'),
      params: Costs.params,
      buffers: Costs.buffers,
      macs: Costs.macs,
      flops: Costs.flops,
      memoryBytes: Costs.memoryBytes,
      share: Shares,
    }),
  )
  .describe('totals per op type, by MACs, then FLOPs, then params, then count, largest first');
export type OpBreakdown = z.infer<typeof OpBreakdownSchema>;

export const ModuleSummaryOptionsSchema = z.strictObject({
  depth: z.number().int().min(0).max(MAX_MODULE_DEPTH).default(DEFAULT_MODULE_DEPTH).describe('torchinfo-style depth of the module tree'),
  topK: z.number().int().min(0).max(1000).default(DEFAULT_TOP_K).describe('how many costliest layers per metric'),
});
export type ModuleSummaryOptions = z.infer<typeof ModuleSummaryOptionsSchema>;

export const ModuleSummarySchema = z.object({ tree: ModuleTreeSchema, top: TopLayersSchema, ops: OpBreakdownSchema });
export type ModuleSummary = z.infer<typeof ModuleSummarySchema>;

type CostSums = z.infer<typeof Totals>;

function costsOf(layers: readonly LayerReport[], uncounted: ReadonlySet<string>): CostSums {
  const s: CostSums = { layers: layers.length, params: 0, buffers: 0, macs: 0, flops: 0, memoryBytes: 0 };
  for (const l of layers) {
    s.params += l.params;
    s.buffers += l.buffers;
    if (!l.executed || uncounted.has(l.name)) continue;
    s.macs += l.macs;
    s.flops += l.flops;
    s.memoryBytes += l.memoryAccess.bytes;
  }
  return s;
}

const percent = (part: number, whole: number) => (whole > 0 ? (100 * part) / whole : null);

function sharesOf(c: CostSums, whole: CostSums) {
  return {
    params: percent(c.params, whole.params),
    macs: percent(c.macs, whole.macs),
    flops: percent(c.flops, whole.flops),
    memoryBytes: percent(c.memoryBytes, whole.memoryBytes),
  };
}

interface Group {
  name: string;
  path: string[];
  own: LayerReport[];
  all: LayerReport[];
  children: Map<string, Group>;
}

/** The tree of modules down to `depth` (see the header for the rules). */
export function moduleTree(report: Report, depth: number = DEFAULT_MODULE_DEPTH): ModuleTree {
  const paths = modulePaths(report.layers.map((l) => l.name));
  const root: Group = { name: '', path: [], own: [], all: [], children: new Map() };
  report.layers.forEach((l, i) => {
    let g = root;
    for (const c of paths[i]) {
      let child = g.children.get(c);
      if (!child) {
        child = { name: c, path: [...g.path, c], own: [], all: [], children: new Map() };
        g.children.set(c, child);
      }
      child.all.push(l);
      g = child;
    }
    g.own.push(l);
  });
  const uncounted = uncountedLayers(report);
  const whole = costsOf(report.layers, uncounted);
  const node = (g: Group): ModuleNode => {
    const c = costsOf(g.all, uncounted);
    const single = g.own.length === 1 && g.all.length === 1 ? g.own[0] : null;
    const deeper = g.path.length >= depth;
    return {
      name: g.name,
      path: g.path.join('.'),
      depth: g.path.length,
      op: single?.op ?? null,
      layer: single?.name ?? null,
      ...c,
      share: sharesOf(c, whole),
      truncated: deeper && g.children.size > 0,
      children: deeper ? [] : [...g.children.values()].map(node),
    };
  };
  return { depth, totals: whole, modules: depth > 0 ? [...root.children.values()].map(node) : [] };
}

/** Every module of a tree, depth first in execution order (for tables). */
export function flattenModules(modules: readonly ModuleNode[]): ModuleNode[] {
  return modules.flatMap((m) => [m, ...flattenModules(m.children)]);
}

const metricOf = (uncounted: ReadonlySet<string>): Record<TopMetric, (l: LayerReport) => number> => {
  const ran = (l: LayerReport) => l.executed && !uncounted.has(l.name);
  return {
    macs: (l) => (ran(l) ? l.macs : 0),
    params: (l) => l.params,
    flops: (l) => (ran(l) ? l.flops : 0),
    memoryBytes: (l) => (ran(l) ? l.memoryAccess.bytes : 0),
  };
};

/** The k costliest layers by each metric, largest first; ties keep execution order; zeros left out. */
export function topLayers(report: Report, k: number = DEFAULT_TOP_K): TopLayers {
  const paths = modulePaths(report.layers.map((l) => l.name));
  const uncounted = uncountedLayers(report);
  const whole = costsOf(report.layers, uncounted);
  const metric = metricOf(uncounted);
  const entries = TOP_METRICS.map((m) => {
    const rows = report.layers
      .map((l, i) => ({ l, i, v: metric[m](l) }))
      .filter((r) => r.v > 0)
      .sort((a, b) => b.v - a.v || a.i - b.i)
      .slice(0, k)
      .map(({ l, i, v }) => ({ name: l.name, op: l.op, path: paths[i].join('.'), value: v, share: percent(v, whole[m]) }));
    return [m, rows];
  });
  return Object.fromEntries(entries) as TopLayers;
}

/** Totals per op type, largest MACs first (then FLOPs, params, count, name). */
export function opBreakdown(report: Report): OpBreakdown {
  const byOp = new Map<string, LayerReport[]>();
  for (const l of report.layers) (byOp.get(l.op) ?? byOp.set(l.op, []).get(l.op)!).push(l);
  const uncounted = uncountedLayers(report);
  const whole = costsOf(report.layers, uncounted);
  return [...byOp]
    .map(([op, layers]) => {
      const { layers: count, ...c } = costsOf(layers, uncounted);
      return { op, count, ...c, share: sharesOf({ layers: count, ...c }, whole) };
    })
    .sort((a, b) => b.macs - a.macs || b.flops - a.flops || b.params - a.params || b.count - a.count || (a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
}

/** The tree, the costliest layers and the op breakdown of one report. */
export function moduleSummary(report: Report, options: Partial<ModuleSummaryOptions> = {}): ModuleSummary {
  const { depth, topK } = ModuleSummaryOptionsSchema.parse(options);
  return { tree: moduleTree(report, depth), top: topLayers(report, topK), ops: opBreakdown(report) };
}
