/**
 * What an importer tells the report about the file as a whole: an ONNX model of an ai.onnx opset
 * later than the one whose operator changes the importer follows (graph/onnx/opsets.ts) is read by
 * the older definitions, which the report says (one before 7 is refused at import); nodes of an
 * operator the model's opset predates (Range at opset 7) are read by the operator's first
 * definition, the only one there is, which the report says too, once per op type
 * (graph/onnx/operator-names.ts).
 */
import type { Graph } from '../graph/graph.js';
import { NEWEST_READ_OPSET, OLDEST_READ_OPSET } from '../graph/onnx/opsets.js';
import type { ReportWarning } from './report.js';

export function importWarnings(graph: Graph): ReportWarning[] {
  return [...newerOpset(graph), ...operatorsBeforeOpset(graph)];
}

function operatorsBeforeOpset(graph: Graph): ReportWarning[] {
  const byOp = new Map<string, { since: number; layers: string[] }>();
  for (const e of graph.onnxOperatorsBeforeOpset ?? []) {
    const entry = byOp.get(e.opType) ?? { since: e.since, layers: [] };
    entry.layers.push(e.layer);
    byOp.set(e.opType, entry);
  }
  const opset = graph.onnxOpset!;
  return [...byOp].map(([opType, { since, layers }]) => {
    const named = layers.length === 1 ? `node '${layers[0]}'` : `${layers.length} nodes ('${layers.slice(0, 3).join("', '")}'${layers.length > 3 ? ', …' : ''})`;
    return {
      code: 'ONNX_OPERATOR_BEFORE_OPSET',
      severity: 'warning' as const,
      message: `${named} use${layers.length === 1 ? 's' : ''} ${opType}, which ai.onnx defines from opset ${since}, but the model declares opset ${opset}: onnxruntime refuses such a file; convlens reads ${opType} by its opset-${since} definition, the first there is. Declare ai.onnx opset ${since} or later (and check the model's other operators at it)`,
      layer: layers[0],
      layers,
      opType,
      opset,
      since,
    };
  });
}

function newerOpset(graph: Graph): ReportWarning[] {
  const opset = graph.onnxOpset;
  if (opset === undefined || opset <= NEWEST_READ_OPSET) return [];
  return [
    {
      code: 'ONNX_OPSET_NEWER_THAN_READ',
      severity: 'warning',
      message: `the model declares ai.onnx opset ${opset}; convlens reads operators as opsets ${OLDEST_READ_OPSET} to ${NEWEST_READ_OPSET} define them, so an operator changed in ${opset === NEWEST_READ_OPSET + 1 ? `opset ${opset}` : `opsets ${NEWEST_READ_OPSET + 1} to ${opset}`} is read by its opset-${NEWEST_READ_OPSET} definition (attributes added since are not read): check the layers against the model, or export at opset ${NEWEST_READ_OPSET} or below`,
      opset,
      newestRead: NEWEST_READ_OPSET,
    },
  ];
}
