/**
 * Layers that compute a constant of the model from its literals alone (shapes, index tables,
 * scalars, and the values folded from them, a map's Shape included: no float weight and no tensor
 * value of an input upstream) and that were not folded only because the
 * value is over the folding limits (MAX_FOLDED_TENSOR, MAX_FOLDED_ELEMENTS: analysis/infer.ts).
 * Swin's shifted-window mask is one: torchvision builds it each forward from the padded map's size
 * (img_mask regions, window partition, m_i − m_j, masked_fill −100 / 0), torch.onnx writes it node by
 * node, and at 224 stage 1's [64, 49, 49] (153,664 values) is over 65,536 while stages 2 and 3's
 * (38,416 and 9,604) fold. The folded ones count nothing; so that the totals do not depend on a
 * folding limit (nor on the input size crossing it), these count nothing in the totals either. They
 * stay listed with their own figures (a run computes them, as the layers they are), and
 * CONSTANT_LAYERS_NOT_COUNTED names them. ONNX Runtime folds such subgraphs when it loads the model.
 */
import type { Graph, GraphConstant } from '../graph/graph.js';
import { executedLayers, topologicalOrder } from '../graph/walks.js';
import { DTYPE_INFO } from '../tensor/dtype.js';
import { numel } from '../ops/types.js';
import type { AnalysedLayer } from './infer.js';
import type { LayerReport, Report, ReportWarning } from './report.js';

/** A literal: an integer or boolean tensor (shapes, indices), a float scalar, or an ONNX Constant node's value; not a float weight. */
function literal(c: GraphConstant): boolean {
  const kind = c.dataType === 'other' ? 'other' : DTYPE_INFO[c.dataType].kind;
  return kind !== 'float' || numel(c.shape) <= 1 || !c.initializer;
}

/** The names of the executed, unfolded imported layers every input of which derives from literals alone (an operator call, no import, is its own answer). */
export function constantLayers(graph: Graph, analysed: readonly AnalysedLayer[]): Set<string> {
  const fromLiterals = new Set<string>();
  for (const c of graph.constants.values()) if (literal(c)) fromLiterals.add(c.name);
  const layers = new Set<string>();
  const folded = new Set(analysed.filter((a) => a.folded).map((a) => a.layer.name));
  const executed = executedLayers(graph);
  for (const layer of topologicalOrder(graph)) {
    // a folded layer's outputs are known values (Shape of a map, and the shape arithmetic after it)
    if (folded.has(layer.name)) {
      for (const out of layer.outputs) fromLiterals.add(out);
      continue;
    }
    const read = layer.inputs.filter((ref) => ref !== '');
    if (read.length === 0 || !read.every((ref) => fromLiterals.has(ref))) continue;
    for (const out of layer.outputs) fromLiterals.add(out);
    if (layer.source && executed.has(layer.name)) layers.add(layer.name);
  }
  return layers;
}

export function constantLayersWarning(layers: readonly LayerReport[], constant: ReadonlySet<string>): ReportWarning | null {
  const rows = layers.filter((l) => constant.has(l.name) && l.supported);
  if (rows.length === 0) return null;
  const flops = rows.reduce((s, l) => s + l.flops, 0);
  const bytes = rows.reduce((s, l) => s + l.memoryAccess.bytes, 0);
  const names = rows.map((l) => l.name);
  return {
    code: 'CONSTANT_LAYERS_NOT_COUNTED',
    severity: 'info',
    message: `${rows.length} layer(s) compute a constant of the model from its literals alone (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}: a tensor built node by node from shapes and index tables, as Swin's shifted-window attention mask or a detector's anchor grid is), too large to fold: listed with their figures (${flops.toLocaleString('en-US')} FLOPs, ${bytes.toLocaleString('en-US')} B of memory access), which the totals leave out as they leave out the constants that fold. A runtime computes them once (ONNX Runtime folds them when it loads the model); PyTorch's module may build them at each forward.`,
    layers: names,
    flops,
    memoryBytes: bytes,
  };
}

/** The layers of `report` whose work its totals leave out though they run (the ones CONSTANT_LAYERS_NOT_COUNTED names), for the sums made from its layers (modules, roofline). */
export function uncountedLayers(report: Pick<Report, 'warnings'>): ReadonlySet<string> {
  const w = report.warnings.find((x) => x.code === 'CONSTANT_LAYERS_NOT_COUNTED');
  return new Set(Array.isArray(w?.layers) ? (w.layers as string[]) : []);
}
