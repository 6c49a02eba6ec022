/**
 * The presets' rules for the newer operator families against what the real tools print, op by op:
 * test/fixtures/conventions/ops.json, written by scripts/convention_truth_ops.py (thop, ptflops,
 * fvcore, torchinfo, calflops and onnx-tool run from their sources, as convention_truth.py runs
 * them) for a small PyTorch model whose modules are named as the spec layers below, and for an
 * nn.MultiheadAttention(8, 2) called positionally on the 16 tokens of a 1×8×4×4 map.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import { net } from '../helpers.js';
import { analysed } from './helpers.js';

interface ToolTruth {
  total: number;
  layers: Record<string, number>;
  shapeArithmetic?: number;
}
const truth = JSON.parse(readFileSync(new URL('../fixtures/conventions/ops.json', import.meta.url), 'utf8')) as {
  torch: string;
  models: Record<string, Record<string, ToolTruth>>;
};
const torchMajor = Number(truth.torch.split('.')[0]);

const SPECS: Record<string, unknown> = {
  ops: {
    name: 'ops',
    inputs: [{ name: 'x', shape: [1, 8, 4, 4] }],
    layers: [
      { name: 'gn', op: 'groupNorm', numGroups: 4 },
      { name: 'inorm', op: 'instanceNorm2d', affine: true },
      { name: 'prelu', op: 'prelu', numParameters: 8 },
      { name: 'elu', op: 'elu' },
      { name: 'gelu', op: 'gelu' },
      { name: 'ls', op: 'logSoftmax', dim: 1 },
      { name: 'sp', op: 'softplus' },
      { name: 'tanh', op: 'tanh' },
      { name: 'ln', op: 'layerNorm', normalizedShape: [4] },
    ],
  },
  attention: { ...net([1, 8, 4, 4], { op: 'multiHeadAttention', numHeads: 2 }), layers: [{ name: 'mha', op: 'multiHeadAttention', numHeads: 2 }] },
};

describe.each(Object.keys(truth.models))('%s', (model) => {
  const input = analysed(SPECS[model]);
  it.each(Object.keys(truth.models[model]))('%s: the total and every module, to the unit', (tool) => {
    const t = truth.models[model][tool];
    const c = countWith(PRESETS_BY_NAME.get(tool)!, input);
    // thop registers its nn.MultiheadAttention hook only on torch >= 2.0; the fixture's torch is older
    const noHook = tool === 'thop' && torchMajor < 2 ? (c.byFamily.find((f) => f.family === 'attention')?.count ?? 0) : 0;
    expect(c.total - noHook).toBe(t.total - (t.shapeArithmetic ?? 0));
    const byModule = new Map<string, number>();
    for (const [name, v] of Object.entries(t.layers)) {
      // onnx-tool names nodes /module/OpType; the others name modules
      const m = tool === 'onnx-tool' ? name.split('/')[1] : name;
      byModule.set(m, (byModule.get(m) ?? 0) + v);
    }
    // fvcore attributes work to leaf modules only: nn.MultiheadAttention (it holds out_proj) is `<functional>`
    const unattributed = byModule.get('<functional>') ?? 0;
    for (const l of c.layers) {
      if (noHook && l.family === 'attention') continue;
      const expected = byModule.get(l.name) ?? (l.count === unattributed ? unattributed : 0);
      expect([l.name, l.count]).toEqual([l.name, expected]);
    }
  });
});
