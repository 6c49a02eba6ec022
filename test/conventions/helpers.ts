import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import type { AnalyzeOptions } from '../../src/analysis/report.js';
import type { ConventionInput } from '../../src/conventions/index.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { ZOO_BY_NAME } from '../../src/zoo/index.js';
import { DEFAULTS } from '../helpers.js';

/** The inference and report of a spec, as countWith takes them. */
export function analysed(spec: unknown, options: Partial<AnalyzeOptions> = {}): ConventionInput {
  const graph = parseNetworkSpec(spec);
  const inference = inferGraph(graph);
  return { inference, report: analyzeGraph(graph, { ...DEFAULTS, ...options }, inference) };
}

/** A zoo model at a resolution (its own by default). */
export function zoo(name: string, resolution?: number): ConventionInput {
  const entry = ZOO_BY_NAME.get(name);
  if (!entry) throw new Error(`no zoo model ${name}`);
  return analysed(entry.build(resolution ?? entry.resolution));
}

/**
 * The module an ONNX node of torch.onnx.export belongs to, from its scope path: each segment is
 * either the full dotted name so far (/features/features.0/features.0.0/Conv → features.0.0) or a
 * child's own name (/features/denseblock1/denselayer1/conv1/Conv → features.denseblock1.denselayer1.conv1).
 */
export function onnxModule(node: string): string {
  let name = '';
  for (const seg of node.split('/').slice(1, -1)) name = name && !seg.startsWith(`${name}.`) ? `${name}.${seg}` : seg;
  return name;
}
