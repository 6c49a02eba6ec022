/**
 * A map cut into its stride's phases and joined along the channels, a space-to-depth written as
 * strided slices (ops/receptive-phases.ts): YOLOv5's Focus stem and Swin's PatchMerging (torchvision's
 * swin_t between stages). Their fields against autograd (scripts/goldens_rf_phases.py: each unit's
 * input box, positive weights), and no MISALIGNED_PATHS: until 2026-12-06 every PatchMerging of the
 * zoo's swin_t, swin_s, swin_v2_t … warned it (features.2.cat, .4.cat, .6.cat), where the same
 * rearrangement as spaceToDepth warned nothing. Pieces that are no full grid of phases still warn.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ZOO_BY_NAME } from '../../src/zoo/index.js';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS, analyze, layer } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';

interface Golden {
  input: number[];
  output: number[];
  /** per axis (h, w), per unit t of the diagonal: the input box autograd finds, [lo, hi] */
  boxes: [number, number][][];
}
const golden = JSON.parse(readFileSync(new URL('../fixtures/rf-nd/phases.json', import.meta.url), 'utf8')) as { cases: Record<string, Golden> };

/** Slices of rows r0::sh and columns c0::sw of `x` along dims [h, w] of the given layout. */
const slice = (name: string, x: string, [r0, c0]: number[], [sh, sw]: number[], dims: number[]) => ({ name, op: 'slice', inputs: x, starts: [r0, c0], ends: [1 << 20, 1 << 20], axes: dims, steps: [sh, sw] });
const FOUR = [
  [0, 0],
  [1, 0],
  [0, 1],
  [1, 1],
];

const SPECS: Record<string, { spec: object; last: string }> = {
  // r 1 per slice, centres 0 and 1 on each axis at stride 2: union [0, 1] at stride 2 (size 2, padding 0)
  focus: { spec: { inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], layers: [...FOUR.map((o, i) => slice(`x${i}`, 'x', o, [2, 2], [2, 3])), { name: 'cat', op: 'concat', inputs: ['x0', 'x1', 'x2', 'x3'], dim: 1 }] }, last: 'cat' },
  // then a 3×3 conv padded 1: 2 + 2·2 = 6, stride 2, padding 0 + 1·2 = 2 (unit 0: [−2, 3], read [0, 3])
  focus_conv: {
    spec: { inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], layers: [...FOUR.map((o, i) => slice(`x${i}`, 'x', o, [2, 2], [2, 3])), { name: 'cat', op: 'concat', inputs: ['x0', 'x1', 'x2', 'x3'], dim: 1 }, { name: 'conv', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 }] },
    last: 'conv',
  },
  // the stride-4 embedding: r 4, j 4; its phases at stride 8 centred 1.5 and 5.5: union [0, 7], size 8, padding 0
  patch_merging: {
    spec: {
      inputs: [{ name: 'x', shape: [1, 3, 32, 32] }],
      layers: [
        { name: 'embed', op: 'conv2d', outChannels: 2, kernelSize: 4, stride: 4 },
        { name: 'nhwc', op: 'transpose', perm: [0, 2, 3, 1] },
        ...FOUR.map((o, i) => slice(`x${i}`, 'nhwc', o, [2, 2], [1, 2])),
        { name: 'cat', op: 'concat', inputs: ['x0', 'x1', 'x2', 'x3'], dim: 3 },
        { name: 'nchw', op: 'transpose', perm: [0, 3, 1, 2] },
      ],
    },
    last: 'nchw',
  },
  // controls: two of the four phases (no full grid), and phases 0 and 1 of 3 (1·2 ≠ 3): the union, and the warning
  diagonal: { spec: { inputs: [{ name: 'x', shape: [1, 2, 8, 8] }], layers: [slice('x0', 'x', [0, 0], [2, 2], [2, 3]), slice('x3', 'x', [1, 1], [2, 2], [2, 3]), { name: 'cat', op: 'concat', inputs: ['x0', 'x3'], dim: 1 }] }, last: 'cat' },
  two_of_three: { spec: { inputs: [{ name: 'x', shape: [1, 1, 9, 6] }], layers: [slice('a', 'x', [0, 0], [3, 1], [2, 3]), slice('b', 'x', [1, 0], [3, 1], [2, 3]), { name: 'cat', op: 'concat', inputs: ['a', 'b'], dim: 1 }] }, last: 'cat' },
};

const WARNS: Record<string, boolean> = { focus: false, focus_conv: false, patch_merging: false, diagonal: true, two_of_three: true };

describe('phases of a stride joined along the channels (a space-to-depth as slices): autograd\'s boxes, MISALIGNED_PATHS only off a full grid', () => {
  it.each(Object.keys(SPECS))('%s', (name) => {
    const g = golden.cases[name];
    const r = analyze(SPECS[name].spec);
    const rf = layer(r, SPECS[name].last).receptiveField!;
    expect(rf.global).toBe(false);
    if (rf.global) return;
    // every unit's box, clipped to the input, is the one autograd finds (tight as well as holding it)
    const boxes = g.boxes.map((axis, a) => axis.map((_, t) => [Math.max(0, t * rf.stride[a] - rf.padding[a]), Math.min(g.input[2 + a] - 1, t * rf.stride[a] - rf.padding[a] + rf.size[a] - 1)]));
    expect(boxes).toEqual(g.boxes);
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS').length > 0).toBe(WARNS[name]);
  });

  it('Focus: size 2, stride 2, padding 0 on each axis; PatchMerging after the 4×4/4 embedding: size 8, stride 8, padding 0', () => {
    expect(layer(analyze(SPECS.focus.spec), 'cat').receptiveField).toMatchObject({ size: [2, 2], stride: [2, 2], padding: [0, 0] });
    expect(layer(analyze(SPECS.patch_merging.spec), 'cat').receptiveField).toMatchObject({ size: [8, 8], stride: [8, 8], padding: [0, 0] });
  });

  it('the zoo\'s swin_t (torchvision.models.swin_t): its three PatchMergings warn nothing', () => {
    const r = analyze(ZOO_BY_NAME.get('swin_t')!.build());
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS').map((w) => w.layer)).toEqual([]);
    // stage 2's merge: the 4×4/4 embedding's phases at stride 8, union size 8 (the merge after it reads global attention)
    expect(layer(r, 'features.2.cat').receptiveField).toMatchObject({ stride: [8, 8] });
  });
});

describe('the same joins quantized (com.microsoft QLinearConcat, as ONNX Runtime\'s QOperator quantizer writes Concat): the fields and warnings of concat', () => {
  // x [1, 3, 8, 8] → QuantizeLinear → the four phases as Slices (steps 2, 2) → QLinearConcat along `axis`
  const quantized = (axis: number, phases: number[][]) =>
    analyzeGraph(
      importOnnx(
        onnxModel({
          inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
          outputs: ['y'],
          initializers: [
            { name: 's', dims: [], data: [0.1] },
            { name: 'z', dims: [], data: [128], type: 'uint8' },
            { name: 'ends', dims: [2], data: [8, 8], type: 'int64' },
            { name: 'axes', dims: [2], data: [2, 3], type: 'int64' },
            { name: 'steps', dims: [2], data: [2, 2], type: 'int64' },
            ...phases.map((o, i) => ({ name: `starts${i}`, dims: [2], data: o, type: 'int64' as const })),
          ],
          nodes: [
            { op: 'QuantizeLinear', name: 'q', inputs: ['x', 's', 'z'], outputs: ['xq'] },
            ...phases.map((_, i) => ({ op: 'Slice', name: `x${i}`, inputs: ['xq', `starts${i}`, 'ends', 'axes', 'steps'], outputs: [`x${i}`] })),
            { op: 'QLinearConcat', name: 'cat', domain: 'com.microsoft', inputs: ['s', 'z', ...phases.flatMap((_, i) => [`x${i}`, 's', 'z'])], outputs: ['y'], attrs: { axis: { i: axis } } },
          ],
        }),
        { inputShapes: {} },
      ).graph,
      DEFAULTS,
    );
  const misaligned = (r: { warnings: { code: string }[] }) => r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS').length;

  it('a quantized Focus stem (four phases along C): 2×2 at stride 2, padding 0, as the float one, and no MISALIGNED_PATHS (it warned)', () => {
    const r = quantized(1, FOUR);
    expect(layer(r, 'cat').receptiveField).toEqual(layer(analyze(SPECS.focus.spec), 'cat').receptiveField);
    expect(layer(r, 'cat').receptiveField).toMatchObject({ size: [2, 2], stride: [2, 2], padding: [0, 0] });
    expect(misaligned(r)).toBe(0);
  });

  it('the diagonal two phases alone still warn, as concat\'s control', () => {
    expect(misaligned(quantized(1, [FOUR[0], FOUR[3]]))).toBeGreaterThan(0);
  });

  it('phase (0, 0) twice joined along W (axis 3): the second piece starts 4 units on, as concat along a spatial dim reads it', () => {
    const float = analyze({ inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], layers: [slice('x0', 'x', [0, 0], [2, 2], [2, 3]), slice('x1', 'x', [0, 0], [2, 2], [2, 3]), { name: 'cat', op: 'concat', inputs: ['x0', 'x1'], dim: 3 }] });
    expect(layer(quantized(3, [FOUR[0], FOUR[0]]), 'cat').receptiveField).toEqual(layer(float, 'cat').receptiveField);
  });
});
