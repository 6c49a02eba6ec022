/**
 * The second pass of run rates (Inferred.runWork, each op's file): tiny specs (0.5–4.4 KB)
 * that pad a [1, 1, 1, 1] input (0.5 around one 0) to [1, 1, 4096, 4096] (16,777,216
 * elements) and read it through a chain of one op. Counted by the cost (1 a FLOP, each 4096² output
 * written 1 + FRESH_ELEMENT_WORK) each chain was under 10^11, and held a worker for the time given
 * (one run each with no limit, 2026-12-05, 2 vCPU AMD EPYC shared at load 10–12, softmax,
 * logSoftmax and transpose beside another such run); at the measured
 * rates each is 413 WORK_TOO_LARGE before any kernel runs, naming its first layer of the op.
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { DEFAULT_MAX_RUN_WORK } from '../../src/limits.js';
import { kernelWork, runWork } from '../../src/ops/common.js';
import { FRESH_ELEMENT_WORK, layerWork } from '../../src/runtime/checks.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';

const OPTS = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 64 * 1024 * 1024, maxWork: DEFAULT_MAX_RUN_WORK };
const S = 4096;
const N = S * S;
/** Each 4096² (or larger) output written: 1 + FRESH_ELEMENT_WORK units an element (runtime/checks.ts writeWork). */
const W = 1 + FRESH_ELEMENT_WORK;

type Spec = { inputs: { name: string; shape: number[] }[]; layers: Record<string, unknown>[] };
const padded = { name: 't', op: 'pad', inputs: ['x'], pads: [0, 0, 0, 0, 0, 0, S - 1, S - 1], value: 0.5 };
function chain(op: string, layers: number, attrs: Record<string, unknown> = {}): Spec {
  return {
    inputs: [{ name: 'x', shape: [1, 1, 1, 1] }],
    layers: [padded, ...Array.from({ length: layers }, (_, i) => ({ name: `l${i}`, op, inputs: [i === 0 ? 't' : `l${i - 1}`], ...attrs }))],
  };
}

/** The estimate with every layer counted by its cost (kernelWork), as before these rates: each layer's work less its run rate's excess. */
function costEstimate(spec: Spec): number {
  return inferGraph(parseNetworkSpec(spec)).analysed.reduce((s, a) => s + layerWork(a) - runWork(a.inferred!) + kernelWork(a.inferred!), 0);
}

function refusedAt(spec: Spec, layer: string, work: number) {
  expect(JSON.stringify(spec).length).toBeLessThan(5000);
  expect(costEstimate(spec)).toBeLessThan(1e11);
  const t = performance.now();
  const e = errorOf(() => runGraph(parseNetworkSpec(spec), Object.fromEntries(spec.inputs.map((i) => [i.name, tensor(i.shape)])), OPTS));
  expect(e.code).toBe('WORK_TOO_LARGE');
  expect(e.status).toBe(413);
  expect(e.details).toMatchObject({ layer, limit: 1e11, layerWork: work });
  expect(e.details.estimate as number).toBeGreaterThan(1e11);
  expect((performance.now() - t) / 1000).toBeLessThan(2);
}

describe('activations at their run rates', () => {
  it('24 gelu on 4096² (cost 2.3e10; ran 52.8 s): 200 + W an element', () => {
    refusedAt(chain('gelu', 24), 'l0', (200 + W) * N);
  });

  it('56 sigmoid on 4096² (cost 5.3e10; ran 84.1 s): 60 + W; 56 swish (cost 5.4e10; ran 87.4 s): 60 + W', () => {
    refusedAt(chain('sigmoid', 56), 'l0', (60 + W) * N);
    refusedAt(chain('swish', 56), 'l0', (60 + W) * N);
  });

  it('64 erf on 4096² (cost 5.7e10; ran 100.1 s): 50 + W; 80 prelu (cost 7.2e10; ran 117.5 s): 30 + W + its slope', () => {
    refusedAt(chain('erf', 64), 'l0', (50 + W) * N);
    refusedAt(chain('prelu', 80), 'l0', (30 + W) * N + 1);
  });
});

describe('softmax along a row, at its run rate', () => {
  it('56 softmax along the rows of 4096² (cost 5.4e10; ran 193.3 s): 70 + W; 32 logSoftmax (cost 3.1e10; ran 117.3 s): 140 + W', () => {
    refusedAt(chain('softmax', 56, { dim: 2 }), 'l0', (70 + W) * N);
    refusedAt(chain('logSoftmax', 32, { dim: 2 }), 'l0', (140 + W) * N);
  });
});

describe('movement and indexing loops at their run rates', () => {
  it('64 transposes of 4096²\'s last two axes (cost 5.6e10; ran 90.4 s): 50 + W', () => {
    refusedAt(chain('transpose', 64, { perm: [0, 1, 3, 2] }), 'l0', (50 + W) * N);
  });

  it('12 cumSum along the last axis of 4096² (cost 1.1e10; ran 30.7 s): 500 + W', () => {
    refusedAt(chain('cumSum', 12, { dim: 3 }), 'l0', (500 + W) * N);
  });

  it('4 nonZero of 4096² (cost 1.5e10; ran 72.7 s): bounded at [4, 4096²], 500 + W a coordinate', () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 1, 1] }], layers: [padded, ...Array.from({ length: 4 }, (_, i) => ({ name: `l${i}`, op: 'nonZero', inputs: ['t'] }))] };
    refusedAt(spec, 'l0', (500 + W) * 4 * N);
  });

  it('13 scatterND of 4096² points into [4096, 4096] (cost 1.5e10; ran 39.2 s): 400 + 10 a point, + W a data element written', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 1, 1] }, { name: 'y', shape: [1, 2] }, { name: 'z', shape: [1] }],
      layers: [
        padded,
        { name: 'd', op: 'reshape', inputs: ['t'], shape: [S, S] },
        { name: 'i', op: 'pad', inputs: ['y'], pads: [0, 0, N - 1, 0] },
        { name: 'u', op: 'pad', inputs: ['z'], pads: [0, N - 1], value: 1 },
        ...Array.from({ length: 13 }, (_, j) => ({ name: `l${j}`, op: 'scatterND', inputs: [j === 0 ? 'd' : `l${j - 1}`, 'i', 'u'] })),
      ],
    };
    // the pad that makes the N index rows of 2 is the heaviest layer at its own rate (indexing.ts:
    // PAD_ROW 1200 a row + PAD_ELEMENT 5 an element, + W each of 2N written); each scatterND 410 + W
    refusedAt(spec, 'i', (1200 + 5 * 2 + 2 * W) * N);
    const l0 = inferGraph(parseNetworkSpec(spec)).analysed.find((x) => x.layer.name === 'l0')!;
    expect(layerWork(l0)).toBe((400 + 10) * N + W * N);
  });
});
