/**
 * What an importer tells the report about the file as a whole: an ONNX model of an ai.onnx opset
 * later than the one whose operator changes the importer follows (graph/onnx/opsets.ts) is read by
 * the older definitions, which the report says (one before 7 is refused at import).
 */
import type { Graph } from '../graph/graph.js';
import { NEWEST_READ_OPSET, OLDEST_READ_OPSET } from '../graph/onnx/opsets.js';
import type { ReportWarning } from './report.js';

export function importWarnings(graph: Graph): ReportWarning[] {
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
