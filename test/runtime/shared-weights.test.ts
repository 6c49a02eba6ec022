/**
 * A cached model's weights shared with a worker's partner threads (issue 12): a kept store with
 * shareKept keeps its folds and decoded weights in SharedArrayBuffers of their own
 * (runtime/weight-store.ts), the model cache makes its stores so when the worker has a team
 * (runtime/model-cache.ts shareWeights), and a partner finds a buffer by the id the leader posted
 * it under, and forgets it when told (runtime/team-weights.ts SharedBuffers). The partners reading
 * such weights in place is specified in parallel-team.test.ts.
 */
import { readFileSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { loadGraph } from '../../src/graph/load.js';
import { runGraph } from '../../src/runtime/execute.js';
import type { RunOptions } from '../../src/runtime/execute.js';
import { cachedModel, modelCache } from '../../src/runtime/model-cache.js';
import { configureTeams, splitKernel, splitStats, teamActivations } from '../../src/runtime/split.js';
import { rng } from '../../src/tensor/random.js';
import { SharedBuffers, SharedWeightIds, lastingShared } from '../../src/runtime/team-weights.js';
import { WeightStore } from '../../src/runtime/weight-store.js';
import { sharedDrops } from '../../src/runtime/collect.js';
import { SHARED_DROP_LIMIT, collectIfOver } from '../../src/runtime/memory.js';
import { tensor } from '../../src/tensor/tensor.js';

const bytes = new Uint8Array(readFileSync(new URL('../fixtures/networks/mobilenet_v2_w050.onnx', import.meta.url)));
const golden = JSON.parse(readFileSync(new URL('../fixtures/networks/mobilenet_v2_w050.json', import.meta.url), 'utf8')) as { input: { shape: number[]; data: number[] } };

describe('a kept weight store with shareKept', () => {
  const graph = loadGraph({ kind: 'onnx', bytes, inputShapes: {} }).graph;
  const inference = inferGraph(graph);
  const inputs = { [graph.inputs[0].name]: tensor(golden.input.shape, Float32Array.from(golden.input.data)) };
  const run = (store: WeightStore) => {
    const opts: RunOptions = { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 24, maxWork: Number.MAX_SAFE_INTEGER, store };
    return Array.from(Object.values(runGraph(graph, inputs, opts, inference).outputs)[0].data);
  };

  it('mobilenet_v2_w050, three runs: every kept fold (52) and the classifier kept decoded lie in SharedArrayBuffers of their own; the bits of an unshared store\'s runs; the same bytes counted', () => {
    const [plain, shared] = [new WeightStore(true), new WeightStore(true, true)];
    for (let i = 0; i < 3; i++) expect(run(shared)).toEqual(run(plain));
    expect(shared.bytes).toBe(plain.bytes);
    const folds = graph.layers.map((l) => shared.foldedOf(l.name, 'file:0')).filter((f) => f !== undefined);
    expect(folds).toHaveLength(52);
    for (const f of folds) {
      for (const t of Object.values(f!.weights)) {
        expect(t.data.buffer).toBeInstanceOf(SharedArrayBuffer);
        expect(t.data.byteLength).toBe(t.data.buffer.byteLength);
      }
    }
    // the classifier (a Gemm: not folded) is decoded by every run, kept from the second on
    const fc = graph.layers.find((l) => l.op === 'linear')!;
    const c = graph.constants.get(fc.weights!.weight!.constant)!;
    expect(shared.values(c)!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(plain.values(c)!.buffer).toBeInstanceOf(ArrayBuffer);
    for (const f of graph.layers.map((l) => plain.foldedOf(l.name, 'file:0')).filter((x) => x !== undefined)) expect(f!.weights.weight.data.buffer).toBeInstanceOf(ArrayBuffer);
  });
});

describe('the model cache', () => {
  afterEach(() => {
    modelCache.shareWeights = false;
    modelCache.clear();
  });

  it('makes shared stores once a worker with a team says so (worker.ts: RUN_THREADS > 1), plain ones otherwise', () => {
    const graph = loadGraph({ kind: 'onnx', bytes, inputShapes: {} }).graph;
    expect(cachedModel(graph, {} as never, inferGraph(graph), bytes).store.shareKept).toBe(false);
    modelCache.shareWeights = true;
    expect(cachedModel(graph, {} as never, inferGraph(graph), bytes).store.shareKept).toBe(true);
  });
});

describe("a partner's shared buffers (SharedBuffers over its port)", () => {
  it('finds a buffer by the id it was posted under, reads later posts when a job names them, forgets one when told, and refuses an id it was never given', () => {
    const { port1, port2 } = new MessageChannel();
    const buffers = new SharedBuffers(port2);
    const [a, b] = [new SharedArrayBuffer(16), new SharedArrayBuffer(32)];
    port1.postMessage({ id: 0, buffer: a });
    expect(buffers.get(0).byteLength).toBe(16);
    port1.postMessage({ id: 1, buffer: b });
    expect(buffers.get(1).byteLength).toBe(32);
    // the same memory, not a copy
    new Int32Array(b)[0] = 7;
    expect(new Int32Array(buffers.get(1))[0]).toBe(7);
    port1.postMessage({ forget: 0 });
    buffers.drain();
    expect(buffers.size).toBe(1);
    expect(() => buffers.get(0)).toThrow(/no shared weight buffer 0/);
    expect(() => buffers.get(5)).toThrow(RangeError);
    port1.close();
  });
});

describe("a partner's transient buffers (a request's input read in place for one job: SharedWeightIds.transientId)", () => {
  it('a buffer posted for job 5 is let go of when job 5 is over (endJob(5)), one posted for job 6 and taken in early is kept until job 6 is over; the partner collects once 64 MiB were let go of', () => {
    const { port1, port2 } = new MessageChannel();
    let collections = 0;
    const buffers = new SharedBuffers(port2, () => collections++);
    port1.postMessage({ id: 3, buffer: new SharedArrayBuffer(40 * 2 ** 20), forJob: 5 });
    port1.postMessage({ id: 4, buffer: new SharedArrayBuffer(30 * 2 ** 20), forJob: 6 });
    port1.postMessage({ id: 0, buffer: new SharedArrayBuffer(16) });
    buffers.drain();
    expect(buffers.size).toBe(3);
    buffers.endJob(5);
    expect(() => buffers.get(3)).toThrow(/no shared weight buffer 3/);
    expect(buffers.get(4).byteLength).toBe(30 * 2 ** 20);
    // 40 MiB let go of: under the 64 MiB that start a collection
    expect(collections).toBe(0);
    buffers.endJob(6);
    expect(buffers.size).toBe(1);
    expect(collections).toBe(1);
    // a weight (no job) stays
    expect(buffers.get(0).byteLength).toBe(16);
    port1.close();
  });

  it("the leader's side (SharedWeightIds.jobId): a kept weight's buffer (lastingShared) goes by one id, posted once; a request's buffer by a new id each job, posted for that job to the partners it lets in only", () => {
    const channels = [new MessageChannel(), new MessageChannel()];
    const ids = new SharedWeightIds(channels.map((c) => c.port1));
    const posts = (i: number) => {
      const got: unknown[] = [];
      for (let m = receiveMessageOnPort(channels[i].port2); m; m = receiveMessageOnPort(channels[i].port2)) got.push(m.message);
      return got as { id: number; forJob?: number }[];
    };
    const kept = lastingShared(new SharedArrayBuffer(16));
    const request = new SharedArrayBuffer(16);
    const k = ids.jobId(kept, 1, 7);
    expect(ids.jobId(kept, 1, 8)).toBe(k);
    const [r7, r8] = [ids.jobId(request, 1, 7), ids.jobId(request, 2, 8)];
    expect(new Set([k, r7, r8]).size).toBe(3);
    expect(posts(0).map((m) => [m.id, m.forJob])).toEqual([[k, undefined], [r7, 7], [r8, 8]]);
    // the second partner: the kept weight (every partner gets it) and job 8's buffer only (job 7 let one partner in)
    expect(posts(1).map((m) => [m.id, m.forJob])).toEqual([[k, undefined], [r8, 8]]);
    for (const c of channels) c.port1.close();
  });

  it('job numbers across the int32 wrap: a post for job 2^31 (the leader\'s count, unwrapped) is over at endJob(−2^31), the partner\'s wrapped SEQ; one for job −2^31 + 1 is not', () => {
    const { port1, port2 } = new MessageChannel();
    const buffers = new SharedBuffers(port2);
    port1.postMessage({ id: 1, buffer: new SharedArrayBuffer(8), forJob: 2 ** 31 });
    port1.postMessage({ id: 2, buffer: new SharedArrayBuffer(8), forJob: -(2 ** 31) + 1 });
    buffers.drain();
    buffers.endJob(-(2 ** 31));
    expect(() => buffers.get(1)).toThrow(RangeError);
    expect(buffers.get(2).byteLength).toBe(8);
    port1.close();
  });
});

describe('shared weights dropped are counted for the next collection (runtime/collect.ts): V8 counts a SharedArrayBuffer in neither its heap nor its external memory', () => {
  afterEach(() => {
    sharedDrops.bytes = 0;
    modelCache.clear();
    modelCache.shareWeights = false;
  });
  // a fold as a run makes it (plain arrays); a shared store keeps shared copies of them
  const fold = (key: string, w: number[], b: number[]) => ({ key, folded: 1, weights: { weight: tensor([w.length, 1, 1, 1], Float32Array.from(w)), bias: tensor([b.length], Float32Array.from(b)) } });

  it('a shared store refolding conv1 from seed:1, then seed:2: the first fold\'s 8 weights and 8 biases (64 B) are counted, then the second\'s; a plain store counts nothing', () => {
    const shared = new WeightStore(true, true);
    shared.keepFolded('conv1', fold('seed:0', [1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0]));
    expect([shared.sharedBytes, sharedDrops.bytes]).toEqual([64, 0]);
    shared.keepFolded('conv1', fold('seed:1', [2, 2, 2, 2, 2, 2, 2, 2], [0, 0, 0, 0, 0, 0, 0, 0]));
    expect([shared.sharedBytes, sharedDrops.bytes]).toEqual([64, 64]);
    shared.keepFolded('conv1', fold('seed:2', [3, 3, 3, 3, 3, 3, 3, 3], [0, 0, 0, 0, 0, 0, 0, 0]));
    expect(sharedDrops.bytes).toBe(128);
    const plain = new WeightStore(true);
    plain.keepFolded('conv1', fold('seed:0', [1, 1], [0, 0]));
    plain.keepFolded('conv1', fold('seed:1', [2, 2], [0, 0]));
    expect(sharedDrops.bytes).toBe(128);
  });

  it('the model cache evicting an entry counts its store\'s shared bytes; collectIfOver collects once 64 MiB were dropped, and counts afresh', () => {
    const graph = loadGraph({ kind: 'onnx', bytes, inputShapes: {} }).graph;
    modelCache.shareWeights = true;
    const entry = cachedModel(graph, {} as never, inferGraph(graph), bytes);
    entry.store.keepFolded('conv1', fold('file', [1, 1, 1, 1], [0, 0, 0, 0]));
    modelCache.set('a', entry);
    modelCache.clear();
    expect(sharedDrops.bytes).toBe(32);
    // far under any heap limit: only the dropped shared bytes decide
    const limit = Number.MAX_SAFE_INTEGER;
    expect(collectIfOver(limit)).toBe(false);
    sharedDrops.bytes = SHARED_DROP_LIMIT;
    expect(collectIfOver(limit)).toBe(true);
    expect(sharedDrops.bytes).toBe(0);
  });
});

describe('runs split across a team from a shared kept store', () => {
  afterAll(() => configureTeams(null));

  it('ResNet-18 at 64×64 (seeded weights), run until a partner takes bands: from the second run the split convs\' folded weights are read in place (jobs with shared weights, no weight staged), and the outputs are the one-thread run\'s bits', async () => {
    const { graph } = loadGraph({ kind: 'model', name: 'resnet18', resolution: 64 });
    const inference = inferGraph(graph);
    const r = rng(7);
    const inputs = { [graph.inputs[0].name]: tensor([1, 3, 64, 64], Float32Array.from({ length: 3 * 64 * 64 }, () => r() * 2 - 1)) };
    const opts = (store: WeightStore): RunOptions => ({ training: false, seed: 3, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 24, maxWork: Number.MAX_SAFE_INTEGER, store });
    const bits = (o: RunOptions) => Array.from(Object.values(runGraph(graph, inputs, o, inference).outputs)[0].data);
    const single = bits(opts(new WeightStore(true)));
    await configureTeams({ runThreads: 2, threads: 2 });
    const store = new WeightStore(true, true);
    // the first run folds into scratch (copied for the partners) and keeps shared copies
    expect(bits({ ...opts(store), split: splitKernel, shared: teamActivations })).toEqual(single);
    const before = { ...splitStats };
    for (let i = 0; i < 100 && splitStats.partnerBands === before.partnerBands; i++) {
      expect(bits({ ...opts(store), split: splitKernel, shared: teamActivations })).toEqual(single);
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(splitStats.partnerBands).toBeGreaterThan(before.partnerBands);
    const jobs = splitStats.jobs - before.jobs;
    expect(jobs).toBeGreaterThan(0);
    // every split layer of these runs is a conv with a kept fold: its weight read in place
    expect(splitStats.sharedWeightJobs - before.sharedWeightJobs).toBe(jobs);
  }, 60_000);
});
