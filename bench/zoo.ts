/**
 * Where every zoo network's forward spends its time (issue 12: convTranspose2d, pooling, bilinear
 * upsampling, element-wise and batch norm are not the bottleneck of any zoo network). Each network
 * runs in-process on one thread with seeded weights drawn once and bound as the graph's constants,
 * as an ONNX file's weights are (folded once and kept decoded by a kept WeightStore over two
 * untimed runs, as the model cache serves later /v1/runs), then one timed run with the executor's
 * per-layer timing hook, three times (summed); V8's garbage-collection pauses that fall inside a layer's
 * step are taken out of that layer and shown as their own row. Printed per network: each op type's share of the time next to its share of
 * the work (FLOPs, 2 per MAC, from the analysis of the same graph), and the bottleneck: the op type
 * with the largest share of the time. The goal holds for a network when its bottleneck is an op
 * whose work is multiply-accumulates (conv, linear, matmul, attention: MACs in the analysis) and no
 * watched row (every op type without MACs, transposed convs, and the garbage collector's pauses)
 * takes more than a fifth of the time; the ratio recorded is the worst such op type's share
 * of the work ÷ its share of the time (≥ 1: it takes no more time than its work).
 *
 * Resolutions are the zoo's, those above 320 taken at 224 so the sweep stays within minutes
 * (`--full`: the zoo's own, e.g. 520 for the segmentation models, and the models over 16 GMACs, left
 * out by default); `--models=unet,yolov8n` selects.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { analyzeGraph } from '../src/analysis/analyze.js';
import { inferGraph } from '../src/analysis/infer.js';
import { loadGraph } from '../src/graph/load.js';
import { runGraph } from '../src/runtime/execute.js';
import { WeightStore } from '../src/runtime/weight-store.js';
import { layerWeights } from '../src/runtime/weights.js';
import { rng } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';
import { ZOO } from '../src/zoo/index.js';
import { OPS_BY_NAME } from '../src/ops/registry.js';
import { FAMILY_OF } from '../src/conventions/families.js';
import { record, say } from './records.js';

/** Watched: every op type without multiply-accumulates (pooling, resampling, element-wise, norms), and transposed convs. */
const WATCHED_LIMIT = 0.2;
const isTransposedConv = (op: string) => {
  const def = OPS_BY_NAME.get(op);
  return def !== undefined && FAMILY_OF.get(def) === 'convTranspose';
};

/** Timed runs per network, their times summed: one run's shares are at the mercy of a load spike. */
const RUNS = 3;
/** Where the garbage collector's pauses inside layers are put (V8's gc performance entries). */
const GC = 'garbage collection (V8)';

/** V8's collections while `fn` runs, as performance entries (start and duration in ms, performance.now()'s clock). */
async function gcPauses(fn: () => unknown): Promise<{ start: number; duration: number }[]> {
  const pauses: { start: number; duration: number }[] = [];
  const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => pauses.push({ start: e.startTime, duration: e.duration })));
  observer.observe({ entryTypes: ['gc'] });
  try {
    fn();
    // the observer's entries arrive on a later turn of the event loop
    await new Promise((resolve) => setTimeout(resolve, 0));
  } finally {
    observer.disconnect();
  }
  return pauses;
}

/**
 * Past this many GMACs (torchvision's figure at the model's own resolution) a model runs only with
 * `--full` or `--models=`: one run of regnet_y_128gf (127.5 GMACs, 644 M weights, 2.6 GB bound as
 * constants) took 52.8 s at load 13, and the bench runs each model five times.
 */
const DEFAULT_MAX_GMACS = 16;

function selected(full: boolean): string[] {
  const arg = process.argv.find((a) => a.startsWith('--models='));
  if (arg) return arg.slice('--models='.length).split(',');
  const heavy = ZOO.filter((z) => !full && (z.torchvision?.gmacs ?? 0) > DEFAULT_MAX_GMACS).map((z) => z.name);
  if (heavy.length > 0) say(`(over ${DEFAULT_MAX_GMACS} GMACs, run with --full or --models=: ${heavy.join(', ')})`);
  return ZOO.filter((z) => !heavy.includes(z.name)).map((z) => z.name);
}

export async function zooBench(): Promise<void> {
  const full = process.argv.includes('--full');
  say('\n## Zoo networks: where the forward spends its time (one thread, weights prepared once)');
  const failing: string[] = [];
  for (const name of selected(full)) {
    const entry = ZOO.find((z) => z.name === name);
    if (!entry) {
      say(`${name}: not in the zoo`);
      continue;
    }
    const resolution = full || entry.resolution <= 320 ? entry.resolution : 224;
    let graph, inference, report;
    try {
      graph = loadGraph({ kind: 'model', name, resolution }).graph;
      inference = inferGraph(graph);
      report = analyzeGraph(graph, { dtype: 'float32', flops: '2macs', includeBias: false });
    } catch (e) {
      say(`${name}: cannot analyse at ${resolution}: ${(e as Error).message}`);
      continue;
    }
    const flopsByOp = new Map<string, number>();
    const macOps = new Set<string>();
    for (const l of report.layers) {
      flopsByOp.set(l.op, (flopsByOp.get(l.op) ?? 0) + l.flops);
      if (l.macs > 0) macOps.add(l.op);
    }
    const r = rng(1);
    const feed = Object.fromEntries(graph.inputs.map((i) => [i.name, tensor(i.shape, Float32Array.from({ length: i.shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1))]));
    // the seeded weights drawn once and bound as the graph's constants, as an ONNX file's are: a run
    // draws seeded weights afresh (VGG's classifier, 120 M values, took longer than every kernel),
    // and weights given with a request are folded afresh each run; constants are folded once into
    // the kept store and kept decoded (the model cache's steady state)
    for (const a of inference.analysed) {
      if (!a.inferred) continue;
      for (const [role, t] of Object.entries(layerWeights(a.layer, a.inferred.weights, graph.constants, {}, 'seed', 0))) {
        const constant = `${a.layer.name}.${role}`;
        graph.constants.set(constant, { name: constant, shape: [...t.shape], dataType: 'float32', value: null, raw: null, typed: t.data, initializer: true });
        a.layer.weights = { ...a.layer.weights, [role]: { constant } };
      }
    }
    const store = new WeightStore(true);
    const opts = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 28, maxWork: Number.MAX_SAFE_INTEGER, store };
    const msByOp = new Map<string, number>();
    try {
      runGraph(graph, feed, opts, inference);
      runGraph(graph, feed, opts, inference);
      if (store.bytes === 0) say(`${name}: the kept store holds nothing after two runs: every run folds and decodes afresh`);
      for (let k = 0; k < RUNS; k++) {
        const steps: { op: string; end: number; ms: number }[] = [];
        const pauses = await gcPauses(() => runGraph(graph, feed, { ...opts, onLayer: (_l, op, ms) => steps.push({ op, end: performance.now(), ms }) }, inference));
        for (const s of steps) {
          // a collection V8 ran inside a layer's step is the garbage collector's time, not the op's
          const gc = pauses.filter((p) => p.start >= s.end - s.ms && p.start + p.duration <= s.end).reduce((a, p) => a + p.duration, 0);
          msByOp.set(s.op, (msByOp.get(s.op) ?? 0) + s.ms - gc);
          if (gc > 0) msByOp.set(GC, (msByOp.get(GC) ?? 0) + gc);
        }
      }
    } catch (e) {
      say(`${name}: cannot run: ${(e as Error).message}`);
      continue;
    }
    const totalMs = [...msByOp.values()].reduce((a, b) => a + b, 0) / RUNS;
    for (const [op, ms] of msByOp) msByOp.set(op, ms / RUNS);
    const totalFlops = [...flopsByOp.values()].reduce((a, b) => a + b, 0) || 1;
    const rows = [...msByOp].map(([op, ms]) => ({ op, time: ms / totalMs, work: (flopsByOp.get(op) ?? 0) / totalFlops })).sort((a, b) => b.time - a.time);
    const bottleneck = rows[0];
    // the collector's row is watched too: an op whose allocations cost a fifth of the time in collections is a bottleneck
    const watched = rows.filter((x) => x.op === GC || !macOps.has(x.op) || isTransposedConv(x.op));
    const worst = watched[0];
    const ok = macOps.has(bottleneck.op) && (!worst || worst.time <= WATCHED_LIMIT);
    if (!ok) failing.push(name);
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    say(
      `${name.padEnd(26)} ${resolution}px ${totalMs.toFixed(0).padStart(6)} ms  bottleneck ${bottleneck.op} ${pct(bottleneck.time)} of the time (${pct(bottleneck.work)} of the work)` +
        `${worst ? `; most of the watched: ${worst.op} ${pct(worst.time)} (${pct(worst.work)} of the work)` : ''}  ${ok ? 'ok' : 'NOT MET'}`,
    );
    say(`   ${rows.slice(0, 6).map((x) => `${x.op} ${pct(x.time)}/${pct(x.work)}`).join(', ')}   (time/work)`);
    record({
      bench: 'zoo',
      name: `${name} at ${resolution}: the watched op type with the largest share of the time`,
      unit: 'share of time',
      higherIsBetter: false,
      convlens: worst?.time ?? 0,
      peers: { 'its share of the work': worst?.work ?? 0 },
      against: 'its share of the work',
      extra: { milliseconds: totalMs, bottleneck: bottleneck.op, bottleneckShare: bottleneck.time, goalMet: ok, shares: Object.fromEntries(rows.map((x) => [x.op, { time: x.time, work: x.work }])) },
    });
  }
  say(failing.length ? `goal not met on: ${failing.join(', ')}` : 'goal met on every network run: a MAC op is each bottleneck, and no watched op type takes over a fifth of the time');
}
