// A pool task that holds its worker for `ms` milliseconds (test/runtime/pool-timeout.test.ts).
export default function sleep({ ms }) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return { ok: true, value: ms };
}
