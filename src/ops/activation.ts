/**
 * Element-wise activations, softmax and dropout. Output shape = input shape; receptive field
 * passes through. FLOPs per element (counted as the obvious implementation does):
 *   relu 1 (compare)          relu6 2 (two clamps)         leakyRelu 2 (compare, multiply)
 *   sigmoid 4 (neg, exp, add, divide)                      swish / silu 5 (sigmoid, multiply)
 *   hardSigmoid 4 (add, two clamps, scale)                 hardSwish 5 (hardSigmoid, multiply)
 *   softmax 5 (max, subtract, exp, sum, divide)            dropout 0 at inference
 *   clip 1 per bound
 * hardSigmoid has two named forms: "pytorch" ReLU6(x + 3)/6 (MobileNetV3) and "notes"
 * max(0, min(1, (x + 1)/2)). Leaky ReLU's slope defaults to PyTorch's 0.01 (the notes use 0.1).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef } from './types.js';

interface Elementwise<A> {
  name: string;
  summary: string;
  pytorch: string;
  attrs: z.ZodType<A>;
  flopsPerElement: number | ((a: A) => number);
}

function elementwise<A>(d: Elementwise<A>): OpDef<A, null> {
  return {
    name: d.name,
    summary: d.summary,
    pytorch: d.pytorch,
    inputNames: ['x'],
    minInputs: 1,
    attrs: d.attrs,
    infer(ctx) {
      const x = ctx.inputs[0];
      const per = typeof d.flopsPerElement === 'number' ? d.flopsPerElement : d.flopsPerElement(ctx.attrs);
      return { outputs: [x], weights: [], cost: { ...ZERO_COST, elementwise: per * numel(x) }, plan: null };
    },
    receptiveField: (ctx) => ctx.rf[0],
  };
}

const none = z.strictObject({});

export const relu = elementwise({ name: 'relu', summary: 'max(0, x)', pytorch: 'torch.nn.ReLU', attrs: none, flopsPerElement: 1 });
export const relu6 = elementwise({ name: 'relu6', summary: 'min(max(0, x), 6)', pytorch: 'torch.nn.ReLU6', attrs: none, flopsPerElement: 2 });
export const LeakyReluAttrs = z.strictObject({ negativeSlope: z.number().default(0.01) });
export const leakyRelu = elementwise({
  name: 'leakyRelu',
  summary: 'x if x > 0 else negativeSlope·x',
  pytorch: 'torch.nn.LeakyReLU',
  attrs: LeakyReluAttrs,
  flopsPerElement: 2,
});
export const sigmoid = elementwise({ name: 'sigmoid', summary: '1 / (1 + exp(−x))', pytorch: 'torch.nn.Sigmoid', attrs: none, flopsPerElement: 4 });
export const swish = elementwise({ name: 'swish', summary: 'x·sigmoid(x) (SiLU)', pytorch: 'torch.nn.SiLU', attrs: none, flopsPerElement: 5 });
export const HardSigmoidAttrs = z.strictObject({
  variant: z.enum(['pytorch', 'notes']).default('pytorch'),
  /** ONNX's general form max(0, min(1, alpha·x + beta)); overrides the variant when given. */
  alpha: z.number().optional(),
  beta: z.number().optional(),
});
export const hardSigmoid = elementwise({
  name: 'hardSigmoid',
  summary: 'variant "pytorch": ReLU6(x + 3)/6; variant "notes": max(0, min(1, (x + 1)/2))',
  pytorch: 'torch.nn.Hardsigmoid',
  attrs: HardSigmoidAttrs,
  flopsPerElement: 4,
});
export const ClipAttrs = z.strictObject({ min: z.number().optional(), max: z.number().optional() });
export const clip = elementwise({
  name: 'clip',
  summary: 'min(max(x, min), max); ReLU6 is clip(0, 6)',
  pytorch: 'torch.clamp',
  attrs: ClipAttrs,
  flopsPerElement: (a) => (a.min !== undefined ? 1 : 0) + (a.max !== undefined ? 1 : 0),
});
export const hardSwish = elementwise({ name: 'hardSwish', summary: 'x·ReLU6(x + 3)/6', pytorch: 'torch.nn.Hardswish', attrs: none, flopsPerElement: 5 });
export const DropoutAttrs = z.strictObject({ p: z.number().min(0).max(1).default(0.5) });
export const dropout = elementwise({
  name: 'dropout',
  summary: 'Inference: identity. Training: zero with probability p, scale the rest by 1/(1 − p)',
  pytorch: 'torch.nn.Dropout',
  attrs: DropoutAttrs,
  flopsPerElement: 0,
});

export const SoftmaxAttrs = z.strictObject({ dim: z.number().int().default(1) });
const softmaxBase = elementwise({ name: 'softmax', summary: 'exp(x) / Σ exp(x) along dim', pytorch: 'torch.nn.Softmax', attrs: SoftmaxAttrs, flopsPerElement: 5 });
export const softmax: OpDef<z.infer<typeof SoftmaxAttrs>, null> = {
  ...softmaxBase,
  infer(ctx) {
    const x = ctx.inputs[0];
    const dim = ctx.attrs.dim;
    if (dim < -x.length || dim >= x.length) {
      ctx.fail('INVALID_ATTRIBUTE', `layer '${ctx.layer}': dim=${dim} is out of range for input ${fmtShape(x)}`, 'dim', { shapes: { input: x } });
    }
    return softmaxBase.infer(ctx);
  },
};
