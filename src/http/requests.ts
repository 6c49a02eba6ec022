/**
 * Request bodies and query strings as zod schemas, beside the report's (analysis/report.ts): REST
 * and GraphQL (whose arguments carry the same fields) validate with them, and the OpenAPI document
 * is generated from them. Objects are strict: an unknown key is a 400 INVALID_OPTION naming it,
 * with its JSONPath (`$.optoins`, `query.resolutoin`) and the closest known key.
 *
 * Tensors are only required to be present here; decodeTensor (tensor/encoding.ts) validates and
 * decodes each one, once, as INVALID_TENSOR with its path. Their documentation is TensorJson's.
 * A spec is checked by its own schema (graph/network.ts) when the graph is loaded.
 */
import { z } from 'zod';
import { AnalyzeOptionsSchema, DtypeOption, FlopConventionOption } from '../analysis/report.js';
import { COMPARE_METRICS } from '../analysis/compare.js';
import { ExtrasOptionsSchema, ReportOptionsSchema } from '../analysis/extras.js';
import { SweepOptionsSchema } from '../analysis/sweep.js';
import { ConvlensError, jsonPath } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { MAX_RESOLUTION } from '../graph/load.js';
import { integerIn, queryInteger } from '../integers.js';
import { MAX_SEED } from '../tensor/random.js';
import { closest } from '../suggest.js';
import { valueAt } from '../records.js';
import { TensorJson } from '../tensor/encoding.js';
import { ENCODINGS } from './tensors.js';
import { REPORT_FORMATS } from './formats.js';
import { keysAt } from './schema-keys.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** TensorJson's JSON Schema, its recursive `data` described in place so it fits in any document. */
function tensorDoc(): Record<string, unknown> {
  const { $schema: _s, $defs: _d, ...doc } = z.toJSONSchema(TensorJson, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  const inline = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(inline)
      : isObject(v)
        ? '$ref' in v
          ? { description: 'numbers: nested arrays following the shape, or one flat array' }
          : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inline(x)]))
        : v;
  return inline(doc) as Record<string, unknown>;
}

/** A tensor in a JSON body: `{ shape, data }` (nested as the shape, or flat) or `{ shape, dtype: "float32", base64 }`. */
export const Tensor = z
  .custom<z.input<typeof TensorJson>>((v) => v !== undefined, { error: 'a tensor is required' })
  .meta({ ...tensorDoc(), description: 'a tensor: { shape, data } with numbers nested as the shape (axes of size 1 may be left out) or flat, or { shape, dtype: "float32", base64 } (little-endian)' });

const NamedTensors = z.record(z.string(), Tensor, { error: 'must map names to tensors' });

const Spec = z
  .custom<Record<string, unknown>>(isObject, { error: 'a network spec is a JSON object' })
  .describe('a network spec: named NCHW inputs and layers (its JSON Schema: GET /v1/schema/network)');

const Format = z
  .enum(ENCODINGS, { error: `must be one of ${ENCODINGS.join(', ')}` })
  .optional()
  .describe("the responses' tensor encoding: json (nested), flat, base64 or npy (a single output as a .npy file); default: npy when Accept rates application/x-npy above JSON, else the request's (base64 for a .npy request whose Accept rates JSON above .npy or refuses .npy)");
const Training = z.boolean({ error: 'must be true or false' }).default(false).describe('training-mode semantics (batch statistics, dropout)');
// the generator's state is 32 bits (tensor/random.ts): a larger seed would repeat a smaller one's numbers
const Seed = integerIn(0, MAX_SEED).default(0).describe('seed of the weight initialisation and dropout masks, 0 to 2^32 − 1');
const Model = z.string().min(1).describe('a built-in model (GET /v1/models)');
const Resolution = integerIn(1, MAX_RESOLUTION)
  .describe("input height and width of a built-in model; default: the one its published numbers use");

/** Error codes by top-level field, or by a field and its key (`new.resolution`), which wins; anything else is INVALID_OPTION. */
const FIELD_CODES = new Map<z.ZodType, Record<string, ErrorCode>>();
function coded<S extends z.ZodType>(schema: S, codes: Record<string, ErrorCode>): S {
  FIELD_CODES.set(schema, codes);
  return schema;
}
const TENSOR_CODES = (...fields: string[]): Record<string, ErrorCode> => Object.fromEntries(fields.map((f) => [f, 'INVALID_TENSOR' as const]));

/** POST /v1/operators/{name}: JSON, or the `request` field of a multipart form whose files are .npy tensors. */
export const OperatorRequest = coded(
  z
    .strictObject({
      inputs: z
        .union([z.array(Tensor), NamedTensors], { error: 'inputs is a list of tensors or an object of tensors by input name' })
        .optional()
        .describe("the operator's inputs: a list, or by name ({ x, offset, mask }); .npy parts named after the input also count"),
      attributes: z
        .record(z.string(), z.unknown(), { error: 'attributes must be an object' })
        .default({})
        .describe("the operator's attributes (GET /v1/operators lists each one's JSON Schema and defaults)"),
      weights: NamedTensors.optional().describe('weights by role (weight, bias, runningMean, …); missing ones come from the seed; .npy parts named `weights.<role>` also count'),
      training: Training,
      seed: Seed,
      format: Format,
    })
    .describe('run one operator'),
  { ...TENSOR_CODES('inputs', 'weights'), attributes: 'SPEC_INVALID' },
);
export type OperatorRequest = z.output<typeof OperatorRequest>;

/** A query flag: true, false, 1 or 0. */
const QueryBool = z.enum(['true', 'false', '1', '0'], { error: 'must be true or false (or 1, 0)' }).transform((v) => v === 'true' || v === '1');

/** POST /v1/operators/{name} with a raw .npy body (the first input): the rest comes from the query. */
export const OperatorQuery = z
  .strictObject({
    attributes: z.string().optional().describe("the operator's attributes as JSON"),
    format: Format,
    seed: queryInteger(integerIn(0, MAX_SEED)).optional().describe('seed of the weight initialisation and dropout masks, 0 to 2^32 − 1'),
    training: QueryBool.optional().describe('training-mode semantics'),
  })
  .describe('query parameters of an application/x-npy body');
export type OperatorQuery = z.output<typeof OperatorQuery>;

/** POST /v1/run: a network (spec, zoo model or ONNX) and its inputs; JSON or the `request` field of a multipart form. */
export const RunRequest = coded(
  z
    .strictObject({
      spec: Spec.optional(),
      model: Model.optional(),
      resolution: Resolution.optional(),
      onnxBase64: z.string().optional().describe('an ONNX file in base64 (or send it as a multipart file part named "model")'),
      inputs: z
        .union([Tensor, NamedTensors], { error: 'inputs is a tensor or an object of tensors by input name' })
        .optional()
        .describe("the network's inputs by name, or one tensor for a single-input network; .npy parts named after the input also count"),
      weights: NamedTensors.optional().describe('weights by `<layer>.<role>` (`bn1.runningMean`) or as a PyTorch state_dict names them: the role in snake_case (`bn1.running_mean`), a module inside the op (`attn.out_proj.weight`), a parameter module by its name (`class_token`), num_batches_tracked of a batch norm (a scalar; ignored by a norm imported from ONNX, which has none); for an ONNX file, an initializer by its own name (`c1.weight`), in the shape the file stores; a torchvision state_dict loads as it is into the zoo models but shufflenet_v2_x1_0 and deeplabv3_resnet50; .npy parts named `weights.<key>` also count'),
      weightInit: z
        .enum(['file', 'seed'], { error: 'must be "file" or "seed"' })
        .optional()
        .describe("weights not given: from the ONNX file (default for ONNX; refused for a spec or built-in model, which have no file) or seeded with PyTorch's default distributions (default otherwise)"),
      training: Training,
      seed: Seed,
      capture: z
        .array(z.string().min(1), { error: 'must be a list of layer names' })
        .superRefine((names, ctx) => {
          // each once: the answer lists a tensor once, so a list zipped with capture would be off by one
          const first = new Map<string, number>();
          names.forEach((name, i) => {
            const at = first.get(name) ?? (first.set(name, i), i);
            if (at < i) ctx.addIssue({ code: 'custom', path: [i], message: `'${name}' is asked twice (capture[${at}] and capture[${i}]); ask for each tensor once` });
          });
        })
        .default([]).describe('layers (or tensors) whose outputs to return besides the graph outputs, each once'),
      fuse: z
        .boolean({ error: 'must be true or false' })
        .default(true)
        .describe('inference-time fusion (BN folded into the conv before it, the residual add and the activation in place on its output); false runs every layer with its own kernel. Ignored in training'),
      format: Format,
    })
    .describe('run a whole network'),
  { spec: 'SPEC_INVALID', ...TENSOR_CODES('inputs', 'weights') },
);
export type RunRequest = z.output<typeof RunRequest>;

/** POST /v1/transforms/fold-batchnorm: a conv's weight (and bias) and the inference BN after it. */
export const FoldRequest = coded(
  z
    .strictObject({
      weight: Tensor.describe('the conv weight [Cout, Cin/g, Kh, Kw]'),
      bias: Tensor.optional().describe('the conv bias [Cout] (none: zeros)'),
      gamma: Tensor.describe('BN weight γ [Cout]'),
      beta: Tensor.describe('BN bias β [Cout]'),
      runningMean: Tensor.describe('BN running mean μ [Cout]'),
      runningVar: Tensor.describe('BN running variance σ² [Cout]'),
      eps: z.number({ error: 'must be a positive number' }).positive({ error: 'must be a positive number' }).default(1e-5).describe('BN epsilon'),
      format: Format,
    })
    .describe("fold an inference batch norm into the conv before it: w' = w·γ/σ, b' = (b − μ)·γ/σ + β, σ = √(var + ε)"),
  TENSOR_CODES('weight', 'bias', 'gamma', 'beta', 'runningMean', 'runningVar'),
);
export type FoldRequest = z.output<typeof FoldRequest>;

/** POST /v1/analyze with `{ spec, options }` or `{ model, resolution, options }` (a bare spec is the other JSON form). */
export const AnalyzeBody = coded(
  z
    .strictObject({
      spec: Spec.optional(),
      model: Model.optional(),
      resolution: Resolution.optional(),
      options: ReportOptionsSchema.optional().describe('element type, FLOP convention, bias additions; and the analyses to add: modules (depth, topK), memory (memory, inPlace), roofline (device), convention, explain'),
    })
    .describe('a network (spec or built-in model) and analysis options'),
  { spec: 'SPEC_INVALID' },
);
export type AnalyzeBody = z.output<typeof AnalyzeBody>;


const ex = ExtrasOptionsSchema.shape;

/** The extra analyses of analysis/extras.ts as query parameters (the body's `options`, as text). */
const ExtrasQuery = {
  depth: queryInteger(ex.depth.unwrap()).optional().describe(ex.depth.description!),
  topK: queryInteger(ex.topK.unwrap()).optional().describe(ex.topK.description!),
  memory: QueryBool.optional().describe(ex.memory.description!),
  inPlace: QueryBool.optional().describe(ex.inPlace.description!),
  device: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe('adds `roofline`: a built-in device id (GET /v1/devices), or a custom profile as JSON: {"name": "npu", "peaks": {"float32": 4e12}, "bandwidth": 5e10}'),
  convention: ex.convention,
  convTranspose: ex.convTranspose,
  explain: QueryBool.optional().describe(ex.explain.description!),
  deployed: QueryBool.optional().describe(ex.deployed.description!),
  erf: QueryBool.optional().describe(ex.erf.description!),
};

/** `?format=`: the answer's format; without it, the Accept header chooses. */
const FormatQuery = (offered: readonly (typeof REPORT_FORMATS)[number][], what: string) =>
  z
    .enum(offered as [string, ...string[]], { error: `must be one of ${offered.join(', ')}` })
    .optional()
    .describe(`${what}; without it, Accept chooses (${offered.filter((f) => f !== 'netron').join(', ')})`);

/** POST /v1/analyze's query string (besides `input.<name>`, shapes for named ONNX inputs). */
export const AnalyzeQuery = z
  .strictObject({
    model: Model.optional(),
    resolution: queryInteger(Resolution)
      .optional()
      .describe('input height and width of the built-in model'),
    input: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('dimensions of the first ONNX input, e.g. 1,3,224,224; `input.<name>=…` names an input'),
    dtype: DtypeOption.optional().describe('element type whose size memory bytes count in'),
    flops: FlopConventionOption.optional().describe('FLOP convention: 2macs, macs or exact (seed: the old name of exact)'),
    includeBias: QueryBool.optional().describe('count one addition per output element of layers with a bias'),
    ...ExtrasQuery,
    format: FormatQuery(REPORT_FORMATS, 'json (the report), csv (a row per layer), md (Markdown), html (a self-contained report with charts) or netron (a Netron attachment, for an uploaded ONNX file)'),
  })
  .describe('POST /v1/analyze query parameters');
export type AnalyzeQuery = z.output<typeof AnalyzeQuery>;

/** GET /v1/models/{name}. */
export const ModelQuery = z
  .strictObject({
    resolution: queryInteger(Resolution).optional().describe('input height and width'),
  })
  .describe('GET /v1/models/{name} query parameters');

/** GET /v1/models/{name}/report: a zoo model's report, HTML by default. */
export const ModelReportQuery = z
  .strictObject({
    resolution: ModelQuery.shape.resolution,
    dtype: AnalyzeQuery.shape.dtype,
    flops: AnalyzeQuery.shape.flops,
    includeBias: AnalyzeQuery.shape.includeBias,
    ...ExtrasQuery,
    format: FormatQuery(['html', 'json', 'md', 'csv'], 'html (default: a self-contained report with charts), json, md or csv'),
  })
  .describe('GET /v1/models/{name}/report query parameters');
export type ModelReportQuery = z.output<typeof ModelReportQuery>;

const OnnxBase64 = z.string().min(1).describe('an ONNX file in base64 (or send it as a multipart file part)');
const InputShapes = z
  .record(z.string(), z.array(z.number().int().positive()).min(1), { error: 'inputShapes maps input names to shapes' })
  .describe('shapes for dynamic ONNX inputs by input name, e.g. { "input": [1, 3, 224, 224] }; the key "" means the first input');

/** One network of a comparison or sweep: exactly one of spec, model or onnxBase64. */
const NetworkFields = {
  spec: Spec.optional(),
  model: Model.optional(),
  resolution: Resolution.optional(),
  onnxBase64: OnnxBase64.optional(),
  inputShapes: InputShapes.optional(),
};
export const NetworkRef = z
  .union([Model, z.strictObject(NetworkFields)], { error: 'a network is a built-in model\'s name, a spec, or { spec | model (with resolution) | onnxBase64 (with inputShapes) }' })
  .describe("a network: a built-in model's name, a spec (bare or as { spec }), { model, resolution }, or { onnxBase64, inputShapes }");
export type NetworkRef = z.output<typeof NetworkRef>;

/** Options of a comparison: the counting ones, and which other totals to compare. */
export const CompareOptions = AnalyzeOptionsSchema.extend({
  memory: z.boolean({ error: 'must be true or false' }).optional().describe('compare peak activation memory too'),
  device: ex.device.describe('compare the roofline latency lower bound on this device too: a built-in id or a profile'),
}).describe('counting options for both networks, and the other totals to compare');

/** POST /v1/compare: two networks (JSON, or file parts `old` and `new` of a multipart form with the JSON in `request`). */
export const CompareRequest = coded(
  z
    .strictObject({
      old: NetworkRef.optional().describe('the network before (or a multipart file part `old`)'),
      new: NetworkRef.optional().describe('the network after (or a multipart file part `new`)'),
      options: CompareOptions.optional(),
      gates: z
        .strictObject(
          Object.fromEntries(
            COMPARE_METRICS.map((m) => [m, z.union([z.string(), z.number()], { error: 'a number or a percentage such as "5%"' }).optional()]),
          ) as Record<(typeof COMPARE_METRICS)[number], z.ZodOptional<z.ZodUnion<[z.ZodString, z.ZodNumber]>>>,
        )
        .optional()
        .describe('largest increase allowed per metric: a number (absolute, 0: none) or a percentage of the old value ("5%"); the answer says which passed'),
      allowIncomplete: z.boolean({ error: 'must be true or false' }).default(false).describe('judge the gates on the analysed layers when an analysis is incomplete (otherwise they are unknown)'),
    })
    .describe('compare two networks: totals with deltas, layers matched by name, module path or position, added and removed layers; gates'),
  // a network at fault is SPEC_INVALID; its resolution and inputShapes are options, INVALID_OPTION as /v1/analyze's and /v1/sweep's
  { old: 'SPEC_INVALID', new: 'SPEC_INVALID', ...Object.fromEntries(['old', 'new'].flatMap((n) => ['resolution', 'inputShapes'].map((k) => [`${n}.${k}`, 'INVALID_OPTION' as const]))) },
);
export type CompareRequest = z.output<typeof CompareRequest>;

/** POST /v1/compare's query string. */
export const CompareQuery = z
  .strictObject({
    format: FormatQuery(['json', 'md'], 'json (the comparison and the gates) or md (a pull-request comment)'),
    input: AnalyzeQuery.shape.input.describe('dimensions of the first input of an ONNX network that gives no inputShapes, e.g. 1,3,224,224; `input.<name>=…` names an input'),
  })
  .describe('POST /v1/compare query parameters');

/** POST /v1/sweep's query string. */
export const SweepQuery = z
  .strictObject({ format: FormatQuery(['json', 'md'], 'json (the sweep) or md (a Markdown table)'), input: CompareQuery.shape.input })
  .describe('POST /v1/sweep query parameters');

const so = SweepOptionsSchema.shape;
/** POST /v1/sweep: one network (JSON, or a multipart file part `model` with the JSON in `request`) at several input sizes. */
export const SweepRequest = coded(
  z
    .strictObject({
      ...NetworkFields,
      sizes: so.sizes,
      input: so.input,
      device: so.device,
      inPlace: so.inPlace,
      options: AnalyzeOptionsSchema.optional().describe('element type, FLOP convention, bias additions'),
    })
    .describe('one network analysed at several input sizes: params, MACs, peak memory, latency, final map, receptive field, validity (r = k·2^n + b)'),
  { spec: 'SPEC_INVALID' },
);
export type SweepRequest = z.output<typeof SweepRequest>;


/** Where a request's fields live: a JSON body (paths `$.…`, under `prefix`) or the query string (`query.…`). */
export type Where = { in: 'body'; prefix?: PropertyKey[] } | { in: 'query' };

const pathOf = (where: Where, parts: readonly PropertyKey[]) => (where.in === 'query' ? `query.${parts.map(String).join('.')}` : jsonPath([...(where.prefix ?? []), ...parts]));

/**
 * Unknown keys, named with their paths and the closest known key; or, for a key that is a field of
 * one of the known objects there (`homes`: {"model": …, "convention": "fvcore"} at the top of an
 * analysis, whose convention goes in its options), that field's place: suggestion `options.convention`.
 */
export function unknownKeys(keys: readonly string[], known: readonly string[], where: Where, at: readonly PropertyKey[] = [], homes: ReadonlyMap<string, string> = new Map()): ConvlensError {
  // a key inside a query parameter's JSON (?device={…}) is a field of it, not a query parameter
  const what = where.in === 'query' && at.length === 0 ? 'query parameter' : 'field';
  const found = keys.map((key) => {
    const home = homes.get(key);
    return { key, path: pathOf(where, [...at, key]), suggestion: home === undefined ? closest(key, known) : `${home}.${key}`, home };
  });
  const named = found
    .map((f) => `'${f.key}'${f.home !== undefined ? ` (a field of '${f.home}': ${pathOf(where, [...at, f.home, f.key])})` : f.suggestion ? ` (did you mean '${f.suggestion}'?)` : ''}`)
    .join(', ');
  const first = found[0];
  return new ConvlensError('INVALID_OPTION', `unknown ${what}${found.length > 1 ? 's' : ''} ${named} at ${found.map((f) => f.path).join(', ')}${known.length ? `; known: ${known.join(', ')}` : ''}`, {
    path: first.path,
    ...(first.suggestion ? { suggestion: first.suggestion } : {}),
    known: [...known],
    ...(found.length > 1 ? { unknown: found.map(({ path, suggestion }) => ({ path, ...(suggestion ? { suggestion } : {}) })) } : {}),
  });
}

/**
 * A union no branch of which matched: the issue of the branch that got furthest into the value (a
 * device profile missing its float32 peak is `$.options.device.peaks.float32`, not "not a device
 * id or a profile"); the union's own issue when every branch failed at the value itself.
 */
function inBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return issue;
  let best: z.core.$ZodIssue | null = null;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && first.path.length > (best?.path.length ?? 0)) best = first;
  }
  return best ? inBranch({ ...best, path: [...issue.path, ...best.path] } as z.core.$ZodIssue) : issue;
}

/**
 * `raw` checked against `schema`, or the catalog error for its first issue: unknown keys before
 * anything else (a misspelt key is usually why a required one is missing).
 */
export function parseRequest<S extends z.ZodType>(schema: S, raw: unknown, where: Where): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const issue = inBranch(issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]);
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(schema, issue.path);
    // a key that belongs one level down, in a known object field (only in a body: a query string is flat)
    const homes = new Map<string, string>();
    if (where.in === 'body') for (const field of known) for (const key of keysAt(schema, [...issue.path, field])) if (!homes.has(key)) homes.set(key, field);
    throw unknownKeys(issue.keys, known, where, issue.path, homes);
  }
  const parts = issue.path as PropertyKey[];
  const path = pathOf(where, parts);
  // a query key given twice comes as an array: said so, not "expected string, received array" or "must be one of …"
  const repeated = where.in === 'query' && parts.length === 1 ? valueAt(raw, parts) : undefined;
  if (Array.isArray(repeated)) throw new ConvlensError('INVALID_OPTION', `${path} is given ${repeated.length} times; give it once`, { path });
  // by the field and the key under it (`new.resolution`), else by the top-level field
  const codes = where.in === 'body' ? FIELD_CODES.get(schema) : undefined;
  const code = codes?.[parts.slice(0, 2).map(String).join('.')] ?? codes?.[String(parts[0])] ?? 'INVALID_OPTION';
  const missing = parts.length > 0 && valueAt(raw, parts) === undefined;
  throw new ConvlensError(code, missing ? `${path} is required` : `${path}: ${issue.message}`, { path });
}
