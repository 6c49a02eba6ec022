/**
 * A run's peak memory before it runs (runtime/run-memory.ts) where a layer hands back its input's
 * buffer: a reshape, flatten, squeeze or unsqueeze (OpDef.returnsInputData), dropout and identity at
 * inference (OpDef.returnsInputAtInference), as the executor runs them (ops/common.ts sameData;
 * runtime/execute.ts frees a buffer once no live tensor views it). Bytes worked by hand in float32.
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { executedLayers } from '../../src/graph/walks.js';
import { runGraph } from '../../src/runtime/execute.js';
import { heldByStep, runPeak } from '../../src/runtime/run-memory.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** Activation bytes held at each step, by layer. */
const held = (spec: unknown, opts: { training?: boolean; viewsShareBuffers?: boolean } = {}) => {
  const graph = parseNetworkSpec(spec);
  const steps = heldByStep(graph, inferGraph(graph), { executed: executedLayers(graph), keep: new Set(), given: {}, ...opts });
  return Object.fromEntries([...steps].map(([layer, h]) => [layer, h.activations]));
};
const peakOf = (spec: unknown, given: Record<string, Tensor> = {}) => {
  const graph = parseNetworkSpec(spec);
  return runPeak(graph, inferGraph(graph), { executed: executedLayers(graph), keep: new Set(), given });
};
const x = tensor([1, 1, 8, 8], Float32Array.from({ length: 64 }, (_, i) => (i % 7) - 3));

describe("a view shares its input's buffer in the peak a run asks for", () => {
  // c's output [1, 2, 8, 8]: 512 bytes; c's weights 80
  const conv = { name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 };
  const input = [{ name: 'x', shape: [1, 1, 8, 8] }];

  it('c → flatten f → linear l (2 outputs, its 129·2 weights given): 512 bytes at f, not 1,024 (c\'s and a copy); the peak is c\'s 592 (it was f\'s 1,024)', () => {
    const spec = { inputs: input, layers: [conv, { name: 'f', op: 'flatten' }, { name: 'l', op: 'linear', outFeatures: 2 }] };
    // l: f's 512 (c's buffer) + l's 8
    expect(held(spec)).toEqual({ c: 512, f: 512, l: 520 });
    const given = { 'l.weight': tensor([2, 128]), 'l.bias': tensor([2]) };
    expect(peakOf(spec, given)).toEqual({ bytes: 592, layer: 'c', activations: 512, weights: 80, intermediates: 0 });
    // counted as copies (a reverse pass's gradients: reshapes copy there)
    expect(held(spec, { viewsShareBuffers: false })).toEqual({ c: 512, f: 1024, l: 520 });
  });

  it('a view of a view read after its source\'s last reader keeps the buffer: c → flatten f → reshape u [1, 2, 8, 8] → maxPool2d p (2×2, 128 bytes): c\'s 512 lives to p, 640 there; none of f, u counts', () => {
    const spec = { inputs: input, layers: [conv, { name: 'f', op: 'flatten' }, { name: 'u', op: 'reshape', shape: [1, 2, 8, 8] }, { name: 'p', op: 'maxPool2d', kernelSize: 2 }] };
    expect(held(spec)).toEqual({ c: 512, f: 512, u: 512, p: 640 });
  });

  it('c → dropout d → relu r: d shares at inference (512 at d; c\'s buffer lives to r: 1,024 there) and writes a new tensor in training (1,024 at d)', () => {
    const spec = { inputs: input, layers: [conv, { name: 'd', op: 'dropout', p: 0.5 }, { name: 'r', op: 'relu' }] };
    expect(held(spec)).toEqual({ c: 512, d: 512, r: 1024 });
    expect(held(spec, { training: true })).toEqual({ c: 512, d: 1024, r: 1024 });
  });

  it('a flatten of the graph input counts nothing (the request\'s tensor): x → flatten f → linear l (2 outputs): 0 at f, 8 at l', () => {
    const spec = { inputs: input, layers: [{ name: 'f', op: 'flatten' }, { name: 'l', op: 'linear', outFeatures: 2 }] };
    expect(held(spec)).toEqual({ f: 0, l: 8 });
  });
});

describe('runGraph asks RunOptions.chargeMemory for it', () => {
  const options = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, maxElements: 1 << 20 };

  it("c → flatten f → linear l (its weights given): the ask is c's step, 512 + 80 bytes, and the 256-byte input; it was f's 1,024 (f counted as a copy of c)", () => {
    const graph = parseNetworkSpec({ inputs: [{ name: 'x', shape: [1, 1, 8, 8] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 }, { name: 'f', op: 'flatten' }, { name: 'l', op: 'linear', outFeatures: 4 }] });
    const weights = { 'l.weight': tensor([4, 128], new Float32Array(512).fill(0.5)), 'l.bias': tensor([4]) };
    const asked: [number, string][] = [];
    const { outputs } = runGraph(graph, { x }, { ...options, weights, capture: [], chargeMemory: (bytes, what) => void asked.push([bytes, what]) });
    // at l: f's 512 (c's buffer) + l's output 16 = 528, under c's 592; the given weights are the request's (2,064 more bytes told)
    expect(asked).toEqual([[592 + 256 + 2064, "running 'network' (its peak at layer 'c': 0.5 KiB of activations, 0.1 KiB of weights drawn or decoded; with the 2.3 KiB of tensors the request gives)"]]);
    expect(outputs.l.shape).toEqual([1, 4]);
  });
});
