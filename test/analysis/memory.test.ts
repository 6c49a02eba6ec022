import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { torchinfoLine } from '../../src/analysis/footprint.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { analyzeMemory, MemoryReportSchema } from '../../src/analysis/memory.js';
import type { MemoryOptions } from '../../src/analysis/memory.js';
import type { AnalyzeOptions } from '../../src/analysis/report.js';
import { modelSpec } from '../../src/graph/load.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { DEFAULTS, errorOf } from '../helpers.js';

/** Liveness of a spec: the memory report, checked against its schema. */
function memory(spec: unknown, options: Partial<MemoryOptions> = {}, analyze: Partial<AnalyzeOptions> = {}) {
  const graph = parseNetworkSpec(spec);
  const inference = inferGraph(graph);
  const report = analyzeGraph(graph, { ...DEFAULTS, ...analyze }, inference);
  return MemoryReportSchema.parse(analyzeMemory(graph, inference, report, options));
}
const during = (m: ReturnType<typeof memory>) => m.timeline.map((t) => t.during);
const after = (m: ReturnType<typeof memory>) => m.timeline.map((t) => t.after);
const live = (m: ReturnType<typeof memory>) => m.peak.live.map((t) => [t.name, t.bytes]);

describe('peak activation memory by liveness (hand-computed)', () => {
  // x [1,1,8,8] = 64 el = 256 B; c1 [1,4,8,8] = 1024 B; pool [1,4,4,4] = 256 B; c2 [1,2,4,4] = 128 B
  const chain = {
    inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
    layers: [
      { name: 'c1', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
      { name: 'pool', op: 'maxPool2d', kernelSize: 2 },
      { name: 'c2', op: 'conv2d', outChannels: 2, kernelSize: 1 },
    ],
  };

  it('chain x → c1 → pool → c2 (float32): during 1280, 1536, 640; peak 1536 at pool with c1, x, pool alive', () => {
    const m = memory(chain);
    expect(m.baseline).toBe(256);
    expect(during(m)).toEqual([256 + 1024, 256 + 1024 + 256, 256 + 256 + 128]);
    expect(after(m)).toEqual([256 + 1024, 256 + 256, 256 + 128]);
    expect(m.timeline.map((t) => [t.allocatedBytes, t.freedBytes])).toEqual([
      [1024, 0],
      [256, 1024],
      [128, 256],
    ]);
    expect(m.peak).toMatchObject({ bytes: 1536, step: 1, layer: 'pool' });
    expect(live(m)).toEqual([
      ['c1', 1024],
      ['x', 256],
      ['pool', 256],
    ]);
    expect(m.peak.live.find((t) => t.name === 'x')).toMatchObject({ producer: null, shape: [1, 1, 8, 8], dtype: 'float32' });
    expect(m.peak.live.find((t) => t.name === 'c1')).toMatchObject({ producer: 'c1', shape: [1, 4, 8, 8] });
    expect(m.complete).toBe(true);
  });

  it("c1 in reflect paddingMode: PyTorch's F.pad makes a [1,1,10,10] copy (400 B) alive during c1's step alone: during 1680, 1536, 640; peak 1680 at c1 with the scratch named", () => {
    const m = memory({ ...chain, layers: [{ ...chain.layers[0], paddingMode: 'reflect' }, ...chain.layers.slice(1)] });
    expect(m.timeline.map((t) => t.scratchBytes)).toEqual([400, 0, 0]);
    expect(during(m)).toEqual([256 + 1024 + 400, 256 + 1024 + 256, 256 + 256 + 128]);
    expect(after(m)).toEqual([256 + 1024, 256 + 256, 256 + 128]);
    expect(m.peak).toMatchObject({ bytes: 1680, step: 0, layer: 'c1' });
    expect(live(m)).toEqual([
      ['c1', 1024],
      ['c1: its input padded in paddingMode reflect', 400],
      ['x', 256],
    ]);
    // zeros padding: no scratch (the conv pads inside its window)
    expect(memory(chain).timeline.map((t) => t.scratchBytes)).toEqual([0, 0, 0]);
  });

  it('chain at float16: every figure halves (2 bytes per element)', () => {
    const m = memory(chain, {}, { dtype: 'float16' });
    expect(m.bytesPerElement).toBe(2);
    expect(during(m)).toEqual([640, 768, 320]);
    expect(m.peak.bytes).toBe(768);
  });

  // x [1,4,8,8]: every tensor 256 el = 1024 B. s is read by c1 and, three layers later, by sum.
  const residual = {
    inputs: [{ name: 'x', shape: [1, 4, 8, 8] }],
    layers: [
      { name: 's', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
      { name: 'c1', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
      { name: 'r1', op: 'relu' },
      { name: 'c2', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
      { name: 'sum', op: 'add', inputs: ['c2', 's'] },
      { name: 'out', op: 'relu' },
    ],
  };

  it('residual block: the skip keeps s alive from step 0 to the add (4 buffers of 1 KiB at the peak)', () => {
    const m = memory(residual);
    const K = 1024;
    expect(during(m)).toEqual([2 * K, 3 * K, 4 * K, 4 * K, 4 * K, 3 * K]);
    expect(after(m)).toEqual([2 * K, 3 * K, 3 * K, 3 * K, 2 * K, 2 * K]);
    expect(m.peak).toMatchObject({ bytes: 4 * K, layer: 'r1' });
    expect(m.peak.live.map((t) => t.name).sort()).toEqual(['c1', 'r1', 's', 'x']);
    // s is still alive after c2 although c2 does not read it
    expect(m.timeline[3].after).toBe(3 * K);
    expect(m.timeline[4].freedBytes).toBe(2 * K); // s and c2 die at the add
  });

  it('residual block with inPlace: relu over c1, add over c2 and relu over sum reuse buffers; the peak moves to c2', () => {
    const m = memory(residual, { inPlace: true });
    const K = 1024;
    expect(during(m)).toEqual([2 * K, 3 * K, 3 * K, 4 * K, 3 * K, 2 * K]);
    expect(m.timeline.map((t) => t.allocatedBytes)).toEqual([K, K, 0, K, 0, 0]);
    expect(m.peak).toMatchObject({ bytes: 4 * K, layer: 'c2' });
    expect(m.peak.live.find((t) => t.name === 'r1')).toMatchObject({ inPlaceOf: 'c1', producer: 'r1' });
    expect(m.peak.live.map((t) => t.name).sort()).toEqual(['c2', 'r1', 's', 'x']);
  });

  it('inPlace never overwrites a graph input, a tensor read later, or a neighbourhood op (3×3 stride-1 pool)', () => {
    const m = memory(
      {
        inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
        layers: [
          { name: 'r0', op: 'relu' }, // reads the graph input: must not overwrite it
          { name: 'p', op: 'maxPool2d', kernelSize: 3, stride: 1, padding: 1 }, // r0 dies here, same shape, but a pool reads neighbours
          { name: 'r1', op: 'relu', inputs: 'p' }, // p is read again by sum
          { name: 'sum', op: 'add', inputs: ['p', 'r1'] }, // p dies here: in place
        ],
      },
      { inPlace: true },
    );
    expect(m.timeline.map((t) => t.allocatedBytes)).toEqual([64, 64, 64, 0]);
  });

  // x [1,1,8,8] 256 B; c1 [1,4,8,8] 1024 B; flatten [1,256] (a view of c1); fc [1,10] 40 B
  const flattened = {
    inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
    layers: [
      { name: 'c1', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
      { name: 'f', op: 'flatten' },
      { name: 'fc', op: 'linear', outFeatures: 10 },
    ],
  };

  it("x → c1 → flatten → fc: the flatten is a view of c1's buffer (PyTorch's view), so during 1280, 1280, 1320 and the peak 1320 at fc (as a copy it was 2304 at the flatten)", () => {
    const m = memory(flattened);
    expect(during(m)).toEqual([256 + 1024, 256 + 1024, 256 + 1024 + 40]);
    expect(after(m)).toEqual([256 + 1024, 256 + 1024, 256 + 40]);
    expect(m.timeline.map((t) => [t.allocatedBytes, t.freedBytes])).toEqual([
      [1024, 0],
      [0, 0],
      [40, 1024],
    ]);
    expect(m.peak).toMatchObject({ bytes: 1320, step: 2, layer: 'fc' });
    expect(live(m)).toEqual([
      ['f', 1024],
      ['x', 256],
      ['fc', 40],
    ]);
    expect(m.peak.live.find((t) => t.name === 'f')).toMatchObject({ viewOf: 'c1', producer: 'f', shape: [1, 256] });
  });

  // x [1,1,8,8] 256 B; c1 [1,4,8,8] 1024 B; d (the same tensor in PyTorch eval) 1024 B; fc over the last axis [1,4,8,2] 256 B
  it.each(['dropout', 'identity'])("x → c1 → %s → fc: PyTorch returns c1 itself, so that layer's output is c1's buffer: during 1280, 1280, 1536 and the peak 1536 at fc (as a copy it was 2304 at that layer)", (op) => {
    const m = memory({
      inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
      layers: [
        { name: 'c1', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'd', op },
        { name: 'fc', op: 'linear', outFeatures: 2 },
      ],
    });
    expect(during(m)).toEqual([256 + 1024, 256 + 1024, 256 + 1024 + 256]);
    expect(after(m)).toEqual([256 + 1024, 256 + 1024, 256 + 256]);
    expect(m.timeline.map((t) => [t.allocatedBytes, t.freedBytes])).toEqual([
      [1024, 0],
      [0, 0],
      [256, 1024],
    ]);
    expect(m.peak).toMatchObject({ bytes: 1536, step: 2, layer: 'fc' });
    expect(live(m)).toEqual([
      ['d', 1024],
      ['x', 256],
      ['fc', 256],
    ]);
    expect(m.peak.live.find((t) => t.name === 'd')).toMatchObject({ viewOf: 'c1', producer: 'd', shape: [1, 4, 8, 8] });
  });

  it('reshape, squeeze and unsqueeze are views too, a view of a view shares the same buffer; a view of the graph input allocates nothing', () => {
    const m = memory({
      inputs: [{ name: 'x', shape: [1, 4, 4, 4] }],
      layers: [
        { name: 'u', op: 'unsqueeze', axes: [0] },
        { name: 's', op: 'squeeze', axes: [0] },
        { name: 'r', op: 'reshape', shape: [1, 64] },
        { name: 'fc', op: 'linear', outFeatures: 2 },
      ],
    });
    expect(m.timeline.map((t) => t.allocatedBytes)).toEqual([0, 0, 0, 8]);
    expect(m.peak).toMatchObject({ bytes: 256 + 8, layer: 'fc' });
  });

  it('inPlace never writes into a buffer a view still needs: relu over c1, which c1\'s flatten (read later by fc) shares, allocates', () => {
    const m = memory(
      {
        inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
        layers: [
          { name: 'c1', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
          { name: 'f', op: 'flatten', inputs: 'c1' },
          { name: 'r', op: 'relu', inputs: 'c1' }, // c1's last reader, but its buffer is f's until fc
          { name: 'fc', op: 'linear', outFeatures: 10, inputs: 'f' },
        ],
      },
      { inPlace: true },
    );
    expect(m.timeline.map((t) => t.allocatedBytes)).toEqual([1024, 0, 1024, 40]);
  });

  it('inPlace: a batch norm or PReLU (parameters, buffers) allocates its output, as PyTorch computes them; the ReLU after writes in place', () => {
    // x [1,1,4,4] 64 B; c, bn, pr, r [1,4,4,4] 256 B each
    const m = memory(
      {
        inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
        layers: [
          { name: 'c', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
          { name: 'bn', op: 'batchNorm2d' },
          { name: 'pr', op: 'prelu' },
          { name: 'r', op: 'relu' },
        ],
      },
      { inPlace: true },
    );
    expect(m.timeline.map((t) => [t.layer, t.allocatedBytes])).toEqual([['c', 256], ['bn', 256], ['pr', 256], ['r', 0]]);
    expect(m.assumptions.some((a) => a.includes('holding no parameters or buffers'))).toBe(true);
  });

  it("resnet18 with inPlace: the peak is at bn1 (input 602,112 B + conv1's and bn1's 3,211,264 B each = 7,024,640 B), as PyTorch's in-place ReLUs leave it; it was 4,616,192 at maxpool with bn1 'in place'", () => {
    const m = memory(modelSpec('resnet18'), { inPlace: true });
    expect(m.peak).toMatchObject({ bytes: 602_112 + 2 * 3_211_264, layer: 'bn1' });
  });

  // x [1,2,8,8] = 512 B; b1 2 ch = 512 B, b2 2 ch = 512 B, b3 4 ch = 1024 B; cat 8 ch = 2048 B
  const branches = {
    inputs: [{ name: 'x', shape: [1, 2, 8, 8] }],
    layers: [
      { name: 'b1', op: 'conv2d', inputs: 'x', outChannels: 2, kernelSize: 1 },
      { name: 'b2', op: 'conv2d', inputs: 'x', outChannels: 2, kernelSize: 3, padding: 1 },
      { name: 'b3', op: 'conv2d', inputs: 'x', outChannels: 4, kernelSize: 5, padding: 2 },
      { name: 'cat', op: 'concat', inputs: ['b1', 'b2', 'b3'] },
    ],
  };

  it('concat of three branches: all three are alive with the concat output (4608 B), in place or not', () => {
    for (const inPlace of [false, true]) {
      const m = memory(branches, { inPlace });
      expect(during(m)).toEqual([1024, 1536, 2560, 4608]);
      expect(after(m)).toEqual([1024, 1536, 2560, 2560]);
      expect(m.peak).toMatchObject({ bytes: 4608, layer: 'cat' });
      expect(live(m)).toEqual([
        ['cat', 2048],
        ['b3', 1024],
        ['x', 512],
        ['b1', 512],
        ['b2', 512],
      ]);
    }
  });

  it('two outputs: the first head (8 B) stays alive to the end; the peak (1288 B) is at d', () => {
    // x 256 B; c [1,2,8,8] 512 B; head1 [1,2,1,1] 8 B; d 512 B; head2 512 B
    const m = memory({
      inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
      layers: [
        { name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 },
        { name: 'head1', op: 'globalAvgPool2d' },
        { name: 'd', op: 'conv2d', inputs: 'c', outChannels: 2, kernelSize: 3, padding: 1 },
        { name: 'head2', op: 'relu' },
      ],
      outputs: ['head1', 'head2'],
    });
    expect(during(m)).toEqual([768, 776, 1288, 1288]);
    expect(after(m)).toEqual([768, 776, 776, 776]);
    expect(m.peak).toMatchObject({ bytes: 1288, step: 2, layer: 'd' });
    expect(live(m)).toEqual([
      ['c', 512],
      ['d', 512],
      ['x', 256],
      ['head1', 8],
    ]);
  });

  it('an unread second output lives during its producer only; tensorDtypes counts maxPool2d indices as int64', () => {
    // x [1,1,4,4] 64 B; pool [1,1,2,2] 16 B; indices 4 el; unpool [1,1,4,4] 64 B
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
      layers: [
        { name: 'pool', op: 'maxPool2d', kernelSize: 2, returnIndices: true },
        { name: 'unpool', op: 'maxUnpool2d', kernelSize: 2, inputs: ['pool', 'pool:1'] },
      ],
    };
    expect(during(memory(spec))).toEqual([64 + 16 + 16, 64 + 16 + 16 + 64]);
    expect(during(memory(spec, { tensorDtypes: { 'pool:1': 'int64' } }))).toEqual([64 + 16 + 32, 64 + 16 + 32 + 64]);
    const unread = memory({ ...spec, layers: [spec.layers[0], { name: 'r', op: 'relu', inputs: 'pool' }] });
    expect(during(unread)).toEqual([64 + 16 + 16, 64 + 16 + 16]);
    expect(unread.timeline[0].freedBytes).toBe(16); // the indices, written and never read
  });

  it('tensorDtypes naming no tensor, or an unknown dtype, is INVALID_OPTION (nothing accepted silently)', () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'pool', op: 'maxPool2d', kernelSize: 2, returnIndices: true }] };
    const typo = errorOf(() => memory(spec, { tensorDtypes: { 'pool:2': 'int64' } }));
    expect(typo.code).toBe('INVALID_OPTION');
    expect(typo.details).toMatchObject({ path: '$.tensorDtypes["pool:2"]', suggestion: 'pool:1' });
    const bad = errorOf(() => memory(spec, { tensorDtypes: { 'pool:1': 'int65' as 'int64' } }));
    expect(bad.code).toBe('INVALID_OPTION');
    expect(bad.details.path).toBe('$.tensorDtypes["pool:1"]');
  });

  it('weights memory: (params + buffers) × bytes; total = peak + weights', () => {
    // conv 1→4 3×3 with bias: 36 + 4 params; BN(4): γ, β params + running mean, var buffers (float32), num_batches_tracked (int64, 8 B)
    const m = memory({
      inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
      layers: [
        { name: 'c', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'bn', op: 'batchNorm2d' },
      ],
    });
    expect(m.weights).toEqual({ params: 48, buffers: 9, bytes: 56 * 4 + 8 });
    expect(m.totalBytes).toBe(m.peak.bytes + 232);
    expect(m.peak.bytes).toBe(64 + 256 + 256);
  });
});

describe("torchinfo's footprint (torchinfo/model_statistics.py)", () => {
  function zooMemory(name: string, resolution: number, batch: number) {
    const spec = modelSpec(name, resolution) as { inputs: { shape: number[] }[] };
    spec.inputs[0].shape[0] = batch;
    return memory(spec);
  }

  it('resnet50 at 2×3×224×224 prints torchinfo\'s published block (tests/test_output/resnet50.out)', () => {
    const t = zooMemory('resnet50', 224, 2).torchinfo;
    expect(t.lines).toEqual([
      'Input size (MB): 1.20',
      'Forward/backward pass size (MB): 355.66',
      'Params size (MB): 102.23',
      'Estimated Total Size (MB): 459.10',
    ]);
    expect(t.paramsBytes).toBe(25_557_032 * 4);
    expect(t.inputBytes).toBe(2 * 3 * 224 * 224 * 4);
  });

  it('resnet18 at 1×3×64×64 (tests/test_output/resnet18_depth_consistency.out): same sizes; the input differs by the Python object only', () => {
    const t = zooMemory('resnet18', 64, 1).torchinfo;
    expect(t.lines.slice(1)).toEqual(['Forward/backward pass size (MB): 3.25', 'Params size (MB): 46.76', 'Estimated Total Size (MB): 50.06']);
    // torchinfo prints "Input size (kB): 49.21": sys.getsizeof of the storage adds ~60 bytes to 49,152
    expect(t.inputBytes).toBe(49_152);
    expect(49_210 - t.inputBytes).toBeLessThan(100);
  });

  it('forward/backward counts only layers with parameters, twice: conv (1024 B) and BN (1024 B), not the ReLU', () => {
    const t = memory({
      inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
      layers: [
        { name: 'c', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'bn', op: 'batchNorm2d' },
        { name: 'r', op: 'relu' },
      ],
    }).torchinfo;
    expect(t.forwardBackwardBytes).toBe(2 * (1024 + 1024));
    // params only: conv 36 + 4, BN 8; the BN's 8 running statistics are buffers
    expect(t.paramsBytes).toBe(48 * 4);
    expect(t.totalBytes).toBe(256 + 4096 + 192);
  });

  it('format_output_num: AUTO units by magnitude, integers without decimals, half-to-even ties, thousands separators', () => {
    expect(torchinfoLine('Input size', 999)).toBe('Input size: 999');
    expect(torchinfoLine('Input size', 1000)).toBe('Input size (kB): 1');
    expect(torchinfoLine('Input size', 602_112)).toBe('Input size (kB): 602.11');
    expect(torchinfoLine('Input size', 1125)).toBe('Input size (kB): 1.12'); // 1.125 is exact in binary: Python rounds to even
    expect(torchinfoLine('Input size', 1375)).toBe('Input size (kB): 1.38');
    expect(torchinfoLine('Total', 2_000e12)).toBe('Total (TB): 2,000');
    expect(torchinfoLine('Total', 12_345.678e12)).toBe('Total (TB): 12,345.68');
  });
});
