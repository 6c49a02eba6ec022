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
