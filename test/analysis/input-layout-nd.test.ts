/**
 * Rank-4 network inputs read by a 3-D window (scripts/goldens_unbatched_clips.py): an unbatched clip
 * [C, D, H, W] into PyTorch's 3-D pools (one sample without its batch axis), or batched by the
 * network (x[None]) into a conv3d, has its field over D, H and W, each unit's box autograd's
 * footprint; before, the input was read as N, C, H, W and the field missed D. A control: an
 * [N, C, H, W] batch whose 2-D convs read it so keeps its field over H and W, though a maxPool3d
 * (2, 1, 1) between them reads the 4-D map as one [C, D, H, W] sample (a max over channel pairs).
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../helpers.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { boxes, graphOf, layoutCases } from './layout-goldens.js';
import type { LayoutCase } from './layout-goldens.js';

const cases = layoutCases('unbatched-clips.json');

describe.each([
  ['pooled', 'maxPool3d (3,2,3) s(2,1,2) p(1,0,1) then avgPool3d 2 on unbatched [2,13,14,16]', ['d', 'h', 'w']],
  ['batched', 'x[None] then conv3d k3 s(1,2,2) p1 on [2,9,10,12]', ['d', 'h', 'w']],
  ['maxout', 'conv2d, maxPool3d (2,1,1) over the 4-D map, conv2d on [N, C, H, W] = [2,6,10,12]', ['h', 'w']],
])('%s: %s', (name, _what, axes) => {
  const c = cases[name];
  const out = analyze(c.spec).outputs[0];

  it(`the output's field is over ${axes.join(', ')}, each unit's box autograd's footprint`, () => {
    expect(out.shape).toEqual(c.output);
    const rf = out.receptiveField!;
    expect(rf).toMatchObject({ global: false, axes });
    expect(boxes(rf, c.unit)).toEqual(c.footprint);
    expect(boxes(rf, c.unit.map((i) => i + 1))).toEqual(c.next);
  });
});

describe('adaptiveAvgPool3d [4,3,5] on unbatched [2,9,10,12]', () => {
  const c = cases.adaptive;
  const out = analyze(c.spec).outputs[0];
  it("the field is over d, h, w; each unit's box holds autograd's footprint (an adaptive field is its windows' envelope)", () => {
    expect(out.shape).toEqual(c.output);
    const rf = out.receptiveField!;
    expect(rf).toMatchObject({ global: false, axes: ['d', 'h', 'w'] });
    for (const [unit, footprint] of [[c.unit, c.footprint], [c.unit.map((i) => i + 1), c.next]] as const) {
      boxes(rf, unit).forEach(([lo, hi], a) => {
        expect(lo).toBeLessThanOrEqual(footprint[a][0]);
        expect(hi).toBeGreaterThanOrEqual(footprint[a][1]);
      });
    }
  });
});

describe('what the report compares with the unbatched clip', () => {
  it.each(['pooled', 'adaptive'])('%s: every layer\'s field is the batch of one\'s ([1, C, D, H, W], the same layers)', (name) => {
    const spec = cases[name].spec;
    const batched = { ...spec, inputs: [{ name: 'x', shape: [1, ...spec.inputs[0].shape] }] };
    const fields = (s: LayoutCase['spec']) => analyze(s).layers.map((l) => l.receptiveField);
    expect(fields(spec)).toEqual(fields(batched));
    expect(fields(spec).every((f) => f && !f.global && f.axes.length === 3)).toBe(true);
  });

  it('inference names the clip an unbatched input; the maxout batch is not', () => {
    expect(inferGraph(graphOf(cases.pooled)).imageInputs).toEqual(['x']);
    expect(inferGraph(graphOf(cases.maxout)).imageInputs).toBeUndefined();
  });

  it('maxPool3d k3 s1 p1 three times on unbatched [2,3,4,5]: field 7×7×7, RECEPTIVE_FIELD_EXCEEDS_INPUT against the 3×4×5 input (was 7×7 against 4×5)', () => {
    const pool = { op: 'maxPool3d', kernelSize: 3, stride: 1, padding: 1 };
    const r = analyze({ name: 't', inputs: [{ name: 'x', shape: [2, 3, 4, 5] }], layers: [0, 1, 2].map((i) => ({ name: `p${i}`, ...pool })) });
    expect(r.outputs[0].receptiveField).toMatchObject({ axes: ['d', 'h', 'w'], size: [7, 7, 7], stride: [1, 1, 1], padding: [3, 3, 3] });
    const w = r.warnings.filter((x) => x.code === 'RECEPTIVE_FIELD_EXCEEDS_INPUT');
    expect(w).toHaveLength(1);
    expect(w[0].message).toContain('7×7×7, wider than the 3×4×5 input');
  });
});
