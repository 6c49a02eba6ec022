#!/usr/bin/env node
// `npm test`: the whole suite as two vitest runs at once (vitest.config.ts names the projects).
//
// - the serial lane, at the priority npm test has: the files that must run one at a time with
//   nothing of this run competing for the CPU (projects serial-pure, serial, serial-isolated), in
//   the order vitest.config.ts gives them;
// - the rest, beside it, ten nice levels lower (`nice -n 10`): projects pure, service and
//   service-isolated, two files at a time. Where both want a CPU the serial lane gets about 90 % of
//   it (CFS weights 1024 and 110), so the serial files keep the CPUs they use and the rest take the
//   time they leave: most of a serial file is waiting (sleeps, timeouts, child processes, one
//   thread of two), and on the 2-vCPU CI host the serial group had one CPU to itself for six and a
//   half minutes of 15 (2026-12-07: 391 s of 917 s); alone, the serial lane used 264 CPU seconds
//   in 341 s (0.78 of the 2 vCPUs), leaving about 1.2 to the rest. Not the idle class (chrt --idle 0): on a host
//   shared with other niced work it starved the rest (a 1.7 s gemm case hit its 30 s timeout at
//   load 15), where nice 10 still gets its share; under `nice -n 19 npm test` both lanes are 19.
//
// The serial lane prints as it runs; the rest's output is held until the serial lane ends, then
// printed whole, then as it comes. Under CI each lane writes its JSON report and the two are
// merged into .ci/vitest-report.json (what .ci/run reads). Exit status: 0 when both lanes pass.
//
// Arguments run one plain `vitest run <arguments>` instead (`npm test -- test/cli.test.ts`).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const args = process.argv.slice(2);

const children = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
    process.exitCode = 130;
  });
}

/** `vitest run …` as a child, `prefix` before node (a scheduling command); its stdout and stderr piped when `hold`. */
function run(vitestArgs, { prefix = [], hold = false } = {}) {
  const [command, ...rest] = [...prefix, process.execPath, vitest, 'run', ...vitestArgs];
  const child = spawn(command, rest, { cwd: root, stdio: hold ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  children.add(child);
  const exited = new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`npm test: cannot start ${command}: ${e.message}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
  return { child, exited };
}

if (args.length > 0) {
  process.exitCode = await run(args).exited;
} else {
  const ci = Boolean(process.env.CI);
  const reports = { serial: '.ci/vitest-report-serial.json', rest: '.ci/vitest-report-rest.json' };
  const report = (lane) => (ci ? [`--outputFile.json=${reports[lane]}`] : []);
  if (ci) for (const file of Object.values(reports)) rmSync(path.join(root, file), { force: true });

  const rest = run(['--project', 'pure', '--project', 'service', '--project', 'service-isolated', ...report('rest')], { prefix: ['nice', '-n', '10'], hold: true });
  const held = [];
  let holding = true;
  for (const [from, to] of [
    [rest.child.stdout, process.stdout],
    [rest.child.stderr, process.stderr],
  ]) {
    from.on('data', (chunk) => (holding ? held.push([to, chunk]) : to.write(chunk)));
  }
  const serial = run(['--project', 'serial-pure', '--project', 'serial', '--project', 'serial-isolated', ...report('serial')]);

  const serialCode = await serial.exited;
  process.stdout.write('\n[npm test] the serial lane is done; the rest (pure, service, service-isolated), run beside it:\n\n');
  holding = false;
  for (const [to, chunk] of held.splice(0)) to.write(chunk);
  const restCode = await rest.exited;

  if (ci) mergeReports(Object.values(reports));
  if (serialCode !== 0 || restCode !== 0) process.stdout.write(`\n[npm test] failed: serial lane exit ${serialCode}, the rest exit ${restCode}\n`);
  process.exitCode ||= serialCode || restCode;
}

/** The lanes' JSON reports as one (.ci/vitest-report.json): counts summed, the earliest start, files concatenated; a lane without a report fails it. */
function mergeReports(files) {
  const parts = files.map((f) => path.join(root, f)).map((f) => (existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : null));
  const present = parts.filter(Boolean);
  const merged = { numFailedTests: 0, numPassedTests: 0, ...present[0], testResults: [] };
  for (const key of Object.keys(merged)) if (key.startsWith('num')) merged[key] = 0;
  for (const part of present) {
    for (const key of Object.keys(part)) if (key.startsWith('num')) merged[key] += part[key];
    merged.testResults.push(...part.testResults);
  }
  if (present.length > 0) merged.startTime = Math.min(...present.map((p) => p.startTime));
  merged.success = parts.every((p) => p?.success === true);
  writeFileSync(path.join(root, '.ci/vitest-report.json'), JSON.stringify(merged));
}
