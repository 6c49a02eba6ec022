/**
 * The report's schema (versioned). Types derive from it and GET /v1/schema/report publishes it,
 * so the documentation cannot drift from what the analyzer returns.
 */
import { z } from 'zod';
import { bytesPerElement } from '../tensor/dtype.js';
import { PatternSchema } from './patterns.js';
import { QuantizationSummarySchema } from './quantization.js';

export const REPORT_SCHEMA_VERSION = '1.0';

/** The `dtype` option: the element types whose size memory-access bytes are counted in. */
const ANALYZE_DTYPES = ['float32', 'float16', 'bfloat16', 'int8'] as const;
export type Dtype = (typeof ANALYZE_DTYPES)[number];
/** Bytes per element of each `dtype` option (from tensor/dtype.ts). */
export const DTYPES = Object.fromEntries(ANALYZE_DTYPES.map((d) => [d, bytesPerElement(d)])) as Record<Dtype, number>;
export const FLOP_CONVENTIONS = ['2macs', 'macs', 'exact'] as const;
/** Old names still accepted on input: `seed` was `exact`'s first name. */
export const FLOP_CONVENTION_ALIASES: Readonly<Record<string, FlopConvention>> = { seed: 'exact' };
export type FlopConvention = (typeof FLOP_CONVENTIONS)[number];

/** The `dtype` option. */
export const DtypeOption = z.enum(ANALYZE_DTYPES);
/** The `flops` option: a convention, or an old name of one. */
export const FlopConventionOption = z
  .enum([...FLOP_CONVENTIONS, 'seed'])
  .transform((c): FlopConvention => FLOP_CONVENTION_ALIASES[c] ?? (c as FlopConvention))
  .describe('2macs (default), macs, or exact (every multiply and add; `seed` is its old name)');

export const AnalyzeOptionsSchema = z.strictObject({
  dtype: DtypeOption.default('float32'),
  flops: FlopConventionOption.default('2macs'),
  includeBias: z.boolean().default(false),
});
export type AnalyzeOptions = z.infer<typeof AnalyzeOptionsSchema>;

const Pair = z.tuple([z.number(), z.number()]);
/** One number per spatial axis, in the order `axes` names them. */
const PerAxis = z.array(z.number()).min(1).max(3);
const FieldAxes = z
  .array(z.enum(['l', 'd', 'h', 'w']))
  .min(1)
  .max(3)
  .describe('the spatial axes the per-axis arrays follow, as PyTorch names the layouts: ["l"] for (N, C, L) 1-D maps, ["h", "w"] for (N, C, H, W), ["d", "h", "w"] for (N, C, D, H, W) (d: depth, time for video)');
const LocalField = z
  .object({
    global: z.literal(false).describe('the units still have a position: the field is a window of the input'),
    axes: FieldAxes,
    size: PerAxis.describe('r per axis (e.g. [h, w]): input units one output unit sees'),
    stride: PerAxis.describe('effective stride ("jump") per axis: input units between adjacent output units'),
    padding: PerAxis.describe('effective left padding per axis: unit x covers [x·stride − padding, x·stride − padding + size − 1]'),
    centre: PerAxis.describe('centre of output unit 0 in input coordinates, per axis'),
  })
  .describe('a local field: Araujo, Norris, Sim, "Computing Receptive Fields of CNNs", Distill 2019');
const GlobalField = z
  .object({
    global: z.literal(true).describe('the spatial axes are collapsed (global or 1×1 adaptive pooling, flatten, linear): every unit sees the whole input'),
    axes: FieldAxes,
    size: PerAxis.nullable().describe('the whole input per axis: [l], [h, w] or [d, h, w] of the network input (null when the network has no input of that layout)'),
    stride: z.null().describe('no stride: the units have no spatial position'),
    padding: z.null().describe('no padding: the units have no spatial position'),
    centre: z.null().describe('no centre: the units have no spatial position'),
  })
  .describe('a global field: every unit sees the whole input');
export const ReceptiveFieldSchema = z
  .discriminatedUnion('global', [LocalField, GlobalField])
  .describe('Receptive field of a tensor\'s units, per spatial axis named in `axes` ([h, w] for 2-D maps, [l] 1-D, [d, h, w] 3-D) (Araujo, Norris, Sim, Distill 2019); `global: true` once the spatial axes are collapsed');

/** An operator type no analysis covers: where it occurs and why (report totals, sweep entries). */
export const UnsupportedOpSchema = z.object({
  opType: z.string(),
  count: z.number(),
  nodes: z.array(z.string()),
  reasons: z.array(z.string()).describe('why, each distinct reason once: what the importer could not map (an operand it needs constant is computed, an attribute value it does not model), or that convlens has no such operator'),
});

const MemoryAccess = z.object({
  elements: z.object({ inputs: z.number(), outputs: z.number(), weights: z.number(), total: z.number() }),
  bytes: z.number(),
});

const FlopsByConvention = z.object({ '2macs': z.number(), macs: z.number(), exact: z.number() });

export const LayerReportSchema = z.object({
  name: z.string(),
  op: z.string(),
  source: z.object({ format: z.literal('onnx'), opType: z.string() }).optional(),
  supported: z.boolean(),
  executed: z.boolean().describe('false for layers no declared output depends on (a training-only head): their params count in totals, their MACs and memory traffic do not'),
  inputs: z.array(z.string()),
  inputShapes: z.array(z.array(z.number())),
  outputShape: z.array(z.number()).nullable(),
  outputShapes: z.array(z.array(z.number())),
  params: z.number().describe('trainable parameters: weights, bias, BN gamma/beta'),
  buffers: z.number().describe("non-trainable state: BN running mean, variance and num_batches_tracked (int64), Swin's relative-position index (int64)"),
  macs: z.number().describe('multiply-accumulates of conv, convTranspose, deformConv and linear; bias excluded'),
  intMacs: z.number().describe('integer multiply-accumulates of quantized layers (QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger), apart from macs; 0 elsewhere'),
  flops: z.number().describe('FLOPs under the convention named in conventions.flops'),
  flopsByConvention: FlopsByConvention,
  memoryAccess: MemoryAccess,
  arithmeticIntensity: z.number().nullable().describe('flops / memoryAccess.bytes'),
  receptiveField: ReceptiveFieldSchema.nullable(),
});
export type LayerReport = z.infer<typeof LayerReportSchema>;

export const WarningSchema = z.looseObject({
  code: z.string(),
  severity: z.enum(['info', 'warning']),
  message: z.string(),
  layer: z.string().optional(),
});
export type ReportWarning = z.infer<typeof WarningSchema>;

export const ReportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  name: z.string(),
  source: z
    .object({
      format: z.enum(['spec', 'zoo', 'onnx']),
      model: z.string().optional(),
      opset: z.number().optional(),
      irVersion: z.number().optional(),
      producer: z.string().optional(),
      bytes: z.number().optional(),
    })
    .optional()
    .describe('what was analysed: a JSON spec, a built-in model, or an ONNX file (opset, producer)'),
  conventions: z.object({
    macs: z.string(),
    flops: z.enum(FLOP_CONVENTIONS),
    flopsDescription: z.string(),
    includeBias: z.boolean(),
    dtype: z.string(),
    bytesPerElement: z.number(),
    receptiveField: z.string(),
  }),
  inputs: z.array(z.object({ name: z.string(), shape: z.array(z.number()) })),
  layers: z.array(LayerReportSchema),
  outputs: z.array(z.object({ name: z.string(), shape: z.array(z.number()).nullable(), receptiveField: ReceptiveFieldSchema.nullable() })),
  totals: z.object({
    layers: z.number(),
    params: z.number(),
    buffers: z.number(),
    macs: z.number(),
    intMacs: z.number().describe('integer MACs of quantized layers, apart from macs'),
    flops: z.number(),
    flopsByConvention: FlopsByConvention,
    memoryAccess: MemoryAccess,
    arithmeticIntensity: z.number().nullable(),
    quantization: QuantizationSummarySchema.nullable().describe('int8 deployment figures; null for a float model'),
    complete: z.boolean().describe('false when some layers could not be analysed (see unsupported)'),
    unsupported: z.array(UnsupportedOpSchema),
    folded: z.array(z.string()).describe('imported nodes that only compute constants (shape arithmetic; a weight computed from constants, as weight standardisation, folded at import), evaluated and left out of the layers'),
  }),
  structure: z.object({
    depth: z.number().describe('weighted layers (conv, convTranspose, deformConv, linear) on the longest path'),
    weightedLayers: z.number(),
    width: z.number().describe('largest number of kernels (output channels) of a convolution, or token width an attention layer works at (a transformer\'s widest stage); the widest linear layer when there is neither'),
    resolution: z
      .object({
        input: Pair,
        finalFeatureMap: Pair.describe('k: the spatial size after the last downsampling'),
        finalFeatureMapLayer: z.string(),
        downsamplingStride: Pair.describe('effective stride of the final feature map'),
        downsamplings: z.number().nullable().describe('n, when the stride is a power of two'),
        border: Pair.describe('b: input pixels the unpadded windows on the way to the final map lose beyond their strides (0 for a padded net; LeNet-5: 12)'),
        expectedInput: Pair.nullable().describe('r = k·2^n + b; null when n is null or b is not whole'),
        consistent: z.boolean().describe('input equals k·2^n + b on both axes'),
        fixedInputSize: z.boolean().describe('a flatten or linear reads a spatial map whose size depends on the input, or a layer\'s weights take the input-sized shape (a position embedding)'),
        fixedBy: z.string().nullable().describe('the first layer that fixes the input size; null when none does'),
        validInputSizes: z.string(),
      })
      .nullable(),
  }),
  patterns: z.array(PatternSchema).describe('decomposed normalisations and activations of an imported graph recognised as one module (each node keeps its own cost); empty for specs and zoo models'),
  warnings: z.array(WarningSchema),
});
export type Report = z.infer<typeof ReportSchema>;
