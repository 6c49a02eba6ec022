/**
 * The workers' model caches (runtime/model-cache.ts) are set aside from the admission budget, so
 * requests and caches never spend the same bytes: requests may reserve MEMORY_BUDGET_BYTES less
 * MODEL_CACHE_BYTES × workers, and never less than a quarter of it.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { admissionOf, requestBudgetBytes } from '../../src/http/admission.js';
import { modelCacheBytesPerWorker } from '../../src/runtime/model-cache.js';
import { testApp } from './app.js';

const MiB = 1024 * 1024;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('admission budget less the model caches', () => {
  it('64 MiB budget, 2 workers × 8 MiB of cache: requests may reserve 48 MiB; no cache: all 64', () => {
    expect(requestBudgetBytes({ MEMORY_BUDGET_BYTES: 64 * MiB, MODEL_CACHE_BYTES: 8 * MiB }, 2)).toBe(48 * MiB);
    expect(requestBudgetBytes({ MEMORY_BUDGET_BYTES: 64 * MiB, MODEL_CACHE_BYTES: 0 }, 2)).toBe(64 * MiB);
  });

  it('caches configured larger than the budget: requests keep a quarter of it (16 of 64 MiB)', () => {
    expect(requestBudgetBytes({ MEMORY_BUDGET_BYTES: 64 * MiB, MODEL_CACHE_BYTES: 256 * MiB }, 4)).toBe(16 * MiB);
  });

  it('…and each worker\'s cache is shrunk to its share of the other three quarters (48 MiB / 4 workers = 12 MiB, not 256), so caches and requests never exceed the budget', () => {
    expect(modelCacheBytesPerWorker({ MEMORY_BUDGET_BYTES: 64 * MiB, MODEL_CACHE_BYTES: 256 * MiB }, 4)).toBe(12 * MiB);
    expect(modelCacheBytesPerWorker({ MEMORY_BUDGET_BYTES: 64 * MiB, MODEL_CACHE_BYTES: 8 * MiB }, 2)).toBe(8 * MiB);
  });

  it('the running app: WORKERS 2, MODEL_CACHE_BYTES 8 MiB, MEMORY_BUDGET_BYTES 64 MiB → the budget requests reserve from is 48 MiB', async () => {
    app = await testApp({ WORKERS: '2', MEMORY_BUDGET_BYTES: String(64 * MiB), MODEL_CACHE_BYTES: String(8 * MiB) });
    expect(admissionOf(app)!.budget.total).toBe(48 * MiB);
  });
});
