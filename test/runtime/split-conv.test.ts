/**
 * Issue 9, defect 3, and issue 12: an operator call computed by a pool worker's team (the worker's
 * operator task, runtime/worker.ts) checks what runOperator checks, in the worker, before any band
 * runs: tensor limits, weight shapes and roles, the work budget; reads the same weights (a bias the
 * attributes ask for but the request omits is seeded, as runOperator seeds it); and gives
 * runOperator's bits, with `workers` saying how many threads computed it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import type { OperatorCall, OperatorResult } from '../../src/runtime/operator.js';
import { TASKS } from '../../src/runtime/worker.js';
import { configureTeams, splitStats } from '../../src/runtime/split.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import { ConvlensError } from '../../src/errors.js';
import { untilPartnerJob } from './team-ready.js';

const random = (shape: number[], seed: number) => {
  const r = rng(seed);
  return tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));
};

// x [1, 16, 64, 64] * w [32, 16, 3, 3]: 32·62·62·144 = 17.7 M MACs (over SPLIT_MACS), output 32·62·62 = 123,008 elements
const x = random([1, 16, 64, 64], 1);
const call = (over: Partial<OperatorCall> = {}): OperatorCall => ({
  name: 'conv2d',
  inputs: [x],
  attributes: {},
  weights: { weight: random([32, 16, 3, 3], 2) },
  training: false,
  seed: 7,
  maxElements: 1 << 20,
  ...over,
});

/** The worker's operator task, as piscina calls it. */
const onWorker = (c: OperatorCall) => TASKS.operator(c) as OperatorResult;

/** The task's error, and that no team job ran for it. */
function rejection(c: OperatorCall): ConvlensError {
  const jobs = splitStats.jobs;
  try {
    onWorker(c);
  } catch (e) {
    expect(splitStats.jobs, 'a team job ran before the check failed').toBe(jobs);
    if (e instanceof ConvlensError) return e;
    throw e;
  }
  throw new Error('expected a ConvlensError, the call succeeded');
}

/** Calls the task until a partner computed part of it (team-ready.ts untilPartnerJob); a call one thread computed says so by having no workers field. */
async function splitByTwo(c: OperatorCall): Promise<OperatorResult> {
  let r: OperatorResult | undefined;
  await untilPartnerJob(() => {
    r = onWorker(c);
    if (r.extra.workers !== 2) expect(r.extra.workers, 'one thread computed it: no workers field').toBeUndefined();
  });
  expect(r!.extra.workers).toBe(2);
  return r!;
}

describe("a conv2d call on a pool worker with a partner thread (the worker's operator task)", () => {
  // the partner up before the rejections: a kernel run before the checks would be a team job
  beforeAll(async () => {
    await configureTeams({ runThreads: 2, threads: 2 });
    await splitByTwo(call());
  }, 30_000);
  afterAll(() => configureTeams(null));

  it('the 123,008-element output over a 100,000-element limit: 413 TENSOR_TOO_LARGE, and no band runs', () => {
    const e = rejection(call({ maxElements: 100_000 }));
    expect(e.code).toBe('TENSOR_TOO_LARGE');
    expect(e.details.shapes).toEqual({ output: [1, 32, 62, 62] });
  });

  it('a weight [32, 8, 3, 3] for a 16-channel input: SHAPE_MISMATCH at $.weights.weight as the request names it (not NaNs)', () => {
    const e = rejection(call({ weights: { weight: random([32, 8, 3, 3], 3) } }));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.details).toMatchObject({ path: '$.weights.weight', shapes: { expected: [32, 16, 3, 3], given: [32, 8, 3, 3] } });
  });

  it('bias: true and a weight role conv2d does not have (bais): INVALID_TENSOR, did you mean bias', () => {
    const e = rejection(call({ attributes: { bias: true }, weights: { weight: random([32, 16, 3, 3], 2), bais: random([32], 3) } }));
    expect(e.toJSON()).toMatchObject({ code: 'INVALID_TENSOR', path: '$.weights.bais', suggestion: 'bias' });
  });

  it('17.7 M MACs over a work budget of 10 M: 413 WORK_TOO_LARGE with the estimate and the limit', () => {
    const e = rejection(call({ maxWork: 10_000_000 }));
    expect(e.code).toBe('WORK_TOO_LARGE');
    // MACs 17,713,152 + outputs 123,008 + weight 4,608 (no bias: only the weight was given)
    expect(e.details).toMatchObject({ estimate: 17_713_152 + 123_008 + 4_608, limit: 10_000_000, layer: 'conv2d' });
  });

  it('within the limits: split in two (workers: 2) with the bits of runOperator on one thread, bias seeded when the attributes ask for one', async () => {
    for (const attributes of [{}, { bias: true }]) {
      const single = runOperator(call({ attributes }));
      const split = await splitByTwo(call({ attributes }));
      expect(split.outputs[0].shape).toEqual([1, 32, 62, 62]);
      expect(Array.from(split.outputs[0].data)).toEqual(Array.from(single.outputs[0].data));
      expect(split.layer.macs).toBe(17_713_152);
    }
  });

  it('a conv of 0.9 M MACs (32·14·14·144, under SPLIT_MACS) and a ReLU: computed by the worker alone, no team job, no workers field', () => {
    const jobs = splitStats.jobs;
    const small = onWorker(call({ inputs: [random([1, 16, 16, 16], 4)] }));
    const relu = onWorker({ ...call(), name: 'relu', weights: {} });
    expect(splitStats.jobs).toBe(jobs);
    expect(small.outputs[0].shape).toEqual([1, 32, 14, 14]);
    expect(small.extra.workers).toBeUndefined();
    expect(relu.extra.workers).toBeUndefined();
    expect(Array.from(relu.outputs[0].data.subarray(0, 4))).toEqual(Array.from(x.data.subarray(0, 4), (v) => Math.max(0, v)));
  });
});
