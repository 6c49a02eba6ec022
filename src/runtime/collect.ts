/**
 * gc() for this thread: V8's --expose-gc set at run time, then a new context gets the function.
 * A thread that parks in Atomics.wait (piscina's workers between tasks) never collects there, so
 * what it drops stays resident until it collects itself (runtime/memory.ts collectIfOver).
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
 * (runtime/memory.ts) collects once this reaches SHARED_DROP_LIMIT; the leader's collection then
 * tells its partners to forget the buffers (runtime/team-weights.ts), and theirs, which their own
 * allocations start, frees them (measured flat without one forced on them).
 */
export const sharedDrops = { bytes: 0 };

/** Counts `bytes` of shared weights no longer kept. */
export function noteSharedDropped(bytes: number): void {
  sharedDrops.bytes += bytes;
}
