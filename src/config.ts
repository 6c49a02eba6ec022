import os from 'node:os';
import { z } from 'zod';

const int = (min: number) => z.coerce.number().int().min(min);

export const ConfigSchema = z.object({
  PORT: int(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` (one pino object per line, for log collectors) or `pretty` (pino-pretty, for a terminal). */
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /** Largest accepted request body, in bytes (ONNX files with weights are large). */
  BODY_LIMIT: int(1024).default(1024 * 1024 * 1024),
  /** Worker threads for analysis and kernels; 0 means one per core. */
  WORKERS: int(0).default(0),
  /** Tasks allowed to wait for a worker before the service answers 503. */
  MAX_QUEUE: int(1).default(256),
  /** Longest a single analysis or run may take, in milliseconds. */
  TASK_TIMEOUT_MS: int(100).default(120_000),
  /** Largest tensor the runtime accepts or produces, in elements. */
  MAX_TENSOR_ELEMENTS: int(1).default(64 * 1024 * 1024),
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
  /** Jobs on Redis (BullMQ) when set, redis:// or rediss://; any replica answers for any job, `convlens worker` runs them. Unset: in-process. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/[^\s]+$/, { error: 'must be a redis:// or rediss:// URL' })
    .optional(),
  GRAPHIQL: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export function workerCount(config: Config): number {
  return config.WORKERS > 0 ? config.WORKERS : Math.max(1, os.availableParallelism());
}
