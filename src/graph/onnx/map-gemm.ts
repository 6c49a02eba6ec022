/**
 * ONNX Gemm, Y = α·A'·B' + β·C (A' = Aᵀ with transA, B' = Bᵀ with transB; opsets 7–13), as a
 * linear layer over A's last dim: B is the weight ([K, N], or [N, K] with transB, torch's Linear),
 * C the bias.
 *
 *   α, β   fold into the constants at import, by the mul operator's own kernel
 *          (graph/fold-constants.ts): the weight is α·B and the bias β·C, in float32 as a run
 *          computes them. A'·(α·B) equals α·(A'·B) up to float rounding (α·B is rounded once per
 *          weight instead of the product once per output).
 *   C      one per output feature: [N] or [1, N], or one value ([], [1], [1, 1]) broadcast to the N
 *          features (β·C is a mul by a [N] of β). A C per row ([M, N], [M, 1] with M > 1) is a bias
 *          of the batch's rows, not a linear layer's: refused. Optional (opset ≥ 11).
 *   transA 1 reads A's first dim as the features (Aᵀ·B): not a linear layer over the input's last
 *          dim, refused.
 *
 * Parameters are the stored B and C (GraphConstant.folded: what α·B and β·C are computed from);
 * a C of one value counts none, as a scalar read by an Add is a literal, not a weight.
 */
import type { GraphConstant } from '../graph.js';
import { notFoldable } from '../fold-constants.js';
import type { MapContext, Mapped, NodeMapper } from './mapping.js';
import { Unsupported } from './mapping.js';

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** c·k by the mul kernel, with k a scalar or, given `n`, a [n] of k (which broadcasts C to the features). */
function scaled(ctx: MapContext, c: GraphConstant, k: number, n: number | null, what: string): GraphConstant {
  if (!ctx.folder) throw new Unsupported(`${what} ≠ 1 where constants are not folded`);
  const shape = n === null ? [] : [n];
  const factor: GraphConstant = { name: `${c.name}:${what}`, shape, dataType: 'float32', value: { data: new Array<number>(n ?? 1).fill(k), integer: false }, raw: null, typed: null, initializer: false };
  const out = ctx.folder.apply('mul', {}, [c, factor], `${c.name}:${what}`);
  if (notFoldable(out)) throw new Unsupported(`${what}·${c.name} does not fold: ${out.reason}`);
  return out;
}

const gemm: NodeMapper = (ctx): Mapped => {
  const { a, node } = ctx;
  if (a.int('transA', 0) === 1) throw new Unsupported("transA 1: A is read transposed, its first dim the features (Aᵀ·B), which is not a linear layer over the input's last dim");
  const alpha = a.float('alpha', 1);
  const beta = a.float('beta', 1);
  const transB = a.int('transB', 0) === 1;
  const b = ctx.weightOf(1, 'B (the weight)');
  if (!b || b.shape.length !== 2) throw new Unsupported(`B of shape ${fmt(b?.shape ?? [])}: a Gemm's B is a matrix`);
  const out = transB ? b.shape[0] : b.shape[1];
  const w = alpha === 1 ? b : scaled(ctx, b, alpha, null, 'alpha');
  const c = ctx.weightOf(2, 'the bias C');
  let bias: GraphConstant | null = null;
  if (c) {
    const last = c.shape.at(-1) ?? 1;
    if (c.shape.slice(0, -1).some((d) => d !== 1) || (last !== out && last !== 1)) throw new Unsupported(`a bias C of shape ${fmt(c.shape)}: only one per output feature ([${out}] or [1, ${out}]) or one value broadcast to them; a C per row of A is not a linear layer's bias`);
    bias = beta === 1 && last === out ? c : scaled(ctx, c, beta, out, 'beta');
  }
  return {
    op: 'linear',
    inputs: [node.input[0]],
    attrs: { outFeatures: out, bias: bias !== null },
    weights: { weight: { constant: w.name, transpose: !transB }, ...(bias ? { bias: { constant: bias.name } } : {}) },
  };
};

export const GEMM_MAPPERS: Record<string, NodeMapper> = { Gemm: gemm };
