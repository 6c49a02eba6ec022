/**
 * Resampling over 2 axes under the presets, beside ops.json's resample2d and nearest_exact2d
 * (ops-truth.test.ts): fvcore's nearest-exact, ptflops' F.interpolate at a scale (a float, and the
 * total it truncates), and calflops' size on an imported ONNX Resize whose sizes come as an input
 * tensor. Each figure is what the real tool printed at the presets' commits, run ad hoc (torch 1.13,
 * the tools' sources as scripts/convention_truth_ops.py runs them) where the fixture cannot hold it:
 * convention_truth.py attributes int() of each ptflops call to its module and asserts the modules
 * sum to the total, which two fractional calls break; the imported-Resize figures are ops.json's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { explainReport } from '../../src/conventions/explain.js';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import type { ConventionInput, CountOptions } from '../../src/conventions/index.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { analysed } from './helpers.js';

const ops = JSON.parse(readFileSync(new URL('../fixtures/conventions/ops.json', import.meta.url), 'utf8')) as {
  models: Record<string, Record<string, { total: number; layers: Record<string, number> }>>;
};

const counted = (preset: string, input: ConventionInput, options: CountOptions = {}) => countWith(PRESETS_BY_NAME.get(preset)!, input, options);
/** nn.Upsample layers (up1, up2, …) chained on 1×2×5×5. */
const chain = (...layers: Record<string, unknown>[]) =>
  analysed({ name: 'resample', inputs: [{ name: 'x', shape: [1, 2, 5, 5] }], layers: layers.map((l, i) => ({ name: `up${i + 1}`, op: 'upsample', ...l })) });

describe('fvcore: nearest-exact over 2 axes is an unsupported op, 0', () => {
  it('nn.Upsample nearest-exact ×2 on 1×2×5×5 (200 outputs): fvcore 0, unsupported_ops() {aten::_upsample_nearest_exact2d: 1} (flop_count.py l. 28-46 lists it not; was 200); nearest ×2: 200 (l. 42)', () => {
    const exact = counted('fvcore', chain({ mode: 'nearest-exact', scaleFactor: 2 }));
    expect(exact.total).toBe(0);
    expect(exact.byFamily[0].why).toMatch(/nearest-exact \(aten::_upsample_nearest_exact2d\) are not supported ops: 0/);
    expect(counted('fvcore', chain({ mode: 'nearest', scaleFactor: 2 })).total).toBe(200);
  });

  it('a model with both: only the nearest one counts, one family, its why naming both', () => {
    const c = counted('fvcore', chain({ mode: 'nearest', scaleFactor: 2 }, { mode: 'nearest-exact', scaleFactor: 2 }));
    expect(c.layers.map((l) => l.count)).toEqual([200, 0]);
    expect(c.byFamily.map((f) => [f.family, f.layers, f.count])).toEqual([['resample', 2, 200]]);
  });
});

describe('ptflops: F.interpolate at a scale counts N·C·H·W·s², a float; ptflops truncates its total', () => {
  it('nn.Upsample bilinear ×1.5 on 1×2×5×5: hook 98 + 50·1.5² = 112.5 → prints 210 (pytorch_ops.py l. 375-379; pytorch_engine.py l. 69-71, 93: int(flops_count)); was 98 + 98 = 196', () => {
    const c = counted('ptflops', chain({ mode: 'bilinear', scaleFactor: 1.5 }));
    expect(c.layers[0].count).toBe(210.5);
    expect(c.total).toBe(210);
  });

  it('twice (7×7, then 10×10): 210.5 + (200 + 98·2.25 = 420.5) → int(631.0) = 631, what ptflops prints (not 210 + 420: it truncates the sum, once)', () => {
    const c = counted('ptflops', chain({ mode: 'bilinear', scaleFactor: 1.5 }, { mode: 'bilinear', scaleFactor: 1.5 }));
    expect(c.layers.map((l) => l.count)).toEqual([210.5, 420.5]);
    expect(c.total).toBe(631);
  });

  it('F.interpolate bilinear ×1.5 alone (functional): 112.5 → prints 112; per-axis (2, 1.5): hook 140 + 50·⌊2⌋·⌊1.5⌋ = 100 → 240 (l. 377-378: np.prod(…, dtype=np.int64)); size 12: hook 288 + 2·12² = 576 (l. 366-367)', () => {
    expect(counted('ptflops', chain({ mode: 'bilinear', scaleFactor: 1.5 }), { functional: ['up1'] }).total).toBe(112);
    expect(counted('ptflops', chain({ mode: 'bilinear', scaleFactor: [2, 1.5] })).total).toBe(240);
    expect(counted('ptflops', chain({ mode: 'bilinear', size: 12 })).total).toBe(576);
  });

  it('ptflops-aten, whose counts are whole, keeps its sum as it is', () => {
    expect(PRESETS_BY_NAME.get('ptflops-aten')!.printedTotal).toBeUndefined();
  });
});

/**
 * F.interpolate(x, size=(30, 28), mode='bilinear') on 1×2×24×24 (after up3) as torch.onnx.export (1.13, opset 17)
 * writes it: Resize(x, '', '', Concat(Slice(Shape(x), 0, 2), [30, 28])), the sizes an input tensor
 * (resample2d's interp, node /interp/Resize); or, as other exporters write it, an int64 initializer.
 */
function importedResize(sizes: 'concat' | 'initializer'): ConventionInput {
  const resize = { op: 'Resize', outputs: ['y'], name: '/interp/Resize', attrs: { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'half_pixel' } } };
  const bytes = onnxModel({
    opset: 17,
    inputs: [{ name: 'x', shape: [1, 2, 24, 24] }],
    outputs: ['y'],
    initializers: sizes === 'initializer' ? [{ name: 'sizes', dims: [4], data: [1, 2, 30, 28], type: 'int64' }] : [],
    nodes:
      sizes === 'initializer'
        ? [{ ...resize, inputs: ['x', '', '', 'sizes'] }]
        : [
            { op: 'Shape', inputs: ['x'], outputs: ['shape'], name: '/interp/Shape' },
            { op: 'Constant', inputs: [], outputs: ['zero'], name: 'c0', attrs: { value: { t: { dims: [1], data: [0], type: 'int64' } } } },
            { op: 'Constant', inputs: [], outputs: ['two'], name: 'c2', attrs: { value: { t: { dims: [1], data: [2], type: 'int64' } } } },
            { op: 'Constant', inputs: [], outputs: ['hw'], name: 'chw', attrs: { value: { t: { dims: [2], data: [30, 28], type: 'int64' } } } },
            { op: 'Slice', inputs: ['shape', 'zero', 'two', 'zero'], outputs: ['nc'], name: '/interp/Slice' },
            { op: 'Concat', inputs: ['nc', 'hw'], outputs: ['size'], name: '/interp/Concat', attrs: { axis: { i: 0 } } },
            { ...resize, inputs: ['x', '', '', 'size'] },
          ],
  });
  const { graph } = importOnnx(bytes, { inputShapes: {} });
  const inference = inferGraph(graph);
  return { inference, report: analyzeGraph(graph, DEFAULTS, inference) };
}

describe('calflops: an imported 2-D Resize whose sizes come as an input tensor counts prod(size), as F.interpolate(size=(30, 28))', () => {
  it.each(['concat', 'initializer'] as const)('sizes from %s: calflops 30·28 = 840, what calflops printed for resample2d\'s interp (ops.json; pytorch_ops.py l. 236-237); was the input elements, 1,152', (sizes) => {
    const input = importedResize(sizes);
    const layer = input.report.layers.find((l) => l.name === '/interp/Resize')!;
    expect([layer.supported, layer.outputShape]).toEqual([true, [1, 2, 30, 28]]);
    const c = counted('calflops', input);
    expect(c.total).toBe(ops.models.resample2d.calflops.layers.interp);
    expect(c.total).toBe(840);
    // the same Resize under ptflops, applied functionally: N·C·prod(size) = 2·840, ops.json's interp
    expect(counted('ptflops', input, { functional: ['/interp/Resize'] }).total).toBe(ops.models.resample2d.ptflops.layers.interp);
    expect(explainReport(input).agrees).toBe(true);
  });

  it('upsample to an int size reads as calflops reads the int: size 12 → 12 (l. 238-239, ops.json up2); to [12, 12] → 144', () => {
    expect(counted('calflops', chain({ mode: 'nearest', size: 12 })).total).toBe(ops.models.resample2d.calflops.layers.up2);
    expect(counted('calflops', chain({ mode: 'nearest', size: [12, 12] })).total).toBe(144);
  });
});

describe('explain agrees with the report on the 2-D cases above', () => {
  it.each([
    ['nearest-exact ×2', { mode: 'nearest-exact', scaleFactor: 2 }],
    ['bilinear ×1.5', { mode: 'bilinear', scaleFactor: 1.5 }],
    ['bilinear (2, 1.5)', { mode: 'bilinear', scaleFactor: [2, 1.5] }],
    ['bicubic ×2 align_corners', { mode: 'bicubic', scaleFactor: 2, alignCorners: true }],
  ])('%s on 1×2×5×5', (_, layer) => {
    expect(explainReport(chain(layer)).agrees).toBe(true);
  });
});
