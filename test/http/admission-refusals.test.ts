/**
 * Admission (issue 9): a zoo report route is admitted as a POST is, refusals before the body is
 * read, GET /readyz, and a client that goes away (split from admission.test.ts).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { READY_HIGH_WATER, admissionOf } from '../../src/http/admission.js';
import { testApp } from './app.js';
import net from 'node:net';
import { head, portOf, rawRequest } from './raw.js';
import type { RawConnection } from './raw.js';
import { BUDGET_ENV, halfSent, metricOf, reluBody } from './admission-kit.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});
const metric = (name: string) => metricOf(app!, name);

describe('GET /v1/models/{name}/report runs a task: it is admitted as a POST is', () => {
  it('WORKERS=1, MAX_QUEUE=1 with two task requests held half sent: the report is 503 OVERLOADED at once (it took a place in no queue before), and runs once they are done', async () => {
    app = await testApp({ WORKERS: '1', MAX_QUEUE: '1' });
    const { body, half, conns: held } = await halfSent(await portOf(app), 2);
    const refused = await request(app.server).get('/v1/models/resnet18/report?format=json').expect(503);
    expect(refused.body.error.code).toBe('OVERLOADED');
    for (const c of held) c.send(body.subarray(half));
    expect((await Promise.all(held.map((c) => c.answer(10_000)))).map((a) => a.status)).toEqual([200, 200]);
    for (const c of held) c.destroy();
    const report = await request(app.server).get('/v1/models/resnet18/report?format=json').expect(200);
    expect(report.body.totals.params).toBe(11_689_512);
  });
});

describe('a refusal before the body is read', () => {
  const body = reluBody(20_000);
  const half = body.length >> 1;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /**
   * WORKERS=1, MAX_QUEUE=1 with two requests admitted and held half sent; a third over a socket
   * that may still send after the server's FIN (as an HTTP client does while its body goes out),
   * its head and `sent` bytes of its body written: refused at once. Its events (end, error codes)
   * and text are recorded; `ended` resolves at the server's FIN.
   */
  async function refusedWhileSending(sent: number) {
    app = await testApp({ WORKERS: '1', MAX_QUEUE: '1' });
    const port = await portOf(app);
    const held: RawConnection[] = [];
    for (let i = 0; i < 2; i++) held.push(await rawRequest(port, head('/v1/operators/relu', { 'content-type': 'application/json', 'content-length': body.length }), body.subarray(0, half)));
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const events: string[] = [];
    const seen = { text: '' };
    socket.on('data', (c: Buffer) => (seen.text += c.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => events.push(e.code ?? e.message));
    const ended = new Promise<number>((resolve) =>
      socket.once('end', () => {
        events.push('end');
        resolve(performance.now());
      }),
    );
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(head('/v1/operators/relu', { 'content-type': 'application/json', 'content-length': body.length }));
    socket.write(body.subarray(0, sent));
    const done = () => {
      socket.destroy();
      for (const c of held) c.destroy();
    };
    return { socket, events, seen, ended, closed, done };
  }

  it('WORKERS=1, MAX_QUEUE=1, the third of three requests refused (503 with connection: close) while its 107 KB body is half sent: after the answer the server half-closes, reads and drops the rest of the body, and closes without a reset once the client ends (a client still sending its body keeps its answer)', async () => {
    const r = await refusedWhileSending(half);
    await r.ended;
    expect(r.seen.text).toMatch(/^HTTP\/1\.1 503 /);
    expect(r.seen.text.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(r.seen.text.split('\r\n\r\n')[1]).error.code).toBe('OVERLOADED');
    // well after the answer, the rest of the body in two parts: to a server socket closed at the
    // answer, the first part draws a reset, and the second fails on it (EPIPE or ECONNRESET)
    await pause(200);
    r.socket.write(body.subarray(half, half + 1000));
    await pause(150);
    r.socket.write(body.subarray(half + 1000));
    await pause(150);
    expect(r.events).toEqual(['end']);
    r.socket.end();
    await r.closed;
    expect(r.events).toEqual(['end']);
    r.done();
  });

  it('a refused client that neither finishes its body nor closes is let go 2 s after its answer: writes still go through at 0.5 s, and are reset after 2.5 s (the linger is bounded)', async () => {
    const r = await refusedWhileSending(1000);
    const answered = await r.ended;
    const twoWrites = async (at: number) => {
      await pause(answered + at - performance.now());
      r.socket.write(body.subarray(1000, 2000));
      await pause(150);
      r.socket.write(body.subarray(2000, 3000));
      await pause(150);
    };
    await twoWrites(500);
    expect(r.events).toEqual(['end']);
    await twoWrites(2500);
    expect(r.events.length).toBeGreaterThan(1);
    expect(r.events[1]).toMatch(/^(EPIPE|ECONNRESET)$/);
    r.done();
  });
});

describe('GET /readyz', () => {
  it('200 { ready: true }; 503 NOT_READY reason memory while the requests in flight hold over 90% of the budget; ready again when they are gone', async () => {
    app = await testApp(BUDGET_ENV);
    const port = await portOf(app);
    expect((await request(app.server).get('/readyz').expect(200)).body).toEqual({ ready: true });
    // 1.9 MiB of JSON reserves 7.6 MiB: 95% of the budget
    const held = await rawRequest(port, head('/v1/run', { 'content-type': 'application/json', 'content-length': Math.round(1.9 * 1024 * 1024) }), '{');
    await new Promise((r) => setTimeout(r, 100));
    expect(READY_HIGH_WATER).toBe(0.9);
    const busy = await request(app.server).get('/readyz').expect(503);
    expect(busy.body.error).toMatchObject({ code: 'NOT_READY', ready: false, reason: 'memory' });
    expect(busy.headers['retry-after']).toBe('1');
    held.destroy();
    await new Promise((r) => setTimeout(r, 100));
    await request(app.server).get('/readyz').expect(200);
    await request(app.server).get('/healthz').expect(200);
  });

  it('503 NOT_READY reason draining once the app drains (SIGTERM closes the app): /healthz still answers', async () => {
    app = await testApp();
    admissionOf(app)!.drain();
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ code: 'NOT_READY', reason: 'draining' });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const other = await testApp();
    const closing = other.close();
    await new Promise((r) => setImmediate(r));
    expect(admissionOf(other)!.readiness()).toMatchObject({ ready: false, reason: 'draining' });
    await closing;
  });

  it('a request whose headers end once close() began (its connection open before): the catalog\'s 503 NOT_READY with Retry-After, not fastify\'s bare "Service Unavailable"', async () => {
    const other = await testApp();
    const port = await portOf(other);
    // the request line and a header, not yet the blank line: the connection is busy, not idle, so close() leaves it open
    const conn = await rawRequest(port, 'GET /v1/models HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setTimeout(r, 50));
    const closing = other.close();
    await new Promise((r) => setTimeout(r, 20));
    conn.send('\r\n');
    const res = await conn.answer(5000);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'NOT_READY', message: 'the service is shutting down: send the request again, to another replica' });
    conn.destroy();
    await closing;
  });
});

describe('a client that goes away', () => {
  /** ResNet-101 at 512 with seeded weights (~40 GMACs): many seconds on one worker. */
  const heavy = () =>
    Buffer.from(JSON.stringify({ model: 'resnet101', resolution: 512, inputs: { shape: [1, 3, 512, 512], dtype: 'float32', base64: Buffer.alloc(3 * 512 * 512 * 4).toString('base64') }, seed: 1 }));

  it('while its run computes: the task is cancelled (its worker replaced), counted as cancelled and CLIENT_CLOSED_REQUEST, not INTERNAL; the only worker is free for the next request at once', async () => {
    app = await testApp({ WORKERS: '1', TASK_TIMEOUT_MS: '60000' });
    const port = await portOf(app);
    await request(app.server).post('/v1/analyze?model=resnet18').expect(200);
    const body = heavy();
    const conn = await rawRequest(port, head('/v1/run', { 'content-type': 'application/json', 'content-length': body.length }), body);
    await new Promise((r) => setTimeout(r, 1500));
    conn.destroy();
    const t0 = performance.now();
    await request(app.server).post('/v1/analyze?model=resnet18').expect(200);
    expect(performance.now() - t0).toBeLessThan(8000);
    expect(await metric('convlens_task_seconds_count{task="run",outcome="cancelled"}')).toBe(1);
    expect(await metric('convlens_errors_total{code="CLIENT_CLOSED_REQUEST"}')).toBe(1);
    expect(await metric('convlens_errors_total{code="INTERNAL"}')).toBe(0);
  });

  it('a GraphQL run whose client goes away: its task is cancelled too, and the only worker is free at once', async () => {
    app = await testApp({ WORKERS: '1', TASK_TIMEOUT_MS: '60000' });
    const port = await portOf(app);
    await request(app.server).post('/v1/analyze?model=resnet18').expect(200);
    const query = 'query($i: JSON!) { run(model: "resnet101", resolution: 512, inputs: $i, seed: 1) { outputs { name } } }';
    const body = Buffer.from(JSON.stringify({ query, variables: { i: { shape: [1, 3, 512, 512], dtype: 'float32', base64: Buffer.alloc(3 * 512 * 512 * 4).toString('base64') } } }));
    const conn = await rawRequest(port, head('/graphql', { 'content-type': 'application/json', 'content-length': body.length }), body);
    await new Promise((r) => setTimeout(r, 1500));
    conn.destroy();
    const t0 = performance.now();
    await request(app.server).post('/v1/analyze?model=resnet18').expect(200);
    expect(performance.now() - t0).toBeLessThan(8000);
    expect(await metric('convlens_task_seconds_count{task="run",outcome="cancelled"}')).toBe(1);
  });

  it('in the middle of its upload: CLIENT_CLOSED_REQUEST in the metrics, not INTERNAL', async () => {
    app = await testApp();
    const conn = await rawRequest(await portOf(app), head('/v1/analyze', { 'content-type': 'application/octet-stream', 'content-length': 100_000 }), Buffer.alloc(1000));
    await new Promise((r) => setTimeout(r, 200));
    conn.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect(await metric('convlens_errors_total{code="CLIENT_CLOSED_REQUEST"}')).toBe(1);
    expect(await metric('convlens_errors_total{code="INTERNAL"}')).toBe(0);
    expect(await metric('convlens_memory_reserved_bytes')).toBe(0);
  });
});
