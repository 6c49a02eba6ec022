/**
 * `convlens worker`'s view of its link to Redis: every connection it opens (its own two and
 * BullMQ's two) retries with a capped exponential backoff, and the log says when the link changes
 * state, not at each attempt. With Redis unreachable it retried every second or faster, two
 * warnings a second for as long as it lasted.
 *
 *   delay(attempt) = min(RETRY_MAX_MS, RETRY_FIRST_MS · 2^(attempt − 1)): 0.5, 1, 2, 4, 8, 16, 30, 30… s
 *
 * Each connection has its own state (starting, then up on its `ready`, down on a connection error,
 * up again on its next `ready`); the link's is their aggregate: down while any is down, up once all
 * are up, else as it was (starting until they all are up the first time). The log has one line per
 * change of the aggregate: starting → down (a warning: cannot be reached, and how it retries),
 * up → down (a warning: lost), down → up (one line: reachable again, after how long). It was one
 * state for all of them: a connection back before another said "reachable again" (and up) while the
 * other was still down, and that one's next failure said "lost" a second time. An error that is
 * not about the connection (a command refused) is logged as it comes.
 */
import type { EventEmitter } from 'node:events';

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

export type LinkState = 'starting' | 'up' | 'down';

export interface RedisLink {
  /** Connection `what`'s error: a connection error marks it down (a change of the link's state when it is the first one down). */
  error(err: Error, what: string): void;
  /** Connection `what` ready: a change of the link's state when it was the last one down. */
  ready(what: string): void;
  /**
   * Follows a connection's errors and readiness (an ioredis client, a BullMQ RedisConnection).
   * `othersLogged`: its other errors are logged elsewhere (BullMQ's reach its Worker's `error` too).
   */
  watch(client: Pick<EventEmitter, 'on'>, what: string, othersLogged?: boolean): void;
  /** The aggregate: down while any connection is down, up once all are up. */
  readonly state: LinkState;
  /** Each connection's own state, by name. */
  readonly connections: Readonly<Record<string, LinkState>>;
}

/** `where` names Redis in the log without the URL's password (host:port). */
export function redisLink(log: Logger, where: string): RedisLink {
  const connections = new Map<string, LinkState>();
  let state: LinkState = 'starting';
  let since = performance.now();
  const retrying = `retrying after ${RETRY_FIRST_MS / 1000} s, doubling up to ${RETRY_MAX_MS / 1000} s`;
  /** The aggregate after connection `what` changed to `to`; its change logged once. */
  const set = (what: string, to: LinkState, err?: Error) => {
    connections.set(what, to);
    const all = [...connections.values()];
    const next = all.includes('down') ? 'down' : all.every((s) => s === 'up') ? 'up' : state;
    if (next === state) return;
    if (next === 'down') {
      log.warn({ err: err?.message, connection: what, redis: where, retryFirstMs: RETRY_FIRST_MS, retryMaxMs: RETRY_MAX_MS }, state === 'starting' ? `Redis cannot be reached; ${retrying}` : `Redis connection lost; ${retrying}`);
      since = performance.now();
    } else if (state === 'down') {
      log.info({ redis: where, downMs: Math.round(performance.now() - since) }, 'Redis reachable again');
    }
    state = next;
  };
  const link: RedisLink = {
    get state() {
      return state;
    },
    get connections() {
      return Object.fromEntries(connections);
    },
    error(err, what) {
      if (!isConnectionError(err)) return log.warn({ err: err.message, connection: what }, 'redis error');
      set(what, 'down', err);
    },
    ready(what) {
      set(what, 'up');
    },
    watch(client, what, othersLogged = false) {
      if (!connections.has(what)) connections.set(what, 'starting');
      client.on('error', (err: Error) => (othersLogged && !isConnectionError(err) ? undefined : link.error(err, what)));
      client.on('ready', () => link.ready(what));
    },
  };
  return link;
}

/** host:port of a redis:// URL, for the log and messages: the URL itself may hold a password. */
export function redisWhere(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '6379'}`;
}
