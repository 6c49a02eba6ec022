/** Tensors in requests and responses: the encoding a client used is the one it gets back, unless it asks. */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { ConvlensError, jsonPath } from '../errors.js';
import { answerBytes, answerDtype, decodeNpy, decodeTensor, encodeTensor, npyHeader } from '../tensor/encoding.js';
import { stats } from '../tensor/stats.js';
import type { Tensor } from '../tensor/tensor.js';
import { npyBytes } from '../runtime/answer-bound.js';
import { releaseBuffers } from '../runtime/memory.js';
import { chargeAnswerTensors } from './admission.js';
import { owned } from './body.js';
import { TensorJsonOut, checkSize, statsPaced } from './stream.js';

export type Encoding = 'json' | 'flat' | 'base64' | 'npy';
export const ENCODINGS: Encoding[] = ['json', 'flat', 'base64', 'npy'];

export function encodingOf(raw: unknown): Encoding {
  if (raw && typeof raw === 'object' && 'base64' in raw) return 'base64';
  const data = (raw as { data?: unknown } | null)?.data;
  const shape = (raw as { shape?: unknown[] } | null)?.shape;
  return Array.isArray(data) && data.length > 0 && !Array.isArray(data[0]) && Array.isArray(shape) && shape.length > 1 ? 'flat' : 'json';
}

export function tensorIn(raw: unknown, path: string, max: number): { tensor: Tensor; encoding: Encoding } {
  return { tensor: decodeTensor(raw, path, max), encoding: encodingOf(raw) };
}

/** A .npy part: float32 data read here stays where it is (a view of the request's bytes). */
export function npyIn(bytes: Uint8Array, path: string, max: number): { tensor: Tensor; encoding: Encoding } {
  return { tensor: decodeNpy(bytes, path, max, { view: owned(bytes) }), encoding: 'npy' };
}

export function chooseEncoding(asked: unknown, fallback: Encoding): Encoding {
  if (asked === undefined || asked === null) return fallback;
  if (typeof asked !== 'string' || !ENCODINGS.includes(asked as Encoding)) {
    throw new ConvlensError('INVALID_OPTION', `format must be one of ${ENCODINGS.join(', ')}, got ${JSON.stringify(asked)}`, { path: '$.format' });
  }
  return asked as Encoding;
}

/** What Accept asks of a tensor answer when the request names no format (http/formats.ts acceptedTensorFormat). */
export type TensorPreference = 'npy' | 'json';

/**
 * The answer's encoding: `format` when the request gives one; else .npy when Accept prefers it, or
 * the request's own encoding, base64 in JSON for a .npy request whose Accept prefers JSON (rates it
 * above .npy, or refuses .npy).
 */
export function answerEncoding(asked: unknown, requestEncoding: Encoding, preference?: TensorPreference): Encoding {
  if (asked !== undefined && asked !== null) return chooseEncoding(asked, requestEncoding);
  if (preference === 'npy') return 'npy';
  return preference === 'json' && requestEncoding === 'npy' ? 'base64' : requestEncoding;
}

/** A tensor for a JSON response (npy falls back to base64 inside JSON), with summary statistics. */
export function tensorOut(t: Tensor, encoding: Encoding): Record<string, unknown> {
  const body = encoding === 'base64' || encoding === 'npy' ? encodeTensor(t, 'base64', true, answerDtype(t)) : encodeTensor(t, 'json', encoding === 'json');
  return { ...body, stats: stats(t) };
}

/** tensorOut, encoded only when the answer is sent (stream.ts sendJson): for REST answers of any size. */
export function tensorOutLazy(t: Tensor, encoding: Encoding, lead: Record<string, unknown> = {}): TensorJsonOut {
  return new TensorJsonOut(t, encoding === 'npy' ? 'base64' : encoding, lead);
}

/**
 * A single tensor answered as a .npy file when that is the encoding (true), else nothing sent
 * (false): the header, then the tensor's own bytes (no copy; a float16 one converted to 2-byte elements); its stats computed in slices for
 * x-tensor-stats. It answers whether it sent, not the reply: a Fastify reply is a thenable, so an
 * async function returning it resolves to undefined once the reply is sent, which read as "not sent"
 * and sent the JSON answer after it.
 */
export async function sendNpy(reply: FastifyReply, tensors: Tensor[], encoding: Encoding, maxBytes = Infinity): Promise<boolean> {
  if (encoding !== 'npy' || tensors.length !== 1) return false;
  const [t] = tensors;
  // a tensor the graph types FLOAT16 in 2-byte elements (<f2); the rest float32, its own bytes
  const dtype = answerDtype(t);
  const header = npyHeader(t.shape, dtype);
  // the bound a run's answer is checked by before its kernels run (runtime/answer-bound.ts npyBytes)
  checkSize(npyBytes(t.shape), maxBytes, tensors, 'npy');
  const s = t.data.length > 1 << 16 ? await statsPaced(t) : stats(t);
  const bytes = answerBytes(t, dtype);
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  reply
    .header('content-type', 'application/x-npy')
    .header('content-length', String(header.length + data.length))
    .header('x-tensor-shape', t.shape.join(','))
    .header('x-tensor-stats', JSON.stringify(s))
    .send(data.length > 1 << 16 ? Readable.from([header, data], { objectMode: false }) : Buffer.concat([header, data]));
  return true;
}

/** Buffers a reply releases once sent (releaseWhenSent). */
const RELEASING = new WeakMap<FastifyReply, ArrayBufferLike[]>();

/**
 * Once the answer is sent (the response's 'finish': its bytes are with the kernel), the memory of
 * the tensors it carried goes back at once (runtime/memory.ts releaseBuffers) instead of at the
 * main thread's next full collection. Only for tensors nothing else holds: a request's results.
 * A connection closed before the end of an answer handed over gives them back a second after it closed.
 * Until then they are charged to the request's share of the memory budget (admission.ts
 * chargeAnswerTensors: 503 OVERLOADED when it is spent), which goes back with the response.
 */
export function releaseWhenSent(reply: FastifyReply, tensors: Iterable<Tensor>): void {
  const list = [...tensors];
  const buffers = list.map((t) => t.data.buffer);
  try {
    // held until sent: charged to the request's reservation meanwhile (admission.ts)
    chargeAnswerTensors(reply.request, list);
  } catch (e) {
    // not sent, then: their memory goes back now
    releaseBuffers(buffers);
    throw e;
  }
  const held = RELEASING.get(reply);
  if (held) {
    held.push(...buffers);
    return;
  }
  // one listener a reply, however many results it carries (a GraphQL document's aliased fields)
  RELEASING.set(reply, buffers);
  const release = () => {
    if (RELEASING.get(reply) !== buffers) return;
    RELEASING.delete(reply);
    releaseBuffers(buffers);
  };
  reply.raw.once('finish', release);
  // a connection closed before the end (a client gone, or SEND_TIMEOUT_MS): once it is closed no
  // write holds them (libuv has ended or cancelled each), so they go back too, not at the
  // collector's next full collection (2.7 GB of unread answers stayed for minutes). Only an answer
  // already handed to fastify (reply.sent): before that its handler may still read them (sendNpy's
  // paced statistics); and a second later, once a paced encoder pulled by the torn-down stream has
  // stopped
  reply.raw.once('close', () => {
    if (reply.sent) setTimeout(release, 1000).unref();
  });
}

/** The form part that is a run's ONNX file, never a tensor. */
const MODEL_PART = 'model';
/** The prefix of a weight's form part: `weights.<layer>.<role>`, `weights.<role>` for an operator. */
export const WEIGHTS_PART = 'weights.';

/**
 * Named tensors from a JSON object and .npy files, by name in a Map; the first encoding seen is the
 * response's default. With `prefix` (`weights.`) the parts named so; without, every other part but
 * the ONNX file `model` is an input by its name whatever it holds (`input.1`, as torch.onnx.export
 * names an input, was skipped for its dot, and the run answered "give the input tensor(s)"): a name
 * the network lacks is refused where the inputs are bound, with the closest. So a part named
 * `weights.…` is a weight and `model` the file; an input called so is given in the JSON `inputs`.
 */
export function namedTensors(
  raw: unknown,
  files: Map<string, Uint8Array>,
  prefix: string,
  path: string,
  max: number,
  used: Set<string>,
): { tensors: Map<string, Tensor>; encoding: Encoding | null } {
  const tensors = new Map<string, Tensor>();
  let encoding: Encoding | null = null;
  // a list has no names to bind its tensors by ([x] was read as the input '0', at $.inputs["0"])
  if (Array.isArray(raw)) throw new ConvlensError('INVALID_TENSOR', `${path.slice(2)} is a list; give an object of tensors by name: { "${prefix ? 'conv1.weight' : 'x'}": { "shape": […], "data": […] } }`, { path });
  if (raw !== undefined && raw !== null && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw)) {
      // the key as JSONPath spells it: `$.inputs.x`, `$.inputs["1"]`, `$.weights["c.weight"]`
      const t = tensorIn(v, path + jsonPath([k]).slice(1), max);
      tensors.set(k, t.tensor);
      encoding ??= t.encoding;
    }
  }
  for (const [field, bytes] of files) {
    if (prefix ? !field.startsWith(prefix) : field.startsWith(WEIGHTS_PART) || field === MODEL_PART) continue;
    used.add(field);
    const name = prefix ? field.slice(prefix.length) : field;
    // in the JSON and as a file: one would be silently lost
    if (tensors.has(name)) throw new ConvlensError('INVALID_TENSOR', `${path.slice(2)}.${name} is given twice, as a file part '${field}' and in "request"`, { path: path + jsonPath([name]).slice(1) });
    const t = npyIn(bytes, field, max);
    tensors.set(name, t.tensor);
    encoding ??= t.encoding;
  }
  return { tensors, encoding };
}
