import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { run } from './op-helpers.js';
import { relativePositionIndex } from '../../src/ops/window-attention.js';
import { runTask } from '../../src/runtime/tasks.js';
import { tensor } from '../../src/tensor/tensor.js';

const swa = (attrs: Record<string, unknown>) => ({ op: 'shiftedWindowAttention', ...attrs });
/** A channels-last map as Swin carries it: an NCHW input, a 1×1 conv, permuted to N,H,W,C. */
const nhwc = (shape: [number, number, number, number], ...layers: Record<string, unknown>[]) =>
  net([shape[0], shape[3], shape[1], shape[2]], { op: 'conv2d', outChannels: shape[3], kernelSize: 1 }, { op: 'transpose', perm: [0, 2, 3, 1] }, ...layers);

/** C = 1, one head, q = k = 0 (scores = the relative-position bias), v = x, projection identity. */
const identityWeights = (table: number[], rows: number) => ({
  qkvWeight: [[3, 1], [0, 0, 1]] as [number[], number[]],
  qkvBias: [[3], [0, 0, 0]] as [number[], number[]],
  projWeight: [[1, 1], [1]] as [number[], number[]],
  projBias: [[1], [0]] as [number[], number[]],
  relativePositionBiasTable: [[rows, 1], table] as [number[], number[]],
});

describe('shiftedWindowAttention', () => {
  it('x [1,4,4,8], h=2, window 2, shift 1: params 4·C² + 4·C + (2·2 − 1)²·h = 306; MACs 16·(4·64 + 2·4·8) = 5,120; T² = 16 buffer elements', () => {
    const r = analyze(nhwc([1, 4, 4, 8], swa({ numHeads: 2, window: 2, shift: 1 })));
    const l = layer(r, 'l2');
    expect(l.params).toBe(256 + 32 + 9 * 2);
    expect(l.macs).toBe(5120);
    expect(l.outputShape).toEqual([1, 4, 4, 8]);
    expect(r.totals.buffers).toBe(16);
    // exact: 16·24·(2·8 − 1) + S·h·T² (4·2·16 = 128)·(2·4 − 1) + 4·2·4·4·(2·4 − 1) + 16·8·(2·8 − 1) = 5760 + 896 + 896 + 1920;
    // element-wise: q scaling 16·8 + bias 128 + mask 128 + softmax 5·128
    expect(l.flopsByConvention.exact).toBe(9472 + 128 + 128 + 128 + 640);
  });

  it('shift 0 adds no mask: element-wise 16·8 + 128 + 5·128, one score pass fewer than shifted', () => {
    const [plain, shifted] = [0, 1].map((shift) => layer(analyze(nhwc([1, 4, 4, 8], swa({ numHeads: 2, window: 2, shift }))), 'l2'));
    expect(shifted.flopsByConvention.exact - plain.flopsByConvention.exact).toBe(128);
  });

  it("swin_t's first block (56×56×96, window 7, h = 3): 3136·(4·96² + 2·49·96) = 145,108,992 MACs and 37,755 params", () => {
    const l = layer(analyze(nhwc([1, 56, 56, 96], swa({ numHeads: 3, window: 7 }))), 'l2');
    expect(l.macs).toBe(145_108_992);
    // qkv 3·96·96 + 288, proj 96·96 + 96, table 13·13·3
    expect(l.params).toBe(27_648 + 288 + 9216 + 96 + 507);
  });

  it('a 5×7 map, window [3, 4]: MACs count the padded 6×8 map, as PyTorch runs it (48·(4·C² + 2·12·C))', () => {
    const l = layer(analyze(nhwc([1, 5, 7, 6], swa({ numHeads: 3, window: [3, 4], shift: [1, 2] }))), 'l2');
    expect(l.macs).toBe(48 * (4 * 36 + 2 * 12 * 6));
    expect(l.outputShape).toEqual([1, 5, 7, 6]);
  });

  it('qkvBias and projBias false drop 3C and C parameters', () => {
    const l = layer(analyze(nhwc([1, 4, 4, 8], swa({ numHeads: 2, window: 2, qkvBias: false, projBias: false }))), 'l2');
    expect(l.params).toBe(256 + 18);
  });

  it("relative_position_index as torchvision's define_relative_position_index: window [1, 2] → [1, 0, 2, 1]; 2×2 → 9 offsets", () => {
    expect([...relativePositionIndex(1, 2)]).toEqual([1, 0, 2, 1]);
    // p = (0,0): q = (0,0) (0,1) (1,0) (1,1) → dy+1 = 1,1,0,0; dx+1 = 1,0,1,0 → 4,3,1,0
    expect([...relativePositionIndex(2, 2)].slice(0, 4)).toEqual([4, 3, 1, 0]);
    expect(Math.max(...relativePositionIndex(7, 7))).toBe(13 * 13 - 1);
  });

  it('by hand: window [1, 2] on x = [1, 2, 3] (padded to 4); table [0, 0, ln 3] weighs the 2nd token 3:1 towards its left neighbour; the padded token (v = 0) takes part', () => {
    const y = run('shiftedWindowAttention', [[[1, 1, 3, 1], [1, 2, 3]]], { numHeads: 1, window: [1, 2] }, identityWeights([0, 0, Math.log(3)], 3));
    // windows {1, 2} and {3, pad 0}: token 0 of each is the mean (1.5, 1.5); token 1 = 0.75·1 + 0.25·2
    expect(y[0].shape).toEqual([1, 1, 3, 1]);
    y[0].data.forEach((v, i) => expect(v).toBeCloseTo([1.5, 1.25, 1.5][i], 6));
  });

  it('by hand: shift [0, 1] rolls x = [1, 2, 3, pad] to [2, 3, pad, 1]: windows {2, 3} and {pad, 1}, the latter masked (−100) → [1, 2.5, 2.5]', () => {
    // the window covers the single row, so its shift is dropped (as torchvision drops it) and only the column shift remains
    const y = run('shiftedWindowAttention', [[[1, 1, 3, 1], [1, 2, 3]]], { numHeads: 1, window: [1, 2], shift: [1, 1] }, identityWeights([0, 0, 0], 3));
    y[0].data.forEach((v, i) => expect(v).toBeCloseTo([1, 2.5, 2.5][i], 6));
  });

  // found by a hunt: the refusal had no path of the weight (the layer's `$.layers[1]` in a network run, `$` for an operator call)
  it('a given relative_position_index that is not the window\'s fails INVALID_TENSOR at the weight, naming the layer, the first wrong entry and the shapes', () => {
    const bad = { ...identityWeights([0, 0, 0], 3), relativePositionIndex: [[4], [1, 1, 1, 1]] as [number[], number[]] };
    const e = errorOf(() => run('shiftedWindowAttention', [[[1, 1, 3, 1], [1, 2, 3]]], { numHeads: 1, window: [1, 2] }, bad));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.details).toMatchObject({ path: '$.weights.relativePositionIndex', layer: 'shiftedWindowAttention', shapes: { given: [4], expected: [4] } });
    expect(e.message).toMatch(/relativePositionIndex\[1\] = 1, but a 1×2 window's relative-position index there is 0/);
    const good = { ...identityWeights([0, 0, 0], 3), relativePositionIndex: [[4], [1, 0, 2, 1]] as [number[], number[]] };
    expect(run('shiftedWindowAttention', [[[1, 1, 3, 1], [1, 2, 3]]], { numHeads: 1, window: [1, 2] }, good)[0].shape).toEqual([1, 1, 3, 1]);
  });

  it("a network run of a JSON spec given a wrong relative_position_index: INVALID_TENSOR at the key the request gave (convlens's role or PyTorch's state_dict name), before any kernel runs; a wrong shape SHAPE_MISMATCH there too", () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 3, 1] }], layers: [{ name: 'pre', op: 'relu' }, { name: 'attn', op: 'shiftedWindowAttention', numHeads: 1, window: [1, 2] }] };
    const runWith = (key: string, index: number[]) =>
      runTask({ source: { kind: 'spec', spec }, inputs: { x: tensor([1, 1, 3, 1], [1, 2, 3]) }, weights: { [key]: tensor([index.length], index) }, weightInit: 'seed', training: false, seed: 0, capture: [], maxElements: 1 << 20 });
    for (const key of ['attn.relativePositionIndex', 'attn.relative_position_index']) {
      const e = errorOf(() => runWith(key, [1, 0, 2, 2]));
      expect(e.code).toBe('INVALID_TENSOR');
      expect(e.details).toMatchObject({ path: `$.weights["${key}"]`, layer: 'attn', shapes: { given: [4], expected: [4] } });
      expect(e.message).toMatch(/^layer 'attn' \(shiftedWindowAttention\): relativePositionIndex\[3\] = 2, but a 1×2 window's relative-position index there is 1/);
      expect(errorOf(() => runWith(key, [1, 0, 2]))).toMatchObject({ code: 'SHAPE_MISMATCH', details: { path: `$.weights["${key}"]`, layer: 'attn' } });
      // PyTorch's own index runs
      expect(runWith(key, [1, 0, 2, 1]).outputs.attn.shape).toEqual([1, 1, 3, 1]);
    }
  });

  // found by a hunt against PyTorch: a w-wide box centred on the unit left out part of its window (swin_t's unit 12 of 24 reads rows 28…55; the box said 36…63)
  it('receptive field: the 3×3 box (step 1, padding 1) that holds every unit\'s 2×2 window (the grid shifted by 1: units 1 and 2 both read 1…2), with a note naming the shift; one window over the whole map: global', () => {
    const r = analyze(nhwc([1, 4, 4, 8], swa({ numHeads: 2, window: 2, shift: 1 })));
    expect(layer(r, 'l2').receptiveField).toMatchObject({ global: false, size: [3, 3], stride: [1, 1], padding: [1, 1] });
    const note = r.warnings.find((w) => w.code === 'ATTENTION_RECEPTIVE_FIELD');
    expect(note).toMatchObject({ severity: 'info', layer: 'l2', window: [2, 2] });
    expect(note!.message).toMatch(/shifted by 1×1/);
    const g = analyze(nhwc([1, 7, 7, 8], swa({ numHeads: 2, window: 7, shift: 3 })));
    expect(layer(g, 'l2').receptiveField).toMatchObject({ global: true, size: [7, 7] });
  });

  // found by a review: the field stayed the local box where the roll joins both borders unmasked
  it('a shift of the padded side or more with a remainder (7 on 6 rows, window 2) rolls by 1 with no mask: x = 1…6 → [3.5, 2.5, 2.5, 4.5, 4.5, 3.5] (row 0 reads row 5), and the field spans the rows, 11 = 2·6 − 1; shift 3 masks: [1, 2.5, 2.5, 4.5, 4.5, 6], the 3-row box', () => {
    const x: [number[], number[]] = [[1, 6, 1, 1], [1, 2, 3, 4, 5, 6]];
    // torchvision labels every row region 2 (slice (−7, None) holds them all) and rolls by −7 ≡ −1: windows {x1, x2}, {x3, x4}, {x5, x0}
    const wrapped = run('shiftedWindowAttention', [x], { numHeads: 1, window: [2, 1], shift: [7, 0] }, identityWeights([0, 0, 0], 3));
    wrapped[0].data.forEach((v, i) => expect(v).toBeCloseTo([3.5, 2.5, 2.5, 4.5, 4.5, 3.5][i], 6));
    // rolled by −3: regions rows 0–2 | 3–5, windows {x3, x4}, {x5 | x0} (masked apart), {x1, x2}
    const masked = run('shiftedWindowAttention', [x], { numHeads: 1, window: [2, 1], shift: [3, 0] }, identityWeights([0, 0, 0], 3));
    masked[0].data.forEach((v, i) => expect(v).toBeCloseTo([1, 2.5, 2.5, 4.5, 4.5, 6][i], 6));
    const field = (shift: number) => analyze(nhwc([1, 6, 1, 8], swa({ numHeads: 2, window: [2, 1], shift: [shift, 0] })));
    const r = field(7);
    expect(layer(r, 'l2').receptiveField).toMatchObject({ global: false, size: [11, 1], stride: [1, 1], padding: [5, 0] });
    expect(r.warnings.find((w) => w.code === 'ATTENTION_RECEPTIVE_FIELD')!.message).toMatch(/along rows the shift is the padded 6×1 map's side or more and leaves no mask/);
    expect(layer(field(3), 'l2').receptiveField).toMatchObject({ global: false, size: [3, 1], padding: [1, 0] });
    // a shift of a whole multiple of the side rolls nothing: the unshifted grid's box
    expect(layer(field(12), 'l2').receptiveField).toMatchObject({ size: [3, 1] });
  });

  // found by a hunt: a shift of a window or more was refused (INVALID_ATTRIBUTE "must be smaller than
  // the window"); torchvision runs it, and its outputs and input gradients are goldens now (goldens_swin.py)
  it('a shift of a window or more is analysed, as PyTorch runs it: window 2, shift 2 and 5 on 4×4', () => {
    for (const shift of [2, 5]) expect(analyze(nhwc([1, 4, 4, 8], swa({ numHeads: 2, window: 2, shift }))).outputs[0].shape).toEqual([1, 4, 4, 8]);
  });

  it('bad attributes and inputs: 400s naming them', () => {
    expect(errorOf(() => analyze(nhwc([1, 4, 4, 6], swa({ numHeads: 4, window: 2 })))).code).toBe('INVALID_ATTRIBUTE');
    expect(errorOf(() => analyze(nhwc([1, 4, 4, 8], swa({ numHeads: 2, window: 2, embedDim: 16 })))).code).toBe('CHANNEL_MISMATCH');
    expect(errorOf(() => analyze(net([1, 16, 8], swa({ numHeads: 2, window: 2 })))).code).toBe('RANK_MISMATCH');
    // the window is required, as torchvision's window_size is
    expect(errorOf(() => analyze(nhwc([1, 4, 4, 8], swa({ numHeads: 2 })))).code).toBe('SPEC_INVALID');
  });
});
