// Worker for test/fuzz/onnx-folding.test.ts: imports an ONNX file and analyses it in a thread whose
// heap is capped (resourceLimits), so a folding that allocates without bound ends this thread with
// ERR_WORKER_OUT_OF_MEMORY instead of the test process. Node 20 applies no --import loader hooks
// in worker threads: register tsx here, as src/runtime/worker-dev.mjs does.
import { parentPort } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { register } from 'tsx/esm/api';

register();
const { importOnnx } = await import('../../src/graph/onnx/import.ts');
const { analyzeGraph } = await import('../../src/analysis/analyze.ts');
const { ConvlensError } = await import('../../src/errors.ts');

const OPTIONS = { dtype: 'float32', flops: '2macs', includeBias: false };

parentPort.on('message', ({ id, bytes }) => {
  const before = getHeapStatistics().used_heap_size;
  const t0 = performance.now();
  let answer;
  try {
    const report = analyzeGraph(importOnnx(bytes, {}).graph, OPTIONS);
    answer = { outcome: 'ok', folded: report.totals.folded.length, complete: report.totals.complete };
  } catch (e) {
    answer = e instanceof ConvlensError ? { outcome: 'catalog', code: e.code, status: e.status, message: e.message } : { outcome: 'threw', name: e?.name, message: String(e?.message), stack: String(e?.stack) };
  }
  const ms = performance.now() - t0;
  const heapMB = (getHeapStatistics().used_heap_size - before) / 2 ** 20;
  parentPort.postMessage({ id, ms, heapMB, ...answer });
});
parentPort.postMessage({ ready: true });
