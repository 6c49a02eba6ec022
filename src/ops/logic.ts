/**
 * Comparisons, boolean logic and selection (ONNX Equal, Less, Greater, LessOrEqual,
 * GreaterOrEqual, And, Or, Xor, Not, Where; torch.eq, lt, gt, le, ge, logical_and/or/xor/not,
 * where). Booleans are 1 and 0 (float32 in the kernels; folded values are integer, as ONNX's
 * bool tensors are). Broadcasting follows NumPy rules.
 *
 *   equal … greaterOrEqual   y = (a ∘ b) ? 1 : 0
 *   logicalAnd/Or/Xor        y = (a ≠ 0) ∘ (b ≠ 0);  logicalNot y = (x = 0)
 *   where                    y = condition ≠ 0 ? input : other, over the broadcast of all three
 *
 * FLOPs: 1 per output element (a comparison, a logical operation, a selection). Known values
 * fold: ViT's and Swin's exports build Expand targets as Where(Equal(shape, −1), 1, shape) over
 * ConstantOfShape, which must fold for the Expand to have a shape. Receptive fields: a
 * comparison or logic op merges its operands' fields as add does; where merges all three (the
 * condition selects which branch a unit reads, so both are in its field).
 * VJPs: comparisons and logic have bool outputs, so no input gradient (null, as PyTorch); where
 * sends g to the branch each element took (summed over broadcast dims), none to the condition.
 */
import { broadcastOp, unaryOp } from './pointwise.js';

const comparison = (name: string, symbol: string, pytorch: string, f: (a: number, b: number) => boolean) =>
  broadcastOp({
    name,
    summary: `Element-wise a ${symbol} b as 1 or 0, with broadcasting`,
    pytorch,
    inputNames: ['a', 'b'],
    flops: 1,
    fn: () => ([a, b]) => (f(a, b) ? 1 : 0),
    integerOut: () => true,
  });

export const equal = comparison('equal', '=', 'torch.eq', (a, b) => a === b);
export const less = comparison('less', '<', 'torch.lt', (a, b) => a < b);
export const greater = comparison('greater', '>', 'torch.gt', (a, b) => a > b);
export const lessOrEqual = comparison('lessOrEqual', '≤', 'torch.le', (a, b) => a <= b);
export const greaterOrEqual = comparison('greaterOrEqual', '≥', 'torch.ge', (a, b) => a >= b);

export const logicalAnd = comparison('logicalAnd', 'and', 'torch.logical_and', (a, b) => a !== 0 && b !== 0);
export const logicalOr = comparison('logicalOr', 'or', 'torch.logical_or', (a, b) => a !== 0 || b !== 0);
export const logicalXor = comparison('logicalXor', 'xor', 'torch.logical_xor', (a, b) => (a !== 0) !== (b !== 0));

export const logicalNot = unaryOp({
  name: 'logicalNot',
  summary: 'Element-wise logical not: 1 where x is 0, else 0',
  pytorch: 'torch.logical_not',
  flops: 1,
  fn: () => (x) => (x === 0 ? 1 : 0),
  integerOut: () => true,
  boolOutput: true,
});

export const where = broadcastOp({
  name: 'where',
  summary: 'Element-wise selection: x where the condition is non-zero, else y, with broadcasting',
  pytorch: 'torch.where',
  inputNames: ['condition', 'input', 'other'],
  flops: 1,
  // a run: broadcastApply's loop of three inputs, 26–128 ns an element of [1, 256, 56, 56]
  // (bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC, shared), in units of about 0.3 ns (pool.ts)
  runRate: 250,
  fn: () => ([c, x, y]) => (c !== 0 ? x : y),
  // the branches' kind: Where(cond, int64, int64) is an int64 shape
  integerOut: ([, x, y]) => x && y,
  // the condition has no gradient; g goes to the branch each element took
  partials: () => ([c], _y, into) => {
    into[1] = c !== 0 ? 1 : 0;
    into[2] = c !== 0 ? 0 : 1;
  },
  noGradient: [0],
});
