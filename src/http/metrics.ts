/**
 * Prometheus metrics at GET /metrics (prom-client): request durations by route and status, errors
 * by catalog code, worker tasks by kind, the pool's threads and waiting tasks, and each worker's
 * memory (heap, buffers, model cache) as its last task left it. Each app has
 * its own registry, so test apps do not share counters.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TaskPool } from '../runtime/pool.js';
import type { WorkerMemory } from '../runtime/task-names.js';

export interface Metrics {
  registry: Registry;
  errors: Counter<'code'>;
  tasks: Histogram<'task' | 'outcome'>;
}

export function createMetrics(pool: TaskPool): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'convlens_' });
  new Gauge({ name: 'convlens_pool_threads', help: 'Worker threads', registers: [registry], collect() { this.set(pool.threads); } });
  new Gauge({ name: 'convlens_pool_queued', help: 'Tasks waiting for a worker', registers: [registry], collect() { this.set(pool.queued); } });
  // each worker as its last task left it (a worker that has run nothing yet is not listed); reset at each scrape so a replaced worker's thread goes
  const perWorker = (name: string, help: string, read: (m: WorkerMemory) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['thread'],
      registers: [registry],
      collect() {
        this.reset();
        for (const m of pool.workerMemory()) this.set({ thread: String(m.thread) }, read(m));
      },
    });
  perWorker('convlens_worker_heap_used_bytes', "A worker thread's V8 heap in use after its last task", (m) => m.heapUsedBytes);
  perWorker('convlens_worker_external_bytes', "A worker thread's ArrayBuffers outside its heap after its last task (shared weights not included)", (m) => m.externalBytes);
  perWorker('convlens_model_cache_bytes', "What a worker's model cache holds (MODEL_CACHE_BYTES bounds it)", (m) => m.modelCacheBytes);
  perWorker('convlens_model_cache_entries', "Models in a worker's model cache", (m) => m.modelCacheEntries);
  return {
    registry,
    errors: new Counter({ name: 'convlens_errors_total', help: 'Error responses by catalog code', labelNames: ['code'], registers: [registry] }),
    tasks: new Histogram({
      name: 'convlens_task_seconds',
      help: 'Worker task durations by task and outcome',
      labelNames: ['task', 'outcome'],
      buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60],
      registers: [registry],
    }),
  };
}

async function metricsPlugin(app: FastifyInstance, opts: { metrics: Metrics }): Promise<void> {
  const { registry } = opts.metrics;
  const requests = new Histogram({
    name: 'convlens_http_request_seconds',
    help: 'HTTP request durations by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    requests.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_request, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
}

/** Not encapsulated (fastify-plugin), so the response hook sees every route of the app. */
export const metricsRoutes = fp(metricsPlugin, { name: 'convlens-metrics' });
