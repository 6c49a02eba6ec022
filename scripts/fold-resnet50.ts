/**
 * ResNet-50 with every conv a timm StdConv2d, exported without constant folding (scripts/
 * export_weight_standardisation.py --resnet50 DIR): import + analysis, or import + run, timed in a
 * fresh process, with the peak RSS, how many conv weights fold to values, and the run's max |Δ|
 * against PyTorch's output. `analyze` imports as an analysis does (values: false: no weight
 * values folded), `analyze-values` as a run does, then analyses. Not a test (the file is 98 MB).
 * `task` times POST /v1/run's task twice (runTask: import and fold, then from the model cache) and
 * POST /v1/analyze's (analyzeNetwork).
 *   node --import tsx scripts/fold-resnet50.ts DIR/resnet50_std.onnx analyze|analyze-values|run|task
 */
import { readFileSync } from 'node:fs';
import { analyzeGraph } from '../src/analysis/analyze.js';
import { inferGraph } from '../src/analysis/infer.js';
import { importOnnx } from '../src/graph/onnx/import.js';
import { runGraph } from '../src/runtime/execute.js';
import { analyzeNetwork, runTask } from '../src/runtime/tasks.js';
import { tensor } from '../src/tensor/tensor.js';

const [file, mode = 'analyze'] = process.argv.slice(2);
const truth = JSON.parse(readFileSync(file.replace(/\.onnx$/, '.json'), 'utf8')) as { input: { shape: number[]; data: number[] }; output: { data: number[] } };
const bytes = readFileSync(file);
const baseline = process.memoryUsage().rss;
if (mode === 'task') {
  const source = { kind: 'onnx' as const, bytes, inputShapes: {} };
  const input = tensor(truth.input.shape, truth.input.data);
  const ms: number[] = [];
  let diff = 0;
  for (let r = 0; r < 2; r++) {
    const t = performance.now();
    const y = runTask({ source, inputs: { input }, weights: {}, weightInit: 'file', training: false, seed: 0, capture: [], maxElements: 64 * 1024 * 1024 }).outputs.output.data;
    ms.push(Math.round(performance.now() - t));
    for (let i = 0; i < y.length; i++) diff = Math.max(diff, Math.abs(y[i] - truth.output.data[i]));
  }
  const t = performance.now();
  analyzeNetwork({ source, options: { dtype: 'float32', flops: '2macs', includeBias: false } });
  const analyzeMs = Math.round(performance.now() - t);
  console.log(JSON.stringify({ mode, firstRunMs: ms[0], secondRunMs: ms[1], analyzeTaskMs: analyzeMs, maxAbsDiff: diff, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), baselineMB: Math.round(baseline / 2 ** 20) }));
  process.exit(0);
}
const t0 = performance.now();
const { graph } = importOnnx(bytes, { values: mode !== 'analyze' });
const t1 = performance.now();
const convs = graph.layers.filter((l) => l.op === 'conv2d');
const weights = convs.map((l) => graph.constants.get(l.weights!.weight.constant)!);
const folded = weights.filter((c) => c.folded && c.typed).length;
const reasons = [...new Set(weights.filter((c) => c.folded && !c.typed).map((c) => c.folded!.unheld!.replace(/'[^']*'/g, "'…'").replace(/[\d,]{4,}/g, 'N')))];
const out: Record<string, unknown> = { mode, importMs: Math.round(t1 - t0), convs: convs.length, folded, reasons };
if (mode !== 'run') {
  const report = analyzeGraph(graph, { dtype: 'float32', flops: '2macs', includeBias: false }, inferGraph(graph));
  out.analyzeMs = Math.round(performance.now() - t1);
  out.params = report.totals.params;
  out.complete = report.totals.complete;
} else {
  const r = runGraph(graph, { input: tensor(truth.input.shape, truth.input.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 64 * 1024 * 1024 });
  out.runMs = Math.round(performance.now() - t1);
  const y = r.outputs.output.data;
  let diff = 0;
  for (let i = 0; i < y.length; i++) diff = Math.max(diff, Math.abs(y[i] - truth.output.data[i]));
  out.maxAbsDiff = diff;
}
out.peakRssAboveBaselineMB = Math.round((process.resourceUsage().maxRSS * 1024 - baseline) / 2 ** 20);
out.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify(out));
