/**
 * The up-front bound on an analysis's cost. Analysis is linear in the layers (test/analysis/scale.test.ts),
 * but the constant grows with each extra analysis asked for, and a 64 MiB JSON body holds about
 * 900,000 small layers: without a bound, one request held a worker past TASK_TIMEOUT_MS and the
 * service's other analyses timed out behind it. The work is estimated before any inference, from
 * the layer count and the options, in units of one layer's plain analysis (load, inference, report
 * and its JSON), and refused over MAX_ANALYSIS_WORK with 413 ANALYSIS_TOO_LARGE.
 *
 * The weights are each option's time per layer beyond the plain analysis, relative to it, measured
 * on a chain of 10^5 1×1 convs (bench/analysis-options.ts: load, analysis and the answer's JSON, wall
 * time on a loaded 2-vCPU machine, plain 39 s): explain +1.1, convention (ptflops) +0.8, depth 3
 * +0.52, memory +0.32, deployed +0.32, all five at once +3.0; rounded up.
 */
import { z } from 'zod';
import { ConvlensError } from '../errors.js';
import type { GraphSource } from '../graph/load.js';

/** An extra analysis's work per layer, in plain layers' analyses. */
export const ANALYSIS_WEIGHTS = {
  /** every formula with its values substituted: the answer three times as long */
  explain: 1.5,
  /** liveness over every tensor, the timeline */
  memory: 0.5,
  /** the fusion chains and a second costing */
  deployed: 0.5,
  /** the module tree, top-k, op breakdown (depth or topK) */
  modules: 0.75,
  /** another tool's count, layer by layer, and its defects */
  convention: 1,
  /** the roofline over the report's layers */
  roofline: 0.25,
} as const;
export type WeighingOption = keyof typeof ANALYSIS_WEIGHTS;

/**
 * Default MAX_ANALYSIS_WORK: a JSON spec's most layers (10^5, graph/network.ts) with every extra
 * analysis at once (5.5 units a layer) fits, as does every zoo model with all of them by far; an
 * ONNX file (no cap on its nodes) up to 600,000 nodes analysed plainly. Measured in process: 10^5
 * 1×1 convs with all but device took 14.6 s of CPU, plain 7.0 s.
 */
export const DEFAULT_MAX_ANALYSIS_WORK = 600_000;

/** MAX_ANALYSIS_WORK's schema (config.ts), read here too by the worker threads, which have no Config. */
export const MaxAnalysisWorkSchema = z.coerce.number().int().min(1).default(DEFAULT_MAX_ANALYSIS_WORK);

/** MAX_ANALYSIS_WORK from the environment, or its default when unset or invalid. */
export function envMaxAnalysisWork(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = MaxAnalysisWorkSchema.safeParse(env.MAX_ANALYSIS_WORK);
  return parsed.success ? parsed.data : DEFAULT_MAX_ANALYSIS_WORK;
}

/** What weighs in one analysis: the extra analyses asked for, and how many times the network is analysed (a sweep's sizes). */
export interface AnalysisAsk {
  options: readonly WeighingOption[];
  /** Analyses of the whole network with these options; default 1. */
  times?: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** The request's options behind each extra analysis, as the message names them. */
const ASKED_BY: Record<WeighingOption, string> = { explain: 'explain', memory: 'memory', deployed: 'deployed', modules: 'depth/topK', convention: 'convention', roofline: 'device' };

/** The estimated work of analysing `layers` layers as asked. */
export function analysisWork(layers: number, { options, times = 1 }: AnalysisAsk): number {
  return layers * times * (1 + options.reduce((s, o) => s + ANALYSIS_WEIGHTS[o], 0));
}

/** Where a refusal points: the spec's layers, the ONNX file; a zoo model has no place in the request. */
function sourcePath(source: GraphSource): string | undefined {
  return source.kind === 'spec' ? `${source.at ?? '$'}.layers` : source.kind === 'onnx' ? (source.at ?? 'body') : undefined;
}

/**
 * Refuses (413 ANALYSIS_TOO_LARGE) an analysis of `layers` layers whose estimated work is over
 * `limit`, naming the layer count, the options that weigh, the estimate, the limit and how many
 * layers these options admit.
 */
export function checkAnalysisWork(layers: number, ask: AnalysisAsk, source: GraphSource, limit: number = envMaxAnalysisWork()): void {
  const work = analysisWork(layers, ask);
  if (work <= limit) return;
  const times = ask.times ?? 1;
  const perLayer = work / Math.max(layers, 1);
  const maxLayers = Math.floor(limit / perLayer);
  const weighed = ask.options.map((o) => `${ASKED_BY[o]} ${ANALYSIS_WEIGHTS[o]}`);
  const asked = `${weighed.length ? `with ${weighed.join(', ')} more per layer` : 'with no extra analysis'}${times > 1 ? `, ${times} times (a sweep's sizes and its reference)` : ''}`;
  const path = sourcePath(source);
  throw new ConvlensError(
    'ANALYSIS_TOO_LARGE',
    `analysing ${fmt(layers)} layers ${asked} would cost about ${fmt(work)} units of work (one unit: a layer's plain analysis), over the limit of ${fmt(limit)} (MAX_ANALYSIS_WORK): at most ${fmt(maxLayers)} layers with these options; ask for fewer analyses, or analyse the network in parts`,
    { ...(path && { path }), layers, options: [...ask.options], ...(times > 1 && { times }), estimate: work, limit, maxLayers },
  );
}

/** The options of an extras plan that weigh (analysis/extras.ts planExtras). */
export function weighingOptions(plan: { modules: unknown; memory: unknown; device: unknown; convention: unknown; explain: boolean; deployed: boolean }): WeighingOption[] {
  const on: [WeighingOption, unknown][] = [
    ['modules', plan.modules],
    ['memory', plan.memory],
    ['roofline', plan.device],
    ['convention', plan.convention],
    ['explain', plan.explain],
    ['deployed', plan.deployed],
  ];
  return on.filter(([, v]) => Boolean(v)).map(([o]) => o);
}
