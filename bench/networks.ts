/**
 * Whole networks from the same ONNX files with (seeded, random) weights, at 1×3×224×224, one
 * thread each: convlens in-process next to onnxruntime-web (wasm, one thread) and
 * onnxruntime-node (one thread). The file is imported and analysed once, outside every timing
 * (as onnxruntime's InferenceSession.create is); convlens is timed two ways:
 *
 *   - first run: runGraph with no kept weight store, which is what a first /v1/run of a file
 *     does after its import: every conv's weights read from the file (unaligned ones copied into
 *     scratch, or, when nothing is folded into them, read in place), its batch norms folded into
 *     them, then the forward;
 *   - steady state: runGraph with a kept WeightStore filled by one untimed run before, as the
 *     worker's model cache (runtime/model-cache.ts) serves later /v1/runs of the same file:
 *     folded weights kept (and, from the second run that reads them, the decoded weights of
 *     layers without a fold: the classifier's), the forward only. The request's file is hashed
 *     (SHA-256, about 0.8–1.6 ms per MB) by the route as it arrives, not in the worker (runtime/file-digest.ts).
 *
 * The four (first run, steady state, onnxruntime-web, onnxruntime-node) are timed call by call in
 * turn, medians of each, so a change in the shared machine's load falls on all of them alike.
 * onnxruntime's timed session.run is its forward with weights prepared at session creation, so
 * the steady state is the like-for-like line and the goal ratio; the first-run line shows what
 * weight preparation adds. Also each op type's share of convlens's steady-state time, from the
 * executor's per-layer timing hook.
 * Goals (issue 12): ResNet-18, MobileNetV2 and the ConvNeXt block stack ≥ 0.8× onnxruntime-web's
 * speed (convlens's steady-state time ≤ 1.25× session.run's); ResNet-50 within 6× of
 * onnxruntime-node (ratio ≥ 1/6).
 * The files are exported on first run into bench/.cache/ by scripts/export_full_onnx.py (Debian
 * python3-torch); a network whose file cannot be made is skipped with the reason.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inferGraph } from '../src/analysis/infer.js';
import { loadGraph } from '../src/graph/load.js';
import { runGraph } from '../src/runtime/execute.js';
import { WeightStore } from '../src/runtime/weight-store.js';
import { rng } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';
import { loadPeer } from './peers.js';
import { record, say } from './records.js';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Net {
  /** Name for export_full_onnx.py (a torchvision builder, or convnext_blocks). */
  model: string;
  label: string;
  against: 'onnxruntime-web' | 'onnxruntime-node';
  goal: string;
}

const NETS: Net[] = [
  { model: 'resnet18', label: 'ResNet-18', against: 'onnxruntime-web', goal: '≥ 0.8× onnxruntime-web' },
  { model: 'mobilenet_v2', label: 'MobileNetV2', against: 'onnxruntime-web', goal: '≥ 0.8× onnxruntime-web' },
  { model: 'convnext_blocks', label: 'ConvNeXt-T stage-1 block stack (stem + 3 blocks, 96 ch at 56×56)', against: 'onnxruntime-web', goal: '≥ 0.8× onnxruntime-web' },
  { model: 'resnet50', label: 'ResNet-50', against: 'onnxruntime-node', goal: 'within 6× of onnxruntime-node (ratio ≥ 0.167)' },
];

function onnxFile(model: string): string | null {
  const file = path.join(here, '.cache', `${model}.onnx`);
  if (existsSync(file)) return file;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    execFileSync('/usr/bin/python3', [path.join(here, '..', 'scripts', 'export_full_onnx.py'), model, file], { stdio: 'ignore' });
    return file;
  } catch {
    return null;
  }
}

/** Median ms per call of each function, sampled in turn: `warmSeconds` of warm-up rounds, then rounds for at least `minSeconds` (≥ 5). */
async function interleaved(fns: Record<string, () => unknown>, minSeconds: number, warmSeconds: number): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  const round = async (keep: boolean) => {
    for (const [key, fn] of Object.entries(fns)) {
      const t = performance.now();
      await fn();
      if (keep) samples[key].push(performance.now() - t);
    }
  };
  const warm = performance.now() + warmSeconds * 1000;
  while (performance.now() < warm) await round(false);
  const end = performance.now() + minSeconds * 1000;
  let n = 0;
  while (performance.now() < end || n < 5) {
    await round(true);
    n++;
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
  return Object.fromEntries(Object.entries(samples).map(([k, a]) => [k, median(a)]));
}

/** `--nets=resnet18,convnext_blocks`: only these (by export name); all by default. */
function selected(): Net[] {
  const arg = process.argv.find((a) => a.startsWith('--nets='));
  if (!arg) return NETS;
  const names = new Set(arg.slice('--nets='.length).split(','));
  return NETS.filter((n) => names.has(n.model));
}

export async function networksBench(): Promise<void> {
  const ortNode = await loadPeer('onnxruntime-node');
  const ortWeb = await loadPeer('onnxruntime-web');
  if (ortWeb) ortWeb.env.wasm.numThreads = 1;
  for (const net of selected()) {
    say(`\n## ${net.label}, forward at 1×3×224×224, one thread each`);
    const file = onnxFile(net.model);
    if (!file) {
      say(`skipped: needs bench/.cache/${net.model}.onnx or python3-torch to export it`);
      continue;
    }
    const bytes: Uint8Array = readFileSync(file); // a Buffer is a Uint8Array: no copy
    const r = rng(1);
    const input = tensor([1, 3, 224, 224], Float32Array.from({ length: 3 * 224 * 224 }, () => r() * 2 - 1));
    let graph;
    try {
      graph = loadGraph({ kind: 'onnx', bytes, inputShapes: {} }).graph;
    } catch (e) {
      say(`convlens cannot load it: ${(e as Error).message}`);
      continue;
    }
    const inference = inferGraph(graph);
    const byOp = new Map<string, number>();
    const opts = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 26, maxWork: Number.MAX_SAFE_INTEGER };
    const feed = { [graph.inputs[0].name]: input };
    // the model cache's kept store: one untimed run fills it (folded weights), the timed ones reuse it
    const store = new WeightStore(true);
    const fns: Record<string, () => unknown> = {
      first: () => runGraph(graph, feed, opts, inference),
      steady: () => runGraph(graph, feed, { ...opts, store }, inference),
    };
    try {
      runGraph(graph, feed, { ...opts, store }, inference);
      // the shares over five runs (one run's are at the mercy of a single GC pause or load spike)
      for (let k = 0; k < 5; k++) runGraph(graph, feed, { ...opts, store, onLayer: (_l, op, ms) => byOp.set(op, (byOp.get(op) ?? 0) + ms) }, inference);
    } catch (e) {
      say(`convlens cannot run it: ${(e as Error).message}`);
      continue;
    }
    for (const [key, ort, opts2] of [
      ['onnxruntime-web', ortWeb, {}],
      ['onnxruntime-node', ortNode, { intraOpNumThreads: 1, interOpNumThreads: 1 }],
    ] as const) {
      if (!ort) continue;
      const session = await ort.InferenceSession.create(bytes, opts2);
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.data, input.shape) };
      fns[key] = () => session.run(feeds);
    }
    // samples interleaved call by call, so a change in the machine's load falls on all alike
    const ms = await interleaved(fns, 4, 1);
    const [first, steady] = [ms.first, ms.steady];
    const peers: Record<string, number | null> = { 'onnxruntime-web': ms['onnxruntime-web'] ?? null, 'onnxruntime-node': ms['onnxruntime-node'] ?? null };
    const against = (ms: number) =>
      Object.entries(peers)
        .map(([key, p]) => (p === null ? `${key} skipped` : `${(ms / p).toFixed(2)}× ${key}'s`))
        .join(', ');
    for (const [key, ms] of Object.entries(peers)) {
      say(`${`${key} session.run`.padEnd(40)} ${ms === null ? '  skipped (npm --prefix bench ci --ignore-scripts)' : `${ms.toFixed(1).padStart(8)} ms`}`);
    }
    say(`${'convlens steady state (model cache)'.padEnd(40)} ${steady.toFixed(1).padStart(8)} ms   takes ${against(steady)} time  [goal line]`);
    say(`${'convlens first run (weights prepared)'.padEnd(40)} ${first.toFixed(1).padStart(8)} ms   takes ${against(first)} time`);
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    const shares = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, ms]) => [op, Number(((100 * ms) / total).toFixed(1))] as const);
    say(`convlens steady-state time by op type: ${shares.map(([op, p]) => `${op} ${p}%`).join(', ')}`);
    record({ bench: 'networks', name: `${net.label}, steady state (model cache)`, unit: 'ms', higherIsBetter: false, convlens: steady, peers, against: net.against, extra: { goal: net.goal, firstRunMs: first, shareByOpTypePercent: Object.fromEntries(shares) } });
    record({ bench: 'networks', name: `${net.label}, first run (weights read and folded)`, unit: 'ms', higherIsBetter: false, convlens: first, peers, against: net.against, extra: { goal: 'none (the goal is the steady state)' } });
  }
}
