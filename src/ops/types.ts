import type { z } from 'zod';
import type { ErrorCode, ErrorDetails } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { numel as elementCount } from '../tensor/tensor.js';
import type { DtypeName } from '../tensor/dtype.js';
import type { TeamHeads, TeamLinear } from './team-types.js';

export type { TeamHeads, TeamLinear } from './team-types.js';

export type Shape = readonly number[];

export type { AxisRF, TensorRF } from './rf-types.js';
import type { TensorRF } from './rf-types.js';

export type { WeightInitRule, WeightSpec } from './weights.js';
import type { WeightSpec } from './weights.js';

/** What one layer costs. MACs are conv/linear multiply-accumulates, bias excluded. */
export interface LayerCost {
  macs: number;
  /** The notes' exact multiply+add count of the MAC part: (2·K·K·M/g − 1)·H'·W'·N for conv. */
  exactMacOps: number;
  /** Additions of a bias, one per output element of a layer that has one. */
  biasOps: number;
  /** FLOPs of everything that is not a multiply-accumulate: BN, activations, pooling, add, resampling. */
  elementwise: number;
  /** Integer multiply-accumulates (QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger), counted apart from `macs`, which are float. */
  intMacs?: number;
}

export interface Warning {
  code: string;
  message: string;
  layer?: string;
  [key: string]: unknown;
}

/** A small tensor's known values (shape arithmetic, axes, scales), row-major. */
export interface TensorValue {
  data: readonly number[];
  /** Integer (and bool) tensors: division truncates, as ONNX does for int64. */
  integer: boolean;
}

/** A layer's field: an attribute (`kernelSize`), `inputs`, or a path under the layer (`['inputs', 1]`). */
export type LayerField = string | (string | number)[];

export interface InferContext<A> {
  /** Layer name, for messages. */
  layer: string;
  /** Shapes of the layer's inputs, in order. */
  inputs: Shape[];
  /** Values of inputs that are small known constants (shape tensors, axes, scales), else null. */
  values: (TensorValue | null)[];
  attrs: A;
  /** How many outputs the layer declares (a spec's layer: OpDef.outputCount of its attributes; an ONNX node: its outputs); absent where not known. */
  declaredOutputs?: number;
  /** An ONNX node's layer: ONNX's rules apply where they differ from PyTorch's (a pool's pads). */
  fromOnnx?: boolean;
  /** Throws a ConvlensError naming this layer; `field` is the attribute (or `inputs`) at fault. */
  fail(code: ErrorCode, message: string, field?: LayerField, details?: ErrorDetails): never;
  /** Whether a folded value of this many elements fits the graph's folding budget left (MAX_FOLDED_ELEMENTS); absent: the per-value cap only. */
  foldable?(elements: number): boolean;
  /**
   * The layer as given is valid but one convlens does not model (a Resize whose sizes are computed
   * from tensor values): inference marks it unsupported with this reason and analyses the rest, as the
   * importer does an unknown operator; a run refuses it (UNSUPPORTED_OPERATOR) at `field` (`inputs`, an
   * attribute) or the layer. Absent (a constant folded at import): UNSUPPORTED_OPERATOR at once (common.ts notModelled).
   */
  unsupported?(reason: string, field?: LayerField): never;
}

export interface Inferred<P = unknown> {
  outputs: Shape[];
  /** Output values, when the op can compute them from known input values (shape arithmetic). */
  values?: (TensorValue | null)[];
  /** The output's spatial size is set by attributes (global/adaptive pooling, resizing to a size), not by the input's. */
  fixedSize?: boolean;
  /**
   * Input 0 read as one sample without its batch axis, [C, …spatial], over this many spatial axes
   * (a pool's or convolution's, as PyTorch's modules: ops/unbatched.ts; globalAvgPool2d's [C, H, W]): analysis/input-layout.ts
   * reads a network input's layout by it.
   */
  unbatched?: number;
  weights: WeightSpec[];
  cost: LayerCost;
  /** Whatever was resolved once (geometry, windows) for the receptive-field rule and the kernel. */
  plan: P;
  /**
   * Tensors the kernel allocates and fills beside its outputs (a conv's input padded in its
   * paddingMode): held to MAX_TENSOR_ELEMENTS and counted as elements written, as an output is.
   */
  intermediates?: Intermediate[];
  /**
   * What the op's VJP allocates beside its input gradients in a reverse pass (attention's probabilities):
   * asked with a gradient's memory (runtime/backward.ts), not held to the tensor limit (the forward's are).
   */
  vjpIntermediates?: Intermediate[];
  /**
   * Work in MAC-equivalents where the cost understates it (MAX_RUN_WORK): the kernel's, which runs and the folding budget read
   * (einsum's loop); its VJP's when that differs (einsum's VJP is the loop); a run's alone where folding keeps the cost's
   * count (`runWork`: a loop shared with folds, pow's, at its measured rate; ops/common.ts runWork).
   */
  kernelWork?: number;
  vjpWork?: number;
  runWork?: number;
}

/** A tensor a kernel allocates beside its outputs, and what it is in the op's words (for messages: "its input padded in paddingMode replicate"). */
export interface Intermediate {
  shape: Shape;
  what: string;
  /**
   * Bytes per element when not a float32's 4 (a resize tap table's int32 index + float64 weight: 12;
   * a float64 pass: 8): the limit and the work count it in float32 elements, numel·bytes/4.
   */
  bytesPerElement?: number;
  /**
   * PyTorch allocates it too, for the layer's step (a paddingMode conv's F.pad: _conv_forward pads
   * into a new tensor): the memory report counts it alive while the layer runs (analysis/memory.ts
   * scratchBytes). Absent: convlens's kernel's own (a resize's tap tables), not PyTorch's memory.
   */
  inPyTorch?: boolean;
  /**
   * 'inputs': the inputs' shapes alone set its size, whatever the attributes (attention's t × t
   * scores over a whole sequence: its tokens), so an operator call over the tensor limit is refused
   * at `$.inputs` (runtime/operator.ts); absent: the attributes set it where the call gives any.
   */
  sizedBy?: 'inputs';
  /** Kernel scratch in pieces of at most KERNEL_SCRATCH floats (im2col columns): in a run's memory, not held to MAX_TENSOR_ELEMENTS. */
  scratch?: true;
}

/** An intermediate's size in float32 elements, as MAX_TENSOR_ELEMENTS and the work count it. */
export const intermediateElements = (t: Intermediate): number => (elementCount(t.shape) * (t.bytesPerElement ?? 4)) / 4;

export interface RFContext<A, P = unknown> {
  layer: string;
  plan: P;
  inputs: Shape[];
  outputs: Shape[];
  attrs: A;
  /** Receptive fields of the inputs, in order (null for a non-spatial input). */
  rf: (TensorRF | null)[];
  warn(w: Omit<Warning, 'layer'>): void;
}

export interface RunContext<A, P = unknown> {
  attrs: A;
  plan: P;
  inputs: Tensor[];
  /** Weights by the names in `Inferred.weights`. */
  weights: Record<string, Tensor>;
  outputs: Shape[];
  training: boolean;
  seed: number;
  /**
   * Runs a sub-graph (an ONNX Loop's body, one iteration: ops/loop.ts) with this run's options;
   * given by runtime/execute.ts so that ops need not import the runtime. `graph` and `inference`
   * are a graph/graph.ts Graph and its analysis/infer.ts Inference (opaque here: no import circle).
   */
  runSubgraph?: (graph: unknown, inputs: Record<string, Tensor>, inference: unknown) => Record<string, Tensor>;
  /**
   * A linear layer inside an op's kernel (attention's projections: ops/attention-kernels.ts) across
   * the run's team of threads; given by runtime/execute.ts when the run has one (RunOptions.splitLinear).
   */
  teamLinear?: TeamLinear;
  /** A sequence's attention heads (ops/attention-kernels.ts attendHead) across the run's team; given with teamLinear (RunOptions.splitHeads). */
  teamHeads?: TeamHeads;
  /**
   * A factor per output channel the kernel applies to `weights.weight` as it reads it, w·k rounded
   * to float32 (`weights.bias` is already folded): a batch norm folded in while the weight is
   * packed, not into a copy of it (runtime/fuse.ts foldGroup). Given only to an op with
   * OpDef.scalesWeightOnRead, and never to a step split across a team.
   */
  weightScale?: Float64Array;
}

/**
 * What a vector-Jacobian product is given: the forward's own context (attributes, plan, inputs,
 * weights), the forward's outputs, and the gradient of a scalar L with respect to each output.
 */
export interface VjpContext<A, P = unknown> extends RunContext<A, P> {
  /** The forward outputs, for VJPs cheaper from them (sigmoid, tanh, max pooling's argmax). */
  forward: Tensor[];
  /** ∂L/∂output, one per output; null where that output does not reach L (count as zeros). */
  gradOutputs: (Tensor | null)[];
}

export interface AxisGeometry {
  in: number;
  kernel: number;
  stride: number;
  dilation: number;
  /** d·(k − 1) + 1 */
  effKernel: number;
  padBegin: number;
  padEnd: number;
  out: number;
  /** Pooling's ceil mode: `out` rounds up (the border a window loses depends on it: ops/receptive-field.ts windowBorder). */
  ceilMode?: true;
}

/**
 * How a team of threads computes an op's output (OpDef.teamBands; runtime/split.ts decides when it
 * gains, runtime/team-kernels.ts runs the bands): in bands whose results depend on their band
 * alone, so any split gives `run`'s bits.
 *  - conv: a dense cross-correlation by output rows or by output channels; `input` and `weight`,
 *    when given, make what the bands read in place of the layer's input and weight (a paddingMode
 *    conv's padded input, mode "convolution"'s flipped kernels), called only once the team takes
 *    the job, so a declined split costs nothing;
 *  - maxPool: max pooling, values only, by planes (image·channel) of H×W;
 *  - planeMean: the mean of each plane of `plane` floats, by planes;
 *  - linear: x·Wᵀ + b over `rows` rows, by output features.
 */
export type TeamBands =
  | { kind: 'conv'; plan: { n: number; cin: number; cout: number; groups: number; geo: AxisGeometry[] }; input?: () => Float32Array; weight?: () => Float32Array }
  | { kind: 'maxPool'; planes: number; H: number; W: number; geo: AxisGeometry[] }
  | { kind: 'planeMean'; planes: number; plane: number }
  | { kind: 'linear'; rows: number; inFeatures: number; outFeatures: number };

export interface OpDef<A = any, P = any> {
  name: string;
  /** One line for the catalog. */
  summary: string;
  /** The PyTorch equivalent, e.g. `torch.nn.Conv2d`. */
  pytorch: string;
  /** Names of the inputs; the last may repeat when `variadic`. */
  inputNames: readonly string[];
  /**
   * Inputs whose numbers decide the output's shape (constantOfShape's shape, range's bounds): the
   * analysis needs their values, so POST /v1/operators takes them as constants (as it takes any
   * later input of rank ≤ 1: a shape, axes, scales).
   */
  valueInputs?: readonly number[];
  minInputs: number;
  variadic?: boolean;
  /**
   * How many tensors it writes for these attributes (default 1); a JSON spec names them `layer`, `layer:1`, …
   * `values`: the inputs' known values by index, where the caller has them (an operator call's
   * parameter inputs: split's sizes as input 1).
   */
  outputCount?(attrs: A, values?: readonly (readonly number[] | null)[]): number;
  /** Conv, convTranspose, deformConv and linear: counted in depth. */
  weighted?: boolean;
  /** How many spatial axes its kernel's window slides over (conv2d's, maxPool2d's: 2; conv1d's: 1): analysis/input-layout.ts reads a rank-3 input's layout by it. */
  windowedAxes?: number;
  /** Its run hands back its input's memory as its output (reshape, squeeze, flatten): it writes no fresh tensor (runtime/checks.ts writeWork). */
  returnsInputData?: boolean;
  /**
   * Output shapes of the nn.Modules with parameters that PyTorch's module for this op calls as
   * modules inside its forward (Swin V2's cpb_mlp Linears, run once on the coordinates table; MViT's
   * attention's qkv, pools and project), or the op's module itself where it is a leaf with parameters
   * whose family is not (MViT's PositionalEncoding): leaf modules torchinfo's footprint counts
   * (analysis/footprint.ts), which the op's own layer is not.
   */
  innerModuleOutputs?(plan: P): Shape[];
  /** Its output's channels are the last axis, as torch.nn.Linear's (Swin's MLP over [N, H, W, C]), not dim 1. */
  channelsLast?: boolean;
  /** The token width (d_model) it works at, from its plan (attention's embed_dim: ViT-B's 768, a Swin stage's C): structure's width (analysis/structure.ts). */
  tokenWidth?(plan: P): number;
  /** A fully connected layer (the FC_DOMINATES warning watches its share of params and MACs). */
  fullyConnected?: boolean;
  /**
   * Deployment (analysis/deployed.ts): for these attributes the op is a constant affine map per
   * channel (dim 1) that folds into the weights and bias of a preceding weighted layer (inference
   * batch norm with running statistics).
   */
  foldsIntoPrecedingConv?(attrs: A): boolean;
  /** Deployment: a point-wise map of one tensor that a weighted layer applies in its epilogue as it writes (activations). */
  fusesIntoConvEpilogue?: boolean;
  /** Deployment: the sum of tensors of one shape, which a weighted layer's epilogue can add as it writes (a residual add). */
  addsIntoConvEpilogue?: boolean;
  /**
   * Runtime fusion (runtime/fuse.ts, inference): `run`'s result computed into the buffer of input
   * `target`, whose shape is the output's, and returned; one pass, no allocation. The executor
   * calls it only on a tensor nothing else reads (a fused conv's output).
   */
  runInPlace?(ctx: RunContext<A, P>, target: number): Tensor;
  /**
   * Runtime fusion: dim 0 of the weight `weight` indexes the output channels (dim 1 of the
   * output) and `bias` is one per output channel (absent: none), so an inference batch norm
   * after it folds into them, w' = w·γ/σ, b' = (b − μ)·γ/σ + β (conv, linear).
   */
  foldsBatchNormIntoWeights?: boolean;
  /** Its run takes RunContext.weightScale (a folded batch norm's factors, applied as it packs the weight). */
  scalesWeightOnRead?: boolean;
  /**
   * Reading a feature map, it mixes its spatial positions into features (flatten, linear): the
   * network then only accepts inputs that give the same map size.
   */
  mixesSpatialPositions?: boolean;
  /**
   * What the layer is, when its weights take its input's shape (a position embedding, [1, L, C]
   * for L tokens): a model built at one input size accepts only that size. The structure check
   * names it (analysis/structure.ts).
   */
  weightsSizedByInput?: string;
  /**
   * A zero-size output is legal here, as in PyTorch (x[:, 0:0], which torch.roll by 0 exports as a
   * Slice whose Concat then drops it); a layer reading it that gives a zero-size output itself is
   * refused (NON_POSITIVE_SIZE) unless it declares the same.
   */
  emptyOutputs?: boolean;
  /** An empty input is read as PyTorch reads it (a concat drops it); any other layer reading one is refused. */
  emptyInputs?: boolean;
  /**
   * The output is the input's buffer under another shape (reshape, flatten, squeeze, unsqueeze): PyTorch
   * returns a view of a contiguous tensor and ONNX Runtime aliases the buffer, so the layer reads and
   * writes no element (memory access 0). The copy a layout change needs is the transpose's: ONNX's
   * Transpose then Reshape is PyTorch's permute (a view) then reshape or .contiguous() (one copy).
   */
  reView?: boolean;
  /**
   * At inference PyTorch's module returns its input tensor itself (nn.Identity; nn.Dropout in eval,
   * F.dropout with training=False): no new memory. The memory analysis (analysis/memory.ts) then
   * gives its output no buffer of its own, as a re-view's: its input's buffer, alive to the
   * output's last reader.
   */
  returnsInputAtInference?: boolean;
  /**
   * Why the values given for weight `role` are refused (a buffer its attributes fix: Swin's
   * relative_position_index), or null. Checked before any kernel runs (runtime/checks.ts
   * checkGivenWeights), INVALID_TENSOR at the weight's field of the request.
   */
  refuseGivenWeight?(role: string, values: Float32Array, plan: P): string | null;
  /**
   * Float initializers an imported node reads directly are learned parameters (a scale or bias
   * exported as Mul/Add by a constant, a MatMul by a constant matrix), not folded literals.
   */
  foldsConstantOperands?: boolean;
  /**
   * With foldsConstantOperands: whether the float initializer at operand `index` is a learned weight,
   * given which operands derive from constants alone (default: every one is). A MatMul whose right
   * operand is a weight reads its left one as the layer's input, e.g. a buffer (Swin V2's coordinate table).
   */
  constantOperandIsWeight?(index: number, constantDerived: readonly boolean[]): boolean;
  /**
   * Attributes a caller may leave out because the given weight tensors imply them (conv's
   * outChannels and kernelSize from the weight's shape); explicit attributes win.
   */
  attrsFromWeights?(weights: Record<string, Shape>, attrs: Record<string, unknown>): Record<string, unknown>;
  /**
   * Inference: how this call's output can be computed in bands across a team of threads (TeamBands),
   * or null when it cannot (the inputs or attributes its band kernel does not cover). Absent: never.
   */
  teamBands?(ctx: RunContext<A, P>): TeamBands | null;
  /** Facts about this operator instance worth reporting beside its output (the sigmoid table's max error). */
  facts?(attrs: A): Record<string, unknown>;
  /**
   * Quantized operators: the element type of the output and of the weights (by role), and whether
   * the op is quantize/dequantize overhead; other ops keep their first input's type
   * (analysis/quantization.ts counts bytes by these types).
   */
  quantized?: { output(attrs: A): DtypeName; weights?: Readonly<Record<string, DtypeName>>; overhead?: boolean };
  /** Zod object schema of the attributes, with PyTorch's defaults. */
  attrs: z.ZodType<A>;
  infer(ctx: InferContext<A>): Inferred<P>;
  receptiveField(ctx: RFContext<A, P>): TensorRF | null;
  /** Each output's field when outputs differ (a split along a spatial axis), given `receptiveField`'s (the layer's, output 0's). Absent: all share it. */
  outputFields?(ctx: RFContext<A, P>, rf: TensorRF | null): (TensorRF | null)[];
  run(ctx: RunContext<A, P>): Tensor[];
  /**
   * Vector-Jacobian product ∂L/∂input for each input, with the weights held constant (an
   * effective receptive field is a gradient with respect to the input only). null for an input
   * with no gradient (shape tensors, indices, axes). Absent: the op cannot be differentiated yet.
   */
  vjp?(ctx: VjpContext<A, P>): (Tensor | null)[];
  /**
   * Which forward tensors `vjp` reads the values of, at inference (weights are always at hand):
   * absent, all of them. `false` promises that only their shapes (and `data.length`) are read, so
   * the reverse pass need not keep them: a conv's input gradient needs only its weights, ReLU's
   * one of its tensors. The reverse pass keeps what is read (runtime/backward.ts).
   */
  vjpReads?(attrs: A): VjpReads;
  /**
   * Mutually exclusive branches, one of which runs (an ONNX If with a computed condition, both
   * branches inlined: ops/control.ts): the names of each branch's layers. The report's totals
   * count, per metric, the largest branch rather than their sum (analysis/branches.ts). null when
   * both are counted (their outputs differ in shape) or the condition is known.
   */
  exclusiveBranches?(attrs: A, plan: P): readonly (readonly string[])[] | null;
}

/** What a VJP reads of its forward tensors (OpDef.vjpReads). */
export interface VjpReads {
  inputs: boolean;
  outputs: boolean;
}

/** A VJP that reads only shapes: linear maps of the input (conv, linear, add, pooling by averages, reshapes). */
export const READS_SHAPES_ONLY = (): VjpReads => ({ inputs: false, outputs: false });

export const ZERO_COST: LayerCost = Object.freeze({ macs: 0, exactMacOps: 0, biasOps: 0, elementwise: 0 });

export { numel } from '../tensor/tensor.js';
