/**
 * What `convlens worker` writes for a job it runs (jobs/worker.ts), written only while the job's
 * BullMQ lock holds this run's token. BullMQ hands a job whose lock expired (its worker cut from
 * Redis past lockDuration, 30 s, or its event loop stalled) to another worker as stalled, and tells
 * the first only at its next lock renewal, up to 15 s later, or when it ends; that one ran on,
 * pushing its lines into the list the new run writes, writing its result, and deleting the job's
 * file parts as it ended, so the new run, reading them after, failed ("no longer in Redis").
 *
 * Each write checks the lock in the same Lua script. A result (up to 512 MB) is not an argument of
 * the script (Redis would copy it into Lua): it is written to a key of the run's own, then renamed
 * into place, or deleted, by the script.
 */
import type { Redis } from 'ioredis';

/** A write refused: the job's lock is another run's. */
export class LockLost extends Error {
  constructor(readonly job: string) {
    super(`job ${job}: its lock is another worker's (BullMQ handed it over as stalled)`);
  }
}

const PUSH = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;

const PLACE = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then redis.call('DEL', KEYS[2]) return 0 end
redis.call('RENAME', KEYS[2], KEYS[3])
return 1`;

const END = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
return 1`;

export interface OwnedWrites {
  /** A line pushed to `key` (its expiry set to `ms`); LockLost if the lock is not this run's. */
  line(key: string, text: Buffer, ms: number): Promise<void>;
  /** The result stored at `key` for `ms`; LockLost if the lock is not this run's. */
  result(key: string, value: Buffer, ms: number): Promise<void>;
  /** The run's end: `lines` to expire in `ms`, `files` deleted; nothing (false) if the lock is not this run's. */
  end(lines: string, ms: number, files: string[]): Promise<boolean>;
}

/** `lock`: the job's lock key; `token`: this run's (BullMQ's processor is given it). */
export function ownedWrites(redis: Redis, job: string, lock: string, token: string): OwnedWrites {
  return {
    async line(key, text, ms) {
      if ((await redis.eval(PUSH, 2, lock, key, token, text, ms)) !== 1) throw new LockLost(job);
    },
    async result(key, value, ms) {
      const own = `${key}:${token}`;
      await redis.set(own, value, 'PX', ms);
      if ((await redis.eval(PLACE, 3, lock, own, key, token)) !== 1) throw new LockLost(job);
    },
    async end(lines, ms, files) {
      return (await redis.eval(END, 2 + files.length, lock, lines, ...files, token, ms)) === 1;
    },
  };
}
