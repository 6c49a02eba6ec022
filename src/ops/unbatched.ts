/**
 * Unbatched input, as PyTorch 1.13's pooling and convolution modules take it: one axis short of
 * the batch form, [C, …spatial] for [N, C, …spatial] (nn.AvgPool3d(2) on [2, 4, 5, 6] → [2, 2, 2, 3];
 * nn.MaxPool2d, AdaptiveMaxPool1d, MaxUnpool2d, nn.Conv2d, nn.ConvTranspose1d … alike). An op over
 * `spatial` axes reads rank spatial + 2 as a batch and spatial + 1 as one unbatched sample; PyTorch
 * refuses any other rank ("non-empty 4D or 5D (batch mode) tensor expected for input"; conv2d:
 * "Expected 3D (unbatched) or 4D (batched) input to conv2d"), and so does this.
 *
 * The unbatched sample is the batch of one, [1, C, …spatial], in the same memory: shape, cost,
 * plan, receptive field, run and VJP are the batched op's, read through that view and answered
 * without the leading 1 (unbatched). So the analysis (shapes, MACs, fields) and the runtime read
 * one definition. A field's dims name the unbatched tensor's axes (C at 0, spatial from 1): they
 * move by one into the batched view and back (shiftDims).
 */
import { fmtShape } from '../errors.js';
import type { ErrorDetails } from '../errors.js';
import type { InferContext, OpDef, RFContext, RunContext, TensorRF, VjpContext } from './types.js';
import type { Tensor } from '../tensor/tensor.js';

const LAYOUTS: Record<number, [string, string]> = {
  1: ['(N, C, L)', '(C, L)'],
  2: ['(N, C, H, W)', '(C, H, W)'],
  3: ['(N, C, D, H, W)', '(C, D, H, W)'],
};

/** The batched view of an unbatched tensor's shape, and back. */
const batchShape = (s: readonly number[]): number[] => [1, ...s];
const unbatchShape = (s: readonly number[]): number[] => s.slice(1);
const batchTensor = (t: Tensor): Tensor => ({ ...t, shape: batchShape(t.shape) });
const unbatchTensor = (t: Tensor): Tensor => ({ ...t, shape: unbatchShape(t.shape) });

/** A field with its dims moved by `by` (+1 into the batched view, −1 back). */
export function shiftDims(rf: TensorRF | null, by: number): TensorRF | null {
  if (!rf) return rf;
  const moved: TensorRF = { ...rf, dims: rf.dims.map((d) => d + by) };
  if (rf.phase) moved.phase = { ...rf.phase, of: shiftDims(rf.phase.of, by)! };
  return moved;
}

/**
 * `op` (a pool or convolution over `spatial` axes whose batched inputs are `batched`: x, and
 * maxUnpool2d's indices) taking x as [N, C, …spatial] or unbatched [C, …spatial]. `onnx` names the
 * ONNX operators it is imported from, which take [N, C, …spatial] only.
 */
export function acceptUnbatched<A, P>(op: OpDef<A, P>, spatial: 1 | 2 | 3, batched: readonly number[] = [0], onnx = 'pooling'): OpDef<A, P> {
  const isUnbatched = (x: readonly number[]): boolean => x.length === spatial + 1;
  const view = <T>(items: readonly T[], f: (t: T) => T): T[] => items.map((t, i) => (batched.includes(i) ? f(t) : t));
  return {
    ...op,
    infer(ctx: InferContext<A>) {
      const x = ctx.inputs[0];
      if (x.length !== spatial + 2 && !isUnbatched(x)) {
        const [batch, single] = LAYOUTS[spatial];
        ctx.fail('RANK_MISMATCH', `input 0 must have ${spatial + 2} dimensions ${batch} or ${spatial + 1} unbatched ${single}, as PyTorch's ${op.pytorch}, got shape ${fmtShape(x)}`, 'inputs', {
          shapes: { input0: x },
        });
      }
      if (!isUnbatched(x)) return op.infer(ctx);
      // ONNX's pools and convs take [N, C, …] only (onnxruntime refuses a 2-D kernel_shape over a 3-D X)
      if (ctx.fromOnnx) ctx.fail('RANK_MISMATCH', `input 0 must have ${spatial + 2} dimensions ${LAYOUTS[spatial][0]} (ONNX ${onnx} takes no unbatched input), got shape ${fmtShape(x)}`, 'inputs', { shapes: { input0: x } });
      // a refusal names the shapes as given, not their batched view
      const given = new Map(view(ctx.inputs, batchShape).map((s, i) => [fmtShape(s), ctx.inputs[i]]));
      const asGiven = (details?: ErrorDetails): ErrorDetails | undefined =>
        details?.shapes ? { ...details, shapes: Object.fromEntries(Object.entries(details.shapes).map(([k, s]) => [k, given.get(fmtShape(s)) ?? s])) } : details;
      const inferred = op.infer({
        ...ctx,
        inputs: view(ctx.inputs, batchShape),
        fail: (code, message, field, details) => ctx.fail(code, message, field, asGiven(details)),
      });
      return { ...inferred, outputs: inferred.outputs.map(unbatchShape), unbatched: spatial };
    },
    receptiveField(ctx: RFContext<A, P>) {
      if (!isUnbatched(ctx.inputs[0])) return op.receptiveField(ctx);
      const rf = op.receptiveField({ ...ctx, inputs: view(ctx.inputs, batchShape), outputs: ctx.outputs.map(batchShape), rf: view(ctx.rf, (r) => shiftDims(r, 1)) });
      return shiftDims(rf, -1);
    },
    run(ctx: RunContext<A, P>) {
      if (!isUnbatched(ctx.inputs[0].shape)) return op.run(ctx);
      return op.run(batchedRun(ctx)).map(unbatchTensor);
    },
    ...(op.teamBands ? { teamBands: (ctx: RunContext<A, P>) => op.teamBands!(isUnbatched(ctx.inputs[0].shape) ? batchedRun(ctx) : ctx) } : {}),
    ...(op.vjp
      ? {
          vjp(ctx: VjpContext<A, P>) {
            if (!isUnbatched(ctx.inputs[0].shape)) return op.vjp!(ctx);
            const grads = op.vjp!({
              ...batchedRun(ctx),
              forward: ctx.forward.map(batchTensor),
              gradOutputs: ctx.gradOutputs.map((g) => g && batchTensor(g)),
            });
            return grads.map((g, i) => (g && batched.includes(i) ? unbatchTensor(g) : g));
          },
        }
      : {}),
  };

  function batchedRun<C extends RunContext<A, P>>(ctx: C): C {
    return { ...ctx, inputs: view(ctx.inputs, batchTensor), outputs: ctx.outputs.map(batchShape) };
  }
}

