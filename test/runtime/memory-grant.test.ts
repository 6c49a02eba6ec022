/**
 * A task's memory grant (runtime/memory-grant.ts) through real workers: the worker asks once it has
 * built the graph, with the graph's layers × 8 KiB (6 KiB more with explain, 2 KiB more for each
 * other extra analysis), and the main thread's answer decides whether the analysis runs; a run's
 * import asks for its weight folds' memory before they run.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ReportOptionsSchema } from '../../src/analysis/extras.js';
import { loadConfig } from '../../src/config.js';
import { ConvlensError } from '../../src/errors.js';
import { chargeTo, MemoryBudget } from '../../src/memory-budget.js';
import type { MemoryCharge } from '../../src/memory-budget.js';
import { OWN_TASKS_WAIT_MS, openMemoryGrant } from '../../src/runtime/memory-grant.js';
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

describe("a task's first ask waits for the request's other tasks running now to release (memory-budget.ts MemoryCharge.wait), within a bound and no longer than its grant is open", () => {
  // the request: a 24 MiB budget, a body's share of 4 MiB; another task of it holds 16 MiB from the
  // body (charged here, on the main thread); the task's 17 MiB peak fits alone, not with those 16
  const MiB = 1024 * 1024;
  const HELD = 16 * MiB;
  const TASK = 17 * MiB;
  const BODY = 4 * MiB;
  const request = (body = BODY) => {
    const budget = new MemoryBudget(24 * MiB);
    const reservation = budget.tryReserve(body)!;
    const charges = chargeTo(budget, reservation, () => body);
    // what the grant does with the request's charges, in order
    const seen: string[] = [];
    const memory: MemoryCharge = Object.assign((bytes: number, what: string, fromBody?: boolean, covered?: number, own?: number) => charges(bytes, what, fromBody, covered, own), {
      lend: () => charges.lend!(),
      release: (n: number) => {
        seen.push(`release ${n / MiB} MiB`);
        charges.release!(n);
      },
      wait: (bytes: number, what: string, until: { waitMs: number; signal: AbortSignal; fromBody?: boolean }) => {
        seen.push(`wait ${bytes / MiB} MiB`);
        return charges.wait!(bytes, what, until);
      },
    });
    return { budget, reservation, charges, memory, seen };
  };
  /** A worker thread asking `peaks` through one chargeRun (test/runtime/ask-worker.mjs) on a grant of `memory`. */
  const task = (memory: MemoryCharge, peaks: number[], waitMs?: number, analysis = 0) => {
    const grant = openMemoryGrant(memory, waitMs);
    const worker = new Worker(new URL('./ask-worker.mjs', import.meta.url), { workerData: { peaks, grant: grant.grant, analysis } });
    const result = new Promise<{ ok: boolean; error?: { code: string; message: string }; ms: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    let answered = false;
    const done = result.finally(() => {
      answered = true;
      grant.close();
      void worker.terminate();
    });
    return { done, close: () => grant.close(), answered: () => answered };
  };

  it(`the bound is ${OWN_TASKS_WAIT_MS.toLocaleString('en-US')} ms, well within the 30,000 ms a worker waits for any answer`, () => {
    expect(OWN_TASKS_WAIT_MS).toBe(20_000);
  });

  it("a graph's analysis of 10 MiB (not from the body) as the task's first ask, 4 MiB lent, while another task holds 16 MiB of 24: it gives its loan back and waits, answered at that task's release (was 503 OVERLOADED at once, on every retry while the other ran: a GraphQL document's run and analysis side by side)", async () => {
    const r = request();
    const t = task(r.memory, [], undefined, 10 * MiB);
    r.charges(HELD, "the request's other run", true);
    await vi.waitFor(() => expect(r.seen).toEqual(['release 4 MiB', 'wait 10 MiB']), { timeout: 10_000 });
    await new Promise((done) => setTimeout(done, 200));
    expect(t.answered()).toBe(false);
    r.memory.release!(HELD);
    expect(await t.done).toMatchObject({ ok: true });
    // the analysis is held until the request ends (its loan given back, nothing asked from the body): the high-water 20 MiB
    expect(r.seen).toEqual(['release 4 MiB', 'wait 10 MiB', 'release 16 MiB']);
    expect(r.budget.used).toBe(BODY + HELD);
    r.reservation.release();
  });

  it('17 MiB asked with 4 MiB lent, while another task holds 16 MiB of 24: the task gives its loan back and waits (no answer 200 ms on), answered at that task\'s release; its end gives back its 17 MiB in full; the request keeps its high-water 20 MiB (the 4 lent and the 16) until it ends, then 0', async () => {
    const r = request();
    const t = task(r.memory, [TASK]);
    r.charges(HELD, "the request's other run", true);
    await vi.waitFor(() => expect(r.seen).toEqual(['release 4 MiB', 'wait 17 MiB']), { timeout: 10_000 });
    await new Promise((done) => setTimeout(done, 200));
    expect(t.answered()).toBe(false);
    r.memory.release!(HELD);
    const result = await t.done;
    expect(result).toMatchObject({ ok: true });
    expect(result.ms).toBeGreaterThanOrEqual(200);
    expect(r.seen).toEqual(['release 4 MiB', 'wait 17 MiB', 'release 16 MiB', 'release 17 MiB']);
    expect(r.budget.used).toBe(BODY + HELD);
    r.reservation.release();
    expect(r.budget.used).toBe(0);
  });

  it("a later ask (one run's second stage: 2 MiB, then 17 MiB, through the same high-water charge) while another task holds 16 MiB: 503 OVERLOADED at once, as before, no wait", async () => {
    const r = request(0);
    r.charges(HELD, "the request's other run", true);
    const result = await task(r.memory, [2 * MiB, TASK]).done;
    expect(result).toMatchObject({ ok: false, error: { code: 'OVERLOADED', message: `a peak of ${TASK} bytes needs about ${15 * MiB} more, and with the request's other tasks running now that is more than the whole ${24 * MiB}-byte memory budget (MEMORY_BUDGET_BYTES); retry later` } });
    expect(result.ms).toBeLessThan(1000);
    expect(r.seen).toEqual(['release 2 MiB']);
  });

  it("a task alone on a 24 MiB budget whose second stage grows its peak from 16 to 26 MiB (an ask of the 10 MiB growth): 413 GRAPH_TOO_LARGE at once, since the task alone holds 26 MiB (before: 503 OVERLOADED 'with the request's other tasks running now', of which there were none, and a job retried it)", async () => {
    const r = request(0);
    const result = await task(r.memory, [16 * MiB, 26 * MiB]).done;
    expect(result).toMatchObject({ ok: false, error: { code: 'GRAPH_TOO_LARGE' } });
    expect(result.error!.message).toMatch(/^a peak of 27262976 bytes needs about 10485760 bytes of memory/);
    expect(result.ms).toBeLessThan(1000);
    expect(r.seen).toEqual(['release 16 MiB']);
    r.reservation.release();
    expect(r.budget.used).toBe(0);
  });

  it('no release within a 300 ms bound: the task is answered 503 OVERLOADED, saying it waited (300–2,000 ms), not left to its own 30 s; nothing of it held', async () => {
    const r = request();
    r.charges(HELD, "the request's other run", true);
    const result = await task(r.memory, [TASK], 300).done;
    expect(result).toMatchObject({ ok: false, error: { code: 'OVERLOADED', message: expect.stringMatching(/^a peak of 17825792 bytes needs about \d+ more, and with the request's other tasks running now that is more than the whole 25165824-byte memory budget \(MEMORY_BUDGET_BYTES\), still after waiting \d+ ms for them to end; retry later$/) } });
    expect(result.ms).toBeGreaterThanOrEqual(300);
    expect(result.ms).toBeLessThan(2000);
    r.memory.release!(HELD);
    expect(r.budget.used).toBe(HELD);
    r.reservation.release();
    expect(r.budget.used).toBe(0);
  });

  it("the grant closed 200 ms into the wait (its task stopped): the wait ends at once (the worker told within 1,000 ms), and the other task's release then grants it nothing: the request holds those 16 MiB only, 0 once it ends", async () => {
    const r = request(0);
    r.charges(HELD, "the request's other run", true);
    const t = task(r.memory, [TASK]);
    await vi.waitFor(() => expect(r.seen).toEqual(['wait 17 MiB']), { timeout: 10_000 });
    await new Promise((done) => setTimeout(done, 200));
    const closed = performance.now();
    t.close();
    const result = await t.done;
    expect(result).toMatchObject({ ok: false, error: { code: 'OVERLOADED', message: `this task's memory grant was closed before its request for ${TASK} bytes was answered; retry later` } });
    expect(performance.now() - closed).toBeLessThan(1000);
    r.memory.release!(HELD);
    await new Promise((done) => setTimeout(done, 20));
    expect(r.seen).toEqual(['wait 17 MiB', 'release 16 MiB']);
    expect(r.budget.used).toBe(HELD);
    r.reservation.release();
    expect(r.budget.used).toBe(0);
  });
});

describe('a waiting task stopped by the pool (runtime/pool.ts closes its grant): its client gone, or past TASK_TIMEOUT_MS', () => {
  // the upsample ×256 operator call above (a 16.2 MiB peak) while another task of its request holds 16 MiB of a 24 MiB budget
  const MiB = 1024 * 1024;
  const call = { name: 'upsample', inputs: [tensor([1, 1, 8, 8], new Float32Array(64).fill(1))], attributes: { scaleFactor: 256, mode: 'nearest' }, weights: {}, training: false, seed: 0, maxElements: 1 << 24 };
  const timed = createPool(loadConfig({ WORKERS: '1', TASK_TIMEOUT_MS: '3000' }));
  afterAll(() => timed.close());
  const held = () => {
    const budget = new MemoryBudget(24 * MiB);
    const reservation = budget.tryReserve(0)!;
    const charges = chargeTo(budget, reservation);
    charges(16 * MiB, "the request's other run", true);
    return { budget, reservation, charges };
  };

  it('its client goes away 300 ms into the wait: 499 CLIENT_CLOSED_REQUEST within 1,000 ms of it; the other task\'s release grants it nothing (16 MiB held, 0 once the request ends)', async () => {
    const r = held();
    // a first task starts the worker, so the wait below is the task's own
    await pool.run('operator', { ...call, attributes: { scaleFactor: 1, mode: 'nearest' } });
    const gone = new AbortController();
    const running = pool.run('operator', call, undefined, { memory: r.charges, signal: gone.signal }).catch((e: unknown) => e);
    await new Promise((done) => setTimeout(done, 300));
    const at = performance.now();
    gone.abort();
    expect(await running).toMatchObject({ code: 'CLIENT_CLOSED_REQUEST' });
    expect(performance.now() - at).toBeLessThan(1000);
    r.charges.release!(16 * MiB);
    expect(r.budget.used).toBe(16 * MiB);
    r.reservation.release();
    expect(r.budget.used).toBe(0);
  });

  it('TASK_TIMEOUT_MS 3,000, no release: 503 TIMEOUT after about 3 s (under 6 s), not the 20 s wait; 0 of the budget held once the request ends', async () => {
    await timed.run('operator', { ...call, attributes: { scaleFactor: 1, mode: 'nearest' } });
    const r = held();
    const started = performance.now();
    await expect(timed.run('operator', call, undefined, { memory: r.charges })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(6000);
    r.charges.release!(16 * MiB);
    expect(r.budget.used).toBe(16 * MiB);
    r.reservation.release();
    expect(r.budget.used).toBe(0);
  });
});
