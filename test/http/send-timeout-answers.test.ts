/**
 * SEND_TIMEOUT_MS beyond the REST tensor answers (test/http/admission.test.ts): a client that never
 * reads a large GraphQL answer or a job's stored result has its connection closed, and the memory
 * budget held for a GraphQL answer comes back. Probed (2026-12-05, SEND_TIMEOUT_MS 1000, the
 * service on a loaded 2-vCPU VM): GET /v1/jobs/{id} of a 68 MB run result and its /results stream
 * closed after about 2.1 s (nothing charged to the budget: the bytes are the store's), a GraphQL run
 * answering 16 MiB as base64 after about 2.5 s, its 17.9 MB charge back to 0 then.
 */
import type { FastifyInstance } from 'fastify';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricOf } from './admission-kit.js';
import { testApp } from './app.js';
import { portOf } from './raw.js';

// upsample ×32 of a 64×64 input: 2048 × 2048 = 4,194,304 float32 values, 16 MiB
const spec = { inputs: [{ name: 'x', shape: [1, 1, 64, 64] }], layers: [{ name: 'up', op: 'upsample', scaleFactor: 32 }] };
const x = { shape: [1, 1, 64, 64], data: Array.from({ length: 4096 }, (_, i) => i / 7) };
const OUTPUT = 2048 * 2048 * 4;

describe('SEND_TIMEOUT_MS 1000: unread GraphQL answers and job results', () => {
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    app = await testApp({ SEND_TIMEOUT_MS: '1000', MEMORY_BUDGET_BYTES: String(256 * 1024 * 1024), MODEL_CACHE_BYTES: '0' });
    port = await portOf(app);
  });
  afterAll(async () => app.close());
  const connections = () => new Promise<number>((resolve, reject) => app.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
  const within = async <T>(ms: number, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
    const until = performance.now() + ms;
    let v = await read();
    while (!done(v) && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      v = await read();
    }
    return v;
  };
  /** A request whose answer is never read: its socket paused from the start. */
  const unread = (method: string, path: string, body?: unknown) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.pause();
    socket.on('error', () => undefined);
    const bytes = Buffer.from(body === undefined ? '' : JSON.stringify(body));
    socket.write(`${method} ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${bytes.length}\r\n\r\n`);
    socket.write(bytes);
    return socket;
  };

  it('a GraphQL run answering 16 MiB as base64, never read: charged (its output and more) while it stalls, then closed, the budget back to 0', async () => {
    const query = 'query($s: JSON, $x: JSON!) { run(spec: $s, inputs: { x: $x }) { outputs { name tensor { base64 } } } }';
    const socket = unread('POST', '/graphql', { query, variables: { s: spec, x } });
    try {
      expect(await within(20_000, () => metricOf(app, 'convlens_memory_reserved_bytes'), (b) => b >= OUTPUT)).toBeGreaterThanOrEqual(OUTPUT);
      expect(await within(10_000, () => metricOf(app, 'convlens_memory_reserved_bytes'), (b) => b === 0)).toBe(0);
      expect(await within(2000, connections, (n) => n === 0)).toBe(0);
    } finally {
      socket.destroy();
    }
  }, 40_000);

  it("GET /v1/jobs/{id} and its /results of a run job's 4,194,304 values as JSON (tens of MB), never read: each connection closed", async () => {
    const submitted = await fetch(`http://127.0.0.1:${port}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'run', spec, inputs: { x } }) });
    const { id } = (await submitted.json()) as { id: string };
    const status = () => fetch(`http://127.0.0.1:${port}/v1/jobs/${id}`).then(async (r) => (await r.text()).slice(0, 200));
    expect(await within(30_000, status, (s) => s.includes('"status":"done"'))).toContain('"status":"done"');
    for (const path of [`/v1/jobs/${id}`, `/v1/jobs/${id}/results`]) {
      // the server's end of this connection (the fetches above keep theirs alive)
      const accepted = new Promise<net.Socket>((resolve) => app.server.once('connection', resolve));
      const socket = unread('GET', path);
      try {
        const server = await accepted;
        const t0 = performance.now();
        const closed = await Promise.race([new Promise<boolean>((resolve) => server.once('close', () => resolve(true))), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000))]);
        expect([path, closed]).toEqual([path, true]);
        expect(performance.now() - t0).toBeGreaterThanOrEqual(1000);
      } finally {
        socket.destroy();
      }
    }
  }, 60_000);
});
