/**
 * analysis/quantization.ts on a float16 file (test/fixtures/float16/qdq.onnx,
 * scripts/export_float16_qdq.py): its weights are stored as float16 (W [2, 1, 3, 3], B [2]), its
 * scale as float32 and its zero point as uint8. In a float16 report (dtype=float16) every float
 * counts at 2 bytes under 'float16', the report's dtype: the float32 scale was listed apart under
 * 'float32' though counted at 2 bytes. In a float32 report the float16 weights stay float16 at 2
 * bytes and the scale counts at 4 under 'float32'. Bytes worked by hand.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { quantizationSummary } from '../../src/analysis/quantization.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS } from '../helpers.js';

const { graph } = importOnnx(fs.readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'float16', 'qdq.onnx')));
const inference = inferGraph(graph);

describe('quantization summary of a float16 file: floats under the stored or the report\'s float type', () => {
  it('float16 report: W 18 + B 2 + the scale 1 = 21 floats under float16, 42 bytes; the zero point 1 uint8 byte: 43 (the scale was under float32)', () => {
    const s = quantizationSummary(graph, inference, 'float16')!;
    expect(s.weights.byDtype).toEqual({ float16: { elements: 21, bytes: 42 }, uint8: { elements: 1, bytes: 1 } });
    expect(s.weights.bytes).toBe(43);
    expect(s.weights.scaleAndZeroPointBytes).toBe(3);
  });

  it('float32 report: W and B float16, 20 · 2 = 40; the scale float32, 4; the zero point 1: 45', () => {
    const s = quantizationSummary(graph, inference, 'float32')!;
    expect(s.weights.byDtype).toEqual({ float16: { elements: 20, bytes: 40 }, float32: { elements: 1, bytes: 4 }, uint8: { elements: 1, bytes: 1 } });
    expect(s.weights.bytes).toBe(45);
  });

  it('the report (dtype=float16) says the same as the summary', () => {
    const report = analyzeGraph(graph, { ...DEFAULTS, dtype: 'float16' }, inference);
    expect(report.totals.quantization!.weights.byDtype).toEqual({ float16: { elements: 21, bytes: 42 }, uint8: { elements: 1, bytes: 1 } });
  });
});
