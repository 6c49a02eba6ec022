/**
 * A partner thread of a team (runtime/team.ts): it waits on the control block's SEQ, claims bands
 * of each job it is allowed into, computes them into the shared output and counts them in DONE,
 * until the leader sets STOP. It never posts a message: everything it reads and writes is in the
 * SharedArrayBuffers it was spawned with.
 *
 * If it dies holding a band (an exception, or its thread exits), it marks itself FAILED and wakes
 * the leader, which fails the job with PARTNER_FAILED instead of waiting for the band.
 */
import {
  ALLOWED,
  B_LEN,
  B_OFF,
  DONE,
  NBANDS,
  OUT_BUF,
  OUT_LEN,
  OUT_OFF,
  PARTNER_FAILED,
  PARTNER_GONE,
  PARTNER_READY,
  SEQ,
  SPIN_US,
  STATE,
  STOP,
  W_BUF,
  W_LEN,
  W_OFF,
  W2_BUF,
  W2_LEN,
  W2_OFF,
  WORK_UNITS,
  WORK_US,
  START_US,
  NO_START,
  wallMicros,
  X_LEN,
  X_OFF,
  X_BUF,
  EPI_LEN,
  EPI_OFF,
  R_LEN,
  R_OFF,
  BOUNDS,
  BAND_DONE,
  claim,
  spinUntil,
  waitStaged,
} from './team-protocol.js';
import type { MessagePort } from 'node:worker_threads';
import { bandKernel } from './team-kernels.js';
import { SharedBuffers } from './team-weights.js';
import { collectGarbage } from './collect.js';
import { activationOf } from './team-epilogue.js';
import type { BandEpilogue } from './team-epilogue.js';

/** What a partner is spawned with (its workerData). */
export interface PartnerData {
  ctl: SharedArrayBuffer;
  /** The team's arena (runtime/shared-arena.ts): every job's operands and output (growable: the leader grows it, every view sees the new length). */
  arena: SharedArrayBuffer;
  /** Where the leader posts shared weight buffers ({ id, buffer }) and forgets them ({ forget: id }): team-protocol.ts W_BUF. */
  port: MessagePort;
  index: number;
}

export type MakeKernel = typeof bandKernel;

export function partnerLoop(d: PartnerData, makeKernel: MakeKernel = bandKernel): void {
  const ctl = new Int32Array(d.ctl);
  const shared = new SharedBuffers(d.port, collectGarbage);
  const me = STATE + d.index;
  let holding = false;
  const leave = (state: number) => {
    if (Atomics.load(ctl, me) !== PARTNER_FAILED) Atomics.store(ctl, me, state);
    Atomics.notify(ctl, DONE);
  };
  process.on('exit', () => leave(holding ? PARTNER_FAILED : PARTNER_GONE));
  // jobs posted before this thread started are not its business
  let seen = Atomics.load(ctl, SEQ);
  Atomics.store(ctl, me, PARTNER_READY);
  try {
    for (;;) {
      // the next layer of a run usually follows at once: spin a little before sleeping (team-protocol.ts SPIN_MS; the leader sets it in SPIN_US)
      if (!spinUntil(() => Atomics.load(ctl, SEQ) !== seen, Atomics.load(ctl, SPIN_US) / 1000)) Atomics.wait(ctl, SEQ, seen);
      if (Atomics.load(ctl, STOP)) break;
      seen = Atomics.load(ctl, SEQ);
      // the port's posts are taken in at every job, whether or not this partner is let in or gets a
      // band: a forgotten buffer is let go of, and a job's transient buffers (a request's own
      // tensors: team-weights.ts jobId) once it is over here (endJob; a post for a later job is kept)
      shared.drain();
      if (d.index >= Atomics.load(ctl, ALLOWED)) {
        shared.endJob(seen);
        continue;
      }
      const bands = ctl[NBANDS];
      let i = claim(ctl, seen, bands);
      if (i < 0) {
        shared.endJob(seen);
        continue;
      }
      // the first partner to start a band of the job says when (the leader's lagMs)
      Atomics.compareExchange(ctl, START_US, NO_START, wallMicros());
      // a successful claim means the descriptor is this job's, whole (see team-protocol.ts)
      const x = new Float32Array(ctl[X_BUF] < 0 ? d.arena : shared.get(ctl[X_BUF]), ctl[X_OFF] * 4, ctl[X_LEN]);
      const w = new Float32Array(ctl[W_BUF] < 0 ? d.arena : shared.get(ctl[W_BUF]), ctl[W_OFF] * 4, ctl[W_LEN]);
      const b = ctl[B_OFF] < 0 ? undefined : new Float32Array(d.arena, ctl[B_OFF] * 4, ctl[B_LEN]);
      const out = new Float32Array(ctl[OUT_BUF] < 0 ? d.arena : shared.get(ctl[OUT_BUF]), ctl[OUT_OFF] * 4, ctl[OUT_LEN]);
      const act = ctl[EPI_LEN] > 0 ? activationOf(new Uint8Array(d.arena, ctl[EPI_OFF] * 4, ctl[EPI_LEN])) : null;
      const residual = ctl[R_LEN] > 0 ? new Float32Array(d.arena, ctl[R_OFF] * 4, ctl[R_LEN]) : null;
      const epilogue: BandEpilogue | null = act || residual ? { op: act?.op ?? null, attrs: act?.attrs, residual } : null;
      const w2 = ctl[W2_LEN] > 0 ? new Float32Array(ctl[W2_BUF] < 0 ? d.arena : shared.get(ctl[W2_BUF]), ctl[W2_OFF] * 4, ctl[W2_LEN]) : undefined;
      const kernel = makeKernel(ctl, x, w, b, out, epilogue, w2);
      while (i >= 0) {
        holding = true;
        const [from, to] = [ctl[BOUNDS + i], ctl[BOUNDS + i + 1]];
        // a row band's input rows may still be on their way into the arena (team-protocol.ts STAGED)
        waitStaged(ctl, i);
        const started = performance.now();
        kernel(from, to);
        // the band is in `out`: the leader may copy it out now, before the job is over (BAND_DONE)
        Atomics.store(ctl, BAND_DONE + i, seen);
        holding = false;
        // counted before DONE: the leader reads them once DONE counts every band
        Atomics.add(ctl, WORK_US, Math.round((performance.now() - started) * 1000));
        Atomics.add(ctl, WORK_UNITS, to - from);
        Atomics.add(ctl, DONE, 1);
        Atomics.notify(ctl, DONE);
        i = claim(ctl, seen, bands);
      }
      shared.endJob(seen);
    }
  } catch {
    // the leader reports it (PARTNER_FAILED); this thread has nothing left to do
    leave(PARTNER_FAILED);
    return;
  }
  leave(PARTNER_GONE);
}
