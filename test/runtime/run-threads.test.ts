import { describe, expect, it } from 'vitest';
import { runThreads } from '../../src/runtime/pool.js';

describe('RUN_THREADS: threads one run may compute on', () => {
  it('default 0 with 8 workers: 2 (one partner per worker, 8 partner threads in all, not 8 × 7)', () => {
    expect(runThreads({ RUN_THREADS: 0 }, 8)).toBe(2);
  });
  it('default 0 with 1 worker: 1 (no split: a partner would compete with the only worker)', () => {
    expect(runThreads({ RUN_THREADS: 0 }, 1)).toBe(1);
  });
  it('set explicitly: taken as given (4 with 2 workers, 1 turns splitting off)', () => {
    expect(runThreads({ RUN_THREADS: 4 }, 2)).toBe(4);
    expect(runThreads({ RUN_THREADS: 1 }, 8)).toBe(1);
  });
});
