// A thread of bench/ceilings.ts: runs one piece of work over and over for the time it is given and
// answers how many it finished a millisecond; or, asked 'once', runs it once and answers 'done'.
// An .mjs that registers tsx itself: Node 20 does not apply the bench's `--import tsx` loader hooks
// inside worker threads (as src/runtime/worker-dev.mjs).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { ceilingWork } = await import('./ceiling-work.ts');
const work = await ceilingWork(workerData.kind);
parentPort.on('message', async (ms) => {
  if (ms === 'once') {
    // answered before its output is released: the pair's clock stops at the conv's end, as this
    // thread's one-thread side releases its output outside its clock (bench/parallel.ts)
    work.run();
    parentPort.postMessage('done');
    work.settle();
    return;
  }
  let n = 0;
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    work.run();
    work.settle();
    n++;
  }
  parentPort.postMessage(n / (performance.now() - start));
});
parentPort.postMessage('ready');
