/**
 * The analyses a report can carry beyond its counts, computed from what the analyzer produces
 * (graph, inference, report) with one set of options, so REST, GraphQL and the CLI share one code
 * path and one JSON shape:
 *
 *   option                  key in the answer   computed by
 *   depth, topK             modules             analysis/modules.ts moduleSummary (tree, top-k, op breakdown)
 *   memory, inPlace         memory              analysis/memory.ts analyzeMemory (peak, timeline, weights, torchinfo footprint)
 *   device (id or profile)  roofline            analysis/roofline.ts roofline (latency lower bound), at the report's dtype
 *   convention              convention          conventions/index.ts countWith (another tool's count, layer by layer)
 *   explain                 explain             conventions/explain.ts explainReport (every formula, values substituted)
 *   deployed                deployed            analysis/deployed.ts analyzeDeployed (costs after the inference fusions)
 *
 * Two steps: planExtras checks the options (an unknown device or convention is INVALID_OPTION at
 * its path, with the closest name) before any work, and computeExtras runs the plan. A plan holds
 * functions (the preset's rules), so it does not cross threads: a worker plans again from the
 * options, which are plain data.
 *
 * `AnalysisReportSchema` is the report with these keys, each present only when asked: what
 * `POST /v1/analyze` answers and `GET /v1/schema/report` publishes.
 */
import { z } from 'zod';
import type { Graph } from '../graph/graph.js';
import { ConvlensError } from '../errors.js';
import { closest } from '../suggest.js';
import { countWith, PRESETS, PRESETS_BY_NAME } from '../conventions/index.js';
import { CONV_TRANSPOSE_POSITIONS, ConventionCountSchema } from '../conventions/types.js';
import type { ConventionCount, ConventionPreset, ConvTransposePositions } from '../conventions/types.js';
import { explainReport, ExplanationSchema } from '../conventions/explain.js';
import type { Explanation } from '../conventions/explain.js';
import { analyzeDeployed, DeployedReportSchema } from './deployed.js';
import type { DeployedReport } from './deployed.js';
import { DEVICES, DeviceProfileSchema, resolveDevice } from './devices.js';
import type { BuiltInDevice, DeviceProfile } from './devices.js';
import type { Inference } from './infer.js';
import { analyzeMemory, MemoryReportSchema } from './memory.js';
import type { MemoryReport } from './memory.js';
import { DEFAULT_MODULE_DEPTH, DEFAULT_TOP_K, MAX_MODULE_DEPTH, moduleSummary, ModuleSummarySchema } from './modules.js';
import type { ModuleSummary } from './modules.js';
import { integerIn } from '../integers.js';
import { AnalyzeOptionsSchema, ReportSchema } from './report.js';
import type { AnalyzeOptions, Dtype, Report } from './report.js';
import { roofline, RooflineReportSchema } from './roofline.js';
import type { RooflineReport } from './roofline.js';

/** Most costliest layers per metric a request may ask for (topK). */
export const MAX_TOP_K = 1000;

/** The options, as a request gives them; every one optional, none computed unless asked. */
export const ExtrasOptionsSchema = z.strictObject({
  depth: integerIn(0, MAX_MODULE_DEPTH)
    .optional()
    .describe(`adds \`modules\`: the module tree to this torchinfo-style depth, the costliest layers and the op-type breakdown (default depth ${DEFAULT_MODULE_DEPTH} when only topK is given)`),
  topK: integerIn(0, MAX_TOP_K)
    .optional()
    .describe(`adds \`modules\`: how many costliest layers per metric (default ${DEFAULT_TOP_K})`),
  memory: z.boolean({ error: 'must be true or false' }).optional().describe('adds `memory`: peak activation memory from tensor liveness, the timeline, weights memory and the torchinfo footprint'),
  inPlace: z.boolean({ error: 'must be true or false' }).optional().describe('peak memory with element-wise layers written into an input they read last (implies memory)'),
  device: z
    .union([z.string().min(1).max(100), DeviceProfileSchema], { error: 'must be a built-in device id (GET /v1/devices) or a profile { name, peaks: { float32, … }, bandwidth }' })
    .optional()
    .describe('adds `roofline`: the latency lower bound on a built-in device (GET /v1/devices) or a custom profile'),
  convention: z.string().min(1).max(100).optional().describe("adds `convention`: the model counted as another tool counts it (GET /v1/conventions), layer by layer, beside convlens's MACs"),
  convTranspose: z
    .enum(CONV_TRANSPOSE_POSITIONS)
    .optional()
    .describe('with convention: count transposed-conv MACs over input or output positions instead of as the tool does'),
  explain: z.boolean({ error: 'must be true or false' }).optional().describe("adds `explain`: every layer's figures with their formulas, values substituted"),
  deployed: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .describe('adds `deployed`: the costs after the standard inference fusions (BN folded into the conv, conv + residual add + activation) beside the trained graph'),
  erf: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .describe('format html: adds the effective receptive field of the final feature map (mean |gradient| over 4 seeded inputs: the network runs forward and back 4 times)'),
});
export type ExtrasOptions = z.input<typeof ExtrasOptionsSchema>;
/** The option keys, for query strings and for splitting them from the counting options. */
export const EXTRAS_OPTION_KEYS = Object.keys(ExtrasOptionsSchema.shape) as (keyof ExtrasOptions)[];

/** What the options ask for, checked: built by planExtras, run by computeExtras. */
export interface ExtrasPlan {
  modules: { depth: number; topK: number } | null;
  memory: { inPlace: boolean } | null;
  device: DeviceProfile | BuiltInDevice | null;
  convention: { preset: ConventionPreset; convTranspose?: ConvTransposePositions } | null;
  explain: boolean;
  deployed: boolean;
}

/** The analyses computed, each present only when asked. */
export interface Extras {
  modules?: ModuleSummary;
  memory?: MemoryReport;
  roofline?: RooflineReport;
  convention?: ConventionCount;
  explain?: Explanation;
  deployed?: DeployedReport;
}

export const ExtrasSchema = z.object({
  modules: ModuleSummarySchema.optional().describe('with depth or topK: the module tree, the costliest layers, the breakdown by op type'),
  memory: MemoryReportSchema.optional().describe('with memory (or inPlace): peak activation memory, timeline, weights, torchinfo footprint'),
  roofline: RooflineReportSchema.optional().describe('with device: the roofline latency lower bound'),
  convention: ConventionCountSchema.optional().describe("with convention: another tool's count"),
  explain: ExplanationSchema.optional().describe('with explain: the formula behind every per-layer figure'),
  deployed: DeployedReportSchema.optional().describe('with deployed: the deployed (inference-fused) graph beside the trained one'),
});

/** A report with the analyses asked for: POST /v1/analyze's JSON answer. */
export const AnalysisReportSchema = ReportSchema.extend(ExtrasSchema.shape).describe('a network report, with the extra analyses asked for (modules, memory, roofline, convention, explain, deployed)');
export type AnalysisReport = Report & Extras;

/** Where an option lives in the request, for error paths: `$.options.device`, `query.device`. */
export type OptionPath = (key: keyof ExtrasOptions) => string;
const bodyPath: OptionPath = (key) => `$.options.${key}`;

function conventionPreset(name: string, path: string): ConventionPreset {
  const found = PRESETS_BY_NAME.get(name);
  if (found) return found;
  const names = PRESETS.map((p) => p.name);
  const near = closest(name, names);
  throw new ConvlensError('INVALID_OPTION', `unknown convention '${name}'${near ? ` (did you mean '${near}'?)` : ''}; one of ${names.join(', ')}`, {
    path,
    ...(near ? { suggestion: near } : {}),
    valid: names,
  });
}

/**
 * The options checked and resolved: a device id or profile to its profile, a convention to its
 * preset. A built-in device object (the CLI's, already resolved) is taken as it is.
 */
export function planExtras(options: ExtrasOptions, at: OptionPath = bodyPath): ExtrasPlan {
  const o = options;
  if (o.convTranspose !== undefined && o.convention === undefined) {
    throw new ConvlensError('INVALID_OPTION', 'convTranspose applies to a convention count: give convention too', { path: at('convTranspose') });
  }
  // inPlace implies memory; memory=false beside it says the opposite, and neither should quietly win
  if (o.inPlace === true && o.memory === false) {
    throw new ConvlensError('INVALID_OPTION', 'inPlace=true asks for the memory analysis that memory=false turns off: give one of them', { path: at('inPlace') });
  }
  const device = o.device === undefined ? null : DEVICES.includes(o.device as BuiltInDevice) ? (o.device as BuiltInDevice) : resolveDevice(o.device, at('device'));
  return {
    modules: o.depth !== undefined || o.topK !== undefined ? { depth: o.depth ?? DEFAULT_MODULE_DEPTH, topK: o.topK ?? DEFAULT_TOP_K } : null,
    memory: o.memory || o.inPlace ? { inPlace: o.inPlace ?? false } : null,
    device,
    convention: o.convention === undefined ? null : { preset: conventionPreset(o.convention, at('convention')), ...(o.convTranspose ? { convTranspose: o.convTranspose } : {}) },
    explain: o.explain ?? false,
    deployed: o.deployed ?? false,
  };
}

/** How many extra analyses the plan asks for (each holds memory per layer: runtime/memory-grant.ts). */
export const extrasCount = (p: ExtrasPlan) => [p.modules, p.memory, p.device, p.convention, p.explain, p.deployed].filter(Boolean).length;

/** True when the plan asks for nothing. */
export const planIsEmpty = (p: ExtrasPlan) => extrasCount(p) === 0;

export interface AnalysedNetwork {
  graph: Graph;
  inference: Inference;
  report: Report;
}

/** The analyses of the plan, over one analysed network. */
export function computeExtras({ graph, inference, report }: AnalysedNetwork, plan: ExtrasPlan): Extras {
  const out: Extras = {};
  if (plan.modules) out.modules = moduleSummary(report, plan.modules);
  if (plan.memory) out.memory = analyzeMemory(graph, inference, report, plan.memory);
  if (plan.device) out.roofline = roofline(report, plan.device, report.conventions.dtype as Dtype);
  if (plan.convention) out.convention = countWith(plan.convention.preset, { inference, report }, { ...(plan.convention.convTranspose && { convTranspose: plan.convention.convTranspose }), ...(graph.functional && { functional: graph.functional }), ...(graph.subclassed && { subclassed: graph.subclassed }) });
  if (plan.explain) out.explain = explainReport({ inference, report });
  if (plan.deployed) out.deployed = analyzeDeployed(graph, inference, report);
  return out;
}

/** The report with its extras as top-level keys, in a fixed order after the report's own. */
export function withExtras(report: Report, extras: Extras): AnalysisReport {
  const { modules, memory, roofline: rl, convention, explain, deployed } = extras;
  return {
    ...report,
    ...(modules && { modules }),
    ...(memory && { memory }),
    ...(rl && { roofline: rl }),
    ...(convention && { convention }),
    ...(explain && { explain }),
    ...(deployed && { deployed }),
  };
}

/** The counting options (dtype, flops, includeBias) and these: the `options` of POST /v1/analyze. */
export const ReportOptionsSchema = AnalyzeOptionsSchema.extend(ExtrasOptionsSchema.shape).describe(
  'counting options (dtype, flops, includeBias) and the extra analyses to add (depth, topK, memory, inPlace, device, convention, convTranspose, explain, deployed)',
);
export type ReportOptions = z.output<typeof ReportOptionsSchema>;

/** The counting options and the extras options of one options object. */
export function splitOptions(o: AnalyzeOptions & ExtrasOptions): { analyze: AnalyzeOptions; extras: ExtrasOptions } {
  const { dtype, flops, includeBias, ...extras } = o;
  return { analyze: { dtype, flops, includeBias }, extras };
}
