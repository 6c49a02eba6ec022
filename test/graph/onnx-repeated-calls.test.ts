import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { callSites } from '../../src/graph/onnx/repeated-calls.js';
import { DEFAULTS, layer } from '../helpers.js';
import { onnxModel, type NodeSpec } from './onnx-builder.js';

/**
 * As torch.onnx writes a GroupNorm affine (γ of shape [4, 1, 1], folded from weight.unsqueeze) that
 * equals another initializer: one stored tensor `g` and Identity aliases of it, each read by a Mul
 * named after the module that calls it. `names` are the four Muls' node names.
 */
function model(names: string[]) {
  const identities: NodeSpec[] = [1, 2, 3].map((k) => ({ op: 'Identity', inputs: ['g'], outputs: [`g${k}`], name: `Identity_${k}` }));
  const muls: NodeSpec[] = names.map((name, k) => ({ op: 'Mul', inputs: [k === 0 ? 'x' : `y${k - 1}`, k === 0 ? 'g' : `g${k}`], outputs: [`y${k}`], name }));
  return onnxModel({
    inputs: [{ name: 'x', shape: [1, 4, 3, 3] }],
    outputs: ['y3'],
    nodes: [...identities, ...muls],
    initializers: [{ name: 'g', dims: [4, 1, 1] }],
  });
}
const analyze = (names: string[]) => analyzeGraph(importOnnx(model(names)).graph, DEFAULTS);

describe('one parameter for every call of a module called more than once (graph/onnx/repeated-calls.ts)', () => {
  it('call sites drop the k-th call suffix of a module whose first call is in the graph, and keep the node name: /head/conv_2/conv.1_4/Mul_3 → /head/conv/conv.1/Mul_3', () => {
    const callSite = callSites(['/head/conv/conv.1/Mul', '/head/conv_2/conv.1_4/Mul_3', '/Mixed_5b/branch5x5_1/conv/Conv', '/Mixed_5b/branch5x5_2/conv/Conv', 'Mul_3']);
    expect(callSite('/head/conv_2/conv.1_4/Mul_3')).toBe('/head/conv/conv.1/Mul_3');
    expect(callSite('/head/conv/conv.1/Mul')).toBe('/head/conv/conv.1/Mul');
    // Inception's modules named branch5x5_1 and branch5x5_2: no module branch5x5, so no call suffix
    expect(callSite('/Mixed_5b/branch5x5_2/conv/Conv')).toBe('/Mixed_5b/branch5x5_2/conv/Conv');
    expect(callSite('Mul_3')).toBeNull();
    expect(callSite('/Mul_3')).toBeNull();
  });

  it('a [4,1,1] γ read through aliases by the 1st, 2nd and 3rd call of /head/gn and by /head/other: 4 + 4 = 8 params, the calls sharing one tensor', () => {
    const r = analyze(['/head/gn/Mul', '/head/gn_1/Mul', '/head/gn_2/Mul', '/head/other/Mul']);
    expect(r.totals.params).toBe(8);
    expect(layer(r, '/head/gn/Mul').params).toBe(4);
    expect(layer(r, '/head/gn_1/Mul').params).toBe(0);
    expect(layer(r, '/head/gn_2/Mul').params).toBe(0);
    // equal values, but another module: its own parameter (the export merged them by value)
    expect(layer(r, '/head/other/Mul').params).toBe(4);
    // every call still multiplies: 36 FLOPs each
    expect(r.layers.filter((l) => l.op !== 'identity').map((l) => l.flops)).toEqual([36, 36, 36, 36]);
  });

  it('distinct modules reading aliases of one stored tensor (/a/gn, /b/gn, /c/gn, /d/gn): 4 × 4 = 16 params', () => {
    expect(analyze(['/a/gn/Mul', '/b/gn/Mul', '/c/gn/Mul', '/d/gn/Mul']).totals.params).toBe(16);
  });

  it('two Muls of one call of a module (/head/gn/Mul, /head/gn/Mul_1) are distinct nodes: 8 params for them', () => {
    expect(analyze(['/head/gn/Mul', '/head/gn/Mul_1', '/x/Mul', '/y/Mul']).totals.params).toBe(16);
  });

  it('modules named gn_1 and gn_2 beside no module gn (as in Inception: branch5x5_1, branch5x5_2) are distinct: 16 params', () => {
    expect(analyze(['/head/gn_1/Mul', '/head/gn_2/Mul', '/head/gn_3/Mul', '/head/gn_4/Mul']).totals.params).toBe(16);
  });

  /** /blk (Conv by W0, then ×γ) and /blk_1 (Conv by `secondWeight`, then × an alias of γ): γ of ones merged by the export. */
  const blocks = (secondWeight: 'W0' | 'W1') =>
    analyzeGraph(
      importOnnx(
        onnxModel({
          inputs: [{ name: 'x', shape: [1, 4, 6, 6] }],
          outputs: ['y1'],
          initializers: [
            { name: 'g', dims: [4, 1, 1], data: [1, 1, 1, 1] },
            { name: 'W0', dims: [4, 4, 1, 1], data: Array.from({ length: 16 }, (_, i) => i) },
            { name: 'W1', dims: [4, 4, 1, 1], data: Array.from({ length: 16 }, (_, i) => -i) },
          ],
          nodes: [
            { op: 'Identity', inputs: ['g'], outputs: ['g1'], name: 'Identity_0' },
            { op: 'Conv', inputs: ['x', 'W0'], outputs: ['c0'], name: '/blk/conv/Conv' },
            { op: 'Mul', inputs: ['c0', 'g'], outputs: ['y0'], name: '/blk/Mul' },
            { op: 'Conv', inputs: ['y0', secondWeight], outputs: ['c1'], name: '/blk_1/conv/Conv' },
            { op: 'Mul', inputs: ['c1', 'g1'], outputs: ['y1'], name: '/blk_1/Mul' },
          ],
        }),
      ).graph,
      DEFAULTS,
    );

  it('siblings /blk and /blk_1 with their own convs (W0, W1) and a γ of ones merged by the export: two modules, 2·16 + 2·4 = 40 params', () => {
    const r = blocks('W1');
    expect(r.totals.params).toBe(40);
    expect(layer(r, '/blk_1/Mul').params).toBe(4);
  });

  it('a second call /blk_1 reading the same conv weight W0 as /blk: one module, 16 + 4 = 20 params', () => {
    // W1 is stored but read by no layer: not counted
    expect(blocks('W0').totals.params).toBe(20);
  });

  it('node names without a module path (Mul_0 … Mul_3) are never merged: 16 params', () => {
    expect(analyze(['Mul_0', 'Mul_1', 'Mul_2', 'Mul_3']).totals.params).toBe(16);
  });
});
