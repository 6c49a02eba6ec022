/**
 * `convlens worker`'s view of its link to Redis: every connection it opens (its own two and
 * BullMQ's) retries with a capped exponential backoff, and the log says when the link changes
 * state, not at each attempt. With Redis unreachable it retried every second or faster, two
 * warnings a second for as long as it lasted.
 *
 *   delay(attempt) = min(RETRY_MAX_MS, RETRY_FIRST_MS · 2^(attempt − 1)): 0.5, 1, 2, 4, 8, 16, 30, 30… s
 *
 * States: starting → down (one warning: cannot be reached, and how it retries) → up (one line:
 * reachable again, after how long); up → down (one warning: lost). An error that is not about the
 * connection (a command refused) is logged as it comes.
 */
import type { Redis } from 'ioredis';

export const RETRY_FIRST_MS = 500;
export const RETRY_MAX_MS = 30_000;

/** The wait before reconnection attempt `attempt` (1, 2, …): ioredis's and BullMQ's retryStrategy. */
export const retryDelay = (attempt: number): number => Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, attempt - 1));

type Logger = { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };

/** The errors of a connection that cannot be made or was lost (a system error, ioredis's own), not a command's. */
export function isConnectionError(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) || /connect|Connection is closed|socket|closed|timed? ?out/i.test(err.message);
}

export interface RedisLink {
  /** A connection's error: a change of state when it is the first since the link was up (or since the start). */
  error(err: Error, what: string): void;
  /** A connection ready: a change of state when the link was down. */
  ready(): void;
  /** Its clients' errors and readiness followed. */
  watch(client: Redis, what: string): void;
  readonly state: 'starting' | 'up' | 'down';
}

/** `where` names Redis in the log without the URL's password (host:port). */
export function redisLink(log: Logger, where: string): RedisLink {
  let state: RedisLink['state'] = 'starting';
  let since = performance.now();
  const link: RedisLink = {
    get state() {
      return state;
    },
    error(err, what) {
      if (!isConnectionError(err)) return log.warn({ err: err.message, connection: what }, 'redis error');
      if (state === 'down') return;
      const retrying = `retrying after ${RETRY_FIRST_MS / 1000} s, doubling up to ${RETRY_MAX_MS / 1000} s`;
      log.warn({ err: err.message, redis: where, retryFirstMs: RETRY_FIRST_MS, retryMaxMs: RETRY_MAX_MS }, state === 'starting' ? `Redis cannot be reached; ${retrying}` : `Redis connection lost; ${retrying}`);
      state = 'down';
      since = performance.now();
    },
    ready() {
      if (state === 'down') log.info({ redis: where, downMs: Math.round(performance.now() - since) }, 'Redis reachable again');
      state = 'up';
    },
    watch(client, what) {
      client.on('error', (err: Error) => link.error(err, what));
      client.on('ready', () => link.ready());
    },
  };
  return link;
}

/** host:port of a redis:// URL, for the log and messages: the URL itself may hold a password. */
export function redisWhere(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '6379'}`;
}
