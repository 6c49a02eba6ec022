/** The process: configuration, logger, listen, graceful close. */
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { admissionOf } from './http/admission.js';
import { ConfigError, loadConfig } from './config.js';
import { loggerOptions } from './logging.js';
import { CLOSE_GRACE_SLACK_MS } from './limits.js';
import { metricsServer } from './http/security.js';
import { missingNodeFlags } from './node-flags.js';

let config;
try {
  config = loadConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`convlens: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}

const logger = pino(loggerOptions(config));
const app = await buildApp({ config, logger });
// METRICS_PORT: /metrics on a second small server (the main port answers it 404)
const metrics = config.METRICS_PORT === undefined ? null : metricsServer(app);

// in-flight tasks may run up to TASK_TIMEOUT_MS: let them finish before giving up (tasks that get no
// worker soon after close begins are refused instead: limits.ts CLOSE_START_MS). A body still arriving
// may take up to REQUEST_TIMEOUT_MS, then gets its answer (NOT_READY by then): with TASK_TIMEOUT_MS
// 1000, a 10 s upload under way at SIGTERM had its connection reset with no answer and the process
// exited 1 (killed by close-with-grace at 6 s; the shutdown soak, 2026-12-04)
const drainMs = Math.max(config.TASK_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS);
// SIGINT is handled below: Ctrl-C under `npm start` reaches the server twice (from the terminal's
// process group, and forwarded by npm), and close-with-grace took the copy as a second press: exit 1
// at once, in-flight requests dropped
let interruptedAt: number | null = null;
const closer = closeWithGrace({ delay: config.SHUTDOWN_DELAY_MS + drainMs + CLOSE_GRACE_SLACK_MS, skip: ['SIGINT'] }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'closing after an uncaught error');
  else app.log.info({ signal: signal ?? (interruptedAt !== null ? 'SIGINT' : undefined), shutdownDelayMs: config.SHUTDOWN_DELAY_MS }, 'closing');
  // /readyz fails from here on; requests are still served for SHUTDOWN_DELAY_MS, time for a load
  // balancer polling /readyz to stop sending here (behind Kubernetes the preStop sleep did it already).
  // An uncaught error closes at once: the process is not fit to serve.
  admissionOf(app)?.drain();
  if (!err && config.SHUTDOWN_DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DELAY_MS));
  await app.close();
  await metrics?.close();
});

/** A SIGINT this soon after the first is the same Ctrl-C (npm's forwarded copy); a later one forces the exit, as close-with-grace's second signal does. */
const SAME_INTERRUPT_MS = 1000;
process.on('SIGINT', () => {
  const now = Date.now();
  if (interruptedAt === null) {
    interruptedAt = now;
    void closer.close();
  } else if (now - interruptedAt >= SAME_INTERRUPT_MS) {
    app.log.error('second SIGINT, exiting');
    process.exit(1);
  }
});

await app.listen({ port: config.PORT, host: config.HOST });
const metricsAt = metrics ? await metrics.listen({ port: config.METRICS_PORT, host: config.HOST }) : null;
if (metricsAt) app.log.info({ metrics: `${metricsAt}/metrics` }, `metrics listening at ${metricsAt}/metrics`);
// npm start and the image pass these; a process started otherwise (node dist/src/server.js) runs, with a warning
const missing = missingNodeFlags();
if (missing.length > 0) app.log.warn({ missingNodeFlags: missing }, `started without ${missing.join(' ')}: the main thread may run a full garbage collection at every large request (src/node-flags.ts)`);
app.log.info({ graphiql: config.GRAPHIQL ? '/graphiql' : null, auth: config.API_KEYS.length > 0 ? 'api-keys' : 'none' }, 'convlens ready');
