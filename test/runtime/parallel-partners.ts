/**
 * Partner threads that misbehave, for test/runtime/parallel-team.test.ts (not a test file): the
 * real partner loop with a band kernel that, once it holds a band, either ends its thread
 * (`?die`: process.exit, as a crash would) or never returns (`?stall`).
 */
import { workerData } from 'node:worker_threads';
import { partnerLoop } from '../../src/runtime/team-partner.js';
import type { PartnerData } from '../../src/runtime/team-partner.js';

const behaviour = new URL(import.meta.url).search.slice(1);

partnerLoop(workerData as PartnerData, () => () => {
  if (behaviour === 'die') process.exit(1);
  const never = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(never, 0, 0, 1000);
});
