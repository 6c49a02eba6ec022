/**
 * The facts of a module or function a layer's PyTorch module calls inside it (Swin V2's cpb_mlp,
 * MViT's pools, projections and score products), as the op convlens has for that call infers them: a
 * preset's rule counts the calls with the rules it already has for those ops (window-attention-v2.ts,
 * multiscale-attention.ts). The shapes come from the host layer's plan, which its own inference
 * accepted, so a refusal here is convlens's inconsistency (INTERNAL, naming the call), never the
 * request's.
 */
import { ConvlensError } from '../errors.js';
import type { OpDef, Shape } from '../ops/types.js';
import type { Family, LayerFacts } from './types.js';

export function innerCallFacts(name: string, family: Family, op: OpDef, inputs: Shape[], attrs: Record<string, unknown>, functional = false): LayerFacts {
  const parsed = op.attrs.parse(attrs) as Record<string, unknown>;
  const inferred = op.infer({
    layer: name,
    inputs,
    values: inputs.map(() => null),
    attrs: parsed,
    fail: (code, message) => {
      throw new ConvlensError('INTERNAL', `the call ${name} (${op.name}) inside the layer, counted for a convention, was refused (${code}: ${message}); its shapes come from the layer's own plan`, { layer: name });
    },
  });
  const plan = inferred.plan as { geo?: LayerFacts['geometry'] } | null;
  return {
    name,
    family,
    op,
    plan: inferred.plan,
    attrs: parsed,
    inputs,
    outputs: inferred.outputs,
    weights: inferred.weights.map((w) => ({ name: w.name, shape: w.shape, trainable: w.trainable })),
    geometry: plan && Array.isArray(plan.geo) ? plan.geo : null,
    fixedSize: false,
    cost: inferred.cost,
    functional,
    subclassed: false,
  };
}
