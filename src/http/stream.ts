/**
 * Answers that carry tensors. Their size is bounded from the tensors' shapes before anything is
 * encoded (MAX_RESPONSE_BYTES: 413 RESPONSE_TOO_LARGE) — and, by the same bound, from the shapes
 * inferred before a run computes them (runtime/answer-bound.ts) — and the JSON is written in pieces — the
 * data of a tensor ~65,000 numbers or 1 MiB of base64 at a time, read from its own memory — so
 * the largest answer neither builds one giant string nor holds the event loop for more than a piece.
 * Small answers (up to STREAM_ABOVE elements) are written out at once, from the same pieces.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';
import type { ConvlensError } from '../errors.js';
import { envelopeBytes, jsonTensorBytes, responseTooLarge } from '../runtime/answer-bound.js';
import { answerDtype, base64Pieces, jsonDataPieces } from '../tensor/encoding.js';
import { statsInSteps } from '../tensor/stats.js';
import type { TensorStats } from '../tensor/stats.js';
import type { Tensor } from '../tensor/tensor.js';

export type JsonEncoding = 'json' | 'flat' | 'base64';

/**
 * A tensor inside an answer, written as tensors.ts tensorOut writes it — `{ …lead, shape, data,
 * stats }` or `{ …lead, shape, dtype, base64, stats }` — when the answer is sent.
 */
export class TensorJsonOut {
  constructor(
    readonly tensor: Tensor,
    readonly encoding: JsonEncoding,
    /** Fields written before the tensor's own (a name). */
    readonly lead: Record<string, unknown> = {},
  ) {}
}

/** Answers of at most this many tensor elements are written at once; larger ones are streamed. */
export const STREAM_ABOVE = 1 << 16;

/** A pause between pieces, where a streaming writer lets the event loop run. */
const PAUSE = Symbol('pause');
type Piece = string | typeof PAUSE;

function* tensorPieces(out: TensorJsonOut): Generator<Piece> {
  const { tensor: t, encoding, lead } = out;
  let head = '{';
  for (const [k, v] of Object.entries(lead)) head += `${JSON.stringify(k)}:${JSON.stringify(v)},`;
  head += `"shape":${JSON.stringify(t.shape)},`;
  if (encoding === 'base64') {
    const dtype = answerDtype(t);
    yield `${head}"dtype":${JSON.stringify(dtype)},"base64":"`;
    for (const piece of base64Pieces(t, undefined, dtype)) {
      yield piece;
      yield PAUSE;
    }
    yield '"';
  } else {
    yield `${head}"data":`;
    for (const piece of jsonDataPieces(t, encoding === 'json')) {
      yield piece;
      yield PAUSE;
    }
  }
  const steps = statsInSteps(t);
  let step = steps.next();
  while (!step.done) {
    yield PAUSE;
    step = steps.next();
  }
  yield `,"stats":${JSON.stringify(step.value satisfies TensorStats)}}`;
}

interface Skeleton {
  /** The answer's JSON with each tensor replaced by a marker. */
  parts: (string | TensorJsonOut)[];
  tensors: TensorJsonOut[];
}

function skeleton(value: unknown): Skeleton {
  const nonce = randomUUID();
  const tensors: TensorJsonOut[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (!(v instanceof TensorJsonOut)) return v;
    tensors.push(v);
    return `${nonce}:${tensors.length - 1}`;
  });
  const parts: (string | TensorJsonOut)[] = [];
  // the nonce is random, so no string in the answer can forge a marker
  const marker = new RegExp(`"${nonce}:(\\d+)"`, 'g');
  let at = 0;
  for (const m of text.matchAll(marker)) {
    parts.push(text.slice(at, m.index), tensors[Number(m[1])]);
    at = m.index + m[0].length;
  }
  parts.push(text.slice(at));
  return { parts, tensors };
}

function* answerPieces(s: Skeleton): Generator<Piece> {
  for (const part of s.parts) {
    if (typeof part === 'string') yield part;
    else yield* tensorPieces(part);
  }
}

/**
 * An upper bound of the answer's bytes: the rest of its JSON (at least its envelope as bounded
 * before the run), and each tensor's bound for its shape and encoding (runtime/answer-bound.ts
 * envelopeBytes, jsonTensorBytes: the terms a run's answer is checked by before its kernels run).
 */
function answerBound(s: Skeleton): number {
  let rest = 0;
  let tensors = 0;
  for (const part of s.parts) {
    if (typeof part === 'string') rest += Buffer.byteLength(part);
    else tensors += jsonTensorBytes(part.tensor.shape, part.encoding, part.lead);
  }
  // the rest of the JSON at least as the check before the run counts it: the same bound either side of the run
  return Math.max(rest, envelopeBytes(s.tensors.length)) + tensors;
}

/** The answer's tensors by their name in it (`lead.name`), else by their place. */
const named = (tensors: readonly { tensor: Tensor; lead: Record<string, unknown> }[]) =>
  tensors.map((t, i) => ({ name: typeof t.lead.name === 'string' ? t.lead.name : String(i), shape: t.tensor.shape }));

function tooLarge(bound: number, limit: number, tensors: readonly { tensor: Tensor; lead: Record<string, unknown> }[], encoding: string): ConvlensError {
  return responseTooLarge(bound, limit, named(tensors), encoding);
}

/**
 * Sends a JSON answer whose TensorJsonOut values are encoded as it goes out: refused (413
 * RESPONSE_TOO_LARGE) when its bound is over `maxBytes`, written at once when small, streamed otherwise.
 */
export function sendJson(reply: FastifyReply, value: unknown, maxBytes: number): FastifyReply {
  const s = skeleton(value);
  const bound = answerBound(s);
  if (bound > maxBytes) throw tooLarge(bound, maxBytes, s.tensors, s.tensors[0]?.encoding ?? 'json');
  reply.type('application/json; charset=utf-8');
  const elements = s.tensors.reduce((n, t) => n + t.tensor.data.length, 0);
  if (elements <= STREAM_ABOVE) {
    let text = '';
    for (const piece of answerPieces(s)) if (piece !== PAUSE) text += piece;
    return reply.send(text);
  }
  async function* paced(): AsyncGenerator<string> {
    for (const piece of answerPieces(s)) {
      if (piece === PAUSE) await tick();
      else if (piece.length > 0) yield piece;
    }
  }
  return reply.send(Readable.from(paced(), { objectMode: false, highWaterMark: 1 << 20 }));
}

/** Stats of a tensor, computed in slices with the event loop free between them. */
export async function statsPaced(t: Tensor): Promise<TensorStats> {
  const steps = statsInSteps(t);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await tick();
  }
}

/** The bound check alone, for an answer sent another way (.npy): `bytes` against `maxBytes`. */
export function checkSize(bytes: number, maxBytes: number, tensors: readonly Tensor[], encoding: string): void {
  if (bytes > maxBytes) throw tooLarge(bytes, maxBytes, tensors.map((tensor) => ({ tensor, lead: {} })), encoding);
}
