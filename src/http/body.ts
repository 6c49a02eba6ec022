/**
 * Binary request bodies (ONNX files, .npy tensors). With a Content-Length the body is read into
 * one buffer of exactly that size, so a 500 MB model costs 500 MB, not chunks plus a concatenated
 * copy; the buffer owns its ArrayBuffer and can be transferred to a worker without copying.
 */
import type { IncomingMessage } from 'node:http';
import sjson from 'secure-json-parse';
import { ConvlensError } from '../errors.js';

export async function readBinary(stream: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(stream.headers['content-length']);
  const tooLarge = () => new ConvlensError('PAYLOAD_TOO_LARGE', `the body is larger than the ${limit}-byte limit (BODY_LIMIT)`);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  if (Number.isFinite(declared) && declared >= 0) {
    const out = Buffer.allocUnsafeSlow(declared);
    let at = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (at + chunk.length > declared) throw new ConvlensError('INCOMPLETE_BODY', `the body is longer than its Content-Length ${declared}`, { path: 'body' });
      chunk.copy(out, at);
      at += chunk.length;
    }
    if (at !== declared) throw new ConvlensError('INCOMPLETE_BODY', `the body ended after ${at} of ${declared} bytes (Content-Length)`, { path: 'body' });
    return out;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw tooLarge();
    chunks.push(chunk);
  }
  const out = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const c of chunks) {
    c.copy(out, at);
    at += c.length;
  }
  return out;
}

/** The buffer's bytes as a view that owns a whole ArrayBuffer (copied only if it shares one). */
export function transferable(buf: Uint8Array): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer) return buf;
  const copy = new Uint8Array(new ArrayBuffer(buf.byteLength));
  copy.set(buf);
  return copy;
}

/** Deepest JSON nesting accepted: specs and tensors (rank ≤ 8) need far less; deeper input would only exhaust the stack. */
export const MAX_JSON_DEPTH = 64;

/** Parses a JSON body after checking, in one pass, that it nests at most MAX_JSON_DEPTH deep. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new ConvlensError('INVALID_JSON', 'the body is empty; send a JSON object');
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++;
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 91 || ch === 123) {
      if (++depth > MAX_JSON_DEPTH) throw new ConvlensError('INVALID_JSON', `the body nests deeper than ${MAX_JSON_DEPTH} levels`, { path: '$' });
    } else if (ch === 93 || ch === 125) depth--;
  }
  try {
    // secure-json-parse, as fastify's own parser: __proto__ and constructor.prototype keys are refused
    return sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (e) {
    throw new ConvlensError('INVALID_JSON', `the body is not valid JSON: ${(e as Error).message}`, { path: '$' });
  }
}
