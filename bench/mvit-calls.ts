/**
 * multiscaleAttention's run and vjp called alone on mvit_v2_s's blocks 0, 5, 15 and mvit_v1_b's block 0
 * (the shapes of bench/op-rates.ts's cases, seeded weights), interleaved: per call its time and minor
 * page faults (process.resourceUsage); medians over the rounds. With BASE=<another checkout> the same
 * calls of that tree's op run interleaved with this one's in the same process (before and after).
 * Run: nice -n 19 node --import tsx bench/mvit-calls.ts [rounds] [filter]
 */
import os from 'node:os';
import { checkOperator } from '../src/runtime/operator.js';
import { multiscaleAttention as current } from '../src/ops/multiscale-attention.js';
import type { MultiscaleAttentionAttrs, MultiscaleAttentionPlan } from '../src/ops/multiscale-attention.js';
import { rng } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';

const v2 = { kernelQ: [3, 3, 3], kernelKv: [3, 3, 3], residualPool: true, residualWithClsEmbed: false, relPos: true };
const CASES: [string, number[], Record<string, unknown>][] = [
  ['v2_s block 0', [1, 25089, 96], { inputSize: [8, 56, 56], numHeads: 1, strideKv: [1, 8, 8], ...v2 }],
  ['v2_s block 5', [1, 1569, 384], { inputSize: [8, 14, 14], numHeads: 4, strideKv: [1, 2, 2], ...v2 }],
  ['v2_s block 15', [1, 393, 768], { inputSize: [8, 7, 7], numHeads: 8, ...v2 }],
  ['v1_b block 0', [1, 25089, 96], { inputSize: [8, 56, 56], numHeads: 1, kernelKv: [3, 3, 3], strideKv: [1, 8, 8] }],
];

const rounds = Number(process.argv[2] ?? 5);
const filter = process.argv[3] ?? '';
const r = rng(7);
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

const prepared = CASES.filter(([name]) => name.includes(filter)).map(([name, shape, attributes]) => {
  const x = tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));
  const call = { name: 'multiscaleAttention', inputs: [x], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 27 };
  const { attrs, plan, weights } = checkOperator(call);
  const outShape = [shape[0], 1 + (plan as MultiscaleAttentionPlan).qThw.reduce((a, b) => a * b, 1), (plan as MultiscaleAttentionPlan).dim];
  const g = tensor(outShape, Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));
  const ctx = { attrs: attrs as MultiscaleAttentionAttrs, plan: plan as MultiscaleAttentionPlan, inputs: [x], weights, outputs: [outShape], training: false, seed: 0 };
  return { name, ctx, g };
});

type Op = typeof current;
const trees: [string, Op][] = [['this', current]];
if (process.env.BASE) trees.unshift(['base', ((await import(`${process.env.BASE}/src/ops/multiscale-attention.ts`)) as { multiscaleAttention: Op }).multiscaleAttention]);

type Sample = { ms: number; faults: number };
const measure = (fn: () => void): Sample => {
  const f0 = process.resourceUsage().minorPageFault;
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  return { ms, faults: process.resourceUsage().minorPageFault - f0 };
};

const samples = new Map<string, { run: Sample[]; vjp: Sample[] }>();
for (const p of prepared) {
  for (const [tree, op] of trees) {
    // warm-up: one of each
    op.run(p.ctx as never);
    op.vjp!({ ...p.ctx, forward: [], gradOutputs: [p.g] } as never);
    samples.set(`${tree} ${p.name}`, { run: [], vjp: [] });
  }
}
for (let i = 0; i < rounds; i++) {
  for (const p of prepared) {
    for (const [tree, op] of trees) {
      const s = samples.get(`${tree} ${p.name}`)!;
      s.run.push(measure(() => op.run(p.ctx as never)));
      s.vjp.push(measure(() => op.vjp!({ ...p.ctx, forward: [], gradOutputs: [p.g] } as never)));
    }
  }
}
console.log(`load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${rounds} rounds, medians`);
console.log(['case', 'run ms', 'run faults', 'vjp ms', 'vjp faults', 'vjp/run (median of per-round ratios)', trees.length > 1 ? 'this/base run, vjp (median of per-round ratios)' : ''].join('\t'));
for (const [name, s] of samples) {
  const ratios = s.run.map((x, i) => s.vjp[i].ms / x.ms);
  const base = name.startsWith('this') ? samples.get(name.replace(/^this/, 'base')) : undefined;
  const vs = base ? `${median(s.run.map((x, i) => x.ms / base.run[i].ms)).toFixed(2)}, ${median(s.vjp.map((x, i) => x.ms / base.vjp[i].ms)).toFixed(2)}` : '';
  console.log([name, median(s.run.map((x) => x.ms)).toFixed(1), median(s.run.map((x) => x.faults)), median(s.vjp.map((x) => x.ms)).toFixed(1), median(s.vjp.map((x) => x.faults)), median(ratios).toFixed(2), vs].join('\t'));
}
console.log(`load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
