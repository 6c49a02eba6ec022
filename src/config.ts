import { isIP } from 'node:net';
import { constants as bufferConstants } from 'node:buffer';
import os from 'node:os';
import { z } from 'zod';
import { MaxAnalysisWorkSchema } from './analysis/analysis-work.js';
import { DEFAULT_GRAPHQL_MAX_DOCUMENT_BYTES, DEFAULT_GRAPHQL_MAX_TOKENS, DEFAULT_MAX_FOLDED_ELEMENTS, DEFAULT_MAX_RUN_WORK, DEFAULT_MAX_TENSOR_ELEMENTS, DEFAULT_WORKER_HEAP_LIMIT_MB } from './limits.js';

const int = (min: number) => z.coerce.number().int().min(min);

/** V8's longest string: a JSON body or form field must decode to less (else the parse throws outside any handler). */
const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH;

export const ConfigSchema = z.object({
  PORT: int(0).max(65535).default(3000),
  /** Interface to listen on. Loopback by default: the container image (Dockerfile, docker-compose) sets 0.0.0.0. */
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` (one pino object per line, for log collectors) or `pretty` (pino-pretty, for a terminal). */
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /** Largest accepted request body, in bytes (ONNX files with weights are large). */
  BODY_LIMIT: int(1024).default(1024 * 1024 * 1024),
  /** Worker threads for analysis and kernels; 0 means one per core. */
  WORKERS: int(0).default(0),
  /** Threads one run or large conv may compute on: its worker plus RUN_THREADS − 1 partner threads, used only while pool workers are idle (runtime/split.ts); 0: 2 when WORKERS ≥ 2 (one partner per worker); 1: no split. */
  RUN_THREADS: int(0).max(17).default(0),
  /** Tasks allowed to wait for a worker before the service answers 503. */
  MAX_QUEUE: int(1).default(256),
  /** Longest a single analysis or run may take, in milliseconds. */
  /** At most a timer's longest delay (2^31 − 1 ms; Node fires a longer one at once) less the 30 s a worker's start may add (runtime/task-clock.ts). */
  TASK_TIMEOUT_MS: int(100).max(2_147_453_647).default(120_000),
  /**
   * After SIGTERM or SIGINT: milliseconds the service goes on serving, with /readyz answering 503
   * `draining`, before it stops accepting connections (a load balancer that polls /readyz, such as
   * docker-compose's HAProxy, takes the replica out meanwhile). 0: stop accepting at once, as behind
   * Kubernetes, whose preStop sleep does this before the signal.
   */
  SHUTDOWN_DELAY_MS: int(0).max(600_000).default(0),
  /** Largest tensor the runtime accepts or produces, in elements. */
  MAX_TENSOR_ELEMENTS: int(1).default(DEFAULT_MAX_TENSOR_ELEMENTS),
  /**
   * Most work one run or operator call may cost (MACs + element-wise FLOPs + elements written),
   * estimated before any kernel runs; over it is 413 WORK_TOO_LARGE. ResNet-101 at 224 costs 7.9e9.
   */
  MAX_RUN_WORK: int(1).default(DEFAULT_MAX_RUN_WORK),
  /**
   * Most work one analysis may cost, in units of one layer's plain analysis: the layers × (1 + the
   * weights of the extra analyses asked for: explain 1.5, memory, deployed, depth/topK, convention
   * 0.5, device 0.25), × the sizes of a sweep; over it is 413 ANALYSIS_TOO_LARGE before any work.
   */
  MAX_ANALYSIS_WORK: MaxAnalysisWorkSchema,
  /** Most values constant folding may hold per graph, in elements (ONNX shape arithmetic; larger values are left unfolded). */
  MAX_FOLDED_ELEMENTS: int(1).default(DEFAULT_MAX_FOLDED_ELEMENTS),
  /** A worker holding more than this many MiB after a task (V8 heap + array buffers) collects its garbage before answering (src/runtime/memory.ts). */
  WORKER_HEAP_LIMIT_MB: int(16).default(DEFAULT_WORKER_HEAP_LIMIT_MB),
  /** Bytes of imported ONNX models (file, analysis, folded weights) each worker keeps for the next /v1/run of the same file; 0: no cache (src/runtime/model-cache.ts). */
  MODEL_CACHE_BYTES: int(0).default(256 * 1024 * 1024),
  // ---- the HTTP edge (src/http/admission.ts, src/http/body.ts, src/http/stream.ts) ----
  /**
   * Largest JSON body, and largest multipart text field (the `request` JSON), in bytes; at most V8's
   * longest string (buffer.constants.MAX_STRING_LENGTH, ~512 MiB), and BODY_LIMIT still applies.
   * ONNX and .npy bytes are bounded by BODY_LIMIT only. Large tensors travel best as .npy parts.
   */
  JSON_BODY_LIMIT: int(1024).max(MAX_STRING_LENGTH).default(64 * 1024 * 1024),
  /**
   * Bytes the requests being read and run may hold at once: each POST reserves an estimate from its
   * Content-Length before its body is read (503 OVERLOADED with Retry-After when it does not fit).
   * Unset: half of the machine's memory or of the container's limit (cgroup memory.max), whichever is lower.
   */
  MEMORY_BUDGET_BYTES: int(1024 * 1024).optional(),
  /** Largest response body, in bytes, estimated from the outputs' sizes before any is encoded, and from their inferred shapes before a run or operator call computes them (413 RESPONSE_TOO_LARGE: runtime/answer-bound.ts). */
  MAX_RESPONSE_BYTES: int(1024).default(512 * 1024 * 1024),
  /** Longest a client may take to send a whole request, headers and body, in ms: then 408 and the connection is closed (headers alone: at most 10 s). */
  REQUEST_TIMEOUT_MS: int(100).default(60_000),
  /**
   * How often a body still arriving is checked against its pace, in ms: one that will not arrive
   * within REQUEST_TIMEOUT_MS at the pace it has come then holds what has arrived, not the estimate
   * of its Content-Length, and grows as the rest comes (as a chunked one).
   */
  RESERVE_AHEAD_MS: int(100).default(2000),
  /** Longest an answer may make no progress (a client that stops reading it), in ms: then its connection is closed and the memory it held goes back. */
  SEND_TIMEOUT_MS: int(100).default(60_000),
  /**
   * Most client connections open at once (idle keep-alive ones included): past it a new connection
   * is closed as it arrives, so that open sockets cannot use up the process's file descriptors
   * (with 20,000 held, /healthz itself went unanswered).
   */
  MAX_CONNECTIONS: int(1).default(10_000),
  /** Jobs (POST /v1/jobs): seconds a finished job's status and results stay readable. */
  JOB_TTL_SECONDS: int(1).max(30 * 24 * 3600).default(3600),
  /** Jobs waiting to start before POST /v1/jobs answers 503 OVERLOADED (per process in memory; per queue on Redis). */
  JOB_MAX_PENDING: int(1).default(256),
  /** Most models one batch job may analyse. */
  JOB_BATCH_MAX: int(1).max(100_000).default(100),
  /**
   * In-process jobs only: bytes held for jobs, the inputs of waiting ones and the results of finished
   * ones; the oldest finished results are forgotten first, then submissions get 503 OVERLOADED.
   */
  JOB_STORE_MAX_BYTES: int(1024).default(512 * 1024 * 1024),
  /**
   * `convlens worker`: ms it waits at start for Redis before it exits 5, so that an orchestrator
   * restarts it (and says so); 0 waits for ever. Once connected, a Redis lost is waited for.
   */
  WORKER_REDIS_WAIT_MS: int(0).default(60_000),
  /** Jobs on Redis (BullMQ) when set, redis:// or rediss://; any replica answers for any job, `convlens worker` runs them. Unset or empty: in-process. */
  REDIS_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, { error: 'must be a redis:// or rediss:// URL' })
      // a URL the WHATWG parser takes: a port past 65535 or not a number, or an unclosed [IPv6], made
      // ioredis retry without end (memory growing until the worker died) or throw from its parser
      .refine((v) => URL.canParse(v), { error: 'is not a valid URL (its host, or its port: a number up to 65535)' })
      .optional(),
  ),
  GRAPHIQL: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  // ---- security (src/http/security.ts): everything off by default but the headers ----
  /** API keys, comma-separated, each at least 16 characters; when set every route but the probes and the documentation needs one. */
  API_KEYS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((k) => k.trim()).filter((k) => k.length > 0))
    .refine((keys) => keys.every((k) => k.length >= 16 && /^[\x21-\x7e]+$/.test(k)), { error: 'each key must be at least 16 printable ASCII characters without spaces' }),
  /** Requests per minute per API key (or per client address without one); 0 turns rate limiting off. */
  RATE_LIMIT_PER_MINUTE: int(0).default(0),
  /** Origins allowed to call the API from a browser (CORS), comma-separated, e.g. https://app.example.com; `*` for any; unset: none. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter((o) => o.length > 0))
    .refine((origins) => origins.every((o) => o === '*' || isOrigin(o)), { error: 'each entry must be an origin (scheme://host[:port], no path) or *' }),
  /** Serve /metrics on this port instead of PORT (0: any free port); unset: /metrics on PORT. */
  METRICS_PORT: int(0).max(65535).optional(),
  /** Whether X-Forwarded-For is believed (behind a load balancer): false, true, a hop count, or comma-separated proxy addresses/CIDRs. */
  TRUST_PROXY: z
    .string()
    .default('false')
    .refine((v) => /^(true|false|\d+)$/.test(v) || v.split(',').every((a) => isProxyAddress(a.trim())), { error: 'must be true, false, a hop count, or comma-separated addresses or CIDRs' })
    .transform((v): boolean | number | string => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v)),
  /** GraphQL: most weight one operation may have (run 25, analyze 10, runOperator 10, foldBatchNorm 5, any other root field 1; aliases count). */
  GRAPHQL_MAX_COST: int(1).default(50),
  /** GraphQL: most fields one operation may select (fragments expanded, aliases counted). */
  GRAPHQL_MAX_FIELDS: int(1).default(500),
  /** GraphQL: deepest nesting of one operation (introspection exempt). */
  GRAPHQL_MAX_DEPTH: int(1).default(12),
  /** GraphQL: most lexical tokens in a document (parsing stops there). */
  GRAPHQL_MAX_TOKENS: int(100).default(DEFAULT_GRAPHQL_MAX_TOKENS),
  /**
   * GraphQL: most UTF-8 bytes of a document (a JSON body's `query`, GET's `query`, an application/graphql
   * body), refused (400 QUERY_TOO_COMPLEX) before anything reads it: mercurius parses it once more on the
   * event loop. Variables are not counted: large values go there.
   */
  GRAPHQL_MAX_DOCUMENT_BYTES: int(1024).default(DEFAULT_GRAPHQL_MAX_DOCUMENT_BYTES),
});

/** An address, a CIDR or one of proxy-addr's names (loopback, linklocal, uniquelocal). */
function isProxyAddress(s: string): boolean {
  const [ip, bits, ...rest] = s.split('/');
  if (rest.length > 0) return false;
  if (bits === undefined && ['loopback', 'linklocal', 'uniquelocal'].includes(ip)) return true;
  const family = isIP(ip);
  return family !== 0 && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)));
}

/** `https://app.example.com:8443`: a scheme, a host and maybe a port, nothing else. */
function isOrigin(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s;
  } catch {
    return false;
  }
}

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  /** Each refused variable's line (`REDIS_URL: must be … (got a value, not shown)`), and the variables, in order. */
  constructor(
    message: string,
    readonly lines: string[] = [],
    readonly variables: string[] = [],
  ) {
    super(message);
  }
}

/** Variables whose values are secrets. */
// never echoed in a configuration error: keys, and a Redis URL's password
const SECRET = new Set(['API_KEYS', 'REDIS_URL']);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    // a secret is never echoed (the message goes to stderr and the logs)
    const got = (key: string) => (SECRET.has(key) ? 'a value, not shown' : JSON.stringify(env[key]));
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (got ${got(String(i.path[0]))})`);
    throw new ConfigError(`invalid configuration:\n${lines.map((l) => `  ${l}`).join('\n')}`, lines, parsed.error.issues.map((i) => String(i.path[0])));
  }
  return parsed.data;
}

export function workerCount(config: Config): number {
  return config.WORKERS > 0 ? config.WORKERS : Math.max(1, os.availableParallelism());
}
