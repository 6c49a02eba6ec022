// A worker thread that asks its grant for run peaks as one run's stages do (one chargeRun, a
// high-water mark: each ask the growth over the largest before), then posts how it went and how
// long its last ask took (test/runtime/memory-grant.test.ts). `analysis`: bytes asked first not
// from the body, as a graph's analysis is (chargeFold), before the peaks.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { chargeFold, chargeRun, withMemoryGrant } = await import('../../src/runtime/memory-grant.ts');

const { peaks, grant, analysis = 0 } = workerData;
let asked = performance.now();
try {
  withMemoryGrant(grant, () => {
    if (analysis > 0) chargeFold({ kind: 'spec', spec: {} })(analysis, `analysing ${analysis} bytes`);
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
