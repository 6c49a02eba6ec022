/** Task bodies, callable in a worker or inline (CLI, tests). */
import { analyzeGraph } from '../analysis/analyze.js';
import type { AnalyzeOptions, Report } from '../analysis/report.js';
import { ConvlensError } from '../errors.js';
import { parseNetworkSpec } from '../spec/network.js';
import { ZOO, ZOO_BY_NAME } from '../zoo/index.js';
import type { Graph } from '../spec/graph.js';

export type GraphSource = { kind: 'spec'; spec: unknown } | { kind: 'model'; name: string; resolution?: number };

export interface AnalyzeTask {
  source: GraphSource;
  options: AnalyzeOptions;
}

export function modelSpec(name: string, resolution?: number) {
  const entry = ZOO_BY_NAME.get(name);
  if (!entry) {
    throw new ConvlensError('UNKNOWN_MODEL', `no built-in model '${name}'; available: ${ZOO.map((z) => z.name).join(', ')}`, { path: '$.model', model: name });
  }
  return entry.build(resolution ?? entry.resolution);
}

export function loadGraph(source: GraphSource): Graph {
  switch (source.kind) {
    case 'spec':
      return parseNetworkSpec(source.spec);
    case 'model':
      return parseNetworkSpec(modelSpec(source.name, source.resolution));
  }
}

export function analyzeTask(t: AnalyzeTask): Report {
  return analyzeGraph(loadGraph(t.source), t.options);
}
