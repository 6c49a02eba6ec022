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
 *          features (β·C is a mul by a [N] of β): the linear layer's bias. A C per row ([M, N],
 *          [M, 1] with M > 1) is not a linear layer's bias: the linear layer without one, then an
 *          add of the constant β·C (layer `<node>:addC`, NumPy broadcasting). Optional (opset ≥ 11).
 *   transA 1 reads A [K, M] as Aᵀ: a transpose of A (layer `<node>:transposeA`, perm [1, 0]), then
 *          the linear layer over its last dim.
 *
 * Parameters are the stored B and C (GraphConstant.folded: what α·B and β·C are computed from);
 * a C of one value counts none, as a scalar read by an Add is a literal, not a weight.
 */
import type { GraphConstant } from '../graph.js';
import { notFoldable } from '../fold-constants.js';
import type { MapContext, Mapped, NodeMapper } from './mapping.js';
import { Unsupported } from './mapping.js';

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** c·k by the mul kernel, with k a scalar or, given `n`, a [n] of k (which broadcasts C to the features); `what`: the attribute k is (alpha, beta), where a refusal points. */
function scaled(ctx: MapContext, c: GraphConstant, k: number, n: number | null, what: 'alpha' | 'beta'): GraphConstant {
  if (!ctx.folder) throw new Unsupported(`${what} ≠ 1 where constants are not folded`, what);
  const shape = n === null ? [] : [n];
  const factor: GraphConstant = { name: `${c.name}:${what}`, shape, dataType: 'float32', value: { data: new Array<number>(n ?? 1).fill(k), integer: false }, raw: null, typed: null, initializer: false };
  const out = ctx.folder.apply('mul', {}, [c, factor], `${c.name}:${what}`);
  if (notFoldable(out)) throw new Unsupported(`${what}·${c.name} does not fold: ${out.reason}`, what);
  return out;
}

const gemm: NodeMapper = (ctx): Mapped => {
  const { a, node } = ctx;
  const transA = a.int('transA', 0) === 1;
  const alpha = a.float('alpha', 1);
  const beta = a.float('beta', 1);
  const transB = a.int('transB', 0) === 1;
  const b = ctx.weightOf(1, 'B (the weight)');
  if (!b || b.shape.length !== 2) throw new Unsupported(`B of shape ${fmt(b?.shape ?? [])}: a Gemm's B is a matrix`, 1);
  const out = transB ? b.shape[0] : b.shape[1];
  const w = alpha === 1 ? b : scaled(ctx, b, alpha, null, 'alpha');
  const c = ctx.weightOf(2, 'the bias C');
  let bias: GraphConstant | null = null;
  let rowC: GraphConstant | null = null;
  if (c) {
    const last = c.shape.at(-1) ?? 1;
    if (c.shape.length > 2 || (last !== out && last !== 1)) throw new Unsupported(`a bias C of shape ${fmt(c.shape)}: ONNX's C broadcasts to [M, ${out}] (unidirectionally)`, 2);
    if (c.shape.slice(0, -1).some((d) => d !== 1)) rowC = beta === 1 ? c : scaled(ctx, c, beta, null, 'beta');
    else bias = beta === 1 && last === out ? c : scaled(ctx, c, beta, out, 'beta');
  }
  const y = node.output[0];
  const x = transA ? `${y}:Aᵀ` : node.input[0];
  return {
    op: 'linear',
    inputs: [x],
    attrs: { outFeatures: out, bias: bias !== null },
    from: { outFeatures: 1 },
    weights: { weight: { constant: w.name, transpose: !transB }, ...(bias ? { bias: { constant: bias.name } } : {}) },
    ...(transA ? { before: [{ suffix: 'transposeA', op: 'transpose', inputs: [node.input[0]], attrs: { perm: [1, 0] }, output: x }] } : {}),
    ...(rowC ? { outputs: [`${y}:A'B`], after: [{ suffix: 'addC', op: 'add', inputs: [`${y}:A'B`, rowC.name], attrs: {}, output: y }] } : {}),
  };
};

export const GEMM_MAPPERS: Record<string, NodeMapper> = { Gemm: gemm };
