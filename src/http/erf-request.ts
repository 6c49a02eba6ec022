/**
 * POST /v1/erf's request (also GraphQL's effectiveReceptiveField and `convlens erf`): a network (spec,
 * zoo model, ONNX as base64 or a multipart file part "model", with its weights), the unit (layer,
 * channels, position), the input (given tensors, K seeded random ones, or Luo et al.'s setting) and
 * what to answer. Checked here, before any task is queued; errors are 4xx with their JSONPath.
 */
import { z } from 'zod';
import { ConvlensError } from '../errors.js';
import { MAX_RESOLUTION, requestSource } from '../graph/load.js';
import { dict, own } from '../records.js';
import type { ErfJob } from '../runtime/erf.js';
import type { Tensor } from '../tensor/tensor.js';
import { onnxFromBase64, transferable } from './body.js';
import { parseRequest, Tensor as TensorField } from './requests.js';
import { weightInitFor } from '../runtime/weights.js';
import { ENCODINGS, answerEncoding, namedTensors, tensorIn } from './tensors.js';
import type { Encoding, TensorPreference } from './tensors.js';
import { integerIn } from '../integers.js';
import { MAX_SEED } from '../tensor/random.js';

/** Most random inputs one request may average over. */
export const MAX_SAMPLES = 64;

const NamedTensors = z.record(z.string(), TensorField, { error: 'must map names to tensors' });

export const ErfRequest = z
  .strictObject({
    spec: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { error: 'a network spec is a JSON object' }).optional().describe('a network spec (GET /v1/schema/network)'),
    model: z.string().min(1).optional().describe('a built-in model (GET /v1/models)'),
    resolution: integerIn(1, MAX_RESOLUTION, 'resolution').optional().describe("input height and width of a built-in model; default: its own"),
    onnxBase64: z.string().optional().describe('an ONNX file in base64, with its weights (or send it as a multipart file part named "model")'),
    inputShape: z
      .array(integerIn(1, undefined, 'inputShape'), { error: 'inputShape is a list of positive integers' })
      .min(4, { error: 'inputShape is [N, C, H, W] (an image) or [N, C, T, H, W] (a clip)' })
      .max(5, { error: 'inputShape is [N, C, H, W] (an image) or [N, C, T, H, W] (a clip)' })
      .optional()
      .describe("an ONNX model's input shape [N, C, H, W], or a clip's [N, C, T, H, W], where the file leaves dimensions dynamic (random inputs)"),
    layer: z.string().min(1).optional().describe("the layer (or tensor) whose unit it is; default: the final feature map (the report's structure.resolution.finalFeatureMapLayer)"),
    channels: z.array(integerIn(0, undefined, 'a channel'), { error: 'channels is a list of channel indices' }).min(1, { error: 'channels is empty; leave it out to sum over all' }).optional().describe('channels summed into the unit; default: all'),
    // its length is checked against the map it indexes (runtime/backward.ts resolveTarget: 400 at $.position naming the map's shape)
    position: z
      .array(integerIn(0, undefined, 'position'), { error: "position is [row, column], or [t, row, column] in a clip's map" })
      .min(1, { error: "position is [row, column], or [t, row, column] in a clip's map" })
      .optional()
      .describe("the unit [row, column] in the map, [t, row, column] in a clip's map [N, C, T, H, W]; default: the centre ⌊H/2⌋, ⌊W/2⌋ (and ⌊T/2⌋)"),
    input: z
      .enum(['given', 'random', 'luo'], { error: 'must be "given", "random" or "luo"' })
      .optional()
      .describe(
        'given: the gradient at the tensors in "inputs" (default when they are given); random: the mean of |gradient| over `samples` seeded N(0, 1) inputs (default otherwise); luo: Luo et al. 2016\'s setting, random inputs and seeded weights re-drawn per sample (weights from the file or the request stay as given), nonlinearities kept',
      ),
    inputName: z
      .string({ error: "inputName is the name of one of the network's inputs" })
      .min(1, { error: 'inputName is empty; leave it out for the first image input' })
      .optional()
      .describe(
        "the network input the ERF is measured at (an image [N, C, H, W] or a clip [N, C, T, H, W]); default: the first such input. Another name is INVALID_OPTION at $.inputName listing the network's inputs. The other inputs: with input given, their tensors in `inputs` (every input is given, as a run's are); with random and luo, seeded N(0, 1) draws of their own",
      ),
    samples: integerIn(1, MAX_SAMPLES, 'samples').default(8).describe(`random inputs averaged over (1–${MAX_SAMPLES}), run in parallel across the workers`),
    inputs: z.union([TensorField, NamedTensors], { error: 'inputs is a tensor or an object of tensors by input name' }).optional().describe('the input (mode given): one tensor, or tensors by input name; .npy parts named after the input also count'),
    weights: NamedTensors.optional().describe('weights by `<layer>.<role>` or as a PyTorch state_dict names them, as POST /v1/run takes them; .npy parts named `weights.<key>` also count'),
    weightInit: z.enum(['file', 'seed'], { error: 'must be "file" or "seed"' }).optional().describe('weights not given: from the ONNX file (default for ONNX; refused for a spec or zoo model, which have no file) or seeded (default otherwise)'),
    seed: integerIn(0, MAX_SEED, 'seed').default(0).describe('seed of the weights not given and of the random inputs, 0 to 2^32 − 1'),
    stages: z.boolean({ error: 'must be true or false' }).default(true).describe("also the statistics of every stage's output (the last map at each effective stride), from the same forward pass"),
    stageBy: z
      .enum(['stride', 'name'], { error: 'must be "stride" or "name"' })
      .default('stride')
      .describe('stages end at each downsampling (stride: the last map at each effective stride) or at module boundaries (name: layer1 … layer4, features.0 …, the shallowest name prefix that splits the maps)'),
    heatmap: z.boolean({ error: 'must be true or false' }).default(true).describe('draw the heatmap (PNG in base64 and SVG) with the theoretical box'),
    format: z.enum(ENCODINGS, { error: `must be one of ${ENCODINGS.join(', ')}` }).optional().describe("the gradient's encoding: json, flat, base64, or npy (the gradient alone as a .npy file, its statistics in x-erf-statistics); default: npy when Accept rates application/x-npy above JSON, else the input's (base64 for a .npy input whose Accept rates JSON above .npy or refuses it), else json"),
  })
  .describe('the effective receptive field of one output unit: its input gradient, statistics and heatmap');
export type ErfRequest = z.output<typeof ErfRequest>;

export interface ErfRequestFiles {
  fields: Record<string, unknown>;
  /** .npy parts by name, and the ONNX file part "model". */
  files: Map<string, Uint8Array>;
}

/** Tensors of a JSON field and .npy parts (`prefix` + name), by name. */
function tensors(raw: unknown, files: Map<string, Uint8Array>, prefix: string, path: string, max: number, used: Set<string>): { byName: Map<string, Tensor>; encoding: Encoding | null } {
  // one bare tensor ({ shape, … }) stands for the only input: named "" beside the file parts
  if (raw !== undefined && raw !== null && typeof raw === 'object' && Object.hasOwn(raw, 'shape') && !prefix) {
    const t = tensorIn(raw, path, max);
    const parts = namedTensors(undefined, files, prefix, path, max, used);
    return { byName: new Map([['', t.tensor], ...parts.tensors]), encoding: t.encoding };
  }
  // keyed: a name given in the JSON and as a file part is refused there
  const named = namedTensors(raw, files, prefix, path, max, used);
  return { byName: named.tensors, encoding: named.encoding };
}

/** The job a request asks for, and the gradient's encoding. */
export function erfRequest(body: ErfRequestFiles, maxElements: number, preference?: TensorPreference): { job: ErfJob; encoding: Encoding } {
  const f = parseRequest(ErfRequest, body.fields, { in: 'body' });
  const used = new Set<string>();
  const file = body.files.get('model');
  if (file) used.add('model');
  if (file && f.onnxBase64 !== undefined) throw new ConvlensError('SPEC_INVALID', 'give one network, not an ONNX file part "model" and onnxBase64', { path: '$.onnxBase64' });
  const onnx = file ?? (f.onnxBase64 === undefined ? undefined : onnxFromBase64(f.onnxBase64, '$.onnxBase64'));
  if (f.inputShape && onnx === undefined) throw new ConvlensError('INVALID_OPTION', 'inputShape is for an ONNX file with dynamic dimensions; a spec or zoo model has its own input shape', { path: '$.inputShape' });
  const source = requestSource(
    { spec: f.spec, specAt: '$.spec', model: f.model, resolution: f.resolution, onnx: onnx && transferable(onnx), onnxAt: file ? 'model' : '$.onnxBase64', ...(f.inputShape && { inputShapes: { '': f.inputShape }, inputShapesAt: '$.inputShape' }) },
    'spec, model (a zoo name), onnxBase64, or an ONNX file part "model"',
  );
  const given = tensors(own(body.fields, 'inputs'), body.files, '', '$.inputs', maxElements, used);
  const weights = tensors(own(body.fields, 'weights'), body.files, 'weights.', '$.weights', maxElements, used).byName;
  const unread = [...body.files.keys()].filter((k) => !used.has(k));
  if (unread.length) {
    throw new ConvlensError('INVALID_OPTION', `file part '${unread[0]}' not read: name a file "model" (the ONNX file), after an input, or weights.<layer>.<role>`, { path: unread[0] });
  }
  const mode = f.input ?? (given.byName.size ? 'given' : 'random');
  if (mode === 'given' && given.byName.size === 0) throw new ConvlensError('INVALID_TENSOR', 'input "given" needs the input tensor in "inputs" (or a .npy part named after the input)', { path: '$.inputs' });
  if (mode !== 'given' && given.byName.size) throw new ConvlensError('INVALID_OPTION', `input "${mode}" draws its own inputs; leave "inputs" out, or say input "given"`, { path: '$.inputs' });
  if (mode === 'given' && Object.hasOwn(body.fields, 'samples')) throw new ConvlensError('INVALID_OPTION', 'samples counts random inputs; with input "given" there is one', { path: '$.samples' });
  return {
    job: {
      source,
      mode,
      samples: mode === 'given' ? 1 : f.samples,
      inputs: dict([...given.byName].map(([k, v]) => [k === '' ? 'input' : k, v] as const)),
      ...(f.inputName !== undefined && { inputName: f.inputName }),
      weights: dict(weights),
      weightInit: weightInitFor(f.weightInit, source),
      seed: f.seed,
      target: { layer: f.layer ?? '', channels: f.channels ?? null, position: f.position ?? null },
      stages: f.stages,
      stageBy: f.stageBy,
      heatmap: f.heatmap,
      maxElements,
    },
    encoding: answerEncoding(f.format, given.encoding ?? 'json', preference),
  };
}
