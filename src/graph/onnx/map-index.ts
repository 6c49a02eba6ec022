/**
 * ONNX constants, index arithmetic and reductions → convlens ops (src/ops/sequence.ts,
 * reduction.ts): attribute names and defaults per the ONNX operator specs (opsets 7–27). Axes
 * moved from attributes to inputs (ReduceSum at opset 13, the other reductions at 18): either
 * form maps, the input form folded by the analyzer. GlobalMaxPool is reduceMax over axes 2 on.
 * Range: start + i·delta, computed in float64 (Range-27 adds float16 and bfloat16, accumulated in
 * the type stash_type names, FLOAT by default: read where it is FLOAT or DOUBLE; FLOAT16 or
 * BFLOAT16, an accumulation that loses the later values' precision, is Unsupported at stash_type).
 */
import { dtypeOfOnnx } from '../../tensor/dtype.js';
import { toConstant } from './constants.js';
import { Unsupported } from './mapping.js';
import type { MapContext, NodeMapper } from './mapping.js';

const opt = <T>(key: string, v: T | undefined) => (v === undefined ? {} : { [key]: v });

/** ReduceMean, ReduceSum …: keepdims (default 1), noop_with_empty_axes (default 0), axes as an attribute or input 1. */
const reduce =
  (op: string): NodeMapper =>
  ({ a, same }) =>
    same(op, { keepDims: a.int('keepdims', 1) !== 0, noopWithEmptyAxes: a.int('noop_with_empty_axes', 0) === 1, ...opt('axes', a.ints('axes')) }, { keepDims: 'keepdims', noopWithEmptyAxes: 'noop_with_empty_axes', axes: ['axes', 1] });

/** ArgMax, ArgMin: axis (default 0), keepdims (default 1), select_last_index (default 0). */
const arg =
  (op: string): NodeMapper =>
  ({ a, same }) =>
    same(op, { dim: a.int('axis', 0), keepDim: a.int('keepdims', 1) !== 0, selectLastIndex: a.int('select_last_index', 0) === 1 }, { dim: 'axis', keepDim: 'keepdims', selectLastIndex: 'select_last_index' });

/** ConstantOfShape's `value`: a one-element tensor (default float32 0). */
function constantOfShape({ a, same, node }: MapContext) {
  const t = a.tensor('value');
  if (!t) return same('constantOfShape', { value: 0, dtype: 'float32' });
  const dtype = dtypeOfOnnx(t.dataType);
  const c = toConstant(t, `${node.output[0]}:value`, false, { left: 1 });
  if (!c.value || c.value.data.length !== 1) throw new Unsupported(`a value tensor of ${c.shape.length ? c.shape.join('×') : 'no'} elements (must be one ${dtype})`, 'value');
  if (dtype === 'other') throw new Unsupported(`a value of ONNX data type ${t.dataType}`, 'value');
  return same('constantOfShape', { value: c.value.data[0], dtype });
}

/** GridSample's mode names (opset 16's, then opset 20's) → gridSample's. */
const GRID_SAMPLE_MODES = new Map([
  ['bilinear', 'bilinear'],
  ['linear', 'bilinear'],
  ['nearest', 'nearest'],
  ['bicubic', 'bicubic'],
  ['cubic', 'bicubic'],
]);

export const INDEX_MAPPERS: Record<string, NodeMapper> = {
  ConstantOfShape: constantOfShape,
  Range: (ctx) => {
    const stash = ctx.a.int('stash_type', 1);
    const half = ['float16', 'bfloat16'].includes(ctx.typeOf(0) ?? '');
    if (ctx.opset >= 27 && half && stash !== 1 && stash !== 11) throw new Unsupported(`stash_type ${dtypeOfOnnx(stash)} (ONNX ${stash}): convlens computes a ${ctx.typeOf(0)} Range as start + i·delta in float64, not accumulated in that type`, 'stash_type');
    return ctx.same('range');
  },
  Tile: (ctx) => ctx.same('tile'),
  CumSum: ({ a, same }) => same('cumSum', { exclusive: a.int('exclusive', 0) === 1, reverse: a.int('reverse', 0) === 1 }, { exclusive: 'exclusive', reverse: 'reverse' }),
  Trilu: ({ a, node, scalarOf }) => {
    const k = node.input[1] ? scalarOf(1) : undefined;
    return { op: 'trilu', inputs: [node.input[0]], attrs: { upper: a.int('upper', 1) === 1, ...opt('diagonal', k) }, from: { upper: 'upper', diagonal: 1 } };
  },
  ReduceMean: reduce('reduceMean'),
  ReduceSum: reduce('reduceSum'),
  ReduceMax: reduce('reduceMax'),
  ReduceMin: reduce('reduceMin'),
  ReduceL2: reduce('reduceL2'),
  ReduceProd: reduce('reduceProd'),
  // the maximum over every spatial axis, kept as size 1: (N, C, …) → (N, C, 1, …) (nn.AdaptiveMaxPool2d(1)'s export)
  GlobalMaxPool: ({ same }) => same('reduceMax', { axesFrom: 2, keepDims: true }),
  NonZero: ({ same }) => same('nonZero'),
  GatherND: ({ a, same }) => same('gatherND', { batchDims: a.int('batch_dims', 0) }, { batchDims: 'batch_dims' }),
  ArgMax: arg('argMax'),
  ArgMin: arg('argMin'),
  GatherElements: ({ a, same }) => same('gatherElements', { dim: a.int('axis', 0) }, { dim: 'axis' }),
  ScatterND: ({ a, same }) => same('scatterND', { reduction: a.string('reduction', 'none') }, { reduction: 'reduction' }),
  ScatterElements: ({ a, same }) => same('scatterElements', { dim: a.int('axis', 0), reduction: a.string('reduction', 'none') }, { dim: 'axis', reduction: 'reduction' }),
  // opsets 9–10's name for ScatterElements
  Scatter: ({ a, same }) => same('scatterElements', { dim: a.int('axis', 0) }, { dim: 'axis' }),
  Einsum: ({ a, same }) => {
    const equation = a.string('equation');
    if (!equation) throw new Unsupported('no equation', 'equation');
    return same('einsum', { equation }, { equation: 'equation' });
  },
  // k: an attribute before opset 10, input 1 since (a constant, or folded shape arithmetic)
  TopK: ({ a, same, opset }) =>
    same('topK', { dim: a.int('axis', -1), largest: a.int('largest', 1) === 1, sorted: a.int('sorted', 1) === 1, ...(opset < 10 ? { k: a.int('k') } : {}) }, { dim: 'axis', largest: 'largest', sorted: 'sorted', k: opset < 10 ? 'k' : 1 }),
  DepthToSpace: ({ a, same }) => same('depthToSpace', { blockSize: a.int('blocksize'), mode: a.string('mode', 'DCR') }, { blockSize: 'blocksize', mode: 'mode' }),
  SpaceToDepth: ({ a, same }) => same('spaceToDepth', { blockSize: a.int('blocksize') }, { blockSize: 'blocksize' }),
  GridSample: ({ a, same }) => {
    // opset 16 names bilinear/nearest/bicubic; opset 20 linear/nearest/cubic (either name read at any
    // opset). Cubic is torch's bicubic: each of the 4×4 taps padded on its own, as ONNX Runtime's CPU
    // kernel; a 5-D input is refused for it, as ONNX Runtime and torch refuse it
    const mode = a.string('mode', 'bilinear');
    const ours = GRID_SAMPLE_MODES.get(mode);
    if (!ours) throw new Unsupported(`mode ${mode} (bilinear/linear, nearest and bicubic/cubic are supported)`, 'mode');
    return same(
      'gridSample',
      { mode: ours, paddingMode: a.string('padding_mode', 'zeros'), alignCorners: a.int('align_corners', 0) === 1 },
      { mode: 'mode', paddingMode: 'padding_mode', alignCorners: 'align_corners' },
    );
  },
};
