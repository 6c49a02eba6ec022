/**
 * A layer's weights as its graph binds them (GraphLayer.weights: a role → the constant it reads,
 * a MatMul's weight transposed into a linear's): the constant's values at the shape the op's spec
 * asks for, and why a run cannot have them (stripped, external, a fold not held). The runtime binds
 * a run's weights from here (the runtime's weights.ts, with the request's and the seeded ones besides);
 * constant folding binds a folded node's weights here too (graph/fold-constants.ts), so the folded
 * value is what the runtime computes.
 */
import { ConvlensError } from '../errors.js';
import type { WeightSpec } from '../ops/types.js';
import { dict, own } from '../records.js';
import { transpose2d } from '../tensor/nd.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { constantData } from './constant-data.js';
import type { GraphConstant, GraphLayer } from './graph.js';

/** The constant the layer binds to its role `spec.name`, if any. */
export function boundConstant(layer: GraphLayer, spec: WeightSpec, constants: ReadonlyMap<string, GraphConstant>): GraphConstant | undefined {
  const bound = own(layer.weights, spec.name);
  return bound ? constants.get(bound.constant) : undefined;
}

/** The bound weight's values decoded afresh, at the spec's shape (transposed when so bound); null when unbound or the constant has no values. */
export function boundWeight(layer: GraphLayer, spec: WeightSpec, constants: ReadonlyMap<string, GraphConstant>): Tensor | null {
  const c = boundConstant(layer, spec, constants);
  const data = c ? constantData(c) : null;
  if (!c || !data) return null;
  return tensor([...spec.shape], own(layer.weights, spec.name)!.transpose ? transpose2d(data, c.shape[0], c.shape[1]) : data);
}

/** INVALID_TENSOR at a weight the file binds but carries no values for: a fold not held at import, stripped or external data, or values of a type convlens does not decode. */
export function missingWeight(layer: GraphLayer, spec: WeightSpec, c: GraphConstant): ConvlensError {
  const key = `${layer.name}.${spec.name}`;
  const instead = 'seed the weights instead (weightInit "seed"; on the command line --weight-init seed) or give it in "weights"';
  if (c.folded) {
    return new ConvlensError('INVALID_TENSOR', `the model file computes '${key}' from constants (tensor '${c.name}'), and its values were not folded at import: ${c.folded.unheld ?? 'not computed'}; ${instead}`, {
      path: '$.weights',
      layer: layer.name,
    });
  }
  const why =
    c.external !== undefined
      ? `its data is in the external file '${c.external}' beside the model, which convlens does not read (save the model with its weights inside: onnx.save(model, path, save_as_external_data=False))`
      : c.undecoded !== undefined
        ? `its values are ${c.undecoded}, which convlens does not decode (it reads float, integer and bool tensors)`
        : 'weights stripped';
  return new ConvlensError('INVALID_TENSOR', `the model file carries no data for '${key}' (initializer '${c.name}', ${why}); ${instead}`, { path: '$.weights', layer: layer.name });
}

/** Every weight of the layer from the graph's constants, by role; INVALID_TENSOR at one unbound or without values. */
export function fileWeights(layer: GraphLayer, specs: readonly WeightSpec[], constants: ReadonlyMap<string, GraphConstant>): Record<string, Tensor> {
  const out = dict<Tensor>();
  for (const spec of specs) {
    const t = boundWeight(layer, spec, constants);
    if (t) {
      out[spec.name] = t;
      continue;
    }
    const c = boundConstant(layer, spec, constants);
    if (c) throw missingWeight(layer, spec, c);
    throw new ConvlensError('INVALID_TENSOR', `the graph binds no constant to '${layer.name}.${spec.name}'`, { path: '$.weights', layer: layer.name });
  }
  return out;
}
