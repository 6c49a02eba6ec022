/**
 * Counting conventions of other tools: the vocabulary a preset is written in, and the schemas of
 * what countWith and explain return (so REST, GraphQL, the JSON Schema and OpenAPI can publish them).
 *
 * A preset is a table of per-op-family rules. The family of a layer is decided once, by the
 * identity of its OpDef object (families.ts imports the op objects from src/ops and maps each to a
 * family): nothing here compares op names.
 */
import { z } from 'zod';
import type { AxisGeometry } from '../ops/geometry.js';
import type { LayerCost, OpDef, Shape } from '../ops/types.js';

/**
 * Op families the presets distinguish. `layout` gathers the ops that only move, select or fill
 * elements (flatten, reshape, transpose, squeeze, unsqueeze, expand, split, slice, pad, gather,
 * gatherElements, gatherND, tile, trilu, constantOfShape, depthToSpace, spaceToDepth,
 * pixelShuffle, pixelUnshuffle, shape, cast, identity, channelShuffle, and the control guards
 * ifSelect and loopContinue): every tool studied counts them 0. The others are one op each, or
 * ops every tool treats alike: `convNd` (conv1d, conv3d), `convTransposeNd` (convTranspose1d/3d), `resampleNd` (upsample1d/3d, and resize of a 3-D or 5-D tensor), `maxPoolNd`, `avgPoolNd`,
 * `adaptiveAvgPoolNd` (their 1-D and 3-D forms), `adaptiveMaxPool` (adaptiveMaxPool1d/2d/3d: every tool treats the three alike), `quantize` (quantize, dequantize, dynamic quantize), `quantConv`
 * (QLinearConv, ConvInteger), `quantMatmul` (QLinearMatMul, MatMulInteger), `quantArithmetic`
 * (com.microsoft QLinearAdd, QLinearMul, QLinearGlobalAveragePool, QLinearConcat), `reduce` (sum, max, min, L2, prod), `argReduce` (argMax, argMin),
 * `mathUnary` (sqrt, exp, sin, cos, log, neg, abs, sign, reciprocal, floor, ceil), `mathBinary` (pow, mod,
 * minimum, maximum), `logic` (comparisons, and/or/xor/not, where), `scatter` (scatterND,
 * scatterElements). `windowAttentionV2` (Swin V2's, apart from v1's `attention`: its position-bias MLP
 * runs as nn.Linear and nn.ReLU modules the hooking tools see, and its q·kᵀ is the `@` operator).
 */
export const FAMILIES = [
  'conv',
  'convNd',
  'convTranspose',
  'convTransposeNd',
  'deformConv',
  'linear',
  'matmul',
  'batchNorm',
  'maxPool',
  'avgPool',
  'globalAvgPool',
  'adaptiveAvgPool',
  'maxUnpool',
  'maxPoolNd',
  'avgPoolNd',
  'adaptiveAvgPoolNd',
  'adaptiveMaxPool',
  'resample',
  'resampleNd',
  'relu',
  'relu6',
  'leakyRelu',
  'sigmoid',
  'sigmoidLut',
  'swish',
  'hardSigmoid',
  'hardSwish',
  'clip',
  'softmax',
  'dropout',
  'add',
  'sub',
  'mul',
  'div',
  'concat',
  'reduceMean',
  'attention',
  'windowAttentionV2',
  'multiscaleAttention',
  'einsum',
  'layerScale',
  'positionEmbedding',
  'classToken',
  'layerNorm',
  'rmsNorm',
  'rotaryEmbedding',
  'sdpa',
  'groupNorm',
  'instanceNorm',
  'localResponseNorm',
  'gelu',
  'tanh',
  'erf',
  'mish',
  'elu',
  'selu',
  'celu',
  'softplus',
  'softsign',
  'hardTanh',
  'prelu',
  'logSoftmax',
  'reduce',
  'argReduce',
  'mathUnary',
  'mathBinary',
  'logic',
  'range',
  'cumSum',
  'scatter',
  'nonZero',
  'topK',
  'gridSample',
  'quantize',
  'quantConv',
  'quantMatmul',
  'quantArithmetic',
  'nms',
  'roiAlign',
  'layout',
] as const;
export type Family = (typeof FAMILIES)[number];

/** Where a transposed convolution's multiply-accumulates are counted (see countWith). */
export const CONV_TRANSPOSE_POSITIONS = ['input', 'output'] as const;
export type ConvTransposePositions = (typeof CONV_TRANSPOSE_POSITIONS)[number];

/** What a rule may read about one analysed layer: shapes, attributes, weights and convlens's own cost. */
export interface LayerFacts {
  name: string;
  family: Family;
  /** The layer's op (compare by identity, as families.ts does; never by name). */
  op: OpDef;
  /** The op's own plan from inference (attention's sequences, a norm's groups, einsum's labels …), as the op file declares it. */
  plan: unknown;
  /** Attributes as the op's schema parsed them (PyTorch's defaults filled in). */
  attrs: Readonly<Record<string, unknown>>;
  /** Shapes of the inputs, in order (an omitted optional input is []). */
  inputs: readonly Shape[];
  outputs: readonly Shape[];
  /** The op's weight tensors by role (weight, bias, runningMean, …) with their shapes. */
  weights: readonly { name: string; shape: Shape; trainable: boolean }[];
  /** Per-axis [h, w] window geometry of conv-like and pooling layers (from the op's plan), else null. */
  geometry: readonly AxisGeometry[] | null;
  /** The output size was set by attributes (resampling to a size, adaptive pooling), not by the input's. */
  fixedSize: boolean;
  /** convlens's own cost of the layer (MACs, exact multiply+add count, bias adds, element-wise FLOPs). */
  cost: LayerCost;
  /**
   * The PyTorch source applies this layer as a function call (F.relu, F.max_pool2d,
   * F.interpolate, torch.add) instead of an nn.Module (or a Python operator, for arithmetic).
   * Tools that hook modules (thop, torchinfo, ptflops' module hooks) see the two differently.
   */
  functional: boolean;
  /**
   * The PyTorch source builds this layer's module from a subclass of the class its op names
   * (torchvision's Conv3DSimple(nn.Conv3d)): a tool that looks its hooks up by the exact type
   * (ptflops) has none for it, one that walks the class hierarchy (thop) or reads the class name
   * (torchinfo) counts it as the parent class.
   */
  subclassed: boolean;
  /**
   * nn.MultiheadAttention's input projection, or an nn.Linear, reads a non-contiguous 3-D view in
   * PyTorch, so aten::linear takes matmul + add_ rather than addmm (ptflops-aten then counts no
   * bias). Set for an imported ONNX module (onnx-attention.ts) or linear (linear-bias.ts); absent: as
   * the op's plan implies (attentionDims), a linear's input contiguous.
   */
  strided?: boolean;
  /** The layer read one sample without its batch axis over this many spatial axes (Inferred.unbatched: a pool's [C, …spatial], globalAvgPool2d's [C, H, W]); absent: batched. */
  unbatched?: number;
}

export interface RuleContext {
  /** Override of where transposed-conv MACs are counted; absent: as the tool itself counts them. */
  convTranspose?: ConvTransposePositions;
}

export interface Rule {
  /** The layer's count (with `hook`, the rest: the tool's patched functions). */
  count(f: LayerFacts, ctx: RuleContext): number;
  /**
   * What a module hook adds, for a tool that divides its module hooks' total by the batch and not
   * the rest (ptflops: compute_average_flops_cost, "mean flops consumption per image"): the
   * layer counts count + hook / batch, the batch being the first input's first dimension.
   */
  hook?(f: LayerFacts, ctx: RuleContext): number;
  /** What the tool counts for this family, in one line (the "why" of a difference); of a batch, where `unbatched` says what it does of one sample. */
  why: string;
  /**
   * What the tool does of one sample without its batch axis, [C, …spatial] (a pool's or conv's:
   * LayerFacts.unbatched), beside `why`: added to the family's why and source in a model where a layer
   * of the family read one (countWith), never in a batched model; the catalog (GET /v1/conventions)
   * lists it after `why`.
   */
  unbatched?: { why: string; source: string };
  /**
   * The tool gives no figure for this family (onnx-tool on Swin V2's attention: torch.onnx cannot
   * export the module, so there is no graph to profile; on MViT's: its shape inference cannot read the
   * export's SequenceEmpty): countWith counts such a layer 0 and lists it
   * in `unsupported` beside the layers convlens could not analyse, never a silent 0; `why` says why.
   * A function decides per layer (onnx-tool on a max or average pool of an unbatched sample, whose
   * export its shape inference cannot read, where the batched form is counted; calflops on a
   * convolution of an unbatched sample: unbatched-convs.ts).
   */
  unsupported?: boolean | ((f: LayerFacts) => boolean);
  /** The tool's source of the rule: file and line(s) at the commit counted. */
  source: string;
}

export interface ConventionPreset {
  /** Preset name as a request gives it (`thop`, `ptflops`, `ptflops-aten`, …). */
  name: string;
  /** The tool, as its users know it. */
  tool: string;
  /** The release (and repository commit) whose code the rules transcribe. */
  version: string;
  /** The tool's repository, the files read, and where its published figures are. */
  source: readonly string[];
  /** What the tool calls its figure. */
  unit: 'MACs' | 'FLOPs';
  /** One paragraph: what the figure is, and what it leaves out. */
  summary: string;
  /**
   * The tool profiles the exported ONNX nodes (onnx-tool), not the PyTorch module: a module written
   * as several nodes (report.patterns) counts node by node; other presets count it as the module.
   */
  readsExport?: boolean;
  /** Per-family rules; a family absent here counts 0 in this tool. */
  rules: Readonly<Partial<Record<Family, Rule>>>;
  /**
   * How the tool turns the sum of its counts into the figure it prints, when a rule can count a
   * fraction (ptflops' F.interpolate at a scale: int() of the float sum); absent: the sum as it is.
   */
  printedTotal?: (sum: number) => number;
  /**
   * Where the tool's figure departs from what its own rules count per sample, by a defect of the
   * tool (ptflops: subclassed modules without a hook, functions not averaged over the batch): one
   * sentence per family it touches in this model, added to the family's `why` (and so to the headline).
   */
  defects?: (model: DefectInput) => Partial<Record<Family, string>>;
}

/** What a preset's defects read: the batch, each counted layer with its facts, and the rules they were counted by. */
export interface DefectInput {
  batch: number;
  /** The model's first input is one sample without its batch axis (Inference.imageInputs): the batch is its first axis. */
  unbatchedInput?: boolean;
  /** The preset's rules as countWith counted (its conv families reading an unbatched sample as the tool does: unbatched-convs.ts). */
  rules: Readonly<Partial<Record<Family, Rule>>>;
  ctx: RuleContext;
  layers: readonly { facts: LayerFacts; count: number; hook: number }[];
}

export const ConventionLayerSchema = z.object({
  name: z.string(),
  op: z.string(),
  family: z.enum(FAMILIES).nullable().describe('the op family the preset rule is chosen by (null: a layer convlens could not analyse)'),
  count: z.number().describe("the tool's figure for this layer, in the preset's unit"),
  convlensMacs: z.number().describe("convlens's own MACs of the layer (conv, convTranspose over input positions, deformConv, linear, matmul; bias excluded)"),
  difference: z.number().describe('count − convlensMacs'),
});
export type ConventionLayer = z.infer<typeof ConventionLayerSchema>;

export const ConventionFamilySchema = z.object({
  family: z.enum(FAMILIES),
  layers: z.number().describe('executed layers of this family'),
  count: z.number().describe("the tool's figure summed over them"),
  convlensMacs: z.number(),
  difference: z.number().describe('count − convlensMacs'),
  why: z.string().describe('what the tool counts for this family'),
  source: z.string().describe("where in the tool's source (file, lines at the commit counted)"),
});
export type ConventionFamily = z.infer<typeof ConventionFamilySchema>;

export const ConventionCountSchema = z
  .object({
    preset: z.string(),
    tool: z.string(),
    version: z.string(),
    unit: z.enum(['MACs', 'FLOPs']),
    summary: z.string(),
    source: z.array(z.string()),
    convTranspose: z.enum([...CONV_TRANSPOSE_POSITIONS, 'tool']).describe("where transposed-conv MACs were counted: the tool's own rule, or input/output positions"),
    total: z.number().describe("the tool's total over the executed layers, as it prints it (ptflops divides its module hooks' sum by the batch and truncates the float total to an int; the layers keep their fractions)"),
    convlensMacs: z.number().describe("convlens's MACs total (totals.macs)"),
    difference: z.number().describe('total − convlensMacs'),
    headline: z.string().describe('one sentence: both totals and the families that make the difference, largest first'),
    byFamily: z.array(ConventionFamilySchema).describe('per op family, largest |difference| first: why the tool prints another number'),
    layers: z.array(ConventionLayerSchema).describe('every executed layer, in report order'),
    unsupported: z.array(z.string()).describe('layers convlens could not analyse (counted 0 here, as in the report), and layers this tool cannot count (its rule says why: onnx-tool on Swin V2 attention, which torch 1.13 cannot export, on MViT attention, whose export its shape inference cannot read, and on a max or average pool of an unbatched sample, or an adaptive one torch.onnx cannot export; calflops on a conv1d/2d/3d of an unbatched sample, whose F.conv*d asserts the first spatial size is Cin and raises), counted 0 here and named, never folded into the total silently'),
  })
  .describe("a model counted under another tool's conventions, layer by layer, beside convlens's own MACs");
export type ConventionCount = z.infer<typeof ConventionCountSchema>;

export const CountOptionsSchema = z.strictObject({
  convTranspose: z.enum(CONV_TRANSPOSE_POSITIONS).optional().describe('count transposed-conv MACs over input or output positions instead of as the tool does'),
  functional: z.array(z.string()).optional().describe('layers the PyTorch source calls as functions (F.relu, F.interpolate, torch.add), not nn.Modules'),
  subclassed: z.array(z.string()).optional().describe("layers whose module is a subclass of the class their op names (torchvision's Conv3DSimple(nn.Conv3d)): tools that look their hooks up by exact type (ptflops) have none for them"),
});
export type CountOptions = z.input<typeof CountOptionsSchema>;
