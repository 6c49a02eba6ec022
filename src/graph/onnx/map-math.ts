/**
 * ONNX element-wise math and logic → convlens ops (src/ops/math.ts, src/ops/logic.ts). All are one
 * to one, inputs and all; only Mod carries an attribute (fmod, 0 or 1: any other value is refused at
 * its AttributeProto, as ONNX Runtime refuses it). Opsets 7–27 share these forms.
 */
import type { NodeMapper } from './mapping.js';

const direct = (op: string): NodeMapper => (ctx) => ctx.same(op);

export const MATH_MAPPERS: Record<string, NodeMapper> = {
  Sqrt: direct('sqrt'),
  Exp: direct('exp'),
  Sin: direct('sin'),
  Cos: direct('cos'),
  Log: direct('log'),
  Neg: direct('neg'),
  Abs: direct('abs'),
  Sign: direct('sign'),
  Reciprocal: direct('reciprocal'),
  Floor: direct('floor'),
  Ceil: direct('ceil'),
  Pow: direct('pow'),
  Mod: (ctx) => ctx.same('mod', { fmod: ctx.a.flag('fmod', false) }, { fmod: 'fmod' }),
  Min: direct('minimum'),
  Max: direct('maximum'),
  Equal: direct('equal'),
  Less: direct('less'),
  Greater: direct('greater'),
  LessOrEqual: direct('lessOrEqual'),
  GreaterOrEqual: direct('greaterOrEqual'),
  And: direct('logicalAnd'),
  Or: direct('logicalOr'),
  Xor: direct('logicalXor'),
  Not: direct('logicalNot'),
  Where: direct('where'),
};
