/**
 * The budgets a task runs under. A task may carry its own (a caller with a Config in hand);
 * otherwise they come from the environment, read once per thread with the same schema as the
 * server's configuration (worker threads inherit the process environment), or the defaults.
 */
import { ConfigSchema } from '../config.js';

export interface EngineLimits {
  /** MAX_RUN_WORK: most work (MACs + element-wise FLOPs + elements written) one run may cost. */
  maxWork: number;
  /** MAX_FOLDED_ELEMENTS: most values constant folding may hold per graph. */
  maxFolded: number;
}

let fromEnv: EngineLimits | null = null;

/** MAX_RUN_WORK and MAX_FOLDED_ELEMENTS from the environment (each falls back to its default when unset or invalid). */
export function envLimits(env: NodeJS.ProcessEnv = process.env): EngineLimits {
  if (env === process.env && fromEnv) return fromEnv;
  const read = <K extends 'MAX_RUN_WORK' | 'MAX_FOLDED_ELEMENTS'>(key: K): number => {
    const parsed = ConfigSchema.shape[key].safeParse(env[key]);
    return parsed.success ? parsed.data : ConfigSchema.shape[key].parse(undefined);
  };
  const limits = { maxWork: read('MAX_RUN_WORK'), maxFolded: read('MAX_FOLDED_ELEMENTS') };
  if (env === process.env) fromEnv = limits;
  return limits;
}

/** WORKER_HEAP_LIMIT_MB from the environment, or its default. */
export function workerHeapLimitMb(env: NodeJS.ProcessEnv = process.env): number {
  const schema = ConfigSchema.shape.WORKER_HEAP_LIMIT_MB;
  const parsed = schema.safeParse(env.WORKER_HEAP_LIMIT_MB);
  return parsed.success ? parsed.data : schema.parse(undefined);
}

/** A task's own limits over the environment's. */
export function taskLimits(given: Partial<EngineLimits> | undefined): EngineLimits {
  const base = envLimits();
  return { maxWork: given?.maxWork ?? base.maxWork, maxFolded: given?.maxFolded ?? base.maxFolded };
}
