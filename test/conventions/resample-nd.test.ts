/**
 * Resampling over 1 or 3 axes under the presets (src/conventions/nd-resample.ts): upsample1d/3d
 * and the ONNX Resize of a 3-D or 5-D tensor, in what ops.json does not cover (ops-truth.test.ts
 * checks nn.Upsample and F.interpolate against the tools' own output). Figures hand-worked from
 * the tools' source at the presets' commits; the per-axis tuple cases were also run through the
 * real thop and ptflops (and calflops, which raises), not kept as a fixture.
 */
import { describe, expect, it } from 'vitest';
import { explainReport } from '../../src/conventions/explain.js';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import { net } from '../helpers.js';
import { analysed } from './helpers.js';

const counted = (preset: string, spec: unknown) => countWith(PRESETS_BY_NAME.get(preset)!, analysed(spec));
const count = (preset: string, spec: unknown) => counted(preset, spec).total;
const explain = (spec: unknown) => explainReport(analysed(spec)).layers[0];

describe('the family of a Resize: by its rank', () => {
  it('Resize of a 3-D or 5-D tensor is resampleNd (as upsample1d/3d); of a 4-D one resample (as upsample)', () => {
    const family = (shape: number[], scales: number[]) => counted('thop', net(shape, { op: 'resize', mode: 'linear', scales })).layers[0].family;
    expect(family([1, 2, 5], [1, 1, 2])).toBe('resampleNd');
    expect(family([1, 2, 3, 2, 2], [1, 1, 2, 2, 2])).toBe('resampleNd');
    expect(family([1, 2, 4, 4], [1, 1, 2, 2])).toBe('resample');
  });
});

describe('explain: a Resize by its taps over the plan axes', () => {
  it('Resize linear ×1.5 on 1×2×3×2×2 (→ 4×3×3): (2·8 − 1) per output, agreeing with the report (before: bilinear\'s 7, disagreeing)', () => {
    const e = explain(net([1, 2, 3, 2, 2], { op: 'resize', mode: 'linear', scales: [1, 1, 1.5, 1.5, 1.5] }));
    expect(e.elementwise.formula).toBe('1,080 = (2 · linear taps 2·2·2 − 1) · outputs 1·2·4·3·3');
    expect(e.agrees).toBe(true);
  });

  it('Resize linear ×2 on 1×2×5: (2·2 − 1) per output; a 2-D antialiased Resize ×½: 4 taps per axis, (2·16 − 1) per output', () => {
    expect(explain(net([1, 2, 5], { op: 'resize', mode: 'linear', scales: [1, 1, 2] })).elementwise.formula).toBe('60 = (2 · linear taps 2 − 1) · outputs 1·2·10');
    const aa = explain(net([1, 2, 4, 4], { op: 'resize', mode: 'linear', scales: [1, 1, 0.5, 0.5], antialias: true }));
    expect(aa.elementwise.formula).toBe('248 = (2 · linear taps 4·4 − 1) · outputs 1·2·2·2');
    expect(aa.agrees).toBe(true);
  });
});

describe('per-axis scale factors (a tuple in PyTorch)', () => {
  // upsample3d trilinear (2, 1.5, 1) on 1×1×2×2×2 → 1×1×4×3×2: 24 outputs, 8 inputs
  const TUPLE = net([1, 1, 2, 2, 2], { op: 'upsample3d', mode: 'trilinear', scaleFactor: [2, 1.5, 1] });

  it('ptflops: hook 24 + F.interpolate 8·Π⌊sᵢ⌋ = 8·2 = 16 → 40, what ptflops prints (pytorch_ops.py l. 377-378: np.prod(scale_factor, dtype=np.int64) truncates 1.5 to 1)', () => {
    expect(count('ptflops', TUPLE)).toBe(24 + 16);
  });

  it('thop: 31 per output whatever the scale → 744 (basic_hooks.py count_upsample l. 165), as thop prints', () => {
    expect(count('thop', TUPLE)).toBe(31 * 24);
  });

  it('calflops at batch 1: the 3-tuple raises (pytorch_ops.py l. 250: tuple ** len(input), len 1): no figure, the layer listed unsupported, both figures', () => {
    for (const preset of ['calflops', 'calflops-macs']) {
      const c = counted(preset, TUPLE);
      expect([preset, c.total, c.unsupported]).toEqual([preset, 0, ['l0']]);
      expect(c.byFamily[0].why).toMatch(/raise TypeError/);
    }
  });

  it('calflops at batch 3, the tuple\'s length: it passes (l. 247-248, the product discarded): the input elements 3·8 = 24, MACs 0', () => {
    const batch3 = net([3, 1, 2, 2, 2], { op: 'upsample3d', mode: 'trilinear', scaleFactor: [2, 1.5, 1] });
    expect([counted('calflops', batch3).total, counted('calflops', batch3).unsupported]).toEqual([24, []]);
    expect([counted('calflops-macs', batch3).total, counted('calflops-macs', batch3).unsupported]).toEqual([0, []]);
  });
});

describe('modes', () => {
  it('nearest-exact ×2 on 1×2×3×2×2 (192 outputs): onnx-tool 0, as a Resize of mode nearest (node.py l. 1372-1373; before: 4 per output); thop 0 (basic_hooks.py l. 156); ptflops 2 per output', () => {
    const spec = net([1, 2, 3, 2, 2], { op: 'upsample3d', mode: 'nearest-exact', scaleFactor: 2 });
    expect(count('onnx-tool', spec)).toBe(0);
    expect(count('thop', spec)).toBe(0);
    expect(count('ptflops', spec)).toBe(2 * 192);
  });

  it('Resize cubic ×2 on 1×2×3×2×2 (192 outputs): onnx-tool 8 per output (node.py l. 1376-1377); thop 0 (no 1-D/3-D cubic mode: a mode without an entry counts 0, basic_hooks.py l. 162-164)', () => {
    const spec = net([1, 2, 3, 2, 2], { op: 'resize', mode: 'cubic', scales: [1, 1, 2, 2, 2] });
    expect(count('onnx-tool', spec)).toBe(8 * 192);
    expect(count('thop', spec)).toBe(0);
    expect(count('ptflops', spec)).toBe(2 * 192);
    expect(count('calflops', spec)).toBe(24);
  });
});

describe('sizes: calflops reads F.interpolate\'s size as given', () => {
  it('upsample3d to size 4 on 1×2×2×2×2: calflops int(4) = 4 (pytorch_ops.py l. 236-239: no power, no N·C); to [4, 4, 4]: 64; a Resize to sizes [1, 2, 4, 4, 4]: its spatial sizes, 64; ptflops N·C·size³ = 128 plus its hook 128', () => {
    expect(count('calflops', net([1, 2, 2, 2, 2], { op: 'upsample3d', size: 4 }))).toBe(4);
    expect(count('calflops', net([1, 2, 2, 2, 2], { op: 'upsample3d', size: [4, 4, 4] }))).toBe(64);
    expect(count('calflops', net([1, 2, 2, 2, 2], { op: 'resize', sizes: [1, 2, 4, 4, 4] }))).toBe(64);
    expect(count('ptflops', net([1, 2, 2, 2, 2], { op: 'upsample3d', size: 4 }))).toBe(128 + 128);
  });
});

describe('tools that do not count it: no rule, 0, said so', () => {
  it.each(['fvcore', 'ptflops-aten', 'torchinfo', 'torchvision'])('%s: upsample3d trilinear and a 5-D Resize linear count 0, "has no rule for resampleNd"', (preset) => {
    for (const layer of [{ op: 'upsample3d', mode: 'trilinear', scaleFactor: 2 }, { op: 'resize', mode: 'linear', scales: [1, 1, 2, 2, 2] }]) {
      const c = counted(preset, net([1, 2, 2, 2, 2], layer));
      expect(c.total).toBe(0);
      expect(c.byFamily[0].why).toMatch(/has no rule for resampleNd: 0$/);
    }
  });

  it('calflops-macs: its F.interpolate returns MACs 0 (pytorch_ops.py l. 237-251), the rule says so', () => {
    for (const layer of [{ op: 'upsample3d', mode: 'trilinear', scaleFactor: 2 }, { op: 'resize', mode: 'linear', scales: [1, 1, 2, 2, 2] }]) {
      const c = counted('calflops-macs', net([1, 2, 2, 2, 2], layer));
      expect([c.total, c.unsupported]).toEqual([0, []]);
      expect(c.byFamily[0].why).toMatch(/^F\.interpolate \(1 or 3 axes\) has FLOPs, no MACs: 0/);
    }
  });
});
