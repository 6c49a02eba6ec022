/**
 * loop: an ONNX Loop run at run time, iteration by iteration, because its body has data-dependent
 * shapes (torchvision's mask R-CNN pastes each mask, resized to its box, into the image:
 * `_onnx_paste_masks_in_image_loop`) and its trip count M is computed. The importer
 * (graph/onnx/loop-body.ts) holds the body as an imported sub-graph; this op only sees it through
 * `LoopBody`, so ops import neither the importer nor the runtime.
 *
 *   inputs   [M, cond, v₁ … vₖ, c₁ … cₙ]: the trip count, the initial condition, the k loop-carried
 *            values, then the n tensors the body reads from the enclosing graph
 *   outputs  v₁ … vₖ after the last iteration, then the s scan outputs stacked on a new axis 0
 *   analysis M must fold (from shapes, where it is the bound of a data-dependent count such as the
 *            detections kept): the loop is analysed at that bound, the body inferred once per
 *            iteration (iteration number known, carried shapes from the iteration before). Values
 *            of the enclosing graph the body's shapes depend on are taken at their bound, which
 *            the body states (a box at the whole image). Costs: the body's layers summed over the
 *            iterations, as the body's ops count them (an upper bound, stated in a
 *            DATA_DEPENDENT_SHAPE warning with the bound); outputs at the bound. The run work
 *            (LoopBound.runWork, which MAX_RUN_WORK reads) adds the rounding of each body output
 *            the file types FLOAT16, as a run rounds it (graph/onnx/float16-work.ts).
 *            M ≤ 0 runs no iteration: the carried values as given, each scan output [0, …] of the
 *            body's shape for them (the body inferred once for its shapes, costing nothing).
 *   run      the body runs M times with the iteration's concrete values (shapes inferred afresh
 *            each time), through the executor's `runSubgraph` hook; it stops early when the body's
 *            condition turns false, as ONNX does. Outputs have their real sizes.
 * The body must have no weights of its own (torchvision's has none): a body with weights is left
 * unsupported by the importer, so parameters are never under-counted.
 */
import { z } from 'zod';
import { ConvlensError, fmtShape } from '../errors.js';
import { numel } from './types.js';
import type { InferContext, LayerCost, OpDef, RunContext, Shape, TensorValue } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

/** The body's analysis at the bound: final carried shapes and per-iteration scan shapes, the summed cost, and what was assumed. */
export interface LoopBound {
  /** shapes of v₁ … vₖ after the last iteration */
  carried: Shape[];
  /** shape of one iteration's scan outputs (stacked: [M, …]) */
  scans: Shape[];
  cost: LayerCost;
  /** its kernels' work summed (Inferred.kernelWork where a body layer states one, else its cost) */
  kernelWork: number;
  /** a run's of them (ops/common.ts runWork: a body layer's runWork where it states one; + the rounding of its FLOAT16 outputs), where it differs; absent: kernelWork */
  runWork?: number;
  /** layers the body has (for the warning) */
  layers: number;
  /** the values taken at their bound, in words ('' when none) */
  assumption: string;
}

/** An imported loop body, as the loop op sees it (graph/onnx/loop-body.ts makes one). */
export interface LoopBody {
  /** k loop-carried values, s scan outputs, n tensors read from the enclosing graph */
  readonly carried: number;
  readonly scans: number;
  readonly captured: number;
  /** the body inferred for M iterations from these input shapes and known values (inputs as the layer's); throws a ConvlensError when it cannot be */
  bound(tripCount: number, shapes: readonly Shape[], values: readonly (TensorValue | null)[]): LoopBound;
  /** one iteration with concrete tensors [cond, v₁ … vₖ, c₁ … cₙ]: returns [cond, v₁′ … vₖ′, scan₁ … scanₛ] */
  iterate(iteration: number, inputs: readonly Tensor[], runSubgraph: NonNullable<RunContext<unknown>['runSubgraph']>): Tensor[];
}

const isBody = (v: unknown): v is LoopBody => typeof v === 'object' && v !== null && typeof (v as LoopBody).bound === 'function' && typeof (v as LoopBody).iterate === 'function';

export const LoopAttrs = z.strictObject({
  /** the imported body (graph/onnx/loop-body.ts): only the ONNX importer makes loop layers (a spec cannot write one) */
  body: z.custom<LoopBody>(isBody, { message: 'a loop body imported from an ONNX Loop' }).optional(),
});
type LoopAttrs = z.infer<typeof LoopAttrs>;

interface LoopPlan {
  tripCount: number;
  bound: LoopBound;
}

export const loop: OpDef<LoopAttrs, LoopPlan> = {
  name: 'loop',
  summary: 'An ONNX Loop whose body has data-dependent shapes, run iteration by iteration (analysed at its trip count\'s bound)',
  pytorch: 'a Python for loop (torchvision paste_masks_in_image)',
  inputNames: ['tripCount', 'cond', 'values'],
  minInputs: 2,
  variadic: true,
  outputCount: (a) => (a.body ? a.body.carried + a.body.scans : 1),
  // no iteration (M ≤ 0) stacks no scan row: [0, …], as ONNX Runtime gives it
  emptyOutputs: true,
  attrs: LoopAttrs,
  infer(ctx) {
    const body = ctx.attrs.body ?? ctx.fail('INVALID_ATTRIBUTE', 'a loop layer comes from an ONNX Loop (its body imported with it); a spec cannot write one', 'body');
    if (ctx.inputs.length !== 2 + body.carried + body.captured) {
      ctx.fail('INVALID_ATTRIBUTE', `the body needs 2 + ${body.carried} + ${body.captured} inputs (trip count, condition, carried values, enclosing tensors), got ${ctx.inputs.length}`, 'inputs');
    }
    if (numel(ctx.inputs[0]) !== 1) ctx.fail('SHAPE_MISMATCH', `the trip count must hold one value, got ${fmtShape(ctx.inputs[0])}`, 'inputs');
    const m: number = ctx.values[0]?.data[0] ?? ctx.fail('UNSUPPORTED_OPERATOR', 'the trip count depends on tensor values and no bound of it is known', 'inputs');
    if (!Number.isInteger(m)) ctx.fail('INVALID_ATTRIBUTE', `the trip count folds to ${m}, not a count`, 'inputs');
    // M ≤ 0 runs no iteration (ONNX Runtime: while (i < M && cond)): the carried values as given, empty scans
    const iterations = Math.max(m, 0);
    const bound = boundOf(body, iterations, ctx.inputs, ctx.values, ctx.fail);
    const outputs = [...bound.carried, ...bound.scans.map((s) => [iterations, ...s])];
    return { outputs, values: outputs.map(() => null), weights: [], cost: bound.cost, kernelWork: bound.kernelWork, ...(bound.runWork === undefined ? {} : { runWork: bound.runWork }), plan: { tripCount: iterations, bound } };
  },
  receptiveField(ctx) {
    const { tripCount, bound } = ctx.plan;
    // no iteration (M ≤ 0): nothing runs, no bound to state; no field
    if (tripCount === 0) return null;
    ctx.warn({
      code: 'DATA_DEPENDENT_SHAPE',
      message:
        `layer '${ctx.layer}': an ONNX Loop whose body has data-dependent shapes runs iteration by iteration; it is analysed at its trip count's bound of ${tripCount} iterations ` +
        `(where the count is the detections kept, so is this bound), outputs ${ctx.outputs.map(fmtShape).join(', ')}, and its body's ${bound.layers} layers costed per iteration` +
        (bound.assumption ? ` ${bound.assumption}: a bound under that assumption` : ': an upper bound'),
      bound: tripCount,
      outputs: ctx.outputs,
    });
    // where an output element reads from depends on the data (a box picks it): no field is reported
    return null;
  },
  run(ctx) {
    const { body } = ctx.attrs;
    const hook = ctx.runSubgraph;
    if (!body || !hook) throw new ConvlensError('UNSUPPORTED_OPERATOR', 'a loop layer runs its body through the executor (runGraph); it cannot run alone', {});
    const m = ctx.inputs[0].data[0];
    const k = body.carried;
    let cond = ctx.inputs[1];
    let values = ctx.inputs.slice(2, 2 + k);
    const captured = ctx.inputs.slice(2 + k);
    const scans: Tensor[][] = Array.from({ length: body.scans }, () => []);
    // ONNX: iterate while i < M and cond; the body's first output is the next condition
    for (let i = 0; i < m && cond.data[0] !== 0; i++) {
      const outs = body.iterate(i, [cond, ...values, ...captured], hook);
      cond = outs[0];
      values = outs.slice(1, 1 + k);
      outs.slice(1 + k).forEach((t, j) => scans[j].push(t));
    }
    return [...values, ...scans.map((list, j) => stack(list, ctx.outputs[k + j]))];
  },
};

/** The body at the bound; its error becomes this layer's. */
function boundOf(body: LoopBody, m: number, shapes: Shape[], values: (TensorValue | null)[], fail: InferContext<LoopAttrs>['fail']): LoopBound {
  try {
    return body.bound(m, shapes.slice(1), values.slice(1));
  } catch (e) {
    if (!(e instanceof ConvlensError)) throw e;
    // the body's layer is named as bodyLayer: `layer` stays this loop's
    const { layer: inner, path: _path, ...rest } = e.details;
    return fail(e.code, `its body cannot be analysed at the bound of ${m} iterations: ${e.message}`, 'body', { ...rest, ...(inner !== undefined ? { bodyLayer: inner } : {}) });
  }
}

/** Scan outputs stacked on a new axis 0; none (M = 0 or an early stop at once): [0, …] of the bound's trailing shape. */
function stack(list: readonly Tensor[], planned: Shape): Tensor {
  const inner = list[0]?.shape ?? planned.slice(1);
  const n = numel(inner);
  const out = new Float32Array(list.length * n);
  list.forEach((t, i) => {
    if (t.data.length !== n) throw new ConvlensError('INVALID_TENSOR', `the loop's scan output has shape ${fmtShape(t.shape)} at iteration ${i}, ${fmtShape(inner)} at iteration 0: ONNX scan outputs keep one shape`, {});
    out.set(t.data, i * n);
  });
  return tensor([list.length, ...inner], out);
}
