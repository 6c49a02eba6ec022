import { describe, expect, it } from 'vitest';
import { ConvlensError } from '../../src/errors.js';
import { jsonAnswerBytes } from '../../src/http/json-bytes.js';

describe('jsonAnswerBytes: an answer written as JSON in a worker', () => {
  it('{ a: [1, "é"] } is the 14 UTF-8 bytes {"a":[1,"é"]} (é is 2 bytes), in a buffer of its own the pool can move', () => {
    const bytes = jsonAnswerBytes({ a: [1, 'é'] });
    expect(Buffer.from(bytes).toString('utf8')).toBe('{"a":[1,"é"]}');
    expect(bytes.byteLength).toBe(14);
    expect(bytes.buffer.byteLength).toBe(14);
  });

  it("a value whose text passes V8's longest string (JSON.stringify's RangeError) is 413 RESPONSE_TOO_LARGE at $, not an internal error", () => {
    const huge = { toJSON: () => { throw new RangeError('Invalid string length'); } };
    let thrown: unknown;
    try {
      jsonAnswerBytes(huge);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConvlensError);
    expect(thrown).toMatchObject({ code: 'RESPONSE_TOO_LARGE', details: { path: '$' } });
  });

  it('any other error passes through as it is', () => {
    const bad = { toJSON: () => { throw new TypeError('cyclic'); } };
    expect(() => jsonAnswerBytes(bad)).toThrow(TypeError);
  });
});
