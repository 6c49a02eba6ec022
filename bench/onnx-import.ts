/**
 * ONNX import speed and memory: convlens (decode + full analysis) against Python's onnx.load +
 * onnx.shape_inference.infer_shapes on the same full-weight ResNet-50 file, in the same run.
 * Goals (issue 3): faster than the Python pair; peak memory under twice the file size.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { record, say } from './records.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const cache = path.join(here, '.cache');
const file = path.join(cache, 'resnet50.onnx');
const PYTHON = '/usr/bin/python3';

function havePython(modules: string[]): boolean {
  try {
    execFileSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function onnxImportBench(): void {
  say('\n## ONNX import: ResNet-50 with weights');
  if (!existsSync(file)) {
    if (!havePython(['torch', 'torchvision'])) {
      say('skipped: needs bench/.cache/resnet50.onnx or python3-torch + python3-torchvision to export it');
      return;
    }
    mkdirSync(cache, { recursive: true });
    execFileSync(PYTHON, [path.join(root, 'scripts', 'export_full_onnx.py'), 'resnet50', file], { stdio: 'ignore' });
  }
  const size = statSync(file).size;
  const child = (runs: number) =>
    JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'onnx-import-child.ts'), file, String(runs)], { cwd: root, encoding: 'utf8' }));
  // Memory from a process that loads the file once; time from one that repeats it.
  const once = child(1);
  const ours = child(5);
  ours.peakAboveBaseline = once.peakAboveBaseline;
  say(`file: ${(size / 1e6).toFixed(1)} MB, ${ours.params.toLocaleString()} params`);
  say(`convlens decode + analyse: ${ours.ms.toFixed(1)} ms (median of 5)`);
  const ratio = ours.peakAboveBaseline / size;
  say(`convlens peak memory above baseline: ${(ours.peakAboveBaseline / 1e6).toFixed(1)} MB = ${ratio.toFixed(2)}× the file (goal < 2×) ${ratio < 2 ? 'OK' : 'MISSED'}`);
  record({ bench: 'onnx-import', name: 'ResNet-50 with weights: peak memory above baseline', unit: 'bytes', higherIsBetter: false, convlens: ours.peakAboveBaseline, peers: { 'twice the file size': 2 * size }, against: 'twice the file size', extra: { goal: '< 2× the file' } });
  if (!havePython(['onnx'])) {
    say('python onnx: skipped (python3-onnx not installed)');
    return;
  }
  const script = `import onnx, time, sys
ts = []
for _ in range(3):
    t = time.perf_counter(); m = onnx.load(sys.argv[1]); onnx.shape_inference.infer_shapes(m); ts.append(time.perf_counter() - t)
print(sorted(ts)[1] * 1000)`;
  const py = Number(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' }).trim());
  say(`python onnx.load + infer_shapes: ${py.toFixed(1)} ms (median of 3)`);
  say(`ratio: convlens is ${(py / ours.ms).toFixed(2)}× the speed of the Python pair ${py > ours.ms ? '(goal met)' : '(goal missed)'}`);
  record({ bench: 'onnx-import', name: 'ResNet-50 with weights: decode + analyse', unit: 'ms', higherIsBetter: false, convlens: ours.ms, peers: { 'python onnx.load + infer_shapes': py }, against: 'python onnx.load + infer_shapes' });
}
