/**
 * A partner thread that is slow, for test/runtime/split-tail.test.ts (not a test file): the
 * real partner loop and band kernel, each band started `?ms` milliseconds late (a busy core), so
 * the leader claims most bands, the shared tail's among them.
 */
import { workerData } from 'node:worker_threads';
import { partnerLoop } from '../../src/runtime/team-partner.js';
import type { PartnerData } from '../../src/runtime/team-partner.js';
import { bandKernel } from '../../src/runtime/team-kernels.js';

const ms = Number(new URL(import.meta.url).searchParams.get('ms') ?? '20');
const nap = new Int32Array(new SharedArrayBuffer(4));

partnerLoop(workerData as PartnerData, (...args: Parameters<typeof bandKernel>) => {
  const kernel = bandKernel(...args);
  return (from: number, to: number) => {
    Atomics.wait(nap, 0, 0, ms);
    kernel(from, to);
  };
});
