/**
 * A permute or transpose followed by reshape / .contiguous() / view, as torchvision's Swin partitions
 * windows and attention splits heads: PyTorch's permute and transpose are views and the reshape or
 * .contiguous() copies once (one read and one write of the tensor); torch.onnx.export writes
 * Reshape, Transpose, Reshape, Transpose, Reshape, and ONNX Runtime materialises the Transposes and
 * aliases the Reshapes. Truth: the ATen ops PyTorch dispatches, with the elements each copying op
 * reads and writes (scripts/export_movement_copies.py, test/fixtures/onnx/movement/window_partition.json).
 *
 * Before (fix/onnx) each Reshape counted a full read and write too (and its shape operand as weights):
 * 2,571 elements for PyTorch's 1,024. torchvision's swin_t exported at opset 17 (with folding, weights
 * stripped): 284,222,745 elements of memory access before, 256,578,534 now (27,029,553 were its
 * Reshapes', 614,658 its Unsqueezes'; its 20,697,600 in Transposes stay).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS } from '../helpers.js';

const dir = new URL('../fixtures/onnx/movement/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('window_partition.json', dir), 'utf8')) as {
  input: number[];
  output: { shape: number[]; data: number[] };
  onnxNodes: string[];
  aten: { op: string; view: boolean; read: number; written: number }[];
  elementsRead: number;
  elementsWritten: number;
};
const { graph } = importOnnx(new Uint8Array(readFileSync(new URL('window_partition.onnx', dir))));
const inference = inferGraph(graph);
const report = analyzeGraph(graph, DEFAULTS, inference);

describe('window partition and a transposed head split (view, permute, reshape; transpose, contiguous, view)', () => {
  it('PyTorch copies twice (aten.clone of 256 elements), the rest are views; the file has the Transposes and Reshapes', () => {
    expect(truth.aten.filter((o) => !o.view).map((o) => [o.op, o.read, o.written])).toEqual([
      ['aten.clone.default', 256, 256],
      ['aten.clone.default', 256, 256],
    ]);
    expect(truth.onnxNodes).toEqual(['Reshape', 'Transpose', 'Reshape', 'Transpose', 'Reshape']);
  });

  it("memory access is PyTorch's: each Transpose one read and one write of the tensor, each Reshape none (it was 2,571 elements)", () => {
    expect(report.totals.memoryAccess.elements).toEqual({ inputs: truth.elementsRead, outputs: truth.elementsWritten, weights: 0, total: truth.elementsRead + truth.elementsWritten });
    expect(report.totals.memoryAccess.bytes).toBe(4 * 1024);
    expect(report.layers.map((l) => [l.op, l.memoryAccess.elements.total])).toEqual([
      ['reshape', 0],
      ['transpose', 512],
      ['reshape', 0],
      ['transpose', 512],
      ['reshape', 0],
    ]);
  });

  it('and the run moves the values as PyTorch does', () => {
    const x = tensor(truth.input, Array.from({ length: 256 }, (_, i) => i));
    const { outputs } = runGraph(graph, { x }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 24 }, inference);
    const y = Object.values(outputs)[0];
    expect([...y.shape]).toEqual(truth.output.shape);
    expect(Array.from(y.data)).toEqual(truth.output.data);
  });
});
