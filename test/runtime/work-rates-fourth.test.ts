/**
 * The fourth pass of run rates (Inferred.runWork, each op's file): tiny specs that pad a [1, 1, 1, 1]
 * input (0.5 around one 0) to [1, 1, 4096, 4096] (16,777,216 elements) and read it through a chain
 * of one op, as many layers as take the estimate just over 10^11. Counted by the cost (its MACs or
 * FLOPs, 1 an element written by a movement, each 4096² output written 1 + FRESH_ELEMENT_WORK) each
 * chain was under 10^11; at the rates bench/op-rates.ts measured (2026-12-05, 2 vCPU AMD EPYC,
 * load 4–8: matmul of tiny batches 2.1–5.1 ns a unit, 61 ns a 2×2 batch, reductions 0.8–3.1,
 * slice by step 2 3.2–4.9, pixelShuffle and depthToSpace 3.2–3.4, a broadcast add 1.0, global
 * average pooling 1.1, gather 1.6, where the conv ran 0.03–0.07) each is 413 WORK_TOO_LARGE before
 * any kernel runs.
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { layerWork } from '../../src/runtime/checks.js';
import { tensor } from '../../src/tensor/tensor.js';
import { S, N, W, PADDED, chain, refusedAt, type Spec } from './work-chains.js';

/** The fewest layers of `per` units each after `before` that take the estimate over 10^11. */
const justOver = (before: number, per: number) => Math.floor((1e11 - before) / per) + 1;

describe('matmul at its run rate', () => {
  it('30 matmuls of the 4096² values as 4,194,304 batches of 2×2 by themselves (the few-columns loop: 12 a MAC + 500 a batch, + W an element written; cost 2.7e10)', () => {
    const reshape = { name: 'r', op: 'reshape', inputs: ['t'], shape: [N / 4, 2, 2] };
    const per = (N / 4) * (12 * 8 + 500) + W * N;
    // the reshape hands back its input's memory: 1 an element
    const n = justOver(PADDED + N, per);
    expect(n).toBe(30);
    const spec = chain('matmul', n, {}, [reshape], (i) => (i === 0 ? ['r', 'r'] : [`l${i - 1}`, `l${i - 1}`]));
    refusedAt(spec, 'l0', per, PADDED + N + n * per, PADDED + N + (n - 1) * per);
  });
});

/** Layer l0's work (runtime/checks.ts layerWork) in `spec`. */
const l0Work = (spec: Spec) => layerWork(inferGraph(parseNetworkSpec(spec)).analysed.find((a) => a.layer.name === 'l0')!);


describe('reductions and global average pooling at their run rates', () => {
  it('reduceSum, reduceMax, reduceMean along the last axis of the 4096² values (7 an input element, + 4096 written; cost 1.4e10 for 844 of them), reduceProd 10 (591)', () => {
    for (const [op, rate] of [['reduceSum', 7], ['reduceMax', 7], ['reduceMean', 7], ['reduceProd', 10]] as const) {
      const per = rate * N + S;
      const n = justOver(PADDED, per);
      expect(n).toBe(rate === 7 ? 844 : 591);
      const spec = chain(op, n, { axes: [3] }, [], () => ['t']);
      // the pad is the heaviest layer
      expect(l0Work(spec)).toBe(per);
      refusedAt(spec, 't', PADDED, PADDED + n * per, PADDED + (n - 1) * per, 64_000);
    }
  });

  it('1181 globalAvgPool2d of the 4096² values (5 an input element, + 1 written; cost 2.1e10)', () => {
    const per = 5 * N + 1;
    const n = justOver(PADDED, per);
    expect(n).toBe(1181);
    const spec = chain('globalAvgPool2d', n, {}, [], () => ['t']);
    expect(l0Work(spec)).toBe(per);
    refusedAt(spec, 't', PADDED, PADDED + n * per, PADDED + (n - 1) * per, 80_000);
  });
});

describe('slice, depthToSpace, pixelShuffle and gather at their run rates', () => {
  it('188 slices by step 2 of the last axis of the 4096² values to [1, 1, 4096, 2048] (80 a row of 2048 + 12 + W an element; cost 8.1e10)', () => {
    const per = 80 * S + (12 + W) * (N / 2);
    const n = justOver(PADDED, per);
    expect(n).toBe(188);
    const spec = chain('slice', n, { starts: [0], ends: [S], axes: [3], steps: [2] }, [], () => ['t']);
    refusedAt(spec, 't', PADDED, PADDED + n * per, PADDED + (n - 1) * per, 20_000);
    expect(l0Work(spec)).toBe(per);
  });

  it('94 depthToSpace and pixelShuffle by 2 of the 4096² values as [1, 4, 2048, 2048] (12 + W an element; cost 8.1e10)', () => {
    const reshape = { name: 'r', op: 'reshape', inputs: ['t'], shape: [1, 4, S / 2, S / 2] };
    for (const [op, attrs] of [['depthToSpace', { blockSize: 2 }], ['pixelShuffle', { upscaleFactor: 2 }]] as const) {
      const per = (12 + W) * N;
      const n = justOver(PADDED + N, per);
      expect(n).toBe(94);
      refusedAt(chain(op, n, attrs, [reshape], () => ['r']), 'l0', per, PADDED + N + n * per, PADDED + N + (n - 1) * per, 8000);
    }
  });

  it('24 gathers along the last axis of the 4096² values at 4096 indices: 16,777,216 rows of 1 (200 a row + 3 + W an element; cost 2.0e10)', () => {
    const per = (200 + 3 + W) * N;
    const n = justOver(PADDED, per);
    expect(n).toBe(24);
    const spec = chain('gather', n, { axis: 3 }, [], () => ['t', 'i']);
    spec.inputs.push({ name: 'i', shape: [S] });
    refusedAt(spec, 'l0', per, PADDED + n * per, PADDED + (n - 1) * per, 6000, { i: tensor([S]) });
  });
});

describe('scalar add at its run rate', () => {
  it('104 adds of the [1, 1, 1, 1] input (one element: SCALAR_OP) to the 4096² values, each to the one before (6 an operation + W an element written; cost 9.1e10)', () => {
    const per = (6 + W) * N;
    const n = justOver(PADDED, per);
    expect(n).toBe(104);
    const spec = chain('add', n, {}, [], (i) => [i === 0 ? 't' : `l${i - 1}`, 'x']);
    refusedAt(spec, 'l0', per, PADDED + n * per, PADDED + (n - 1) * per, 8000);
  });
});
