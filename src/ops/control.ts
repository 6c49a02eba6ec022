/**
 * Control flow of imported ONNX graphs, after the importer inlines their subgraphs
 * (graph/onnx/control-flow.ts):
 *
 *   ifSelect      inputs [cond, then₁ … thenₖ, else₁ … elseₖ] → k outputs: the then values when
 *                 cond ≠ 0, else the else values (torch.where with a scalar condition). ONNX If
 *                 with a condition the importer cannot read becomes both branches inlined plus
 *                 this selection. When the condition folds (shape arithmetic) the taken branch's
 *                 shapes are exact; otherwise the outputs take the then branch's shapes when both
 *                 agree, else the larger of each dimension (an upper bound) with a
 *                 DATA_DEPENDENT_SHAPE warning. Costs: both branches' layers are analysed and
 *                 listed; with a computed condition whose branches agree in shape the totals
 *                 count, per metric, the larger branch (exclusiveBranches, analysis/branches.ts:
 *                 one branch runs), else both (their sum); either is an upper bound of the branch
 *                 taken, which an IF_BOTH_BRANCHES_COUNTED warning states.
 *   loopContinue  inputs [cond, v₁ … vₖ] → v₁ … vₖ unchanged: the guard between two unrolled
 *                 iterations of an ONNX Loop whose body may stop early. The loop is analysed at
 *                 its trip count M (an upper bound, stated in a DATA_DEPENDENT_SHAPE warning); a
 *                 run whose condition turns false before M stops with INVALID_TENSOR rather than
 *                 compute iterations the model would not.
 * No arithmetic: 0 FLOPs.
 */
import { z } from 'zod';
import { ConvlensError, fmtShape } from '../errors.js';
import { MAX_LAYER_OUTPUTS } from './common.js';
import { mergeRF } from './receptive-field.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, Shape, TensorValue } from './types.js';
import { tensor } from '../tensor/tensor.js';

export const IfSelectAttrs = z.strictObject({
  outputs: z.number().int().positive().max(MAX_LAYER_OUTPUTS, { error: `at most ${MAX_LAYER_OUTPUTS} outputs` }).default(1),
  /** the layers of each inlined branch (the importer lists them): with a computed condition and agreeing shapes the totals count the larger branch per metric */
  thenLayers: z.array(z.string()).default([]),
  elseLayers: z.array(z.string()).default([]),
});
type IfSelectAttrs = z.infer<typeof IfSelectAttrs>;

interface IfPlan {
  /** the condition's folded value, when known */
  taken: 'then' | 'else' | null;
  /** the branches' shapes differ: outputs are bounds */
  bounded: boolean;
}

export const ifSelect: OpDef<IfSelectAttrs, IfPlan> = {
  name: 'ifSelect',
  summary: 'The then or the else values by a scalar condition (an ONNX If with both branches inlined)',
  pytorch: 'torch.where (scalar condition)',
  // k then values, then k else values (k = outputs)
  inputNames: ['cond', 'then', 'else'],
  minInputs: 3,
  variadic: true,
  outputCount: (a) => a.outputs,
  attrs: IfSelectAttrs,
  infer(ctx) {
    const k = ctx.attrs.outputs;
    if (ctx.inputs.length !== 1 + 2 * k) ctx.fail('INVALID_ATTRIBUTE', `${k} outputs need 1 + 2·${k} inputs (the condition, then the then and the else values), got ${ctx.inputs.length}`, 'outputs');
    if (ctx.inputs[0].reduce((p, d) => p * d, 1) !== 1) ctx.fail('SHAPE_MISMATCH', `the condition must hold one value, got ${fmtShape(ctx.inputs[0])}`, 'inputs');
    const cond = ctx.values[0];
    const taken = cond ? (cond.data[0] !== 0 ? 'then' : 'else') : null;
    const thenShapes = ctx.inputs.slice(1, 1 + k);
    const elseShapes = ctx.inputs.slice(1 + k);
    let bounded = false;
    const outputs: Shape[] = thenShapes.map((t, i) => {
      const e = elseShapes[i];
      if (taken) return taken === 'then' ? t : e;
      if (t.length === e.length && t.every((d, j) => d === e[j])) return t;
      bounded = true;
      return t.length === e.length ? t.map((d, j) => Math.max(d, e[j])) : t;
    });
    const values: (TensorValue | null)[] = taken ? ctx.values.slice(taken === 'then' ? 1 : 1 + k, taken === 'then' ? 1 + k : 1 + 2 * k) : outputs.map(() => null);
    return { outputs, values, weights: [], cost: ZERO_COST, plan: { taken, bounded } };
  },
  // a computed condition with agreeing shapes: one branch runs, the totals count the larger per metric (analysis/branches.ts)
  exclusiveBranches: (attrs, plan) => (plan.taken === null && !plan.bounded && (attrs.thenLayers.length > 0 || attrs.elseLayers.length > 0) ? [attrs.thenLayers, attrs.elseLayers] : null),
  receptiveField(ctx) {
    const k = ctx.attrs.outputs;
    const { taken, bounded } = ctx.plan;
    const branches = `the layers of both branches ('${ctx.layer}/then/…', '${ctx.layer}/else/…')`;
    const listed = ctx.attrs.thenLayers.length > 0 || ctx.attrs.elseLayers.length > 0;
    ctx.warn({
      code: 'IF_BOTH_BRANCHES_COUNTED',
      message: taken
        ? `layer '${ctx.layer}': the If's condition folds to ${taken === 'then'}: the outputs are the ${taken} branch's, but ${branches} were inlined and are counted`
        : !bounded && listed
          ? `layer '${ctx.layer}': an If whose condition depends on tensor values: ${branches} are analysed and listed; the totals count, per metric (MACs, FLOPs, memory access), the larger of the two, an upper bound of the branch taken`
          : `layer '${ctx.layer}': an If whose condition depends on tensor values: ${branches} are analysed and counted, their sum (their outputs differ in shape), an upper bound of the branch taken`,
      taken,
      totals: taken === null && !bounded && listed ? 'per-metric maximum of the branches' : 'sum of the branches',
    });
    if (bounded) {
      ctx.warn({
        code: 'DATA_DEPENDENT_SHAPE',
        message: `layer '${ctx.layer}': the If's branches give different output shapes and its condition depends on tensor values: the outputs are sized at the larger of each dimension`,
        bound: ctx.outputs,
      });
    }
    if (!taken) return mergeRF(ctx.layer, ctx.rf.slice(1), ctx.warn);
    return taken === 'then' ? ctx.rf[1] : ctx.rf[1 + k];
  },
  run(ctx) {
    const k = ctx.attrs.outputs;
    const then = ctx.inputs[0].data[0] !== 0;
    return ctx.inputs.slice(then ? 1 : 1 + k, then ? 1 + k : 1 + 2 * k);
  },
  // the gradient goes to the branch taken (zeros to the other); the condition has none
  vjp(ctx) {
    const k = ctx.attrs.outputs;
    const then = ctx.inputs[0].data[0] !== 0;
    return ctx.inputs.map((x, i) => {
      if (i === 0) return null;
      const taken = then ? i <= k : i > k;
      const g = ctx.gradOutputs[(i - 1) % k];
      return taken && g ? tensor(g.shape, g.data.slice()) : tensor(x.shape);
    });
  },
};

export const LoopContinueAttrs = z.strictObject({
  outputs: z.number().int().nonnegative().max(MAX_LAYER_OUTPUTS, { error: `at most ${MAX_LAYER_OUTPUTS} outputs` }).default(1),
  /** the iteration this guard follows (0-based) and the unrolled trip count */
  iteration: z.number().int().nonnegative().default(0),
  tripCount: z.number().int().positive().default(1),
  /** the trip count was folded from tensor shapes (maybe bounds), not read from a constant */
  fromShapes: z.boolean().default(false),
});
type LoopContinueAttrs = z.infer<typeof LoopContinueAttrs>;

export const loopContinue: OpDef<LoopContinueAttrs, null> = {
  name: 'loopContinue',
  summary: 'Passes loop-carried values on while the loop condition holds (an unrolled ONNX Loop that may stop early)',
  pytorch: 'a Python while loop',
  inputNames: ['cond', 'values'],
  minInputs: 2,
  variadic: true,
  outputCount: (a) => a.outputs,
  attrs: LoopContinueAttrs,
  infer(ctx) {
    if (ctx.inputs.length !== 1 + ctx.attrs.outputs) ctx.fail('INVALID_ATTRIBUTE', `${ctx.attrs.outputs} outputs need 1 + ${ctx.attrs.outputs} inputs (the condition, then the values), got ${ctx.inputs.length}`, 'outputs');
    if (numel(ctx.inputs[0]) !== 1) ctx.fail('SHAPE_MISMATCH', `the condition must hold one value, got ${fmtShape(ctx.inputs[0])}`, 'inputs');
    return { outputs: ctx.inputs.slice(1), values: ctx.values.slice(1), weights: [], cost: ZERO_COST, plan: null };
  },
  receptiveField(ctx) {
    if (ctx.attrs.iteration === 0) {
      ctx.warn({
        code: 'DATA_DEPENDENT_SHAPE',
        message: ctx.attrs.fromShapes
          ? `layer '${ctx.layer}': a Loop whose trip count is computed from tensor shapes is unrolled to the ${ctx.attrs.tripCount} iterations they give; where those shapes are upper bounds of data-dependent sizes (detections kept), so is this count`
          : `layer '${ctx.layer}': a Loop whose body computes its condition may stop before its trip count; it is analysed at the bound of ${ctx.attrs.tripCount} iterations`,
        bound: ctx.attrs.tripCount,
      });
    }
    return ctx.rf[1] ?? null;
  },
  run(ctx) {
    if (ctx.inputs[0].data[0] === 0) {
      throw new ConvlensError('INVALID_TENSOR', `the loop's condition turned false after iteration ${ctx.attrs.iteration}, before its bound of ${ctx.attrs.tripCount}: convlens unrolled it to the bound, so it cannot run this input`, {});
    }
    return ctx.inputs.slice(1);
  },
  vjp: (ctx) => [null, ...ctx.inputs.slice(1).map((x, i) => tensor(x.shape, ctx.gradOutputs[i]?.data.slice()))],
};
