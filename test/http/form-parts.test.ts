/**
 * Multipart parts the form parser would drop, and boundaries it cannot use (found by fuzzing):
 * - a part without Content-Disposition: form-data (none, or `attachment`) was skipped by busboy
 *   unseen: a small one silently ignored (200), a large one (> 16 KiB in the write that also
 *   closed the form) left busboy paused for ever, the request unanswered and its memory
 *   reservation held. Now a 400 INVALID_OPTION naming the part, at once, on every form route.
 * - a boundary over 252 characters was busboy's "The needle cannot have a length bigger than 256"
 *   (500 INTERNAL); RFC 2046 allows 1 to 70 bchars: now 400 INCOMPLETE_BODY at headers.content-type.
 * - a `request` part sent as a file (curl -F request=@req.json) was ignored on /v1/run and /v1/erf.
 * - a `request` field declaring another charset than UTF-8 was decoded in it: now 415, as a body.
 * Raw bodies over a socket, each answer awaited with a timeout, so a regression fails, not hangs.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admissionOf } from '../../src/http/admission.js';
import { testApp } from './app.js';
import { head, portOf, postWhole, rawRequest } from './raw.js';
import type { JsonAnswer } from './raw.js';

let app: FastifyInstance;
let port: number;
beforeAll(async () => {
  app = await testApp({ MODEL_CACHE_BYTES: '0' });
  port = await portOf(app);
});
afterAll(async () => app.close());

const npy = readFileSync(new URL('../../examples/input-1x3x64x64.npy', import.meta.url));
const B = 'XyZ';
const CRLF = '\r\n';
const field = (name: string, text: string) => Buffer.from(`--${B}${CRLF}Content-Disposition: form-data; name="${name}"${CRLF}${CRLF}${text}${CRLF}`);
const file = (name: string, bytes: Buffer) => Buffer.concat([Buffer.from(`--${B}${CRLF}Content-Disposition: form-data; name="${name}"; filename="${name}.bin"${CRLF}${CRLF}`), bytes, Buffer.from(CRLF)]);
/** A part whose headers are `headers` (no form-data disposition), of `size` zero bytes. */
const stray = (headers: string, size: number) => Buffer.concat([Buffer.from(`--${B}${CRLF}${headers}${CRLF}${CRLF}`), Buffer.alloc(size), Buffer.from(CRLF)]);
const form = (...parts: Buffer[]) => Buffer.concat([...parts, Buffer.from(`--${B}--${CRLF}`)]);

/** POSTs `body` with a Content-Length and waits at most 5 s for the answer (raw.ts postWhole). */
const post = (path: string, body: Buffer, contentType = `multipart/form-data; boundary=${B}`): Promise<JsonAnswer> => postWhole(port, path, body, contentType, 5000);

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function budgetFreed(): Promise<number> {
  const budget = admissionOf(app)!.budget;
  for (let i = 0; i < 80 && budget.used > 0; i++) await wait(25);
  return budget.used;
}

const REQUEST = '{"model":"squeezenet1_1","resolution":64,"format":"flat"}';
const NO_DISPOSITION = 'Content-Type: application/octet-stream';
const ATTACHMENT = 'Content-Disposition: attachment; name="x"\r\nContent-Type: application/octet-stream';

describe('a part without Content-Disposition: form-data is a 400 naming it, at once, never a hang nor ignored', () => {
  for (const [what, headers] of [
    ['no Content-Disposition', NO_DISPOSITION],
    ['Content-Disposition: attachment', ATTACHMENT],
  ] as const) {
    for (const size of [1_000, 70_000, 300_000]) {
      it(`/v1/run: request, input .npy, then a ${size}-byte part with ${what}: 400 INVALID_OPTION at body (it hung from 40 KB, was ignored below 16 KB); the budget is whole again`, async () => {
        const res = await post('/v1/run', form(field('request', REQUEST), file('input', npy), stray(headers, size)));
        expect([res.status, res.json.error?.code, res.json.error?.path]).toEqual([400, 'INVALID_OPTION', 'body']);
        expect(res.json.error?.message).toContain('part 3 of the multipart form has no Content-Disposition: form-data');
        if (headers === ATTACHMENT) expect(res.json.error?.message).toContain(`its Content-Disposition is 'attachment; name="x"'`);
        expect(await budgetFreed()).toBe(0);
      }, 20_000);
    }
  }

  it('the same part first in the form, and on every route that reads a form (/v1/run, /v1/erf, /v1/compare, /v1/sweep, /v1/analyze, /v1/operators/relu): 400 INVALID_OPTION', async () => {
    const first = await post('/v1/run', form(stray(NO_DISPOSITION, 70_000), field('request', REQUEST), file('input', npy)));
    expect([first.status, first.json.error?.code]).toEqual([400, 'INVALID_OPTION']);
    expect(first.json.error?.message).toContain('part 1 of the multipart form');
    for (const url of ['/v1/run', '/v1/erf', '/v1/compare', '/v1/sweep', '/v1/analyze', '/v1/operators/relu']) {
      for (const size of [1_000, 70_000]) {
        const res = await post(url, form(field('request', '{"model":"resnet18"}'), file('input', npy), stray(ATTACHMENT, size)));
        expect([url, size, res.status, res.json.error?.code, res.json.error?.path]).toEqual([url, size, 400, 'INVALID_OPTION', 'body']);
      }
    }
    expect(await budgetFreed()).toBe(0);
  }, 60_000);

  it('a part with Content-Disposition: form-data and a name is read as before (control): the run answers', async () => {
    const res = await post('/v1/run', form(field('request', REQUEST), file('input', npy)));
    expect(res.status).toBe(200);
  }, 20_000);
});

describe('the Content-Type boundary is checked before the form is parsed (RFC 2046: 1 to 70 bchars)', () => {
  const body = (b: string) => Buffer.from(`--${b}${CRLF}Content-Disposition: form-data; name="request"${CRLF}${CRLF}{"model":"resnet18"}${CRLF}--${b}--${CRLF}`);
  const ROUTES = ['/v1/run', '/v1/erf', '/v1/compare', '/v1/sweep', '/v1/analyze', '/v1/operators/relu'];

  it('a boundary of 71, 253 or 300 characters: 400 INCOMPLETE_BODY at headers.content-type on every form route (253 was a 500 INTERNAL)', async () => {
    for (const url of ROUTES) {
      for (const n of [71, 253, 300]) {
        const b = 'a'.repeat(n);
        const res = await post(url, body(b), `multipart/form-data; boundary=${b}`);
        expect([url, n, res.status, res.json.error?.code, res.json.error?.path]).toEqual([url, n, 400, 'INCOMPLETE_BODY', 'headers.content-type']);
        expect(res.json.error?.message).toContain(`the multipart boundary is ${n} characters long`);
      }
    }
  }, 60_000);

  it('70 characters, quoted or not, is read as before; missing, empty, a character outside bchars, or a trailing space in quotes: 400 INCOMPLETE_BODY at headers.content-type', async () => {
    const b70 = 'a'.repeat(70);
    const ok = await post('/v1/run', body(b70), `multipart/form-data; boundary=${b70}`);
    // the form is read: the run's own complaint (no input tensor), not the boundary's
    expect([ok.status, ok.json.error?.code]).toEqual([400, 'INVALID_TENSOR']);
    const quoted = await post('/v1/run', body('a b:c'), 'multipart/form-data; boundary="a b:c"');
    expect([quoted.status, quoted.json.error?.code]).toEqual([400, 'INVALID_TENSOR']);
    for (const [type, message] of [
      ['multipart/form-data', 'names no boundary'],
      ['multipart/form-data; boundary=', 'an empty boundary'],
      ['multipart/form-data; boundary=""', 'an empty boundary'],
      ['multipart/form-data; boundary=a<b', 'holds a character RFC 2046 does not allow'],
      ['multipart/form-data; boundary="ab "', 'holds a character RFC 2046 does not allow'],
      ['multipart/form-data; boundary=a b', 'holds a space: quote it'],
    ]) {
      for (const url of ['/v1/run', '/v1/analyze']) {
        const res = await post(url, body('a'), type);
        expect([url, type, res.status, res.json.error?.code, res.json.error?.path]).toEqual([url, type, 400, 'INCOMPLETE_BODY', 'headers.content-type']);
        expect(res.json.error?.message).toContain(message);
      }
    }
  }, 60_000);
});

describe('a `request` part sent as a file (curl -F request=@req.json) is a 400 naming it, as /v1/compare and /v1/sweep said', () => {
  it('/v1/run, /v1/erf, /v1/compare, /v1/sweep: 400 INVALID_OPTION at request, "file part \'request\' not read" (run and erf answered "give the network" at $)', async () => {
    const asFile = Buffer.concat([
      Buffer.from(`--${B}${CRLF}Content-Disposition: form-data; name="request"; filename="req.json"${CRLF}Content-Type: application/json${CRLF}${CRLF}`),
      Buffer.from(REQUEST),
      Buffer.from(CRLF),
    ]);
    for (const url of ['/v1/run', '/v1/erf', '/v1/compare', '/v1/sweep']) {
      const res = await post(url, form(asFile));
      expect([url, res.status, res.json.error?.code, res.json.error?.path]).toEqual([url, 400, 'INVALID_OPTION', 'request']);
      expect(res.json.error?.message).toContain("file part 'request' not read");
    }
  }, 30_000);
});

describe('a `request` field whose bytes are not UTF-8 is 400 INVALID_JSON at request, as a JSON body is (busboy read each bad byte as U+FFFD)', () => {
  /** A `request` text part of these bytes, with these extra part headers. */
  const rawField = (bytes: Buffer, headers = '') => Buffer.concat([Buffer.from(`--${B}${CRLF}Content-Disposition: form-data; name="request"${CRLF}${headers}${CRLF}`), bytes, Buffer.from(CRLF)]);
  const latin1 = (s: string) => Buffer.from(s, 'latin1');
  const RELU = (name: string) => `{"inputs": {"${name}": {"shape": [2], "data": [1, -1]}}}`;

  it('an input named "x\\xe9" (Latin-1) on every route that reads a request field: 400 INVALID_JSON at request (relu answered "no input \'x\\ufffd\'")', async () => {
    for (const url of ['/v1/operators/relu', '/v1/run', '/v1/erf', '/v1/compare', '/v1/sweep']) {
      const res = await post(url, form(rawField(latin1(RELU('x\xe9')))));
      expect([url, res.status, res.json.error?.code, res.json.error?.path]).toEqual([url, 400, 'INVALID_JSON', 'request']);
      expect(res.json.error?.message).toBe('the "request" field is not valid JSON: its bytes are not UTF-8 (RFC 8259); send it in UTF-8');
    }
  }, 30_000);

  it.each([
    ['sent as application/json (which the form parser parses itself)', 'Content-Type: application/json\r\n', latin1(RELU('x\xe9'))],
    ['declared charset=utf-8', 'Content-Type: text/plain; charset=UTF-8\r\n', latin1(RELU('x\xe9'))],
    ['a lone continuation byte in a name', '', Buffer.concat([Buffer.from('{"inputs": {"x'), Buffer.from([0x80]), Buffer.from('": {"shape": [2], "data": [1, -1]}}}')])],
    // the field is not JSON either way: the message says which fault it is
    ['a three-byte sequence cut at the end of the field', '', Buffer.concat([Buffer.from(RELU('x')), Buffer.from([0xe0, 0xa4])])],
  ])('%s: 400 INVALID_JSON at request, saying its bytes are not UTF-8', async (_, headers, bytes) => {
    const res = await post('/v1/operators/relu', form(rawField(bytes, headers)));
    expect([res.status, res.json.error?.code, res.json.error?.path]).toEqual([400, 'INVALID_JSON', 'request']);
    expect(res.json.error?.message).toContain('its bytes are not UTF-8');
  });

  it('UTF-8 (é as its two bytes) is read as before', async () => {
    const utf8 = await post('/v1/operators/relu', form(rawField(Buffer.from('{"inputs": {"x": {"shape": [2], "data": [1, -1]}}, "format": "flat", "seed": 0}'))));
    expect(utf8.status).toBe(200);
    const named = await post('/v1/operators/relu', form(rawField(Buffer.from(RELU('xé')))));
    // the name arrives intact: relu's only input is x, so the answer names 'xé', not 'x\ufffd'
    expect(JSON.parse(Buffer.from(named.body, 'latin1').toString('utf8')).error.message).toContain("relu has no input 'xé'");
  });

  it('a UTF-8 character whose bytes arrive in two writes is read whole (the check runs across chunks)', async () => {
    const body = form(rawField(Buffer.from(RELU('xé'))));
    const cut = body.indexOf(Buffer.from('é')) + 1;
    const conn = await rawRequest(port, head('/v1/operators/relu', { 'content-type': `multipart/form-data; boundary=${B}`, 'content-length': body.length }), body.subarray(0, cut));
    try {
      await wait(100);
      conn.send(body.subarray(cut));
      const answer = await conn.answer(5000);
      expect(JSON.parse(Buffer.from(answer.body, 'latin1').toString('utf8')).error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs["xé"]' });
    } finally {
      conn.destroy();
    }
  });

  it('a field not named request with such bytes is refused as an unknown field, not as the request', async () => {
    const res = await post('/v1/operators/relu', form(field('request', RELU('x')), Buffer.concat([Buffer.from(`--${B}${CRLF}Content-Disposition: form-data; name="notes"${CRLF}${CRLF}`), latin1('caf\xe9'), Buffer.from(CRLF)])));
    expect([res.status, res.json.error?.code, res.json.error?.path]).toEqual([400, 'INVALID_OPTION', 'notes']);
  });
});

describe('a `request` field declaring a charset other than UTF-8 is 415 UNSUPPORTED_MEDIA_TYPE at request, as a JSON body in one is (busboy decoded it in that charset)', () => {
  /** A `request` text part of these bytes, with these extra part headers. */
  const rawField = (bytes: Buffer, headers = '') => Buffer.concat([Buffer.from(`--${B}${CRLF}Content-Disposition: form-data; name="request"${CRLF}${headers}${CRLF}`), bytes, Buffer.from(CRLF)]);
  const RELU = (name: string) => `{"inputs": {"${name}": {"shape": [2], "data": [1, -1]}}, "format": "flat", "seed": 0}`;

  it('charset=iso-8859-1 on every route that reads a request field: 415 UNSUPPORTED_MEDIA_TYPE at request, naming the charset (the same JSON as a body is 415 at headers.content-type)', async () => {
    for (const url of ['/v1/operators/relu', '/v1/run', '/v1/erf', '/v1/compare', '/v1/sweep']) {
      const res = await post(url, form(rawField(Buffer.from(RELU('x'), 'latin1'), `Content-Type: text/plain; charset=iso-8859-1${CRLF}`)));
      expect([url, res.status, res.json.error?.code, res.json.error?.path]).toEqual([url, 415, 'UNSUPPORTED_MEDIA_TYPE', 'request']);
      expect(res.json.error?.message).toContain("'iso-8859-1'");
    }
    const body = await post('/v1/operators/relu', Buffer.from(RELU('x')), 'application/json; charset=iso-8859-1');
    expect([body.status, body.json.error?.code, body.json.error?.path]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE', 'headers.content-type']);
  }, 30_000);

  it.each([
    ['text/plain; charset=latin1', Buffer.from(RELU('x\xe9'), 'latin1')],
    ['text/plain; charset=windows-1252', Buffer.from(RELU('x'), 'latin1')],
    ['text/plain; charset="UTF-16LE"', Buffer.from(RELU('x'), 'utf16le')],
    ['application/json; charset=iso-8859-1 (which the form parser parses itself)', Buffer.from(RELU('x'), 'latin1')],
  ])('Content-Type: %s: 415 UNSUPPORTED_MEDIA_TYPE at request', async (type, bytes) => {
    const res = await post('/v1/operators/relu', form(rawField(bytes, `Content-Type: ${type}${CRLF}`)));
    expect([res.status, res.json.error?.code, res.json.error?.path]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE', 'request']);
  });

  it.each([
    ['charset=utf-8', 'text/plain; charset=utf-8'],
    ['charset=UTF8', 'text/plain; charset=UTF8'],
    ['charset=us-ascii (ASCII is a part of UTF-8, as for a body)', 'text/plain; charset=us-ascii'],
    ['no charset', 'text/plain'],
  ])('%s: read (200), as a JSON body with it is', async (_, type) => {
    const res = await post('/v1/operators/relu', form(rawField(Buffer.from(RELU('x')), `Content-Type: ${type}${CRLF}`)));
    expect(res.status).toBe(200);
    const body = await post('/v1/operators/relu', Buffer.from(RELU('x')), type.replace('text/plain', 'application/json'));
    expect(body.status).toBe(200);
  });

  it('charset=us-ascii with a byte over 0x7f (busboy would read it as Latin-1): 400 INVALID_JSON at request, not a name altered', async () => {
    const res = await post('/v1/operators/relu', form(rawField(Buffer.from(RELU('xé')), `Content-Type: text/plain; charset=us-ascii${CRLF}`)));
    expect([res.status, res.json.error?.code, res.json.error?.path]).toEqual([400, 'INVALID_JSON', 'request']);
    expect(res.json.error?.message).toContain('declares charset=us-ascii');
  });
});
