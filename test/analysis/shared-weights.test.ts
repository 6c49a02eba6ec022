/**
 * A weight tensor several layers read (a detection head applied to every pyramid level, tied
 * embeddings) is one set of parameters: counted once, at its first reader, as PyTorch's
 * sum(p.numel() for p in model.parameters()) counts a shared module. Every reader's MACs count.
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS, layer } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';

// one 3×3 conv 4→4 with bias (4·4·9 + 4 = 148 params) applied to two feature maps, then a second conv of its own
const bytes = onnxModel({
  inputs: [
    { name: 'p3', shape: [1, 4, 8, 8] },
    { name: 'p4', shape: [1, 4, 4, 4] },
  ],
  outputs: ['y3', 'y4', 'z'],
  initializers: [
    { name: 'W', dims: [4, 4, 3, 3] },
    { name: 'B', dims: [4] },
    { name: 'V', dims: [2, 4, 1, 1] },
  ],
  nodes: [
    { op: 'Conv', inputs: ['p3', 'W', 'B'], outputs: ['y3'], name: 'head.p3', attrs: { pads: { ints: [1, 1, 1, 1] } } },
    { op: 'Conv', inputs: ['p4', 'W', 'B'], outputs: ['y4'], name: 'head.p4', attrs: { pads: { ints: [1, 1, 1, 1] } } },
    { op: 'Conv', inputs: ['y4', 'V'], outputs: ['z'], name: 'own' },
  ],
});

describe('shared weights', () => {
  const r = analyzeGraph(importOnnx(bytes).graph, DEFAULTS);

  it('the head conv on two levels: 148 params once (first reader), 0 at the second; total 148 + 8 = 156', () => {
    expect(layer(r, 'head.p3').params).toBe(4 * 4 * 9 + 4);
    expect(layer(r, 'head.p4').params).toBe(0);
    expect(layer(r, 'own').params).toBe(2 * 4);
    expect(r.totals.params).toBe(156);
  });

  it('both readers do the work: MACs 4·4·9·(8·8 + 4·4) + 2·4·16', () => {
    expect(layer(r, 'head.p3').macs).toBe(4 * 4 * 9 * 64);
    expect(layer(r, 'head.p4').macs).toBe(4 * 4 * 9 * 16);
    expect(r.totals.macs).toBe(4 * 4 * 9 * (64 + 16) + 2 * 4 * 16);
  });

  it('an info warning WEIGHTS_SHARED names the layer that re-reads and the tensors', () => {
    const w = r.warnings.filter((x) => x.code === 'WEIGHTS_SHARED');
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ severity: 'info', layers: ['head.p4'] });
    expect(w[0].message).toContain('head.p4 (W, B)');
  });

  it('no warning when nothing is shared', () => {
    const own = onnxModel({
      inputs: [{ name: 'x', shape: [1, 4, 4, 4] }],
      outputs: ['z'],
      initializers: [{ name: 'V', dims: [2, 4, 1, 1] }],
      nodes: [{ op: 'Conv', inputs: ['x', 'V'], outputs: ['z'], name: 'c' }],
    });
    expect(analyzeGraph(importOnnx(own).graph, DEFAULTS).warnings.some((x) => x.code === 'WEIGHTS_SHARED')).toBe(false);
  });
});
