/**
 * The vector-Jacobian product of one operator on given tensors: everything runOperator checks
 * (attributes, shapes, weight roles and shapes, tensor and work limits, through checkOperator),
 * then the forward kernel, then the op's `vjp` with the caller's output gradients:
 *
 *   gradInputs[i] = ∂L/∂inputs[i] = Σ_k (∂outputs[k]/∂inputs[i])ᵀ · gradOutputs[k]
 *
 * with the weights held constant. A missing or null gradOutputs[k] means output k does not reach
 * L (zeros). An op without a vjp is NO_GRADIENT before any work.
 */
import { ConvlensError, atLayer, fmtShape } from '../errors.js';
import type { LayerReport } from '../analysis/report.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import type { OpDef } from '../ops/types.js';
import type { Tensor } from '../tensor/tensor.js';
import { hash32 } from '../tensor/random.js';
import { checkOperator, runOperator } from './operator.js';
import type { OperatorCall } from './operator.js';

export interface VjpCall extends OperatorCall {
  /** ∂L/∂output per output, in the op's output order; null or absent: that output does not reach L. */
  gradOutputs: (Tensor | null)[];
}

export interface VjpResult {
  /** The forward outputs. */
  outputs: Tensor[];
  /** ∂L/∂input per input; null for an input without a gradient (indices, shapes, axes). */
  gradInputs: (Tensor | null)[];
  layer: LayerReport;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** NO_GRADIENT unless the op has a vector-Jacobian product. */
export function differentiable(op: OpDef, path = '$.name'): asserts op is OpDef & { vjp: NonNullable<OpDef['vjp']> } {
  if (!op.vjp) {
    throw new ConvlensError('NO_GRADIENT', `${op.name} has no vector-Jacobian product: no gradient can pass through it`, { path });
  }
}

export function vjpOperator(call: VjpCall): VjpResult {
  const op = OPS_BY_NAME.get(call.name);
  if (op) differentiable(op);
  // unknown names, attributes, shapes, weights and limits: runOperator's own checks and errors
  const { layer, attrs, plan, weights } = checkOperator(call);
  if (!layer) {
    // folded by the analyzer (shape): the output is known without the input's values, so no
    // gradient reaches any input
    const res = runOperator(call);
    return { outputs: res.outputs, gradInputs: call.inputs.map(() => null), layer: res.layer };
  }
  const vjp = op!.vjp!;
  const outputs = layer.outputShapes;
  if (call.gradOutputs.length > outputs.length) {
    throw new ConvlensError('SPEC_INVALID', `${call.name} has ${outputs.length} output(s), got ${call.gradOutputs.length} output gradients`, { path: '$.gradOutputs' });
  }
  call.gradOutputs.forEach((g, k) => {
    if (g && !sameShape(g.shape, outputs[k])) {
      throw new ConvlensError('SHAPE_MISMATCH', `gradient of output ${k} must be ${fmtShape(outputs[k])} like the output, got ${fmtShape(g.shape)}`, {
        path: `$.gradOutputs[${k}]`,
        shapes: { output: outputs[k], gradient: g.shape },
      });
    }
  });
  const ctx = {
    attrs,
    plan,
    inputs: call.inputs,
    weights,
    outputs,
    training: call.training,
    // the seed runGraph gives a one-layer graph's layer (named after the op): the same dropout mask
    seed: call.seed ^ hash32(call.name),
  };
  // a kernel's fault named as runOperator's are: the call's layer is named after its op, at `$`
  const at = { name: call.name, path: '$' };
  let forward: Tensor[];
  let gradInputs: (Tensor | null)[];
  try {
    forward = op!.run(ctx);
    gradInputs = vjp({ ...ctx, forward, gradOutputs: outputs.map((_, k) => call.gradOutputs[k] ?? null) });
  } catch (e) {
    throw atLayer(e, at);
  }
  gradInputs.forEach((g, i) => {
    if (g && !sameShape(g.shape, call.inputs[i].shape)) {
      throw new ConvlensError('INTERNAL', `${call.name} vjp: gradient of input ${i} is ${fmtShape(g.shape)}, the input ${fmtShape(call.inputs[i].shape)}`);
    }
  });
  return { outputs: forward, gradInputs: call.inputs.map((_, i) => gradInputs[i] ?? null), layer };
}
