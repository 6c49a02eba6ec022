/**
 * WeightStore: an unaligned float32 weight of at least MOVE_MIN_BYTES whose header the importer
 * vouches for (GraphConstant.rawHeader, checked to be raw_data's tag and length) is moved onto a
 * 4-byte boundary in its file and read in place for the step, then moved back: the file's bytes are
 * as they came after every step; a step result viewing the moved bytes is an INTERNAL error.
 * Anything else is copied into scratch.
 */
import { describe, expect, it, vi } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import type { GraphConstant } from '../../src/graph/graph.js';
import { loadGraph } from '../../src/graph/load.js';
import { isRawDataHeader, rawDataHeader } from '../../src/graph/onnx/constants.js';
import { runGraph } from '../../src/runtime/execute.js';
import type { RunOptions } from '../../src/runtime/execute.js';
import { MOVE_MIN_BYTES, WeightStore } from '../../src/runtime/weight-store.js';
import { tensor } from '../../src/tensor/tensor.js';
import { onnxModel } from '../graph/onnx-builder.js';

/** The floats i/4 − 100 for i < n: exact in float32, and no two alike. */
const values = (n: number) => Float32Array.from({ length: n }, (_, i) => i / 4 - 100);

/** raw_data's header for `length` bytes: tag 0x4A, then the length as a varint (7 bits a byte, low first). */
function header(length: number): number[] {
  const varint: number[] = [];
  for (let n = length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      varint.push(n);
      break;
    }
    varint.push((n % 128) | 0x80);
  }
  return [0x4a, ...varint];
}

/**
 * A "file" of n floats at byte offset `at`, after 0xEE bytes that end in raw_data's header when
 * `withHeader` (else in more 0xEE), and 8 bytes of 0xDD: the constant (rawHeader as given) and the
 * whole file's bytes.
 */
function fileWith(n: number, at: number, rawHeader: number | undefined, opts: { shared?: boolean; withHeader?: boolean } = {}): { c: GraphConstant; file: Uint8Array } {
  const size = at + n * 4 + 8;
  const file = new Uint8Array(opts.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size)).fill(0xee);
  if (opts.withHeader ?? true) {
    const h = header(n * 4);
    file.set(h, at - h.length);
  }
  file.fill(0xdd, at + n * 4);
  file.set(new Uint8Array(values(n).buffer), at);
  const raw = file.subarray(at, at + n * 4);
  return { c: { name: 'w', shape: [n], dataType: 'float32', value: null, raw, ...(rawHeader !== undefined && { rawHeader }), typed: null, initializer: true }, file };
}

/** A copy of a file's bytes (onnxModel gives a Buffer, whose slice is a view, not a copy). */
const copyOf = (bytes: Uint8Array) => Uint8Array.from(bytes);
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

const N = MOVE_MIN_BYTES / 4; // 16,384 floats: the smallest weight moved

describe('WeightStore: unaligned float32 weights moved in place for a step', () => {
  for (const at of [9, 10, 11]) {
    it(`${N} floats at byte offset ${at} (shift ${at % 4}), raw_data's 4-byte header before them: read in place on a 4-byte boundary, the same view when asked again, the file's bytes back after endStep`, () => {
      const { c, file } = fileWith(N, at, rawDataHeader(N * 4));
      expect(c.rawHeader).toBe(4);
      const before = file.slice();
      const store = new WeightStore();
      const w = store.values(c)!;
      expect(w.buffer).toBe(file.buffer);
      expect(w.byteOffset).toBe(at - (at % 4));
      expect(w).toEqual(values(N));
      expect(store.values(c)).toBe(w);
      expect(store.holds(w.buffer)).toBe(false); // the file's: never the store's, nor scratch
      expect(store.isScratch(w)).toBe(false);
      expect(file).not.toEqual(before); // moved during the step
      store.endStep();
      expect(file).toEqual(before);
      // the next step moves it again
      expect(store.values(c)).toEqual(values(N));
      store.endRun();
      expect(file).toEqual(before);
    });
  }

  it('no rawHeader, one shorter than the shift (2 bytes, shift 3), a rawHeader whose bytes are not a raw_data header, under MOVE_MIN_BYTES, or in shared memory: copied into scratch, the file untouched', () => {
    const cases = [
      fileWith(N, 9, undefined),
      fileWith(N, 11, 2),
      fileWith(N, 9, 4, { withHeader: false }),
      fileWith(N - 1, 9, 4),
      fileWith(N, 9, 4, { shared: true }),
    ];
    for (const { c, file } of cases) {
      const before = file.slice();
      const store = new WeightStore();
      const w = store.values(c)!;
      expect(w.buffer).not.toBe(file.buffer);
      expect(store.isScratch(w)).toBe(true);
      expect(w).toEqual(values(c.shape[0]));
      expect(file).toEqual(before);
      store.endRun();
    }
  });

  it('a run that ends without its step ending (a kernel threw: the executor ends the run in a finally): the file is back', () => {
    const { c, file } = fileWith(N, 10, 4);
    const before = file.slice();
    const store = new WeightStore();
    store.values(c);
    expect(file).not.toEqual(before);
    store.endRun();
    expect(file).toEqual(before);
  });

  it('a 2-D weight read transposed (an ONNX MatMul bound to a linear layer): transposed from the moved bytes, the file back after the step', () => {
    const { c, file } = fileWith(N, 11, 4);
    c.shape = [128, 128];
    const before = file.slice();
    const store = new WeightStore();
    const t = store.transposed(c)!;
    const v = values(N);
    expect(t[0 * 128 + 1]).toBe(v[1 * 128 + 0]);
    expect(t[5 * 128 + 77]).toBe(v[77 * 128 + 5]);
    expect(t[127 * 128 + 126]).toBe(v[126 * 128 + 127]);
    store.endStep();
    expect(file).toEqual(before);
  });

  it('a lasting read (a constant the run keeps live) while the weight is moved: its own copy, read from where the bytes moved to', () => {
    const { c } = fileWith(N, 10, 4);
    const store = new WeightStore();
    const w = store.values(c)!;
    const own = store.values(c, true)!;
    expect(own).not.toBe(w);
    expect(own.buffer).not.toBe(w.buffer);
    expect(own).toEqual(values(N));
    store.endRun();
  });

  it('a result that views the moved bytes (no kernel returns a view of its weights): INTERNAL at the step\'s end, once the file is back', () => {
    const { c, file } = fileWith(N, 9, 4);
    const before = file.slice();
    const store = new WeightStore();
    const w = store.values(c)!;
    expect(() => store.endStep([w.subarray(100, 200)])).toThrow(expect.objectContaining({ code: 'INTERNAL', message: expect.stringContaining("'w'") }));
    expect(file).toEqual(before);
    // a result elsewhere in the same file is no such view
    store.values(c);
    store.endStep([new Float32Array(file.buffer, 0, 2)]);
    expect(file).toEqual(before);
  });
});

describe('ONNX raw_data headers (GraphConstant.rawHeader)', () => {
  it('the header is the tag byte and the length varint: 2 bytes up to 127, 3 from 128, 4 from 16,384, 5 from 2,097,152', () => {
    expect([1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 5_120_000].map(rawDataHeader)).toEqual([2, 2, 3, 3, 4, 4, 5, 5]);
  });

  it('isRawDataHeader: tag 0x4A and the length as a minimal varint before the data; a wrong tag, length, continuation bit, or too few bytes before: not a header', () => {
    const at = (prefix: number[], length: number) => {
      const file = new Uint8Array(prefix.length + length);
      file.set(prefix);
      return file.subarray(prefix.length);
    };
    // 300 bytes: varint 0xAC 0x02
    expect(isRawDataHeader(at([0x4a, 0xac, 0x02], 300), 3)).toBe(true);
    expect(isRawDataHeader(at([0x00, 0x4a, 0xac, 0x02], 300), 3)).toBe(true);
    expect(isRawDataHeader(at([0x4b, 0xac, 0x02], 300), 3)).toBe(false); // tag
    expect(isRawDataHeader(at([0x4a, 0xac, 0x03], 300), 3)).toBe(false); // 428, not 300
    expect(isRawDataHeader(at([0x4a, 0x2c, 0x02], 300), 3)).toBe(false); // first byte without its continuation bit
    expect(isRawDataHeader(at([0x4a, 0xac, 0x82], 300), 3)).toBe(false); // last byte with one
    expect(isRawDataHeader(at([0xac, 0x02], 300), 3)).toBe(false); // 2 bytes before the data, 3 asked
    // 65,536 bytes: 0x80 0x80 0x04
    expect(isRawDataHeader(at([0x4a, 0x80, 0x80, 0x04], 65_536), 4)).toBe(true);
    expect(isRawDataHeader(at([0x4a, 0x80, 0x80, 0x04], 65_537), 4)).toBe(false);
  });

  it("in an encoded model the rawHeader bytes before each initializer's data are tag 0x4A (field 9, bytes) and its length as a varint", () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: ['y'],
      initializers: [
        { name: 'W', dims: [3, 4], raw: new Uint8Array(new Float32Array(12).fill(1).buffer) },
        { name: 'B', dims: [40_000], raw: new Uint8Array(160_000) },
      ],
      nodes: [{ op: 'Gemm', inputs: ['x', 'W'], outputs: ['y'], attrs: { transB: { i: 1 } } }],
    });
    const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: {} });
    for (const name of ['W', 'B']) {
      const c = graph.constants.get(name)!;
      const at = c.raw!.byteOffset - new Uint8Array(c.raw!.buffer).byteOffset - (bytes.byteOffset - new Uint8Array(bytes.buffer).byteOffset);
      const header = bytes.subarray(at - c.rawHeader!, at);
      expect(header[0]).toBe(0x4a);
      let length = 0;
      for (let i = header.length - 1; i >= 1; i--) length = length * 128 + (header[i] & 0x7f);
      expect(length).toBe(c.raw!.byteLength);
      expect(header.subarray(1, -1).every((b) => b >= 0x80)).toBe(true);
      expect(header[header.length - 1]).toBeLessThan(0x80);
    }
  });
});

describe('a whole run reads a large unaligned weight in place', () => {
  // Gemm y = x·Wᵀ + b, W [64, 512] (128 KiB), at every shift from a 4-byte boundary
  const [M, K] = [64, 512];
  const W = Float32Array.from({ length: M * K }, (_, i) => ((i * 37) % 101) / 50 - 1);
  const b = Float32Array.from({ length: M }, (_, i) => i / 8);
  const x = Float32Array.from({ length: K }, (_, i) => ((i * 13) % 7) / 4 - 0.75);
  /** y by hand, summed in float64 (the kernel sums in float32: compared to 4 decimals) */
  const expected = Array.from({ length: M }, (_, m) => {
    let s = b[m];
    for (let k = 0; k < K; k++) s += x[k] * W[m * K + k];
    return s;
  });
  const opts: RunOptions = { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 26, maxWork: Number.MAX_SAFE_INTEGER };

  /** The model, W an initializer (its node's name moves it in the file) or the tensor of Constant node `constantNode`. */
  const model = (node: string, constantNode?: string) =>
    onnxModel({
      inputs: [{ name: 'x', shape: [1, K] }],
      outputs: ['y'],
      initializers: [...(constantNode ? [] : [{ name: 'W', dims: [M, K], raw: new Uint8Array(W.buffer) }]), { name: 'b', dims: [M], raw: new Uint8Array(b.buffer) }],
      nodes: [
        ...(constantNode ? [{ op: 'Constant', name: constantNode, inputs: [], outputs: ['W'], attrs: { value: { t: { dims: [M, K], raw: new Uint8Array(W.buffer) } } } }] : []),
        { op: 'Gemm', name: node, inputs: ['x', 'W', 'b'], outputs: ['y'], attrs: { transB: { i: 1 } } },
      ],
    });
  const shiftOf = (bytes: Uint8Array) => loadGraph({ kind: 'onnx', bytes, inputShapes: {} }).graph.constants.get('W')!.raw!.byteOffset % 4;

  it("the node names g, g1, g12, g123 put W on shifts 0–3 from a 4-byte boundary (so the cases below run the aligned view and all three moves)", () => {
    expect(['g', 'g1', 'g12', 'g123'].map((n) => shiftOf(model(n))).sort()).toEqual([0, 1, 2, 3]);
  });

  it("a Constant node 'c1' puts its tensor off a 4-byte boundary too (so the case below moves it)", () => {
    expect(shiftOf(model('g', 'c1'))).not.toBe(0);
  });

  const cases = [...['g', 'g1', 'g12', 'g123'].map((n) => ({ what: `node '${n}'`, bytes: () => model(n) })), { what: "W the tensor of Constant node 'c1'", bytes: () => model('g', 'c1') }];
  for (const { what, bytes: make } of cases) {
    it(`${what}: the Gemm reads W in the file (not a copy); y matches the hand-computed sums; the file's bytes are unchanged after the run, and parse and run again alike`, () => {
      const bytes = make();
      const before = copyOf(bytes);
      const run = () => {
        const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: {} });
        const store = new WeightStore();
        const read = vi.spyOn(store, 'values');
        const y = runGraph(graph, { x: tensor([1, K], x.slice()) }, { ...opts, store }, inferGraph(graph)).outputs.y;
        // W's values as the step read them: a view of the file's buffer, at a 4-byte boundary
        const w = read.mock.results.map((r) => r.value as Float32Array).find((v) => v.length === M * K)!;
        expect(w.buffer).toBe(bytes.buffer);
        return y;
      };
      const y = run();
      expect(y.shape).toEqual([1, M]);
      Array.from(y.data).forEach((v, m) => expect(v).toBeCloseTo(expected[m], 4));
      expect(sameBytes(bytes, before)).toBe(true);
      expect(run().data).toEqual(y.data);
      expect(sameBytes(bytes, before)).toBe(true);
    });
  }

  it('Gemm (W moved) then Gemm h [8, 64]: the file is as it came after each step (onLayer runs once a step has ended)', () => {
    const V = Float32Array.from({ length: 8 * M }, (_, i) => (i % 5) - 2);
    const twoGemms = (first: string) => onnxModel({
      inputs: [{ name: 'x', shape: [1, K] }],
      outputs: ['z'],
      initializers: [
        { name: 'W', dims: [M, K], raw: new Uint8Array(W.buffer) },
        { name: 'b', dims: [M], raw: new Uint8Array(b.buffer) },
        { name: 'V', dims: [8, M], raw: new Uint8Array(V.buffer) },
      ],
      nodes: [
        { op: 'Gemm', name: first, inputs: ['x', 'W', 'b'], outputs: ['y'], attrs: { transB: { i: 1 } } },
        { op: 'Gemm', name: 'h', inputs: ['y', 'V'], outputs: ['z'], attrs: { transB: { i: 1 } } },
      ],
    });
    // the first Gemm's name that puts W off a 4-byte boundary
    const first = ['g', 'g1', 'g12'].find((n) => shiftOf(twoGemms(n)) !== 0)!;
    const bytes = twoGemms(first);
    const before = copyOf(bytes);
    const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: {} });
    const unchanged: string[] = [];
    const z = runGraph(graph, { x: tensor([1, K], x.slice()) }, { ...opts, onLayer: (layer) => sameBytes(bytes, before) && unchanged.push(layer.name) }, inferGraph(graph)).outputs.z;
    expect(unchanged).toEqual([first, 'h']);
    // z = V·y, y by hand as above
    expect(z.data[3]).toBeCloseTo(expected.reduce((s, y, m) => s + V[3 * M + m] * y, 0), 3);
  });

  it('Conv 64→64 3×3 (147 KiB of weights) then BatchNormalization, folded into it as the conv packs its weight (no team): the conv weight is moved and read in place, no folded copy; with a kept store (the model cache keeps the fold) it is decoded into scratch, which the fold writes in place; unfolded (fuse false) it is moved; the three runs agree', () => {
    const C = 64;
    const Wc = Float32Array.from({ length: C * C * 9 }, (_, i) => ((i * 29) % 23) / 23 - 0.5);
    const bn = (f: (c: number) => number) => ({ dims: [C], raw: new Uint8Array(Float32Array.from({ length: C }, (_, c) => f(c)).buffer) });
    const convBn = (name: string) =>
      onnxModel({
        inputs: [{ name: 'x', shape: [1, C, 6, 6] }],
        outputs: ['z'],
        initializers: [
          { name: 'Wc', dims: [C, C, 3, 3], raw: new Uint8Array(Wc.buffer) },
          { name: 'g', ...bn((c) => 1 + c / 64) },
          { name: 'be', ...bn((c) => c / 32 - 1) },
          { name: 'mu', ...bn((c) => c / 16) },
          { name: 'va', ...bn((c) => 0.5 + c / 8) },
        ],
        nodes: [
          { op: 'Conv', name, inputs: ['x', 'Wc'], outputs: ['y'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
          { op: 'BatchNormalization', name: 'bn', inputs: ['y', 'g', 'be', 'mu', 'va'], outputs: ['z'] },
        ],
      });
    const wcShift = (bytes: Uint8Array) => loadGraph({ kind: 'onnx', bytes, inputShapes: {} }).graph.constants.get('Wc')!.raw!.byteOffset % 4;
    const bytes = convBn(['conv', 'conv1', 'conv12'].find((n) => wcShift(convBn(n)) !== 0)!);
    const before = copyOf(bytes);
    const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: {} });
    const xs = tensor([1, C, 6, 6], Float32Array.from({ length: C * 36 }, (_, i) => ((i * 7) % 11) / 11 - 0.5));
    const run = (fuse: boolean, keep = false) => {
      const store = new WeightStore(keep);
      const read = vi.spyOn(store, 'values');
      const z = runGraph(graph, { x: tensor(xs.shape, xs.data.slice()) }, { ...opts, store, fuse }, inferGraph(graph)).outputs.z;
      // (the store's scratch is detached when the run ends: its buffer is known by identity only)
      const w = read.mock.results[read.mock.calls.findIndex(([c]) => c.name === 'Wc')].value as Float32Array;
      return { z, inFile: w.buffer === bytes.buffer };
    };
    const folded = run(true);
    const kept = run(true, true);
    const unfolded = run(false);
    expect(folded.inFile).toBe(true);
    expect(kept.inFile).toBe(false);
    expect(unfolded.inFile).toBe(true);
    // folded as packed or into the kept copy: the same float32 weights, the same bits
    expect(folded.z.data).toEqual(kept.z.data);
    Array.from(folded.z.data).forEach((v, i) => expect(v).toBeCloseTo(unfolded.z.data[i], 4));
    expect(sameBytes(bytes, before)).toBe(true);
  });

  it("a layer whose result views its moved weight (a split hook that returns W's first row): INTERNAL naming the layer and the weight, the file as it came", () => {
    const bytes = model('g1');
    expect(shiftOf(bytes)).not.toBe(0);
    const before = copyOf(bytes);
    const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: {} });
    const split: RunOptions['split'] = (_op, ctx) => ({ outputs: [tensor([1, M], ctx.weights.weight.data.subarray(0, M))], mapped: false });
    expect(() => runGraph(graph, { x: tensor([1, K], x.slice()) }, { ...opts, split }, inferGraph(graph))).toThrow(
      expect.objectContaining({ code: 'INTERNAL', message: expect.stringMatching(/^layer 'g1': .*'W'/) }),
    );
    expect(sameBytes(bytes, before)).toBe(true);
  });
});
