/**
 * Multipart forms: each file part read into one buffer as it streams in (sized from what is left of
 * the Content-Length; untouched capacity is never committed by the OS), the `request` field parsed
 * like a JSON body (body.ts), UTF-8 as a JSON body's must be, parts kept by name in a Map.
 */
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { ConvlensError } from '../errors.js';
import { closest } from '../suggest.js';
import { OFFLOAD_JSON_BYTES, RawJson, contentLength, isJsonCharset, parseRequestField, readInto, requestObject, tooLarge } from './body.js';
import type { Charge } from './body.js';
import type { BodyAllocator } from './shared-bodies.js';
import { UnclosedForm, checkBoundary, namedBoundary, watchClose } from './form-boundary.js';

/** busboy's parser of header parameters (`form-data; name="request"`), as @fastify/multipart's busboy reads them. */
const multipartRequire = createRequire(createRequire(import.meta.url).resolve('@fastify/multipart'));
const parseParams = multipartRequire('@fastify/busboy/lib/utils/parseParams') as (header: string) => (string | [string, string])[];

/** A multipart form: the `request` field (parsed, or left for a worker when large) and the file parts by name. */
export interface Form {
  fields: Record<string, unknown> | RawJson;
  files: Map<string, Buffer>;
  /** Each file part's filename as the client sent it (curl -F model=@nets/resnet18.onnx: `resnet18.onnx`), where it sent one. */
  fileNames: Map<string, string>;
}

interface PartLimits {
  /** Largest file part (BODY_LIMIT). */
  fileLimit: number;
  /** Largest text field (JSON_BODY_LIMIT). */
  fieldLimit: number;
  /** The memory budget's charge for each chunk (admission.ts bodyCharge). */
  charge?: Charge;
  /** Where .npy parts (every file part but 'model', the ONNX file) are read: large ones into shared memory (shared-bodies.ts); plain buffers without. */
  tensors?: BodyAllocator;
  /** Hash the ONNX file part 'model' as it arrives (body.ts readInto `digest`): the model cache's key, for a route whose worker caches the model (/v1/run, /v1/erf). */
  digestModel?: boolean;
}

type Part = { type: 'file'; fieldname: string; filename?: string; file: Readable & { truncated?: boolean } } | { type: 'field'; fieldname: string; value: unknown; valueTruncated?: boolean };

/** A file part into one buffer, at most what is left of the request's Content-Length. */
async function readFilePart(part: Extract<Part, { type: 'file' }>, left: number | null, limits: PartLimits): Promise<Buffer> {
  const capacity = left === null ? null : Math.min(left, limits.fileLimit);
  const alloc = part.fieldname === 'model' ? undefined : limits.tensors;
  const overLimit = () => tooLarge(limits.fileLimit, 'BODY_LIMIT', `file part '${part.fieldname}'`);
  const bytes = await readInto(part.file as AsyncIterable<Buffer>, capacity, limits.fileLimit, overLimit, limits.charge, alloc, part.fieldname === 'model' && limits.digestModel === true);
  if (part.file.truncated) throw overLimit();
  return bytes;
}

/** The `request` field: checked against JSON_BODY_LIMIT and parsed like a JSON body (in a worker when large). */
function requestField(part: Extract<Part, { type: 'field' }>, limits: PartLimits): Record<string, unknown> | RawJson {
  if (part.valueTruncated) throw tooLarge(limits.fieldLimit, 'JSON_BODY_LIMIT', 'the "request" field');
  if (typeof part.value === 'string') limits.charge?.(Buffer.byteLength(part.value), 'json');
  let text: string;
  try {
    // @fastify/multipart parses a field sent as application/json itself: write it back to check it like any other
    text = typeof part.value === 'string' ? part.value : JSON.stringify(part.value);
  } catch (e) {
    throw new ConvlensError('INVALID_JSON', `the "request" field is not JSON: ${(e as Error).message}`, { path: 'request' });
  }
  if (text.length > OFFLOAD_JSON_BYTES) return new RawJson(text, 'request');
  return requestObject(parseRequestField(text));
}

/** The part, which must have a name. */
function named(part: Part): Part {
  if (typeof part.fieldname !== 'string' || part.fieldname === '') {
    if (part.type === 'file') part.file.resume();
    throw new ConvlensError('INVALID_OPTION', 'a form part has no name: each needs Content-Disposition: form-data; name="…"', { path: 'body' });
  }
  return part;
}

/** The form parser's error on a part when the body ends inside it (before the form's close delimiter). */
const PART_CUT = /terminated early due to unexpected end of multipart data/;

/**
 * A file part that stopped in the middle: the form parser gave up on the form (too many parts,
 * broken framing, a body cut short: UnclosedForm) and its own error, the next thing it yields, says
 * why; else the form was cut short.
 */
async function formFailure(parts: AsyncIterator<unknown>, e: unknown): Promise<never> {
  if ((e as NodeJS.ErrnoException | undefined)?.code !== 'ERR_STREAM_PREMATURE_CLOSE' && !PART_CUT.test((e as Error | undefined)?.message ?? '')) throw e;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([parts.next(), new Promise((_, reject) => (timer = setTimeout(() => reject(e), 1000)))]);
  } catch (reason) {
    if (reason !== e) throw reason;
  } finally {
    clearTimeout(timer);
  }
  throw new ConvlensError('INCOMPLETE_BODY', 'the multipart form ended in the middle of a file part', { path: 'body' });
}

/** The first bytes of each form being read (chargedParts), for noParts. */
const FORM_HEADS = new WeakMap<FastifyRequest, Buffer>();
const HEAD_BYTES = 512;

/**
 * A form the parser found no part in: a multipart body holds at least one (RFC 2046), so its
 * boundary is not the one the Content-Type names (or the body is empty). Without this, the form
 * read as empty and the answer spoke of a missing network or file.
 */
function noParts(request: FastifyRequest): ConvlensError {
  // checkBoundary let the form be read, so the Content-Type names a boundary of 1 to 70 bchars
  const named = namedBoundary(request)?.boundary ?? '';
  // the body opens a part but never closes it: the parser yields a part only once its end is seen
  const head = FORM_HEADS.get(request)?.toString('latin1') ?? '';
  // (or stops in that line's end: `--B` or `--B` CR, and the end; the parser has then opened the part)
  const stops = [`--${named}`, `--${named}\r`].some((line) => head === line || head.endsWith(`\r\n${line}`));
  if (head.startsWith(`--${named}\r\n`) || head.includes(`\r\n--${named}\r\n`) || stops) {
    return new ConvlensError('INCOMPLETE_BODY', `the multipart form ended in the middle of its first part: the body opens it (--${named}) but stops before the next boundary line (--${named}, or --${named}-- to close the form)`, { path: 'body' });
  }
  return new ConvlensError('INCOMPLETE_BODY', `the multipart form holds no part: the boundary the Content-Type names, '${named}', never opens a part (a line --${named}); send the boundary the body uses (curl -F sets both)`, { path: 'headers.content-type' });
}

/** What @fastify/busboy's parser has of a form, as far as skippedParts reads it (its internals, @fastify/busboy 3.2). */
interface FormParser {
  hitPartsLimit?: boolean;
  hitFilesLimit?: boolean;
  hitFieldsLimit?: boolean;
  _parser?: { parser?: NodeJS.EventEmitter };
}
type PartStream = NodeJS.EventEmitter & { listenerCount(event: string): number };

/**
 * Calls `refuse` for a part the form parser drops without a word: one with no `Content-Disposition:
 * form-data` (none at all, `attachment`, …) or a name or filename with a line break in it. Such a
 * part never reached the form's reader, so it was silently ignored, and worse: busboy's skipPart
 * resumes it with no 'data' listener, so its bytes are buffered rather than passed on, and a piece
 * of it over the part's highWaterMark (16 KiB) in the write that also closes the form paused the
 * parser (Dicer) for a _read that never comes (the part has ended); Dicer's 'end' handler does not
 * unpause a finished form, the write's callback is never called, busboy never finishes, and the
 * form's iterator waited forever, its memory reserved. A part busboy reads gets its 'data' listener
 * in the same 'header' handler, which runs before this one; the parts it skips past a count limit
 * are its own errors (413).
 */
function watchSkippedParts(bb: FormParser, refuse: (e: ConvlensError) => void): void {
  const dicer = bb._parser?.parser;
  if (!dicer) return;
  let index = 0;
  dicer.on('part', (part: PartStream) => {
    const n = ++index;
    part.on('header', (header: Record<string, string[] | undefined>) => {
      if (part.listenerCount('data') > 0 || bb.hitPartsLimit || bb.hitFilesLimit || bb.hitFieldsLimit) return;
      const disposition = header['content-disposition']?.[0];
      const shown = (v: string) => (v.length > 100 ? `${v.slice(0, 100)}…` : v);
      const why =
        disposition === undefined
          ? 'has no Content-Disposition: form-data header'
          : !/^\s*form-data\s*(;|$)/i.test(disposition)
            ? `has no Content-Disposition: form-data (its Content-Disposition is '${shown(disposition)}')`
            : 'has a name or filename with a line break in it';
      refuse(new ConvlensError('INVALID_OPTION', `part ${n} of the multipart form ${why}: each part needs Content-Disposition: form-data; name="…"`, { path: 'body' }));
    });
  });
}

/** The value of the parameter `name` in a parsed header (`[type, [key, value], …]`), case-insensitively. */
function param(parsed: (string | [string, string])[], name: string): string | undefined {
  return parsed.find((p): p is [string, string] => Array.isArray(p) && p[0].toLowerCase() === name)?.[1];
}

/**
 * Calls `refuse` when the first `request` text field is not UTF-8, as a JSON body must be:
 * - it declares another charset (`text/plain; charset=iso-8859-1`): busboy decoded it in that
 *   charset, where a JSON body in one is refused (app.ts); so is the field, 415
 *   UNSUPPORTED_MEDIA_TYPE at `request`. US-ASCII is a part of UTF-8 and is read, as for a body,
 *   but busboy decodes it as Latin-1: a byte over 0x7f in it is 400 INVALID_JSON at `request`;
 * - its bytes are not UTF-8: busboy decodes a text part as UTF-8 with U+FFFD for each byte that is
 *   not, so a name in it was silently altered (an input `x\xe9` became `x\ufffd`); a JSON body is
 *   refused for the same bytes (body.ts parseJsonBytes), and so is the field: 400 INVALID_JSON at
 *   `request`.
 * Its bytes are checked as they pass, none kept. A part busboy reads as a file (a filename, or
 * application/octet-stream) is refused otherwise (readForm).
 */
function watchRequestEncoding(bb: FormParser, refuse: (e: ConvlensError) => void): void {
  const dicer = bb._parser?.parser;
  if (!dicer) return;
  let seen = false;
  dicer.on('part', (part: PartStream) => {
    part.on('header', (header: Record<string, string[] | undefined>) => {
      // a part busboy skips (watchSkippedParts) or the form's limits
      if (seen || part.listenerCount('data') === 0) return;
      const disposition = parseParams(header['content-disposition']?.[0] ?? '');
      if (param(disposition, 'name') !== 'request') return;
      seen = true;
      const type = parseParams(header['content-type']?.[0] ?? 'text/plain');
      const charset = param(type, 'charset');
      if (param(disposition, 'filename') !== undefined || String(type[0]).toLowerCase() === 'application/octet-stream') return;
      // the body's rule (app.ts): UTF-8, or US-ASCII, a part of it; busboy decodes any other named charset as that charset
      if (charset !== undefined && charset !== '' && !isJsonCharset(charset)) {
        refuse(new ConvlensError('UNSUPPORTED_MEDIA_TYPE', `the "request" field is JSON, read as UTF-8 (RFC 8259); the charset '${charset}' is not: send it in UTF-8`, { path: 'request' }));
        return;
      }
      const ascii = charset !== undefined && /^us-ascii$/i.test(charset);
      const utf8 = new TextDecoder('utf-8', { fatal: true });
      let bad = false;
      const check = (chunk?: Buffer) => {
        if (bad) return;
        if (ascii && chunk?.some((b) => b > 0x7f)) {
          bad = true;
          refuse(new ConvlensError('INVALID_JSON', 'the "request" field declares charset=us-ascii, but has a byte over 0x7f: send it in UTF-8 (charset=utf-8, or none)', { path: 'request' }));
          return;
        }
        try {
          if (chunk) utf8.decode(chunk, { stream: true });
          else utf8.decode();
        } catch {
          bad = true;
          refuse(new ConvlensError('INVALID_JSON', 'the "request" field is not valid JSON: its bytes are not UTF-8 (RFC 8259); send it in UTF-8', { path: 'request' }));
        }
      };
      part.on('data', (chunk: Buffer) => check(chunk));
      part.on('end', () => check());
    });
  });
}

/**
 * The form's parts, its bytes charged as they leave the socket (`'wire'`, before the form parser
 * sees them): the parser gives a text field only once it has buffered it whole, so a form without a
 * Content-Length whose `request` field trickled held up to JSON_BODY_LIMIT (64 MiB) a socket outside
 * the memory budget. A part's own charge (file chunks, the field) later claims its wire bytes
 * (admission.ts). A charge refused (503 the budget spent, 413 past it) ends the form at once, as
 * does a part the parser would skip (watchSkippedParts).
 */
async function* chargedParts(request: FastifyRequest, charge: Charge | undefined, readsRequest = false): AsyncGenerator<unknown, void, undefined> {
  checkBoundary(request);
  // the form parser @fastify/multipart pipes the request into, for watchSkippedParts
  const raw = request.raw;
  let parser: FormParser | undefined;
  raw.pipe = function capture<T extends NodeJS.WritableStream>(this: typeof raw, destination: T, options?: { end?: boolean }): T {
    parser = destination as unknown as FormParser;
    delete (raw as Partial<typeof raw>).pipe;
    return raw.pipe(destination, options);
  };
  let parts: AsyncIterator<unknown>;
  let first: Promise<IteratorResult<unknown>>;
  try {
    parts = request.parts()[Symbol.asyncIterator]();
    // the first next() starts @fastify/multipart's handler, which pipes the request into the parser in
    // that same call: a 'data' listener added after it sees every chunk the parser does (added before,
    // the stream would flow with no parser and chunks would be lost)
    first = parts.next();
  } finally {
    if (Object.hasOwn(raw, 'pipe')) delete (raw as Partial<typeof raw>).pipe;
  }
  let refusal: { error: unknown } | undefined;
  let refuse: (e: unknown) => void = () => {};
  const refused = new Promise<never>((_, reject) => (refuse = reject));
  refused.catch(() => {});
  const fail = (e: unknown) => {
    refusal ??= { error: e };
    refuse(e);
  };
  if (parser) watchSkippedParts(parser, fail);
  watchClose(parser?._parser?.parser, namedBoundary(request)?.boundary ?? '', fail);
  if (parser && readsRequest) watchRequestEncoding(parser, fail);
  const onData = (chunk: Buffer) => {
    try {
      charge?.(chunk.length, 'wire');
    } catch (e) {
      request.raw.off('data', onData);
      fail(e);
    }
  };
  if (charge) request.raw.on('data', onData);
  // the form's first bytes, for noParts' message (a part opened and never closed, or no part at all)
  let head = Buffer.alloc(0);
  const onHead = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
    FORM_HEADS.set(request, head);
    if (head.length >= HEAD_BYTES) request.raw.off('data', onHead);
  };
  request.raw.on('data', onHead);
  let yielded = 0;
  try {
    for (let next = first; ; next = parts.next()) {
      const step = await Promise.race([next, refused]).catch((e: unknown) => {
        // cut short before a part was whole: the form has none, and noParts says where it stopped
        if (e instanceof UnclosedForm && yielded === 0) return { done: true as const, value: undefined };
        throw e;
      });
      // a refusal that came with the form's last part (both settled, the race took the part)
      if (refusal && !(refusal.error instanceof UnclosedForm && yielded === 0)) throw refusal.error;
      if (step.done) return;
      yielded++;
      yield step.value;
    }
  } finally {
    request.raw.off('data', onData);
    request.raw.off('data', onHead);
  }
}

/**
 * Reads a multipart form: file parts by name, the JSON `request` field, and nothing else (any
 * other field is a 400 naming it). A name given twice is a 400 too, rather than one silently lost.
 */
export async function readForm(request: FastifyRequest, limits: PartLimits): Promise<Form> {
  const files = new Map<string, Buffer>();
  const fileNames = new Map<string, string>();
  let fields: Record<string, unknown> | RawJson = {};
  const unknownFields: string[] = [];
  let left = contentLength(request.headers);
  let sawRequest = false;
  let count = 0;
  const parts = chargedParts(request, limits.charge, true);
  for await (const raw of parts) {
    count++;
    const part = named(raw as unknown as Part);
    if (part.type === 'file') {
      if (part.fieldname === 'request') {
        part.file.resume();
        throw new ConvlensError('INVALID_OPTION', `file part 'request' not read: the request's JSON is a text field "request", not a file (curl -F 'request=<req.json', not 'request=@req.json')`, { path: 'request' });
      }
      if (files.has(part.fieldname)) throw new ConvlensError('INVALID_OPTION', `file part '${part.fieldname}' is given twice`, { path: part.fieldname });
      const bytes = await readFilePart(part, left, limits).catch((e: unknown) => formFailure(parts, e));
      files.set(part.fieldname, bytes);
      if (part.filename) fileNames.set(part.fieldname, part.filename);
      if (left !== null) left -= bytes.length;
    } else if (part.fieldname === 'request') {
      if (sawRequest) throw new ConvlensError('INVALID_OPTION', 'the "request" field is given twice', { path: 'request' });
      sawRequest = true;
      fields = requestField(part, limits);
      if (left !== null) left -= typeof part.value === 'string' ? Buffer.byteLength(part.value) : 0;
    } else unknownFields.push(part.fieldname);
  }
  if (count === 0) throw noParts(request);
  if (unknownFields.length) {
    const [first] = unknownFields;
    const suggestion = closest(first, ['request']);
    throw new ConvlensError(
      'INVALID_OPTION',
      `unknown form field ${unknownFields.map((k) => `'${k}'`).join(', ')}${suggestion ? ` (did you mean '${suggestion}'?)` : ''}: a form holds .npy files and the JSON fields in one "request" field`,
      { path: first, ...(suggestion ? { suggestion } : {}) },
    );
  }
  return { fields, files, fileNames };
}

/**
 * The one file part of a form (an ONNX upload), read into one buffer. Any other part is refused
 * once the form is read (INVALID_OPTION naming it), never ignored: a second file, or a field (the
 * form's options go in the query string).
 */
export async function readFirstFile(request: FastifyRequest, limits: PartLimits): Promise<{ bytes: Buffer; part: string; fileName?: string } | null> {
  let left = contentLength(request.headers);
  let first: Buffer | null = null;
  let firstName = '';
  let fileName: string | undefined;
  const stray: { name: string; file: boolean }[] = [];
  let count = 0;
  const parts = chargedParts(request, limits.charge);
  for await (const raw of parts) {
    count++;
    const part = named(raw as unknown as Part);
    if (part.type === 'file') {
      if (first) {
        stray.push({ name: part.fieldname, file: true });
        part.file.resume();
      } else {
        [firstName, fileName] = [part.fieldname, part.filename || undefined];
        first = await readFilePart(part, left, limits).catch((e: unknown) => formFailure(parts, e));
      }
    } else {
      stray.push({ name: part.fieldname, file: false });
      if (left !== null && typeof part.value === 'string') left -= Buffer.byteLength(part.value);
    }
  }
  if (count === 0) throw noParts(request);
  if (stray.length) {
    const [s] = stray;
    const what = s.file ? `a second file part '${s.name}' (after '${firstName}')` : `form field '${s.name}'`;
    throw new ConvlensError('INVALID_OPTION', `${what} not read: this form holds one file, the ONNX model; its options go in the query string (?memory=true&device=…, ?input=1,3,224,224)`, {
      path: s.name,
    });
  }
  return first && { bytes: first, part: firstName, ...(fileName !== undefined && { fileName }) };
}
