/**
 * The `convlens worker` process: configuration from the environment (the server's variables:
 * REDIS_URL required, WORKERS, TASK_TIMEOUT_MS, MAX_TENSOR_ELEMENTS, JOB_*, LOG_LEVEL, LOG_FORMAT),
 * a worker pool, the BullMQ consumer (jobs/worker.ts), JSON logs on stdout; on SIGTERM or SIGINT it
 * stops taking jobs, finishes the running ones and exits 0. Redis not reached within
 * WORKER_REDIS_WAIT_MS of the start: one error line on stderr, exit 5 (an orchestrator restarts it). Loaded by the CLI only for this command.
 */
import { pino } from 'pino';
import { EXIT } from '../cli/gates.js';
import { ConfigError, loadConfig } from '../config.js';
import { ConvlensError } from '../errors.js';
import { loggerOptions } from '../logging.js';
import { missingNodeFlags } from '../node-flags.js';
import { createPool } from '../runtime/pool.js';
import { startJobWorker } from './worker.js';

export interface WorkerProcessIo {
  err(text: string): void;
}

/** Runs until `stop` resolves (by default SIGTERM or SIGINT); the exit code. */
export async function runWorkerProcess(io: WorkerProcessIo, env: NodeJS.ProcessEnv = process.env, stop?: Promise<unknown>): Promise<number> {
  let config;
  try {
    config = loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      // the command line's one error line, `convlens: CODE: message (at PLACE)` (README: Command line); it was the server's
      // "invalid configuration:" and a line a variable, without a code (found by the fuzz round)
      io.err(`convlens: INVALID_OPTION: invalid configuration: ${e.lines.join('; ')}${e.variables.length > 0 ? ` (at ${e.variables[0]})` : ''}`);
      return EXIT.INVALID_INPUT;
    }
    throw e;
  }
  if (!config.REDIS_URL) {
    io.err('convlens: INVALID_OPTION: worker needs REDIS_URL (e.g. redis://localhost:6379): it runs the jobs the API replicas queue there (at REDIS_URL)');
    return EXIT.INVALID_INPUT;
  }
  const log = pino(loggerOptions(config));
  // the compose file and the production overlay pass the server's V8 flags (src/node-flags.ts)
  const missing = missingNodeFlags();
  if (missing.length > 0) log.warn({ missingNodeFlags: missing }, `started without ${missing.join(' ')}: the main thread may run a full garbage collection at every large job (src/node-flags.ts)`);
  const pool = createPool(config);
  const signalled = new Promise<string>((resolve) => {
    for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve(s));
  });
  const stopping = stop ?? signalled;
  let abandoned = false;
  let unreachable = false;
  try {
    // a signal while Redis cannot be reached stops it too (it waited for a connection, deaf to SIGTERM)
    let worker;
    try {
      worker = await startJobWorker(config, pool, log, stopping);
    } catch (e) {
      if (!(e instanceof ConvlensError && e.code === 'QUEUE_UNAVAILABLE')) throw e;
      // Redis not reached within WORKER_REDIS_WAIT_MS: a non-zero exit, for an orchestrator to restart it
      log.error({ waitedMs: config.WORKER_REDIS_WAIT_MS }, e.message);
      io.err(`convlens: ${e.code}: ${e.message} (at REDIS_URL)`);
      unreachable = true;
      return EXIT.QUEUE_UNREACHABLE;
    }
    if (!worker) {
      log.info({ signal: await stopping }, 'stopped before the queue on REDIS_URL could be reached');
      return EXIT.OK;
    }
    const why = await stopping;
    log.info({ signal: why }, 'closing: finishing the running jobs');
    abandoned = !(await worker.close());
    return EXIT.OK;
  } finally {
    await pool.close();
    log.info('convlens worker stopped');
    log.flush();
    // stopped without Redis (jobs/worker.ts STOP_UNREACHABLE_MS): BullMQ's connections, still trying
    // to reach it, would hold the process for ever; as the process's own command (signals, no `stop`
    // given by an embedding caller), it exits
    if (abandoned && stop === undefined) process.exit(EXIT.OK);
    // not started (Redis not reached in time): BullMQ's connections may hold it likewise
    if (unreachable && stop === undefined) process.exit(EXIT.QUEUE_UNREACHABLE);
  }
}
