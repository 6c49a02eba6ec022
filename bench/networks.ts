/**
 * Whole networks from the same ONNX files with (seeded, random) weights, at 1×3×224×224:
 * convlens on one thread in-process (file decode and weight preparation excluded: the graph is
 * loaded once, as a model cache would), next to onnxruntime-web (wasm, one thread) and
 * onnxruntime-node (one thread). Also each op type's share of convlens's time, from the
 * executor's per-layer timing hook.
 * Goals (issue 12): ResNet-18, MobileNetV2 and the ConvNeXt block stack ≥ 0.8× onnxruntime-web;
 * ResNet-50 within 6× of onnxruntime-node (ratio ≥ 1/6).
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
import { rng } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';
import { loadPeer } from './peers.js';
import { record, say, time } from './records.js';

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
    let ours: number;
    try {
      ours = (await time(() => runGraph(graph, feed, opts, inference), 3, 1)) * 1e3;
      runGraph(graph, feed, { ...opts, onLayer: (_l, op, ms) => byOp.set(op, (byOp.get(op) ?? 0) + ms) }, inference);
    } catch (e) {
      say(`convlens cannot run it: ${(e as Error).message}`);
      continue;
    }
    const peers: Record<string, number | null> = { 'onnxruntime-web': null, 'onnxruntime-node': null };
    for (const [key, ort, opts2] of [
      ['onnxruntime-web', ortWeb, {}],
      ['onnxruntime-node', ortNode, { intraOpNumThreads: 1, interOpNumThreads: 1 }],
    ] as const) {
      if (!ort) continue;
      const session = await ort.InferenceSession.create(bytes, opts2);
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.data, input.shape) };
      peers[key] = (await time(() => session.run(feeds), 3, 1)) * 1e3;
    }
    say(`convlens (graph loaded once)  ${ours.toFixed(1).padStart(8)} ms`);
    for (const [key, ms] of Object.entries(peers)) {
      say(`${key.padEnd(29)} ${ms === null ? '  skipped (npm --prefix bench ci --ignore-scripts)' : `${ms.toFixed(1).padStart(8)} ms   convlens takes ${(ours / ms).toFixed(2)}× as long`}`);
    }
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    const shares = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, ms]) => [op, Number(((100 * ms) / total).toFixed(1))] as const);
    say(`convlens time by op type: ${shares.map(([op, p]) => `${op} ${p}%`).join(', ')}`);
    record({ bench: 'networks', name: net.label, unit: 'ms', higherIsBetter: false, convlens: ours, peers, against: net.against, extra: { goal: net.goal, shareByOpTypePercent: Object.fromEntries(shares) } });
  }
}
