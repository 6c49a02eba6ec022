/** ResNet-18 forward at 1×3×224×224 from the same ONNX file (weights included): convlens next to onnxruntime-node. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTask } from '../src/runtime/tasks.js';
import { rng } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';
import { loadPeer } from './peers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.join(here, '.cache', 'resnet18.onnx');

export async function resnetBench(): Promise<void> {
  console.log('\n## ResNet-18 forward, 1×3×224×224');
  if (!existsSync(file)) {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      execFileSync('/usr/bin/python3', [path.join(here, '..', 'scripts', 'export_full_onnx.py'), 'resnet18', file], { stdio: 'ignore' });
    } catch {
      console.log('skipped: needs bench/.cache/resnet18.onnx or python3-torch to export it');
      return;
    }
  }
  const bytes = new Uint8Array(readFileSync(file));
  const r = rng(1);
  const input = tensor([1, 3, 224, 224], Float32Array.from({ length: 3 * 224 * 224 }, () => r() * 2 - 1));
  const ours = () =>
    runTask({ source: { kind: 'onnx', bytes, inputShapes: {} }, inputs: { input }, weights: {}, weightInit: 'file', training: false, seed: 0, capture: [], maxElements: 1 << 26 });
  ours();
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    ours();
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  const convlensMs = runs[1];
  console.log(`convlens (one thread, file decode included): ${convlensMs.toFixed(0)} ms`);
  const ort = await loadPeer('onnxruntime-node');
  if (!ort) {
    console.log('onnxruntime-node: skipped (npm --prefix bench ci --ignore-scripts)');
    return;
  }
  for (const threads of [1, 2]) {
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    const feeds = { input: new ort.Tensor('float32', input.data, input.shape) };
    await session.run(feeds);
    const t = performance.now();
    for (let i = 0; i < 10; i++) await session.run(feeds);
    const ms = (performance.now() - t) / 10;
    console.log(`onnxruntime-node, ${threads} thread${threads > 1 ? 's' : ''}: ${ms.toFixed(1)} ms   (convlens takes ${(convlensMs / ms).toFixed(1)}× as long)`);
  }
}
