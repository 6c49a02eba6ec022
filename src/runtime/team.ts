/**
 * A persistent team: the thread that runs a task (the leader) and partner threads it spawns once
 * and keeps (runtime/team-partner.ts). They share, in SharedArrayBuffers handed over once at spawn:
 *  - the control block (runtime/team-protocol.ts): the job descriptor, band claims, the DONE count;
 *  - the arena (runtime/shared-arena.ts): the job's input as a split layer left it there, else
 *    the part of it the partners read copied in (a row job's band by band: band 1's rows before the
 *    job opens, the others' while the partners compute, STAGED), the weights and bias they read
 *    (copied in), and its output (runtime/team-operands.ts), copied out of it band by band as the
 *    partners finish them (BAND_DONE) when the caller keeps the output.
 * A weight in a SharedArrayBuffer of its own (a cached model's kept weights in a worker with a
 * team: runtime/weight-store.ts shareKept) is read in place: the buffer is posted once to each
 * partner's port, and a job names it by id (team-protocol.ts W_BUF; runtime/team-weights.ts); a buffer collected here is
 * forgotten there. A request's own large tensors in shared buffers (http/shared-bodies.ts), input
 * or weight, are read in place too, by an id for their job only (team-weights.ts jobId). Other
 * weights are copied per job, not kept by identity: the executor's weight
 * store folds batch norms into pooled scratch arrays (runtime/weights.ts), so one array holds
 * different weights from layer to layer; a copy costs a read and a write of the weights (ResNet-50:
 * 8–12 ms of the leader's time a forward).
 * A job is one layer's kernel (a convolution, max or global average pooling, a linear layer, a
 * ConvNeXt block's MLP: runtime/team-kernels.ts): the leader posts it with a store and a notify, every member claims
 * bands and writes them into the shared output, and the leader waits on the DONE counter. A partner
 * that dies holding a band, or does not finish it within the stall limit, fails the job with
 * PARTNER_FAILED: the team is then broken, and its owner closes it (runtime/split.ts).
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { ConvlensError } from '../errors.js';
import type { ConvPlan } from '../ops/conv.js';
import { RUNNING_TS } from '../paths.js';
import type { PartnerData } from './team-partner.js';
import {
  ALLOWED,
  BAND_DONE,
  B_LEN,
  B_OFF,
  BOUNDS,
  CLAIM,
  CONTROL_INTS,
  DONE,
  MAX_BANDS,
  MAX_PARTNERS,
  NBANDS,
  OUT_BUF,
  OUT_LEN,
  OUT_OFF,
  PARTNER_FAILED,
  PARTNER_GONE,
  PARTNER_READY,
  SEQ,
  STAGED,
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
  startLagMs,
  X_LEN,
  X_OFF,
  X_BUF,
  EPI_LEN,
  EPI_OFF,
  R_LEN,
  R_OFF,
  claim,
  closedClaim,
  KIND,
  SPIN_MS,
  SPIN_US,
  openClaim,
  spinUntil,
} from './team-protocol.js';
import { SharedArena } from './shared-arena.js';
import { KIND_CONV, KIND_HEADS, KIND_LINEAR, KIND_MAX_POOL, KIND_MLP, KIND_PLANE_MEAN, bandKernel, convJob, copyRegion } from './team-kernels.js';
import { SharedWeightIds } from './team-weights.js';
import { stageOperands } from './team-operands.js';
import type { BandJob } from './team-operands.js';
import type { BandEpilogue } from './team-epilogue.js';

export interface TeamOptions {
  partners: number;
  /** Longest wait for a partner's band before the job fails: max(this, 20 × the leader's own band time). */
  stallMs?: number;
  /** The partner entry module (tests substitute one); default runtime/team-partner-main. */
  partnerEntry?: URL;
  /** How long leader and partners spin before Atomics.wait (team-protocol.ts SPIN_MS by default). */
  spinMs?: number;
}

/** One convolution to split: its bands are [bounds[i], bounds[i + 1]) of rows or channels. */
export interface TeamJob {
  plan: ConvPlan;
  x: Float32Array;
  weight: Float32Array;
  bias: Float32Array | undefined;
  mode: number;
  bounds: number[];
  /** Partners that may take part (index < partners). */
  partners: number;
  /** The output in an arena region the caller releases (BandJob.inArena). */
  inArena?: boolean;
  /** Else the output in this shared buffer of its own, written in place by every member (BandJob.into). */
  into?: Float32Array;
  /** What a conv applies to every band as it is written: its fused activation, a residual add before it (runtime/team-epilogue.ts). */
  epilogue?: BandEpilogue;
}

/** What a failed job's message calls its layer, by kind (runtime/team-kernels.ts KIND_*). */
const KIND_NAMES: Record<number, string> = { [KIND_CONV]: 'convolution', [KIND_MAX_POOL]: 'max pooling', [KIND_PLANE_MEAN]: 'global average pooling', [KIND_LINEAR]: 'linear layer', [KIND_MLP]: 'ConvNeXt block MLP', [KIND_HEADS]: 'attention heads' };
const EMPTY = new Float32Array(0);
const DEFAULT_STALL_MS = 10_000;
const DEFAULT_ENTRY = new URL(RUNNING_TS ? './team-partner-main.ts' : './team-partner-main.js', import.meta.url);
const DEV_BOOTSTRAP = new URL('./team-partner-dev.mjs', import.meta.url);

/**
 * Copies the partners' bands of job `seq` that are done (BAND_DONE) and not copied yet out of the
 * arena's `out` into the leader's `result`, marking them in `copied`; the count copied.
 */
function copyDone(ctl: Int32Array, seq: number, region: BandJob['region'], out: Float32Array, result: Float32Array, bounds: readonly number[], mine: Uint8Array, copied: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mine.length; i++) {
    if (mine[i] || copied[i] || Atomics.load(ctl, BAND_DONE + i) !== seq) continue;
    copyRegion(region, out, result, bounds[i], bounds[i + 1]);
    copied[i] = 1;
    n++;
  }
  return n;
}

export class Team {
  readonly ctl: Int32Array;
  /** The shared memory: job operands, and split layers' outputs the run holds (runtime/shared-arena.ts). */
  readonly arena = new SharedArena();
  private readonly workers: Worker[];
  /** Each partner's port: shared weight buffers are posted there once (runtime/team-weights.ts). */
  private readonly ports: MessagePort[] = [];
  private readonly sharedWeights = new SharedWeightIds(this.ports);
  private readonly stallMs: number;
  /** How long leader and partners spin on the control block before they sleep (ms; 0: never). */
  get spinMs(): number {
    return Atomics.load(this.ctl, SPIN_US) / 1000;
  }
  set spinMs(ms: number) {
    Atomics.store(this.ctl, SPIN_US, Math.round(ms * 1000));
  }
  /**
   * The last job: its bands, how many (and how many units: rows, channels, planes …) the leader
   * computed itself, the leader's milliseconds staging it before it opened (and the floats it copied into the arena
   * for the partners; whether they read the weights in place, W_BUF and W2_BUF) and after (`lateStageMs`: a row-band input's
   * rows for bands 2 and on, counted in ownMs too), in the notify that wakes the partners (a
   * futex wake of a sleeping partner: on a busy machine the kernel may preempt the leader for it, a
   * scheduler slice), in its own bands, waiting and copying the partners' bands out (`earlyCopies`: the
   * partners' bands copied out between its own, in ownMs, rather than after the wait), and the
   * partners' milliseconds in their bands and units computed; `lagMs`: how long after the notify a
   * partner started its first band (null: none did); `bounds`: the bands' bounds; `partners`: how many it was open to.
   */
  lastJob = { bounds: [] as readonly number[], partners: 0, bands: 0, leaderBands: 0, leaderUnits: 0, stageMs: 0, lateStageMs: 0, stagedFloats: 0, sharedWeight: false, wakeMs: 0, ownMs: 0, waitMs: 0, copyMs: 0, earlyCopies: 0, partnerMs: 0, partnerUnits: 0, lagMs: null as number | null };
  /** Why the team can no longer run jobs (a partner failed or stalled); null while it can. */
  broken: string | null = null;

  constructor(opts: TeamOptions) {
    if (!(opts.partners >= 1 && opts.partners <= MAX_PARTNERS)) throw new RangeError(`a team has 1 to ${MAX_PARTNERS} partners, not ${opts.partners}`);
    this.stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
    this.ctl = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
    this.spinMs = opts.spinMs ?? SPIN_MS;
    const entry = opts.partnerEntry ?? DEFAULT_ENTRY;
    const ts = entry.pathname.endsWith('.ts');
    this.workers = Array.from({ length: opts.partners }, (_, index) => {
      const { port1, port2 } = new MessageChannel();
      // only read with receiveMessageOnPort: neither end keeps a thread alive
      port1.unref();
      this.ports.push(port1);
      const data: PartnerData & { entry?: string } = { ctl: this.ctl.buffer as SharedArrayBuffer, arena: this.arena.buffer, port: port2, index, ...(ts && { entry: entry.href }) };
      const worker = new Worker(ts ? DEV_BOOTSTRAP : entry, { workerData: data, transferList: [port2] });
      // its death is read from the control block; an unhandled 'error' would take the leader down
      worker.on('error', () => {});
      worker.on('exit', () => {
        if (Atomics.load(this.ctl, STATE + index) === PARTNER_READY) Atomics.store(this.ctl, STATE + index, PARTNER_GONE);
      });
      worker.unref();
      return worker;
    });
  }

  /** Bytes of shared memory the arena holds (its high-water mark: it never shrinks). */
  get arenaBytes(): number {
    return this.arena.bytes;
  }

  get partners(): number {
    return this.workers.length;
  }

  /** Partners ready to take jobs, counted from index 0 (a job admits partners by index). */
  ready(): number {
    let n = 0;
    while (n < this.workers.length && Atomics.load(this.ctl, STATE + n) === PARTNER_READY) n++;
    return n;
  }

  /** Whether a partner's thread has exited (GONE or FAILED): the team cannot be whole again. */
  exited(): boolean {
    for (let i = 0; i < this.workers.length; i++) {
      const state = Atomics.load(this.ctl, STATE + i);
      if (state === PARTNER_GONE || state === PARTNER_FAILED) return true;
    }
    return false;
  }

  /** Runs the convolution across the leader and job.partners partners; the output in a new array, or an arena region (job.inArena). */
  conv(job: TeamJob): Float32Array {
    const p = job.plan;
    const outLen = p.n * p.cout * p.geo[0].out * p.geo[1].out;
    return this.run({ ...convJob(p, job.mode, job.weight.length), x: job.x, weight: job.weight, bias: job.bias, outLen, bounds: job.bounds, partners: job.partners, inArena: job.inArena, into: job.into, epilogue: job.epilogue });
  }

  /** Runs a job of any kind (runtime/team-kernels.ts) across the leader and job.partners partners; the output in a new array, or a region of the arena when job.inArena. */
  run(job: BandJob): Float32Array {
    if (this.broken) throw new ConvlensError('PARTNER_FAILED', this.broken);
    const { x, weight, bias, bounds, outLen } = job;
    const bands = bounds.length - 1;
    if (bands < 1 || bands > MAX_BANDS) throw new RangeError(`1 to ${MAX_BANDS} bands, not ${bands}`);
    const ctl = this.ctl;
    const t0 = performance.now();
    // the arena regions this job takes: released when it is over
    const temps: Float32Array[] = [];
    try {
      const allowed = Math.min(job.partners, this.workers.length);
      // only this thread counts SEQ up: the job's number is known before it is published
      const seq = Atomics.load(ctl, SEQ) + 1;
      const o = stageOperands(job, this.arena, this.sharedWeights, temps, allowed, seq);
      const { out, result } = o;
      // every member writes the output where the caller reads it: nothing to copy out
      const inPlace = job.inArena || o.outBuf >= 0;
      const at = (a: Float32Array | null) => (a ? a.byteOffset / 4 : 0);
      // the descriptor, then the claim opened, then SEQ: a partner that sees SEQ sees all of it
      ctl[KIND] = job.kind;
      ctl[NBANDS] = bands;
      job.write(ctl);
      ctl[X_OFF] = at(o.x);
      ctl[X_LEN] = x.length;
      ctl[X_BUF] = o.xBuf;
      ctl[W_BUF] = o.weight?.buf ?? -1;
      ctl[W_OFF] = at(o.weight?.at ?? null);
      ctl[W_LEN] = weight?.length ?? 0;
      ctl[W2_BUF] = o.weight2?.buf ?? -1;
      ctl[W2_OFF] = at(o.weight2?.at ?? null);
      ctl[W2_LEN] = o.weight2?.at.length ?? 0;
      ctl[B_OFF] = o.bias ? at(o.bias) : -1;
      ctl[B_LEN] = bias?.length ?? 0;
      ctl[OUT_BUF] = o.outBuf;
      ctl[OUT_OFF] = at(out);
      ctl[OUT_LEN] = outLen;
      ctl[EPI_OFF] = at(o.epilogue?.at ?? null);
      ctl[EPI_LEN] = o.epilogue?.bytes ?? 0;
      ctl[R_OFF] = at(o.residual);
      ctl[R_LEN] = o.residual?.length ?? 0;
      ctl.set(bounds, BOUNDS);
      // bands [0, STAGED) can be read: band 1's rows are in when the rest of a row-band input comes after the open
      Atomics.store(ctl, STAGED, o.stageRest ? 2 : bands);
      Atomics.store(ctl, DONE, 0);
      Atomics.store(ctl, WORK_US, 0);
      Atomics.store(ctl, WORK_UNITS, 0);
      Atomics.store(ctl, START_US, NO_START);
      Atomics.store(ctl, ALLOWED, allowed);
      Atomics.store(ctl, CLAIM, openClaim(seq) + 1);
      Atomics.store(ctl, SEQ, seq);
      const tWake = performance.now();
      const openUs = wallMicros();
      Atomics.notify(ctl, SEQ);
      const t1 = performance.now();
      const mine = new Uint8Array(bands);
      // partners' bands copied out of the arena into the result so far (not when the job writes the arena)
      const copied = new Uint8Array(bands);
      let ownMs = 0;
      this.lastJob = { bounds, partners: allowed, bands, leaderBands: 0, leaderUnits: 0, stageMs: tWake - t0, lateStageMs: 0, stagedFloats: o.staged, sharedWeight: (o.weight?.buf ?? -1) >= 0 && (o.weight2 === null || o.weight2.buf >= 0), wakeMs: t1 - tWake, ownMs: 0, waitMs: 0, copyMs: 0, earlyCopies: 0, partnerMs: 0, partnerUnits: 0, lagMs: null };
      try {
        if (o.stageRest) {
          try {
            o.stageRest((ready) => {
              Atomics.store(ctl, STAGED, ready);
              Atomics.notify(ctl, STAGED);
            });
          } finally {
            // whatever happened, no partner waits for rows any longer (a throw breaks the team below)
            Atomics.store(ctl, STAGED, bands);
            Atomics.notify(ctl, STAGED);
          }
          this.lastJob.lateStageMs = performance.now() - t1;
        }
        // the leader reads its own x and weights (in its cache; a region of the arena when x is one)
        const kernel = bandKernel(ctl, x, weight ?? EMPTY, bias, result, job.epilogue ?? null, job.weight2);
        for (let i = 0; i >= 0; i = claim(ctl, seq, bands)) {
          this.lastJob.leaderBands++;
          this.lastJob.leaderUnits += bounds[i + 1] - bounds[i];
          mine[i] = 1;
          const t = performance.now();
          kernel(bounds[i], bounds[i + 1]);
          ownMs = Math.max(ownMs, performance.now() - t);
          Atomics.add(ctl, DONE, 1);
          // a partner's band that is done is copied now, while the partners still compute theirs
          if (!inPlace) this.lastJob.earlyCopies += copyDone(ctl, seq, job.region, out, result, bounds, mine, copied);
        }
      } catch (e) {
        // partners may still be writing this job's bands into the arena: the team cannot take the
        // next job (its DONE count would mix with theirs), so it is broken and its owner replaces it
        Atomics.store(ctl, CLAIM, closedClaim(seq));
        this.broken = `the leader's band of a split ${KIND_NAMES[job.kind]} failed (${e instanceof Error ? e.message : String(e)})`;
        throw e;
      }
      // every band is claimed: close the job before anything of the next is written
      Atomics.store(ctl, CLAIM, closedClaim(seq));
      const t2 = performance.now();
      this.waitDone(bands, job.partners, ownMs, KIND_NAMES[job.kind]);
      const t3 = performance.now();
      if (!inPlace) for (let i = 0; i < bands; i++) if (!mine[i] && !copied[i]) copyRegion(job.region, out, result, bounds[i], bounds[i + 1]);
      const lagMs = startLagMs(Atomics.load(ctl, START_US), openUs);
      Object.assign(this.lastJob, { ownMs: t2 - t1, waitMs: t3 - t2, copyMs: performance.now() - t3, partnerMs: Atomics.load(ctl, WORK_US) / 1000, partnerUnits: Atomics.load(ctl, WORK_UNITS), lagMs });
      return result;
    } finally {
      // a broken team's arena is not used again (its partners may still write there): its owner replaces the team
      if (!this.broken) for (const t of temps) this.arena.release(t);
    }
  }

  /** Waits for the partners' bands: a partner marked FAILED, or one slower than the stall limit, fails the job. */
  private waitDone(bands: number, partners: number, ownMs: number, what: string): void {
    const limit = Math.max(this.stallMs, 20 * ownMs);
    const started = performance.now();
    // a partner's band usually ends within a fraction of a millisecond of the leader's: spin that
    // long rather than sleep (a futex wake-up costs tens of microseconds, more on a busy machine)
    if (spinUntil(() => Atomics.load(this.ctl, DONE) >= bands, this.spinMs)) return;
    for (;;) {
      const done = Atomics.load(this.ctl, DONE);
      if (done >= bands) return;
      for (let i = 0; i < partners; i++) {
        if (Atomics.load(this.ctl, STATE + i) === PARTNER_FAILED) {
          this.broken = `a partner thread of this worker died while it computed a band of a split ${what} (${done} of ${bands} bands done); retry`;
          throw new ConvlensError('PARTNER_FAILED', this.broken);
        }
      }
      const waited = performance.now() - started;
      if (waited > limit) {
        this.broken = `a partner thread of this worker did not finish its band of a split ${what} within ${Math.round(limit)} ms (${done} of ${bands} bands done); retry`;
        throw new ConvlensError('PARTNER_FAILED', this.broken);
      }
      Atomics.wait(this.ctl, DONE, done, Math.min(50, limit - waited + 1));
    }
  }

  /** Stops the partners (they leave their loop) and ends their threads. */
  async close(): Promise<void> {
    Atomics.store(this.ctl, STOP, 1);
    Atomics.add(this.ctl, SEQ, 1);
    Atomics.notify(this.ctl, SEQ);
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const port of this.ports) port.close();
    this.ports.length = 0;
  }
}
