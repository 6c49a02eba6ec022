/**
 * Analysis time per extra option on a chain of n 1×1 convs (the hardening hunt's graph), in process:
 * load + inference + report + the extra, then JSON.stringify of the answer.
 *   node --import tsx bench/analysis-options.ts 20000 [option…]
 */
import { analyzeTask } from '../src/runtime/tasks.js';
import type { ExtrasOptions } from '../src/analysis/extras.js';

export const chainSpec = (n: number) => ({
  inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
  layers: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, op: 'conv2d', outChannels: 1, kernelSize: 1, ...(i > 0 && { inputs: [`c${i - 1}`] }) })),
});

export const OPTION_SETS: Record<string, ExtrasOptions> = {
  default: {},
  explain: { explain: true },
  memory: { memory: true },
  deployed: { deployed: true },
  depth3: { depth: 3 },
  ptflops: { convention: 'ptflops' },
  all: { explain: true, memory: true, deployed: true, depth: 3, convention: 'ptflops' },
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 20000);
  const names = process.argv.slice(3).length ? process.argv.slice(3) : Object.keys(OPTION_SETS);
  for (const name of names) {
    const spec = chainSpec(n);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = analyzeTask({ source: { kind: 'spec', spec }, options: { dtype: 'float32', flops: '2macs', includeBias: false, ...OPTION_SETS[name] } });
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    const len = JSON.stringify(r).length;
    const t2 = performance.now();
    console.log(`${name.padEnd(8)} n=${n} analyse ${((t1 - t0) / 1000).toFixed(2)} s (cpu ${((c1.user + c1.system) / 1e6).toFixed(2)} s), stringify ${((t2 - t1) / 1000).toFixed(2)} s, ${(len / 1e6).toFixed(1)} MB`);
  }
}
