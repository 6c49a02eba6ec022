// sleep-worker.mjs's task in a module whose load holds its thread 1,500 ms first, as a replaced
// worker's boot does before it takes its first task (test/runtime/pool-timeout.test.ts).
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
export { default } from './sleep-worker.mjs';
