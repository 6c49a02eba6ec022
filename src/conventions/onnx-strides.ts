/**
 * Whether a 3-D tensor of an imported ONNX file was a non-contiguous view in PyTorch, where that
 * decides what a tool counts: aten::linear (torch 1.13 aten/src/ATen/native/Linear.cpp linear())
 * takes addmm, bias fused, for a 2-D input or a contiguous 3-D one, and matmul + add_ otherwise,
 * so ptflops' aten backend (which counts addmm's bias but not add_) counts nn.Linear's bias only
 * there. torch.onnx writes the view as the Transpose (Squeeze, Unsqueeze) before the MatMul.
 */
import type { AnalysedLayer } from '../analysis/infer.js';
import { squeeze, transpose, unsqueeze } from '../ops/movement.js';
import { numel } from '../ops/types.js';
import type { Shape } from '../ops/types.js';

type Producers = ReadonlyMap<string, AnalysedLayer>;

/**
 * The strides PyTorch holds a tensor with: its layout layers' (Transpose permutes them, Squeeze and
 * Unsqueeze add or drop size-1 dims) from the last tensor an op wrote afresh (contiguous). A
 * Reshape or Flatten of a non-contiguous view is read as the copy torch's reshape makes
 * (contiguous): a view it could keep is not in the file.
 */
function strides(producer: Producers, t: string, shape: Shape, depth = 0): number[] {
  const p = producer.get(t);
  const fresh = () => shape.map((_, i) => numel(shape.slice(i + 1)));
  if (!p || !p.inferred || p.folded || depth > 64) return fresh();
  const from = () => strides(producer, p.layer.inputs[0], p.inputShapes[0], depth + 1);
  if (p.op === transpose) {
    const s = from();
    return (p.inferred.plan as { perm: number[] }).perm.map((i) => s[i]);
  }
  if (p.op === squeeze || p.op === unsqueeze) {
    // the dims over 1 keep their strides, in order; a size-1 dim's stride is never read
    const kept = from().filter((_, i) => p.inputShapes[0][i] !== 1);
    return shape.map((d) => (d === 1 ? 0 : kept.shift()!));
  }
  // anything else, Reshape and Flatten included (a view of a contiguous tensor, or the copy of another), is contiguous
  return fresh();
}

/** torch's is_contiguous: row-major strides over the dims larger than 1. */
function contiguous(shape: Shape, s: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (s[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** A 3-D tensor t of this shape was a non-contiguous view: aten::linear reading it takes matmul + add_, not addmm. */
export function stridedView(producer: Producers, t: string, shape: Shape): boolean {
  return shape.length === 3 && !contiguous(shape, strides(producer, t, shape));
}
