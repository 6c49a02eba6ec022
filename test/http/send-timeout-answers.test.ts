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
    // the two at once (each waits out its own SEND_TIMEOUT_MS); the server's end of each connection
    // is the one whose remote port is the client's own (the fetches above keep theirs alive)
    const accepted: { remotePort: number | undefined; at: number; closed: Promise<number> }[] = [];
    const onConnection = (socket: net.Socket) => accepted.push({ remotePort: socket.remotePort, at: performance.now(), closed: new Promise((resolve) => socket.once('close', () => resolve(performance.now()))) });
    app.server.on('connection', onConnection);
    const closedAfter = async (path: string): Promise<[string, boolean, number]> => {
      const socket = unread('GET', path);
      try {
        await new Promise<void>((resolve) => (socket.connecting ? socket.once('connect', () => resolve()) : resolve()));
        let server: (typeof accepted)[number] | undefined;
        for (let i = 0; i < 400 && !(server = accepted.find((a) => a.remotePort === socket.localPort)); i++) await new Promise((r) => setTimeout(r, 25));
        if (!server) return [path, false, 0];
        const closedAt = await Promise.race([server.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000))]);
        return [path, closedAt !== null, (closedAt ?? 0) - server.at];
      } finally {
        socket.destroy();
      }
    };
    try {
      for (const [path, closed, ms] of await Promise.all([`/v1/jobs/${id}`, `/v1/jobs/${id}/results`].map(closedAfter))) {
        expect([path, closed]).toEqual([path, true]);
        expect(ms, path).toBeGreaterThanOrEqual(1000);
      }
    } finally {
      app.server.off('connection', onConnection);
    }
  }, 60_000);
});
