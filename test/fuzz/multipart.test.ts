/**
 * Fuzzing POST /v1/run and POST /v1/operators/{name} with multipart forms and JSON bodies, through
 * the production app in-process (app.inject): field and file names that collide with
 * Object.prototype (`__proto__`, `constructor`, `toString`), nested and duplicated fields, field
 * and file counts up to and past the form limits (16 fields, 32 files), random .npy and ONNX file
 * parts, random `request` JSON (duplicate keys and prototype names included), broken framing.
 * Property: every answer is a 2xx, or a 4xx whose JSON body carries a catalog code, within a
 * bounded time; never a 5xx.
 */
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { encodeNpy } from '../../src/tensor/encoding.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { NASTY_NAMES, TIMEOUT, check, deadline, errorCode, expectCatalogAnswer, fuzzApp, runs, surveySummary, violation } from './fuzz.js';

const FILE = 'test/fuzz/multipart.test.ts';
/** Per request; the app's TASK_TIMEOUT_MS is below it, so only a hang outside a task can reach it. */
const ANSWER_MS = 8_000;

let app: FastifyInstance;
beforeAll(async () => {
  app = await fuzzApp({ MAX_TENSOR_ELEMENTS: '4096', BODY_LIMIT: String(2 << 20), TASK_TIMEOUT_MS: '5000' });
  // first task of each worker compiles the kernels
  await app.inject({ method: 'POST', url: '/v1/operators/relu', payload: { inputs: [{ shape: [1], data: [1] }] } });
});
afterAll(async () => {
  surveySummary(FILE);
  await app.close();
});

// ---- JSON with what JSON.stringify cannot write: duplicate keys and own `__proto__` keys ----

/** An object as a list of entries, so keys may repeat and `__proto__` is an ordinary key. */
class Obj {
  constructor(readonly entries: [string, J][]) {}
}
type J = null | boolean | number | string | J[] | Obj | { [k: string]: J };

function toJson(v: J): string {
  if (v === null || typeof v !== 'object') return typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  const entries = v instanceof Obj ? v.entries : Object.entries(v);
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
}
const obj = (...entries: [string, J][]): J => new Obj(entries);

const name = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_NAMES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('weights.', 'inputs.', '', 'x.'), fc.constantFrom(...NASTY_NAMES)).map(([a, b]) => a + b) },
);

const dim = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, 2.5, 1e9, 2 ** 53, 70_000, Number.NaN) });
const shape = fc.array(dim, { maxLength: 5 });
const number = fc.oneof({ weight: 8, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(1e300, -0, Number.MAX_VALUE, Number.NaN, Infinity) });

/** A tensor: mostly self-consistent (data fits the shape), sometimes not, sometimes not a tensor at all. */
const tensorJ: fc.Arbitrary<J> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((s) =>
      fc.array(number, { minLength: s.reduce((a, b) => a * b, 1), maxLength: s.reduce((a, b) => a * b, 1) }).map((data) => obj(['shape', s], ['data', data])),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(shape, fc.array(number, { maxLength: 20 })).map(([s, d]) => obj(['shape', s as J], ['data', d])) },
  {
    weight: 1,
    arbitrary: fc.tuple(shape, fc.uint8Array({ maxLength: 64 }), fc.constantFrom('float32', 'float16', 'int8', '__proto__')).map(([s, b, dt]) =>
      obj(['shape', s as J], ['dtype', dt], ['base64', Buffer.from(b).toString('base64')]),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(name, fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => obj([k, v as J], ['shape', [1]], ['data', [1]])) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<J> },
);

const named = (value: fc.Arbitrary<J>) => fc.array(fc.tuple(name, value), { maxLength: 4 }).map((e) => new Obj(e) as J);

/** Small networks whose input and layer names are the nasty ones as often as not. */
const spec: fc.Arbitrary<J> = fc
  .record({ input: fc.oneof(fc.constant('x'), name), layer: fc.oneof(fc.constant('c'), name), op: fc.constantFrom('conv2d', 'relu', 'add', 'concat', 'split', 'maxPool2d', 'constructor', '__proto__'), out: fc.boolean() })
  .map(({ input, layer, op, out }) =>
    obj(
      ['inputs', [obj(['name', input], ['shape', [1, 2, 4, 4]])]],
      ['layers', [obj(['name', layer], ['op', op], ['inputs', [input]], ['outChannels', 2], ['kernelSize', 1]), obj(['name', 'r'], ['op', 'relu'], ['inputs', [layer]])]],
      ...(out ? ([['outputs', [layer]]] as [string, J][]) : []),
    ),
  );

const requestKeys: [string, fc.Arbitrary<J>][] = [
  ['inputs', fc.oneof(tensorJ, named(tensorJ), fc.array(tensorJ, { maxLength: 3 }))],
  ['weights', named(tensorJ)],
  ['attributes', named(fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<J>)],
  ['spec', fc.oneof({ weight: 4, arbitrary: spec }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<J> })],
  ['model', fc.constantFrom('resnet18', 'squeezenet1_1', '__proto__', 'constructor', 'nope')],
  ['resolution', fc.constantFrom(8, 16, 32, 0, -1, 2.5, 1e9, '32')],
  ['capture', fc.array(fc.oneof(name, fc.constantFrom('c', 'r')), { maxLength: 3 })],
  ['format', fc.constantFrom('json', 'flat', 'base64', 'npy', '__proto__', 7)],
  ['seed', fc.constantFrom(0, 1, -1, 2.5, 2 ** 40, '1')],
  ['training', fc.constantFrom(true, false, 'yes')],
  ['weightInit', fc.constantFrom('file', 'seed', 'toString')],
  ['onnxBase64', fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64'))],
];

/** A request object: random known keys, duplicates and stray (nasty) keys; or any JSON at all. */
const requestJson: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...requestKeys).chain(([k, v]) => v.map((x) => [k, x] as [string, J])) }, { weight: 1, arbitrary: fc.tuple(name, fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<J>) }), {
        maxLength: 6,
      })
      .map((entries) => toJson(new Obj(entries))),
  },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  // nesting around the depth limit (64) and far past it, where a field sits: tensor data, a spec, an attribute
  {
    weight: 1,
    arbitrary: fc.tuple(fc.oneof(fc.integer({ min: 60, max: 70 }), fc.integer({ min: 1_000, max: 50_000 })), fc.constantFrom('data', 'spec', 'attributes')).map(([depth, where]) => {
      const nested = (open: string, close: string, leaf: string) => open.repeat(depth) + leaf + close.repeat(depth);
      if (where === 'data') return `{"inputs": [{"shape": [1], "data": ${nested('[', ']', '1')}}]}`;
      if (where === 'spec') return `{"spec": ${nested('{"a":', '}', '1')}}`;
      return `{"attributes": {"k": ${nested('[', ']', '')}}}`;
    }),
  },
);

// ---- multipart framing ----

interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  body: Buffer;
}

const npyFile = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }), fc.integer({ min: 0, max: 3 }))
  .map(([s, cut]) => {
    const bytes = encodeNpy({ shape: s, data: Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, i) => i - 2) });
    return bytes.subarray(0, bytes.length - (cut === 3 ? 5 : 0));
  });
const onnxFile = fc.constantFrom('Relu', 'Sigmoid', 'Tile', 'Conv').map((op) =>
  Buffer.from(
    onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      outputs: ['y'],
      nodes: [{ op, inputs: op === 'Conv' ? ['x', 'w'] : ['x'], outputs: ['y'] }],
      initializers: op === 'Conv' ? [{ name: 'w', dims: [2, 2, 1, 1], data: [1, 0, 0, 1] }] : [],
    }),
  ),
);
const fileBody = fc.oneof({ weight: 4, arbitrary: npyFile }, { weight: 2, arbitrary: onnxFile }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) });

const fieldPart: fc.Arbitrary<Part> = fc
  .record({
    name: fc.oneof({ weight: 3, arbitrary: fc.constant('request') }, { weight: 2, arbitrary: name }),
    value: fc.oneof({ weight: 8, arbitrary: requestJson }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 300_000 }).map((n) => `{"seed": 1, "spec": "${'a'.repeat(n)}"}`) }),
    contentType: fc.option(fc.constantFrom('application/json', 'text/plain', 'application/x-npy'), { freq: 4 }),
  })
  .map(({ name, value, contentType }) => ({ name, body: Buffer.from(value), ...(contentType ? { contentType } : {}) }));

const filePart: fc.Arbitrary<Part> = fc
  .record({ name: fc.oneof({ weight: 2, arbitrary: fc.constantFrom('x', 'model', 'weights.weight', 'weights.c.weight', '0', '1') }, { weight: 3, arbitrary: name }), body: fileBody, filename: fc.constantFrom('t.npy', 'm.onnx', '', '__proto__') })
  .map((p) => ({ ...p, contentType: 'application/octet-stream' }));

/** Header-safe quoting of a form name (RFC 7578 percent-encodes the quote; CR and LF cannot appear). */
const quote = (s: string) => s.replace(/"/g, '%22').replace(/[\r\n]/g, ' ');

interface Framing {
  /** Bytes cut off the end (a truncated form). */
  cut: number;
  /** The Content-Type header names another boundary than the body uses. */
  wrongBoundary: boolean;
  /** Parts without a name (`Content-Disposition: form-data` alone, or with a filename only): every `nameless`-th part, from the first; 0 none. */
  nameless: number;
}

function multipart(parts: Part[], framing: Framing): { headers: Record<string, string>; payload: Buffer } {
  const boundary = 'fuzzBoundary7MA4YWxkTrZu0gW';
  const chunks: Buffer[] = [];
  parts.forEach((p, i) => {
    const file = p.filename !== undefined ? `; filename="${quote(p.filename)}"` : '';
    const disposition = framing.nameless && i % framing.nameless === 0 ? `Content-Disposition: form-data${file}` : `Content-Disposition: form-data; name="${quote(p.name)}"${file}`;
    chunks.push(Buffer.from(`--${boundary}\r\n${disposition}\r\n${p.contentType ? `Content-Type: ${p.contentType}\r\n` : ''}\r\n`), p.body, Buffer.from('\r\n'));
  });
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const full = Buffer.concat(chunks);
  const payload = full.subarray(0, Math.max(0, full.length - framing.cut));
  return { headers: { 'content-type': `multipart/form-data; boundary=${framing.wrongBoundary ? 'other' : boundary}` }, payload };
}

const framing: fc.Arbitrary<Framing> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ cut: 0, wrongBoundary: false, nameless: 0 }) },
  { weight: 1, arbitrary: fc.record({ cut: fc.constant(0), wrongBoundary: fc.constant(false), nameless: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ cut: fc.integer({ min: 0, max: 80 }), wrongBoundary: fc.boolean(), nameless: fc.integer({ min: 0, max: 3 }) }) },
);

const route = fc.oneof(
  { weight: 3, arbitrary: fc.constant('/v1/run') },
  { weight: 3, arbitrary: fc.constantFrom('relu', 'conv2d', 'add', 'concat', 'split', 'batchNorm2d', 'deformConv2d', 'linear').map((n) => `/v1/operators/${n}`) },
  { weight: 1, arbitrary: fc.constantFrom(...NASTY_NAMES).map((n) => `/v1/operators/${encodeURIComponent(n)}`) },
);

async function post(url: string, headers: Record<string, string>, payload: Buffer | string) {
  const what = `POST ${url} ${JSON.stringify(headers)}\n${(Buffer.isBuffer(payload) ? payload.toString('latin1') : payload).slice(0, 1500)}`;
  const res = await deadline(app.inject({ method: 'POST', url, headers, payload }), ANSWER_MS, what);
  return { res, what };
}

describe('multipart and JSON bodies for /v1/run and /v1/operators/{name}', () => {
  it('random forms (prototype names, duplicates, file parts, request JSON, broken framing): a 2xx or a catalog 4xx, never a 5xx or a hang', { timeout: TIMEOUT }, async () => {
    await check(
      fc.asyncProperty(route, fc.array(fc.oneof(fieldPart, filePart), { maxLength: 6 }), framing, async (url, parts, fr) => {
        const { headers, payload } = multipart(parts, fr);
        const { res, what } = await post(url, headers, payload);
        expectCatalogAnswer(res, what);
      }),
      { numRuns: runs(250) },
      FILE,
    );
  });

  it('field and file counts up to and past the limits (16 fields, 32 files): a 2xx or a catalog 4xx', { timeout: TIMEOUT }, async () => {
    await check(
      fc.asyncProperty(route, fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 36 }), fc.boolean(), async (url, fields, files, sameName) => {
        const parts: Part[] = [];
        for (let i = 0; i < fields; i++) parts.push({ name: sameName ? 'request' : `f${i}`, body: Buffer.from('{"seed":1}') });
        for (let i = 0; i < files; i++) parts.push({ name: sameName ? 'x' : `weights.w${i}`, filename: 'w.npy', contentType: 'application/octet-stream', body: encodeNpy({ shape: [2], data: Float32Array.of(1, 2) }) });
        const { headers, payload } = multipart(parts, { cut: 0, wrongBoundary: false, nameless: 0 });
        const { res, what } = await post(url, headers, payload);
        expectCatalogAnswer(res, `${fields} fields, ${files} files, same names ${sameName}\n${what.slice(0, 300)}`);
      }),
      { numRuns: runs(40) },
      FILE,
    );
  });

  it('a network whose input, layer, weight and capture names are prototype names answers as the same network with plain names (form parts and JSON); an input named after an Object.prototype property as a file part: 400 INVALID_OPTION saying to give it in the JSON', { timeout: TIMEOUT }, async () => {
    const plain = { input: 'x', layer: 'c', out: 'r' };
    const answer = async (n: typeof plain, asFile: boolean) => {
      const spec = {
        inputs: [{ name: n.input, shape: [1, 2, 2, 2] }],
        layers: [
          { name: n.layer, op: 'conv2d', inputs: [n.input], outChannels: 2, kernelSize: 1, bias: false },
          { name: n.out, op: 'relu', inputs: [n.layer] },
        ],
      };
      const x = { shape: [1, 2, 2, 2], data: [1, -2, 3, -4, 5, -6, 7, -8] };
      // own keys named after the input, which an object literal with `__proto__` would not make
      const inputs = JSON.parse(`{${JSON.stringify(n.input)}: ${JSON.stringify(x)}}`) as unknown;
      // the conv's weight given by `<layer>.weight` (seeded weights would depend on the layer's name)
      const weights = JSON.parse(`{${JSON.stringify(`${n.layer}.weight`)}: {"shape": [2, 2, 1, 1], "data": [1, 0.5, -1, 2]}}`) as unknown;
      const body = { spec, weights, seed: 3, capture: [n.layer], format: 'flat' };
      const parts: Part[] = [];
      if (asFile) parts.push({ name: n.input, filename: 'x.npy', contentType: 'application/octet-stream', body: encodeNpy({ shape: x.shape, data: Float32Array.from(x.data) }) });
      const request = asFile ? JSON.stringify(body) : JSON.stringify(body).replace(/^\{/, `{"inputs": ${JSON.stringify(inputs)},`);
      parts.push({ name: 'request', body: Buffer.from(request) });
      const { headers, payload } = multipart(parts, { cut: 0, wrongBoundary: false, nameless: 0 });
      return post('/v1/run', headers, payload);
    };
    const reference = new Map<boolean, string>();
    for (const asFile of [false, true]) {
      const { res, what } = await answer(plain, asFile);
      expectCatalogAnswer(res, what);
      const ref = JSON.parse(res.body) as { outputs: { data: unknown }[]; captured: { data: unknown }[] };
      reference.set(asFile, JSON.stringify([ref.outputs.map((o) => o.data), ref.captured.map((o) => o.data)]));
    }
    const names = fc.constantFrom(...NASTY_NAMES.filter((n) => n !== '' && !n.includes('.') && n !== 'model' && n !== 'request'));
    await check(
      fc.asyncProperty(fc.record({ input: names, layer: names, out: names }), fc.boolean(), async (n, asFile) => {
        fc.pre(new Set([n.input, n.layer, n.out]).size === 3);
        const { res, what } = await answer(n, asFile);
        const body = expectCatalogAnswer(res, what) as { outputs?: { name: string; data: unknown }[]; captured?: { name: string; data: unknown }[] } | null;
        const expected = `expected the values of the plain-named network: ${reference.get(asFile)}`;
        // @fastify/multipart refuses a part named after a property of Object.prototype (http/errors.ts
        // PROTO_PART): that input as a file part is this refusal; every other request answers. (A
        // refusal returned early here and passed: the property held with every request refused.)
        if (asFile && n.input in Object.prototype) {
          if (res.statusCode !== 400 || errorCode(res) !== 'INVALID_OPTION' || !res.body.includes('a form part may not be named after a property of JavaScript objects')) {
            violation('a prototype-named file part not refused as such', `${what}\n→ ${res.statusCode} ${res.body.slice(0, 600)}\nexpected 400 INVALID_OPTION: a form part may not be named after a property of JavaScript objects`);
          }
          return;
        }
        if (res.statusCode >= 300) violation(`names ${asFile ? '(file part)' : '(JSON)'} refused`, `${what}\n→ ${res.statusCode} ${res.body.slice(0, 600)}\n${expected}`);
        if (res.statusCode >= 300 || !body) return;
        const got = JSON.stringify([body.outputs?.map((o) => o.data), body.captured?.map((o) => o.data)]);
        if (got !== reference.get(asFile) || body.outputs?.[0]?.name !== n.out || body.captured?.[0]?.name !== n.layer) {
          violation(`names ${asFile ? '(file part)' : '(JSON)'} change the answer`, `${what}\n→ ${res.body.slice(0, 600)}\n${expected}`);
        }
      }),
      { numRuns: runs(60) },
      FILE,
    );
  });

  it('the same request objects as a JSON body: a 2xx or a catalog 4xx', { timeout: TIMEOUT }, async () => {
    await check(
      fc.asyncProperty(route, requestJson, async (url, body) => {
        const { res, what } = await post(url, { 'content-type': 'application/json' }, body);
        expectCatalogAnswer(res, what);
      }),
      { numRuns: runs(250) },
      FILE,
    );
  });
});
