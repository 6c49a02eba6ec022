/**
 * Resolution sweep: the same network analysed at several input sizes. Per size: parameters, MACs,
 * FLOPs, peak activation memory, the roofline latency on a device (optional), the final feature
 * map and its receptive field, and whether the size is valid:
 *
 *   - the analysis fails (a kernel larger than its input, a linear layer whose stored weights no
 *     longer match): `status: 'error'` with the catalog code and message, the sweep goes on
 *   - the input is not k·2^n + b for the final map k, n downsamplings and the border b unpadded
 *     windows lose (report.structure.resolution `consistent`: some strided layer dropped or padded
 *     pixels)
 *   - a layer fixes the size (report.structure.resolution `fixedBy` of the network as given: a
 *     flatten/linear reading the map, a position embedding) and the final map differs from the one
 *     the network was built for
 *   - the analysis is incomplete (an operator it cannot analyse: `complete` false, `unsupported`):
 *     its counts are lower bounds, so nothing says the size works
 *
 * How the network is re-shaped for each size: a zoo model is rebuilt at the size (graph/load.ts
 * modelSpec, with [H, W] for a non-square one); a JSON spec gets the resized input's H and W
 * replaced; an ONNX file gets `inputShapes[input] = [N, C, H, W]`, N and C from the file as
 * imported with the request's own shapes. Inputs of the swept one's rank and H×W are resized with
 * it, in a spec and in a file alike (resizedWith: RAFT's second image).
 */
import { z } from 'zod';
import { ConvlensError, jsonPath } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import { checkAnalysisWork } from './analysis-work.js';
import { loadGraph, MAX_RESOLUTION, modelSpec } from '../graph/load.js';
import { shapeKeyPath } from '../graph/onnx/graph-inputs.js';
import type { GraphSource } from '../graph/load.js';
import { analyzeGraph } from './analyze.js';
import { DeviceProfileSchema, resolveDevice } from './devices.js';
import { inferGraph } from './infer.js';
import { analyzeMemory } from './memory.js';
import { ReceptiveFieldSchema, UnsupportedOpSchema } from './report.js';
import type { AnalyzeOptions, Dtype } from './report.js';
import { roofline } from './roofline.js';
import { closest } from '../suggest.js';
import { integerIn } from '../integers.js';

/** Most sizes one sweep may ask for: each is a whole analysis. */
export const MAX_SWEEP_SIZES = 32;

// one message for every fault (1e308 said "expected int to be <=9007199254740991", zod's own bound for an int)
const Side = integerIn(1, MAX_RESOLUTION, 'a side');
export const SweepOptionsSchema = z.strictObject({
  sizes: z
    .array(z.union([Side, z.tuple([Side, Side])], { error: `a size is a side (an integer from 1 to ${MAX_RESOLUTION}, the input's height and width) or [H, W], two of them` }))
    .min(1)
    .max(MAX_SWEEP_SIZES)
    .describe('input sizes: a side (square) or [H, W]'),
  input: z.string().min(1).optional().describe('the input to resize, its last two axes (H, W): default the first NCHW input, else the first NCDHW one (a video clip, its frames kept)'),
  device: z.union([z.string().min(1), DeviceProfileSchema]).optional().describe('built-in device id or a custom profile: adds the roofline latency'),
  inPlace: z.boolean().default(false).describe('peak memory with in-place element-wise layers (analysis/memory.ts)'),
});
export type SweepOptions = z.input<typeof SweepOptionsSchema>;

const SweepErrorSchema = z.looseObject({ code: z.string(), message: z.string(), path: z.string().optional(), layer: z.string().optional() });

const SweepEntrySchema = z.object({
  size: z.tuple([z.number(), z.number()]).describe('[H, W] of the resized input'),
  status: z.enum(['ok', 'error']),
  valid: z.boolean().describe('analysed completely, input = k·2^n + b, and not refused by a fixed-size classifier (a clip, N×C×D×H×W, has no k·2^n check: analysed completely)'),
  complete: z.boolean().nullable().describe('false when some layers could not be analysed (unsupported operators): the counts are lower bounds, and the final map and its field those of the analysed layers; null on error'),
  unsupported: z.array(UnsupportedOpSchema).describe('the operators no analysis covers at this size (empty when complete)'),
  reasons: z.array(z.string()).describe('why the size is not valid (empty when it is)'),
  params: z.number().nullable(),
  macs: z.number().nullable(),
  flops: z.number().nullable().describe('under the analysis convention'),
  peakActivationBytes: z.number().nullable(),
  latencySeconds: z.number().nullable().describe('roofline lower bound on the device, when one was given'),
  finalFeatureMap: z.tuple([z.number(), z.number()]).nullable(),
  downsamplingStride: z.tuple([z.number(), z.number()]).nullable(),
  receptiveField: ReceptiveFieldSchema.nullable().describe('of the final feature map'),
  rfCoversInput: z.boolean().nullable().describe('the final map\'s receptive field spans the whole input on both axes'),
  outputs: z.array(z.object({ name: z.string(), shape: z.array(z.number()).nullable() })),
  error: SweepErrorSchema.nullable(),
});

export const SweepReportSchema = z
  .object({
    name: z.string().describe("the network's name (a spec's name, the built-in model's, an ONNX graph's)"),
    input: z.string().describe('the resized input'),
    reference: z.object({
      size: z.tuple([z.number(), z.number()]),
      finalFeatureMap: z.tuple([z.number(), z.number()]).nullable(),
      fixedInputSize: z.boolean(),
      validInputSizes: z.string().nullable(),
    }),
    device: z.object({ id: z.string().nullable(), name: z.string(), dtype: z.string() }).nullable(),
    dtype: z.string().describe('the element type peakActivationBytes (and a latency\'s bytes) are counted in'),
    inPlace: z.boolean().describe('peakActivationBytes counted with element-wise layers written into the buffer of an input they read last (the inPlace option)'),
    sizes: z.array(SweepEntrySchema),
  })
  .describe('The network analysed at several input sizes');
export type SweepReport = z.infer<typeof SweepReportSchema>;
type Entry = SweepReport['sizes'][number];
/** A sweep's report without its sizes: known once the reference is analysed, before any size (the CLI writes it then). */
export type SweepHead = Omit<SweepReport, 'sizes'>;

function optionError(e: z.ZodError): ConvlensError {
  const issue = e.issues[0];
  const path = jsonPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const near = closest(key, Object.keys(SweepOptionsSchema.shape));
    return new ConvlensError('INVALID_OPTION', `sweep: unknown option '${key}'${near ? `; did you mean '${near}'?` : ''}`, {
      path: `${path}.${key}`,
      ...(near ? { suggestion: near } : {}),
    });
  }
  return new ConvlensError('INVALID_OPTION', `sweep: ${issue.message} at ${path}`, { path });
}

/**
 * The inputs resized with `input`: itself and every other of its rank and its height and width (RAFT's
 * second image, a stereo pair), which a network that joins them needs at the same size; a sweep of
 * RAFT resized image1 alone, and every size but the export's was SHAPE_MISMATCH at its Concat.
 */
export function resizedWith(base: Graph, input: string): string[] {
  const shape = base.inputs.find((i) => i.name === input)!.shape;
  const twin = (s: readonly number[]) => s.length === shape.length && s.at(-2) === shape.at(-2) && s.at(-1) === shape.at(-1);
  return base.inputs.filter((i) => i.name === input || twin(i.shape)).map((i) => i.name);
}

/** The source with `input`, and the inputs resizedWith it, resized to h×w (see the header). */
export function resizedSource(source: GraphSource, base: Graph, input: string, h: number, w: number): GraphSource {
  const names = resizedWith(base, input);
  const resized = (name: string) => {
    const shape = base.inputs.find((i) => i.name === name)!.shape;
    return [...shape.slice(0, -2), h, w];
  };
  const resize = (spec: unknown): unknown => {
    const copy = structuredClone(spec) as { inputs: { name: string; shape: number[] }[] };
    for (const inp of copy.inputs) if (names.includes(inp.name)) inp.shape = [...inp.shape.slice(0, -2), h, w];
    return copy;
  };
  switch (source.kind) {
    case 'model':
      // built at H×W: a head that upsamples to the input reads both sides (zoo/builder.ts Resolution)
      return h === w ? { kind: 'model', name: source.name, resolution: h } : { kind: 'spec', spec: modelSpec(source.name, [h, w]) };
    case 'spec':
      // where the request holds it stays: a size's errors point there too
      return { ...source, spec: resize(source.spec) };
    case 'onnx': {
      // the size by the input's name replaces the request's; for the first input, its unnamed shape
      // (?input=) too, which would otherwise contradict it (graph/onnx/graph-inputs.ts refuses both)
      const { '': unnamed, ...named } = source.inputShapes;
      const kept = (base.inputs[0] !== undefined && names.includes(base.inputs[0].name)) || unnamed === undefined ? named : { ...named, '': unnamed };
      return { ...source, inputShapes: { ...kept, ...Object.fromEntries(names.map((n) => [n, resized(n)])) } };
    }
  }
}

export function sweepResolutions(
  source: GraphSource,
  options: SweepOptions,
  analyze: AnalyzeOptions,
  /** After each size, with its entry (the CLI writes its row then: a reader gone stops the sweep, cli/sweep-stream.ts). */
  onProgress?: (done: number, total: number, entry: SweepReport['sizes'][number]) => void,
  /** Called with the network once loaded, before any analysis (the worker charges its memory then). */
  onLoaded?: (graph: Graph) => void,
  /** Called with the report's head once the reference is analysed, before the first size. */
  onHead?: (head: SweepHead) => void,
): SweepReport {
  const parsed = SweepOptionsSchema.safeParse(options);
  if (!parsed.success) throw optionError(parsed.error);
  const { sizes, input: wanted, device: deviceOption, inPlace } = parsed.data;
  const device = deviceOption === undefined ? null : resolveDevice(deviceOption, '$.device');

  const base = loadGraph(source, { values: false }).graph;
  // the reference and each size analysed, each size with its memory timeline (and roofline)
  checkAnalysisWork(base.layers.length, { options: ['memory', ...(device ? (['roofline'] as const) : [])], times: sizes.length + 1 }, source);
  onLoaded?.(base);
  const inference = inferGraph(base);
  // an unbatched C,H,W image the network batches itself (a torchvision detector's; analysis/input-layout.ts), or an
  // N,H,W batch it gives one channel (its field over H, W too: Inference.fieldInputs);
  // not a C,L signal (a 1-D pool's): it has no H and W to resize, as an N,C,L input has not
  const fielded = (i: { name: string; shape: readonly number[] }) => i.shape.length >= 3 && inference.fieldInputs?.includes(i.name) === true;
  // an image's H and W, or a clip's (N, C, D, H, W: the frames D kept)
  const image = wanted === undefined ? (base.inputs.find((i) => i.shape.length === 4) ?? base.inputs.find((i) => i.shape.length === 5) ?? base.inputs.find(fielded)) : base.inputs.find((i) => i.name === wanted);
  if (!image) {
    const message = wanted === undefined ? 'the network has no NCHW (or NCDHW) input to resize' : `no input '${wanted}'; inputs: ${base.inputs.map((i) => i.name).join(', ')}`;
    throw new ConvlensError('INVALID_OPTION', `sweep: ${message}`, { path: '$.input' });
  }
  if (image.shape.length !== 4 && image.shape.length !== 5 && !fielded(image)) {
    throw new ConvlensError('INVALID_OPTION', `sweep: input '${image.name}' has shape [${image.shape.join(', ')}], not NCHW or NCDHW`, { path: '$.input' });
  }
  const reference = analyzeGraph(base, analyze, inference).structure.resolution;
  const refMap = reference?.finalFeatureMap ?? null;
  const fixed = reference?.fixedInputSize ?? false;

  // where a size's own error points before it is moved to `$.sizes[k]`: a zoo model's resolution, an ONNX file's
  // inputShapes entry of the swept input (which the sweep wrote, not the request: it was `query.input.x` or `$.inputShapes.x`)
  const sweptAt = source.kind === 'onnx' ? shapeKeyPath(source, image.name) : '$.resolution';
  const head: SweepHead = {
    name: base.name,
    input: image.name,
    reference: {
      size: [image.shape.at(-2)!, image.shape.at(-1)!],
      finalFeatureMap: refMap,
      fixedInputSize: fixed,
      // the k·2^n check is of 2-D maps (analysis/structure.ts): a clip's are 3-D
      validInputSizes: reference?.validInputSizes ?? (image.shape.length === 5 ? 'not judged: the k·2^n check is of 2-D maps, and a clip\'s are 3-D' : null),
    },
    device: device ? { id: 'id' in device ? String(device.id) : null, name: device.name, dtype: analyze.dtype } : null,
    dtype: analyze.dtype,
    inPlace,
  };
  onHead?.(head);
  const entries: Entry[] = sizes.map((s, k) => {
    const [h, w] = typeof s === 'number' ? [s, s] : s;
    // the source is built inside the size's try: a zoo model that cannot be built at a non-square size's height is that size's error row
    const entry = analyseAt(() => resizedSource(source, base, image.name, h, w), [h, w], analyze, device, inPlace, reference?.fixedBy && refMap ? { map: refMap, by: reference.fixedBy } : null, `$.sizes[${k}]`, sweptAt);
    onProgress?.(k + 1, sizes.length, entry);
    return entry;
  });
  return { ...head, sizes: entries };
}

function analyseAt(
  sourceAt: () => GraphSource,
  size: [number, number],
  analyze: AnalyzeOptions,
  device: ReturnType<typeof resolveDevice> | null,
  inPlace: boolean,
  /** The final map a fixed-size network was built for, and the layer that fixes it. */
  fixed: { map: [number, number]; by: string } | null,
  /** Where the request gives this size: a zoo model rebuilt at it blames its resolution, which the request does not hold. */
  sizePath: string,
  /** The path the rebuilt source blames for the size: `$.resolution`, or the swept ONNX input's inputShapes key. */
  sweptAt: string,
): Entry {
  try {
    const graph = loadGraph(sourceAt(), { values: false }).graph;
    const inference = inferGraph(graph);
    const report = analyzeGraph(graph, analyze, inference);
    const memory = analyzeMemory(graph, inference, report, { inPlace });
    const res = report.structure.resolution;
    const reasons: string[] = [];
    if (res && !res.consistent) {
      const bordered = res.border[0] !== 0 || res.border[1] !== 0;
      reasons.push(
        res.expectedInput
          ? `input ${size[0]}×${size[1]} is not k·2^n${bordered ? ' + b' : ''}: the final map ${res.finalFeatureMap.join('×')} after stride ${res.downsamplingStride.join('×')}${bordered ? ` and a border of ${res.border.join('×')}` : ''} expects ${res.expectedInput.join('×')}`
          : res.downsamplings === null
            ? `effective stride ${res.downsamplingStride.join('×')} is not a power of two`
            : `the border ${res.border.join('×')} the windows lose is not whole: no input gives the final map without padding over a pixel`,
      );
    }
    if (fixed && res && (res.finalFeatureMap[0] !== fixed.map[0] || res.finalFeatureMap[1] !== fixed.map[1])) {
      reasons.push(`layer '${fixed.by}' fixes the input size: the final map is ${res.finalFeatureMap.join('×')}, the network was built for ${fixed.map.join('×')}`);
    }
    const { complete, unsupported } = report.totals;
    if (!complete) {
      const ops = unsupported.map((u) => `${u.opType} (${u.count === 1 ? u.nodes[0] : `${u.count} layers`})`).join(', ');
      reasons.push(`the analysis is incomplete (no analysis for ${ops}): the counts are lower bounds, and the final map and its field are the analysed layers'`);
    }
    const finalLayer = res ? report.layers.find((l) => l.name === res.finalFeatureMapLayer) : undefined;
    const rf = finalLayer?.receptiveField ?? null;
    return {
      size,
      status: 'ok',
      valid: reasons.length === 0,
      complete,
      unsupported,
      reasons,
      params: report.totals.params,
      macs: report.totals.macs,
      flops: report.totals.flops,
      peakActivationBytes: memory.peak.bytes,
      latencySeconds: device ? roofline(report, device, analyze.dtype as Dtype).totals.seconds : null,
      finalFeatureMap: res?.finalFeatureMap ?? null,
      downsamplingStride: res?.downsamplingStride ?? null,
      receptiveField: rf,
      rfCoversInput: rf ? rf.global || (rf.size[0] >= size[0] && rf.size[1] >= size[1]) : null,
      outputs: report.outputs.map((o) => ({ name: o.name, shape: o.shape })),
      error: null,
    };
  } catch (e) {
    if (!(e instanceof ConvlensError) || e.status >= 500) throw e;
    const { code, message, ...details } = e.toJSON();
    if (details.path === sweptAt) details.path = sizePath;
    return {
      size,
      status: 'error',
      valid: false,
      complete: null,
      unsupported: [],
      reasons: [`${code}: ${message}`],
      params: null,
      macs: null,
      flops: null,
      peakActivationBytes: null,
      latencySeconds: null,
      finalFeatureMap: null,
      downsamplingStride: null,
      receptiveField: null,
      rfCoversInput: null,
      outputs: [],
      error: { code, message, ...details },
    };
  }
}
