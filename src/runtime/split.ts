/**
 * When a worker splits a layer across its team (runtime/team.ts), and how: the kernel hook a run's
 * executor calls (RunOptions.split) in a run or an operator call (runtime/worker.ts). Besides
 * convolutions, a run splits the layers that would otherwise stay serial (Amdahl's bound): max
 * pooling and global average pooling by planes, linear layers of many rows by output features, and
 * ConvNeXt blocks' fused MLPs by positions (splitMlp) (runtime/team-kernels.ts), each when over a
 * threshold of work (SPLIT_TAPS, SPLIT_MACS).
 *
 * Configuration (runtime/pool.ts hands it to every worker at start, as piscina's workerData):
 * RUN_THREADS threads at most per run (0: as many as the pool has workers; 1: no split), and the
 * pool's count of admitted tasks in a shared Int32Array. The rule that keeps partners from
 * starving other requests: at every convolution the leader takes at most as many partners as the
 * pool has idle workers (workers minus admitted tasks), so no more threads compute than WORKERS,
 * except while a request that has just arrived overlaps the rest of one convolution. A worker's
 * partner threads are spawned the first time it could use them, and closed after TEAM_IDLE_MS
 * without a split conv (or when the run that grew its arena past ARENA_KEEP_BYTES ends). A run
 * given RunOptions.shared (teamActivations, as the worker's runs are) keeps split layers' outputs
 * in the team's arena (runtime/shared-arena.ts), so the next split layer's partners read them
 * without a copy.
 *
 * How a layer is cut into bands, and how many: runtime/bands.ts.
 */
import type { ConvPlan } from '../ops/conv.js';
import type { OpDef, RunContext, TeamHeads, TeamLinear } from '../ops/types.js';
import type { SharedRegions, SplitEpilogue, SplitResult } from './run-options.js';
import { poolSimdFits } from '../ops/pool-simd.js';
import { tensor } from '../tensor/tensor.js';
import { headsJob, linearJob, maxPoolJob, mlpJob, mlpVectors, planeMeanJob } from './team-kernels.js';
import { mlpMacs } from './fuse-mlp.js';
import type { MlpOperands } from './fuse-mlp.js';
import type { KernelJob } from './team-kernels.js';
import { sendsAsEpilogue } from './team-epilogue.js';
import type { BandEpilogue } from './team-epilogue.js';
import { MAX_BANDS, MAX_PARTNERS, MODE_ROWS } from './team-protocol.js';
import { balance, bandBounds, bandsFor, bandsPerJob, learn, learnsShare, partnerBands, rowQuantum, shareOf, sharedTail } from './bands.js';
import { SharedArena } from './shared-arena.js';
import { Team } from './team.js';
import { lentAnswers } from './lent-answers.js';

/** Below this many MACs one thread is faster than waking a partner. */
export const SPLIT_MACS = 8_000_000;
/**
 * A team whose arena grew past this (a job's operands and output, and the split outputs a run
 * holds at once, exceed it) is closed when the run ends, so its shared memory is freed; the next
 * split spawns a new team (whose first layers run alone). ResNet-50's arena: 15 MiB at 224, 56 at
 * 512, 78 at 608 (measured), which 64 MiB closed after every run; a segmentation net at 1024 or a
 * large batch still goes past.
 */
export const ARENA_KEEP_BYTES = 128 * 2 ** 20;

export interface TeamSettings {
  /** Threads per run, leader included (1: no split). */
  runThreads: number;
  /** The pool's workers. */
  threads: number;
  /** [0]: tasks admitted by the pool (running or waiting); absent: partners are always allowed. */
  busy?: Int32Array;
  /** Stall limit for a partner's band (ms); team.ts's default when absent. */
  stallMs?: number;
  /** The partner entry (tests). */
  partnerEntry?: URL;
  /** ARENA_KEEP_BYTES unless given (tests). */
  arenaKeepBytes?: number;
  /** SPLIT_MACS unless given (tests: a small network's layers split as a large one's). */
  splitMacs?: number;
}

let settings: TeamSettings | null = null;
let team: Team | null = null;
let retire: ReturnType<typeof setTimeout> | null = null;

/** A team idle this long is closed: its threads and arena are memory no request is using. */
export const TEAM_IDLE_MS = 60_000;

/** Closes the team after `ms` without a split conv (each conv pushes it back); unref'd: it never keeps a process up. */
function retireTeam(ms: number): void {
  if (retire) clearTimeout(retire);
  retire = setTimeout(() => {
    retire = null;
    void closeTeam();
  }, ms);
  retire.unref();
}

/**
 * This thread's split layers since it started, the bands (and jobs) its partners computed a part of,
 * the jobs whose weight the partners read in place (a cached model's shared weights) and the floats
 * the leader copied into the arena for them,
 * and the leader's milliseconds in each phase of them (Team.lastJob: staging before the job opens and after, waking the partners, its
 * own bands, the wait for the partners', the copy-out), the partners' milliseconds in their bands
 * and from the notify to their first band, `lag` (tests, benchmarks).
 */
export const splitStats = { jobs: 0, bands: 0, partnerBands: 0, partnerJobs: 0, teams: 0, residualJobs: 0, sharedWeightJobs: 0, stagedFloats: 0, ms: { stage: 0, lateStage: 0, wake: 0, own: 0, wait: 0, copy: 0, partner: 0, lag: 0 } };

/** This thread's team settings (worker.ts at start, from the pool); null turns splitting off. Closes a team of other settings. */
export function configureTeams(s: TeamSettings | null): Promise<void> {
  settings = s && s.runThreads > 1 ? s : null;
  return closeTeam();
}

export async function closeTeam(): Promise<void> {
  if (retire) clearTimeout(retire);
  retire = null;
  const t = team;
  team = null;
  // the lent answers' free buffers go with it (the next team's partners would be posted them again)
  lentAnswers.dropFree();
  if (t) await t.close();
}

/** Partners a job may take now: RUN_THREADS − 1, and no more than the pool's idle workers. */
function partnersAllowed(s: TeamSettings): number {
  const wanted = Math.min(s.runThreads - 1, MAX_PARTNERS);
  if (!s.busy) return wanted;
  return Math.max(0, Math.min(wanted, s.threads - Atomics.load(s.busy, 0)));
}

export function convMacs(p: ConvPlan): number {
  return p.n * p.cout * p.geo[0].out * p.geo[1].out * (p.cin / p.groups) * p.geo[0].kernel * p.geo[1].kernel;
}

/**
 * The team for a job of `partnersWanted` partners at most, or null when there is none to take:
 * splitting off, no idle pool worker, or no partner ready yet (the first job of a worker's first
 * split spawns them and runs alone). A team whose partner exited is replaced.
 */
function acquire(): { team: Team; partners: number } | null {
  const s = settings;
  if (!s) return null;
  const allowed = partnersAllowed(s);
  if (allowed === 0) return null;
  // a partner whose thread exited: the team is replaced rather than run short-handed from then on
  if (team && (team.broken !== null || team.exited())) void closeTeam();
  if (!team) splitStats.teams++;
  team ??= new Team({ partners: Math.min(s.runThreads - 1, MAX_PARTNERS), ...(s.stallMs !== undefined && { stallMs: s.stallMs }), ...(s.partnerEntry && { partnerEntry: s.partnerEntry }) });
  team.spinMs = balance.spinMs;
  const partners = Math.min(allowed, team.ready());
  return partners === 0 ? null : { team, partners };
}

/** Runs `job` on the team (counted in splitStats, its times learnt for `key`'s bands); a partner's failure closes the team and throws PARTNER_FAILED. */
function onTeam(t: Team, key: string, job: (t: Team, into: Float32Array | undefined) => Float32Array, answerLen = 0): Float32Array {
  // an operator call's output, its answer: in a shared buffer lent to the main thread when one is free (runtime/lent-answers.ts)
  const into = answerLen > 0 ? (lentAnswers.lend(answerLen) ?? undefined) : undefined;
  try {
    const out = job(t, into);
    learn(key, t);
    splitStats.jobs++;
    splitStats.bands += t.lastJob.bands;
    splitStats.partnerBands += t.lastJob.bands - t.lastJob.leaderBands;
    if (t.lastJob.bands > t.lastJob.leaderBands) splitStats.partnerJobs++;
    if (t.lastJob.sharedWeight) splitStats.sharedWeightJobs++;
    splitStats.stagedFloats += t.lastJob.stagedFloats;
    const { ms } = splitStats;
    [ms.stage, ms.lateStage, ms.wake, ms.own, ms.wait, ms.copy, ms.partner, ms.lag] = [ms.stage + t.lastJob.stageMs, ms.lateStage + t.lastJob.lateStageMs, ms.wake + t.lastJob.wakeMs, ms.own + t.lastJob.ownMs, ms.wait + t.lastJob.waitMs, ms.copy + t.lastJob.copyMs, ms.partner + t.lastJob.partnerMs, ms.lag + (t.lastJob.lagMs ?? 0)];
    // a huge job (or run) grew the arena: let it go with the team rather than hold it for good, but
    // once the run is over (a run is synchronous: the timer fires after it), not before its next layer
    if (t.arenaBytes > (settings?.arenaKeepBytes ?? ARENA_KEEP_BYTES)) retireTeam(0);
    else retireTeam(TEAM_IDLE_MS);
    return out;
  } catch (e) {
    // never lent again: a broken team's partners may still write it
    if (into) lentAnswers.forget(into);
    if (team?.broken) void closeTeam();
    throw e;
  }
}

/**
 * The convolution across this worker's team, or null when it would not gain: splitting off, too
 * small, no idle pool worker, or no partner ready yet (the first conv of a worker's first split
 * spawns them and runs alone). A partner's failure closes the team (a new one next time) and
 * throws PARTNER_FAILED.
 */
export function teamConv(p: ConvPlan, input: Float32Array | (() => Float32Array), kernels: Float32Array | (() => Float32Array), bias: Float32Array | undefined, keep = true, epilogue?: BandEpilogue, answer = false): Float32Array | null {
  if (!settings || convMacs(p) < (settings.splitMacs ?? SPLIT_MACS)) return null;
  const got = acquire();
  if (!got) return null;
  const members = got.partners + 1;
  const cut = bandsFor(p, bandsPerJob(members));
  if (!cut) return null;
  // made only now that the team takes the job (TeamBands: a padded input, flipped kernels)
  const x = typeof input === 'function' ? input() : input;
  const weight = typeof kernels === 'function' ? kernels() : kernels;
  const key = `conv:${cut.mode}:${p.n},${p.cin},${p.cout},${p.groups},${p.geo.map((g) => `${g.in},${g.kernel},${g.stride},${g.dilation},${g.padBegin},${g.padEnd}`).join(',')}`;
  const layout = learnsShare(members) ? bandsFor(p, members, shareOf(key, members))! : cut;
  // rows staged in, or bands copied out: the partner's rows in bands, so that both overlap its work
  // (bands.ts partnerBands); a Winograd conv's end in tile rows either member takes (sharedTail)
  const overlap = learnsShare(members) && layout.mode === MODE_ROWS && (keep || !got.team.arena.owns(x));
  const cutRows = (b: number[]) => (rowQuantum(p) === 2 ? sharedTail(b) : partnerBands(b, rowQuantum(p)));
  const bands = overlap ? { ...layout, bounds: cutRows(layout.bounds) } : layout;
  const outLen = p.n * p.cout * p.geo[0].out * p.geo[1].out;
  return onTeam(got.team, key, (t, into) => t.conv({ plan: p, x, weight, bias, ...bands, partners: got.partners, inArena: !keep, into, epilogue }), keep && answer ? outLen : 0);
}

/**
 * Below this much work (taps of a max pooling, elements of a global average pooling) a layer other
 * than a conv runs on one thread: about a millisecond of JavaScript, against the copy of its input
 * into the arena (none when a split layer left it there) and a partner's wake-up (a max pooling the JavaScript loop runs, 3–4 ns a tap; the SIMD kernel's from SPLIT_SIMD_POOL_TAPS).
 */
export const SPLIT_TAPS = 1_000_000;
/**
 * Max pooling that the SIMD kernel takes (ops/pool-simd.ts, about 0.3 ns a tap) is split from this
 * many taps (about 2.5 ms of work): ResNet-50's stem pool, 1.8 M taps, took 0.72–1.2 ms on one
 * thread and 1.0–1.75 ms split in two (load ~3, 2026-11-30), staging and waking costing more than
 * the half saved. Other geometries run the JavaScript loop (3–4 ns a tap) and split from SPLIT_TAPS.
 */
export const SPLIT_SIMD_POOL_TAPS = 8_000_000;

/** What a job of units reads besides x, and whether its output is an operator call's answer (lent: runtime/lent-answers.ts). */
interface UnitOperands {
  weight?: Float32Array;
  bias?: Float32Array;
  /** An MLP's second weight and residual, or what a linear layer applies to its bands (its fused activation, a residual add). */
  more?: { weight2: Float32Array; residual: Float32Array | null } | { epilogue: BandEpilogue };
  answer?: boolean;
}

/**
 * A layer of `units` bands' units (planes, output features, positions) across the team, the
 * leader's share learnt as a conv's; null when it would not gain.
 */
function teamUnits(job: KernelJob, units: number, keep: boolean, x: Float32Array, outLen: number, operands: UnitOperands = {}): Float32Array | null {
  const { weight, bias, more, answer = false } = operands;
  if (units < 2) return null;
  const got = acquire();
  if (!got) return null;
  const key = `${job.kind}:${units},${x.length},${outLen}`;
  const members = got.partners + 1;
  const bounds = bandBounds(units, Math.min(units, bandsPerJob(members), MAX_BANDS), shareOf(key, members), 1);
  const extra = more && ('epilogue' in more ? more : { weight2: more.weight2, ...(more.residual && { epilogue: { op: null, attrs: undefined, residual: more.residual } }) });
  return onTeam(got.team, key, (t, into) => t.run({ ...job, x, weight, bias, outLen, bounds, partners: got.partners, inArena: !keep, into, ...extra }), keep && answer ? outLen : 0);
}

/**
 * RunOptions.splitMlp: a ConvNeXt block's fused MLP (runtime/fuse-mlp.ts) across the team by
 * positions, when its two GEMMs reach SPLIT_MACS and a partner is free; its output a fresh array
 * with mlpColumns' bits over the whole (runtime/team-kernels.ts). Its weights are read in place when
 * they are a cached model's shared buffers, else copied in with its input and residual.
 */
export function splitMlp(o: MlpOperands): Float32Array | null {
  if (!settings || mlpMacs(o) < (settings.splitMacs ?? SPLIT_MACS)) return null;
  return teamUnits(mlpJob(o), o.positions, true, o.h0, o.n * o.c2 * o.positions, { weight: o.w1, bias: mlpVectors(o), more: { weight2: o.w2, residual: o.residual } });
}

/**
 * RunOptions.split: a layer whose op declares its team bands (OpDef.teamBands: convolutions, max
 * pooling, global average pooling, linear layers) across the team when it gains, else null. Each
 * gives op.run's bits: a band's results depend on that band alone (runtime/team-kernels.ts). A
 * conv applies what it is offered (`epilogue`: the fused activation, the residual add before it)
 * in its bands when the partners can (runtime/team-epilogue.ts: `mapped`); the output is a region
 * of the team's arena unless `keep`.
 */
export function splitKernel(op: OpDef, ctx: RunContext<Record<string, unknown>>, keep = true, epilogue?: SplitEpilogue): SplitResult | null {
  // a job reads one input
  if (!settings || ctx.inputs.length !== 1) return null;
  const bands = op.teamBands?.(ctx);
  if (!bands) return null;
  const x = ctx.inputs[0];
  const outLen = ctx.outputs[0].reduce((a, c) => a * c, 1);
  // a conv's or linear layer's fused activation and residual go with the bands when the partners
  // can apply them: an activation of ops/epilogue-ops.ts, a residual of the output's size
  const fits = epilogue && (!epilogue.op || sendsAsEpilogue(epilogue.op)) && (!epilogue.residual || epilogue.residual.data.length === outLen);
  const epi: BandEpilogue | undefined = fits ? { op: epilogue.op ?? null, attrs: epilogue.attrs, residual: epilogue.residual?.data ?? null } : undefined;
  const result = (out: Float32Array | null, mapped = false) => out && { outputs: [tensor(ctx.outputs[0], out)], mapped };
  switch (bands.kind) {
    case 'conv': {
      const out = teamConv(bands.plan, bands.input ?? x.data, bands.weight ?? ctx.weights.weight.data, ctx.weights.bias?.data, keep, epi, true);
      if (out && epi?.residual) splitStats.residualJobs++;
      return result(out, epi !== undefined);
    }
    case 'maxPool': {
      const { geo } = bands;
      if (outLen * geo[0].kernel * geo[1].kernel < (poolSimdFits(geo) ? SPLIT_SIMD_POOL_TAPS : SPLIT_TAPS)) return null;
      return result(teamUnits(maxPoolJob(bands.H, bands.W, geo), bands.planes, keep, x.data, outLen, { answer: true }));
    }
    case 'planeMean':
      if (x.data.length < SPLIT_TAPS) return null;
      return result(teamUnits(planeMeanJob(bands.plane), bands.planes, keep, x.data, bands.planes, { answer: true }));
    case 'linear': {
      const out = linearOnTeam(x.data, bands.rows, bands.inFeatures, ctx.weights.weight.data, ctx.weights.bias?.data, bands.outFeatures, keep, epi, true);
      if (out && epi?.residual) splitStats.residualJobs++;
      return result(out, epi !== undefined);
    }
  }
}

/**
 * A linear layer across the team by output features (ops/linear.ts linearColumns' bits), or null.
 * A classifier head (few rows) is bound by reading its weight once: copying the partner's half
 * costs as much as computing it (measured: no gain), so only a compute-bound GEMM is split.
 */
function linearOnTeam(x: Float32Array, rows: number, ci: number, w: Float32Array, bias: Float32Array | undefined, co: number, keep: boolean, epilogue?: BandEpilogue, answer = false): Float32Array | null {
  if (!settings || rows < LINEAR_SPLIT_ROWS || rows * ci * co < (settings.splitMacs ?? SPLIT_MACS)) return null;
  return teamUnits(linearJob(rows, ci, co), co, keep, x, rows * co, { weight: w, bias, more: epilogue && { epilogue }, answer });
}

/**
 * RunOptions.splitLinear: a linear layer inside an op's kernel (RunContext.teamLinear: attention's
 * QKV and output projections) across the team, its output a fresh array; null runs it on this thread.
 */
export const splitLinear: TeamLinear = (x, rows, ci, w, bias, co) => linearOnTeam(x, rows, ci, w, bias, co, true);

/**
 * RunOptions.splitHeads: a sequence's attention heads (RunContext.teamHeads: a ViT layer's) across
 * the team by heads, when their two products (2·t²·C multiply-adds) reach SPLIT_MACS; null runs them
 * on this thread.
 */
export const splitHeads: TeamHeads = (qkv, t, c, heads) => {
  if (!settings || heads < 2 || 2 * t * t * c < (settings.splitMacs ?? SPLIT_MACS)) return null;
  return teamUnits(headsJob(t, c, heads), heads, true, qkv, t * c);
};

/**
 * RunOptions.shared for runs with splitKernel: the outputs it computes with keep false are regions
 * of the team's arena (runtime/shared-arena.ts). A team closed meanwhile (broken, or retired after
 * a run) takes its arena with it: its regions are then no one's, plain memory the garbage
 * collector frees with their last view.
 */
export const teamActivations: SharedRegions = {
  regionOf: (data, since) => team?.arena.regionOf(data, since) ?? null,
  release: (data) => team?.arena.release(data),
  mark: () => SharedArena.mark(),
  endRun: (mark) => team?.arena.endRun(mark),
};

/** This thread's team's arena: bytes it holds and floats in live regions (tests: a run gives back all it took); null without a team. */
export function teamArena(): { bytes: number; heldFloats: number } | null {
  return team && { bytes: team.arena.bytes, heldFloats: team.arena.heldFloats };
}

/** This thread's team's last job (tests, benchmarks); null without a team. */
export function lastTeamJob(): Team['lastJob'] | null {
  return team?.lastJob ?? null;
}

/** Rows from which a linear layer is split (its GEMM packs x and reuses each weight across rows). */
export const LINEAR_SPLIT_ROWS = 8;
