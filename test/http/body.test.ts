import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConvlensError } from '../../src/errors.js';
import { readBinary } from '../../src/http/body.js';

/** A request stream with the given chunks and Content-Length header. */
function stream(chunks: Buffer[], contentLength?: number): IncomingMessage {
  const s = Readable.from(chunks) as unknown as IncomingMessage;
  s.headers = contentLength === undefined ? {} : { 'content-length': String(contentLength) };
  return s;
}

const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as ConvlensError;
  }
  throw new Error('expected a failure');
};

describe('binary bodies', () => {
  it('read into one buffer of the declared length, or assembled when no length is given', async () => {
    expect(await readBinary(stream([Buffer.from([1, 2]), Buffer.from([3])], 3), 10)).toEqual(Buffer.from([1, 2, 3]));
    expect(await readBinary(stream([Buffer.from([1, 2]), Buffer.from([3])]), 10)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('shorter or longer than Content-Length: 400 INCOMPLETE_BODY; over the limit: 413', async () => {
    expect((await failure(readBinary(stream([Buffer.from([1, 2])], 5), 10))).code).toBe('INCOMPLETE_BODY');
    expect((await failure(readBinary(stream([Buffer.from([1, 2, 3, 4])], 2), 10))).code).toBe('INCOMPLETE_BODY');
    expect((await failure(readBinary(stream([Buffer.alloc(4)], 40), 10))).code).toBe('PAYLOAD_TOO_LARGE');
    expect((await failure(readBinary(stream([Buffer.alloc(6), Buffer.alloc(6)]), 10))).code).toBe('PAYLOAD_TOO_LARGE');
  });
});
