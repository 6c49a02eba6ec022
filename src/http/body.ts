/**
 * Request bodies. Binary bodies (ONNX files, .npy tensors) and JSON bodies are read into one buffer
 * of exactly their Content-Length, so a 500 MB model costs 500 MB, not chunks plus a concatenated
 * copy; the buffer owns its ArrayBuffer and moves to a worker without copying. JSON is bounded by
 * JSON_BODY_LIMIT (below V8's longest string) and parsed here only when small: a larger body stays
 * bytes (RawJson) and is parsed in a worker, so it never blocks the event loop.
 * Multipart forms are read in form.ts.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { Kind, visit as visitDocument } from 'graphql';
import { ConvlensError, jsonPath } from '../errors.js';
import { DEFAULT_GRAPHQL_MAX_TOKENS } from '../limits.js';
import { duplicateKeyMessage, jsonTextFault } from '../json-text.js';
import { base64Fault } from '../tensor/encoding.js';
import { jsonParseMessage } from './json-position.js';
import { literalTooLong } from './graphql/literals.js';
import { documentTooLarge } from './graphql/document-size.js';
import { parseOnce } from './graphql/parse-once.js';
import type { BodyAllocator } from './shared-bodies.js';
import { knownDigest, noteDigest } from '../runtime/file-digest.js';

/** ArrayBuffers read here: nobody else holds them, so a tensor may be a view of one and it may be transferred. */
const OWNED = new WeakSet<ArrayBufferLike>();

/** Whether the bytes live in a buffer read here (a view of it may be kept and transferred). */
export function owned(bytes: Uint8Array): boolean {
  return OWNED.has(bytes.buffer);
}

/** Marks bytes moved here from another thread (a worker's task) as owned by their reader. */
export function adopt(bytes: Uint8Array): void {
  // a shared one (a large .npy part: shared-bodies.ts) is only read from here on, by its views
  OWNED.add(bytes.buffer);
}

/** A body's buffer of `size` bytes in an ArrayBuffer of its own, owned here. */
export function plainBodyBuffer(size: number): Buffer {
  const out = Buffer.allocUnsafeSlow(size);
  OWNED.add(out.buffer);
  return out;
}

/** Every body's bytes in plain ArrayBuffers; the compute routes read large .npy parts into shared ones (shared-bodies.ts). */
const PLAIN: BodyAllocator = { buffer: plainBodyBuffer, unused: () => undefined };

/** A buffer from `alloc`, owned here (a SharedArrayBuffer's is handed to a worker without a copy). */
function allocated(alloc: BodyAllocator, size: number): Buffer {
  const out = alloc.buffer(size);
  OWNED.add(out.buffer);
  return out;
}

export const tooLarge = (limit: number, name: string, what = 'the body') =>
  new ConvlensError('PAYLOAD_TOO_LARGE', `${what} is larger than the ${limit}-byte limit (${name})`, { path: 'body', limit });

/**
 * Called with each chunk's size as it arrives (admission.ts bodyCharge: the memory budget of a body
 * still arriving): a plain body's bytes, a form's bytes off the socket ('wire'), then a form part's
 * as it is read ('file' chunks, the 'json' request field), which claim their wire bytes.
 */
export type Charge = (bytes: number, part?: 'file' | 'json' | 'wire') => void;

/**
 * A stream's bytes into one buffer: of `capacity` bytes when an upper bound is known, else assembled
 * once at the end. With `digest`, the bytes are hashed (SHA-256) chunk by chunk as they arrive, and
 * the digest noted for the buffer returned (runtime/file-digest.ts: an ONNX file's model cache key,
 * handed to the worker with the task instead of hashed there). A chunk's update blocks the event
 * loop for about 0.1 ms per 64 KiB, between reads of the socket; the 102 MB ResNet-50 whole in one
 * call took 85 ms.
 */
export async function readInto(stream: AsyncIterable<Buffer>, capacity: number | null, limit: number, overflow: () => Error, charge?: Charge, alloc: BodyAllocator = PLAIN, digest = false): Promise<Buffer> {
  const allocate = (size: number) => allocated(alloc, size);
  const hash = digest ? createHash('sha256') : null;
  const done = (out: Buffer): Buffer => {
    if (hash) noteDigest(out, hash.digest('hex'));
    return out;
  };
  if (capacity !== null) {
    const out = allocate(capacity);
    let at = 0;
    for await (const chunk of stream) {
      if (at + chunk.length > capacity) throw overflow();
      charge?.(chunk.length, 'file');
      chunk.copy(out, at);
      hash?.update(chunk);
      at += chunk.length;
    }
    if (at === capacity) return done(out);
    // far smaller than its capacity (other parts came after it): its own buffer, so the large one is freed
    if (at >= capacity / 2) return done(out.subarray(0, at));
    const exact = allocate(at);
    out.copy(exact, 0, 0, at);
    alloc.unused(out);
    return done(exact);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > limit) throw overflow();
    charge?.(chunk.length, 'file');
    hash?.update(chunk);
    chunks.push(chunk);
  }
  const out = allocate(total);
  let at = 0;
  for (const c of chunks) {
    c.copy(out, at);
    at += c.length;
  }
  return done(out);
}

/** Content-Length as a number, or null without one (chunked). */
export function contentLength(headers: IncomingMessage['headers'] | undefined): number | null {
  const raw = headers?.['content-length'];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

export async function readBinary(stream: IncomingMessage | Readable, limit: number, limitName = 'BODY_LIMIT', charge?: Charge, alloc?: BodyAllocator): Promise<Buffer> {
  const declared = contentLength((stream as IncomingMessage).headers);
  if (declared !== null && declared > limit) throw tooLarge(limit, limitName);
  const longer = () =>
    declared === null ? tooLarge(limit, limitName) : new ConvlensError('INCOMPLETE_BODY', `the body is longer than its Content-Length ${declared}`, { path: 'body' });
  const out = await readInto(stream as AsyncIterable<Buffer>, declared, limit, longer, charge && ((n) => charge(n)), alloc);
  if (declared !== null && out.length !== declared) {
    throw new ConvlensError('INCOMPLETE_BODY', `the body ended after ${out.length} of ${declared} bytes (Content-Length)`, { path: 'body' });
  }
  return out;
}

/**
 * An ONNX file sent as base64 (`onnxBase64`), as bytes that may be transferred to a worker. Text
 * that is not base64 ("!!!!" decoded to nothing, reported as an empty file; text after the padding
 * was dropped) and an empty value are ONNX_INVALID at `path`, before any network is looked at.
 */
export function onnxFromBase64(text: string, path: string): Uint8Array {
  const fault = base64Fault(text);
  if (fault) throw new ConvlensError('ONNX_INVALID', `${path} is not base64: ${fault}`, { path });
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength === 0) throw new ConvlensError('ONNX_INVALID', `${path} is empty: give the ONNX file's bytes in base64`, { path });
  return transferable(bytes);
}

/** The buffer's bytes as a view whose ArrayBuffer may be transferred: as it is when read here, else copied. */
export function transferable(buf: Uint8Array): Uint8Array {
  // a SharedArrayBuffer cannot be transferred (a transfer list holding one throws), owned or not
  if (buf.buffer instanceof ArrayBuffer && (owned(buf) || (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength))) return buf;
  const copy = new Uint8Array(new ArrayBuffer(buf.byteLength));
  copy.set(buf);
  // the same bytes: the digest the route computed of them goes with them (runtime/file-digest.ts)
  noteDigest(copy, knownDigest(buf));
  return copy;
}

/** A charset JSON may be declared in (RFC 8259: UTF-8; US-ASCII is a part of it): a body's (app.ts) and a form's `request` field's (form.ts). */
export function isJsonCharset(charset: string): boolean {
  return /^(utf-?8|us-ascii)$/i.test(charset);
}

/**
 * The charset a Content-Type header declares when it is one a JSON body or a GraphQL document may
 * not be in (isJsonCharset), else undefined: `application/json; charset=iso-8859-1` → 'iso-8859-1'.
 */
export function refusedCharset(contentType: string | undefined): string | undefined {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType ?? '')?.[1];
  return charset !== undefined && charset !== '' && !isJsonCharset(charset) ? charset : undefined;
}

/** Deepest JSON nesting accepted: specs and tensors (rank ≤ 8) need far less; deeper input would only exhaust the stack. */
export const MAX_JSON_DEPTH = 64;

/**
 * JSON bodies above this many bytes are parsed (and checked, and their tensors decoded) in a worker:
 * a 1 MiB parse takes ~5–20 ms on the event loop. A burst of 200 bodies of 781 KB, parsed there
 * from 1 MiB, held GET /healthz for up to 2.0–2.3 s (p50 0.4–0.8 s); from 128 KiB, p50 5.5–6.4 ms
 * and at most 1.3–1.4 s (tmp probe, 2026-12-02; the rest is the answers' encoding).
 */
export const OFFLOAD_JSON_BYTES = 1 << 17;

/** A JSON body or form field left unparsed, to be parsed (parseJsonBody) and used in a worker. */
export class RawJson {
  constructor(
    readonly text: Uint8Array | string,
    /** Where it came from, for messages: `body` or the form field `request`. */
    readonly where: 'body' | 'request' = 'body',
  ) {}
}

// secure-json-parse's patterns: a "__proto__" or "constructor" key, escapes included
const SUSPECT_PROTO = /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/;
const SUSPECT_CONSTRUCTOR = /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:/;

/** Objects whose keys are tensor names: the top-level `inputs` and `weights` (`__proto__` may name a tensor there). */
const NAME_MAPS = ['inputs', 'weights'];

/**
 * A GraphQL request's name maps: the variables its document passes as an `inputs` or `weights`
 * argument (`run(inputs: $x)`) of any field, found by parsing the document (only for a body that
 * holds a `__proto__` key), at most `maxTokens` of it as mercurius reads it (a 32 MiB document took
 * 28 s on the event loop unbounded), in the parse the request's later checks read (parseOnce); none
 * when the document does not parse (mercurius then answers its error). A document over
 * `maxDocumentBytes` (GRAPHQL_MAX_DOCUMENT_BYTES) is refused unparsed (graphql/document-size.ts). A variable of an input object type is safe too: graphql-js refuses a `__proto__` field.
 */
function graphqlNameMaps(root: Record<string, unknown>, maxTokens: number, maxDocumentBytes: number): unknown[] {
  const { query, variables } = root;
  if (typeof query !== 'string' || !variables || typeof variables !== 'object' || Array.isArray(variables)) return [];
  // a document over GRAPHQL_MAX_DOCUMENT_BYTES is refused here, unparsed, as graphql.ts and the worker refuse it (a body without `__proto__` is refused there)
  const tooLarge = documentTooLarge(query, maxDocumentBytes, '$.query');
  if (tooLarge) throw tooLarge;
  if (literalTooLong(query)) return [];
  const names = new Set<string>();
  // the parse the request's other checks read too (graphql/parse-once.ts)
  const parsed = parseOnce(query, maxTokens);
  if ('error' in parsed) return [];
  visitDocument(parsed.doc, {
    Argument(node) {
      if (NAME_MAPS.includes(node.name.value) && node.value.kind === Kind.VARIABLE) names.add(node.value.name.value);
    },
  });
  return [...names].filter((n) => Object.hasOwn(variables, n)).map((n) => (variables as Record<string, unknown>)[n]);
}

/**
 * Prototype poisoning refused as secure-json-parse refuses it (a `__proto__` key, or a
 * `constructor` holding `prototype`), with one exception: tensor names (a REST body's `inputs` and
 * `weights`, a GraphQL request's variables passed as those arguments). JSON.parse makes every key
 * an own property, and the name maps are read as Maps (compute.ts), so `__proto__` names a tensor there.
 */
function refusePoisoning(root: unknown, proto: boolean, ctor: boolean, graphqlTokens: number, maxDocumentBytes: number): void {
  const names = new Set<unknown>();
  if (root && typeof root === 'object' && !Array.isArray(root)) {
    for (const k of NAME_MAPS) if (Object.hasOwn(root, k)) names.add((root as Record<string, unknown>)[k]);
    if (proto) for (const map of graphqlNameMaps(root as Record<string, unknown>, graphqlTokens, maxDocumentBytes)) names.add(map);
  }
  // the objects and arrays to visit, each with its parent and key: the refusal names the key's place
  // (it was at $), its path built only then. A body with a tensor named __proto__ is walked whole,
  // its data too: arrays by index and only objects pushed, no entries or paths per element
  type Visit = { node: object; parent: Visit | null; key: string | number };
  const pathOf = (v: Visit, ...more: string[]): string => {
    const keys: (string | number)[] = more;
    for (let at: Visit | null = v; at && at.parent; at = at.parent) keys.unshift(at.key);
    return jsonPath(keys);
  };
  const stack: Visit[] = root && typeof root === 'object' ? [{ node: root, parent: null, key: '' }] : [];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const node = visit.node;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (v !== null && typeof v === 'object') stack.push({ node: v, parent: visit, key: i });
      }
      continue;
    }
    if (proto && Object.hasOwn(node, '__proto__') && !names.has(node)) {
      throw new ConvlensError('INVALID_JSON', 'the body is not valid JSON: a "__proto__" key is refused (prototype poisoning), except as a tensor name in inputs or weights (in GraphQL: a variable passed as inputs or weights)', { path: pathOf(visit, '__proto__') });
    }
    const c = ctor && Object.hasOwn(node, 'constructor') ? (node as { constructor: unknown }).constructor : undefined;
    if (c && typeof c === 'object' && Object.hasOwn(c, 'prototype')) {
      throw new ConvlensError('INVALID_JSON', 'the body is not valid JSON: a "constructor.prototype" key is refused (prototype poisoning)', { path: pathOf(visit, 'constructor', 'prototype') });
    }
    for (const key in node) {
      if (!Object.hasOwn(node, key)) continue;
      const v: unknown = (node as Record<string, unknown>)[key];
      if (v !== null && typeof v === 'object') stack.push({ node: v, parent: visit, key });
    }
  }
}

/**
 * Parses a JSON body after checking its text (json-text.ts): at most MAX_JSON_DEPTH deep, no
 * object with a key twice. A GraphQL request's document is read for its name maps within
 * `graphqlTokens` and `maxDocumentBytes` (GRAPHQL_MAX_TOKENS, GRAPHQL_MAX_DOCUMENT_BYTES).
 */
export function parseJsonBody(text: string, graphqlTokens = DEFAULT_GRAPHQL_MAX_TOKENS, maxDocumentBytes = Infinity): unknown {
  if (text.trim() === '') throw new ConvlensError('INVALID_JSON', 'the body is empty; send a JSON object', { path: '$' });
  const fault = jsonTextFault(text, MAX_JSON_DEPTH);
  if (fault?.kind === 'deep') throw new ConvlensError('INVALID_JSON', `the body nests deeper than ${MAX_JSON_DEPTH} levels`, { path: '$' });
  if (fault) throw new ConvlensError('INVALID_JSON', `the body is not valid JSON for convlens: ${duplicateKeyMessage(fault)}`, { path: fault.path });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConvlensError('INVALID_JSON', `the body is not valid JSON: ${jsonParseMessage(e, text)}`, { path: '$' });
  }
  const proto = SUSPECT_PROTO.test(text);
  const ctor = SUSPECT_CONSTRUCTOR.test(text);
  if (proto || ctor) refusePoisoning(value, proto, ctor, graphqlTokens, maxDocumentBytes);
  return value;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Whether bytes are UTF-8 (none read as U+FFFD): a JSON body's and an application/graphql document's rule. */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** UTF-8 bytes (or text) of a JSON document, parsed; bytes that are not UTF-8 are INVALID_JSON, not names altered to U+FFFD. */
export function parseJsonBytes(bytes: Uint8Array | string, graphqlTokens = DEFAULT_GRAPHQL_MAX_TOKENS, maxDocumentBytes = Infinity): unknown {
  if (typeof bytes === 'string') return parseJsonBody(bytes, graphqlTokens, maxDocumentBytes);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new ConvlensError('INVALID_JSON', 'the body is not valid JSON: its bytes are not UTF-8 (RFC 8259); send the body in UTF-8', { path: '$' });
  }
  return parseJsonBody(text, graphqlTokens, maxDocumentBytes);
}

/** A JSON body: parsed when small (a GraphQL request's name maps within `graphqlTokens` and `maxDocumentBytes`), else left for a worker. */
export function jsonBody(bytes: Buffer, graphqlTokens = DEFAULT_GRAPHQL_MAX_TOKENS, maxDocumentBytes = Infinity): unknown {
  return bytes.length > OFFLOAD_JSON_BYTES ? new RawJson(bytes) : parseJsonBytes(bytes, graphqlTokens, maxDocumentBytes);
}

/** parseJsonBody, its errors located at the field. */
export function parseRequestField(text: Uint8Array | string): unknown {
  try {
    return parseJsonBytes(text);
  } catch (e) {
    if (e instanceof ConvlensError && e.code === 'INVALID_JSON') throw new ConvlensError('INVALID_JSON', e.message.replace(/^the body/, 'the "request" field'), { ...e.details, path: 'request' });
    throw e;
  }
}

/** The parsed `request` field, which must be an object. */
export function requestObject(fields: unknown): Record<string, unknown> {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new ConvlensError('SPEC_INVALID', 'the "request" field must hold a JSON object', { path: 'request' });
  }
  return fields as Record<string, unknown>;
}
