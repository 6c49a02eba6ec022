/**
 * A multipart request's boundary, as its Content-Type names it (RFC 2046: 1 to 70 bchars, not
 * ending in a space), read and checked before the form parser sees it (http/form.ts).
 */
import type { FastifyRequest } from 'fastify';
import { ConvlensError } from '../errors.js';

/** The boundary parameter of the request's Content-Type, unquoted (`quoted` says it was), or null when it names none. */
export function namedBoundary(request: FastifyRequest): { boundary: string; quoted: boolean } | null {
  const param = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i.exec(request.headers['content-type'] ?? '');
  if (!param) return null;
  return param[1] !== undefined ? { boundary: param[1].replace(/\\(.)/g, '$1'), quoted: true } : { boundary: param[2].trim(), quoted: false };
}

/** RFC 2046's bchars: what a boundary may hold (a space, but not as its last character). */
const BCHARS = /^[0-9A-Za-z'()+_,\-./:=? ]*[0-9A-Za-z'()+_,\-./:=?]$/;
const MAX_BOUNDARY = 70;

/**
 * The boundary the Content-Type names, checked before the form parser sees it (RFC 2046: 1 to 70
 * bchars, not ending in a space). The parser took any length up to 252 and then failed past it
 * with an error of its own (a 500), and read an unquoted `boundary=a b` as `ab`.
 */
export function checkBoundary(request: FastifyRequest): void {
  const at = { path: 'headers.content-type' };
  const named = namedBoundary(request);
  if (!named) throw new ConvlensError('INCOMPLETE_BODY', `the multipart Content-Type names no boundary (multipart/form-data; boundary=…); send the boundary the body uses (curl -F sets both)`, at);
  const { boundary, quoted } = named;
  if (boundary === '') throw new ConvlensError('INCOMPLETE_BODY', 'the multipart form holds no part: the Content-Type names an empty boundary; send the boundary the body uses (curl -F sets both)', at);
  const shown = boundary.length > 80 ? `${boundary.slice(0, 80)}…` : boundary;
  if (boundary.length > MAX_BOUNDARY) {
    throw new ConvlensError('INCOMPLETE_BODY', `the multipart boundary is ${boundary.length} characters long ('${shown}'); RFC 2046 allows 1 to ${MAX_BOUNDARY}`, { ...at, limit: MAX_BOUNDARY });
  }
  if (!quoted && /\s/.test(boundary)) throw new ConvlensError('INCOMPLETE_BODY', `the multipart boundary '${shown}' holds a space: quote it (boundary="${shown}")`, at);
  if (!BCHARS.test(boundary)) {
    throw new ConvlensError('INCOMPLETE_BODY', `the multipart boundary '${shown}' holds a character RFC 2046 does not allow in one (letters, digits, space and '()+_,-./:=? only, not ending in a space)`, at);
  }
}

/** What the form parser's multipart reader (@fastify/busboy 3.2's Dicer) has of a body, as watchClose reads it. */
interface BoundaryReader extends NodeJS.EventEmitter {
  /** True until the body's first boundary line: no part opened yet. */
  _isPreamble?: boolean;
}

/** Dicer's error when the body ends before its close delimiter (`--BOUNDARY--`). */
const UNCLOSED = 'Unexpected end of multipart data';

/** The refusal of a form whose body ended before its close delimiter (watchClose). */
export class UnclosedForm extends ConvlensError {
  constructor(boundary: string) {
    super('INCOMPLETE_BODY', `the multipart form ended before its closing boundary (--${boundary}--): RFC 2046 ends a form with it, so the body was cut short; send the whole form (curl -F closes it)`, { path: 'body' });
  }
}

/**
 * Calls `refuse` when the body ends before its close delimiter, once it has opened a part (a body
 * that never opens one is the form's noParts). RFC 2046 ends a multipart body with
 * `--BOUNDARY--`; one that stops after a part's boundary line (`\r\n--BOUNDARY\r\n`, or
 * `--BOUNDARY` and the end) or inside a part was cut short. The parser says so ("Unexpected end of
 * multipart data"), but @fastify/multipart ends the form's parts on that error without a word, so
 * a truncated upload was read, and analysed, as if whole.
 */
export function watchClose(reader: BoundaryReader | undefined, boundary: string, refuse: (e: ConvlensError) => void): void {
  reader?.on('error', (e: Error) => {
    if (e?.message === UNCLOSED && reader._isPreamble === false) refuse(new UnclosedForm(boundary));
  });
}
