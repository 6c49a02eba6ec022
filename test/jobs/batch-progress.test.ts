/**
 * A batch's progress is the lines a client can read: a model that finishes before the one ahead of
 * it is not counted until its line is out. Found by a hunt: a 50-model batch cancelled after ~2 s
 * said progress.done 21 while /results streamed indices 0–19 and the JOB_CANCELLED line (another
 * run: 5 done, 3 lines). Here the pool's tasks finish when the test says, so the order is fixed.
 */
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { prepareJob } from '../../src/jobs/request.js';
import { executeJob } from '../../src/jobs/runner.js';
import { deferredPool, waitFor } from './helpers.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('batch progress counts the lines given out', () => {
  it('the runner: 3 models on 2 threads, vgg11 (index 1) done before alexnet (index 0): progress stays 0/3 with no line, then 2/3 with two', async () => {
    const { pool, settle } = deferredPool(2);
    const lines: Buffer[] = [];
    const progress: string[] = [];
    const job = prepareJob({ kind: 'batch', models: ['alexnet', 'vgg11', 'resnet18'] }, { maxElements: 1000, batchMax: 100 });
    const done = executeJob(job, { pool, signal: new AbortController().signal, line: (t) => void lines.push(t), progress: (d, n) => void progress.push(`${d}/${n}`) });
    await tick();
    await settle('vgg11');
    expect([lines.length, progress]).toEqual([0, ['0/3']]);
    await settle('alexnet');
    expect([lines.length, progress]).toEqual([2, ['0/3', '2/3']]);
    await settle('resnet18');
    await done;
    expect([lines.length, progress.at(-1)]).toEqual([3, '3/3']);
  });

  it('REST: 4 models on 2 threads, alexnet done, then resnet18 (index 2) while vgg11 (index 1) runs, then DELETE: progress.done 1 and the stream holds line 0 and the JOB_CANCELLED line (done was 2)', async () => {
    const { pool, pending, settle } = deferredPool(2);
    const app = await buildApp({ config: loadConfig({ WORKERS: '2' }), pool });
    try {
      await app.ready();
      const { id } = (await app.inject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'batch', models: ['alexnet', 'vgg11', 'resnet18', 'resnet34'] } })).json();
      for (let i = 0; i < 100 && pending.length < 2; i++) await tick();
      expect(pending.map((p) => p.name)).toEqual(['alexnet', 'vgg11']);
      await settle('alexnet');
      expect((await waitFor(app, id, ['running'])).progress).toEqual({ done: 1, total: 4 });
      await settle('resnet18');
      expect(pending.map((p) => p.name)).toEqual(['vgg11', 'resnet34']);
      expect((await waitFor(app, id, ['running'])).progress).toEqual({ done: 1, total: 4 });
      const del = await app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
      expect(del.json()).toMatchObject({ status: 'cancelled', progress: { done: 1, total: 4 } });
      // the cancelled tasks settling later add nothing
      await settle('vgg11');
      await settle('resnet34');
      const job = await waitFor(app, id);
      const results = await app.inject({ url: `/v1/jobs/${id}/results` });
      const lines = results.body.trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((l) => l.index ?? l.error.code)).toEqual([0, 'JOB_CANCELLED']);
      expect(job.progress.done).toBe(lines.length - 1);
    } finally {
      await app.close();
    }
  });
});
