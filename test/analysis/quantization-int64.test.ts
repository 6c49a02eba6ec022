/**
 * analysis/quantization.ts and weights declared in their own element type (WeightSpec.dtype):
 * an int64 buffer (BN's num_batches_tracked; Swin's relative_position_index) stays int64 when a
 * model is quantized (PyTorch's quantized modules keep it), so it counts at 8 bytes an element
 * under `int64`, not at the report's float size under `float32`; one no forward pass reads
 * (WeightSpec.unread) is held, so it is in `weights`, but not in the memory access. Bytes worked
 * by hand.
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { quantizationSummary } from '../../src/analysis/quantization.js';
import { parseNetworkSpec } from '../../src/graph/network.js';

// x [1, 4, 2, 2] → batchNorm2d (weight, bias, running mean, running var: 4 float each; num_batches_tracked: an int64 scalar) → quantizeLinear to int8 (scale: the input s [1])
const graph = parseNetworkSpec({
  inputs: [{ name: 'x', shape: [1, 4, 2, 2] }, { name: 's', shape: [1] }],
  layers: [
    { name: 'bn', op: 'batchNorm2d', inputs: ['x'] },
    { name: 'q', op: 'quantizeLinear', inputs: ['bn', 's'], dtype: 'int8' },
  ],
});
const inference = inferGraph(graph);

describe('quantization summary: an int64 buffer counts at 8 bytes', () => {
  it('float32 report: 16 float weights · 4 = 64 bytes + 1 int64 · 8 = 72 (was 17 · 4 = 68, all float32)', () => {
    const s = quantizationSummary(graph, inference, 'float32')!;
    expect(s.weights.byDtype).toEqual({ float32: { elements: 16, bytes: 64 }, int64: { elements: 1, bytes: 8 } });
    expect(s.weights.bytes).toBe(72);
  });

  it('float16 report: 16 · 2 = 32 under float16 (was under float32) + 8 = 40 (the int64 scalar is not halved; was 34)', () => {
    const s = quantizationSummary(graph, inference, 'float16')!;
    expect(s.weights.byDtype).toEqual({ float16: { elements: 16, bytes: 32 }, int64: { elements: 1, bytes: 8 } });
    expect(s.weights.bytes).toBe(40);
  });

  it('memory access: bn reads x (64) and its 16 read weights (64) and writes 64; q reads 64 + the scale 4 and writes 16 int8: 276 (num_batches_tracked, never read, is not in it; was 280)', () => {
    const s = quantizationSummary(graph, inference, 'float32')!;
    expect(s.memoryBytes).toBe(64 + 64 + 64 + 64 + 4 + 16);
    expect(s.overhead.bytes).toBe(84);
  });
});
