/**
 * Load test (npm run bench -- load [--json] [--duration 5]): the service as `npm start` runs it
 * (dist/src/server.js, rebuilt when stale; `--tsx` runs src/server.ts instead), with the default
 * configuration and 2 workers, on 127.0.0.1 only, driven for a bounded time each by autocannon
 * (the overload by node:http clients in a process of their own, see virtualUsers):
 *
 *   healthz      GET /healthz
 *   analyze      POST /v1/analyze?model=resnet50
 *   operator     POST /v1/operators/relu with a 1×4×8×8 tensor
 *   overload     far more concurrent POST /v1/run of resnet50 at 224 than workers + MAX_QUEUE
 *                take: the refused ones must be fast 503s with Retry-After ...
 *   healthz during overload   ... while GET /healthz, measured at the same time, stays fast.
 *
 * Prints a table (req/s, p50 and p99 latency in ms, answers by status; for the overload, the 503s'
 * latency, Retry-After and how long until the first) and, with --json, one JSON record per
 * measurement instead. About 40 s with the default --duration 5. The server is killed at the end
 * (the overload leaves queued runs behind that would take minutes to finish). Never part of `npm test`.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SERVER_NODE_FLAGS } from '../src/node-flags.js';
import { loadPeer } from './peers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKERS = 2;
/** The configuration's default MAX_QUEUE (src/config.ts): the overload run exceeds workers + this. */
const MAX_QUEUE = 256;

interface Options {
  json: boolean;
  /** Seconds per measurement (the overload runs three times as long). */
  duration: number;
  tsx: boolean;
}

function options(argv: string[]): Options {
  const at = argv.indexOf('--duration');
  const duration = at >= 0 ? Number(argv[at + 1]) : 5;
  if (!(duration > 0 && duration <= 60)) throw new Error('--duration takes 1 to 60 seconds');
  return { json: argv.includes('--json'), duration, tsx: argv.includes('--tsx') };
}

export interface Measurement {
  name: string;
  request: string;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  /** Overload only: the 503s' latency, whether each carried Retry-After, and when the first came (ms after the start). */
  refused?: { count: number; p50: number; p99: number; withRetryAfter: number; firstAfterMs: number | null };
  errors: number;
  timeouts: number;
}

function machine() {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  // other work on the machine skews every figure: the 1-minute load average before the run says how much
  return { nproc: os.availableParallelism(), cpu, memoryGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}`, loadAverage: Number(os.loadavg()[0].toFixed(2)) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The server as a child process on 127.0.0.1; resolves once /healthz answers. */
async function startServer(opts: Options): Promise<{ child: ChildProcess; base: string; how: string }> {
  let entry = ['dist/src/server.js'];
  let how = `node ${SERVER_NODE_FLAGS.join(' ')} dist/src/server.js`;
  if (!opts.tsx) {
    const build = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    if (build.status !== 0) {
      process.stderr.write(`build failed, running src/server.ts with tsx instead:\n${String(build.stderr).slice(0, 2000)}\n`);
      opts.tsx = true;
    }
  }
  if (opts.tsx) {
    entry = ['--import', 'tsx', 'src/server.ts'];
    how = `node ${SERVER_NODE_FLAGS.join(' ')} --import tsx src/server.ts`;
  }
  const port = await freePort();
  // with the server's V8 flags, as npm start runs it (src/node-flags.ts)
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...entry], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WORKERS: String(WORKERS), LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // the server goes with the bench, however the bench ends (Ctrl-C, a timeout, an exception)
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the server did not answer /healthz within 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, base, how };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Load {
  name: string;
  request: string;
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  connections: number;
  seconds: number;
  /** autocannon: requests slower than this (seconds) count as timeouts and their connection is reopened. */
  timeout?: number;
}

/** Bodies too large to pass to a driver process on its command line, by name. */
const BODIES: Record<string, () => string> = {
  'resnet50 run': () => JSON.stringify({ model: 'resnet50', inputs: { shape: [1, 3, 224, 224], dtype: 'float32', base64: Buffer.alloc(3 * 224 * 224 * 4).toString('base64') } }),
};

/** One autocannon run; latency percentiles from every response (all statuses), per status for the 503s. */
async function measure(autocannon: any, spec: Load): Promise<Measurement> {
  const load = spec.body && BODIES[spec.body] ? { ...spec, body: BODIES[spec.body]() } : spec;
  const times: number[] = [];
  const refused: number[] = [];
  let withRetryAfter = 0;
  const started = performance.now();
  let firstRefused: number | null = null;
  const instance = autocannon({
    url: load.url,
    connections: load.connections,
    duration: load.seconds,
    timeout: load.timeout ?? 30,
    requests: [
      {
        method: load.method ?? 'GET',
        ...(load.body ? { body: load.body, headers: { 'content-type': 'application/json' } } : {}),
        onResponse: (status: number, _body: unknown, _context: unknown, headers: Record<string, unknown>) => {
          if (status === 503 && headers && Object.keys(headers).some((k) => k.toLowerCase() === 'retry-after')) withRetryAfter++;
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    times.push(ms);
    if (status === 503) {
      refused.push(ms);
      firstRefused ??= performance.now() - started;
    }
  });
  const result = await instance;
  times.sort((a, b) => a - b);
  refused.sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = (v as { count: number }).count;
  return {
    name: load.name,
    request: load.request,
    connections: load.connections,
    seconds: load.seconds,
    requests: times.length,
    rps: times.length / load.seconds,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: times.at(-1) ?? NaN,
    statuses,
    ...(refused.length || load.name === 'overload' ? { refused: { count: refused.length, p50: percentile(refused, 50), p99: percentile(refused, 99), withRetryAfter, firstAfterMs: firstRefused } } : {}),
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/**
 * The overload's clients: `connections` loops, each POSTing the body and reading the answer before
 * sending again, with node:http. Not autocannon here: when the server answers 503 before reading
 * a body and closes, autocannon (still writing) records a write error, reconnects and sends again,
 * and times the request from its first attempt, so its 503 latency measured its own retries;
 * node:http reads the early answer.
 */
async function virtualUsers(spec: Load): Promise<Measurement> {
  const body = Buffer.from(spec.body && BODIES[spec.body] ? BODIES[spec.body]() : spec.body ?? '');
  const url = new URL(spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const started = performance.now();
  const end = started + spec.seconds * 1000;
  const times: number[] = [];
  const refused: number[] = [];
  const statuses: Record<string, number> = {};
  let withRetryAfter = 0;
  let firstRefused: number | null = null;
  let errors = 0;
  let timeouts = 0;
  const once = () =>
    new Promise<void>((resolve) => {
      const t = performance.now();
      let settled = false;
      const settle = () => {
        settled = true;
        resolve();
      };
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: spec.method ?? 'GET', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (settled) return;
            const ms = performance.now() - t;
            const status = res.statusCode ?? 0;
            times.push(ms);
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status === 503) {
              refused.push(ms);
              firstRefused ??= performance.now() - started;
              if (res.headers['retry-after'] !== undefined) withRetryAfter++;
            }
            settle();
          });
        },
      );
      // a request still unanswered when the run ends is a timeout, not an error
      req.setTimeout(Math.max(1, end - performance.now()), () => {
        if (!settled) timeouts++;
        settle();
        req.destroy();
      });
      req.on('error', () => {
        if (settled) return;
        errors++;
        settle();
      });
      req.end(body);
    });
  await Promise.all(Array.from({ length: spec.connections }, async () => {
    while (performance.now() < end) await once();
  }));
  agent.destroy();
  times.sort((a, b) => a - b);
  refused.sort((a, b) => a - b);
  return {
    name: spec.name,
    request: spec.request,
    connections: spec.connections,
    seconds: spec.seconds,
    requests: times.length,
    rps: times.length / spec.seconds,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: times.at(-1) ?? NaN,
    statuses,
    refused: { count: refused.length, p50: percentile(refused, 50), p99: percentile(refused, 99), withRetryAfter, firstAfterMs: firstRefused },
    errors,
    timeouts,
  };
}

/** One measurement run by a child process (`bench/load.ts --drive <json>`), its result read from stdout. */
async function driveFromChild(load: Load): Promise<Measurement> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--drive', JSON.stringify(load)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the ${load.name} driver exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measurement;
}

function table(rows: Measurement[]): string {
  const head = ['measurement', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'answers'];
  const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
  const body = rows.map((m) => [
    m.name,
    String(m.connections),
    fmt(m.rps, 0),
    fmt(m.p50),
    fmt(m.p99),
    Object.entries(m.statuses)
      .map(([s, n]) => `${n}×${s}`)
      .join(' ') + (m.refused ? `; 503s: p50 ${fmt(m.refused.p50)} ms, p99 ${fmt(m.refused.p99)} ms, ${m.refused.withRetryAfter}/${m.refused.count} with Retry-After, the first ${m.refused.firstAfterMs === null ? 'never' : `${fmt(m.refused.firstAfterMs / 1000)} s`} after the start` : '') + (m.errors ? `; ${m.errors} errors` : '') + (m.timeouts ? `; ${m.timeouts} unanswered at the end` : ''),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 || i === 5 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}

export async function loadBench(argv: string[] = process.argv.slice(2)): Promise<void> {
  const opts = options(argv);
  const autocannon = (await loadPeer('autocannon'))?.default;
  if (!autocannon) {
    console.log('load: skipped (autocannon is installed by npm --prefix bench ci --ignore-scripts)');
    return;
  }
  const date = new Date().toISOString();
  const host = machine();
  const { child, base, how } = await startServer(opts);
  const out: Measurement[] = [];
  try {
    const s = opts.duration;
    const relu = JSON.stringify({ inputs: [{ shape: [1, 4, 8, 8], data: Array.from({ length: 256 }, (_, i) => Math.sin(i)) }] });
    // warm-up: the first task of each worker compiles its kernels
    await measure(autocannon, { name: 'warm-up', request: '', url: `${base}/v1/analyze?model=resnet50`, method: 'POST', connections: WORKERS, seconds: 2 });
    await measure(autocannon, { name: 'warm-up', request: '', url: `${base}/v1/operators/relu`, method: 'POST', body: relu, connections: WORKERS, seconds: 1 });
    out.push(await measure(autocannon, { name: 'healthz', request: 'GET /healthz', url: `${base}/healthz`, connections: 10, seconds: s }));
    out.push(await measure(autocannon, { name: 'analyze resnet50', request: 'POST /v1/analyze?model=resnet50', url: `${base}/v1/analyze?model=resnet50`, method: 'POST', connections: 8, seconds: s }));
    out.push(await measure(autocannon, { name: 'operator relu 1×4×8×8', request: 'POST /v1/operators/relu', url: `${base}/v1/operators/relu`, method: 'POST', body: relu, connections: 8, seconds: s }));
    // overload: more clients than workers + MAX_QUEUE, each sending an 803 KB resnet50 run, from a
    // process of their own (writing 250 MB of bodies would stall this one), while /healthz is measured here
    const overload = driveFromChild({
      name: 'overload',
      request: 'POST /v1/run resnet50 1×3×224×224',
      url: `${base}/v1/run`,
      method: 'POST',
      body: 'resnet50 run',
      connections: WORKERS + MAX_QUEUE + 64,
      seconds: 3 * s,
    });
    await new Promise((r) => setTimeout(r, 1000));
    const health = measure(autocannon, { name: 'healthz during overload', request: 'GET /healthz', url: `${base}/healthz`, connections: 4, seconds: 3 * s - 2 });
    out.push(await overload, await health);
  } finally {
    child.kill('SIGKILL');
  }
  if (opts.json) {
    for (const m of out) console.log(JSON.stringify({ date, machine: host, server: `${how}, WORKERS=${WORKERS}, defaults otherwise`, ...m }));
    return;
  }
  console.log(`\n## Load (${date}; ${host.nproc} × ${host.cpu}, ${host.memoryGB} GB, Node ${host.node}, load average ${host.loadAverage} before the run; ${how}, WORKERS=${WORKERS}, 127.0.0.1)`);
  console.log(table(out));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const drive = process.argv.indexOf('--drive');
  if (drive >= 0) {
    console.log(JSON.stringify(await virtualUsers(JSON.parse(process.argv[drive + 1]) as Load)));
  } else {
    await loadBench();
  }
}
