import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConvlensError } from '../../src/errors.js';
import { owned, parseJsonBody, readBinary } from '../../src/http/body.js';
import { errorOf } from '../helpers.js';

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

describe('JSON bodies', () => {
  it("a body JSON.parse refuses says the line and column of the position it names (Node 20's V8 gave the position only), once", () => {
    // `}` after a trailing comma: character 27 of the text, column 3 of line 3
    const text = '{\n  "model": "resnet18",\n  }';
    const error = errorOf(() => parseJsonBody(text)) as ConvlensError;
    expect(error).toMatchObject({ code: 'INVALID_JSON', details: { path: '$' } });
    expect(error.message).toMatch(/^the body is not valid JSON: .* at position 27 \(line 3 column 3\)$/);
    expect(error.message.match(/\(line/g)).toHaveLength(1);
    // on one line: column = position + 1
    expect((errorOf(() => parseJsonBody('{"a": 1,}')) as ConvlensError).message).toMatch(/at position 8 \(line 1 column 9\)$/);
  });

  it("a fault V8 names no position for (`Unexpected token ',', …` and `Unexpected end of JSON input`, Node 20 and 22 alike) gets its position, line and column too", () => {
    // the second comma of `},,` on line 4: character 141 of the text, column 72 of its line
    const text = '{\n  "inputs": [{ "name": "x", "shape": [1, 3, 8, 8] }],\n  "layers": [\n    { "name": "c", "op": "conv2d", "outChannels": 4, "kernelSize": 3 },,\n  ]\n}\n';
    expect(text.indexOf(',,') + 1).toBe(141);
    const error = errorOf(() => parseJsonBody(text)) as ConvlensError;
    expect(error).toMatchObject({ code: 'INVALID_JSON', details: { path: '$' } });
    expect(error.message).toMatch(/^the body is not valid JSON: Unexpected token ',', [\s\S]* is not valid JSON at position 141 \(line 4 column 72\)$/);
    // a text cut short: the fault is its end, after the comma that ends line 2
    expect((errorOf(() => parseJsonBody('{"a": [1,\n 2,')) as ConvlensError).message).toBe('the body is not valid JSON: Unexpected end of JSON input at position 13 (line 2 column 4)');
  });

  it('__proto__ names a tensor among inputs and weights (an own key, read as a name); anywhere else it is prototype poisoning: 400 INVALID_JSON', () => {
    const body = parseJsonBody('{"inputs": {"__proto__": {"shape": [1], "data": [1]}}, "weights": {"__proto__": {"shape": [1], "data": [2]}}}') as Record<string, Record<string, unknown>>;
    expect(Object.keys(body.inputs)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(body.inputs)).toBe(Object.prototype);
    expect(Object.keys(body.weights)).toEqual(['__proto__']);
    // at the key (they were all at $)
    for (const [text, path] of [
      ['{"__proto__": {"polluted": true}}', '$.__proto__'],
      ['{"spec": {"__proto__": {}}}', '$.spec.__proto__'],
      ['{"inputs": {"x": {"__proto__": {}}}}', '$.inputs.x.__proto__'],
      ['{"inputs": [{"\\u005f_proto__": 1}]}', '$.inputs[0].__proto__'],
      ['{"gates": {"__proto__": {"macs": "5%"}}}', '$.gates.__proto__'],
      ['{"spec": {"layers": [{}, {"constructor": {"prototype": {}}}]}}', '$.spec.layers[1].constructor.prototype'],
    ]) {
      expect(errorOf(() => parseJsonBody(text)), text).toMatchObject({ code: 'INVALID_JSON', details: { path } });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('GraphQL: __proto__ names a tensor in a variable the document passes as inputs or weights, and nowhere else in the variables', () => {
    const query = 'query($i: JSON!, $w: JSON, $s: JSON) { run(spec: $s, inputs: $i, weights: $w) { outputs { name } } }';
    const body = parseJsonBody(JSON.stringify({ query, variables: { i: {}, w: {}, s: {} } }).replace('"i":{}', '"i":{"__proto__":{"shape":[1],"data":[1]}}').replace('"w":{}', '"w":{"__proto__":{"shape":[1],"data":[2]}}')) as { variables: Record<string, object> };
    expect(Object.keys(body.variables.i)).toEqual(['__proto__']);
    expect(Object.keys(body.variables.w)).toEqual(['__proto__']);
    for (const [text, path] of [
      [JSON.stringify({ query, variables: { s: {} } }).replace('"s":{}', '"s":{"__proto__":{}}'), '$.variables.s.__proto__'],
      // a variable the document does not pass as inputs, and a document that does not parse
      [JSON.stringify({ query: 'query($x: JSON) { run(spec: $x) { outputs { name } } }', variables: { x: {} } }).replace('"x":{}', '"x":{"__proto__":{}}'), '$.variables.x.__proto__'],
      [JSON.stringify({ query: 'query($i: JSON) { run(inputs: $i', variables: { i: {} } }).replace('"i":{}', '"i":{"__proto__":{}}'), '$.variables.i.__proto__'],
    ]) {
      expect(errorOf(() => parseJsonBody(text)), text).toMatchObject({ code: 'INVALID_JSON', details: { path } });
    }
  });

  it('GraphQL: the document is read for those variables up to GRAPHQL_MAX_TOKENS (10,000 by default) as mercurius reads it: a 1 MB document of 200,000 tokens is no name map (INVALID_JSON), within a limit of 400,000 it is', () => {
    // unbounded, a 32 MiB document with a __proto__ key took 28 s of the event loop before mercurius refused its tokens
    const query = `query($i: JSON!) { run(inputs: $i) { outputs { name } } ${'b: x '.repeat(100_000)}}`;
    const text = JSON.stringify({ query, variables: { i: {} } }).replace('"i":{}', '"i":{"__proto__":{"shape":[1],"data":[1]}}');
    expect(errorOf(() => parseJsonBody(text))).toMatchObject({ code: 'INVALID_JSON', details: { path: '$.variables.i.__proto__' } });
    const body = parseJsonBody(text, 400_000) as { variables: Record<string, object> };
    expect(Object.keys(body.variables.i)).toEqual(['__proto__']);
  });

  it.each([
    ['{"model": "resnet18", "model": "resnet34"}', 'model', '$.model'],
    ['{"layers": [{"op": "relu"}, {"name": "c", "outChannels": 4, "kernelSize": 3, "outChannels": 64}]}', 'outChannels', '$.layers[1].outChannels'],
    ['{"inputs": {"x": {"shape": [1]}, "\\u0078": {"shape": [2]}}}', 'x', '$.inputs.x'],
    ['{"a": [1, [2, 3], {"k b": {"z": 1, "z" : 2}}]}', 'z', '$.a[2]["k b"].z'],
  ])('a key twice in one object is refused (JSON.parse would keep the last): %s → 400 INVALID_JSON at the second', (text, key, path) => {
    let error: ConvlensError | undefined;
    try {
      parseJsonBody(text);
    } catch (e) {
      error = e as ConvlensError;
    }
    expect(error).toMatchObject({ code: 'INVALID_JSON', details: { path } });
    expect(error!.message).toContain(`the key "${key}" appears twice in one object`);
  });

  it('equal keys in different objects, an escaped quote inside a key or value, and arrays of objects are not duplicates', () => {
    expect(parseJsonBody('{"a": {"b": 1}, "c": {"b": 2}, "d": [{"e": 1}, {"e": 2}], "f\\"": "x\\"y", "f": 0}')).toEqual({ a: { b: 1 }, c: { b: 2 }, d: [{ e: 1 }, { e: 2 }], 'f"': 'x"y', f: 0 });
  });

  it('constructor names a tensor too; a constructor holding prototype is refused', () => {
    expect(Object.keys((parseJsonBody('{"inputs": {"constructor": {"shape": [1], "data": [1]}}}') as { inputs: object }).inputs)).toEqual(['constructor']);
    expect(() => parseJsonBody('{"constructor": {"prototype": {"polluted": true}}}')).toThrow(/constructor\.prototype/);
  });
});

describe('binary bodies, read into one buffer', () => {
  it('a stream without headers (a body piped through a transform) is read to its end', async () => {
    const s = Readable.from([Buffer.from([1, 2]), Buffer.from([3])]);
    expect(await readBinary(s, 10)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('with a Content-Length, the buffer is that long and owned (a tensor may be a view of it, and it may move to a worker)', async () => {
    const buf = await readBinary(stream([Buffer.from([1, 2]), Buffer.from([3, 4])], 4), 10);
    expect(buf.buffer.byteLength).toBe(4);
    expect(owned(buf)).toBe(true);
    expect(owned(Buffer.from([1, 2, 3]))).toBe(false);
  });

  it('without one, each chunk is charged (the memory budget of a chunked body) and the limit is kept', async () => {
    const charged: number[] = [];
    await readBinary(stream([Buffer.alloc(3), Buffer.alloc(4)]), 10, 'BODY_LIMIT', (n) => charged.push(n));
    expect(charged).toEqual([3, 4]);
    const err = await failure(readBinary(stream([Buffer.alloc(3)]), 10, 'BODY_LIMIT', () => {
      throw new ConvlensError('OVERLOADED', 'spent');
    }));
    expect(err.code).toBe('OVERLOADED');
  });
});
