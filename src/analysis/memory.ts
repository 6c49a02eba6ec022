/**
 * Peak activation memory, statically: the executed layers in the inference's order (topological,
 * spec order among ready layers), each activation tensor alive from the step of the layer that
 * writes it to the step of its last reader.
 *
 *   - graph inputs are alive from before step 0 to the end; graph outputs from their producer to
 *     the end; a tensor nobody reads (an unused second output) lives during its producer's step only
 *   - constants are not activations: initializers, and tensors whose values the inference folded
 *     (shape arithmetic); parameters and buffers are counted apart as `weights`
 *   - bytes = elements × the element size of the analysis `dtype` (report.conventions.dtype). The
 *     graph form carries no element types, so integer tensors (maxPool2d's indices, int64 in
 *     PyTorch; a cast to an integer type) count at that dtype too unless `tensorDtypes` names them
 *   - no buffer is reused unless `inPlace: true`; then a layer writes its output into the buffer of
 *     its input 0 when all of: it holds no parameters or buffers (conv, linear, batch norm, PReLU:
 *     PyTorch computes these out of place, torchvision's ResNet runs only its ReLUs in place); it has one output, of input 0's
 *     shape and element size; it does element-wise arithmetic (cost.elementwise > 0, no MACs: data
 *     movement such as channelShuffle or transpose cannot overwrite its own source); its output's
 *     receptive field equals input 0's (no spatial neighbourhood: a 3×3 stride-1 pool is excluded);
 *     and input 0 is an activation whose last reader is this layer (not a graph input or output).
 *     That admits activations, softmax and the first operand of add/mul (ResNet's
 *     `out += identity`); never into a buffer a view of it (below) still needs.
 *   - a re-view (reshape, flatten, squeeze, unsqueeze: OpDef.reView) is a view of its input's
 *     buffer, as PyTorch's view of a contiguous tensor and ONNX Runtime's alias are: no new buffer,
 *     and the input's buffer lives on to the view's last reader. So is the output of a layer whose
 *     PyTorch module returns its input itself at inference (dropout, identity:
 *     OpDef.returnsInputAtInference).
 *
 * Timeline, per executed layer at step i: `during` = bytes of every buffer alive while the layer
 * runs (its inputs and its outputs at once, and its scratch: temporaries PyTorch allocates for the
 * step, as a paddingMode conv's F.pad, OpInferred.intermediates marked inPyTorch); `after` = once
 * the inputs it read last are freed. The peak is the largest `during`, at the first layer that
 * reaches it.
 */
import { z } from 'zod';
import { ConvlensError, jsonPath } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import { closest } from '../suggest.js';
import { executedLayers, graphOutputs } from '../graph/walks.js';
import { numel } from '../ops/types.js';
import type { TensorRF } from '../ops/types.js';
import { DTYPE_NAMES, bytesPerElement } from '../tensor/dtype.js';
import type { DtypeName } from '../tensor/dtype.js';
import type { AnalysedLayer, Inference } from './infer.js';
import type { Report } from './report.js';
import { torchinfoFootprint, TorchinfoFootprintSchema } from './footprint.js';

export const MemoryOptionsSchema = z.strictObject({
  inPlace: z.boolean().default(false).describe('let element-wise layers write into the buffer of an input 0 they read last (see `assumptions`)'),
  tensorDtypes: z
    .record(z.string().min(1).max(256), z.enum(DTYPE_NAMES as [DtypeName, ...DtypeName[]]))
    .default({})
    .describe('element type of named tensors that differ from the analysis dtype, e.g. {"pool:1": "int64"} for maxPool2d indices'),
});
export type MemoryOptions = z.infer<typeof MemoryOptionsSchema>;

const LiveTensorSchema = z.object({
  name: z.string(),
  shape: z.array(z.number()),
  dtype: z.string(),
  bytes: z.number(),
  producer: z.string().nullable().describe('the layer that writes it; null for a graph input'),
  inPlaceOf: z.string().optional().describe('the tensor whose buffer it overwrote (inPlace)'),
  viewOf: z.string().optional().describe('the tensor whose buffer it is a view of (reshape, flatten, squeeze, unsqueeze), or that it is (dropout at inference, identity): the buffer counted once'),
});

const TimelineEntrySchema = z.object({
  step: z.number(),
  layer: z.string(),
  op: z.string(),
  allocatedBytes: z.number().describe('new buffers for its outputs (0 when written in place)'),
  scratchBytes: z.number().describe("temporaries PyTorch allocates for the layer's step and frees after it (a paddingMode conv's padded input): counted in `during` only"),
  freedBytes: z.number().describe('buffers released after it: inputs it read last, outputs nobody reads'),
  during: z.number().describe('bytes alive while it runs: its inputs and outputs at once'),
  after: z.number().describe('bytes alive once it has run and the buffers it read last are freed'),
});

export const MemoryReportSchema = z
  .object({
    dtype: z.string().describe('element type activations are counted in (the analysis dtype)'),
    bytesPerElement: z.number(),
    inPlace: z.boolean(),
    assumptions: z.array(z.string()),
    complete: z.boolean().describe('false when some tensors have no known shape (downstream of an unsupported operator): the figures are lower bounds'),
    unknownTensors: z.array(z.string()),
    baseline: z.number().describe('bytes alive before the first layer: the graph inputs'),
    peak: z.object({
      bytes: z.number().describe('largest `during` of the timeline'),
      step: z.number().nullable(),
      layer: z.string().nullable(),
      live: z.array(LiveTensorSchema).describe('the buffers alive at the peak, largest first'),
    }),
    timeline: z.array(TimelineEntrySchema),
    weights: z.object({
      params: z.number(),
      buffers: z.number(),
      bytes: z.number().describe("(params + buffers) × bytesPerElement, except weights an op declares in another element type, counted at theirs (Swin's int64 relative-position index: 8 bytes an element)"),
    }),
    totalBytes: z.number().describe('peak activations + weights: what inference holds at its peak'),
    torchinfo: TorchinfoFootprintSchema,
  })
  .describe('Peak activation memory from tensor liveness, weights memory and torchinfo\'s footprint');
export type MemoryReport = z.infer<typeof MemoryReportSchema>;

interface Buffer {
  bytes: number;
  first: number;
  last: number;
  /** Tensors that occupied it, in order (more than one when written in place). */
  tensors: { name: string; from: number }[];
}

function sameRF(a: TensorRF | null, b: TensorRF | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.global !== b.global || a.axes.length !== b.axes.length) return false;
  return a.axes.every((x, k) => x.r === b.axes[k].r && x.j === b.axes[k].j && x.p === b.axes[k].p);
}

/** The in-place rule of the header, for a layer whose input 0 dies here. */
function writesInPlace(a: AnalysedLayer, inputRF: TensorRF | null): boolean {
  const inf = a.inferred;
  if (!inf || !a.op || a.op.weighted || inf.weights.length > 0 || inf.outputs.length !== 1 || a.layer.outputs.length !== 1) return false;
  if (!(inf.cost.elementwise > 0) || inf.cost.macs !== 0) return false;
  const x = a.inputShapes[0];
  const y = inf.outputs[0];
  if (!x || x.length !== y.length || x.some((d, k) => d !== y[k])) return false;
  return sameRF(a.rf, inputRF);
}

export const MEMORY_ASSUMPTIONS = [
  'execution order: the inference\'s topological order (spec order among ready layers); executed layers only',
  'a tensor is alive from the step of its producer to the step of its last reader; graph inputs from before the first layer, graph outputs to the end',
  'constants (initializers, folded shape arithmetic) and weights are not activations',
  'bytes = elements × the analysis dtype\'s size, integer tensors included unless tensorDtypes names them (PyTorch keeps maxPool2d indices as int64)',
  'reshape, flatten, squeeze and unsqueeze are views of their input\'s buffer (PyTorch\'s view of a contiguous tensor): no new buffer, the input\'s lives to the view\'s last reader',
  'dropout at inference and identity return their input\'s buffer, as PyTorch returns the input tensor itself: no new buffer, the input\'s lives to their output\'s last reader',
  "a layer's scratch (a paddingMode conv's padded input, F.pad in PyTorch's _conv_forward) is alive during its step only",
];

/**
 * Bytes that weights declared in their own element type (WeightSpec.dtype: Swin's int64
 * relative_position_index) add over counting them at the analysis dtype; a weight bound to an
 * initializer an earlier layer read counts once, as the report's totals count it.
 */
function typedWeightsExtra(graph: Graph, inference: Inference, elementBytes: number): number {
  const seen = new Set<string>();
  let extra = 0;
  for (const { layer, inferred, folded } of inference.analysed) {
    if (folded || !inferred) continue;
    for (const w of inferred.weights) {
      const c = layer.weights?.[w.name]?.constant;
      const key = c === undefined ? undefined : (graph.constants.get(c)?.countsAs ?? c);
      if (key !== undefined && seen.has(key)) continue;
      if (key !== undefined) seen.add(key);
      if (w.dtype) extra += numel(w.shape) * (bytesPerElement(w.dtype) - elementBytes);
    }
  }
  return extra;
}

export function analyzeMemory(graph: Graph, inference: Inference, report: Report, options: Partial<MemoryOptions> = {}): MemoryReport {
  const parsed = MemoryOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = jsonPath(issue.path);
    throw new ConvlensError('INVALID_OPTION', `memory: ${issue.message} at ${path}`, { path });
  }
  const { inPlace, tensorDtypes } = parsed.data;
  for (const name of Object.keys(tensorDtypes)) {
    if (inference.tensors.has(name)) continue;
    const near = closest(name, [...inference.tensors.keys()]);
    throw new ConvlensError('INVALID_OPTION', `memory: tensorDtypes names '${name}', which no input or layer writes${near ? `; did you mean '${near}'?` : ''}`, {
      path: jsonPath(['tensorDtypes', name]),
      ...(near ? { suggestion: near } : {}),
    });
  }
  const dtype = report.conventions.dtype as DtypeName;
  const elementBytes = bytesPerElement(dtype);
  const executed = executedLayers(graph);
  const steps = inference.analysed.filter((a) => !a.folded && executed.has(a.layer.name));
  const n = steps.length;
  const end = n; // past the last step: outputs and inputs live to here

  // a Map, not the object: a tensor named `constructor` or `toString` is an ordinary name, not Object.prototype's
  const namedDtypes = new Map(Object.entries(tensorDtypes));
  const dtypeOf = (t: string): DtypeName => namedDtypes.get(t) ?? dtype;
  const unknown: string[] = [];
  const sizeOf = (t: string): number => {
    const info = inference.tensors.get(t);
    if (!info?.shape) {
      unknown.push(t);
      return 0;
    }
    return numel(info.shape) * bytesPerElement(dtypeOf(t));
  };
  const isActivation = (t: string) => t !== '' && !graph.constants.has(t) && inference.tensors.get(t)?.value == null;

  const outputs = new Set(graphOutputs(graph));
  const lastUse = new Map<string, number>();
  steps.forEach((a, i) => {
    for (const r of a.layer.inputs) if (isActivation(r)) lastUse.set(r, i);
  });
  for (const o of outputs) lastUse.set(o, end);

  const bufferOf = new Map<string, Buffer>();
  const buffers: Buffer[] = [];
  const producer = new Map<string, string>();
  const inPlaceOf = new Map<string, string>();
  for (const inp of graph.inputs) {
    const b: Buffer = { bytes: sizeOf(inp.name), first: -1, last: end, tensors: [{ name: inp.name, from: -1 }] };
    buffers.push(b);
    bufferOf.set(inp.name, b);
  }
  const allocated = new Array<number>(n).fill(0);
  const scratch = steps.map((a) => (a.inferred?.intermediates ?? []).reduce((sum, t) => (t.inPyTorch ? sum + numel(t.shape) * elementBytes : sum), 0));
  const viewOf = new Map<string, string>();
  steps.forEach((a, i) => {
    const x0 = a.layer.inputs[0];
    const base = x0 === undefined ? undefined : bufferOf.get(x0);
    // a view (or the input itself, returned) shares its input's buffer, which then lives to the view's last reader
    if ((a.op?.reView || a.op?.returnsInputAtInference) && base && a.layer.outputs.length === 1 && isActivation(a.layer.outputs[0]) && dtypeOf(x0) === dtypeOf(a.layer.outputs[0])) {
      const o = a.layer.outputs[0];
      producer.set(o, a.layer.name);
      base.last = Math.max(base.last, lastUse.get(o) ?? i);
      base.tensors.push({ name: o, from: i });
      bufferOf.set(o, base);
      viewOf.set(o, x0);
      return;
    }
    const reuse =
      inPlace &&
      x0 !== undefined &&
      isActivation(x0) &&
      !outputs.has(x0) &&
      producer.has(x0) &&
      lastUse.get(x0) === i &&
      // not a buffer a view of x0 (or x0 as a view) still needs after this layer
      base?.last === i &&
      a.layer.outputs.length === 1 &&
      dtypeOf(x0) === dtypeOf(a.layer.outputs[0]) &&
      writesInPlace(a, inference.tensors.get(x0)?.rf ?? null);
    for (const o of a.layer.outputs) {
      producer.set(o, a.layer.name);
      if (!isActivation(o)) continue;
      const last = lastUse.get(o) ?? i;
      if (reuse) {
        const b = bufferOf.get(x0)!;
        b.last = Math.max(b.last, last);
        b.tensors.push({ name: o, from: i });
        bufferOf.set(o, b);
        inPlaceOf.set(o, x0);
        continue;
      }
      const b: Buffer = { bytes: sizeOf(o), first: i, last, tensors: [{ name: o, from: i }] };
      buffers.push(b);
      bufferOf.set(o, b);
      allocated[i] += b.bytes;
    }
  });

  // Difference arrays: `during` counts a buffer on [first, last], `after` on [first, last).
  const during = new Array<number>(n + 1).fill(0);
  const after = new Array<number>(n + 1).fill(0);
  const freed = new Array<number>(n).fill(0);
  let baseline = 0;
  for (const b of buffers) {
    const from = Math.max(b.first, 0);
    if (b.first < 0) baseline += b.bytes;
    during[from] += b.bytes;
    if (b.last + 1 <= n) during[b.last + 1] -= b.bytes;
    after[from] += b.bytes;
    if (b.last < n) {
      after[b.last] -= b.bytes;
      freed[b.last] += b.bytes;
    }
  }
  for (let i = 1; i <= n; i++) {
    during[i] += during[i - 1];
    after[i] += after[i - 1];
  }
  // scratch is alive during its step alone (added after the running sums: it carries to no other step)
  for (let i = 0; i < n; i++) during[i] += scratch[i];
  const timeline = steps.map((a, i) => ({
    step: i,
    layer: a.layer.name,
    op: a.layer.op,
    allocatedBytes: allocated[i],
    scratchBytes: scratch[i],
    freedBytes: freed[i],
    during: during[i],
    after: after[i],
  }));

  let peakStep: number | null = null;
  for (let i = 0; i < n; i++) if (peakStep === null || during[i] > during[peakStep]) peakStep = i;
  const peakBytes = peakStep === null ? baseline : during[peakStep];
  const live =
    peakStep === null
      ? []
      : buffers
          .filter((b) => Math.max(b.first, 0) <= peakStep! && peakStep! <= b.last)
          .map((b) => {
            // The tensor occupying the buffer at the peak: the latest written by then.
            const t = [...b.tensors].reverse().find((x) => x.from <= peakStep!)!;
            const shape = inference.tensors.get(t.name)?.shape ?? [];
            const via = inPlaceOf.get(t.name);
            const view = viewOf.get(t.name);
            return {
              name: t.name,
              shape: [...shape],
              dtype: dtypeOf(t.name),
              bytes: b.bytes,
              producer: producer.get(t.name) ?? null,
              ...(via ? { inPlaceOf: via } : {}),
              ...(view ? { viewOf: view } : {}),
            };
          })
          .concat(
            // the peak layer's scratch, named by what it is
            (steps[peakStep].inferred?.intermediates ?? [])
              .filter((t) => t.inPyTorch)
              .map((t) => ({ name: `${steps[peakStep!].layer.name}: ${t.what}`, shape: [...t.shape], dtype, bytes: numel(t.shape) * elementBytes, producer: steps[peakStep!].layer.name })),
          )
          .sort((p, q) => q.bytes - p.bytes);

  const weightsBytes = (report.totals.params + report.totals.buffers) * elementBytes + typedWeightsExtra(graph, inference, elementBytes);
  return {
    dtype,
    bytesPerElement: elementBytes,
    inPlace,
    assumptions: [
      ...MEMORY_ASSUMPTIONS,
      inPlace
        ? 'inPlace: an element-wise layer holding no parameters or buffers (not a batch norm or PReLU) whose output has input 0\'s shape and receptive field writes into input 0\'s buffer when it is that tensor\'s last reader'
        : 'no buffer is reused (inPlace: false)',
    ],
    complete: unknown.length === 0,
    unknownTensors: [...new Set(unknown)],
    baseline,
    peak: { bytes: peakBytes, step: peakStep, layer: peakStep === null ? null : steps[peakStep].layer.name, live },
    timeline,
    weights: { params: report.totals.params, buffers: report.totals.buffers, bytes: weightsBytes },
    totalBytes: peakBytes + weightsBytes,
    torchinfo: torchinfoFootprint(report, inference),
  };
}
