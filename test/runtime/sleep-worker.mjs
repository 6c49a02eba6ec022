// A pool task that holds its worker for `ms` milliseconds (test/runtime/pool-timeout.test.ts),
// marked started (its clock running from then: runtime/task-clock.ts) as a real worker's task is.
import { register } from 'tsx/esm/api';

register();
const { markTaskStarted } = await import('../../src/runtime/task-clock.ts');

export default function sleep({ ms, taskStarted }) {
  markTaskStarted(taskStarted);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return { ok: true, value: ms };
}
