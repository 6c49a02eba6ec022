// A worker thread that asks its grant for run peaks as one run's stages do (one chargeRun, a
// high-water mark: each ask the growth over the largest before), then posts how it went and how
// long its last ask took (test/runtime/memory-grant.test.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { chargeRun, withMemoryGrant } = await import('../../src/runtime/memory-grant.ts');

const { peaks, grant } = workerData;
let asked = performance.now();
try {
  withMemoryGrant(grant, () => {
    const charge = chargeRun('$.inputs');
    for (const peak of peaks) {
      asked = performance.now();
      charge(peak, `a peak of ${peak} bytes`);
    }
  });
  parentPort.postMessage({ ok: true, ms: performance.now() - asked });
} catch (e) {
  parentPort.postMessage({ ok: false, error: { code: e.code, message: e.message }, ms: performance.now() - asked });
}
