/**
 * Issue 9, defect 3: the convolution split across workers (runtime/parallel.ts) checks what
 * runOperator checks, before any band runs: tensor limits, weight shapes and roles, the work
 * budget; and reads the same weights (a bias the attributes ask for but the request omits is
 * seeded, as runOperator seeds it).
 */
import { describe, expect, it } from 'vitest';
import { splitConv } from '../../src/runtime/parallel.js';
import type { TaskPool } from '../../src/runtime/pool.js';
import { runOperator } from '../../src/runtime/operator.js';
import type { OperatorCall } from '../../src/runtime/operator.js';
import { TASKS } from '../../src/runtime/worker.js';
import type { TaskName } from '../../src/runtime/task-names.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import { ConvlensError } from '../../src/errors.js';

/** Two "workers" that run each task inline, counting the tasks they were given. */
function inlinePool() {
  const ran: TaskName[] = [];
  const pool: TaskPool = {
    threads: 2,
    queued: 0,
    async run<T>(task: TaskName, payload: unknown): Promise<T> {
      ran.push(task);
      return (TASKS[task] as (p: unknown) => unknown)(payload) as T;
    },
    close: async () => {},
  };
  return { pool, ran };
}

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

async function rejection(p: Promise<unknown>): Promise<ConvlensError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConvlensError) return e;
    throw e;
  }
  throw new Error('expected a ConvlensError, the call succeeded');
}

describe('a conv2d split across two workers', () => {
  it('the 123,008-element output over a 100,000-element limit: 413 TENSOR_TOO_LARGE, and no band runs', async () => {
    const { pool, ran } = inlinePool();
    const e = await rejection(splitConv(pool, call({ maxElements: 100_000 })));
    expect(e.code).toBe('TENSOR_TOO_LARGE');
    expect(e.details.shapes).toEqual({ output: [1, 32, 62, 62] });
    expect(ran).toEqual([]);
  });

  it('a weight [32, 8, 3, 3] for a 16-channel input: SHAPE_MISMATCH at $.weights["conv2d.weight"] (not NaNs)', async () => {
    const { pool, ran } = inlinePool();
    const e = await rejection(splitConv(pool, call({ weights: { weight: random([32, 8, 3, 3], 3) } })));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.details).toMatchObject({ path: '$.weights["conv2d.weight"]', shapes: { expected: [32, 16, 3, 3], given: [32, 8, 3, 3] } });
    expect(ran).toEqual([]);
  });

  it('bias: true and a weight role conv2d does not have (bais): INVALID_TENSOR, did you mean bias', async () => {
    const { pool } = inlinePool();
    const e = await rejection(splitConv(pool, call({ attributes: { bias: true }, weights: { weight: random([32, 16, 3, 3], 2), bais: random([32], 3) } })));
    expect(e.toJSON()).toMatchObject({ code: 'INVALID_TENSOR', path: '$.weights.bais', suggestion: 'bias' });
  });

  it('17.7 M MACs over a work budget of 10 M: 413 WORK_TOO_LARGE with the estimate and the limit', async () => {
    const { pool, ran } = inlinePool();
    const e = await rejection(splitConv(pool, call({ maxWork: 10_000_000 })));
    expect(e.code).toBe('WORK_TOO_LARGE');
    // MACs 17,713,152 + outputs 123,008 + weight 4,608 (no bias: only the weight was given)
    expect(e.details).toMatchObject({ estimate: 17_713_152 + 123_008 + 4_608, limit: 10_000_000, layer: 'conv2d' });
    expect(ran).toEqual([]);
  });

  it('within the limits: one splitConv task (the worker team takes the bands), and the same output as runOperator, bias included when the attributes ask for one', async () => {
    const { pool, ran } = inlinePool();
    for (const attributes of [{}, { bias: true }]) {
      ran.length = 0;
      const split = await splitConv(pool, call({ attributes }));
      const single = runOperator(call({ attributes }));
      expect(ran).toEqual(['splitConv']);
      expect(split!.outputs[0].shape).toEqual([1, 32, 62, 62]);
      expect(Array.from(split!.outputs[0].data)).toEqual(Array.from(single.outputs[0].data));
    }
  });
});
