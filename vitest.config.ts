import { defineConfig } from 'vitest/config';

/**
 * Test files of pure functions (operators, tensors, analysis, importers, conventions, zoo graphs):
 * no server, worker pool, timer or process state, so they share one module graph instead of each
 * importing the whole source tree again (test/ops and test/tensor: 87 s → 21 s on the 2-vCPU
 * host; every file still runs on its own). The rest (servers, pools, CLI processes, browsers,
 * budgets) keep a fresh module graph per file.
 */
const PURE = ['test/ops/**/*.test.ts', 'test/tensor/**/*.test.ts', 'test/analysis/**/*.test.ts', 'test/graph/**/*.test.ts', 'test/conventions/**/*.test.ts', 'test/zoo/**/*.test.ts'];

/**
 * Files that must run alone (one file at a time, no other file of this run competing for the CPU:
 * `npm test`, scripts/test.mjs, runs the other projects beside them ten nice levels lower, which
 * get little CPU time the serial files want): they time themselves against a bound (performance.now,
 * Date.now), race a server, worker or Redis with sleeps, measure or charge process memory, hold
 * per-request deadlines (fuzz), count bench rounds, or sit in a per-minute window. None rewrites
 * files of the tree that other files read: such a file would conflict with the files running
 * beside the serial lane, whatever their priority (no file does now). Every other file
 * mostly waits (child processes, servers, chromium, Redis) or computes without a clock, and runs
 * two at a time: the CI host has 2 vCPUs, and vitest's default (availableParallelism() − 1) ran
 * all 375 files one after another (18 min 43 s of 20). A new test that asserts a duration, sleeps
 * against something running or depends on an idle CPU belongs here (one that writes into the tree
 * belongs nowhere: it must leave a file other files read whole, as scripts/write-if-changed.ts does).
 *
 * Not here, though once listed: test/bench/args and test/bench/records (pure functions and one
 * refused bench name: no round runs), test/http/run-cache-budget (budget arithmetic from the
 * configuration: no process memory is read), test/http/security (it waits up to 90 s for its
 * spawned server to boot and asserts nothing about how long that took), test/config and
 * test/deploy/kubernetes (their "memory" is configured and manifest quantities, compared with
 * constants: nothing is measured, timed or slept on), test/readme (serial while its Development
 * block rewrote schema/*.json and wasm/*.wasm, which files starting beside it read: npm run schema
 * and npm run wasm now leave a current file untouched and replace a stale one whole,
 * scripts/write-if-changed.ts; its `npx convlens` runs dist/ only once a build's stamp is written,
 * after the build: bin/convlens.mjs, scripts/build-if-stale.mjs; nothing in it is timed).
 */
const SERIAL_PURE = [
  'test/analysis/scale.test.ts', // clocks: each graph against itself at a twentieth of its size, in the same run (its untimed cases: test/analysis/scale-operands.test.ts)
  'test/ops/resize-bounds.test.ts', // clocks: under 1 s
  'test/graph/onnx-census.test.ts', // clocks: under 2 s
  'test/graph/folding-budget.test.ts', // clocks: under 2 s, 3 s
  'test/ops/scratch.test.ts', // memory: the process's external and array-buffer growth
];
const SERIAL = [
  'test/bench/ceilings.test.ts', // bench rounds
  'test/bench/sides.test.ts', // clocks, bench rounds
  'test/cli/decode-census.test.ts', // clocks, memory
  'test/fuzz/graphql.test.ts', // per-request deadlines
  'test/fuzz/multipart.test.ts', // per-request deadlines
  'test/fuzz/npy.test.ts', // clocks, per-request deadlines
  'test/fuzz/onnx-folding.test.ts', // memory, sleeps, per-request deadlines
  'test/http/admission-forms.test.ts', // memory, sleeps
  'test/http/admission-refusals.test.ts', // clocks, sleeps
  'test/http/admission.test.ts', // clocks, memory, sleeps (what an answer charges, untimed: test/http/admission-answer-budget.test.ts)
  'test/http/analysis-memory.test.ts', // memory, sleeps
  'test/http/answer-before-compute-run.test.ts', // clocks (the untimed operator and GraphQL bounds: test/http/answer-before-compute.test.ts, beside other files)
  'test/http/compute.test.ts', // clocks, sleeps
  'test/http/connections.test.ts', // sleeps
  'test/http/erf-wide-unit.test.ts', // clocks, memory
  'test/http/form-parts.test.ts', // sleeps
  'test/http/graphql-jobs.test.ts', // sleeps
  'test/http/graphql-schema.test.ts', // clocks
  'test/http/jobs-result-read.test.ts', // clocks, sleeps
  'test/http/limits.test.ts', // clocks, sleeps (its size limits, which time nothing: test/http/limits-sizes.test.ts, beside other files)
  'test/http/linger.test.ts', // sleeps
  'test/http/npy-answer.test.ts', // sleeps
  'test/http/send-timeout-answers.test.ts', // SEND_TIMEOUT_MS against unread answers, memory charged
  'test/http/rate-limit-exempt.test.ts', // a per-minute window
  'test/http/release.test.ts', // sleeps
  'test/http/run-fold-memory.test.ts', // memory, sleeps
  'test/http/run-memory-budget.test.ts', // memory, sleeps
  'test/jobs/eviction.test.ts', // clocks, sleeps
  'test/jobs/graphql.test.ts', // sleeps
  'test/jobs/memory.test.ts', // clocks, sleeps
  'test/jobs/redis-close.test.ts', // clocks
  'test/jobs/redis-delete-race.test.ts', // sleeps
  'test/jobs/redis-delete-stream.test.ts', // sleeps
  'test/jobs/redis-outage.test.ts', // sleeps against a worker and a Redis stopped
  'test/jobs/redis.test.ts', // clocks, sleeps (the worker command's untimed cases: test/jobs/worker-command.test.ts, beside other files)
  'test/memory-budget.test.ts', // clocks, memory, sleeps
  'test/node-flags.test.ts', // sleeps
  'test/runtime/erf.test.ts', // sleeps
  'test/runtime/memory-grant.test.ts', // clocks, memory, sleeps
  'test/runtime/memory.test.ts', // memory, sleeps
  'test/runtime/parallel-split.test.ts', // clocks, sleeps
  'test/runtime/parallel-team.test.ts', // clocks, memory, sleeps
  'test/runtime/pool-close.test.ts', // sleeps
  'test/runtime/pool-memory.test.ts', // memory, sleeps
  'test/runtime/pool-timeout.test.ts', // clocks
  'test/runtime/shared-arena-runs.test.ts', // sleeps
  'test/runtime/shared-weights.test.ts', // sleeps
  'test/runtime/split-attention.test.ts', // clocks, sleeps
  'test/runtime/split-tail.test.ts', // sleeps, a partner that sleeps, a pool
  'test/runtime/split-mlp.test.ts', // clocks, sleeps
  'test/runtime/task-clock.test.ts', // clocks, sleeps
  'test/runtime/team-protocol.test.ts', // clocks
  'test/runtime/work-budget.test.ts', // clocks
  'test/runtime/work-rates-second.test.ts', // clocks
  'test/runtime/work-rates.test.ts', // clocks
  'test/runtime/work-rates-third.test.ts', // clocks
  'test/runtime/work-rates-fourth.test.ts', // clocks
  'test/server.test.ts', // clocks, sleeps (its cases that only boot a server and read its output: test/server-boot.test.ts, beside other files)
];

/**
 * Files that need a module graph (a process) of their own: they mock modules (vi.mock: a module
 * another file already loaded would stay unmocked, a mocked one would leak into the files after),
 * assign the environment or change the directory, or measure their own process's heap, array
 * buffers, RSS or garbage collections, or set V8 flags (a shared process carries the garbage and
 * the flags of the files before them). Every other file shares its worker's module graph with the
 * files before it (isolate false): a fresh process and module graph cost a service file about 1.5 s
 * of imports (fastify, mercurius, graphql, zod, the source tree), 315 s summed over a CI run.
 * Spies on shared objects are fine shared (each file restores its own: answer-bound, result-codes).
 */
const ISOLATED = [
  'test/runtime/netron-decode.test.ts', // vi.mock
  'test/http/release.test.ts', // vi.mock
  'test/http/nearest-route.test.ts', // vi.mock
  'test/http/graphql-parse-once.test.ts', // vi.mock
  'test/http/offload-worker.test.ts', // vi.mock
  'test/http/erf-work.test.ts', // assigns process.env.MAX_RUN_WORK
  'test/cli/io.test.ts', // process.chdir
  'test/runtime/memory.test.ts', // array buffers and full collections of its own process
  'test/bench/sides.test.ts', // full collections of its own process, --expose-gc
  'test/runtime/parallel-team.test.ts', // its process's RSS
  'test/node-flags.test.ts', // sets V8 flags (--expose-gc)
  'test/cli-lazy-kernels.test.ts', // counts the WebAssembly instances its modules make (a shared graph made them before)
];

/**
 * `npm test` (scripts/test.mjs) runs two vitest processes at once: serial-pure, serial and
 * serial-isolated (groups 0 and last below) at npm test's priority, and pure, service and
 * service-isolated (group 1) at nice +10 beside them; `npx vitest run` runs all three groups
 * one after another as before.
 * Groups run one after another (sequence.groupOrder), and the projects of a group share one worker
 * count (vitest refuses two counts in a group and runs its projects on that many workers between
 * them; vitest/dist cli-api groupSpecs): group 0 the serial files, pure and service, one at a time
 * in one process; group 1 every other pure and service file, two at a time; last, the serial files
 * that need a process of their own, one at a time, nothing beside them (vitest runs a project with
 * isolate, groupOrder 0 and maxWorkers 1 as its own sequential group after every other).
 * Before (2026-12-06, 10:00) every service file had a process of its own: on the 2-vCPU host the
 * service files and the pure ones took 10 min on two workers, the serial ones 7 min on one (clean-
 * clone CI 18–19 min of its 20); shared, 6 min 48 s and 6 min 37 s.
 */
const PURE_PARALLEL = { include: PURE, exclude: SERIAL_PURE };
const SERVICE = { include: ['test/**/*.test.ts'], exclude: [...PURE, ...SERIAL] };

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // toEqual on typed arrays in a plain loop (vitest's own path took 3.9 s a million floats)
    setupFiles: ['test/setup/typed-array-equality.ts'],
    // under CI also a JSON report, from which .ci/run prints the plain "N passed, N failed" line
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.ci/vitest-report.json' },
    projects: [
      { extends: true, test: { name: 'serial-pure', include: SERIAL_PURE, isolate: false, maxWorkers: 1, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'serial', include: SERIAL, exclude: ISOLATED, isolate: false, maxWorkers: 1, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'serial-isolated', include: SERIAL.filter((file) => ISOLATED.includes(file)), maxWorkers: 1, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'pure', ...PURE_PARALLEL, isolate: false, maxWorkers: 2, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'service', include: SERVICE.include, exclude: [...SERVICE.exclude, ...ISOLATED], isolate: false, maxWorkers: 2, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'service-isolated', include: ISOLATED, exclude: SERVICE.exclude, maxWorkers: 2, sequence: { groupOrder: 1 } } },
    ],
  },
});
