/**
 * Large .npy parts read into shared memory kept between requests (http/shared-bodies.ts): the pool's
 * reuse and its bound, a request's lease, and the compute routes with it (a two-worker app: its
 * workers split layers with a partner thread). Buffers go back only after a 2xx answer sent whole.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainBodyBuffer } from '../../src/http/body.js';
import { BodyLease, SHARED_MIN_BYTES, SharedBodyPool } from '../../src/http/shared-bodies.js';
import { convForward } from '../../src/ops/conv.js';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import { convPlan } from '../runtime/conv-plans.js';
import { testApp } from './app.js';

const MiB = 1024 * 1024;
const GRAIN = 64 * 1024;

describe('SharedBodyPool', () => {
  it('a new buffer is the size rounded up to 64 KiB; given back, the next take of that size or up to twice smaller gets the same buffer', () => {
    const pool = new SharedBodyPool();
    const a = pool.take(MiB + 1);
    expect(a).toBeInstanceOf(SharedArrayBuffer);
    expect(a.byteLength).toBe(MiB + GRAIN);
    pool.give(a);
    expect(pool.stats).toEqual({ buffers: 1, bytes: MiB + GRAIN });
    expect(pool.take(MiB)).toBe(a);
    expect(pool.stats).toEqual({ buffers: 0, bytes: 0 });
    pool.give(a);
    // more than twice the size asked: a new one, the large one kept
    const b = pool.take(500 * 1024);
    expect(b).not.toBe(a);
    expect(b.byteLength).toBe(512 * 1024);
    expect(pool.stats.buffers).toBe(1);
  });

  it('the smallest idle buffer that holds the size is taken (1 MiB and 2 MiB idle, 900 KiB asked: the 1 MiB one)', () => {
    const pool = new SharedBodyPool();
    const [big, small] = [pool.take(2 * MiB), pool.take(MiB)];
    pool.give(big);
    pool.give(small);
    expect(pool.take(900 * 1024)).toBe(small);
    expect(pool.take(1.5 * MiB)).toBe(big);
  });

  it('keeps at most its limit idle (1 MiB here): a second 1 MiB buffer given back is left to the collector', () => {
    const pool = new SharedBodyPool(MiB);
    const [a, b] = [pool.take(MiB), pool.take(MiB)];
    pool.give(a);
    pool.give(b);
    expect(pool.stats).toEqual({ buffers: 1, bytes: MiB });
  });
});

describe('BodyLease (one request)', () => {
  it(`parts under ${SHARED_MIN_BYTES} bytes get a plain ArrayBuffer; larger ones a pooled SharedArrayBuffer, a view of exactly the size`, () => {
    const lease = new BodyLease(new SharedBodyPool(), plainBodyBuffer);
    expect(lease.buffer(SHARED_MIN_BYTES - 1).buffer).toBeInstanceOf(ArrayBuffer);
    const big = lease.buffer(SHARED_MIN_BYTES);
    expect(big.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(big.length).toBe(SHARED_MIN_BYTES);
  });

  it('end(true) (a 2xx answer sent whole) gives its buffers back; end(false) (any other end) leaves them to the collector; a buffer the body did not keep goes back at once', () => {
    const pool = new SharedBodyPool();
    const ok = new BodyLease(pool, plainBodyBuffer);
    ok.buffer(MiB);
    ok.buffer(2 * MiB);
    expect(pool.stats.buffers).toBe(0);
    ok.end(true);
    expect(pool.stats).toEqual({ buffers: 2, bytes: 3 * MiB });

    const failed = new BodyLease(pool, plainBodyBuffer);
    failed.buffer(MiB);
    failed.end(false);
    expect(pool.stats).toEqual({ buffers: 1, bytes: 2 * MiB });

    const shrunk = new BodyLease(pool, plainBodyBuffer);
    const room = shrunk.buffer(2 * MiB);
    expect(pool.stats.buffers).toBe(0);
    shrunk.unused(room);
    expect(pool.stats).toEqual({ buffers: 1, bytes: 2 * MiB });
    shrunk.end(false);
    expect(pool.stats.buffers).toBe(1);
  });
});

/** The idle bytes the app reports at /metrics (convlens_shared_body_idle_bytes), or null when it has no such gauge. */
async function idleBytes(app: FastifyInstance): Promise<number | null> {
  const text = (await request(app.server).get('/metrics').expect(200)).text;
  const m = /^convlens_shared_body_idle_bytes (\d+)$/m.exec(text);
  return m ? Number(m[1]) : null;
}

describe('the compute routes on a two-worker app: a 3×3 conv 32→32 at 64×64 (x 512 KiB as .npy)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => app.close());

  const p = convPlan(1, 32, 64, 64, 32, 3);
  const r = rng(5);
  const x = Float32Array.from({ length: 32 * 64 * 64 }, () => r() * 2 - 1);
  const w = Float32Array.from({ length: 32 * 32 * 9 }, () => r() * 2 - 1);
  const expected = convForward(x, w, undefined, p);
  const xNpy = encodeNpy(tensor([1, 32, 64, 64], x));
  const form = () =>
    request(app.server)
      .post('/v1/operators/conv2d')
      .field('request', JSON.stringify({ attributes: { padding: 1, bias: false }, format: 'npy' }))
      .attach('x', xNpy, 'x.npy')
      .attach('weights.weight', encodeNpy(tensor([32, 32, 3, 3], w)), 'w.npy');
  const outputOf = (body: Buffer) => decodeNpy(new Uint8Array(body), 'answer', 1 << 24).data;
  const parse = (res: request.Response, done: (e: Error | null, body: Buffer) => void) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  };

  it('a multipart .npy part: the answer is convForward\'s to float rounding; its buffer is kept once the answer is sent, and the next request of that size reuses it (idle bytes the same, not twice)', async () => {
    expect(await idleBytes(app)).toBe(0);
    const first = await form().buffer(true).parse(parse).expect(200);
    const y = outputOf(first.body as Buffer);
    expect(y.length).toBe(expected.length);
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - expected[i]) / (1 + Math.abs(expected[i])));
    expect(worst).toBeLessThan(1e-5);
    // the part's room: what was left of the body when it began (x and the weights' part), in 64 KiB steps
    const kept = (await idleBytes(app))!;
    expect(kept % GRAIN).toBe(0);
    expect(kept).toBeGreaterThanOrEqual(xNpy.length);
    expect(kept).toBeLessThan(2 * xNpy.length);
    const second = await form().buffer(true).parse(parse).expect(200);
    expect(Buffer.compare(second.body as Buffer, first.body as Buffer)).toBe(0);
    expect(await idleBytes(app)).toBe(kept);
  });

  it('a request refused after its body was read (400: padding −1) leaves its buffer to the collector: the idle one it took is not given back; the next 200 keeps a buffer again', async () => {
    const before = await idleBytes(app);
    expect(before).toBeGreaterThan(0);
    await request(app.server)
      .post('/v1/operators/conv2d')
      .field('request', JSON.stringify({ attributes: { padding: -1 } }))
      .attach('x', xNpy, 'x.npy')
      .expect(400);
    expect(await idleBytes(app)).toBe(0);
    await form().expect(200);
    expect(await idleBytes(app)).toBe(before);
  });

  it('a raw .npy body (Content-Type: application/x-npy) is read into a kept buffer too; a raw .npy body sent to /v1/run (415) is not kept', async () => {
    const before = (await idleBytes(app))!;
    const res = await request(app.server)
      .post('/v1/operators/relu')
      .set('content-type', 'application/x-npy')
      .send(xNpy)
      .buffer(true)
      .parse(parse)
      .expect(200);
    expect(Array.from(outputOf(res.body as Buffer).subarray(0, 8))).toEqual(Array.from(x.subarray(0, 8), (v) => Math.max(0, v)));
    expect(await idleBytes(app)).toBe(before);
    await request(app.server).post('/v1/run').set('content-type', 'application/x-npy').send(xNpy).expect(415);
    expect(await idleBytes(app)).toBe(0);
  });
});

describe('a one-worker app (no partner threads: RUN_THREADS 1)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp({ WORKERS: '1' });
  });
  afterAll(async () => app.close());

  it('keeps no shared buffers: no convlens_shared_body_idle_bytes gauge', async () => {
    expect(await idleBytes(app)).toBeNull();
  });
});
