/**
 * Runs whose split layers' outputs live in the team's arena (RunOptions.shared: runtime/split.ts
 * teamActivations, runtime/shared-arena.ts): a run gives back only the regions it took (a nested
 * run, an ONNX Loop body, never its caller's), its results never view shared memory (not even a
 * team replaced mid-run), and all four kinds of split layer write straight into reused regions
 * with the one-thread bits; a run that fails half-way gives back what it took.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { runGraph } from '../../src/runtime/execute.js';
import type { RunOptions, SharedRegions } from '../../src/runtime/execute.js';
import { SharedArena } from '../../src/runtime/shared-arena.js';
import { configureTeams, splitKernel, splitStats, teamActivations, teamArena } from '../../src/runtime/split.js';
import { runTask } from '../../src/runtime/tasks.js';
import type { RunTask } from '../../src/runtime/tasks.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const regions = (arena: SharedArena): SharedRegions => ({
  regionOf: (d, since) => arena.regionOf(d, since),
  release: (d) => arena.release(d),
  mark: () => SharedArena.mark(),
  endRun: (m) => arena.endRun(m),
});
const OPTS: RunOptions = { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 20 };
const bits = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('a nested run (an ONNX Loop body through runSubgraph) over an input in the arena', () => {
  it("leaves the caller's region held and its values as they were: relu → flatten over x", () => {
    const arena = new SharedArena(1 << 24);
    const x = arena.alloc(64);
    x.set(Array.from({ length: 64 }, (_, i) => i - 32));
    const before = Array.from(x);
    const g = parseNetworkSpec({ name: 't', inputs: [{ name: 'x', shape: [1, 4, 4, 4] }], layers: [{ name: 'r', op: 'relu' }, { name: 'f', op: 'flatten' }] });
    const y = runGraph(g, { x: tensor([1, 4, 4, 4], x) }, { ...OPTS, shared: regions(arena) }).outputs.f;
    expect(Array.from(y.data)).toEqual(before.map((v) => Math.max(v, 0)));
    expect(y.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(arena.regionOf(x)).not.toBeNull();
    expect(arena.heldFloats).toBe(64);
    arena.alloc(64).fill(999); // the next split layer's output: not on x
    expect(Array.from(x)).toEqual(before);
  });

  it('an input passed straight through to an output is copied out, and stays held', () => {
    const arena = new SharedArena(1 << 24);
    const x = arena.alloc(16).fill(3);
    const g = parseNetworkSpec({ name: 't', inputs: [{ name: 'x', shape: [16] }], layers: [{ name: 'f', op: 'flatten', startDim: 0 }] });
    const y = runGraph(g, { x: tensor([16], x) }, { ...OPTS, shared: regions(arena) }).outputs.f;
    expect(y.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(y.data)).toEqual(new Array(16).fill(3));
    expect(arena.heldFloats).toBe(16);
  });
});

describe('runs with the split hook and the team arena, this thread leading one partner', () => {
  afterAll(() => configureTeams(null));
  const SETTINGS = { runThreads: 2, threads: 2 };
  const task = (spec: object, x: Tensor, onLayer?: RunOptions['onLayer']): RunTask =>
    ({ source: { kind: 'spec', spec }, inputs: { x }, weights: {}, weightInit: 'seed', training: false, seed: 3, capture: [], maxElements: 1 << 24, ...(onLayer && { onLayer }) }) as RunTask;
  const split = (t: RunTask) => runTask({ ...t, split: splitKernel, shared: teamActivations });
  /** Split runs until a partner computed a band (the first split of a team spawns it and runs alone). */
  async function partnerUp(t: () => RunTask): Promise<void> {
    const before = splitStats.partnerBands;
    for (let i = 0; i < 100 && splitStats.partnerBands === before; i++) {
      split(t());
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(splitStats.partnerBands).toBeGreaterThan(before);
  }
  /** The split hook, recording the layers it computed on the team into the arena (keep false). */
  const intoArena = (names: Set<string>): RunOptions['split'] => (op, ctx, keep, epilogue) => {
    const r = splitKernel(op, ctx, keep, epilogue);
    if (r && !keep) names.add(String(ctx.outputs[0]) + ':' + op.name);
    return r;
  };

  it('conv 1×1 → max pool 3×3 (10.8 M taps) → linear (10,752 rows) → conv 1×1 → global average pool (1.2 M) → flatten, and a flatten of the second conv: every kind split into reused regions, the one-thread bits, plain ArrayBuffer results, nothing held after', async () => {
    await configureTeams(SETTINGS);
    const [C, H] = [96, 112];
    const spec = {
      name: 'kinds',
      inputs: [{ name: 'x', shape: [1, C, H, H] }],
      layers: [
        { name: 'c1', op: 'conv2d', outChannels: C, kernelSize: 1 },
        { name: 'mp', op: 'maxPool2d', kernelSize: 3, stride: 1, padding: 1 },
        { name: 'lin', op: 'linear', outFeatures: H },
        { name: 'c2', op: 'conv2d', outChannels: C, kernelSize: 1 },
        { name: 'gap', op: 'globalAvgPool2d' },
        { name: 'f', op: 'flatten' },
        { name: 'fl2', op: 'flatten', inputs: ['c2'] },
      ],
      outputs: ['f', 'fl2'],
    };
    const x = tensor([1, C, H, H], Float32Array.from({ length: C * H * H }, (_, i) => Math.sin(i * 0.37)));
    const single = runTask(task(spec, x));
    await partnerUp(() => task(spec, x));
    const kinds = new Set<string>();
    const recording: RunOptions['split'] = (op, ctx, keep, epilogue) => {
      const r = splitKernel(op, ctx, keep, epilogue);
      if (r && !keep) kinds.add(op.name);
      return r;
    };
    for (let i = 0; i < 3; i++) {
      const r = runTask({ ...task(spec, x), split: recording, shared: teamActivations });
      for (const k of ['f', 'fl2']) {
        expect(r.outputs[k].data.buffer).toBeInstanceOf(ArrayBuffer);
        expect(bits(r.outputs[k]).equals(bits(single.outputs[k]))).toBe(true);
      }
      expect(teamArena()!.heldFloats).toBe(0);
    }
    expect([...kinds].sort()).toEqual(['conv2d', 'globalAvgPool2d', 'linear', 'maxPool2d']);
  }, 120_000);

  const twoConvs = {
    name: 'two',
    inputs: [{ name: 'x', shape: [1, 64, 56, 56] }],
    layers: [
      { name: 'c1', op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1 },
      { name: 'c2', op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1, inputs: ['c1'] },
      { name: 'f', op: 'flatten', inputs: ['c1'] },
    ],
    outputs: ['c2', 'f'],
  };
  const x64 = tensor([1, 64, 56, 56], Float32Array.from({ length: 64 * 56 * 56 }, (_, i) => Math.sin(i)));

  it('a team replaced mid-run (its partner gone between two split convs): an output viewing the old arena (a flatten of the first conv) is still copied out, same bits', async () => {
    await configureTeams(SETTINGS);
    const single = runTask(task(twoConvs, x64));
    await partnerUp(() => task(twoConvs, x64));
    const onTeam = new Set<string>();
    let replaced = false;
    const r = runTask({ ...task(twoConvs, x64, (layer) => {
      if (layer.name === 'c1') {
        // c1 was computed on the team, into its arena, before the team goes
        expect(onTeam.size).toBe(1);
        void configureTeams(SETTINGS);
        replaced = true;
      }
    }), split: intoArena(onTeam), shared: teamActivations });
    // the team was replaced after c1 (else this is a plain split run, and its check above never ran)
    expect(replaced).toBe(true);
    for (const k of ['c2', 'f']) {
      expect(r.outputs[k].data.buffer).toBeInstanceOf(ArrayBuffer);
      expect(bits(r.outputs[k]).equals(bits(single.outputs[k]))).toBe(true);
    }
  }, 60_000);

  it('a run that fails after a split layer gives back the regions it took; the next run gives the one-thread bits', async () => {
    await configureTeams(SETTINGS);
    const single = runTask(task(twoConvs, x64));
    await partnerUp(() => task(twoConvs, x64));
    const onTeam = new Set<string>();
    expect(() =>
      runTask({ ...task(twoConvs, x64, (layer) => {
        if (layer.name === 'c2') throw new Error('stopped after c2');
      }), split: intoArena(onTeam), shared: teamActivations }),
    ).toThrow('stopped after c2');
    // c1 was split into the arena (c2, a graph output, stays out of it), and its region was still
    // held (f reads it) when the run stopped
    expect(onTeam.size).toBe(1);
    expect(teamArena()!.heldFloats).toBe(0);
    const r = split(task(twoConvs, x64));
    expect(bits(r.outputs.c2).equals(bits(single.outputs.c2))).toBe(true);
  }, 60_000);
});
