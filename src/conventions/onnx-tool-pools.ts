/**
 * onnx-tool on a pool of one unbatched sample, [C, …spatial] (PyTorch's pooling modules take one:
 * src/ops/unbatched.ts). onnx-tool profiles what torch.onnx.export (torch 1.13, opsets 13 and
 * 17) writes, and ONNX's pools read axes 0 and 1 as N and C, so the export is not the batch of one:
 *
 *   window pools   nn.MaxPool1d/2d/3d and nn.AvgPool1d/2d/3d export as MaxPool, or Pad + AveragePool,
 *                  with kernel_shape over every spatial axis on an X one axis short. PoolBase.shape_infer
 *                  (onnx_tool/node.py l. 1399-1444) reads inshape[2 + k] for each kernel axis k, one past
 *                  the end, and Graph.shape_infer stops at it ("Error occurred while inferring shape for
 *                  node /MaxPool: list index out of range", onnx_tool/graph.py l. 1045-1051): no figure.
 *   adaptive       AdaptiveAvgPool*d to 1 on every axis exports as GlobalAveragePool, which onnx-tool reads
 *                  as [N, C, …] = [x0, x1, …]: one add per input + a 4-cost divide per x0·x1 output
 *                  (GlobalAveragePoolNode l. 1503-1530): [2, 4, 4] → 32 + 4·8 = 64. Any other adaptive
 *                  pool goes through _adaptive_pool (torch/onnx/symbolic_opset9.py l. 1743-1793), which
 *                  takes dim = sizes[2:] (the spatial axes but the first) against the first len(dim) output
 *                  sizes: where each divides, an AveragePool or MaxPool of kernel = stride = dim/out over
 *                  ONNX's spatial axes, which onnx-tool counts as its output × kernel (l. 1446-1451) = each
 *                  input element once ([3, 8, 8] to 2×2: output [3, 8, 2] × 4 = 192); where one does not
 *                  ("output size that are not factor of input size"), and over 1 axis (dim is empty:
 *                  kernel_shape [] fails the ONNX checker, max_pool1d_with_indices refuses it), the export
 *                  fails: no figure.
 *
 * Batched, an adaptive pool exports the same way over every spatial axis, and not at all where an
 * output size (not all 1 for the average) does not divide its axis: [1, 2, 5, 5] to 3 has no figure.
 *
 * Measured: onnx-tool 00f5f0a's own source on those exports (each case of
 * test/conventions/unbatched-pools.test.ts). A layer without a figure is listed as unsupported
 * (Rule.unsupported), as MViT's attention is.
 */
import { inElements, poolAxes } from './families.js';
import { ADD, CMP, DIV, NODE } from './onnx-tool-costs.js';
import type { LayerFacts, Rule } from './types.js';

type PoolKind = 'window' | 'adaptiveAvg' | 'adaptiveMax';

/**
 * The kernel PoolBase._profile_core (l. 1446-1451) multiplies a pool's output elements by:
 * kernel_shape[0], times kernel_shape[1] only where the kernel has exactly 2 axes. So a 3-D MaxPool or
 * AveragePool counts output × k_d (MaxPool3d(2) on [1, 3, 4, 6, 6]: 54 × 2 = 108, where ΠK says 432).
 */
export const profiledKernel = (kernel: readonly number[]): number => (kernel.length === 2 ? kernel[0] * kernel[1] : kernel[0]);

/**
 * How torch.onnx exports an adaptive pool (_adaptive_pool): GlobalAveragePool, a pool of kernel
 * sizes[2:]/out where each divides, or nothing. Batched, sizes[2:] are the spatial axes, so an
 * output size that does not divide its axis fails the export too ([1, 2, 5, 5] to 3: "output size
 * that are not factor of input size"); unbatched they are the spatial axes but the first.
 */
function adaptiveExport(f: LayerFacts, kind: PoolKind): 'global' | 'pool' | null {
  const y = f.outputs[0];
  const out = y.slice(y.length - poolAxes(f).pooled.length);
  if (kind === 'adaptiveAvg' && out.every((o) => o === 1)) return 'global';
  const dim = f.inputs[0].slice(2);
  return dim.length > 0 && dim.every((d, i) => d % out[i] === 0) ? 'pool' : null;
}
/** Whether torch.onnx writes a node onnx-tool can profile: a window pool unless unbatched, an adaptive one where it exports. */
const profiled = (f: LayerFacts, kind: PoolKind): boolean => (kind === 'window' ? !poolAxes(f).unbatched : adaptiveExport(f, kind) !== null);

function unbatchedCount(f: LayerFacts, kind: PoolKind): number {
  const x = f.inputs[0];
  const exported = kind === 'window' ? null : adaptiveExport(f, kind);
  if (exported === 'global') return inElements(f) * ADD + x[0] * x[1] * DIV;
  return exported === 'pool' ? inElements(f) * CMP : 0;
}

type Note = { why: string; source: string };

/** What the export adds to a pool's rule: of a batch (an adaptive pool's export can fail), and of one unbatched sample (Rule.unbatched). */
const EXPORT = 'torch 1.13 torch/onnx/symbolic_opset9.py _adaptive_pool l. 1743-1793';
const NOTES: Record<PoolKind, { batched?: Note; unbatched: Note }> = {
  window: {
    unbatched: {
      why: 'of an unbatched [C, …spatial] sample no figure: the export pools an X one axis short, and PoolBase.shape_infer reads past its shape (list index out of range)',
      source: `${NODE} PoolBase.shape_infer l. 1399-1444; onnx_tool/graph.py shape_infer l. 1045-1051`,
    },
  },
  adaptiveAvg: {
    batched: { why: 'an output size (not 1) that does not divide its axis fails the export: no figure', source: EXPORT },
    unbatched: {
      why: 'of an unbatched [C, …spatial] sample: to 1 a GlobalAveragePool over [x0, x1, …] (input + 4·x0·x1); else, where sizes[2:] divide by the first output sizes, an AveragePool that reads each input once (input elements); else, and over 1 axis, the export fails: no figure',
      source: `${NODE} GlobalAveragePoolNode l. 1503-1530, PoolBase l. 1446-1451`,
    },
  },
  adaptiveMax: {
    batched: { why: 'an output size that does not divide its axis fails the export: no figure', source: EXPORT },
    unbatched: {
      why: 'of an unbatched [C, …spatial] sample: where sizes[2:] divide by the first output sizes, a MaxPool that reads each input once (input elements); else, and over 1 axis, the export fails: no figure',
      source: `${NODE} PoolBase l. 1446-1451`,
    },
  },
};

/** A batched pool's onnx-tool rule, as torch.onnx exports the layer: an unbatched sample's export, and no figure where there is none. */
export function asExported(rule: Rule, kind: PoolKind): Rule {
  const { batched, unbatched } = NOTES[kind];
  return {
    ...rule,
    count: (f, ctx) => (poolAxes(f).unbatched ? unbatchedCount(f, kind) : rule.count(f, ctx)),
    unsupported: (f) => !profiled(f, kind),
    ...(batched && { why: `${rule.why}; ${batched.why}`, source: `${rule.source}; ${batched.source}` }),
    unbatched,
  };
}
