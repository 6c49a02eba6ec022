/**
 * Rank-3 inputs a 2-D network batches itself (scripts/export_unbatched_inputs.py): a detector's
 * unbatched C,H,W image (torch.onnx.export of torchvision's `model([image])`) and an [N, F, T]
 * spectrogram unsqueezed to [N, 1, F, T]. Their fields are over the input's last two axes, as
 * PyTorch autograd's gradient footprint of an output unit spans them; before, the input was read
 * as N,C,L and every field was one number over the last axis (SSDlite at 3×300×400: a final map
 * "3225.25, wider than the 400 input"). A 2-D max pool alone tells it as a conv2d does; a 1-D network
 * on [N, C, L], or a conv1d written as 1×k conv2d on x.unsqueeze(2), keeps its field over L.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { loadGraph } from '../../src/graph/load.js';
import { sweepResolutions } from '../../src/analysis/sweep.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { conv2d } from '../../src/ops/conv.js';
import { DEFAULTS } from '../helpers.js';

interface Truth {
  input: number[];
  output: number[];
  unit: number[];
  footprint: [number, number][];
  next: [number, number][];
}
const truth = JSON.parse(readFileSync(new URL('../fixtures/onnx/layout/truth.json', import.meta.url), 'utf8')).models as Record<string, Truth>;

function report(name: string) {
  const bytes = new Uint8Array(readFileSync(new URL(`../fixtures/onnx/layout/${name}.onnx`, import.meta.url)));
  const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: name === 'image' ? { image: truth.image.input } : {} });
  return analyzeGraph(graph, DEFAULTS);
}

/** The box [i·S − P, i·S − P + r − 1] of unit i on each axis of the field. */
function boxes(rf: { size: number[] | null; stride: number[] | null; padding: number[] | null }, unit: readonly number[]) {
  if (!rf.size || !rf.stride || !rf.padding) throw new Error('a global field has no box');
  const { size, stride, padding } = rf;
  return unit.map((i, a) => [i * stride[a] - padding[a], i * stride[a] - padding[a] + size[a] - 1]);
}

describe.each([
  ['image', ['h', 'w']],
  ['spectrogram', ['h', 'w']],
  // its only 2-D window a maxPool2d's (OpDef.windowedAxes: 2, as conv2d's)
  ['pooled', ['h', 'w']],
])('%s: a rank-3 input the network windows in 2-D', (name, axes) => {
  const t = truth[name];
  const r = report(name);
  const out = r.outputs[0];

  it("the output's field is over the input's last two axes, each unit's box autograd's footprint", () => {
    expect(out.shape).toEqual(t.output);
    const rf = out.receptiveField!;
    expect(rf).toMatchObject({ global: false, axes });
    // footprint per input axis after the first: the last two are the field's
    expect(boxes(rf, t.unit)).toEqual(t.footprint.slice(-2));
    expect(boxes(rf, t.unit.map((i) => i + 1))).toEqual(t.next.slice(-2));
  });
});

describe.each([
  ['signal', 'conv1d on [N, C, L]'],
  ['unsqueezed', '1×5 conv2d on x.unsqueeze(2): a 2-D window over a 1×L map'],
])('%s: %s', (name) => {
  it('keeps its field over L', () => {
    const t = truth[name];
    const rf = report(name).outputs[0].receptiveField!;
    expect(rf).toMatchObject({ global: false, axes: ['l'] });
    expect(boxes(rf, t.unit)).toEqual(t.footprint.slice(-1));
    expect(boxes(rf, t.unit.map((i) => i + 1))).toEqual(t.next.slice(-1));
  });
});

describe('sweep over an unbatched image input', () => {
  it('resizes its H and W: MACs by the conv formula N·Cout·H′·W′·Cin·kh·kw at each size (was: no NCHW input to resize)', () => {
    const bytes = new Uint8Array(readFileSync(new URL('../fixtures/onnx/layout/image.onnx', import.meta.url)));
    const r = sweepResolutions({ kind: 'onnx', bytes, inputShapes: { image: [3, 20, 24] } }, { sizes: [[40, 48], 64] }, DEFAULTS);
    expect(r.input).toBe('image');
    // c1: 4 out channels over the half-size map, 3·3·5 taps; c2: 4 over the same map, 4·3·3 taps
    const macs = (h: number, w: number) => 4 * (h / 2) * (w / 2) * 3 * 3 * 5 + 4 * (h / 2) * (w / 2) * 4 * 3 * 3;
    expect(r.sizes.map((s) => [s.size, s.macs])).toEqual([
      [[40, 48], macs(40, 48)],
      [[64, 64], macs(64, 64)],
    ]);
  });
});

describe('an unbatched image input is inferred once', () => {
  it("each conv's shape and cost inferred once, only the fields propagated again (was: the whole graph inferred twice, the second walk outside MAX_ANALYSIS_WORK)", () => {
    const bytes = new Uint8Array(readFileSync(new URL('../fixtures/onnx/layout/image.onnx', import.meta.url)));
    const { graph } = loadGraph({ kind: 'onnx', bytes, inputShapes: { image: truth.image.input } });
    const convs = graph.layers.filter((l) => l.op === 'conv2d').length;
    const infer = vi.spyOn(conv2d, 'infer');
    try {
      const inference = inferGraph(graph);
      expect(inference.imageInputs).toEqual(['image']);
      expect(convs).toBe(2);
      expect(infer).toHaveBeenCalledTimes(convs);
    } finally {
      infer.mockRestore();
    }
  });
});
