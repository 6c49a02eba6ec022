/**
 * Large .npy parts read into shared memory kept between requests (http/shared-bodies.ts): the pool's
 * reuse and its bound, a request's lease, and the compute routes with it (a two-worker app: its
 * workers split layers with a partner thread). Buffers go back only after a 2xx answer sent whole.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adopt, plainBodyBuffer, transferable } from '../../src/http/body.js';
import { npyIn } from '../../src/http/tensors.js';
import { BodyLease, SHARED_MIN_BYTES, SharedBodyPool } from '../../src/http/shared-bodies.js';
import { ConvlensError } from '../../src/errors.js';
import { convForward } from '../../src/ops/conv.js';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import { convPlan } from '../runtime/conv-plans.js';
import { binary, testApp } from './app.js';

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

  it('its buffers go back when no task saw them, or when every task is over and succeeded or refused the request (a 4xx from the worker), unless a 2xx answer was cut short; a task still running, failed otherwise (PARTNER_FAILED, a worker gone) or an answer cut short leaves them to the collector', async () => {
    const succeeded = async (l: BodyLease) => void (await l.track(Promise.resolve(1)));
    const failing = (e: unknown) => async (l: BodyLease) => void (await l.track(Promise.reject(e)).catch(() => undefined));
    const ends: [string, (l: BodyLease) => Promise<void> | void, 'error' | 'whole' | 'partial', boolean][] = [
      ['no task, a 400', () => undefined, 'error', true],
      ['a task that succeeded, answer sent whole', succeeded, 'whole', true],
      ['a task that succeeded, answer cut short (a client gone mid-answer)', succeeded, 'partial', false],
      ['the worker refused it: 400 SPEC_INVALID', failing(new ConvlensError('SPEC_INVALID', 'no such attribute')), 'error', true],
      ['503 PARTNER_FAILED (a partner may still be in its band)', failing(new ConvlensError('PARTNER_FAILED', 'stalled')), 'error', false],
      ['504 TIMEOUT', failing(new ConvlensError('TIMEOUT', 'too slow')), 'error', false],
      ['a worker gone (not a catalog error)', failing(new Error('worker exited')), 'error', false],
      ['a task still running', (l) => void l.track(new Promise(() => undefined)), 'whole', false],
    ];
    for (const [name, act, answer, back] of ends) {
      const pool = new SharedBodyPool();
      const lease = new BodyLease(pool, plainBodyBuffer);
      lease.buffer(MiB);
      await act(lease);
      lease.end(answer);
      expect(pool.stats.buffers, name).toBe(back ? 1 : 0);
    }
  });

  it('a buffer the body did not keep goes back at once; end(false) after it gives nothing more back', () => {
    const pool = new SharedBodyPool();
    const ok = new BodyLease(pool, plainBodyBuffer);
    ok.buffer(MiB);
    ok.buffer(2 * MiB);
    expect(pool.stats.buffers).toBe(0);
    ok.end('whole');
    expect(pool.stats).toEqual({ buffers: 2, bytes: 3 * MiB });
    pool.take(MiB);

    const shrunk = new BodyLease(pool, plainBodyBuffer);
    const room = shrunk.buffer(2 * MiB);
    expect(pool.stats.buffers).toBe(0);
    shrunk.unused(room);
    expect(pool.stats).toEqual({ buffers: 1, bytes: 2 * MiB });
    shrunk.end('partial');
    expect(pool.stats.buffers).toBe(1);
  });
});

describe('a large part in a shared buffer, handed to a worker that parses the request (a "request" field over 128 KiB: http/offload-worker.ts)', () => {
  it('adopted there, its .npy data is read as a view of the shared buffer (the partners then read it in place), not copied into a plain one; transferable() copies such bytes, since a shared buffer cannot be transferred', () => {
    const npy = encodeNpy(tensor([1, 4, 128, 128], Float32Array.from({ length: 4 * 128 * 128 }, (_, i) => i)));
    const shared = new Uint8Array(new SharedArrayBuffer(npy.length));
    shared.set(npy);
    adopt(shared);
    const { tensor: t } = npyIn(shared, 'x', 1 << 20);
    expect(t.data.buffer).toBe(shared.buffer);
    expect(Array.from(t.data.subarray(0, 3))).toEqual([0, 1, 2]);
    const moved = transferable(shared);
    expect(moved.buffer).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.compare(Buffer.from(moved), Buffer.from(shared))).toBe(0);
  });
});

/** The idle bytes the app reports at /metrics (convlens_shared_body_idle_bytes), or null when it has no such gauge. */
async function idleBytes(app: FastifyInstance): Promise<number | null> {
  const text = (await request(app.server).get('/metrics').expect(200)).text;
  const m = /^convlens_shared_body_idle_bytes (\d+)$/m.exec(text);
  return m ? Number(m[1]) : null;
}

describe('the compute routes on a two-worker app: a 3×3 conv 32→32 at 64×64 (x 512 KiB as .npy)', () => {
  // an app a case: its pool of shared buffers starts empty, whatever ran before
  let app: FastifyInstance;
  beforeEach(async () => {
    app = await testApp();
  });
  afterEach(async () => app.close());

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

  it('a multipart .npy part: the answer is convForward\'s to float rounding; its buffer is kept once the answer is sent, and the next request of that size reuses it (idle bytes the same, not twice)', async () => {
    expect(await idleBytes(app)).toBe(0);
    const first = await form().buffer(true).parse(binary).expect(200);
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
    const second = await form().buffer(true).parse(binary).expect(200);
    expect(Buffer.compare(second.body as Buffer, first.body as Buffer)).toBe(0);
    expect(await idleBytes(app)).toBe(kept);
  });

  it('a request refused before any task ran (400 INVALID_OPTION at $.bogus, on this thread), or by its task (an attribute conv2d does not have: 400 from the worker), gives its buffer back: the idle bytes stay', async () => {
    // a buffer kept by an answered request, which each refused one takes
    await form().expect(200);
    const before = await idleBytes(app);
    expect(before).toBeGreaterThan(0);
    const refused = await request(app.server)
      .post('/v1/operators/conv2d')
      .field('request', JSON.stringify({ attributes: { padding: 1 }, bogus: 1 }))
      .attach('x', xNpy, 'x.npy')
      .expect(400);
    expect(refused.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.bogus' });
    expect(await idleBytes(app)).toBe(before);
    const byWorker = await request(app.server)
      .post('/v1/operators/conv2d')
      .field('request', JSON.stringify({ attributes: { paddding: 1 } }))
      .attach('x', xNpy, 'x.npy')
      .expect(400);
    expect(byWorker.body.error.path).toMatch(/^\$\.attributes/);
    expect(await idleBytes(app)).toBe(before);
  });

  it('a raw .npy body (Content-Type: application/x-npy) is read into a kept buffer too (none idle before; after, its size in 64 KiB steps); one sent to /v1/run (415) is read into a plain buffer: the idle one stays idle', async () => {
    expect(await idleBytes(app)).toBe(0);
    const res = await request(app.server)
      .post('/v1/operators/relu')
      .set('content-type', 'application/x-npy')
      .send(xNpy)
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(Array.from(outputOf(res.body as Buffer).subarray(0, 8))).toEqual(Array.from(x.subarray(0, 8), (v) => Math.max(0, v)));
    // 524,416 bytes (a 128-byte header and 512 KiB of data): 589,824, nine 64 KiB steps
    expect(xNpy.length).toBe(524_416);
    const before = (await idleBytes(app))!;
    expect(before).toBe(9 * GRAIN);
    await request(app.server).post('/v1/run').set('content-type', 'application/x-npy').send(xNpy).expect(415);
    expect(await idleBytes(app)).toBe(before);
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
