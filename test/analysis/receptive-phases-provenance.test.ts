/**
 * Which pieces are phases of one map (ops/receptive-phases.ts phaseGrid, the slices' provenance in
 * TensorRF.phase): by their fields alone, two different convs off by half their stride form a full
 * set of phases, and were not warned MISALIGNED_PATHS. Hand-worked on an 8×8 map, along H:
 *   a = conv k[2, 1] s[2, 1] p0          unit i reads rows [2i, 2i + 1]      r 2, j 2, centre 0.5
 *   b = conv k[2, 1] s[2, 1] p[1, 0], its first 4 rows
 *                                        unit i reads rows [2i − 1, 2i]      r 2, j 2, centre −0.5
 * centres 1 = j/2 apart, the two phases of a stride-1 map: the heuristic took them for a
 * space-to-depth. They are two paths whose boxes differ by a row: concat unit i reads [2i − 1, 2i + 1]
 * (size 3, stride 2, padding 1), a union of misaligned boxes. The same fields cut from one map,
 * m = conv k[2, 1] s1 p[1, 0] (9 rows; unit i reads [i − 1, i]) sliced 0::2 and 1::2 (4 rows each),
 * are its phases: the same union, no warning.
 */
import { describe, expect, it } from 'vitest';
import { analyze, layer } from '../helpers.js';

const UNION = { global: false, axes: ['h', 'w'], size: [3, 1], stride: [2, 1], padding: [1, 0], centre: [0, 0] };
const x = { name: 'x', shape: [1, 1, 8, 8] };
const rows = (name: string, from: string, start: number, step: number) => ({ name, op: 'slice', inputs: from, starts: [start], ends: [8], axes: [2], steps: [step] });
const misaligned = (r: { warnings: { code: string; layer?: string }[] }) => r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS').map((w) => w.layer);

describe('two pieces at stride 2 whose centres are j/2 apart, joined along C: phases of one map or two paths', () => {
  it('two convs k[2, 1] s[2, 1], padded 0 and [1, 0] (b cropped to 4 rows): MISALIGNED_PATHS at the concat (the phase heuristic passed them); the union 3 at stride 2', () => {
    const r = analyze({
      inputs: [x],
      layers: [
        { name: 'a', op: 'conv2d', inputs: 'x', outChannels: 1, kernelSize: [2, 1], stride: [2, 1] },
        { name: 'b0', op: 'conv2d', inputs: 'x', outChannels: 1, kernelSize: [2, 1], stride: [2, 1], padding: [1, 0] },
        { name: 'b', op: 'slice', inputs: 'b0', starts: [0], ends: [4], axes: [2] },
        { name: 'cat', op: 'concat', inputs: ['a', 'b'], dim: 1 },
      ],
    });
    expect(layer(r, 'a').receptiveField).toMatchObject({ size: [2, 1], stride: [2, 1], centre: [0.5, 0] });
    expect(layer(r, 'b').receptiveField).toMatchObject({ size: [2, 1], stride: [2, 1], centre: [-0.5, 0] });
    expect(layer(r, 'cat').receptiveField).toEqual(UNION);
    expect(misaligned(r)).toEqual(['cat']);
  });

  it('m = conv k[2, 1] s1 p[1, 0] sliced 0::2 and 1::2: the same two fields and union, phases of m: no warning', () => {
    const r = analyze({
      inputs: [x],
      layers: [
        { name: 'm', op: 'conv2d', inputs: 'x', outChannels: 1, kernelSize: [2, 1], padding: [1, 0] },
        rows('b', 'm', 0, 2),
        rows('a', 'm', 1, 2),
        { name: 'cat', op: 'concat', inputs: ['a', 'b'], dim: 1 },
      ],
    });
    expect(layer(r, 'a').receptiveField).toMatchObject({ size: [2, 1], stride: [2, 1], centre: [0.5, 0] });
    expect(layer(r, 'b').receptiveField).toMatchObject({ size: [2, 1], stride: [2, 1], centre: [-0.5, 0] });
    expect(layer(r, 'cat').receptiveField).toEqual(UNION);
    expect(misaligned(r)).toEqual([]);
  });

  it('phases of a 1×1 conv\'s map (16 rows) each through a conv k[2, 1] s1, padded 0 and [1, 0] (the second cropped to 7 rows): r 3, j 2, centres 1 and 0, j/2 apart again, but no longer the slices\' fields: warned (the heuristic passed them)', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 1, 16, 8] }],
      layers: [
        { name: 'm', op: 'conv2d', inputs: 'x', outChannels: 1, kernelSize: [1, 1] },
        { name: 'p0', op: 'slice', inputs: 'm', starts: [0], ends: [16], axes: [2], steps: [2] },
        { name: 'p1', op: 'slice', inputs: 'm', starts: [1], ends: [16], axes: [2], steps: [2] },
        { name: 'q0', op: 'conv2d', inputs: 'p0', outChannels: 1, kernelSize: [2, 1] },
        { name: 'q1', op: 'conv2d', inputs: 'p1', outChannels: 1, kernelSize: [2, 1], padding: [1, 0] },
        { name: 'q1c', op: 'slice', inputs: 'q1', starts: [0], ends: [7], axes: [2] },
        { name: 'cat', op: 'concat', inputs: ['q0', 'q1c'], dim: 1 },
      ],
    });
    expect(layer(r, 'q0').receptiveField).toMatchObject({ size: [3, 1], stride: [2, 1], centre: [1, 0] });
    expect(layer(r, 'q1c').receptiveField).toMatchObject({ size: [3, 1], stride: [2, 1], centre: [0, 0] });
    expect(misaligned(r)).toEqual(['cat']);
  });
});
