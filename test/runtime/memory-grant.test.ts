/**
 * A task's memory grant (runtime/memory-grant.ts) through real workers: the worker asks once it has
 * built the graph, with the graph's layers × 8 KiB (6 KiB more with explain, 2 KiB more for each
 * other extra analysis), and the main thread's answer decides whether the analysis runs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ReportOptionsSchema } from '../../src/analysis/extras.js';
import { loadConfig } from '../../src/config.js';
import { ConvlensError } from '../../src/errors.js';
import { createPool } from '../../src/runtime/pool.js';

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
    expect(asked).toEqual([[24_576, '3 layers']]);
    asked.length = 0;
    await analyze({ explain: true, memory: true }, (bytes, what) => asked.push([bytes, what]));
    expect(asked).toEqual([[49_152, '3 layers with explain and 1 other extra analysis']]);
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
      [3 * 8192, '3 layers'],
      [69 * 8192, '69 layers'],
    ]);
  });
});
