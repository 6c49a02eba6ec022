/**
 * How a layer is cut into bands for a team (runtime/split.ts runs them, runtime/team.ts hands them out).
 *
 * Bands: output channels in multiples of 4 (the GEMM micro-kernel's height) or output rows,
 * whichever repeats less work per band (CHANNELS_BELOW): a channel band runs the whole im2col
 * (K·H'·W' floats) for its kernels, a row band packs all the kernels (Cout·K) for its positions and
 * stages only the input rows its taps read (ops/conv-im2col.ts). Channels need one image, one
 * group and one GEMM tile (oneTileEach); rows are cut evenly where they divide, else unevenly.
 * Two threads (the default) cut a job in two at the leader's share learnt for the layer's shape
 * (balance, below), the partner's rows in four bands when the leader stages the input or copies
 * the output out (partnerBands); more threads, or balance off, cut BANDS_PER_THREAD even bands per thread.
 * Either way bands are claimed, not assigned: a partner that wakes late or is held up leaves its
 * bands to the leader rather than holding it up. Each band is a convRows call that
 * pays its own packing and staging (3×3 128→128 at 112×112, one thread: 2 bands +3 % CPU, 4 bands
 * +7 %, 8 bands +18 %).
 */
import type { ConvPlan } from '../ops/conv.js';
import { gemmTiles } from '../ops/gemm-tiles.js';
import { winogradApplies } from '../ops/conv-winograd.js';
import { MAX_BANDS, MODE_CHANNELS, MODE_ROWS, SPIN_MS } from './team-protocol.js';
import type { Team } from './team.js';

/** `parts` even bands of n units, the inner bounds multiples of `quantum` (the last bound n). */
const even = (n: number, parts: number, quantum = 1) =>
  Array.from({ length: parts + 1 }, (_, i) => (i === parts ? n : Math.round((i * n) / parts / quantum) * quantum));

/**
 * The multiple of output rows a row band's bounds fall on: 2 for a conv that runs Winograd
 * F(2×2, 3×3) (ops/conv-winograd.ts), whose tiles are two rows: a band that starts or ends inside
 * a tile computes the whole tile, and so does its neighbour (3×3 128→128 at 112², two threads: a
 * cut at an odd row cost a tile row more, 1/56 of the conv), when it has four output rows or more
 * (two tile rows: with fewer, a cut in pairs would leave one band empty); 1 otherwise.
 */
export const rowQuantum = (p: ConvPlan): number => (p.geo[0].out >= 4 && winogradApplies(p.cin / p.groups, p.geo) ? 2 : 1);

/**
 * `bands` bands of the conv (see the header; at most MAX_BANDS, fewer rows when it has fewer), or
 * null when it cannot be cut. With two bands and a `leaderShare` (balance below), the leader's band
 * is that share of the units (channels in fours), the partner's the rest.
 */
export function bandsFor(p: ConvPlan, bands: number, leaderShare?: number): { mode: number; bounds: number[] } | null {
  const rows = p.geo[0].out;
  const b = Math.min(bands, MAX_BANDS);
  const channels = balance.channels || (!balance.rows && CHANNELS_BELOW * p.cout > rows * p.geo[1].out);
  if (channels && p.n === 1 && p.groups === 1 && p.cout % (4 * b) === 0) {
    const bounds = bandBounds(p.cout, b, leaderShare, 4);
    if (oneTileEach(p, bounds)) return { mode: MODE_CHANNELS, bounds };
  }
  const quantum = rowQuantum(p);
  if (rows % b === 0) return { mode: MODE_ROWS, bounds: bandBounds(rows, b, leaderShare, quantum) };
  if (Math.min(rows, b) < 2) return null;
  return { mode: MODE_ROWS, bounds: bandBounds(rows, Math.min(rows, b), leaderShare, quantum) };
}

/**
 * Even bands (their inner bounds multiples of `quantum` when every band can hold one), or with two
 * and a leader's share, [0, that share in multiples of `quantum`, n]: neither band empty, and the
 * cut at most the last multiple of `quantum` below n (an odd n's last tile row is one row).
 */
export function bandBounds(n: number, parts: number, leaderShare: number | undefined, quantum: number): number[] {
  if (parts !== 2 || leaderShare === undefined) return n >= parts * quantum ? even(n, parts, quantum) : even(n, parts);
  const cut = Math.round((leaderShare * n) / quantum) * quantum;
  return [0, Math.min(Math.ceil(n / quantum) * quantum - quantum, Math.max(quantum, cut)), n];
}

/**
 * A two-thread row cut at the leader's share, [0, cut, n], with the partner's rows in bands that
 * overlap its work with the leader's copies: for a job whose input the leader copies into the arena,
 * or whose partners' bands it copies out (runtime/team.ts: the rows of band 2 and on go in while the
 * partner computes band 1, and each band comes out while the partner computes the next).
 *  - First one `quantum` of rows (rowQuantum: a row, or a Winograd tile row), when the partner has
 *    five quanta or more: its input rows are all the leader copies before the job opens, so the
 *    partner starts at once. Before, the first band was a quarter (3×3 128→128 at 112², two
 *    threads: 18 input rows, 0.42–1.18 ms of copying before the partner could start; one tile
 *    row: 4 rows, 0.26–0.30 ms).
 *  - Then a quarter, a half and a quarter of the rest, counted in quanta: with u = ⌈(n − from) /
 *    quantum⌉ quanta and q = ⌈u/4⌉, [from, from + q·quantum, from + (u − q)·quantum, n], when four
 *    quanta or more remain (two or three: halves, the middle bound rounded up onto the quantum;
 *    an odd count of rows ends in a single-row quantum, so [0, 8, 17] in pairs is [0, 8, 12, 14,
 *    17], not a band of no rows as a bound n − q brought down onto the quantum gave). The last
 *    quarter comes out alone after the partner's work; and a partner late to it leaves it to the
 *    leader.
 * A band more costs little: each reads its input rows and writes its output rows once (3×3 128→128
 * at 112², one thread, the partner's 56 rows in one band or two: 43.64 and 43.58 ms).
 * Measured (2026-12-01, 3×3 128→128 at 112², in-process, this thread against this thread and one
 * partner, both ways interleaved in one process, nine processes): two threads' speed-up with the
 * one-quantum first band 1.80–1.86 (median 1.84), with a quarter first 1.71–1.86 (1.73); `bench
 * parallel` run after run: in-process 1.78 → 1.81, through the pools 1.74 → 1.75, ResNet-50
 * balanced 1.84 and 1.84. Against halves (2026-12-01 11:10–11:20 UTC, nine interleaved runs
 * through the pools) the quarters were 1.2 ms faster a call at the median; [⅙, ⅓, ⅓, ⅙] was
 * slower in three runs of three; [¼, ¾] and [½, ¼, ¼] no better in two runs each.
 */
export function partnerBands(bounds: readonly number[], quantum = 1): number[] {
  const [, cut, n] = bounds;
  if (bounds.length !== 3 || n - cut < 2 * quantum) return [...bounds];
  // halves: the middle bound rounded up onto the quantum, still below n (n − cut ≥ 2·quantum)
  if (n - cut < 4 * quantum) return [0, cut, cut + Math.ceil((n - cut) / 2 / quantum) * quantum, n];
  const from = n - cut >= 5 * quantum ? cut + quantum : cut;
  // counted in quanta from `from` (an odd n's last one is a single row), so no bound repeats
  const units = Math.ceil((n - from) / quantum);
  const q = Math.ceil(units / 4);
  const quarters = [from + q * quantum, from + (units - q) * quantum, n];
  return from > cut ? [0, cut, from, ...quarters] : [0, cut, ...quarters];
}

/** Quanta the leader's band gives up to a Winograd conv's shared tail (sharedTail). */
export const TAIL_QUANTA = 3;

/**
 * A Winograd conv's two-thread row cut [0, cut, n] (rowQuantum 2) laid out as partnerBands does,
 * with a shared tail: the leader's band ends `quanta` tile rows before the cut, and the rows end in
 * 2·`quanta` bands of one tile row each. Bands are claimed in order, so the partner takes its
 * bands and then the tail's, and the leader, its own band done, the tail's that are left: both end
 * within about a tile row of each other (0.9 ms of one thread at 128→128, 112²) rather than
 * whenever the learnt share, a guess from the last job, says. The share learns from the units each
 * member computed, tail bands included, so it settles where the leader takes back about `quanta`.
 * Measured (2026-12-07, Intel Xeon VM, 3×3 128→128 at 112² through pools of one and two workers,
 * 130 calls each, quartiles): the leader's wait for the partner 0.01 / 0.01 / 1.5–2.0 ms (median /
 * upper quartile / 90th percentile 3.3–4.0) against 0.03 / 0.4 / 0.8, the partner's idle end
 * 0.3 / 1.4 / 3.2–4.8 against 0.2 / 0.5 / 0.9; the two-worker call's median 27.4–29.3 ms against
 * 26.4–27.4 (three processes each, alternating); 5 tile rows no better than 3. Not for a run's
 * layers between split layers (x in the arena, two bands): ResNet-50 forwards with a tail there
 * were 4–7 % slower (its small layers: a 7- or 14-row conv's tail is most of it).
 * When the partner's part, less its tile rows given back and the tail, has under five quanta left,
 * partnerBands' layout as it is.
 */
export function sharedTail(bounds: readonly number[], quanta = TAIL_QUANTA): number[] {
  const quantum = 2;
  const [, cut, n] = bounds;
  const give = bounds.length === 3 ? Math.min(quanta, Math.floor(cut / quantum) - 1) : 0;
  // the tail's bounds from n down: an odd n's last tile row is a single row
  const tail: number[] = [n];
  for (let i = 0, at = n - (n % quantum || quantum); i < 2 * give; i++, at -= quantum) tail.unshift(at);
  const from = cut - give * quantum;
  if (give < 1 || tail[0] - from < 5 * quantum) return partnerBands(bounds, quantum);
  return [...partnerBands([0, from, tail[0]], quantum), ...tail.slice(1)];
}

/**
 * Balance: the leader's share of each layer shape's units, learnt from its last jobs. Both threads
 * start when the job opens (the leader's staging comes before), but not at the same speed: the
 * partner wakes some time d after the job opens (less with the spin, more on a busy machine), and
 * either thread may run slower per unit (a busy core, a cold cache). From the last job (the
 * leader's time per unit a, the partner's b, U units, and d = the partner's end, own + wait, less
 * its compute time, when the leader had to wait for it) the share that ends both together is
 * f = (d + b·U) / ((a + b)·U); the share moves halfway towards it each job (noise), within
 * [MIN_SHARE, 1 − MIN_SHARE]. On by default since 2026-11-30 12:00 UTC (figures at the end).
 * With the outputs in the shared arena a partner's band runs about a tenth slower than the
 * leader's in isolation (64→64 3×3 at 56×56: 5.0–6.0 ms against 4.5–5.0), yet seven interleaved
 * runs of ResNet-50 (2026-11-30 04:41–06:00 UTC; two threads' speed-up, balanced against even)
 * gave 1.03/1.03, 1.43/1.37, 1.19/1.12, 1.58/1.53, 1.47/1.34, 1.23/1.32, 1.30/1.43: the times it
 * learns from are noise here, and a noisy share can swing a layer's bands far from half. Two
 * later bench runs (08:38–08:40 UTC) gave 1.54/1.49 and 1.59/1.51, and at 10:41–11:55 UTC (a learnt
 * share cuts one band per thread, even bands two, so these compare the two ways whole) three bench
 * runs 1.64/1.53, 1.58/1.57, 1.57/1.54, three interleaved sets of 14 forwards 1.61/1.59, 1.60/1.57,
 * 1.62/1.60 (medians; within rounds the third was behind, 1.46/1.55), and the 3×3 convs alone, 30
 * interleaved calls a run: 128→128 at 112² 1.78/1.70 and 1.79/1.79, 64→64 at 56² 1.16/1.16 and
 * 1.61/1.53. Balanced ahead in 14 of these 19 pairs, even in 3, behind in 2 (by 0.09 and 0.13):
 * on by default. bench parallel compares both.
 */
const shares = new Map<string, number>();
const MIN_SHARE = 0.15;
const MAX_SHAPES = 4096;

/**
 * Even bands per thread of a job, when bands are even (balance off, or more than two threads; two
 * threads learn a share instead, one band each, which the balance figures above weigh against
 * this): with two, a partner that starts late or is held up (this machine's host at times takes a
 * thread's CPU for milliseconds) leaves its second band to the leader instead of keeping it
 * waiting. Measured on ResNet-50 at 224, 24 interleaved
 * forwards each (2026-11-30 07:33 UTC; median ms, the leader's wait for partners per forward):
 * one band per thread 204.4 (wait 23.7), two 179.6 (5.3), four 180.4 (6.2); again 177.3 (14.7),
 * 175.5 (4.0), three 224.2 (9.1); one thread alone 265.8 and 262.3.
 */
export const BANDS_PER_THREAD = 2;

/**
 * A conv is cut by output channels when CHANNELS_BELOW·Cout > H'·W' (positions), else by output rows
 * (see the header). Measured on ResNet-50 at 224 (2026-11-30 07:40 UTC, one thread: each conv and its
 * four bands run in turn, ms summed over the forward's convs): the whole convs 339.2, four channel
 * bands 366.9, four row bands 402.0, each conv's cheaper way 354.0; 3×3 64→64 at 56×56 8.20 whole,
 * 8.64 by rows, 10.87 by channels; 1×1 256→1024 at 14×14 3.80, 5.39, 3.74; this rule picks the
 * cheaper way at all but two shapes (1×1 256→512 stride 2 at 56×56: 2 % over it; 1×1 512→256 at
 * 28×28: 6 %).
 */
export const CHANNELS_BELOW = 2;

/**
 * Band options: `enabled` cuts a two-thread job into one band per thread at the leader's share
 * learnt for the layer's shape (the default: see the balance header above; benchmarks turn it off
 * to compare), else BANDS_PER_THREAD even bands per thread (`bandsPerThread`), as with more than two
 * threads; `rows` true cuts every conv by output rows, `channels` true by output channels where it
 * can (else CHANNELS_BELOW chooses); `spinMs` how long leader and partners spin before they sleep.
 */
export const balance = { enabled: true, rows: false, channels: false, spinMs: SPIN_MS, bandsPerThread: BANDS_PER_THREAD };

/** Whether a job of `members` threads takes the learnt share (two threads, balance on). */
export const learnsShare = (members: number): boolean => balance.enabled && members === 2;

/** Bands a job of `members` threads is cut into: one a thread at a learnt share, else bandsPerThread even ones a thread. */
export const bandsPerJob = (members: number): number => (learnsShare(members) ? members : members * balance.bandsPerThread);

export function shareOf(key: string, members: number): number | undefined {
  return learnsShare(members) ? (shares.get(key) ?? 0.5) : undefined;
}

export function learn(key: string, t: Team): void {
  const j = t.lastJob;
  if (j.leaderUnits === 0 || j.partnerUnits === 0 || j.partnerMs <= 0 || j.ownMs <= 0) return;
  const [a, b, U] = [j.ownMs / j.leaderUnits, j.partnerMs / j.partnerUnits, j.leaderUnits + j.partnerUnits];
  // the leader's own bands end at `ownMs` after the job opened, the partner's `waitMs` later
  const d = j.waitMs > 0.05 ? Math.max(0, j.ownMs + j.waitMs - j.partnerMs) : 0;
  const target = Math.min(1 - MIN_SHARE, Math.max(MIN_SHARE, (d + b * U) / ((a + b) * U)));
  if (shares.size >= MAX_SHAPES && !shares.has(key)) shares.clear();
  shares.set(key, ((shares.get(key) ?? 0.5) + target) / 2);
}

/** The learnt leader shares by layer shape (benchmarks). */
export function learntShares(): ReadonlyMap<string, number> {
  return shares;
}

/**
 * Channel bands give the whole conv's bits only when the whole conv and every band are one GEMM
 * tile (gemmTiles: all the rows of A, all of K). A depth-tiled GEMM (DeepLabV3's 3×3 2048→256)
 * groups the sums over K by its tiles, which gemmTiles picks from the rows, not monotonically in
 * them; a whole conv tiled by rows of A (thousands of kernels: over 4,858 at K = 576) is not staged and adds its bias after
 * the GEMM, where a band that is one tile starts its sums from the bias (ops/conv.ts convRows), so
 * they round otherwise (review 2026-11-30: 1×1 512→8192 at 7×7 in channel bands differed at 352,247
 * of 401,408 outputs). Each band is checked as it is (a learnt share makes them uneven). Row bands
 * keep the whole conv's rows, hence its tiles.
 */
function oneTileEach(p: ConvPlan, bounds: number[]): boolean {
  const K = (p.cin / p.groups) * p.geo[0].kernel * p.geo[1].kernel;
  const oneTile = (rows: number) => {
    const t = gemmTiles(rows, K);
    return t.mc === rows && t.kc === K;
  };
  if (!oneTile(p.cout / p.groups)) return false;
  for (let i = 0; i + 1 < bounds.length; i++) if (!oneTile(bounds[i + 1] - bounds[i])) return false;
  return true;
}
