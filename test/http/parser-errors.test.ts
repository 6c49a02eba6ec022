/**
 * What the HTTP parser refuses, answered in the catalog's form (http/errors.ts clientError): raw
 * requests on a socket, since a well-behaved client cannot send them. Fastify's own answer was
 * {"error":"Bad Request","message":"Client Error","statusCode":400}: no code, no path.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

let app: FastifyInstance;
let port: number;
/** The id fastify gave each request it routed, in order (an onRequest hook). */
const routedIds: string[] = [];
beforeAll(async () => {
  app = await buildApp({ config: loadConfig({ WORKERS: '1' }) });
  app.addHook('onRequest', async (request) => {
    routedIds.push(request.id);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(async () => app.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Writes `parts` (ending the client's side after them when `end`), then reads the answer until the server closes. */
async function raw(parts: (string | Buffer)[], end: boolean): Promise<{ status: number; headers: Record<string, string>; body: Record<string, unknown> }> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // the server's answer ends its side; the client then ends its own
  socket.once('end', () => socket.end());
  for (const p of parts) socket.write(p);
  if (end) socket.end();
  await closed;
  const text = Buffer.concat(chunks).toString('latin1');
  const [head, body] = text.split('\r\n\r\n');
  const headers = Object.fromEntries(head.split('\r\n').slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(head.split(' ')[1]), headers, body: JSON.parse(body) };
}

describe('HTTP parser errors are catalog errors', () => {
  it('Content-Length 100000, 3 bytes sent, then the client ends its side: 400 INCOMPLETE_BODY at body', async () => {
    const r = await raw(['POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a'], true);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INCOMPLETE_BODY', path: 'body' });
  });

  it('the connection ends inside the headers (no blank line): 400 MALFORMED_REQUEST at headers, not a body error', async () => {
    const r = await raw(['GET /v1/models HTTP/1.1\r\nX-A: b'], true);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'MALFORMED_REQUEST', path: 'headers' });
  });

  it('a request line that is not HTTP ("GARBAGE"): 400 MALFORMED_REQUEST with the parser\'s reason', async () => {
    const r = await raw(['GARBAGE\r\n\r\n'], false);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'MALFORMED_REQUEST' });
    expect((r.body.error as { message: string }).message).toMatch(/^the request is not well-formed HTTP: .+\(HPE_/);
  });

  it.each([
    ['a second Content-Length', ['POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}'], 'headers.content-length'],
    ['a negative Content-Length', ['POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'], 'headers.content-length'],
    ['Transfer-Encoding with Content-Length', ['POST /v1/analyze HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n0\r\n\r\n'], 'headers.content-length'],
    ['GARBAGE for a request line', ['GARBAGE\r\n\r\n'], 'method'],
    ['the HTTP/2 preface', ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'], 'version'],
    ['a chunk size that is not hex', ['POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n'], 'body'],
  ])('%s: 400 MALFORMED_REQUEST at the part at fault, %s (a fuzz of 2026-12-04: no path)', async (_, parts, path) => {
    const r = await raw(parts, false);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'MALFORMED_REQUEST', path });
  });

  it('Expect: foo (not 100-continue): 417 EXPECTATION_FAILED at headers.expect, as JSON, and the request is not run (Node answered an empty 417)', async () => {
    const r = await raw(['POST /v1/analyze HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"model":"resnet18"}'], false);
    expect(r.status).toBe(417);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.body.error).toEqual({ code: 'EXPECTATION_FAILED', message: "the Expect header asks for 'foo'; this service knows only 100-continue: send the request without Expect, or with Expect: 100-continue", path: 'headers.expect' });
    // every error carries its request id (it had none: Node answers before fastify)
    expect(r.body.requestId).toMatch(UUID);
    expect(r.headers['x-request-id']).toBe(r.body.requestId);
  });

  it("Expect: 200-ok with the client's X-Request-Id: 417 with that id, as fastify keeps it", async () => {
    const r = await raw(['POST /v1/analyze?model=resnet18 HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nX-Request-Id: abc-123\r\nContent-Length: 0\r\n\r\n'], false);
    expect([r.status, r.body.requestId, r.headers['x-request-id']]).toEqual([417, 'abc-123', 'abc-123']);
    expect(r.body.error).toMatchObject({ code: 'EXPECTATION_FAILED', path: 'headers.expect' });
  });

  it('Expect: 100-continue is still honoured: the 100 first, then the analysis', async () => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.once('end', () => socket.end());
    let text = '';
    let sent = false;
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      // the body goes once the server said 100 Continue, as curl sends it
      if (text.startsWith('HTTP/1.1 100') && !sent) {
        sent = true;
        socket.write('{"model":"resnet18"}');
      }
    });
    socket.write('POST /v1/analyze HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 20\r\nConnection: close\r\n\r\n');
    await new Promise((resolve) => socket.once('close', resolve));
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });

  it('a 20 KiB header (the parser takes 16 KiB): 431 HEADERS_TOO_LARGE at headers', async () => {
    const r = await raw([`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 << 10)}\r\n\r\n`], false);
    expect(r.status).toBe(431);
    expect(r.body.error).toMatchObject({ code: 'HEADERS_TOO_LARGE', path: 'headers' });
  });
});

describe("the parser's answers carry a request id, as every other error answer does (they had none)", () => {
  it.each([
    ['a request line that is not HTTP', 'MALFORMED_REQUEST', ['GARBAGE\r\n\r\n'], false],
    ['a header line without a colon', 'MALFORMED_REQUEST', ['GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\r\nBad Header\r\n\r\n'], false],
    ['the connection ends inside the headers', 'MALFORMED_REQUEST', ['GET /v1/models HTTP/1.1\r\nX-Request-Id: abc\r\nX-A: b'], true],
    ['a 20 KiB header', 'HEADERS_TOO_LARGE', [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\r\nX-Big: ${'a'.repeat(20 << 10)}\r\n\r\n`], false],
  ] as const)('%s (its head never parsed, so fastify never saw it): %s with a new UUID, in the body and X-Request-Id', async (_, code, parts, end) => {
    const r = await raw([...parts], end);
    expect(r.body.error).toMatchObject({ code });
    expect(r.body.requestId).toMatch(UUID);
    expect(r.headers['x-request-id']).toBe(r.body.requestId);
  });

  it("a body cut short (its head parsed and routed): the id fastify gave the request, the client's X-Request-Id when it sent one", async () => {
    const cut = (id: string) => ['POST /v1/analyze HTTP/1.1\r\nHost: x\r\n', id, 'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a'];
    const given = await raw(cut('X-Request-Id: abc-123\r\n'), true);
    expect(given.body.error).toMatchObject({ code: 'INCOMPLETE_BODY', path: 'body' });
    expect([given.body.requestId, given.headers['x-request-id']]).toEqual(['abc-123', 'abc-123']);
    const before = routedIds.length;
    const generated = await raw(cut(''), true);
    expect(generated.body.error).toMatchObject({ code: 'INCOMPLETE_BODY' });
    expect(routedIds.slice(before)).toEqual([generated.body.requestId]);
    expect(generated.body.requestId).toMatch(UUID);
    expect(generated.headers['x-request-id']).toBe(generated.body.requestId);
  });

  it('a chunked body whose chunk size is not hex (HPE_INVALID_CHUNK_SIZE): MALFORMED_REQUEST with the id fastify gave the request', async () => {
    const before = routedIds.length;
    const r = await raw(['POST /v1/analyze HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n'], false);
    expect(r.body.error).toMatchObject({ code: 'MALFORMED_REQUEST' });
    expect(routedIds.slice(before)).toEqual([r.body.requestId]);
    expect(r.headers['x-request-id']).toBe(r.body.requestId);
  });
});

describe('what fastify answered itself, before any route: catalog errors too', () => {
  /** Sends one request with `Connection: close` and reads its answer (the body parsed as JSON). */
  const once = (head: string) => raw([head], false);

  it('GET /v1/models/%ZZ (not percent-encoding): 400 MALFORMED_REQUEST at url (was fastify\'s FST_ERR_BAD_URL body)', async () => {
    const r = await once('GET /v1/models/%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'MALFORMED_REQUEST', path: 'url' });
    expect(r.body.requestId).toEqual(expect.any(String));
    expect(r.headers['x-request-id']).toBe(r.body.requestId);
  });

  it('GET /v1/jobs/ with a 250-character id (over the router\'s 200): 404 NOT_FOUND (was a 414 FST_ERR_MAX_PARAM_LENGTH); 150 characters reach the route: 404 JOB_NOT_FOUND', async () => {
    const long = await once(`GET /v1/jobs/${'a'.repeat(250)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(long.status).toBe(404);
    // at the parameter the segment stands in (it was the whole path, echoed: a hunt sent 5,000 characters)
    expect(long.body.error).toMatchObject({ code: 'NOT_FOUND', path: 'id' });
    const shorter = await once(`GET /v1/jobs/${'a'.repeat(150)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(shorter.status).toBe(404);
    expect(shorter.body.error).toMatchObject({ code: 'JOB_NOT_FOUND' });
  });

  it('an HTTP/1.1 request without Host: 400 MALFORMED_REQUEST at headers.host (was Node\'s empty 400); HTTP/1.0 needs none', async () => {
    const r = await once('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'MALFORMED_REQUEST', path: 'headers.host' });
    expect(r.body.requestId).toMatch(UUID);
    expect(r.headers['x-request-id']).toBe(r.body.requestId);
    const old = await raw(['GET /healthz HTTP/1.0\r\n\r\n'], false);
    expect(old.status).toBe(200);
  });
});

describe('bodies in an encoding the service does not read are 415, not mojibake', () => {
  const post = (headers: string, body: Buffer) => raw([Buffer.from(`POST /v1/analyze HTTP/1.1\r\nHost: x\r\n${headers}Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body], true);

  it('Content-Encoding: gzip: 415 UNSUPPORTED_MEDIA_TYPE at headers.content-encoding (the compressed bytes were INVALID_JSON)', async () => {
    const r = await post('Content-Type: application/json\r\nContent-Encoding: gzip\r\n', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]));
    expect(r.status).toBe(415);
    expect(r.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.content-encoding' });
  });

  // found by a hunt: node undoes chunked only, so a gzip transfer coding reached the parsers as the compressed bytes (a plain body was answered 200)
  it('Transfer-Encoding: gzip, chunked: 415 UNSUPPORTED_MEDIA_TYPE at headers.transfer-encoding; chunked alone is read', async () => {
    const body = '{"model":"resnet18"}';
    const chunked = (te: string) => raw([Buffer.from(`POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: ${te}\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`, 'latin1')], true);
    const r = await chunked('gzip, chunked');
    expect(r.status).toBe(415);
    expect(r.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.transfer-encoding', message: "the transfer coding 'gzip' is not decoded here; send the body as it is (Transfer-Encoding: chunked alone)" });
    // chunked alone is read, and so is ", chunked" (an empty list element is nothing, RFC 9110 §5.6.1, as
    // node reads it): the report comes back (itself chunked: its status line and first bytes read here)
    for (const te of ['chunked', ', chunked']) {
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.write(`POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: ${te}\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
      const chunks: Buffer[] = [];
      await new Promise<void>((resolve) => socket.on('data', (c: Buffer) => chunks.push(c)).once('close', () => resolve()));
      const answer = Buffer.concat(chunks).toString('utf8');
      expect(answer.split('\r\n')[0], te).toBe('HTTP/1.1 200 OK');
      expect(answer).toContain('"name":"resnet18"');
    }
  });

  it('application/json; charset=iso-8859-1: 415 at headers.content-type (a Latin-1 "café" was read as UTF-8 and became "caf\\ufffd")', async () => {
    const r = await post('Content-Type: application/json; charset=iso-8859-1\r\n', Buffer.from('{"model": "caf\xe9"}', 'latin1'));
    expect(r.status).toBe(415);
    expect(r.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.content-type' });
    expect((r.body.error as { message: string }).message).toContain("the charset 'iso-8859-1'");
  });

  it('bytes that are not UTF-8 in a JSON body (no charset): 400 INVALID_JSON, not a name altered to U+FFFD', async () => {
    const r = await post('Content-Type: application/json\r\n', Buffer.from('{"model": "caf\xe9"}', 'latin1'));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_JSON' });
    expect((r.body.error as { message: string }).message).toContain('not UTF-8');
  });

  it('a request without a body (GET /healthz) carrying Content-Encoding: gzip is answered as before: nothing is encoded', async () => {
    const res = await request(app.server).get('/healthz').set('content-encoding', 'gzip');
    expect(res.status).toBe(200);
  });

  it('charset=us-ascii (a part of UTF-8) is read: 200', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/json; charset=us-ascii').send('{"model": "resnet18"}');
    expect(res.status).toBe(200);
  });

  it('charset=UTF-8 and Content-Encoding: identity are read as before: 200', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/json; charset="UTF-8"').set('content-encoding', 'identity').send('{"model": "resnet18"}');
    expect([res.status, res.body.totals?.params]).toEqual([200, 11_689_512]);
  });
});
