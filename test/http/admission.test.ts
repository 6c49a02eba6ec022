/**
 * Admission by bytes (issue 9, defect 2), readiness, and what happens when a client goes away
 * (defect 10): a small MEMORY_BUDGET_BYTES, requests held half-sent over raw sockets so that they
 * are in flight together, and the budget, the metrics and /readyz read back. What an answer
 * charges, untimed, is test/http/admission-answer-budget.test.ts (beside other files).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { BINARY_FACTOR, JSON_FACTOR, READY_HIGH_WATER, admissionOf, memoryBudgetBytes, memoryLimit, requestEstimate } from '../../src/http/admission.js';
import { isSharedApp, sharedApp, testApp } from './app.js';
import http from 'node:http';
import net from 'node:net';
import { head, portOf, rawRequest } from './raw.js';
import type { RawConnection } from './raw.js';
import { BUDGET, BUDGET_ENV, halfSent, metricOf, reluBody } from './admission-kit.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  if (app && !isSharedApp(app)) await app.close();
  app = undefined;
});
const metric = (name: string) => metricOf(app!, name);

describe('the memory budget', () => {
  const budgetApp = sharedApp(BUDGET_ENV);
  it('estimates: JSON ×4, ONNX/.npy ×2, a form ×2 plus ×2 more for its JSON part (at most JSON_BODY_LIMIT); the default is half the machine\'s or container\'s memory', () => {
    expect([JSON_FACTOR, BINARY_FACTOR]).toEqual([4, 2]);
    expect(requestEstimate('application/json; charset=utf-8', 1000, 1 << 20)).toBe(4000);
    expect(requestEstimate('application/x-npy', 1000, 1 << 20)).toBe(2000);
    expect(requestEstimate('multipart/form-data; boundary=x', 10_000, 1000)).toBe(22_000);
    expect(memoryBudgetBytes({ MEMORY_BUDGET_BYTES: BUDGET })).toBe(BUDGET);
    expect(memoryBudgetBytes({ MEMORY_BUDGET_BYTES: undefined })).toBe(Math.floor(memoryLimit() / 2));
  });

  it('six concurrent 630 KB JSON bodies (≈2.5 MB reserved each) on an 8 MiB budget: three are admitted, three get 503 OVERLOADED with Retry-After at once; the process stays up, then all the budget returns and the next request runs', async () => {
    app = budgetApp.get();
    const port = await portOf(app);
    const body = reluBody(118_000);
    expect(body.length * JSON_FACTOR * 3).toBeLessThan(BUDGET);
    expect(body.length * JSON_FACTOR * 4).toBeGreaterThan(BUDGET);
    const half = body.length >> 1;
    const conns: RawConnection[] = [];
    for (let i = 0; i < 6; i++) conns.push(await rawRequest(port, head('/v1/operators/relu', { 'content-type': 'application/json', 'content-length': body.length }), body.subarray(0, half)));
    const first = await Promise.all(conns.map((c) => c.answer(1500)));
    const refused = first.filter((a) => a.status === 503);
    expect(refused).toHaveLength(3);
    for (const a of refused) {
      expect(a.headers['retry-after']).toBe('1');
      // the body is what the budget cannot hold (it had no path: a fuzz of 2026-12-04)
      expect(JSON.parse(a.body).error).toMatchObject({ code: 'OVERLOADED', path: 'body' });
    }
    expect(await metric('convlens_memory_reserved_bytes')).toBe(3 * body.length * JSON_FACTOR);
    await request(app.server).get('/healthz').expect(200);
    // the admitted three finish their bodies and are answered
    const admitted = conns.filter((_, i) => first[i].status === null);
    for (const c of admitted) c.send(body.subarray(half));
    const answers = await Promise.all(admitted.map((c) => c.answer(10_000)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    for (const c of conns) c.destroy();
    expect(await metric('convlens_memory_reserved_bytes')).toBe(0);
    expect(await metric('convlens_memory_budget_bytes')).toBe(BUDGET);
    const next = await request(app.server).post('/v1/operators/relu').set('content-type', 'application/json').send(body.toString());
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(next.body.outputs[0].shape).toEqual([118_000]);
  });

  it('a body that could never fit (2.5 MB of JSON needs 10 MB > 8 MiB): 413 PAYLOAD_TOO_LARGE naming MEMORY_BUDGET_BYTES, before a byte of it is read', async () => {
    app = budgetApp.get();
    const conn = await rawRequest(await portOf(app), head('/v1/run', { 'content-type': 'application/json', 'content-length': 2_500_000 }));
    const answer = await conn.answer(2000);
    conn.destroy();
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.message).toContain('MEMORY_BUDGET_BYTES');
  });

  it('a chunked body (no Content-Length) is charged as it arrives (ONNX bytes ×2): with 6 of 8 MiB held, 2 MiB more is 503 OVERLOADED; alone, 5 MiB (10 MiB reserved) is 413', async () => {
    app = budgetApp.get();
    const port = await portOf(app);
    const chunked = async (mebibytes: number) => {
      const conn = await rawRequest(port, head('/v1/analyze', { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' }));
      const chunk = Buffer.alloc(1 << 20);
      for (let i = 0; i < mebibytes; i++) conn.send(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
      const answer = await conn.answer(5000);
      conn.destroy();
      return answer;
    };
    // the app is shared with the cases before: nothing of theirs is held
    expect(await metric('convlens_memory_reserved_bytes')).toBe(0);
    // 1.5 MiB of JSON announced, one byte sent: 6 MiB held
    const held = await rawRequest(port, head('/v1/run', { 'content-type': 'application/json', 'content-length': 1.5 * 1024 * 1024 }), '{');
    await new Promise((r) => setTimeout(r, 100));
    expect(await metric('convlens_memory_reserved_bytes')).toBe(6 * 1024 * 1024);
    const spent = await chunked(2);
    expect(spent.status).toBe(503);
    expect(JSON.parse(spent.body).error).toMatchObject({ code: 'OVERLOADED', path: 'body' });
    held.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const never = await chunked(5);
    expect(never.status).toBe(413);
    expect(JSON.parse(never.body).error.message).toContain('MEMORY_BUDGET_BYTES');
    expect(await metric('convlens_memory_reserved_bytes')).toBe(0);
  });
});

describe('a body too slow to arrive within REQUEST_TIMEOUT_MS holds what has arrived, not what it declared (helper audit: one socket declaring 268 MB held 536 MB of a 1 GiB budget for 60 s)', () => {
  const ENV = { MEMORY_BUDGET_BYTES: String(BUDGET), MODEL_CACHE_BYTES: '0', RESERVE_AHEAD_MS: '300' };
  // 370,000 zeros as base64 JSON: about 1.97 MB, ×4 = 94% of the budget, over readiness's 90%
  const slow = reluBody(370_000);
  const SENT = 1000;
  const reservedNow = async () => admissionOf(app!)!.budget.used;
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const paced = sharedApp(ENV);

  it('RESERVE_AHEAD_MS 300, 1,000 of 1.97 MB sent (it would take minutes at that pace): the estimate (×4) is held at 100 ms (/readyz 503), then 4,000 bytes (what came ×4, /readyz 200) and another call runs; the rest of the body then grows it back and the call answers', async () => {
    app = paced.get();
    const port = await portOf(app);
    expect(slow.length * JSON_FACTOR).toBeGreaterThan(READY_HIGH_WATER * BUDGET);
    expect(slow.length * JSON_FACTOR).toBeLessThan(BUDGET);
    const conn = await rawRequest(port, head('/v1/operators/relu', { 'content-type': 'application/json', 'content-length': slow.length }), slow.subarray(0, SENT));
    try {
      await wait(100);
      expect(await reservedNow()).toBe(slow.length * JSON_FACTOR);
      await request(app.server).get('/readyz').expect(503);
      await wait(400);
      expect(await reservedNow()).toBe(SENT * JSON_FACTOR);
      await request(app.server).get('/readyz').expect(200);
      const other = await request(app.server).post('/v1/operators/relu').set('content-type', 'application/json').send(reluBody(118_000).toString());
      expect(other.status, JSON.stringify(other.body)).toBe(200);
      conn.send(slow.subarray(SENT));
      const answer = await conn.answer(10_000);
      expect(answer.status, answer.body.slice(0, 300)).toBe(200);
    } finally {
      conn.destroy();
    }
    await wait(100);
    expect(await reservedNow()).toBe(0);
  });

  it('an upload on pace keeps its estimate: 1.97 MB in 8 parts over 1.4 s (far within REQUEST_TIMEOUT_MS) holds ×4 throughout, checked past four RESERVE_AHEAD_MS, and answers', async () => {
    app = paced.get();
    const port = await portOf(app);
    const part = Math.ceil(slow.length / 8);
    const conn = await rawRequest(port, head('/v1/operators/relu', { 'content-type': 'application/json', 'content-length': slow.length }), slow.subarray(0, part));
    try {
      for (let i = 1; i < 8; i++) {
        await wait(200);
        expect(await reservedNow(), `after part ${i}`).toBe(slow.length * JSON_FACTOR);
        conn.send(slow.subarray(i * part, (i + 1) * part));
      }
      const answer = await conn.answer(10_000);
      expect(answer.status, answer.body.slice(0, 300)).toBe(200);
    } finally {
      conn.destroy();
    }
  });

  it('its rest meets a budget spent by others meanwhile (1.5 MiB of JSON announced: 6 of 8 MiB): 503 OVERLOADED while it arrives, and nothing is held after', async () => {
    // a second's checks: the request that spends the budget holds it for a second before its own check
    app = await testApp({ ...ENV, RESERVE_AHEAD_MS: '1000' });
    const port = await portOf(app);
    const conn = await rawRequest(port, head('/v1/operators/relu', { 'content-type': 'application/json', 'content-length': slow.length }), slow.subarray(0, SENT));
    await wait(1200);
    expect(await reservedNow()).toBe(SENT * JSON_FACTOR);
    const held = await rawRequest(port, head('/v1/run', { 'content-type': 'application/json', 'content-length': 1.5 * 1024 * 1024 }), '{');
    try {
      await wait(50);
      conn.send(slow.subarray(SENT));
      const answer = await conn.answer(5000);
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.body).error.code).toBe('OVERLOADED');
      expect(JSON.parse(answer.body).error.message).toContain('this body keeps coming');
    } finally {
      conn.destroy();
      held.destroy();
    }
    await wait(100);
    expect(await reservedNow()).toBe(0);
  });
});

describe('a burst against a full queue', () => {
  it('WORKERS=1, MAX_QUEUE=1: three task requests still sending their bodies: the third is 503 OVERLOADED at once, before any task is queued; the two admitted run', async () => {
    app = await testApp({ WORKERS: '1', MAX_QUEUE: '1' });
    const { body, half, conns } = await halfSent(await portOf(app), 3);
    const first = await Promise.all(conns.map((c) => c.answer(1500)));
    expect(first.map((a) => a.status)).toEqual([null, null, 503]);
    expect(JSON.parse(first[2].body).error.code).toBe('OVERLOADED');
    for (const c of conns.slice(0, 2)) c.send(body.subarray(half));
    const answers = await Promise.all(conns.slice(0, 2).map((c) => c.answer(10_000)));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    for (const c of conns) c.destroy();
    // the slots came back: the next request runs
    await request(app.server).post('/v1/operators/relu').set('content-type', 'application/json').send(body.toString()).expect(200);
  });
});

describe('answers a client does not read (helper audit: ten such clients held 2.8 GB outside the budget, /readyz 200, for good)', () => {
  // constantOfShape [1, 6, 1024, 1024] as .npy: a 24 MiB answer from a 90-byte body, more than loopback's socket buffers take
  const body = Buffer.from(JSON.stringify({ inputs: [{ shape: [4], data: [1, 6, 1024, 1024] }], attributes: { value: 0.5 }, format: 'npy' }));
  const ANSWER = 6 * 1024 * 1024 * 4;
  /** The call on a socket that never reads. */
  const unread = (port: number) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.pause();
    socket.on('error', () => {});
    socket.write(head('/v1/operators/constantOfShape', { 'content-type': 'application/json', 'content-length': body.length }) + body.toString());
    return socket;
  };
  const reservedWithin = async (ms: number, done: (bytes: number) => boolean) => {
    const until = performance.now() + ms;
    let bytes = await metric('convlens_memory_reserved_bytes');
    while (!done(bytes) && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      bytes = await metric('convlens_memory_reserved_bytes');
    }
    return bytes;
  };
  const post = () => request(app!.server).post('/v1/operators/constantOfShape').set('content-type', 'application/json').send(body.toString());
  const sendTimeout = sharedApp({ SEND_TIMEOUT_MS: '1000' });

  it('MEMORY_BUDGET_BYTES 64 MiB, SEND_TIMEOUT_MS 1000: two unread 24 MiB answers hold 48 MiB of the budget, a third is 503 OVERLOADED; a second after the answers stall their connections are closed, the budget comes back and the call runs', async () => {
    app = await testApp({ MEMORY_BUDGET_BYTES: String(64 * 1024 * 1024), MODEL_CACHE_BYTES: '0', SEND_TIMEOUT_MS: '1000', WORKERS: '2' });
    const port = await portOf(app);
    const held = [unread(port), unread(port)];
    // both answered: their writes stall on full socket buffers
    // each run holds its answer and its shape input, a known value the run decodes into an array of its own (4 floats: 16 bytes)
    expect(await reservedWithin(20_000, (b) => b >= 2 * (ANSWER + 16))).toBe(2 * (ANSWER + 16));
    const third = await post();
    expect([third.status, third.body.error?.code]).toEqual([503, 'OVERLOADED']);
    // refused before it runs: its run asks for the 24 MiB it will answer, beyond its body's share
    expect(third.body.error.message).toContain(`running 'constantOfShape' (its peak at layer 'constantOfShape': 24.0 MiB of activations) needs about ${ANSWER + 16 - body.length * JSON_FACTOR} more`);
    // a second without progress: the server closes both connections, and what they held goes back
    expect(await reservedWithin(5000, (b) => b === 0)).toBe(0);
    for (const h of held) h.destroy();
    const fourth = await post();
    expect(fourth.status).toBe(200);
    expect(Number(fourth.headers['content-length'])).toBeGreaterThan(ANSWER);
  });

  it('keep-alive: 30 answers on one connection leave no listener behind on its socket (one was added per answer)', async () => {
    // any SEND_TIMEOUT_MS watches each answer the same way (admission.ts stallLimit): the shared app's 1000 ms does
    app = sendTimeout.get();
    const port = await portOf(app);
    let server: net.Socket | undefined;
    app.server.once('connection', (s: net.Socket) => (server = s));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () => new Promise<void>((resolve, reject) => http.get({ port, host: '127.0.0.1', path: '/healthz', agent }, (res) => res.resume().on('end', resolve)).on('error', reject));
    await get();
    const after1 = server!.listenerCount('close');
    for (let i = 0; i < 29; i++) await get();
    expect(server!.listenerCount('close')).toBe(after1);
    agent.destroy();
  });

  it('a reader that keeps reading one large answer slowly (24 MiB in one write, 2 MiB every 150 ms: about 1.8 s) is not cut off by SEND_TIMEOUT_MS 1000: the kernel taking bytes of a write in flight is progress', async () => {
    app = sendTimeout.get();
    const port = await portOf(app);
    const socket = net.connect({ port, host: '127.0.0.1' });
    let got = 0;
    let next = 2 << 20;
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (c: Buffer) => {
        got += c.length;
        if (got > ANSWER) resolve();
        else if (got >= next) {
          next += 2 << 20;
          socket.pause();
          setTimeout(() => socket.resume(), 150);
        }
      });
      socket.once('close', () => (got > ANSWER ? resolve() : reject(new Error(`closed after ${got} bytes`))));
    });
    socket.write(head('/v1/operators/constantOfShape', { 'content-type': 'application/json', 'content-length': body.length }) + body.toString());
    await done;
    socket.destroy();
  }, 60_000);

  it('a reader that keeps reading, slowly (64 KiB every 25 ms of a 4 MiB answer: at least 1.6 s), is not cut off by SEND_TIMEOUT_MS 1000: inactivity, not duration, closes', async () => {
    app = sendTimeout.get();
    const port = await portOf(app);
    const small = Buffer.from(JSON.stringify({ inputs: [{ shape: [4], data: [1, 1, 1024, 1024] }], attributes: { value: 0.5 }, format: 'npy' }));
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.pause();
    let got = 0;
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (c: Buffer) => {
        got += c.length;
        socket.pause();
        if (got >= 4 * 1024 * 1024) resolve();
        else setTimeout(() => socket.resume(), 25);
      });
      socket.once('close', () => (got >= 4 * 1024 * 1024 ? resolve() : reject(new Error(`closed after ${got} bytes`))));
    });
    socket.write(head('/v1/operators/constantOfShape', { 'content-type': 'application/json', 'content-length': small.length }) + small.toString());
    socket.resume();
    await done;
    socket.destroy();
  }, 60_000);
});
