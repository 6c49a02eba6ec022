/**
 * Outputs whose size depends on tensor values (NonMaxSuppression's selected boxes; the analysis
 * planned them at an upper bound with a DATA_DEPENDENT_SHAPE warning) reach the executor at their
 * real size. A graph output or a captured tensor is answered as it is; a tensor a later layer reads
 * must have the size that layer was planned for, or the run stops here with a 400 naming the layer,
 * both shapes and the way out, instead of a kernel reading out of bounds.
 */
import { ConvlensError, fmtShape } from '../errors.js';
import type { GraphLayer } from '../graph/graph.js';
import type { Shape } from '../ops/types.js';
import type { Tensor } from '../tensor/tensor.js';

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Checks a layer's outputs against the shapes the analysis planned; `readLater(name)` says whether
 * an executed layer after this one reads the tensor.
 */
export function checkRunShapes(layer: GraphLayer, outs: readonly (Tensor | undefined)[], planned: readonly Shape[], readLater: (tensor: string) => boolean): void {
  layer.outputs.forEach((name, k) => {
    const out = outs[k];
    const want = planned[k];
    if (!out || !want || same(out.shape, want) || !readLater(name)) return;
    throw new ConvlensError(
      'UNSUPPORTED_OPERATOR',
      `layer '${layer.name}' wrote '${name}' as ${fmtShape(out.shape)} at run time, but the layers after it were planned for ${fmtShape(want)} (its size depends on tensor values); convlens runs such a graph up to this layer: ask for '${name}' as an output (capture) instead`,
      { path: layer.path, layer: layer.name, shapes: { [name]: out.shape, planned: want } },
    );
  });
}
