/** One measurement in a fresh process: read, decode and analyse an ONNX file; print time and memory as JSON. */
import { readFileSync } from 'node:fs';
import { analyzeGraph } from '../src/analysis/analyze.js';
import { importOnnx } from '../src/graph/onnx/import.js';

const file = process.argv[2];
const runs = Number(process.argv[3] ?? 5);
const baseline = process.memoryUsage().rss;
const times: number[] = [];
let params = 0;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const bytes = readFileSync(file);
  const { graph } = importOnnx(bytes);
  params = analyzeGraph(graph, { dtype: 'float32', flops: '2macs', includeBias: false }).totals.params;
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const peak = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({ ms: times[Math.floor(times.length / 2)], peakAboveBaseline: peak - baseline, params }));
