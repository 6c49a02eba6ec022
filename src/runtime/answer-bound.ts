/**
 * The size of a run's answer, known before any kernel runs. An answer's tensors are bounded from
 * their shapes alone (MAX_RESPONSE_BYTES: 413 RESPONSE_TOO_LARGE); the shapes of a run's outputs
 * and captures are the inference's, so a run (POST /v1/run, an operator call, their GraphQL fields)
 * whose tensors alone are over the limit is refused before its first kernel, not after the work.
 *
 * The bound is the encoder's own, term for term (http/stream.ts answerBound, tensors.ts sendNpy:
 * these functions): a JSON answer is its envelope (envelopeBytes: the rest of its JSON, as
 * bounded before the run) and each tensor's TENSOR_OVERHEAD, lead (`{"name":…}`) and data's bound
 * in its encoding (tensor/encoding.ts encodedBytesBound: json nested, flat, base64; npy is base64
 * inside JSON); a single tensor answered as .npy is its header and its float32 bytes. A GraphQL
 * answer charges each selected `data` (flat) and `base64` to the operation's budget
 * (graphql/answer-budget.ts). So a run refused here is one the encoder would refuse, and one let
 * through is one the encoder lets through, whenever every tensor's shape is known; the encoder
 * still checks the whole answer when it writes it.
 *
 * A tensor whose size depends on values (NonZero, NonMaxSuppression, TopK with a computed k, a
 * Loop's trip count: a DATA_DEPENDENT_SHAPE warning), or one computed from such a tensor, is
 * inferred at an upper bound: it is left to the encoder, which sees its real shape.
 */
import type { Inference } from '../analysis/infer.js';
import { ConvlensError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import { graphOutputs } from '../graph/walks.js';
import { encodedBytesBound, npyHeader } from '../tensor/encoding.js';
import { numel } from '../tensor/tensor.js';

/** Bytes of a tensor object beside its data: keys, punctuation, the shape (≤ 8 × 17 digits), dtype and stats (4 × 25). */
export const TENSOR_OVERHEAD = 384;

/**
 * Bytes a JSON answer is counted for beside its tensors, known before the run: ENVELOPE_RESERVE
 * and a byte a tensor (the comma before it). The rest of the answer is computed with the run (an
 * operator's name, cost and facts, about 250–700 bytes; a run's source and brackets, about 150 and
 * an ONNX file's producer name), so the encoder counts the larger of this and what it writes
 * (stream.ts answerBound): the bound before the run and the bound when the answer is written are
 * then the same number, unless the rest is over the reserve (a producer name of kilobytes), when
 * the encoder's bound is the larger.
 */
export const ENVELOPE_RESERVE = 2048;
export const envelopeBytes = (tensors: number): number => ENVELOPE_RESERVE + tensors;

/** How a REST answer writes tensors (http/tensors.ts Encoding). */
export type AnswerEncoding = 'json' | 'flat' | 'base64' | 'npy';

/** What a GraphQL selection writes of each tensor of a list (NamedTensor.tensor's data and base64). */
export interface TensorFields {
  data: boolean;
  base64: boolean;
}

/**
 * The answer a run is for, and its limit: a REST answer in one encoding, or a GraphQL field
 * whose outputs and captures select `data` and `base64` (`charged`: what the operation's earlier
 * fields have charged to the same budget).
 */
export type AnswerLimit =
  | { kind: 'rest'; maxBytes: number; encoding: AnswerEncoding; accepts?: AcceptedMedia }
  | { kind: 'graphql'; maxBytes: number; charged: number; outputs: TensorFields; captured: TensorFields };

/**
 * What a REST request's Accept header allows of a tensor answer's two media types (http/formats.ts
 * acceptedMedia): a .npy file (one tensor asked for as npy) or JSON (anything else). `header`: the
 * Accept header, for the message.
 */
export interface AcceptedMedia {
  npy: boolean;
  json: boolean;
  header: string;
}

/**
 * 406 NOT_ACCEPTABLE at `headers.accept` when Accept refuses the media type of the answer: one
 * tensor asked for as npy is a .npy file, anything else JSON (`tensors`: how many it holds, or
 * Infinity for a run with captures, always JSON). Its count is known before any kernel runs
 * (checkAnswer), so the work is not done for an answer that cannot be sent.
 */
export function checkAnswerMedia(accepts: AcceptedMedia, encoding: string, tensors: number): void {
  const npy = encoding === 'npy' && tensors === 1;
  if (npy ? accepts.npy : accepts.json) return;
  const why = npy ? `a .npy file: its format is npy` : encoding === 'npy' ? `JSON: a .npy file holds one tensor and this answer has ${Number.isFinite(tensors) ? tensors : 'captures beside its outputs'}` : `JSON: its format is ${encoding}`;
  throw new ConvlensError('NOT_ACCEPTABLE', `this answer is ${why}; Accept allows only ${accepts.header}: ${npy ? 'ask for another format, or allow application/x-npy' : 'allow application/json, or ask for one tensor as npy'}`, {
    path: 'headers.accept',
    offered: [npy ? 'application/x-npy' : 'application/json'],
  });
}

/** A tensor of the answer: its name there, its shape, and whether it is a capture. */
export interface AnswerTensor {
  name: string;
  shape: readonly number[];
  captured?: boolean;
}

/** A tensor of a JSON answer, as stream.ts writes it: the overhead, the lead and the data's bound. */
export function jsonTensorBytes(shape: readonly number[], encoding: 'json' | 'flat' | 'base64', lead: Record<string, unknown>): number {
  return TENSOR_OVERHEAD + Buffer.byteLength(JSON.stringify(lead)) + encodedBytesBound(shape, encoding);
}

/** A tensor answered as a .npy file (tensors.ts sendNpy): the header and the float32 bytes. */
export const npyBytes = (shape: readonly number[]): number => npyHeader(shape).length + 4 * numel(shape);

const dims = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * RESPONSE_TOO_LARGE for a REST answer (stream.ts, tensors.ts, and the check before a run): the
 * tensors by name with their shapes, the encoding, the bound and the limit, at `$.format`.
 */
export function responseTooLarge(bound: number, limit: number, tensors: readonly AnswerTensor[], encoding: string, beforeRun = false): ConvlensError {
  const elements = tensors.reduce((n, t) => n + numel(t.shape), 0);
  const advice = encoding === 'json' || encoding === 'flat' ? 'format base64 or npy (4 and 1.33 bytes per value rather than up to 26), or a smaller output' : 'a smaller output';
  const named = tensors.length <= 4 ? `${tensors.map((t) => `'${t.name}' ${dims(t.shape)}`).join(', ')}: ` : `${tensors.length} tensors: `;
  const when = beforeRun ? ', refused before running' : '';
  return new ConvlensError('RESPONSE_TOO_LARGE', `the answer (${named}${elements} values as ${encoding}) could take ${bound} bytes, over the ${limit}-byte limit (MAX_RESPONSE_BYTES)${when}; ask for ${advice}`, {
    path: '$.format',
    limit,
    estimate: bound,
    shapes: Object.fromEntries(tensors.map((t) => [t.name, [...t.shape]])),
  });
}

/** A REST answer's tensors: one alone as .npy when that is the encoding (sendNpy), else each in the JSON (npy as base64). */
function restBound(encoding: AnswerEncoding, tensors: readonly AnswerTensor[]): { bytes: number; encoding: string } {
  if (encoding === 'npy' && tensors.length === 1) return { bytes: npyBytes(tensors[0].shape), encoding };
  const json = encoding === 'npy' ? 'base64' : encoding;
  return { bytes: envelopeBytes(tensors.length) + tensors.reduce((n, t) => n + jsonTensorBytes(t.shape, json, { name: t.name }), 0), encoding: json };
}

/** A GraphQL field's selected tensor fields, as the Tensor resolvers charge them (graphql/results.ts). */
function graphqlBound(limit: Extract<AnswerLimit, { kind: 'graphql' }>, tensors: readonly AnswerTensor[]): number {
  return tensors.reduce((n, t) => {
    const fields = t.captured ? limit.captured : limit.outputs;
    return n + (fields.data ? encodedBytesBound(t.shape, 'flat') : 0) + (fields.base64 ? encodedBytesBound(t.shape, 'base64') : 0);
  }, 0);
}

function graphqlTooLarge(limit: Extract<AnswerLimit, { kind: 'graphql' }>, bytes: number, tensors: readonly AnswerTensor[]): ConvlensError {
  const written = (t: AnswerTensor) => {
    const f = t.captured ? limit.captured : limit.outputs;
    return f.data && f.base64 ? 'the data as JSON and the base64' : f.data ? 'the data as JSON' : f.base64 ? 'the base64' : '';
  };
  const selected = tensors.filter((t) => written(t) !== '');
  const what =
    selected.length <= 4
      ? selected.map((t) => `${written(t)} of ${t.captured ? 'capture' : 'output'} '${t.name}' (a ${t.shape.join('×')} tensor)`).join(', ')
      : `the data and base64 selected of ${selected.length} tensors`;
  const after = limit.charged ? ` (after ${limit.charged} for the fields before it)` : '';
  // the advice of the Tensor resolvers (graphql/results.ts): base64 instead of data, else stats or REST
  const data = limit.outputs.data || limit.captured.data;
  const advice = data
    ? 'select base64 (about 5 times smaller) or stats, or ask REST (its answers are streamed, up to MAX_RESPONSE_BYTES)'
    : 'select stats, or ask REST for it as .npy (streamed, up to MAX_RESPONSE_BYTES)';
  return new ConvlensError(
    'RESPONSE_TOO_LARGE',
    `${what} could take ${bytes} bytes${after}, over the ${limit.maxBytes}-byte limit of a GraphQL answer, which is built whole in memory; refused before running: ${advice}`,
    { limit: limit.maxBytes, estimate: limit.charged + bytes, shapes: Object.fromEntries(selected.map((t) => [t.name, [...t.shape]])) },
  );
}

/** RESPONSE_TOO_LARGE when the tensors alone are over the answer's limit (the rest of the answer only adds to it). */
export function checkAnswerTensors(limit: AnswerLimit, tensors: readonly AnswerTensor[]): void {
  if (tensors.length === 0) return;
  if (limit.kind === 'rest') {
    const { bytes, encoding } = restBound(limit.encoding, tensors);
    if (bytes > limit.maxBytes) throw responseTooLarge(bytes, limit.maxBytes, tensors, encoding, true);
    return;
  }
  const bytes = graphqlBound(limit, tensors);
  if (limit.charged + bytes > limit.maxBytes) throw graphqlTooLarge(limit, bytes, tensors);
}

/** Tensors whose size depends on values: the outputs of the layers a DATA_DEPENDENT_SHAPE warning names, and every tensor computed from them; null when a warning names no layer (nothing is known then). */
function dataDependentTensors(graph: Graph, inference: Inference): Set<string> | null {
  const warned = inference.warnings.filter((w) => w.code === 'DATA_DEPENDENT_SHAPE');
  if (warned.some((w) => w.layer === undefined)) return null;
  const layers = new Set(warned.map((w) => w.layer!));
  const tainted = new Set<string>();
  for (const { layer } of inference.analysed) {
    if (layers.has(layer.name) || layer.inputs.some((t) => tainted.has(t))) layer.outputs.forEach((t) => tainted.add(t));
  }
  // a layer the walk did not reach (none is expected): its outputs are not known either
  for (const l of graph.layers) if (layers.has(l.name)) l.outputs.forEach((t) => tainted.add(t));
  return tainted;
}

/**
 * The run's answer checked against `limit` before its kernels run: its outputs (the graph's, in
 * order) and its captures (layer or tensor names, a layer's first output, once each, in the order
 * asked), those whose shapes the inference knows. Unknown captures are left to the run's own check.
 */
export function checkAnswer(limit: AnswerLimit | undefined, graph: Graph, inference: Inference, capture: readonly string[]): void {
  if (!limit) return;
  // how many tensors it holds does not depend on values, even where their sizes do
  if (limit.kind === 'rest' && limit.accepts) checkAnswerMedia(limit.accepts, limit.encoding, capture.length ? Infinity : graphOutputs(graph).filter((o) => o !== '').length);
  const unknown = dataDependentTensors(graph, inference);
  if (!unknown) return;
  const firstOutput = new Map(graph.layers.map((l) => [l.name, l.outputs[0]]));
  const known = (name: string, tensorName: string, captured: boolean): AnswerTensor[] => {
    const shape = inference.tensors.get(tensorName)?.shape;
    return shape && !unknown.has(tensorName) ? [{ name, shape, captured }] : [];
  };
  const outputs = graphOutputs(graph).filter((o) => o !== '');
  const tensors = [...outputs.flatMap((o) => known(o, o, false)), ...[...new Set(capture)].flatMap((c) => known(c, firstOutput.get(c) ?? c, true))];
  checkAnswerTensors(limit, tensors);
}
