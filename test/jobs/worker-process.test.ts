/**
 * `convlens worker` refusing its configuration (src/jobs/worker-process.ts): the command line's one
 * error line, `convlens: INVALID_OPTION: … (at VARIABLE)`, exit 2, before anything starts; a secret
 * (REDIS_URL, which may hold a password) is never echoed.
 */
import { describe, expect, it } from 'vitest';
import { runWorkerProcess } from '../../src/jobs/worker-process.js';

async function worker(env: NodeJS.ProcessEnv) {
  const err: string[] = [];
  const code = await runWorkerProcess({ err: (t) => err.push(t) }, env, Promise.resolve());
  return { code, err };
}

describe('convlens worker: a configuration it cannot run with', () => {
  // found by the fuzz round: `REDIS_URL=nope://x convlens worker` wrote "convlens: invalid configuration:" and
  // "  REDIS_URL: …" on a second line, without a code
  it('REDIS_URL that is not a redis:// URL: one line, INVALID_OPTION at REDIS_URL, the value not shown; exit 2', async () => {
    const r = await worker({ REDIS_URL: 'nope://user:secret@x' });
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^convlens: INVALID_OPTION: invalid configuration: REDIS_URL: .* \(got a value, not shown\) \(at REDIS_URL\)$/);
    expect(r.err[0]).not.toContain('secret');
  });

  it('two variables refused: both on the one line, at the first', async () => {
    const r = await worker({ REDIS_URL: 'redis://localhost:6379', WORKERS: 'abc', PORT: 'eighty' });
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^convlens: INVALID_OPTION: invalid configuration: (PORT|WORKERS): .*; (PORT|WORKERS): .* \(at (PORT|WORKERS)\)$/);
  });

  it('no REDIS_URL: INVALID_OPTION at REDIS_URL saying what it is for', async () => {
    const r = await worker({});
    expect(r).toEqual({ code: 2, err: ['convlens: INVALID_OPTION: worker needs REDIS_URL (e.g. redis://localhost:6379): it runs the jobs the API replicas queue there (at REDIS_URL)'] });
  });
});
