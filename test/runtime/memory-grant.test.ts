/**
 * A task's memory grant (runtime/memory-grant.ts) through real workers: the worker asks once it has
 * built the graph, with the graph's layers × 8 KiB (6 KiB more with explain, 2 KiB more for each
 * other extra analysis), and the main thread's answer decides whether the analysis runs; a run's
 * import asks for its weight folds' memory before they run.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ReportOptionsSchema } from '../../src/analysis/extras.js';
import { loadConfig } from '../../src/config.js';
import { ConvlensError } from '../../src/errors.js';
import { createPool } from '../../src/runtime/pool.js';
import { tensor } from '../../src/tensor/tensor.js';

const pool = createPool(loadConfig({ WORKERS: '1' }));
afterAll(() => pool.close());

/** conv → relu → maxPool on a 1×3×8×8 input: three layers. */
const spec = {
  inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
  layers: [
    { name: 'c', op: 'conv2d', outChannels: 4, kernelSize: 3 },
    { name: 'r', op: 'relu' },
    { name: 'p', op: 'maxPool2d', kernelSize: 2 },
  ],
};
const analyze = (options: Record<string, unknown>, memory: (bytes: number, what: string) => void) =>
  pool.run<{ layers: unknown[] }>('analyze', { source: { kind: 'spec', spec }, options: ReportOptionsSchema.parse(options) }, undefined, { memory });

describe('a memory grant', () => {
  it('a 3-layer spec asks once for 3 × 8192 = 24,576 bytes; with explain and memory, 3 × (8 + 6 + 2) KiB = 49,152', async () => {
    const asked: [number, string][] = [];
    const report = await analyze({}, (bytes, what) => asked.push([bytes, what]));
    expect(report.layers).toHaveLength(3);
    expect(asked).toEqual([[24_576, 'analysing 3 layers']]);
    asked.length = 0;
    await analyze({ explain: true, memory: true }, (bytes, what) => asked.push([bytes, what]));
    expect(asked).toEqual([[49_152, 'analysing 3 layers with explain and 1 other extra analysis']]);
  });

  it("the main thread's refusal stops the task before it analyses: its catalog error comes back, at the spec's layers", async () => {
    const refuse = () => {
      throw new ConvlensError('OVERLOADED', 'no room now');
    };
    await expect(analyze({}, refuse)).rejects.toMatchObject({ code: 'OVERLOADED', message: 'no room now', details: { path: '$.layers' } });
  });

  it('a refusal that comes after holding the main thread 50 ms is still the answer the worker acts on (it waits, it does not go on); then 200 tasks in a row each get their own mailbox', async () => {
    const late = analyze({}, () => {
      const from = performance.now();
      while (performance.now() < from + 50);
      throw new ConvlensError('OVERLOADED', 'late refusal');
    });
    await expect(late).rejects.toMatchObject({ code: 'OVERLOADED', message: 'late refusal' });
    let calls = 0;
    const results = [];
    for (let i = 0; i < 200; i++) results.push(await analyze({}, () => void calls++));
    expect(calls).toBe(200);
    expect(results.every((r) => r.layers.length === 3)).toBe(true);
  });

  it('two questions in one task (compare: each side charges its graph) are both answered, in order', async () => {
    const asked: [number, string][] = [];
    const task = { before: { kind: 'spec', spec }, after: { kind: 'model', name: 'resnet18' }, options: ReportOptionsSchema.parse({}), memory: false, gates: [], allowIncomplete: false };
    await pool.run('compare', task, undefined, { memory: (bytes, what) => void asked.push([bytes, what]) });
    expect(asked).toEqual([
      [3 * 8192, 'analysing 3 layers'],
      [69 * 8192, 'analysing 69 layers'],
    ]);
  });
});

describe("a run's weight folds at import charge the request before they run (graph/fold-budget.ts's bound)", () => {
  // ws_17.onnx (scripts/export_weight_standardisation.py): six standardised weights, whose folds read
  // the float initializers stem 8·3·3·3 = 216, bit 8·4·9 = 288, scaled 16·8·9 = 1,152 and its gain
  // 16, inorm 16·16 = 256, deconv 16·8·2·2 = 512, head 10·8 = 80: 2,520 values, with 3 × the largest
  // (scaled's 1,152) in flight: 4 bytes × (2,520 + 3,456) = 23,904 bytes
  const bytes = readFileSync(new URL('../fixtures/onnx/ws/ws_17.onnx', import.meta.url));
  const truth = JSON.parse(readFileSync(new URL('../fixtures/onnx/ws/truth.json', import.meta.url), 'utf8')) as { input: { shape: number[]; data: number[] } };
  const runWs = (memory: (bytes: number, what: string) => void, maxElements = 1 << 20) =>
    pool.run('run', { source: { kind: 'onnx', bytes, inputShapes: {} }, inputs: { input: tensor(truth.input.shape, truth.input.data) }, weights: {}, weightInit: 'file', training: false, seed: 0, capture: [], maxElements }, undefined, { memory });

  it('ws_17: 23,904 bytes in all, asked as the bound grows (the first, stem\'s, 4 × (216 + 3 × 216) = 3,456), all before the layers\' ask; the run\'s peak (under 1 MiB, UNASKED_RUN_BYTES) asks nothing, so a second run of the file (from the model cache) asks nothing', async () => {
    const asked: [number, string][] = [];
    await runWs((n, what) => void asked.push([n, what]));
    const folds = asked.filter(([, what]) => what.startsWith('folding the weights at import'));
    expect(folds.reduce((s, [n]) => s + n, 0)).toBe(23_904);
    expect(folds[0]).toEqual([3456, "folding the weights at import (up to node '/stem/Reshape' (Reshape))"]);
    expect(asked.slice(folds.length).map(([, what]) => what)).toEqual([expect.stringMatching(/^analysing \d+ layers$/)]);
    asked.length = 0;
    await runWs((n, what) => void asked.push([n, what]));
    expect(asked).toEqual([]);
  });

  it('refused at the first fold (OVERLOADED): the run stops there, at the file, before folding further or analysing', async () => {
    const asked: string[] = [];
    const refuse = (_: number, what: string) => {
      asked.push(what);
      throw new ConvlensError('OVERLOADED', 'no room now');
    };
    // another MAX_TENSOR_ELEMENTS: another cache entry, so the file is imported again
    await expect(runWs(refuse, 1 << 21)).rejects.toMatchObject({ code: 'OVERLOADED', message: 'no room now', details: { path: 'body' } });
    expect(asked).toEqual(["folding the weights at import (up to node '/stem/Reshape' (Reshape))"]);
  });
});

describe("a task's loan (MemoryCharge.lend): the body's share no other task holds, so a run's peak within it asks nothing", () => {
  // upsample ×256 of 1×1×8×8: a 16 MiB output and 180,224 bytes of tap tables and rows, with its 256-byte input
  const PEAK = 4 * 2048 * 2048 + 2 * 2048 * 12 + 8 * 2048 * 8 + 256;
  const call = { name: 'upsample', inputs: [tensor([1, 1, 8, 8], new Float32Array(64).fill(1))], attributes: { scaleFactor: 256, mode: 'nearest' }, weights: {}, training: false, seed: 0, maxElements: 1 << 24 };
  const charge = (loan: number) => {
    const asked: [number, boolean | undefined, number | undefined][] = [];
    const released: number[] = [];
    const memory = Object.assign((bytes: number, _what: string, fromBody?: boolean, covered?: number) => void asked.push([bytes, fromBody, covered]), {
      lend: () => loan,
      release: (n: number) => void released.push(n),
    });
    return { asked, released, memory };
  };

  it(`a loan of 32 MiB covers the ${PEAK.toLocaleString('en-US')}-byte peak: no ask (no round trip), and the whole loan comes back at the task's end`, async () => {
    const c = charge(32 * 1024 * 1024);
    await pool.run('operator', call, undefined, { memory: c.memory });
    expect(c.asked).toEqual([]);
    expect(c.released).toEqual([32 * 1024 * 1024]);
  });

  it('a loan of 1 MiB: one ask of the whole peak, 1 MiB of it covered; the release gives back the loan and what was asked beyond it (the peak)', async () => {
    const c = charge(1024 * 1024);
    await pool.run('operator', call, undefined, { memory: c.memory });
    expect(c.asked).toEqual([[PEAK, true, 1024 * 1024]]);
    expect(c.released).toEqual([PEAK]);
  });
});
