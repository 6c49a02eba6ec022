/**
 * Swin's shifted-window mask, which torchvision builds at each forward from the padded map's size and
 * torch.onnx writes node by node (ScatterND regions, window partition, Sub, Equal, Not, Where, Equal,
 * Where, Unsqueeze), folds at analysis when its value fits the folding limits (65,536 values) and was
 * otherwise counted as layers: torchvision's swin_t at 224 exported at opset 17 counted stage 1's
 * [64, 49, 49] mask (10 layers, 921,984 FLOPs, 10,474,256 B of memory access) and not stages 2 and 3's
 * (38,416 and 9,604 values, folded), so its totals depended on the limit and on the input size crossing
 * it. A constant computed from literals alone now counts nothing in the totals whether it folds or not
 * (CONSTANT_LAYERS_NOT_COUNTED lists the ones that did not): swin_t 9,068,197,688 → 9,067,275,704 FLOPs.
 *
 * The one-stage padded Swin of test/fixtures/onnx-math (scripts/onnx_math_fixtures.py, 1×3×36×44: a 9×11
 * patch grid padded to 14×14, 4 windows of 7×7, the second block shifted by 3) with its mask folded, and
 * with maxFolded 0 (nothing but shape arithmetic of ≤ 64 values folds: the mask is built node by node).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, scaledError } from '../helpers.js';

const dir = new URL('../fixtures/onnx-math/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('swin_tiny_pad_op17.json', dir), 'utf8')) as { input: { shape: number[]; data: number[] }; output: { shape: number[]; data: number[] } };
const analysed = (maxFolded?: number) => {
  const { graph } = importOnnx(new Uint8Array(readFileSync(new URL('swin_tiny_pad_op17.onnx', dir))));
  const inference = inferGraph(graph, maxFolded === undefined ? {} : { maxFolded });
  return { graph, inference, report: analyzeGraph(graph, DEFAULTS, inference) };
};

describe('an attention mask computed from literals alone counts the same folded or built node by node', () => {
  const folded = analysed();
  const unfolded = analysed(0);
  const mask = (r: typeof folded.report) => r.layers.filter((l) => /features\.1\.1\/attn\/(Sub_3|Equal_\d+|Not|Where_\d+)$/.test(l.name));

  it('folded: no mask layer is listed, and no note', () => {
    expect(mask(folded.report)).toEqual([]);
    expect(folded.report.warnings.map((w) => w.code)).not.toContain('CONSTANT_LAYERS_NOT_COUNTED');
  });

  it("unfolded: the mask's layers are listed with their own figures (m_i − m_j, != 0, masked_fill, == 0, masked_fill: 4 windows × 49² each), and the totals are the folded ones", () => {
    const rows = mask(unfolded.report);
    expect(rows.map((l) => l.op)).toEqual(['sub', 'equal', 'logicalNot', 'where', 'equal', 'where']);
    for (const l of rows) expect([l.outputShape, l.flops]).toEqual([[4, 49, 49], 4 * 49 * 49]);
    const w = unfolded.report.warnings.find((x) => x.code === 'CONSTANT_LAYERS_NOT_COUNTED') as { layers?: string[]; flops?: number } | undefined;
    expect(w?.layers).toEqual(expect.arrayContaining(rows.map((l) => l.name)));
    // the region map (ScatterND over the padded 14×14) is built node by node too, and left out as well
    const scatters = unfolded.report.layers.filter((l) => l.source?.opType === 'ScatterND').map((l) => l.name);
    expect(scatters.length).toBeGreaterThan(0);
    expect(w?.layers).toEqual(expect.arrayContaining(scatters));
    expect(w?.flops).toBeGreaterThanOrEqual(6 * 4 * 49 * 49);
    const totals = (r: typeof folded.report) => [r.totals.macs, r.totals.flops, r.totals.flopsByConvention, r.totals.memoryAccess, r.totals.params, r.totals.buffers];
    expect(totals(unfolded.report)).toEqual(totals(folded.report));
  });

  it('and the unfolded graph still runs them: the logits are PyTorch\'s', () => {
    const { outputs } = runGraph(unfolded.graph, { image: tensor(truth.input.shape, truth.input.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 24 }, unfolded.inference);
    expect(scaledError(outputs.logits.data, truth.output.data)).toBeLessThanOrEqual(1e-5);
  });
});

describe('a detector\'s anchor grid, a constant built node by node too, is not called an attention mask', () => {
  it('torchvision fasterrcnn_mobilenet_v3_large_fpn at 320 (test/fixtures/detection-catalog): the note lists /rpn/anchor_generator layers and names both kinds, Swin\'s mask and anchor grids, as examples (it said "an attention mask built node by node")', () => {
    const { graph } = importOnnx(new Uint8Array(readFileSync(new URL('../fixtures/detection-catalog/fasterrcnn_mobilenet_v3_large_fpn.op17.onnx', import.meta.url))), { inputShapes: { '': [3, 320, 320] } });
    const w = analyzeGraph(graph, DEFAULTS).warnings.find((x) => x.code === 'CONSTANT_LAYERS_NOT_COUNTED') as { layers?: string[]; message: string } | undefined;
    expect(w?.layers?.some((l) => l.startsWith('/rpn/anchor_generator/'))).toBe(true);
    expect(w?.message).not.toContain('an attention mask built node by node');
    expect(w?.message).toContain("as Swin's shifted-window attention mask or a detector's anchor grid is");
  });
});
