/**
 * The effective receptive field of one unbatched sample (runtime/erf-input.ts batchedView): an image
 * [C, H, W] into PyTorch's 2-D pools (nn.MaxPool2d on a 3-D tensor), or one the network batches
 * itself (x[None] into a conv2d), and a clip [C, D, H, W] into a 3-D pool. PyTorch runs them as the
 * batch of one, so the answers are the batched network's, number for number: the unit, the default
 * map, the stages, the statistics, the magnitude map; the gradient has the input's own shape (its data
 * the batch of one's). Before, such an input was refused (INVALID_OPTION: not an image). Hand-worked:
 * a 2×2 max pool's unit reaches one pixel per channel, its window's argmax.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeErf, inlineRunner } from '../../src/runtime/erf.js';
import { unitChannelCount, unitChannels } from '../../src/runtime/backward.js';
import { tensor } from '../../src/tensor/tensor.js';
import { erfJob } from './erf-job.js';

const spec = (shape: number[], layers: Record<string, unknown>[]) => ({ name: 't', inputs: [{ name: 'x', shape }], layers: layers.map((l, i) => ({ name: `l${i}`, ...l })) });

const job = erfJob({ source: { kind: 'spec', spec: spec([1, 1, 4, 4], []) }, samples: 2 });

/** The answer but the shapes: what the batched and unbatched runs share (each answers its maps' shapes as the network has them). */
const shared = (r: Awaited<ReturnType<typeof computeErf>>) => ({
  input: r.input,
  stats: r.stats,
  magnitude: [...r.magnitude.data],
  gradient: [...r.gradient.data],
  temporal: r.temporal,
  target: { ...r.target, shape: undefined },
  stages: r.stages.map((s) => ({ ...s, shape: undefined })),
});

describe('maxPool2d 2 on an unbatched [2, 4, 4] image, the input given (hand-worked)', () => {
  // channel 0: 0 … 15 row-major; channel 1: 15 … 0. Unit (1, 1) pools rows 2–3, columns 2–3:
  // channel 0's argmax is 15 at (3, 3), channel 1's is 5 at (2, 2); ∂(y[0,1,1] + y[1,1,1])/∂x is 1 at each
  const x = tensor([2, 4, 4], Float32Array.from([...Array.from({ length: 16 }, (_, k) => k), ...Array.from({ length: 16 }, (_, k) => 15 - k)]));
  const given = job({ source: { kind: 'spec', spec: spec([2, 4, 4], [{ op: 'maxPool2d', kernelSize: 2 }]) }, mode: 'given', samples: 1, inputs: { x }, stages: false });

  it('the centre unit (1, 1) of l0 [2, 2, 2]; the gradient [2, 4, 4], one 1 per channel at its argmax; the magnitude map over H, W (was: INVALID_OPTION, not an image)', async () => {
    const r = await computeErf(inlineRunner, given);
    // the unit's map answered in the shape the network has, [C, H', W'] (was [1, 2, 2, 2], its batched view)
    expect([r.input, r.target.layer, r.target.shape, r.target.position]).toEqual(['x', 'l0', [2, 2, 2], [1, 1]]);
    expect(r.gradient.shape).toEqual([2, 4, 4]);
    const ones = [...r.gradient.data].flatMap((v, k) => (v !== 0 ? [[k, v]] : []));
    expect(ones).toEqual([
      [15, 1],
      [16 + 10, 1],
    ]);
    expect(r.magnitude.shape).toEqual([1, 1, 4, 4]);
    expect([...r.magnitude.data].flatMap((v, k) => (v !== 0 ? [[k, v]] : []))).toEqual([
      [10, 1],
      [15, 1],
    ]);
    // the unit's 2×2 window at stride 2: rows and columns 2–3; the two pixels inside it
    expect(r.stats.theoretical).toMatchObject({ global: false, size: [2, 2], box: { top: 2, left: 2, bottom: 3, right: 3 } });
    expect(r.stats.support).toMatchObject({ pixels: 2, box: { top: 2, left: 2, bottom: 3, right: 3 }, insideTheoretical: true });
  });

  it("the same answer as the batch of one [1, 2, 4, 4] given the same values, but the shapes: each the network's own", async () => {
    const batched = await computeErf(inlineRunner, { ...given, source: { kind: 'spec', spec: spec([1, 2, 4, 4], [{ op: 'maxPool2d', kernelSize: 2 }]) }, inputs: { x: { ...x, shape: [1, 2, 4, 4] } } });
    const u = await computeErf(inlineRunner, given);
    expect([u.target.shape, batched.target.shape]).toEqual([
      [2, 2, 2],
      [1, 2, 2, 2],
    ]);
    expect(shared(u)).toEqual(shared(batched));
  });

  it("a position outside l0 is refused quoting the map's shape as the answer gives it, [2, 2, 2] (was: its batched view [1, 2, 2, 2])", async () => {
    const refused = computeErf(inlineRunner, { ...given, target: { layer: 'l0', channels: null, position: [5, 0] } });
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_OPTION', message: "position 5 is outside 'l0' [2, 2, 2] along rows (0–1)", details: { path: '$.position[0]', shapes: { map: [2, 2, 2] } } });
  });

  it('channels [1] of l0 [2, 2, 2]: one channel of two, read at dim 0 (was: dim 1 of the batched view)', async () => {
    const r = await computeErf(inlineRunner, { ...given, target: { layer: 'l0', channels: [1], position: [1, 1] } });
    expect(r.target.shape).toEqual([2, 2, 2]);
    expect([unitChannels(r.target), unitChannelCount(r.target)]).toEqual([[1], 1]);
    // channel 1's argmax only: 5 at (2, 2)
    expect([...r.gradient.data].flatMap((v, k) => (v !== 0 ? [k] : []))).toEqual([16 + 10]);
    const all = await computeErf(inlineRunner, { ...given, target: { layer: 'l0', channels: [0, 1], position: [1, 1] } });
    expect([unitChannels(all.target), unitChannelCount(all.target)]).toEqual([null, 2]);
  });
});

// the final map's shape as the network has it: a pool of the unbatched sample [C, …], a conv after the network's own x[None] [1, C, …] (was [1, C, …] for all)
describe.each<[string, string, number[], Record<string, unknown>[], number[], number[]]>([
  ['pools', 'maxPool2d k3 s1 p1, avgPool2d 2, avgPool2d k3 p1 on [2, 8, 10]', [2, 8, 10], [{ op: 'maxPool2d', kernelSize: 3, stride: 1, padding: 1 }, { op: 'avgPool2d', kernelSize: 2 }, { op: 'avgPool2d', kernelSize: 3, stride: 1, padding: 1 }], [], [2, 4, 5]],
  ['x[None]', 'unsqueeze 0, conv2d k3 s2 p1, relu on [3, 9, 11] (the network batches itself)', [3, 9, 11], [{ op: 'unsqueeze', axes: [0] }, { op: 'conv2d', outChannels: 4, kernelSize: 3, stride: 2, padding: 1 }, { op: 'relu' }], [0], [1, 4, 5, 6]],
  ['clip', 'avgPool3d k3 p1, maxPool3d 2 on [2, 6, 8, 8] (was refused: give it its batch axis)', [2, 6, 8, 8], [{ op: 'avgPool3d', kernelSize: 3, stride: 1, padding: 1 }, { op: 'maxPool3d', kernelSize: 2 }], [], [2, 3, 4, 4]],
])('%s: %s, 3 random inputs', (_name, _what, shape, layers, dropped, finalShape) => {
  // the batched network: the same layers on [1, …shape], without the network's own x[None]
  const batchedSpec = spec([1, ...shape], layers.filter((_, i) => !dropped.includes(i)).map((l, i) => ({ ...l, name: `l${i + dropped.length}` })));
  const unbatchedSpec = spec(shape, layers);

  it("every number of the batch of one's answer: unit, default map, stages, statistics, magnitude, gradient data; the gradient in the input's own shape", async () => {
    const [u, b] = await Promise.all([unbatchedSpec, batchedSpec].map((s) => computeErf(inlineRunner, job({ source: { kind: 'spec', spec: s }, samples: 3 }))));
    expect(u.gradient.shape).toEqual(shape);
    expect(b.gradient.shape).toEqual([1, ...shape]);
    expect(u.target.shape).toEqual(finalShape);
    // its channels counted at the dim before the unit's position: C of [C, H', W'] (was H' there, read at dim 1)
    expect(unitChannelCount(u.target)).toBe(unitChannelCount(b.target));
    // every stage's shape the network's: the unbatched maps one axis short of the batch of one's
    const dims = new Map(b.stages.map((st) => [st.layer, st.shape.length]));
    expect(u.stages.filter((st) => dims.has(st.layer)).length).toBeGreaterThan(0);
    for (const st of u.stages) if (dims.has(st.layer)) expect([st.layer, st.shape.length]).toEqual([st.layer, dims.get(st.layer)! - (dropped.length ? 0 : 1)]);
    // the network's own x[None] is a map the batched network has not: a stage at stride 1 (the input, unsqueezed), the rest the batched one's
    const own = dropped.map((i) => `l${i}`);
    expect(u.stages.filter((s) => own.includes(s.layer)).map((s) => [s.layer, s.stride])).toEqual(own.map((l) => [l, [1, 1]]));
    expect({ ...shared(u), stages: shared(u).stages.filter((s) => !own.includes(s.layer)) }).toEqual(shared(b));
    expect(u.stats.theoretical.global).toBe(false);
    expect(u.stages.length).toBeGreaterThan(0);
  });
});

describe("an ONNX network that batches its [3, 20, 24] image itself (torchvision's detectors' form; test/fixtures/onnx/layout)", () => {
  const truth = JSON.parse(readFileSync(new URL('../fixtures/onnx/layout/truth.json', import.meta.url), 'utf8')).models.image as { input: number[]; output: number[]; unit: number[]; footprint: [number, number][] };
  const bytes = new Uint8Array(readFileSync(new URL('../fixtures/onnx/layout/image.onnx', import.meta.url)));

  it("the default unit's gradient [3, 20, 24] reaches exactly autograd's footprint of that unit, rows 7–13, columns 8–16 (was: INVALID_OPTION, no image input)", async () => {
    const r = await computeErf(inlineRunner, job({ source: { kind: 'onnx', bytes, inputShapes: { image: truth.input } }, maxElements: 1 << 22 }));
    expect([r.input, r.target.shape, r.target.position, r.gradient.shape]).toEqual(['image', truth.output, truth.unit, truth.input]);
    const [[top, bottom], [left, right]] = truth.footprint;
    expect(r.stats.support.box).toEqual({ top, left, bottom, right });
    expect(r.stats.theoretical.box).toEqual({ top, left, bottom, right });
  });
});

describe('an [N, H, W] batch the network gives one channel ([2, 5, 7] → unsqueeze 1 → conv2d k3 p1): a field input, not an unbatched one, still measured', () => {
  // the same conv on [2, 1, 5, 7] given the same values: the unit (of sample 0) reaches sample 0 alone
  const conv = { op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 };
  const x = tensor([2, 5, 7], Float32Array.from({ length: 70 }, (_, k) => ((k * 7) % 11) - 5));
  const given = (s: ReturnType<typeof spec>, input: typeof x) => job({ source: { kind: 'spec', spec: s }, mode: 'given', samples: 1, inputs: { x: input }, stages: false });

  it("the gradient [2, 5, 7] is the batch [2, 1, 5, 7]'s, sample 1 zero; the unit's map [2, 2, 5, 7] as the network has it; the same statistics", async () => {
    const u = await computeErf(inlineRunner, given(spec([2, 5, 7], [{ op: 'unsqueeze', axes: [1] }, conv]), x));
    const b = await computeErf(inlineRunner, given({ ...spec([2, 1, 5, 7], [conv]), layers: [{ name: 'l1', ...conv }] }, { ...x, shape: [2, 1, 5, 7] }));
    expect([u.gradient.shape, u.target.shape, u.target.position]).toEqual([[2, 5, 7], [2, 2, 5, 7], [2, 3]]);
    expect([...u.gradient.data]).toEqual([...b.gradient.data]);
    expect([...u.gradient.data].slice(35).every((v) => v === 0)).toBe(true);
    expect([...u.gradient.data].slice(0, 35).some((v) => v !== 0)).toBe(true);
    expect(u.stats).toEqual(b.stats);
  });
});
