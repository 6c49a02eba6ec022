/**
 * The process itself (src/server.ts): graceful close with requests, a queue and a body in flight,
 * Ctrl-C, SHUTDOWN_DELAY_MS. Its cases race signals against running tasks and the grace, so the
 * file runs alone (vitest.config.ts SERIAL); the cases that only boot a server and read its output
 * are test/server-boot.test.ts, beside other files.
 */
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from './server-process.js';

describe('the server process', () => {
  // the taskMs of the queue case: its TASK_TIMEOUT_MS and REQUEST_TIMEOUT_MS
  const taskMs = 30_000;
  // every case's server, booted together before the first case (the second CPU is idle in this
  // serial file, and a boot holds no case's clock; one after another they were half the file's
  // time); an idle server does no work beside the case that runs
  let servers: Record<'pressed' | 'held' | 'inFlight' | 'queue' | 'body' | 'draining', ReturnType<typeof start>>;
  beforeAll(async () => {
    servers = {
      pressed: start({}),
      held: start({ SHUTDOWN_DELAY_MS: '5000' }),
      inFlight: start({ WORKERS: '1', LOG_LEVEL: 'info' }),
      queue: start({ WORKERS: '1', RUN_THREADS: '1', TASK_TIMEOUT_MS: String(taskMs), REQUEST_TIMEOUT_MS: String(taskMs) }),
      body: start({ WORKERS: '1', TASK_TIMEOUT_MS: '1000' }),
      draining: start({ WORKERS: '1', SHUTDOWN_DELAY_MS: '1500' }),
    };
    // a guard against a hang, not a clock: six boots at once on a loaded host
    await Promise.all(Object.values(servers).map((s) => s.listening));
  }, 180_000);
  // a case that failed before its signal left its server running
  afterAll(() => {
    for (const s of Object.values(servers ?? {})) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  });

  it("Ctrl-C under npm start (SIGINT twice within a second: the terminal's and npm's forwarded copy) closes gracefully, exit 0; a SIGINT past a second later forces exit 1", async () => {
    const { pressed: s, held } = servers;
    s.child.kill('SIGINT');
    setTimeout(() => s.child.kill('SIGINT'), 50);
    expect(await s.exited).toBe(0);
    expect(s.output().stdout).toContain('"signal":"SIGINT"');
    expect(s.output().stdout).not.toContain('second SIGINT');
    // held open by SHUTDOWN_DELAY_MS, a second press 1.2 s later is a second press
    held.child.kill('SIGINT');
    setTimeout(() => held.child.kill('SIGINT'), 1200);
    expect(await held.exited).toBe(1);
    expect(held.output().stdout).toContain('second SIGINT, exiting');
  }, 30_000);

  it('SIGTERM with a request in flight: the request completes, then the process exits 0', async () => {
    const s = servers.inFlight;
    const base = await s.listening;
    // about 15 GFLOP: still running when the signal arrives
    const body = JSON.stringify({ model: 'resnet101', resolution: 224, inputs: { shape: [1, 3, 224, 224], dtype: 'float32', base64: Buffer.alloc(3 * 224 * 224 * 4).toString('base64') } });
    let answeredAt = 0;
    const inFlight = fetch(`${base}/v1/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => {
      answeredAt = performance.now();
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = performance.now();
    s.child.kill('SIGTERM');
    const res = await inFlight;
    expect(answeredAt).toBeGreaterThan(killedAt);
    expect(res.status).toBe(200);
    expect((await res.json()).outputs).toMatchObject([{ name: 'fc', shape: [1, 1000] }]);
    expect(await s.exited).toBe(0);
    expect(s.output().stdout).toContain('"signal":"SIGTERM"');
  }, 60_000);

  it('SIGTERM with a queue longer than the grace: the running tasks finish, the waiting ones are 503 NOT_READY with Retry-After, no answer is lost, exit 0', async () => {
    // Before the fix, every queued task ran after close began, and a queue longer than the grace
    // (TASK_TIMEOUT_MS + 5 s, here with REQUEST_TIMEOUT_MS as long) ended in exit 1 with connections
    // reset. The queue is made longer than the grace from a run timed here and now, and a task's 30 s
    // holds a run at load 20 and more: twelve resnet50 runs at 448 (about 1 s idle), TASK_TIMEOUT_MS
    // 4000, a fixed 500 ms before the signal and 9 s for the close, timed out at 60 s in 3 of 3 runs at
    // load 21 to 29 (the server's boot alone took much of it). Without stopStarting this exits 1.
    const grace = taskMs + 5_000;
    const s = servers.queue;
    const base = await s.listening;
    // about 10 GMAC from a 16 KB input (sixteen 32→32 3×3 convs at 256²), answered as 32 numbers
    const layers = [{ name: 'up', op: 'upsample', scaleFactor: 8 }, ...Array.from({ length: 16 }, (_, i) => ({ name: `c${i}`, op: 'conv2d', outChannels: 32, kernelSize: 3, padding: 1 })), { name: 'gap', op: 'globalAvgPool2d' }];
    const body = JSON.stringify({ spec: { name: 'drain', inputs: [{ name: 'x', shape: [1, 4, 32, 32] }], layers }, inputs: { x: { shape: [1, 4, 32, 32], dtype: 'float32', base64: Buffer.alloc(4 * 32 * 32 * 4).toString('base64') } } });
    type Answer = { status: number; retryAfter: string | null; body: { outputs?: unknown[]; error?: { code: string } } };
    let answered = 0;
    const run = (): Promise<Answer> =>
      fetch(`${base}/v1/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
        async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as { outputs?: unknown[]; error?: { code: string } } }),
        (e: Error) => ({ status: 0, retryAfter: null, body: { error: { code: `lost: ${e.message}` } } }),
      ).finally(() => answered++);
    // one run alone, after a first (the worker's first task: 23 s of one at load 23), as this machine is loaded now
    expect((await run()).status).toBe(200);
    const t = performance.now();
    expect((await run()).status).toBe(200);
    const each = performance.now() - t;
    // enough runs that, one after another on the one worker, they outlast the grace by half
    const n = Math.min(200, Math.max(12, Math.ceil((1.5 * grace) / each)));
    answered = 0;
    const answers = Array.from({ length: n }, run);
    // the signal once every run is answered, running, or waiting for the worker (GET /metrics), not after a fixed 500 ms
    const queued = async () => Number(/^convlens_pool_queued (\d+)$/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1]);
    for (const until = performance.now() + 60_000; answered + 1 + (await queued()) < n; ) {
      if (performance.now() > until) throw new Error(`${n} runs sent, not all in the pool after 60 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const killedAt = performance.now();
    s.child.kill('SIGTERM');
    const got = await Promise.all(answers);
    expect(await s.exited).toBe(0);
    // within the grace, well before the queue could have been run (n runs of `each` ms)
    expect(performance.now() - killedAt).toBeLessThan(grace);
    for (const a of got) {
      if (a.status === 200) expect(a.body.outputs).toHaveLength(1);
      else expect(a).toMatchObject({ status: 503, retryAfter: '1', body: { error: { code: 'NOT_READY' } } });
    }
    expect(got.filter((a) => a.status === 200).length, `${n} runs of ${Math.round(each)} ms`).toBeGreaterThan(0);
    expect(got.filter((a) => a.status === 503).length, `${n} runs of ${Math.round(each)} ms`).toBeGreaterThan(0);
  }, 300_000);

  it('SIGTERM while a body arrives for longer than TASK_TIMEOUT_MS + 5 s (within REQUEST_TIMEOUT_MS): it gets its answer (503 NOT_READY), exit 0', async () => {
    // before, the grace was TASK_TIMEOUT_MS + 5 s whatever the bodies still arriving: the upload's
    // connection was reset with no answer at 6 s and the process exited 1
    const s = servers.body;
    const base = new URL(await s.listening);
    const model = readFileSync(fileURLToPath(new URL('fixtures/onnx/mobilenet_v2.onnx', import.meta.url)));
    const answer = new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
      const req = request({ host: base.hostname, port: base.port, path: '/v1/analyze?input=1,3,224,224', method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': String(model.length) } });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', (e) => resolve({ error: e.message }));
      // 40 pieces 250 ms apart: the body takes 10 s
      const piece = Math.ceil(model.length / 40);
      let i = 0;
      const send = () => (i < 40 ? (req.write(model.subarray(i * piece, ++i * piece)), setTimeout(send, 250)) : req.end());
      send();
    });
    await new Promise((r) => setTimeout(r, 1000));
    s.child.kill('SIGTERM');
    const got = await answer;
    expect(got).toMatchObject({ status: 503 });
    expect(JSON.parse((got as { body: string }).body).error.code).toBe('NOT_READY');
    expect(await s.exited).toBe(0);
  }, 60_000);

  it('SHUTDOWN_DELAY_MS=1500 after SIGTERM: /readyz is 503 draining, requests are still answered (each closing its connection), then it exits 0', async () => {
    const s = servers.draining;
    const base = await s.listening;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const killedAt = performance.now();
    s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 400));
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).error).toMatchObject({ code: 'NOT_READY', reason: 'draining' });
    const analysed = await fetch(`${base}/v1/analyze?model=resnet18`, { method: 'POST' });
    expect(analysed.status).toBe(200);
    expect(analysed.headers.get('connection')).toBe('close');
    // torchvision's count for ResNet-18
    expect((await analysed.json()).totals.params).toBe(11_689_512);
    expect(await s.exited).toBe(0);
    expect(performance.now() - killedAt).toBeGreaterThanOrEqual(1500);
    expect(s.output().stdout).toContain('"shutdownDelayMs":1500');
    // after the delay the listener is closed: a new connection is refused
    await expect(fetch(`${base}/readyz`)).rejects.toThrow();
  }, 30_000);
});
