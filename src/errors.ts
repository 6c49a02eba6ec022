/**
 * The error catalog: every failure a client can see has a stable code, an HTTP status and a
 * message that names the layer, shapes and attributes involved. Codes never change meaning;
 * add new ones rather than reuse.
 */
export const ERROR_CATALOG = {
  INVALID_JSON: { status: 400, title: 'The request body is not valid JSON' },
  INCOMPLETE_BODY: { status: 400, title: 'The request body does not match its Content-Length' },
  MALFORMED_REQUEST: { status: 400, title: 'The request is not well-formed HTTP (its request line, headers or chunked body)' },
  SPEC_INVALID: { status: 400, title: 'The network spec does not match its schema' },
  UNKNOWN_OP: { status: 400, title: 'A layer names an operator convlens does not know' },
  DUPLICATE_NAME: { status: 400, title: 'Two layers or inputs share a name' },
  UNKNOWN_INPUT: { status: 400, title: 'A layer reads a tensor that no input or layer produces' },
  CYCLE: { status: 400, title: 'The layers form a cycle' },
  INVALID_ATTRIBUTE: { status: 400, title: 'An attribute value is impossible for this layer' },
  RANK_MISMATCH: { status: 400, title: 'An input tensor has the wrong number of dimensions' },
  CHANNEL_MISMATCH: { status: 400, title: 'An input tensor has the wrong number of channels' },
  SHAPE_MISMATCH: { status: 400, title: 'Input shapes are incompatible' },
  KERNEL_TOO_LARGE: { status: 400, title: 'A kernel is larger than its padded input' },
  NON_POSITIVE_SIZE: { status: 400, title: 'A size is zero or negative' },
  SIZE_TOO_LARGE: { status: 400, title: 'A tensor size or layer cost is beyond what convlens counts exactly (over 2^53)' },
  INVALID_OPTION: { status: 400, title: 'A request option is invalid' },
  INVALID_TENSOR: { status: 400, title: 'A tensor is malformed' },
  ONNX_INVALID: { status: 400, title: 'The file is not a valid ONNX model' },
  ONNX_GRAPH_INVALID: { status: 400, title: 'The ONNX graph is malformed' },
  MISSING_DIMENSION: { status: 400, title: 'A dynamic input dimension has no value' },
  UNSUPPORTED_OPERATOR: { status: 400, title: 'The operator cannot run in convlens' },
  UNSUPPORTED_DTYPE: { status: 400, title: 'An ONNX input is not a dense tensor of float, integer or bool elements' },
  UNAUTHORIZED: { status: 401, title: 'An API key is required: Authorization: Bearer <key> or X-API-Key: <key>' },
  UNKNOWN_MODEL: { status: 404, title: 'No built-in model has that name' },
  UNKNOWN_OPERATOR: { status: 404, title: 'No operator has that name' },
  NOT_FOUND: { status: 404, title: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'The route exists, but not for this method' },
  HEADERS_TOO_LARGE: { status: 431, title: "The request's headers are larger than the HTTP parser accepts (16 KiB)" },
  EXPECTATION_FAILED: { status: 417, title: 'The Expect header asks for something other than 100-continue' },
  REQUEST_TIMEOUT: { status: 408, title: 'The client did not send the whole request within REQUEST_TIMEOUT_MS; the connection is closed' },
  JOB_NOT_FOUND: { status: 404, title: 'No job has that id, or it finished longer ago than JOB_TTL_SECONDS' },
  JOB_EVICTED: { status: 410, title: "The job's status and result were forgotten before its expiresAt to make room for newer jobs in the in-process job store (JOB_STORE_MAX_BYTES)" },
  NOT_ACCEPTABLE: { status: 406, title: 'The route cannot answer in a media type the Accept header allows' },
  JOB_CANCELLED: { status: 409, title: 'The job was cancelled (DELETE /v1/jobs/{id}) before it finished' },
  JOB_RESULT_TOO_LARGE: { status: 413, title: "A job's result is larger than the in-process job store (JOB_STORE_MAX_BYTES)" },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is larger than the configured limit' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request content type is not accepted here' },
  TENSOR_TOO_LARGE: { status: 413, title: 'A tensor is larger than the configured limit' },
  GRAPH_TOO_LARGE: { status: 413, title: 'Analysing the network (about 10 KB a layer), or running it (its peak of activations, weights and intermediates), needs more memory than the whole memory budget (MEMORY_BUDGET_BYTES)' },
  WORK_TOO_LARGE: { status: 413, title: 'The run would cost more work (MACs, FLOPs, elements written) than MAX_RUN_WORK allows' },
  ANALYSIS_TOO_LARGE: { status: 413, title: "The analysis would cost more work (the network's layers, weighted by the extra analyses asked for) than MAX_ANALYSIS_WORK allows" },
  RESPONSE_TOO_LARGE: { status: 413, title: 'The answer would be larger than MAX_RESPONSE_BYTES in this encoding; ask for base64 or npy, or a smaller output' },
  WORKER_OUT_OF_MEMORY: { status: 413, title: 'The task needed more memory than a worker may use' },
  CLIENT_CLOSED_REQUEST: { status: 499, title: 'The client closed the connection before the answer (never sent; counted in metrics)' },
  RATE_LIMITED: { status: 429, title: 'Too many requests from this API key or address; retry after Retry-After seconds' },
  OVERLOADED: { status: 503, title: 'The service is at capacity; retry later' },
  TIMEOUT: { status: 503, title: 'The task took longer than the configured limit' },
  NOT_READY: { status: 503, title: 'Not ready for traffic: draining, or the memory budget is over its high-water mark (GET /readyz)' },
  QUEUE_UNAVAILABLE: { status: 503, title: 'The job queue (Redis at REDIS_URL) cannot be reached; retry later' },
  GRAPHQL_INVALID: { status: 400, title: 'The GraphQL request does not parse, does not validate against the schema, or its variables do not fit' },
  QUERY_TOO_COMPLEX: { status: 400, title: 'The GraphQL operation is longer, deeper, wider or costlier than the limits' },
  NO_GRADIENT: { status: 400, title: 'No input gradient reaches the chosen unit: a layer between has no vector-Jacobian product, or the unit does not depend on the input' },
  PARTNER_FAILED: { status: 503, title: 'A partner thread splitting a layer (a convolution, pooling or linear layer) with this worker crashed or stalled; the task was stopped, retry' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export interface ErrorDetails {
  /** JSONPath of the offending field in the request, e.g. `$.layers[3].groups`. */
  path?: string;
  /** The layer (or ONNX node) involved. */
  layer?: string;
  /** Shapes involved, keyed by role: `{ input: [1, 64, 56, 56] }`. */
  shapes?: Record<string, readonly number[] | null>;
  [key: string]: unknown;
}

export class ConvlensError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'ConvlensError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CATALOG[this.code].status;
  }

  toJSON(): SerializedError {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/** A JSONPath in a message: `$`, then `.name`, `[0]` or `["a b"]` steps (not a name such as `$x` a layer may have). */
const JSON_PATH_IN_TEXT = /\$(?:\.[A-Za-z_$][\w$]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*(?![\w$])/g;

/** `text` with each JSONPath that is `path` or leads to it (`$.inputs[0]` of `$.inputs[0].dtype`) moved as `path` is. */
function renamePath(text: string, path: string, move: (path: string) => string): string {
  if (!path.startsWith('$')) return text;
  return text.replace(JSON_PATH_IN_TEXT, (p) => (path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`) ? move(p) : p));
}

/**
 * The error with its path and its issues' paths moved by `move` (a network's errors put under where
 * the request holds it: `$.layers[0]` → `$.spec.layers[0]`), and in their messages where they name
 * it ("$.inputs[0] has no field dtype" said the network's path beside the request's); the issues
 * listed were left behind.
 */
export function movePaths(e: ConvlensError, move: (path: string) => string, message?: string): ConvlensError {
  const { path, issues } = e.details;
  const moved = Array.isArray(issues)
    ? issues.map((i: { path?: unknown; message?: unknown }) => (typeof i?.path === 'string' ? { ...i, path: move(i.path), ...(typeof i.message === 'string' && { message: renamePath(i.message, i.path, move) }) } : i))
    : undefined;
  const text = message ?? (typeof path === 'string' ? renamePath(e.message, path, move) : e.message);
  return new ConvlensError(e.code, text, { ...e.details, ...(typeof path === 'string' && { path: move(path) }), ...(moved && { issues: moved }) });
}

/**
 * Where an ONNX node's layer is in the file (graph/onnx/file-fields.ts): its convlens attributes as
 * the node's AttributeProto or input they were read from, each layer input/output as the node's
 * (−1: not one of them), and the node input each bound weight role is.
 */
export interface OnnxLayerSource {
  format: 'onnx';
  fields?: Readonly<Record<string, { path: string; attribute?: string }>>;
  inputs?: readonly number[];
  outputs?: readonly number[];
  weights?: Readonly<Record<string, number>>;
  /** The file node's op type when the layer is a node the import writes in its place (an unrolled Loop's Concat: Loop): what errors name. */
  fileOpType?: string;
}

/** `.input[1]` of `[1]` (a layer's input or output index) as the node's, or the repeated field itself when the index is none of the node's. */
function nodeSlot(field: 'input' | 'output', index: string | undefined, map: readonly number[] | undefined): string {
  if (index === undefined) return `.${field}`;
  const j = map ? (map[Number(index)] ?? -1) : Number(index);
  return j >= 0 ? `.${field}[${j}]` : `.${field}`;
}

/**
 * A layer's own field under the layer, with the ONNX attribute it names: `$.inputs[1]` (its second
 * input) under `$.layers[3]`. An ONNX node's field is one the file has: `$.graph.node[5].input[1]`,
 * `$.kernelSize` as `$.graph.node[5].attribute[2]` (its kernel_shape), a bound weight
 * (`$.weights.weight`) as the node input holding it, and an attribute convlens derives or defaults
 * as the node itself.
 */
export function fieldUnderLayer(layer: { path: string; source?: OnnxLayerSource }, relative: string): { path: string; onnxAttribute?: string } {
  const rest = relative.slice(1);
  if (layer.source?.format !== 'onnx') return { path: layer.path + rest };
  const step = /^\.([A-Za-z_$][\w$]*)(?:\[(\d+)\])?/.exec(rest);
  if (!step) return { path: layer.path };
  const [, name, index] = step;
  if (name === 'inputs') return { path: layer.path + nodeSlot('input', index, layer.source.inputs) };
  if (name === 'outputs') return { path: layer.path + nodeSlot('output', index, layer.source.outputs) };
  if (name === 'weights') {
    const role = /^\.weights\.([A-Za-z_$][\w$]*)/.exec(rest)?.[1];
    const j = role !== undefined && layer.source.weights && Object.hasOwn(layer.source.weights, role) ? layer.source.weights[role] : undefined;
    return { path: j === undefined ? layer.path : `${layer.path}.input[${j}]` };
  }
  const field = layer.source.fields && Object.hasOwn(layer.source.fields, name) ? layer.source.fields[name] : undefined;
  if (!field) return { path: layer.path };
  return { path: layer.path + field.path, ...(field.attribute !== undefined && { onnxAttribute: field.attribute }) };
}

/** The path of fieldUnderLayer. */
export function underLayer(layer: { path: string; source?: OnnxLayerSource }, relative: string): string {
  return fieldUnderLayer(layer, relative).path;
}

/**
 * A kernel's error (an index out of range, found only in the data) as an inference error is: the
 * message names the layer (once: an operator call's layer is named as its op, which kernels name
 * too), and a path to one of the layer's inputs (`$.inputs[1]`, the indices) or attributes (`$.to`,
 * a key of the layer's attrs) is put under the layer's path; a path into the request (`$.model`)
 * stays; without one, the layer's path. An ONNX node's type is given as inference errors give it
 * (`opType`). An error that already names a layer is left.
 */
export function atLayer(e: unknown, layer: { name: string; path: string; attrs?: Record<string, unknown>; source?: OnnxLayerSource & { opType: string } }): unknown {
  if (!(e instanceof ConvlensError) || e.details.layer !== undefined) return e;
  const prefix = `layer '${layer.name}': `;
  const own = `${layer.name}: `;
  const message = e.message.startsWith(prefix) ? e.message : prefix + (e.message.startsWith(own) ? e.message.slice(own.length) : e.message);
  const given = e.details.path;
  const attribute = typeof given === 'string' ? /^\$\.([A-Za-z_$][\w$]*)/.exec(given)?.[1] : undefined;
  const ownField = typeof given === 'string' && (/^\$\.inputs\[\d+\]/.test(given) || (attribute !== undefined && layer.attrs !== undefined && Object.hasOwn(layer.attrs, attribute)));
  const field = typeof given !== 'string' ? { path: layer.path } : ownField ? fieldUnderLayer(layer, given) : { path: given };
  return new ConvlensError(e.code, message, { ...e.details, ...field, layer: layer.name, ...(layer.source && { opType: layer.source.fileOpType ?? layer.source.opType }) });
}

/** The wire form of an error, also used to move errors across worker threads. */
export interface SerializedError extends ErrorDetails {
  code: ErrorCode;
  message: string;
}

export function fromSerialized(e: SerializedError): ConvlensError {
  const { code, message, ...details } = e;
  return new ConvlensError(code, message, details);
}

/** `$.layers[3].groups` from `['layers', 3, 'groups']`. */
export function jsonPath(parts: readonly PropertyKey[]): string {
  let out = '$';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$]*$/.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

export function fmtShape(shape: readonly number[] | null | undefined): string {
  return shape ? `[${shape.join(', ')}]` : '[?]';
}
