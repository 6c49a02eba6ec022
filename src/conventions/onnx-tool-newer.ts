/**
 * onnx-tool's rules for the operator families convlens added in issue 10 (see onnx-tool.ts for
 * the tool, the release and the per-instruction costs of node.py l. 19-37). The PyTorch models are
 * exported with torch.onnx at opset 17 (scripts/convention_truth.py), so a module the exporter
 * decomposes is counted as its nodes: GELU is Div, Erf, Add, Mul, Mul; GroupNorm is Reshape,
 * InstanceNormalization, Reshape, Mul, Add; Mish is Softplus, Tanh, Mul; hardtanh is Clip.
 * A node class without _profile_core (Where, ArgMax, TopK, Range, ScatterND/Elements, GridSample,
 * NonMaxSuppression, RoiAlign, Erf, Expand/Concat of a class token) counts 0 (Node._profile_core
 * l. 231-233), and so does an op onnx-tool has no class for (Selu, Celu, Softsign,
 * DynamicQuantizeLinear, com.microsoft QLinearAdd/QLinearMul): its registry falls back to Node.
 */
import { attentionDims, inElements, intMacs, normFirstDim, outElements } from './families.js';
import type { EinsumPlan } from '../ops/einsum.js';
import { exp, log, sqrt, reciprocal, pow } from '../ops/math.js';
import { dynamicQuantizeLinear } from '../ops/quant.js';
import { qlinearConv } from '../ops/quant-linear.js';
import { reduceL2 } from '../ops/reduction.js';
import { where } from '../ops/logic.js';
import { shiftedWindowAttention } from '../ops/window-attention.js';
import type { WindowPlan } from '../ops/window-attention.js';
import type { OpDef } from '../ops/types.js';
import { numel } from '../ops/types.js';
import type { Family, LayerFacts, Rule } from './types.js';
import { ADD, CMP, DIV, EXP, LOG, MUL, NODE, POW, SQRT } from './onnx-tool-costs.js';

/** TANH_MACS = EXP + 2·ADD + DIV, and TanhNode sets ratio 2 (l. 540-548). */
const TANH = 2 * (EXP + 2 * ADD + DIV);
const SOFTPLUS = EXP + ADD + LOG;

const perElement = (rate: number, why: string, source: string): Rule => ({ count: (f) => rate * outElements(f), why, source });

/** Per-element cost of the unary math nodes, by op (PWNode / NpMathBase with one input: ratio 1). */
const UNARY = new Map<OpDef, number>([
  [sqrt, SQRT],
  [exp, EXP],
  [log, LOG],
  [reciprocal, DIV],
]);

/** LayerNormalization: vol·(3·MUL + 4·ADD) + vol/x[axis]·(ADD + SQRT + DIV), axis the first normalised dim (l. 2525-2531). */
function layerNormalization(f: LayerFacts): number {
  const x = f.inputs[0];
  const vol = numel(x);
  return vol * (3 * MUL + 4 * ADD) + (vol / x[normFirstDim(f)]) * (ADD + SQRT + DIV);
}

/**
 * InstanceNormalization: (ADD + MUL + ADD + DIV) per output element. PWNode's ratio (inputs − 1)
 * counts the node's dynamic inputs only (scale and B are initializers): 1, so 7 per element, as
 * onnx-tool prints for nn.InstanceNorm2d and nn.GroupNorm (test/fixtures/conventions/ops.json).
 */
const INSTANCE_NORM = ADD + MUL + ADD + DIV;

/**
 * torchvision's shifted_window_attention (v1) as torch.onnx exports it (opset 17; onnx-tool on
 * swin_t printed 4,657,784,877, test/fixtures/conventions/cases.json): the qkv and proj MatMuls
 * with their bias Adds, `q * (C // heads) ** -0.5` (Mul: 1 per element of q, padded tokens·C),
 * q·kᵀ, `attn + relative_position_bias` (Add: 1 per score), then, where a shift is left, the mask
 * of the padded map, per image whatever the batch: `attn_mask.unsqueeze(1) − attn_mask.unsqueeze(2)`
 * (Sub), `masked_fill(attn_mask != 0, …)` (Equal, Not), `masked_fill(attn_mask == 0, …)` (Equal),
 * each over windows·T² (the masked_fills are Where: 0), and `attn + attn_mask` (Add: 1 per score);
 * Softmax (36 per score) and attn·v. The rolls and the pad are Slice, Concat and Pad (0).
 */
function swinAttention(f: LayerFacts, scores: number): number {
  const p = f.plan as WindowPlan;
  const mask = p.masked ? (p.s / p.n) * p.t * p.t * (ADD + 3 * CMP) + scores * ADD : 0;
  return f.cost.macs + f.cost.biasOps + p.s * p.t * p.c * MUL + scores * ADD + mask + scores * (EXP + DIV);
}

/**
 * An opset-23/24 op onnx-tool has no node class for (ONNX RMSNormalization, RotaryEmbedding, Attention):
 * create_node (node.py l. 3375-3382) warns and falls back to the base Node, whose shape_infer calls
 * value_infer, which raises NotImplementedError (l. 209-213); Graph.shape_infer turns it into
 * "Error occurred while inferring shape for node …" (graph.py l. 1045-1051), before graph.profile.
 * So the tool prints no figure for such a graph: listed as unsupported, counted 0.
 */
const noNodeClass = (opType: string, own: string): Rule => ({
  count: () => 0,
  unsupported: true,
  why: `not supported: onnx-tool has no node class for ONNX ${opType} (${own}): create_node falls back to the base Node, whose shape inference raises NotImplementedError, so Graph.shape_infer fails and the tool prints no figure for the graph; listed as unsupported, counted 0`,
  source: `${NODE} create_node l. 3375-3382 (NODE_REGISTRY.get('${opType}Node'): None), Node.shape_infer/value_infer l. 209-213; onnx_tool/graph.py shape_infer l. 1045-1051`,
});

export const NEWER_RULES: Readonly<Partial<Record<Family, Rule>>> = {
  layerNorm: { count: layerNormalization, why: 'LayerNormalization: 7 per element (3 multiplies, 4 adds) + 29 per normalised row (add, sqrt 24, divide 4)', source: `${NODE} LayerNormalizationNode._profile_core l. 2525-2531` },
  localResponseNorm: {
    count: (f) => (DIV + EXP + ADD + Number(f.attrs.size) * MUL) * outElements(f),
    why: "an ONNX LRN node (a Caffe-converted AlexNet or GoogLeNet): divide 4 + exp 32 + add + size multiplies per element. torch.onnx.export writes LocalResponseNorm as Mul, Pad, AveragePool, Mul, Add, Pow and Div instead, which onnx-tool counts node by node (not modelled here)",
    source: `${NODE} LRNNode l. 749-759`,
  },
  instanceNorm: perElement(INSTANCE_NORM, 'InstanceNormalization: 7 per element (add, multiply, add, divide 4)', `${NODE} InstanceNormalizationNode l. 451-456, PWNode._profile_core l. 261-264`),
  groupNorm: {
    count: (f) => (INSTANCE_NORM + (f.weights.some((w) => w.name === 'weight') ? MUL + ADD : 0)) * outElements(f),
    why: 'GroupNorm exports as InstanceNormalization over the groups (7 per element) + Mul γ and Add β with affine (1 each)',
    source: `${NODE} InstanceNormalizationNode l. 451-456, MulNode l. 363-367, AddNode l. 296`,
  },
  gelu: {
    count: (f) => (f.attrs.approximate === 'tanh' ? POW + MUL + ADD + MUL + TANH + ADD + MUL + MUL : DIV + ADD + 2 * MUL) * outElements(f),
    why: "GELU as torch.onnx exports it: Div (4), Erf (0), Add, Mul, Mul = 7 per element; the tanh form Pow (32), Mul, Add, Mul, Tanh (76), Add, Mul, Mul = 114",
    source: `${NODE} DivNode l. 335-339, ErfNode(FusedBase) l. 1613, AddNode l. 296, MulNode l. 363-367, PowNode l. 476-494, TanhNode l. 540-548`,
  },
  tanh: perElement(TANH, 'Tanh: TANH_MACS 38 (exp, 2 adds, divide) × ratio 2 = 76 per element', `${NODE} TanhNode l. 540-548`),
  elu: perElement(CMP + EXP + ADD + MUL, 'Elu: compare, exp 32, add, multiply = 35 per element', `${NODE} EluNode l. 618-623`),
  softplus: perElement(SOFTPLUS, 'Softplus: exp 32, add, log 43 = 76 per element', `${NODE} SoftplusNode l. 416-423`),
  mish: perElement(SOFTPLUS + TANH + MUL, 'Mish exports as Softplus (76), Tanh (76), Mul (1): 153 per element', `${NODE} SoftplusNode l. 416-423, TanhNode l. 540-548, MulNode l. 363-367`),
  hardTanh: perElement(2 * CMP, 'hardtanh exports as Clip: 2 compares per element', `${NODE} ClipNode l. 984-988`),
  prelu: perElement(CMP + MUL, 'PRelu: compare + multiply per element', `${NODE} PReluNode l. 695-700`),
  logSoftmax: perElement(EXP + DIV + ADD + LOG, 'LogSoftmax: exp 32, divide 4, add, log 43 = 80 per element', `${NODE} LogSoftmaxNode l. 552-557`),
  layerScale: perElement(MUL, "layer scale exports as Mul: 1 per element", `${NODE} MulNode l. 363-367`),
  positionEmbedding: perElement(ADD, 'the position embedding exports as Add: 1 per element', `${NODE} AddNode l. 296, NpMathBase._profile_core l. 282-285`),
  mathUnary: {
    count: (f) => (UNARY.get(f.op) ?? CMP) * outElements(f),
    why: 'Sqrt 24, Exp 32, Log 43, Reciprocal 4, Neg/Abs/Floor/Ceil 1 per element',
    source: `${NODE} SqrtNode l. 465-470, ExpNode l. 392-397, LogNode l. 431-436, ReciprocalNode l. 1004-1007, NegNode l. 325-328, AbsNode l. 374-377, FloorNode l. 2293-2299, CeilNode l. 385`,
  },
  mathBinary: {
    count: (f) => (f.op === pow ? POW : 1) * Math.max(1, f.inputs.length - 1) * outElements(f),
    why: 'Pow 32 per output element; Mod, Min, Max 1 per output per extra operand',
    source: `${NODE} PowNode._profile_core l. 491-494, ModNode l. 352-355, MinNode l. 303-306, MaxNode l. 316, NpMathBase l. 282-285`,
  },
  logic: {
    count: (f) => (f.op === where ? 0 : CMP * outElements(f)),
    why: 'Equal, Less, Greater (…OrEqual), And, Or, Xor, Not: 1 compare per output element; Where: 0',
    source: `${NODE} LessNode._profile_core l. 774-775, EqualNode l. 2288-2289, GreaterNode l. 2491-2493, WhereNode l. 821`,
  },
  reduce: {
    count: (f) => inElements(f) * (f.op === reduceL2 ? ADD + SQRT : 1),
    why: 'ReduceSum, ReduceProd, ReduceMax, ReduceMin: 1 per input element; ReduceL2: 25 (add + sqrt)',
    source: `${NODE} ReduceMeanNode l. 1943-1945 (ReduceSum), ReduceProdNode l. 1958-1961, ReduceMinNode l. 1986-1989 (ReduceMax), ReduceL2Node l. 2246-2248`,
  },
  cumSum: perElement(ADD, 'CumSum: 1 add per element', `${NODE} CumSumNode l. 2252-2256`),
  nonZero: { count: (f) => CMP * outElements(f), why: 'NonZero: 1 per output element (convlens sizes the output at its upper bound, every element nonzero)', source: `${NODE} NonZeroNode._profile_core l. 2278-2279` },
  einsum: {
    count: (f) => (f.inputs.length === 2 ? numel((f.plan as EinsumPlan).sizes) : 0),
    why: 'Einsum of two operands: the product of every label size of both inputs (a contraction\'s MACs); other operand counts are not profiled',
    source: `${NODE} EinsumNode._profile_core l. 1249-1260`,
  },
  quantize: {
    count: (f) => (f.op === dynamicQuantizeLinear ? 0 : (MUL + ADD) * outElements(f)),
    why: 'QuantizeLinear and DequantizeLinear: multiply + add per element; DynamicQuantizeLinear: no rule, 0',
    source: `${NODE} QuantizeLinearNode l. 2535-2539, DequantizeLinearNode l. 2502-2506`,
  },
  quantConv: {
    count: (f) => intMacs(f) + (f.op === qlinearConv && f.weights.some((w) => w.name === 'bias') ? ADD * outElements(f) : 0),
    why: 'QLinearConv: output elements × (Cin/g)·kh·kw + 1 per output with a bias; ConvInteger: the same without bias',
    source: `${NODE} QLinearConvNode._profile_core l. 2614-2630, ConvIntegerNode._profile_core l. 2658-2672`,
  },
  quantMatmul: {
    count: intMacs,
    why: 'QLinearMatMul: prod(A)·B[-1]; MatMulInteger (GemmNode): output elements × K',
    source: `${NODE} QLinearMatMulNode._profile_core l. 2578-2586, GemmNode._profile_core l. 915-932 (MatMulInteger l. 2547)`,
  },
  multiscaleAttention: {
    count: () => 0,
    unsupported: true,
    why: "not supported: onnx-tool profiles the torch.onnx export, and its shape inference cannot read MViT's: each Pool splits the class token off with torch.tensor_split, which torch 1.13 exports as SequenceEmpty + Loop + SequenceInsert + SequenceAt, and onnx-tool has no node class for SequenceEmpty (the base Node's value_infer raises: 'Error occurred while inferring shape for node /blocks.0/attn/pool_k/SequenceEmpty'), so the tool printed no figure for mvit_v1_b or mvit_v2_s to transcribe; listed as unsupported, counted 0",
    source: `${NODE} Node.value_infer l. 212-213 (no SequenceEmpty class); onnx_tool/graph.py shape_infer l. 1045-1051; torchvision 0.14.1 mvit.py l. 86 (torch.tensor_split); scripts/convention_truth.py ONNX_TOOL_FAILS`,
  },
  rmsNorm: noNodeClass('RMSNormalization', 'its norm classes are BatchNormalization, InstanceNormalization, LpNormalization and LayerNormalization'),
  rotaryEmbedding: noNodeClass('RotaryEmbedding', "its own fused op type 'Rope' (RopeNode, l. 666) is not ONNX's RotaryEmbedding"),
  sdpa: noNodeClass('Attention', "its own fused op types 'SDPA', 'GQA', 'MQA' (SDPANode, l. 2868-2915) are not ONNX's Attention"),
  windowAttentionV2: {
    count: () => 0,
    unsupported: true,
    why: "not supported: onnx-tool profiles the torch.onnx export, and torch 1.13 cannot export Swin V2's window attention (its forward zeroes a clone of the qkv bias's k third, aten::zero, which has no ONNX symbolic at any opset), so the tool printed no figure for swin_v2_t to transcribe; listed as unsupported, counted 0",
    source: 'torchvision 0.14 swin_transformer.py l. 176 (qkv_bias[length : 2 * length].zero_()); torch 1.13 torch/onnx: UnsupportedOperatorError for aten::zero (scripts/convention_truth.py ONNX_REFUSED)',
  },
  attention: {
    count: (f) => {
      const a = attentionDims(f);
      const scores = a.s * a.h * a.t * a.t;
      if (f.op === shiftedWindowAttention) return swinAttention(f, scores);
      return f.cost.macs + (a.bias ? a.tokens * 4 * a.c : 0) + a.tokens * a.c * DIV + scores * (EXP + DIV);
    },
    why: "attention as exported: MatMul/Gemm projections + their bias Adds (tokens·4C), Div of q by √d (4 per element), MatMul q·kᵀ and attn·v, Softmax (36 per score). Swin's shifted_window_attention: q scaled by a Mul (1 per element), the relative-position bias an Add (1 per score), and with a shift the mask built per image (Sub, Equal twice and Not over windows·T²) and added (1 per score); the rolls, pads and table Gather count 0",
    source: `${NODE} GemmNode._profile_core l. 915-932, MatMulNode, AddNode l. 296, SubNode l. 289, MulNode l. 363-367, DivNode l. 335-339, EqualNode l. 2283-2289, NotNode(LessNode) l. 774-775, 793, SoftmaxNode l. 404-408; torchvision 0.14 swin_transformer.py shifted_window_attention`,
  },
};
