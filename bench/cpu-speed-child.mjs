// A process of bench/cpu-speeds.ts, started pinned to one CPU (taskset): for each line it reads
// (a window in ms) it runs bench/ceiling-work.ts's work of the kind in its argument ('conv' or
// 'simd') over and over for that long and answers how many it finished a millisecond, one line
// each. An .mjs that registers tsx itself, as bench/ceiling-thread.mjs does.
import { createInterface } from 'node:readline';
import { register } from 'tsx/esm/api';

register();
const { ceilingWork } = await import('./ceiling-work.ts');
const work = await ceilingWork(process.argv[2]);
for await (const line of createInterface({ input: process.stdin })) {
  const ms = Number(line);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    work.run();
    work.settle();
    n++;
  }
  process.stdout.write(`${n / (performance.now() - start)}\n`);
}
