/**
 * src/node-flags.ts: the server's V8 flags are the same wherever it is started (npm start, the
 * Docker image, npm run bench) and in the job worker's commands; a missing one is found however V8
 * spells it; and the reason for the flag holds on this Node: a small heap holding array buffers
 * larger than 8 MB across turns runs a full collection every few turns once one has set its limit,
 * and next to none with the flag.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { missingNodeFlags, SERVER_NODE_FLAGS } from '../src/node-flags.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string) => readFileSync(`${root}/${file}`, 'utf8');
/** The options a `node … <script>` command line gives node before its script. */
const nodeOptionsOf = (command: string[], script: string) => command.slice(command.indexOf('node') + 1, command.indexOf(script)).filter((a) => a !== '--import' && a !== 'tsx');

describe('the server starts with the same V8 flags everywhere', () => {
  it('npm start, npm run dev (it started with the missing-flag warning: a README walk-through), the Docker ENTRYPOINT and npm run bench pass exactly SERVER_NODE_FLAGS', () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    expect(nodeOptionsOf(scripts.start.split(' '), 'dist/src/server.js')).toEqual(SERVER_NODE_FLAGS);
    expect(nodeOptionsOf(scripts.dev.split(' '), 'src/server.ts')).toEqual(SERVER_NODE_FLAGS);
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'))![1]) as string[];
    expect(nodeOptionsOf(entrypoint, 'dist/src/server.js')).toEqual(SERVER_NODE_FLAGS);
    const bench = scripts.bench.split(' && ').at(-1)!.split(' ');
    expect(nodeOptionsOf(bench, 'bench/run.ts')).toEqual(SERVER_NODE_FLAGS);
  });

  it('the job worker (`convlens worker`) too: in the compose file and in the production overlay', () => {
    const compose = JSON.parse(/^\s*entrypoint: (\[.*"worker"\])$/m.exec(read('docker-compose.yml'))![1]) as string[];
    expect(nodeOptionsOf(compose, 'dist/src/cli.js')).toEqual(SERVER_NODE_FLAGS);
    const overlay = JSON.parse(/^\s*command: (\[.*"worker"\])$/m.exec(read('deploy/overlays/production/worker-deployment.yaml'))![1]) as string[];
    expect(nodeOptionsOf(overlay, 'dist/src/cli.js')).toEqual(SERVER_NODE_FLAGS);
  });

  it('missingNodeFlags: none given → the flag; given with underscores → none; another value → the flag', () => {
    expect(missingNodeFlags([])).toEqual(['--initial-old-space-size=128']);
    expect(missingNodeFlags(['--import', 'tsx', '--initial_old_space_size=128'])).toEqual([]);
    expect(missingNodeFlags(['--initial-old-space-size=64'])).toEqual(['--initial-old-space-size=128']);
  });
});

// 80 turns, each holding a 16 MB array buffer and a few objects that live three turns (so some reach
// the old generation), after one forced full collection; prints the full collections counted after it
const turns = `
import v8 from 'node:v8';
import vm from 'node:vm';
import { PerformanceObserver, constants } from 'node:perf_hooks';
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
let full = 0;
const count = (entries) => { for (const e of entries) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++; };
const observer = new PerformanceObserver((list) => count(list.getEntries()));
observer.observe({ entryTypes: ['gc'] });
gc();
// the forced collection's entry arrives a turn or more later: counted, then forgotten
await new Promise((r) => setTimeout(r, 20));
count(observer.takeRecords());
full = 0;
const ring = [];
for (let i = 0; i < 80; i++) {
  const tensor = new Float32Array(4e6);
  const objects = [];
  ring.push(objects);
  if (ring.length > 3) ring.shift();
  for (let j = 0; j < 2e4; j++) objects.push({ j, s: 'x' + j });
  await new Promise((r) => setTimeout(r, 1));
  tensor[0] = objects.length;
}
await new Promise((r) => setImmediate(r));
count(observer.takeRecords());
console.log(full);
`;
const fullCollections = (flags: readonly string[]) => Number(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', turns], { encoding: 'utf8' }).trim());

// measured (the forced one left out): Node 20.20, 17–19 without, 2–3 with (3 beside two busy CPUs);
// Node 22.23, 12–15 without, 2 with (V8's separate rule, 64 MB of buffers since the last full
// collection, starts those)
describe('why: full collections of a small heap holding 16 MB per turn', () => {
  it('without the flags at least 10 in 80 turns; with SERVER_NODE_FLAGS at most 6', () => {
    expect(fullCollections([])).toBeGreaterThanOrEqual(10);
    expect(fullCollections(SERVER_NODE_FLAGS)).toBeLessThanOrEqual(6);
  }, 30_000);
});
