/**
 * gc() for this thread: V8's --expose-gc set at run time, then a new context gets the function.
 * Threads that park in Atomics.wait (piscina's workers between tasks, a team's partners between
 * jobs) never collect there, so what they drop stays resident until they collect themselves.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
export const collectGarbage = vm.runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;

/**
 * Bytes of shared weights (SharedArrayBuffers a kept WeightStore made for its team's partners)
 * dropped since this thread last collected. V8 counts a SharedArrayBuffer in neither its heap nor
 * its external memory, so nothing makes it collect for them: a client changing seeds dropped a
 * 45 MB fold every run, and the process grew by that much a run for good. collectIfOver
 * (runtime/memory.ts) collects once this reaches SHARED_DROP_LIMIT.
 */
export const sharedDrops = { bytes: 0 };

/** Counts `bytes` of shared weights no longer kept. */
export function noteSharedDropped(bytes: number): void {
  sharedDrops.bytes += bytes;
}
