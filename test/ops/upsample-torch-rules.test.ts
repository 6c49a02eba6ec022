/**
 * What torch 1.13 does by output size whatever the scale factor given (ATen's UpSample.h on the
 * CPU), and how ±inf and −0 pass: nearest_idx reads o when an axis keeps its size and o >> 1 when
 * it doubles (2-D and 3-D on one channel, the channels-last kernel a C = 1 tensor takes; C > 1 and
 * 1-D read floor(o/scale)), linear modes copy an axis that keeps its size
 * (compute_source_index_and_lambda, either alignCorners), bicubic has neither. The numbers in the
 * titles are torch's; the fixtures' `edges` (scripts/operator_goldens.py, scripts/goldens_conv_nd.py)
 * hold its non-finite and −0 outputs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { analyze, layer, net } from '../helpers.js';
import { run } from './op-helpers.js';

describe('by size, whatever the scale', () => {
  it('2-D nearest [1,2,3] (H 3) ×[2.1, 1]: H′ = 6 = 2H reads o >> 1 → [1,1,2,2,3,3] (floor(o/2.1) read [1,1,1,2,2,3])', () => {
    expect(run('upsample', [[[1, 1, 3, 1], [1, 2, 3]]], { scaleFactor: [2.1, 1] })[0]).toEqual({ shape: [1, 1, 6, 1], data: [1, 1, 2, 2, 3, 3] });
  });

  it('2-D nearest 0…6 (W 7) ×[1, 1.1]: W′ = floor(7.7) = 7 = W, a copy (floor(o/1.1) read [0,0,1,2,3,4,5])', () => {
    expect(run('upsample', [[[1, 1, 1, 7], [0, 1, 2, 3, 4, 5, 6]]], { scaleFactor: [1, 1.1] })[0].data).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('with two channels nearest reads floor(o/1.1): 0…3 ×[1, 1.1] → [0,0,1,2] in each plane (torch 1.13 on [1,2,1,4]); bilinear still copies', () => {
    const x: [number[], number[]] = [[1, 2, 1, 4], [0, 1, 2, 3, 4, 5, 6, 7]];
    expect(run('upsample', [x], { scaleFactor: [1, 1.1] })[0].data).toEqual([0, 0, 1, 2, 4, 4, 5, 6]);
    expect(run('upsample', [x], { mode: 'bilinear', scaleFactor: [1, 1.1] })[0].data).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(run('upsample3d', [[[1, 2, 1, 1, 4], x[1]]], { scaleFactor: [1, 1, 1.1] })[0].data).toEqual([0, 0, 1, 2, 4, 4, 5, 6]);
  });

  it('3-D nearest follows the 2-D rule; 1-D does not: ×1.1 on 0…6 gives floor(o/1.1) = [0,0,1,2,3,4,5], ×2.1 on [1,2,3] gives [1,1,1,2,2,3]', () => {
    expect(run('upsample3d', [[[1, 1, 3, 1, 1], [1, 2, 3]]], { scaleFactor: [2.1, 1, 1] })[0].data).toEqual([1, 1, 2, 2, 3, 3]);
    expect(run('upsample3d', [[[1, 1, 1, 1, 7], [0, 1, 2, 3, 4, 5, 6]]], { scaleFactor: [1, 1, 1.1] })[0].data).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(run('upsample1d', [[[1, 1, 7], [0, 1, 2, 3, 4, 5, 6]]], { scaleFactor: 1.1 })[0].data).toEqual([0, 0, 1, 2, 3, 4, 5]);
    expect(run('upsample1d', [[[1, 1, 3], [1, 2, 3]]], { scaleFactor: 2.1 })[0].data).toEqual([1, 1, 1, 2, 2, 3]);
  });

  it('linear ×1.1 on [1,2,3,4]: 4 = floor(4.4) outputs, a copy [1,2,3,4] with and without alignCorners (1/1.1 read 1, 1.86, 2.77, 3.68)', () => {
    expect(run('upsample1d', [[[1, 1, 4], [1, 2, 3, 4]]], { mode: 'linear', scaleFactor: 1.1 })[0].data).toEqual([1, 2, 3, 4]);
    expect(run('upsample1d', [[[1, 1, 4], [1, 2, 3, 4]]], { mode: 'linear', scaleFactor: 1.1, alignCorners: true })[0].data).toEqual([1, 2, 3, 4]);
    expect(run('upsample3d', [[[1, 1, 1, 1, 4], [1, 2, 3, 4]]], { mode: 'trilinear', scaleFactor: [1, 1, 1.1] })[0].data).toEqual([1, 2, 3, 4]);
  });

  it('bilinear ×[1.25, 2] on [[0,1],[2,3]]: H′ = 2 copies the rows; W ×2 reads (o + ½)/2 − ½ = 0, 0.25, 0.75, 1.25 → row 2 = [2, 2.25, 2.75, 3] (1/1.25 read row 1.4)', () => {
    const y = run('upsample', [[[1, 1, 2, 2], [0, 1, 2, 3]]], { mode: 'bilinear', scaleFactor: [1.25, 2] })[0];
    expect(y).toEqual({ shape: [1, 1, 2, 4], data: [0, 0.25, 0.75, 1, 2, 2.25, 2.75, 3] });
  });

  it('bicubic has no copy rule: ×[1, 1.1] on [1,2,3,4] reads (o + ½)/1.1 − ½ → torch [0.96894, 1.80877, 2.72483, 3.75331]', () => {
    const y = run('upsample', [[[1, 1, 1, 4], [1, 2, 3, 4]]], { mode: 'bicubic', scaleFactor: [1, 1.1] })[0].data;
    expect(y).toEqual([0.9689383506774902, 1.808767557144165, 2.7248311042785645, 3.7533106803894043].map((v) => expect.closeTo(v, 5)));
  });

  it('the receptive field follows the reads: a kept axis steps 1 (one unit), a doubled nearest axis ½ (2-D and 3-D)', () => {
    const rf = (spec: Record<string, unknown>, shape: number[]) => layer(analyze(net(shape, spec)), 'l0').receptiveField as { size: number[]; stride: number[] };
    // bilinear ×[1.1, 2]: H copied, one unit at stride 1 (1/1.1 would give 0.909 and two units); W ×2 the envelope of [0,0] [0,1] [0,1] [1,2] …: 2.5
    expect(rf({ op: 'upsample', mode: 'bilinear', scaleFactor: [1.1, 2] }, [1, 1, 8, 8])).toMatchObject({ size: [1, 2.5], stride: [1, 0.5] });
    // nearest ×[2.1, 1.1] on 8×8: 16 = 2·8 rows read o >> 1 (stride ½, pairs: size 1.5 as ×2), 8 columns copied
    expect(rf({ op: 'upsample', scaleFactor: [2.1, 1.1] }, [1, 1, 8, 8])).toMatchObject({ stride: [0.5, 1], size: [1.5, 1] });
    expect(rf({ op: 'upsample3d', scaleFactor: [2.1, 1.1, 1] }, [1, 1, 4, 8, 8])).toMatchObject({ stride: [0.5, 1, 1], size: [1.5, 1, 1] });
    // 1-D keeps floor(o/1.1): stride 1/1.1
    expect(rf({ op: 'upsample1d', scaleFactor: 1.1 }, [1, 1, 8]).stride[0]).toBeCloseTo(1 / 1.1, 8);
  });

  it('the gradient reads the same taps: nearest ×[2.1, 1] sums pairs of g = 1…6 into [3, 7, 11]; bilinear ×[1.25, 2] with g = 1…8 gives torch [3.25, 6.75, 11.25, 14.75]', () => {
    const grad = (x: [number[], number[]], attributes: Record<string, unknown>, g: number[]) => {
      const out = run('upsample', [x], attributes)[0];
      const { gradInputs } = vjpOperator({ name: 'upsample', inputs: [tensor(x[0], Float32Array.from(x[1]))], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 16, gradOutputs: [tensor(out.shape, Float32Array.from(g))] });
      return Array.from(gradInputs[0]!.data);
    };
    expect(grad([[1, 1, 3, 1], [1, 2, 3]], { scaleFactor: [2.1, 1] }, [1, 2, 3, 4, 5, 6])).toEqual([3, 7, 11]);
    // row copies; along W the ×2 weights: input 0 gets 1 + 0.75·2 + 0.25·3 = 3.25, input 1 gets 0.25·2 + 0.75·3 + 4 = 6.75
    expect(grad([[1, 1, 2, 2], [0, 1, 2, 3]], { mode: 'bilinear', scaleFactor: [1.25, 2] }, [1, 2, 3, 4, 5, 6, 7, 8])).toEqual([3.25, 6.75, 11.25, 14.75]);
  });
});

interface Edge { name: string; op: string; attributes: Record<string, unknown>; input: { shape: number[]; data: (number | string)[] }; output: { shape: number[]; data: (number | string)[] } }
const edges = ['goldens.json', 'conv_nd.json'].flatMap(
  (f) => (JSON.parse(readFileSync(new URL(`../fixtures/operators/${f}`, import.meta.url), 'utf8')) as { edges: Edge[] }).edges,
);
const value = (v: number | string) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : v === '-0' ? -0 : Number(v));

describe('±inf and −0 as torch 1.13: nearest copies, linear sums its own taps (zero weights included, as torch)', () => {
  it('1-D nearest ×2 on [1, inf, −inf, 2] → [1,1,inf,inf,−inf,−inf,2,2] (0·inf in a unit axis made NaN); linear size 5 alignCorners on [0, inf, 2] → [NaN, inf, inf, inf, 2]', () => {
    expect(run('upsample1d', [[[1, 1, 4], [1, Infinity, -Infinity, 2]]], { scaleFactor: 2 })[0].data).toEqual([1, 1, Infinity, Infinity, -Infinity, -Infinity, 2, 2]);
    // o = 0 reads 1·x0 + 0·x1 = 0 + 0·inf = NaN; o = 4 reads x2 twice
    expect(run('upsample1d', [[[1, 1, 3], [0, Infinity, 2]]], { mode: 'linear', size: 5, alignCorners: true })[0].data).toEqual([NaN, Infinity, Infinity, Infinity, 2]);
  });

  it('2-D nearest ×2 keeps −0 (an accumulator from 0 made it +0)', () => {
    const y = run('upsample', [[[1, 1, 1, 2], [-0, 1]]], { scaleFactor: 2 })[0].data;
    expect(y.map((v) => Object.is(v, -0))).toEqual([true, true, false, false, true, true, false, false]);
  });

  it.each(edges.map((e) => [e.name, e] as const))("torch's edge: %s", (_, e) => {
    const y = run(e.op, [[e.input.shape, e.input.data.map(value)]], e.attributes)[0];
    expect(y.shape).toEqual(e.output.shape);
    // Object.is: NaN equals NaN, −0 differs from +0
    expect(y.data.map((v, i) => Object.is(v, value(e.output.data[i])) || v === value(e.output.data[i]) && v !== 0)).toEqual(y.data.map(() => true));
  });
});

// found by the differential run against PyTorch: the exact quotient o·(I − 1)/(O − 1) (or (o + ½)·I/O − ½)
// read k and k + 1 where ATen's float32 step read k − 1 and k
describe('linear sources as ATen computes them: the step rounded to float32, the product exact', () => {
  // I = 15, O = 28, alignCorners: float32(14/27)·27 = 13.9999997, so output 27 reads x13 (weight 3e-7) and x14
  const x15 = (v13: number) => Array.from({ length: 15 }, (_, i) => (i === 13 ? v13 : i === 14 ? 5 : 0));

  it('upsample1d linear size 28 alignCorners on x[13] = inf, x[14] = 5: F.interpolate gives inf at outputs 26 and 27 (the exact quotient read x14 alone: 5)', () => {
    const y = run('upsample1d', [[[1, 1, 15], x15(Infinity)]], { mode: 'linear', size: 28, alignCorners: true })[0].data;
    expect(y.slice(26)).toEqual([Infinity, Infinity]);
  });

  it('upsample bilinear size [1, 28] and upsample3d trilinear size [1, 1, 28] alignCorners on x[13] = NaN, x[14] = 5: F.interpolate gives NaN at outputs 26 and 27', () => {
    expect(run('upsample', [[[1, 1, 1, 15], x15(NaN)]], { mode: 'bilinear', size: [1, 28], alignCorners: true })[0].data.slice(26)).toEqual([NaN, NaN]);
    expect(run('upsample3d', [[[1, 1, 1, 1, 15], x15(NaN)]], { mode: 'trilinear', size: [1, 1, 28], alignCorners: true })[0].data.slice(26)).toEqual([NaN, NaN]);
  });

  it('bilinear [9, 2] → [11, 3] on x = 0…17 with row 3 = −inf: output row 5 reads 5.5·float32(9/11) − ½ = 3.99999997, rows 3 and 4 with ATen\'s float32 weights 1 − float32(0.99999997) = 0 and 1, so 0·(−inf) = NaN; F.interpolate\'s column 1 is [0.5, 1.9545455, 3.590909, −inf, −inf, NaN, 10.136364, …]', () => {
    const x = Array.from({ length: 18 }, (_, i) => (i === 6 || i === 7 ? -Infinity : i));
    const y = run('upsample', [[[1, 1, 9, 2], x]], { mode: 'bilinear', size: [11, 3] })[0].data;
    const col = Array.from({ length: 11 }, (_, r) => y[r * 3 + 1]);
    expect(col.slice(3, 6)).toEqual([-Infinity, -Infinity, NaN]);
    expect(col[6]).toBeCloseTo(10.136363983154297, 5);
    expect(y.slice(15, 18)).toEqual([NaN, NaN, NaN]);
  });

  it('half pixel, I = 3 → O = 19: output 9 is (9.5)·float32(3/19) − ½ = 0.99999994, reading x0 and x1; F.interpolate on [inf, 2, 3] gives [inf, inf, 2.1578946] at outputs 8–10, bilinear on [NaN, 2, 3] [NaN, NaN, 2.1578946]', () => {
    const y1 = run('upsample1d', [[[1, 1, 3], [Infinity, 2, 3]]], { mode: 'linear', size: 19 })[0].data;
    expect(y1.slice(8, 10)).toEqual([Infinity, Infinity]);
    expect(y1[10]).toBeCloseTo(2.1578946113586426, 6);
    const y2 = run('upsample', [[[1, 1, 1, 3], [NaN, 2, 3]]], { mode: 'bilinear', size: [1, 19] })[0].data;
    expect(y2.slice(8, 10)).toEqual([NaN, NaN]);
    expect(y2[10]).toBeCloseTo(2.1578946113586426, 6);
  });
});
