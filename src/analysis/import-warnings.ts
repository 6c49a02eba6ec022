/**
 * What an importer tells the report about the file as a whole: an ONNX model of an ai.onnx opset
 * later than the one whose operator changes the importer follows (graph/onnx/opsets.ts) is read by
 * the older definitions, which the report says (one before 7 is refused at import); nodes of an
 * operator the model's opset predates (Range at opset 7) are read by the operator's first
 * definition, the only one there is, which the report says too, once per op type
 * (graph/onnx/operator-names.ts); and nodes of an operator the model's opset has deprecated
 * (Upsample at 10 or later) by the last definition before, naming what replaces it.
 */
import type { Graph, OnnxOperatorOpsetNote } from '../graph/graph.js';
import { NEWEST_READ_OPSET, OLDEST_READ_OPSET } from '../graph/onnx/opsets.js';
import type { ReportWarning } from './report.js';

export function importWarnings(graph: Graph): ReportWarning[] {
  return [...newerOpset(graph), ...operatorsBeforeOpset(graph), ...operatorsDeprecated(graph)];
}

/** The noted nodes of each op type (graph/onnx/operator-names.ts), in the file's order. */
function notesByOp<T>(graph: Graph, pick: (n: OnnxOperatorOpsetNote) => T | null): [string, { note: T; layers: string[] }][] {
  const byOp = new Map<string, { note: T; layers: string[] }>();
  for (const e of graph.onnxOperatorOpsetNotes ?? []) {
    const note = pick(e);
    if (note === null) continue;
    const entry = byOp.get(e.opType) ?? { note, layers: [] };
    entry.layers.push(e.layer);
    byOp.set(e.opType, entry);
  }
  return [...byOp];
}

const nodesNamed = (layers: string[]) =>
  `${layers.length === 1 ? `node '${layers[0]}'` : `${layers.length} nodes ('${layers.slice(0, 3).join("', '")}'${layers.length > 3 ? ', …' : ''})`} use${layers.length === 1 ? 's' : ''}`;

function operatorsBeforeOpset(graph: Graph): ReportWarning[] {
  const opset = graph.onnxOpset!;
  return notesByOp(graph, (n) => ('since' in n ? n.since : null)).map(([opType, { note: since, layers }]) => ({
    code: 'ONNX_OPERATOR_BEFORE_OPSET',
    severity: 'warning' as const,
    message: `${nodesNamed(layers)} ${opType}, which ai.onnx defines from opset ${since}, but the model declares opset ${opset}: onnxruntime refuses such a file; convlens reads ${opType} by its opset-${since} definition, the first there is. Declare ai.onnx opset ${since} or later (and check the model's other operators at it)`,
    layer: layers[0],
    layers,
    opType,
    opset,
    since,
  }));
}

/** Nodes of an operator the model's opset has deprecated (Upsample at 10 or later): read by the last definition before, as onnxruntime would not. */
function operatorsDeprecated(graph: Graph): ReportWarning[] {
  const opset = graph.onnxOpset!;
  return notesByOp(graph, (n) => ('deprecated' in n ? n : null)).map(([opType, { note, layers }]) => {
    const successor = note.successor;
    return {
      code: 'ONNX_OPERATOR_DEPRECATED',
      severity: 'warning' as const,
      message: `${nodesNamed(layers)} ${opType}, which ai.onnx deprecates from opset ${note.deprecated}, but the model declares opset ${opset}: onnx.checker and onnxruntime refuse such a file ("Op registered for ${opType} is deprecated in domain_version of ${opset}"); convlens reads ${opType} by its opset-${note.readAs} definition, the last before. ${successor ? `Export it as ${successor}, which takes its place from opset ${note.deprecated} (onnx.version_converter rewrites it so)` : `Declare ai.onnx opset ${note.readAs} or below`}`,
      layer: layers[0],
      layers,
      opType,
      opset,
      deprecated: note.deprecated,
      readAs: note.readAs,
      ...(successor && { successor }),
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
