/**
 * ONNX quantization operators → convlens ops (ops/quant.ts, ops/quant-linear.ts), attributes per
 * the ONNX operator specs (opsets 10–27) and com.microsoft's contrib ops (QLinearAdd, QLinearMul,
 * QLinearGlobalAveragePool, QLinearConcat).
 * The quantized element type comes from the zero point's type (uint8 when it is absent, as the
 * spec says), or output_dtype (opset 21). QuantizeLinear-23's precision (the type x / y_scale is
 * divided in) is read where it is FLOAT, what convlens divides in (float32, as onnxruntime); another
 * (FLOAT16, BFLOAT16, DOUBLE) rounds the quotient otherwise and is Unsupported at the attribute.
 * DequantizeLinear-23's output_dtype types its output (node-types.ts). Integer weights (QLinearConv's w and B, a constant B of
 * QLinearMatMul or MatMulInteger) bind to the op as weights, so they count as parameters; scales
 * and zero points stay inputs (constants: per tensor or per channel).
 */
import { dtypeOfOnnx, onnxTypeName } from '../../tensor/dtype.js';
import type { GraphConstant } from '../graph.js';
import { autoPad, convRankReason } from './map-conv-nd.js';
import { Unsupported } from './mapping.js';
import { DEQUANTIZED_TYPES } from './qdq.js';
import type { MapContext, Mapped, NodeMapper } from './mapping.js';

const QUANTIZED = new Set(['uint8', 'int8', 'uint16', 'int16']);

/**
 * Where the quantized type is read (quantDtype), which is also what Mapped.from names: a constant
 * zero point (input `zpIndex`); else output_dtype (opset 21) when given; else a zero point that is
 * not a constant, by the type the graph declares for it (a graph input's, a value_info's); else
 * none of them, uint8 (the spec's default).
 */
function dtypeSource(ctx: MapContext, zpIndex: number): { type: string; from: number | 'output_dtype' } {
  const zp = ctx.constOf(zpIndex);
  if (zp) return { type: zp.dataType, from: zpIndex };
  const out = ctx.a.int('output_dtype', 0);
  if (out) return { type: dtypeOfOnnx(out), from: 'output_dtype' };
  // ONNX: the output takes the zero point's type (T2); an int8 graph input read as uint8 shifted every value by 128
  const declared = ctx.node.input[zpIndex] ? ctx.typeOf(zpIndex) : undefined;
  if (declared) return { type: declared, from: zpIndex };
  return { type: 'uint8', from: 'output_dtype' };
}

const DTYPE_FROM = (ctx: MapContext, zpIndex: number) => dtypeSource(ctx, zpIndex).from;

/** The quantized type (dtypeSource). */
function quantDtype(ctx: MapContext, zpIndex: number, allowInt32 = false): string {
  const d = dtypeSource(ctx, zpIndex).type;
  if (!QUANTIZED.has(d) && !(allowInt32 && d === 'int32')) throw new Unsupported(`quantized type ${d} (convlens reads uint8, int8, uint16, int16)`, DTYPE_FROM(ctx, zpIndex));
  return d;
}

function noBlocks(ctx: MapContext): void {
  if (ctx.a.int('block_size', 0) !== 0) throw new Unsupported('blocked quantization (block_size)', 'block_size');
}

const weight = (c: GraphConstant) => ({ constant: c.name });

/**
 * What a quantized conv's attributes are read from (Mapped.from): the window's attributes as a
 * Conv's, the kernel and output channels from W (input `w`: QLinearConv's 3, ConvInteger's 1),
 * since these ops read no kernel_shape.
 */
const convFrom = (w: number) => ({ outChannels: w, kernelSize: w, stride: 'strides', padding: ['pads', 'auto_pad'], dilation: 'dilations', groups: 'group' }) as const;

/** Conv attributes from ONNX's, the kernel from the constant weight [M, C/g, kh, kw]. */
function convAttrs(ctx: MapContext, w: GraphConstant, wIndex: number): Record<string, unknown> {
  if (w.shape.length !== 4) throw new Unsupported(convRankReason(w.shape, 'convolution', '2-D is'), wIndex);
  // refused at the attribute when none of ONNX's four, '' read as NOTSET (map-conv-nd.ts autoPad), as Conv
  const auto = autoPad(ctx);
  const pads = ctx.a.ints('pads');
  if (pads && pads.length !== 4) throw new Unsupported(`pads of length ${pads.length}: only 2-D windows are supported`, 'pads');
  const padding = auto === 'SAME_UPPER' ? 'sameUpper' : auto === 'SAME_LOWER' ? 'sameLower' : auto === 'VALID' ? 'valid' : (pads ?? 0);
  return {
    outChannels: w.shape[0],
    kernelSize: [w.shape[2], w.shape[3]],
    stride: ctx.a.ints('strides') ?? 1,
    padding,
    dilation: ctx.a.ints('dilations') ?? 1,
    groups: ctx.a.int('group', 1),
  };
}

function constantWeight(ctx: MapContext, i: number, what: string): GraphConstant {
  const w = ctx.constOf(i);
  if (!w) throw new Unsupported(`${what} is not a constant`, i);
  return w;
}

/** B of a matrix product: a constant [K, N] binds as the weight (input slot left empty), else an input. */
function matB(ctx: MapContext, bIndex: number): { inputs: string[]; attrs: Record<string, unknown>; weights?: Mapped['weights'] } {
  const ins = [...ctx.node.input];
  const b = ctx.constOf(bIndex);
  if (b && b.shape.length === 2 && !ctx.constOf(0)) {
    ins[bIndex] = '';
    return { inputs: ins, attrs: { weightShape: [b.shape[0], b.shape[1]] }, weights: { weight: weight(b) } };
  }
  return { inputs: ins, attrs: {} };
}

export const QUANT_MAPPERS: Record<string, NodeMapper> = {
  QuantizeLinear(ctx) {
    noBlocks(ctx);
    const precision = ctx.a.int('precision', 0);
    if (precision !== 0 && precision !== 1) throw new Unsupported(`precision ${dtypeOfOnnx(precision)} (ONNX ${precision}): convlens divides x by y_scale in float32`, 'precision');
    return ctx.same('quantizeLinear', { axis: ctx.a.int('axis', 1), dtype: quantDtype(ctx, 2) }, { axis: 'axis', dtype: DTYPE_FROM(ctx, 2) });
  },
  DequantizeLinear(ctx) {
    noBlocks(ctx);
    const out = ctx.a.int('output_dtype', 0);
    if (!DEQUANTIZED_TYPES.has(out)) throw new Unsupported(`output_dtype ${onnxTypeName(out) ?? out} (ONNX ${out}): a dequantized output is a float type (FLOAT, FLOAT16, BFLOAT16)`, 'output_dtype');
    const x = ctx.constOf(0);
    const stored = x && (QUANTIZED.has(x.dataType) || x.dataType === 'int32');
    if (stored) return ctx.same('dequantizeLinear', { axis: ctx.a.int('axis', 1), dtype: x.dataType }, { axis: 'axis', dtype: 0 });
    // DequantizeLinear's output_dtype (opset 23) is its float output's type, not the quantized one
    // QuantizeLinear's names: that is its zero point's (T1), else x's as the graph types it, else uint8
    const zp = ctx.node.input[2] ? (ctx.constOf(2)?.dataType ?? ctx.typeOf(2)) : undefined;
    const xType = ctx.typeOf(0);
    const fromX = zp === undefined && xType !== undefined && (QUANTIZED.has(xType) || xType === 'int32');
    const dtype = zp ?? (fromX ? xType : 'uint8');
    const from = fromX ? 0 : 2;
    if (!QUANTIZED.has(dtype) && dtype !== 'int32') throw new Unsupported(`quantized type ${dtype} (convlens reads uint8, int8, uint16, int16, int32)`, from);
    return ctx.same('dequantizeLinear', { axis: ctx.a.int('axis', 1), dtype }, { axis: 'axis', dtype: from });
  },
  QLinearConv(ctx) {
    const ins = ctx.node.input;
    const w = constantWeight(ctx, 3, 'the weight');
    const b = ctx.constOf(8);
    if (ins[8] && !b) throw new Unsupported('the bias is not a constant', 8);
    return {
      op: 'qlinearConv',
      inputs: [ins[0], ins[1], ins[2], ins[4], ins[5], ins[6], ins[7] ?? ''],
      attrs: { ...convAttrs(ctx, w, 3), bias: b !== null, dtype: quantDtype(ctx, 7) },
      weights: { weight: weight(w), ...(b ? { bias: weight(b) } : {}) },
      from: { ...convFrom(3), bias: 8, dtype: DTYPE_FROM(ctx, 7) },
    };
  },
  ConvInteger(ctx) {
    const ins = ctx.node.input;
    const w = constantWeight(ctx, 1, 'the weight');
    return { op: 'convInteger', inputs: [ins[0], ins[2] ?? '', ins[3] ?? ''], attrs: convAttrs(ctx, w, 1), weights: { weight: weight(w) }, from: convFrom(1) };
  },
  QLinearMatMul(ctx) {
    const m = matB(ctx, 3);
    return { op: 'qlinearMatMul', inputs: m.inputs, attrs: { ...m.attrs, dtype: quantDtype(ctx, 7) }, ...(m.weights ? { weights: m.weights } : {}), from: { weightShape: 3, dtype: DTYPE_FROM(ctx, 7) } };
  },
  MatMulInteger(ctx) {
    const m = matB(ctx, 1);
    return { op: 'matMulInteger', inputs: m.inputs, attrs: m.attrs, ...(m.weights ? { weights: m.weights } : {}), from: { weightShape: 1 } };
  },
  DynamicQuantizeLinear: (ctx) => ctx.same('dynamicQuantizeLinear'),
  // com.microsoft contrib ops (onnxruntime's quantizer writes them for Add and Mul)
  QLinearAdd: (ctx) => ctx.same('qlinearAdd', { dtype: quantDtype(ctx, 7) }, { dtype: DTYPE_FROM(ctx, 7) }),
  QLinearMul: (ctx) => ctx.same('qlinearMul', { dtype: quantDtype(ctx, 7) }, { dtype: DTYPE_FROM(ctx, 7) }),
  QLinearGlobalAveragePool(ctx) {
    if (ctx.a.int('channels_last', 0) !== 0) throw new Unsupported('channels_last 1 (NHWC)', 'channels_last');
    return ctx.same('qlinearGlobalAvgPool', { dtype: quantDtype(ctx, 4) }, { dtype: DTYPE_FROM(ctx, 4) });
  },
  QLinearConcat: (ctx) => ctx.same('qlinearConcat', { axis: ctx.a.int('axis', 0), dtype: quantDtype(ctx, 1) }, { axis: 'axis', dtype: DTYPE_FROM(ctx, 1) }),
};

/** Ops of the com.microsoft domain the importer maps (through the same table). */
export const MICROSOFT_OPS: ReadonlySet<string> = new Set(['QLinearAdd', 'QLinearMul', 'QLinearGlobalAveragePool', 'QLinearConcat']);
