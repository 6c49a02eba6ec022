/**
 * A run's peak memory before it runs (runtime/run-memory.ts), on small specs worked by hand in
 * float32 bytes, and the charge runGraph makes with it (RunOptions.chargeMemory).
 *
 * The chain: x [1, 1, 8, 8] → conv c (2 channels, 3×3, pad 1) → relu r → maxPool2d p (2×2).
 *   c's output [1, 2, 8, 8]: 128 values, 512 bytes, alive at steps 0–1 (r reads it last)
 *   r's output: 512 bytes, steps 1–2;  p's output [1, 2, 4, 4]: 32 values, 128 bytes, to the end
 *   c's seeded weights: weight 2·1·3·3 = 18 and bias 2: 20 values, 80 bytes, at step 0 only
 *   held: step 0 512 + 80 = 592; step 1 512 + 512 = 1,024; step 2 512 + 128 = 640 → peak 1,024 at r
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { executedLayers } from '../../src/graph/walks.js';
import { forwardForBackward, resolveTarget } from '../../src/runtime/backward.js';
import { runGraph } from '../../src/runtime/execute.js';
import { WeightStore } from '../../src/runtime/weight-store.js';
import { describeRunPeak, heldByStep, lastReaders, runPeak } from '../../src/runtime/run-memory.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const chain = (layers: unknown[] = []) => ({
  inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
  layers: [{ name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 }, { name: 'r', op: 'relu' }, { name: 'p', op: 'maxPool2d', kernelSize: 2 }, ...layers],
});

function peakOf(spec: unknown, keep: string[] = [], given: Record<string, Tensor> = {}, keepWeights = false) {
  const graph = parseNetworkSpec(spec);
  const inference = inferGraph(graph);
  return runPeak(graph, inference, { executed: executedLayers(graph), keep: new Set(keep), given, keepWeights });
}

const x = tensor([1, 1, 8, 8], Float32Array.from({ length: 64 }, (_, i) => (i % 7) - 3));

describe('runPeak: the bytes a run holds at its peak, from the analysis', () => {
  it('conv → relu → maxPool on 1×1×8×8: 1,024 bytes at r (c and r outputs, 512 each); the input is not counted', () => {
    expect(peakOf(chain())).toEqual({ bytes: 1024, layer: 'r', activations: 1024, weights: 0, intermediates: 0 });
  });

  it("a capture of c keeps its 512 bytes to the end: 512 + 512 + 128 = 1,152 at p", () => {
    expect(peakOf(chain(), ['c'])).toMatchObject({ bytes: 1152, layer: 'p' });
  });

  it("c's seeded weights (80 bytes) count at its step, a given weight (the request's body) does not: 592 and 520 at step 0, the peak still r's 1,024", () => {
    const heavy = { ...chain(), layers: [{ name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 }] };
    // c alone: its output is the graph's, 512 bytes, plus its weights
    expect(peakOf(heavy)).toEqual({ bytes: 592, layer: 'c', activations: 512, weights: 80, intermediates: 0 });
    expect(peakOf(heavy, [], { 'c.weight': tensor([2, 1, 3, 3]) })).toEqual({ bytes: 520, layer: 'c', activations: 512, weights: 8, intermediates: 0 });
    expect(peakOf(chain()).bytes).toBe(1024);
  });

  it('keepWeights (a forward kept for its reverse pass) holds each step\'s weights to the end: a second conv d (2→2, 3×3: 36 + 2 values, 152 bytes) after p: 80 + 152 at d', () => {
    const spec = chain([{ name: 'd', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 }]);
    // at d: p's output 128 (read last by d) + d's output 128 (the graph's) + the weights
    expect(peakOf(spec, [], {}, false)).toMatchObject({ bytes: 1024, layer: 'r' });
    expect(peakOf(spec, ['c', 'r', 'p'], {}, true)).toMatchObject({ layer: 'd', bytes: 512 + 512 + 128 + 128 + 80 + 152, weights: 232 });
  });

  it("a conv in reflect paddingMode holds its padded input, 1×1×10×10 = 400 bytes, as an intermediate at its step: 512 + 80 + 400 = 992", () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 8, 8] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1, paddingMode: 'reflect' }] };
    expect(peakOf(spec)).toEqual({ bytes: 992, layer: 'c', activations: 512, weights: 80, intermediates: 400 });
  });

  it('an output no layer reads and the graph does not return is dropped after the step writing it, as the executor drops it: maxPool2d indices (32 bytes) only at p', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      layers: [
        { name: 'p', op: 'maxPool2d', kernelSize: 2, returnIndices: true },
        { name: 'd', op: 'conv2d', inputs: ['p'], outChannels: 2, kernelSize: 1 },
      ],
      outputs: ['d'],
    };
    // p writes y [1,2,2,2] and indices [1,2,2,2]: 32 bytes each, 64 at p; d: y 32, its output 32 and 6 weights (24 bytes)
    expect(peakOf(spec)).toEqual({ bytes: 32 + 32 + 24, layer: 'd', activations: 64, weights: 24, intermediates: 0 });
  });

  it("a spec without `outputs` returns every layer nobody reads (graphOutputs), a head in the middle too: the executor keeps it to the end, so the peak counts it there (it was dropped after its step: 1,584 at aux, below the 2,048 the run holds at r)", () => {
    // x [1,1,8,8] → c (conv, 2 channels, 3×3, pad 1) → aux (conv 1×1, 4 channels, reads c) and r (relu of c) → p (maxPool 2)
    //   c: 2·8·8 = 128 values, 512 bytes; aux: 4·8·8 = 256 values, 1,024 bytes, an output (nobody reads it), kept to the end
    //   r: 512 bytes; p: 2·4·4 = 32 values, 128 bytes; c's weights 80 bytes, aux's 4·2 + 4 = 12 values, 48 bytes
    //   held: c 512 + 80 = 592; aux 512 + 1,024 + 48 = 1,584; r 512 + 1,024 + 512 = 2,048; p 1,024 + 512 + 128 = 1,664
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
      layers: [
        { name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 },
        { name: 'aux', op: 'conv2d', inputs: ['c'], outChannels: 4, kernelSize: 1 },
        { name: 'r', op: 'relu', inputs: ['c'] },
        { name: 'p', op: 'maxPool2d', kernelSize: 2 },
      ],
    };
    expect(peakOf(spec)).toEqual({ bytes: 2048, layer: 'r', activations: 2048, weights: 0, intermediates: 0 });
    const graph = parseNetworkSpec(spec);
    const held = heldByStep(graph, inferGraph(graph), { executed: executedLayers(graph), keep: new Set(), given: {} });
    expect([...held.values()].map((h) => h.bytes)).toEqual([592, 1584, 2048, 1664]);
    // the executor returns both, so holds aux to the end
    const { outputs } = runGraph(graph, { x }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 20 });
    expect(Object.keys(outputs).sort()).toEqual(['aux', 'p']);
  });

  it("convTranspose2d holds its weight transposed and its column matrix while it runs (ops/conv-transpose.ts intermediates): 8 → 8, 3×3, padding 1 on 1×8×16×16 holds 86,560 bytes (it asked 10,528)", () => {
    // output 8·16·16 = 2,048 values, 8,192 bytes; weight 8·8·3·3 = 576 + bias 8: 584 values, 2,336 bytes
    // the weight transposed: Cin 8 × Cout·Kh·Kw 72 = 576 values, 2,304 bytes
    // the columns: 72 rows of H·W = 256 (a band of min(72, ⌊4,194,304 / 256⌋) = 72 rows): 18,432 values, 73,728 bytes
    // held: 8,192 + 2,336 + 2,304 + 73,728 = 86,560
    const spec = { inputs: [{ name: 'x', shape: [1, 8, 16, 16] }], layers: [{ name: 't', op: 'convTranspose2d', outChannels: 8, kernelSize: 3, padding: 1 }] };
    expect(peakOf(spec)).toEqual({ bytes: 86_560, layer: 't', activations: 8192, weights: 2336, intermediates: 2304 + 73_728 });
  });

  it('conv3d stages its input in WebAssembly memory (ops/conv-nd-kernels.ts convNdStages), no im2col chunk: 2 → 4, 3×3×3, padding 1 on 1×2×4×8×8 holds 4,976 bytes', () => {
    // output 4·4·8·8 = 1,024 values, 4,096 bytes; weight 4·2·27 = 216 + bias 4: 220 values, 880 bytes
    // held: 4,096 + 880 = 4,976 (the staged planes, 2·3 of 10×10, are in the module's KERNEL_SCRATCH)
    const spec = { inputs: [{ name: 'x', shape: [1, 2, 4, 8, 8] }], layers: [{ name: 'c', op: 'conv3d', outChannels: 4, kernelSize: 3, padding: 1 }] };
    expect(peakOf(spec)).toEqual({ bytes: 4976, layer: 'c', activations: 4096, weights: 880, intermediates: 0 });
    // and asks for it with the input (2·4·8·8 = 512 values, 2,048 bytes)
    const asked: number[] = [];
    const input = tensor([1, 2, 4, 8, 8], Float32Array.from({ length: 512 }, (_, i) => Math.sin(i)));
    runGraph(parseNetworkSpec(spec), { x: input }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 4096, chargeMemory: (b) => void asked.push(b) });
    expect(asked).toEqual([4976 + 2048]);
  });

  it('conv3d holds its im2col chunk where its input does not stage: 1 → 1, 1×1×1 on 1×1×1×2048×2100 (4,300,800 floats over KERNEL_SCRATCH 4,194,304)', () => {
    // output 4,300,800 values, 17,203,200 bytes; weight 1 + bias 1: 8 bytes
    // im2col: K = 1 row × min(4,300,800 positions, ⌊4,194,304 / 1⌋) = 4,194,304 values, 16,777,216 bytes
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 1, 2048, 2100] }], layers: [{ name: 'c', op: 'conv3d', outChannels: 1, kernelSize: 1 }] };
    expect(peakOf(spec)).toEqual({ bytes: 17_203_200 + 8 + 16_777_216, layer: 'c', activations: 17_203_200, weights: 8, intermediates: 16_777_216 });
  });

  it('describes the peak in MiB with its layer and parts', () => {
    expect(describeRunPeak({ bytes: 3 * 2 ** 20, layer: 'conv1', activations: 2 * 2 ** 20, weights: 2 ** 20, intermediates: 0 }, "running 'net'")).toBe(
      "running 'net' (its peak at layer 'conv1': 2.0 MiB of activations, 1.0 MiB of weights drawn or decoded)",
    );
  });
});

describe('runGraph asks RunOptions.chargeMemory for the peak before any kernel runs', () => {
  const options = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, maxElements: 1 << 20 };

  it('the chain asks once for its peak 1,024 bytes and its 256-byte input (the request\'s), naming layer r; a refusal stops the run before a kernel runs (onLayer never called)', () => {
    const graph = parseNetworkSpec(chain());
    const asked: [number, string][] = [];
    runGraph(graph, { x }, { ...options, capture: [], chargeMemory: (bytes, what) => void asked.push([bytes, what]) });
    expect(asked).toEqual([[1024 + 256, "running 'network' (its peak at layer 'r': 1.0 KiB of activations; with the 0.3 KiB of tensors the request gives)"]]);
    const ran: string[] = [];
    const refuse = () => {
      throw new Error('no room');
    };
    expect(() => runGraph(graph, { x }, { ...options, capture: [], chargeMemory: refuse, onLayer: (l) => void ran.push(l.name) })).toThrow('no room');
    expect(ran).toEqual([]);
  });

  it("a conv with its batch norm folded in holds its seeded weight and the fold's copy at once, and draws the batch norm's weights in its step: 5,952 bytes at c fused (it asked 3,328, the unfused figure)", () => {
    // x [1, 4, 4, 4] → c (conv 4 → 16, 3×3, pad 1, no bias) → b (batchNorm2d) → r (relu); fused, b folds into c's weight and r runs in place
    //   c's output [1, 16, 4, 4]: 256 values, 1,024 bytes; so are b's and r's (counted apart: an upper bound where they are written in place)
    //   c's weight 16·4·3·3 = 576 values, 2,304 bytes, drawn from the seed (not scratch), so foldGroup writes the fold into a new 2,304 bytes
    //   b's weight, bias, running mean and variance: 4 × 16 = 64 values, 256 bytes, drawn at c's step; the fold's bias: 16 values, 64 bytes
    //   fused, at c: 1,024 + 2,304 + 256 + 2,304 + 64 = 5,952; unfused: 1,024 + 2,304 = 3,328 at c, 1,024 + 1,024 + 256 = 2,304 at b
    //   asked with the input, 64 values, 256 bytes: 6,208 fused, 3,584 unfused
    const graph = parseNetworkSpec({
      inputs: [{ name: 'x', shape: [1, 4, 4, 4] }],
      layers: [{ name: 'c', op: 'conv2d', outChannels: 16, kernelSize: 3, padding: 1, bias: false }, { name: 'b', op: 'batchNorm2d' }, { name: 'r', op: 'relu' }],
    });
    const input = tensor([1, 4, 4, 4], Float32Array.from({ length: 64 }, (_, i) => (i % 5) - 2));
    const ask = (fuse: boolean) => {
      const asked: [number, string][] = [];
      runGraph(graph, { x: input }, { ...options, capture: [], fuse, chargeMemory: (bytes, what) => void asked.push([bytes, what]) });
      return asked;
    };
    expect(ask(true)).toEqual([[5952 + 256, "running 'network' (its peak at layer 'c': 1.0 KiB of activations, 4.8 KiB of weights drawn or decoded; with the 0.3 KiB of tensors the request gives)"]]);
    expect(ask(false).map(([bytes]) => bytes)).toEqual([3328 + 256]);
  });

  it("a fused member with no in-place kernel (PReLU) writes its output in its host's step, beside the host's weights: conv c → prelu p → maxPool q asks 1,108 + 256 fused (it asked 1,028 + 256, counting p's output from p's step)", () => {
    // x [1, 1, 8, 8]; c's output [1, 2, 8, 8] and p's: 128 values, 512 bytes each; q's [1, 2, 4, 4]: 128 bytes
    //   c's weights 2·1·3·3 + 2 = 20 values, 80 bytes; p's slope: 1 value, 4 bytes, drawn in c's step (fusedStepBytes) and counted at p's
    //   fused, at c: 512 + 512 + 80 + 4 = 1,108; at p: 512 + 512 + 4 = 1,028; at q: 512 + 128 = 640
    //   unfused: c 512 + 80 = 592, p 1,028, q 640 → 1,028; the input 64 values, 256 bytes
    const graph = parseNetworkSpec({ inputs: [{ name: 'x', shape: [1, 1, 8, 8] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 }, { name: 'p', op: 'prelu' }, { name: 'q', op: 'maxPool2d', kernelSize: 2 }] });
    const ask = (fuse: boolean) => {
      const asked: [number, string][] = [];
      runGraph(graph, { x }, { ...options, capture: [], fuse, chargeMemory: (bytes, what) => void asked.push([bytes, what]) });
      return asked;
    };
    expect(ask(true)).toEqual([[1108 + 256, expect.stringContaining("its peak at layer 'c'")]]);
    expect(ask(false)).toEqual([[1028 + 256, expect.stringContaining("its peak at layer 'p'")]]);
  });

  it("a gradient's forward asks for its kept tensors, its weights and the reverse pass's gradients: c → r → p, target p, keeps every tensor: 512 + 512 + 128 + 80 at p, the forward's peak 1,024 for the gradients, p's VJP finding its argmax again (its output and indices, 2 × 128: more than c's 72-byte weight copy) and the 256-byte input", () => {
    const graph = parseNetworkSpec(chain());
    const inference = inferGraph(graph);
    const target = resolveTarget(graph, inference, { layer: 'p', channels: null, position: null });
    const asked: number[] = [];
    forwardForBackward(graph, { x }, { ...options, capture: [], chargeMemory: (bytes) => void asked.push(bytes) }, inference, [target]);
    expect(asked).toEqual([512 + 512 + 128 + 80 + 1024 + 2 * 128 + 256]);
  });
});

describe('the executor drops a tensor after its last running reader (lastReaders)', () => {
  // x [1, 2, 4, 4] → Relu a → Relu b → Reshape(b, Shape(a)): the file lists Shape(a) after b, so a's
  // last reader is the Shape, which the analysis folds (a's shape is known) and which never runs
  const model = onnxModel({
    inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
    outputs: ['y'],
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['a'], name: 'ra' },
      { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'rb' },
      { op: 'Shape', inputs: ['a'], outputs: ['s'], name: 'shape' },
      { op: 'Reshape', inputs: ['b', 's'], outputs: ['y'], name: 'reshape' },
    ],
    opset: 13,
  });

  it("a tensor a folded Shape reads last is dropped after rb, its last running reader (before: it was held to the end); its buffer is detached once rb has run", () => {
    const { graph } = importOnnx(model);
    const inference = inferGraph(graph);
    const executed = executedLayers(graph);
    const index = (name: string) => inference.analysed.findIndex((a) => a.layer.name === name);
    expect(inference.analysed[index('shape')].folded).toBe(true);
    expect(lastReaders(inference.analysed, executed).get('a')).toBe(index('rb'));
    // the hook is called before each kernel (and runs none): its second call is rb's, whose input is a
    let a: Float32Array | null = null;
    let calls = 0;
    const split = (_: unknown, ctx: { inputs: { data: Float32Array }[] }) => {
      if (++calls === 2) a = ctx.inputs[0].data;
      return null;
    };
    const x = tensor([1, 2, 4, 4], Float32Array.from({ length: 32 }, (_, i) => i - 16));
    const { outputs } = runGraph(graph, { x }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20, fuse: false, split: split as never }, inference);
    expect(Array.from(outputs.y.data)).toEqual(Array.from(x.data, (v) => Math.max(v, 0)));
    expect(a).not.toBeNull();
    expect(a!.byteLength).toBe(0);
  });
});

describe("weights a run's store keeps, or reads in place from the file, are not asked for again (runtime/weights.ts weightAllocation)", () => {
  it('x [1, 1024] → linear 4096 (seeded: 4,194,304 + 4,096 floats) with a kept store: runs 1 and 2 ask for the weights they draw (16,793,600 bytes), run 3 (the store keeps them from run 2) only for its activations and input', () => {
    const graph = parseNetworkSpec({ inputs: [{ name: 'x', shape: [1, 1024] }], layers: [{ name: 'fc', op: 'linear', outFeatures: 4096 }] });
    const inference = inferGraph(graph);
    const store = new WeightStore(true);
    const input = tensor([1, 1024], new Float32Array(1024).fill(1));
    const asked = [1, 2, 3].map(() => {
      const bytes: number[] = [];
      runGraph(graph, { x: input }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 24, store, chargeMemory: (b) => void bytes.push(b) }, inference);
      return bytes;
    });
    const weights = 4 * (4096 * 1024 + 4096);
    // the output 4096 floats and the 1024-float input
    const rest = 4 * 4096 + 4 * 1024;
    expect(asked).toEqual([[weights + rest], [weights + rest], [rest]]);
  });

  it("an ONNX file's float32 raw_data weight read in place asks for no weight bytes; the same weight as float_data (decoded into a copy) asks for its 1,152", () => {
    const W = Float32Array.from({ length: 8 * 4 * 3 * 3 }, (_, i) => (i % 7) - 3);
    // raw_data lands where the encoder puts it: try name lengths until the weight's bytes are 4-aligned in the file
    const fileWith = (raw: boolean, pad: number) =>
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 4, 6, 6] }],
        outputs: ['y'],
        initializers: [{ name: 'W', dims: [8, 4, 3, 3], ...(raw ? { raw: new Uint8Array(W.buffer.slice(0)) } : { data: Array.from(W) }) }],
        nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: `conv${'c'.repeat(pad)}` }],
        opset: 13,
      });
    const asked = (file: Uint8Array) => {
      const { graph } = importOnnx(file);
      const bytes: number[] = [];
      runGraph(graph, { x: tensor([1, 4, 6, 6], new Float32Array(144).fill(1)) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20, store: new WeightStore(), chargeMemory: (b) => void bytes.push(b) }, inferGraph(graph));
      return { bytes, offset: graph.constants.get('W')!.raw?.byteOffset };
    };
    const aligned = [0, 1, 2, 3].map((pad) => asked(fileWith(true, pad))).find((r) => r.offset !== undefined && r.offset % 4 === 0)!;
    // y [1, 8, 4, 4] (512 bytes) and the input (576)
    expect(aligned.bytes).toEqual([4 * 128 + 4 * 144]);
    expect(asked(fileWith(false, 0)).bytes).toEqual([4 * 128 + 4 * 144 + 4 * 288]);
  });
});

describe('a constant read as a layer input is decoded into an array of its own, live from its first running reader to its last (runtime/live-tensors.ts)', () => {
  it("K [1, 4, 8, 8] as float_data, added at Add a and again at Add c: 1,024 bytes at steps 0–2, so 3,072 at b (it asked 2,048, K uncounted); in place from aligned raw_data it asks nothing", () => {
    // x [1, 4, 8, 8] → a = x + K → b = Relu(a) → y = b + K; each tensor 256 values, 1,024 bytes
    //   held: a 1,024 + K 1,024 = 2,048; b: a + b + K = 3,072; c: b + y + K = 3,072 → peak 3,072 at b (first of equals)
    //   asked with the input's 1,024: 4,096 (before: K not counted, 2,048 at b, 3,072 asked)
    const K = Float32Array.from({ length: 256 }, (_, i) => (i % 9) - 4);
    const fileWith = (raw: boolean, pad: number) =>
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 4, 8, 8] }],
        outputs: ['y'],
        initializers: [{ name: 'K', dims: [1, 4, 8, 8], ...(raw ? { raw: new Uint8Array(K.buffer.slice(0)) } : { data: Array.from(K) }) }],
        nodes: [
          { op: 'Add', inputs: ['x', 'K'], outputs: ['a'], name: `a${'a'.repeat(pad)}` },
          { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'b' },
          { op: 'Add', inputs: ['b', 'K'], outputs: ['y'], name: 'c' },
        ],
        opset: 13,
      });
    const input = tensor([1, 4, 8, 8], Float32Array.from({ length: 256 }, (_, i) => Math.sin(i)));
    const asked = (file: Uint8Array) => {
      const { graph } = importOnnx(file);
      const bytes: number[] = [];
      runGraph(graph, { x: input }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20, chargeMemory: (b) => void bytes.push(b) }, inferGraph(graph));
      return { bytes, offset: graph.constants.get('K')!.raw?.byteOffset };
    };
    expect(asked(fileWith(false, 0)).bytes).toEqual([3072 + 1024]);
    // read in place (4-aligned raw_data): a view into the file, no bytes
    const aligned = [0, 1, 2, 3].map((pad) => asked(fileWith(true, pad))).find((r) => r.offset !== undefined && r.offset % 4 === 0)!;
    expect(aligned.bytes).toEqual([2048 + 1024]);
  });
});

describe("a MatMul's constant weight read as a linear's is transposed into this step's scratch (WeightStore.transposed)", () => {
  it("W [8, 16] as float_data is decoded (512 bytes) and transposed (512 more): x [2, 8] @ W asks 128 + 1,024 + 64 = 1,216 (it asked the transposed copy alone, 704); from aligned raw_data the copy alone", () => {
    // y [2, 16]: 32 values, 128 bytes; W: 128 values, 512 bytes; the input x: 16 values, 64 bytes
    const W = Float32Array.from({ length: 128 }, (_, i) => (i % 11) - 5);
    const fileWith = (raw: boolean, pad: number) =>
      onnxModel({
        inputs: [{ name: 'x', shape: [2, 8] }],
        outputs: ['y'],
        initializers: [{ name: 'W', dims: [8, 16], ...(raw ? { raw: new Uint8Array(W.buffer.slice(0)) } : { data: Array.from(W) }) }],
        nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'], name: `m${'m'.repeat(pad)}` }],
        opset: 13,
      });
    const input = tensor([2, 8], Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)));
    const asked = (file: Uint8Array) => {
      const { graph } = importOnnx(file);
      expect(graph.layers[0].weights?.weight).toMatchObject({ constant: 'W', transpose: true });
      const bytes: number[] = [];
      runGraph(graph, { x: input }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20, chargeMemory: (b) => void bytes.push(b) }, inferGraph(graph));
      return { bytes, offset: graph.constants.get('W')!.raw?.byteOffset };
    };
    expect(asked(fileWith(false, 0)).bytes).toEqual([128 + 512 + 512 + 64]);
    const aligned = [0, 1, 2, 3].map((pad) => asked(fileWith(true, pad))).find((r) => r.offset !== undefined && r.offset % 4 === 0)!;
    expect(aligned.bytes).toEqual([128 + 512 + 64]);
  });
});

describe('an ONNX file no model cache holds is asked with the run (RunOptions.heldBytes: its constants are views into it)', () => {
  it('heldBytes 1,000,000 adds to the ask and is named', () => {
    const graph = parseNetworkSpec(chain());
    const asked: [number, string][] = [];
    runGraph(graph, { x }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 20, heldBytes: 1_000_000, chargeMemory: (b, w) => void asked.push([b, w]) });
    expect(asked).toEqual([[1024 + 256 + 1_000_000, "running 'network' (its peak at layer 'r': 1.0 KiB of activations; with the 0.3 KiB of tensors the request gives and its 976.6 KiB ONNX file)"]]);
  });
});

/**
 * torchvision's paste_masks_in_image (test/fixtures/onnx/detection, scripts/export_detection.py):
 * masks [3, 1, 28, 28] (9,408 bytes) and boxes [3, 4] (48) given; an ONNX Loop runs its body once a
 * mask. At the Loop step the run holds the padded masks [3, 1, 30, 30] (10,800 bytes), the loop's
 * output [3, 20, 24] (5,760), the boxes' 12-value corners (48) and the Loop's condition, a bool
 * scalar constant decoded into its own float32 (4): 16,612, its peak.
 */
describe("a Loop body's iterations ask on top of what the run around them holds at the Loop step (RunOptions.enclosingBytes)", () => {
  const dir = new URL('../fixtures/onnx/detection/', import.meta.url);
  const golden = JSON.parse(readFileSync(new URL('paste_masks.json', dir), 'utf8')) as { inputs: Record<string, { shape: number[]; data: number[] }> };
  const graph = importOnnx(readFileSync(new URL('paste_masks.onnx', dir))).graph;
  const ins = Object.fromEntries(Object.entries(golden.inputs).map(([k, v]) => [k, tensor(v.shape, Float32Array.from(v.data))]));

  it("the Loop's work is its body's, iteration by iteration (LoopBound.kernelWork: a body layer stating its own rate counts it): 3 masks, each resized bilinearly to 20×24 (480 outputs, 3,360 FLOPs), at upsample's 150 an output + 3 a FLOP: 3 · (72,000 + 10,080) = 246,240, not the cost's 10,080", () => {
    const a = inferGraph(graph).analysed.find((x) => x.layer.op === 'loop')!;
    const c = a.inferred!.cost;
    expect(c.macs + (c.intMacs ?? 0) + c.elementwise).toBe(3 * 3360);
    expect(a.inferred!.kernelWork).toBe(3 * (150 * 480 + 3 * 3360));
  });

  it('held at the Loop step: 10,800 + 5,760 + 48 + 4 = 16,612 bytes; the run asks it with the 9,456 given: 26,068', () => {
    const loop = graph.layers.find((l) => l.op === 'loop')!;
    const held = heldByStep(graph, inferGraph(graph), { executed: executedLayers(graph), keep: new Set(), given: {} });
    expect(held.get(loop.name)).toEqual({ bytes: 16_612, activations: 16_612, weights: 0, intermediates: 0 });
  });

  it('each of the 3 iterations asks 26,068 + its own peak (before: its own peak alone, under the 26,068 already held, so never added)', () => {
    const asked: [number, string][] = [];
    runGraph(graph, ins, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20, chargeMemory: (b, w) => void asked.push([b, w]) });
    expect(asked.map(([b]) => b)[0]).toBe(16_612 + 9_456);
    const bodies = asked.slice(1);
    expect(bodies).toHaveLength(3);
    for (const [bytes, what] of bodies) {
      // the body's peak, at its Resize: the mask resized to its box, and the resize's tap tables
      expect(bytes - 26_068).toBeGreaterThan(3_600);
      expect(what).toMatch(/^running 'torch_jit1' \(its peak at layer 'Resize_117': .*\), on the 25\.5 KiB the run around it holds at its step$/);
    }
  });
});

describe("a gradient's ask holds the largest scratch a layer's VJP allocates (OpInferred.vjpIntermediates)", () => {
  it('multiHeadAttention on x [1, 8, 4, 4] (16 tokens of 8 channels), 2 heads, target its output: forward 512 + weights 1,152 + its intermediates 4,416, gradients 512, the VJP\'s scratch 9,472, the input 512: 16,576 bytes', () => {
    // weights: inProj 24×8 + 24, outProj 8×8 + 8 = 288 floats; intermediates: scores 16×16, a chunk 16 × 6·8, kᵀ 4×16 and 16 token offsets = 1,104 floats;
    // the VJP: both heads' probabilities 2×16×16, a score gradient 16×16 and 16 rows of 12·8 + 4 = 2,368 floats
    const graph = parseNetworkSpec({ inputs: [{ name: 'x', shape: [1, 8, 4, 4] }], layers: [{ name: 'a', op: 'multiHeadAttention', numHeads: 2 }] });
    const inference = inferGraph(graph);
    const target = resolveTarget(graph, inference, { layer: 'a', channels: null, position: null });
    const asked: [number, string][] = [];
    const xs = tensor([1, 8, 4, 4], Float32Array.from({ length: 128 }, (_, i) => Math.sin(i)));
    forwardForBackward(graph, { x: xs }, { training: false, seed: 0, weightInit: 'seed', weights: {}, maxElements: 1 << 20, capture: [], chargeMemory: (b, w) => void asked.push([b, w]) }, inference, [target]);
    expect(asked).toEqual([[512 + 1152 + 4416 + 512 + 9472 + 512, expect.stringContaining("9.3 KiB of a VJP's scratch")]]);
  });

  /** The gradient's ask of a one-layer spec targeting that layer's output, and its words. */
  function gradientAsk(spec: unknown, inputs: Record<string, Tensor>): [number, string][] {
    const graph = parseNetworkSpec(spec);
    const inference = inferGraph(graph);
    const target = resolveTarget(graph, inference, { layer: 'l', channels: null, position: null });
    const asked: [number, string][] = [];
    forwardForBackward(graph, inputs, { training: false, seed: 0, weightInit: 'seed', weights: {}, maxElements: 1 << 20, capture: [], chargeMemory: (b, w) => void asked.push([b, w]) }, inference, [target]);
    return asked;
  }
  const wave = (shape: number[]) => tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)));

  it('conv2d 4→8, 3×3, padding 1 on x [1, 4, 8, 8], target its output: output 2,048 + weights 1,184, gradients 2,048, the VJP\'s weight flipped and transposed 1,152, the input 1,024: 7,456 bytes', () => {
    // weights 8·4·3·3 + 8 = 296 floats; at stride 1 the input gradient is a conv of g by w' (its 288 weights
    // flipped and transposed per group: conv.ts convInputGradient), a copy the VJP makes each call
    const asked = gradientAsk({ inputs: [{ name: 'x', shape: [1, 4, 8, 8] }], layers: [{ name: 'l', op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 }] }, { x: wave([1, 4, 8, 8]) });
    expect(asked).toEqual([[2048 + 1184 + 2048 + 1152 + 1024, expect.stringContaining("1.1 KiB of a VJP's scratch")]]);
  });

  it('matmul of x [1, 2, 16, 8] by w [8, 12] (both inputs), target its output [1, 2, 16, 12]: output 1,536, gradients 1,536, the VJP\'s transposes and batch gradients 3,200, the inputs 1,408: 7,680 bytes', () => {
    // matmulVjp: x and w transposed (256 + 96 floats), and each gradient at both products of the batch
    // [1, 2] before its sum to the operand's shape: 2·16·8 + 2·8·12 = 448 floats; 800 floats in all
    const asked = gradientAsk(
      { inputs: [{ name: 'x', shape: [1, 2, 16, 8] }, { name: 'w', shape: [8, 12] }], layers: [{ name: 'l', op: 'matmul', inputs: ['x', 'w'] }] },
      { x: wave([1, 2, 16, 8]), w: wave([8, 12]) },
    );
    expect(asked).toEqual([[1536 + 1536 + 3200 + 1408, expect.stringContaining("3.1 KiB of a VJP's scratch")]]);
  });

  it('localResponseNorm size 5 on x [1, 8, 4, 4], target its output: output 512, gradients 512, the VJP\'s float64 t and planes 1,280, the input 512: 2,816 bytes', () => {
    // lrnBackward: t at each of the 128 elements and one plane's window sums and gathered t (2 × 16), all float64
    const asked = gradientAsk({ inputs: [{ name: 'x', shape: [1, 8, 4, 4] }], layers: [{ name: 'l', op: 'localResponseNorm', size: 5 }] }, { x: wave([1, 8, 4, 4]) });
    expect(asked).toEqual([[512 + 512 + (128 + 32) * 8 + 512, expect.stringContaining("1.3 KiB of a VJP's scratch")]]);
  });
});
