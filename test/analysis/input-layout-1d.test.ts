/**
 * Rank-2 network inputs read by a 1-D window (scripts/goldens_unbatched_signals.py): an unbatched
 * signal [C, L] into PyTorch's 1-D pools (nn.MaxPool1d on a 2-D tensor: one sample without its
 * batch axis), or batched by the network (x[None]) into a conv1d, has its field over L, each unit's
 * box autograd's footprint; before, a rank-2 input carried no field at all. A control: an [N, F]
 * batch whose linear mixes every feature, then a maxPool1d over the features (torch reads the 2-D
 * tensor as [C, L]: maxout), keeps no field.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, analyze, errorOf } from '../helpers.js';
import { sweepResolutions } from '../../src/analysis/sweep.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { boxes, graphOf, layoutCases } from './layout-goldens.js';
import type { LayoutCase } from './layout-goldens.js';

const cases = layoutCases('unbatched-signals.json');


describe.each([
  // r = 5 + (3 − 1)·2 = 9, S = 4, P = 2: unit 3 reads [10, 18]
  ['pooled', 'maxPool1d k5 s2 p2, then avgPool1d k3 s2 ceil on unbatched [3, 29]', { size: [9], stride: [4], padding: [2] }],
  // r = 3, S = 2, P = 1: unit 4 reads [7, 9]
  ['batched', 'x[None] then conv1d k3 s2 p1 on [2, 19]', { size: [3], stride: [2], padding: [1] }],
])('%s: %s', (name, _what, field) => {
  const c = cases[name];
  const out = analyze(c.spec).outputs[0];

  it("the output's field is over l, each unit's box autograd's footprint (was: no field)", () => {
    expect(out.shape).toEqual(c.output);
    const rf = out.receptiveField!;
    expect(rf).toMatchObject({ global: false, axes: ['l'], ...field });
    expect(boxes(rf, c.unit)).toEqual(c.footprint);
    expect(boxes(rf, c.unit.map((i) => i + 1))).toEqual(c.next);
  });
});

describe('adaptiveAvgPool1d 5 on unbatched [2, 17]', () => {
  const c = cases.adaptive;
  const out = analyze(c.spec).outputs[0];
  it("the field is over l; each unit's box holds autograd's footprint (an adaptive field is its windows' envelope)", () => {
    expect(out.shape).toEqual(c.output);
    const rf = out.receptiveField!;
    expect(rf).toMatchObject({ global: false, axes: ['l'] });
    for (const [unit, footprint] of [[c.unit, c.footprint], [c.unit.map((i) => i + 1), c.next]] as const) {
      const [[lo, hi]] = boxes(rf, unit);
      expect(lo).toBeLessThanOrEqual(footprint[0][0]);
      expect(hi).toBeGreaterThanOrEqual(footprint[0][1]);
    }
  });
});

describe('maxout: linear(6 → 8), then maxPool1d 2 over the features of an [N, F] batch [4, 6]', () => {
  const c = cases.maxout;
  it('no field over L (each unit reads every feature: autograd finds [0, 5]); the input is not read as a signal', () => {
    expect(c.footprint).toEqual([[0, 5]]);
    const r = analyze(c.spec);
    expect(r.outputs[0].shape).toEqual(c.output);
    expect(r.layers.map((l) => l.receptiveField)).toEqual([null, null]);
    expect(inferGraph(graphOf(c)).imageInputs).toBeUndefined();
  });
});

describe('what the report compares with the unbatched signal', () => {
  it.each(['pooled', 'adaptive'])("%s: every layer's field is the batch of one's ([1, C, L], the same layers)", (name) => {
    const spec = cases[name].spec;
    const batched = { ...spec, inputs: [{ name: 'x', shape: [1, ...spec.inputs[0].shape] }] };
    const fields = (s: LayoutCase['spec']) => analyze(s).layers.map((l) => l.receptiveField);
    expect(fields(spec)).toEqual(fields(batched));
    expect(fields(spec).every((f) => f && !f.global && f.axes.length === 1)).toBe(true);
  });

  it('inference names the signal an unbatched input; the maxout batch is not', () => {
    expect(inferGraph(graphOf(cases.pooled)).imageInputs).toEqual(['x']);
    expect(inferGraph(graphOf(cases.batched)).imageInputs).toEqual(['x']);
  });

  it('maxPool1d k3 s1 p1 three times on unbatched [2, 5]: field 7, RECEPTIVE_FIELD_EXCEEDS_INPUT against the 5 input (was: no field, no warning)', () => {
    const pool = { op: 'maxPool1d', kernelSize: 3, stride: 1, padding: 1 };
    const r = analyze({ name: 't', inputs: [{ name: 'x', shape: [2, 5] }], layers: [0, 1, 2].map((i) => ({ name: `p${i}`, ...pool })) });
    expect(r.outputs[0].receptiveField).toMatchObject({ axes: ['l'], size: [7], stride: [1], padding: [3] });
    const w = r.warnings.filter((x) => x.code === 'RECEPTIVE_FIELD_EXCEEDS_INPUT');
    expect(w).toHaveLength(1);
    expect(w[0].message).toContain('a receptive field of 7, wider than the 5 input');
  });
});

describe('sweep over an unbatched signal', () => {
  it('has no H and W to resize, as an [N, C, L] input has not: INVALID_OPTION at $.input (was: its C and L resized as H and W, [2, 29] → [32, 32])', () => {
    const e = errorOf(() => sweepResolutions({ kind: 'spec', spec: cases.pooled.spec }, { sizes: [32] }, DEFAULTS));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details.path).toBe('$.input');
    expect(e.message).toContain('no NCHW (or NCDHW) input to resize');
  });
});
