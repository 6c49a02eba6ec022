/**
 * An analysis the event loop reads itself (an ONNX upload, a small JSON body, a zoo model in the
 * query) answered as JSON: the report is written as JSON in the worker and moved back as bytes, as
 * a large JSON body's is (offload.ts), not cloned to the event loop as an object and stringified
 * there. Measured before (2026-12-05, the service on 2 vCPUs): a 2.4 MB ONNX file of 100,000 Relu
 * nodes, whose report is 54 MB, held the event loop 4.3 s (a /healthz every 200 ms waited up to
 * 4,276 ms); after, 388 ms, the same 54,279,483 bytes.
 */
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { OFFLOAD_WORKER } from '../../src/http/offload.js';
import { createPool } from '../../src/runtime/pool.js';

const config = loadConfig({ WORKERS: '1' });
const pool = createPool(config);
afterAll(() => pool.close());
const truth = JSON.parse(readFileSync(new URL('../fixtures/onnx/truth.json', import.meta.url), 'utf8')) as { models: { resnet18: { params: number; macs: number } } };

describe('a JSON report, comparison or sweep the event loop asked for is written in the worker', () => {
  it("resnet18.onnx uploaded: 200 with torch's 11,689,512 params and 1,814,073,344 MACs; the task ran in the offload worker and came back as bytes, not a report object", async () => {
    const app = await buildApp({ config, pool });
    await app.ready();
    const results: unknown[] = [];
    const run = pool.run.bind(pool);
    const spy = vi.spyOn(pool, 'run').mockImplementation(async (...args: Parameters<typeof pool.run>) => {
      const result = await run(...args);
      results.push(result);
      return result as never;
    });
    try {
      const bytes = readFileSync(new URL('../fixtures/onnx/resnet18.onnx', import.meta.url));
      const res = await request(app.server).post('/v1/analyze?input=1,3,224,224').set('content-type', 'application/octet-stream').send(bytes).expect(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body.totals).toMatchObject({ params: truth.models.resnet18.params, macs: truth.models.resnet18.macs });
      expect(spy).toHaveBeenCalledTimes(1);
      const [name, payload, , options] = spy.mock.calls[0];
      expect(name).toBe('analyze');
      expect(payload).toMatchObject({ kind: 'report' });
      expect(options).toMatchObject({ filename: OFFLOAD_WORKER });
      expect(results[0]).toBeInstanceOf(Uint8Array);
      // a zoo model named in the query: the same path
      const zoo = await request(app.server).post('/v1/analyze?model=resnet18').expect(200);
      expect(zoo.body.totals.params).toBe(truth.models.resnet18.params);
      expect(results[1]).toBeInstanceOf(Uint8Array);
      // a comparison and a sweep: the same (resnet18 11,689,512 params, resnet34 21,797,672, torchvision's)
      const cmp = await request(app.server).post('/v1/compare').send({ old: 'resnet18', new: 'resnet34' }).expect(200);
      expect(cmp.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(cmp.body.comparison.totals[0]).toMatchObject({ metric: 'params', before: 11_689_512, after: 21_797_672 });
      const sweep = await request(app.server).post('/v1/sweep').send({ model: 'resnet18', sizes: [224] }).expect(200);
      expect(sweep.body.sizes[0]).toMatchObject({ size: [224, 224], params: 11_689_512 });
      expect(spy.mock.calls.slice(2).map(([name, payload, , options]) => [name, (payload as { kind: string }).kind, options?.filename])).toEqual([
        ['compare', 'compareReport', OFFLOAD_WORKER],
        ['sweep', 'sweepReport', OFFLOAD_WORKER],
      ]);
      expect(results.slice(2).every((r) => r instanceof Uint8Array)).toBe(true);
    } finally {
      spy.mockRestore();
      await app.close();
    }
  });
});
