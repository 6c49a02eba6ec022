/**
 * Constants torch.onnx.export computed itself while folding (named onnx::<Op>_<n>), and among them
 * the ones added to attention scores: a relative-position bias gathered from its table (Swin,
 * MaxViT: [1, heads, T, T] where the module learns a [(2w − 1)², heads] table and holds the index
 * as a buffer) or a constant mask. Such a tensor is a fixed table the forward pass reads, as a
 * buffer is, not a learned parameter of the module: analyze.ts counts it in `buffers`, so the
 * parameters are the module's own that the file still holds, and weights memory (params + buffers)
 * is the file's.
 */
import type { Graph, GraphLayer } from '../graph/graph.js';
import type { Shape } from '../ops/types.js';
import type { AnalysedLayer } from './infer.js';

/** A constant torch.onnx.export made itself (a folded value), not one of the module's named parameters. */
export const EXPORTER_MADE = /^onnx::[A-Za-z]+_\d+$/;

/** How many element-wise steps (a scale of the logits: Swin V2's logit_scale Mul) may lie between the scores product and the add. */
const SCALE_STEPS = 4;

/**
 * The tensors that are attention scores: outputs of a product of two computed tensors (a layer with
 * MACs and no weights: q·kᵀ as MatMul or Einsum) whose last two dims are equal (T × T), and what
 * element-wise layers without weights or MACs make of them at the same shape (a scale, a mask added).
 */
export function scoreTensors(graph: Graph, analysed: readonly AnalysedLayer[]): Set<string> {
  // each scores tensor, and how many element-wise steps it is from its product
  const steps = new Map<string, number>();
  for (const a of analysed) {
    const out = a.inferred?.outputs[0];
    if (!a.inferred || a.folded || !out || out.length < 2) continue;
    const t = out[out.length - 1];
    if (t < 2 || out[out.length - 2] !== t || a.inferred.weights.length > 0) continue;
    const computed = a.layer.inputs.filter((r) => r !== '' && !graph.constants.has(r));
    if (a.inferred.cost.macs > 0 && computed.length === 2) {
      steps.set(a.layer.outputs[0], 0);
      continue;
    }
    // a scale or an added bias or mask keeps them scores, within SCALE_STEPS of the product
    const from = a.layer.inputs.map((r) => steps.get(r)).filter((n): n is number => n !== undefined);
    if (a.inferred.cost.macs === 0 && from.length > 0 && Math.min(...from) < SCALE_STEPS) steps.set(a.layer.outputs[0], Math.min(...from) + 1);
  }
  return new Set(steps.keys());
}

/**
 * Whether the constant `ref` a layer reads at input `index` is an exporter-made table over token
 * pairs added to attention scores: its name is the exporter's, its last two dims are the scores'
 * T × T, and another input of the layer is scores (scoreTensors).
 */
export function isScoreConstant(graph: Graph, layer: GraphLayer, index: number, shapes: readonly Shape[], scores: ReadonlySet<string>): boolean {
  const ref = layer.inputs[index];
  const c = graph.constants.get(ref);
  if (!c || !EXPORTER_MADE.test(ref) || c.shape.length < 2) return false;
  const t = c.shape[c.shape.length - 1];
  if (t < 2 || c.shape[c.shape.length - 2] !== t) return false;
  return layer.inputs.some((r, j) => {
    const s = shapes[j];
    return j !== index && scores.has(r) && s !== undefined && s.length >= 2 && s[s.length - 1] === t && s[s.length - 2] === t;
  });
}
