/**
 * Pools of one sample without its batch axis, [C, …spatial] (src/ops/unbatched.ts), under each
 * preset, worked by hand from the tool's source and set beside the batch of one, [1, C, …spatial];
 * then every preset against what its tool printed on 17 such modules both ways, run from its source
 * at the commit the preset cites on torch 1.13 (thop fbb5e19, ptflops d612c75 through
 * input_constructor, fvcore 3378afe, calflops 29ca584, torchinfo 5c4164f, onnx-tool 00f5f0a on
 * torch.onnx's opset 13 and 17 exports: scripts/convention_truth_cases.py unbatched).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import { explainReport } from '../../src/conventions/explain.js';
import { net } from '../helpers.js';
import { analysed } from './helpers.js';

/** The one pool's count under every preset, and the presets that list it unsupported. */
function counts(shape: number[], layer: Record<string, unknown>): Record<string, number> & { unsupported: string[] } {
  const input = analysed(net(shape, layer));
  const out: Record<string, number> = {};
  const unsupported: string[] = [];
  for (const [n, p] of PRESETS_BY_NAME) {
    const c = countWith(p, input);
    out[n] = c.layers[0].count;
    if (c.unsupported.includes('l0')) unsupported.push(n);
  }
  return Object.assign(out, { unsupported });
}
const elementwise = (shape: number[], layer: Record<string, unknown>) => explainReport(analysed(net(shape, layer))).layers[0];

describe('max pooling: maxPool2d k 2 on [3, 8, 8] (192 in, 48 out) and on [1, 3, 8, 8]', () => {
  const pool = { op: 'maxPool2d', kernelSize: 2 };
  it('thop, fvcore, torchinfo 0 both ways; calflops F.max_pool2d input.numel() 192 both ways', () => {
    for (const shape of [[3, 8, 8], [1, 3, 8, 8]]) expect(counts(shape, pool)).toMatchObject({ thop: 0, fvcore: 0, torchinfo: 0, calflops: 192 });
  });
  it('ptflops: hook 192 divided by the first axis taken for the batch, 3, + F.max_pool2d 192 = 256; batched 192/1 + 192 = 384', () => {
    expect(counts([3, 8, 8], pool).ptflops).toBe(256);
    expect(counts([1, 3, 8, 8], pool).ptflops).toBe(384);
  });
  it("onnx-tool: no figure unbatched (the export's MaxPool [2, 2] over a 3-D X: shape_infer reads past it), listed; batched 48·4 = 192", () => {
    expect(counts([3, 8, 8], pool)).toMatchObject({ 'onnx-tool': 0, unsupported: ['onnx-tool'] });
    expect(counts([1, 3, 8, 8], pool)).toMatchObject({ 'onnx-tool': 192, unsupported: [] });
  });
  it("ptflops' why says the first axis was read as the batch, not 'at batch 3'", () => {
    const c = countWith(PRESETS_BY_NAME.get('ptflops')!, analysed(net([3, 8, 8], pool)));
    expect(c.byFamily[0].why).toContain('takes its first axis, 3, for the batch: the module hooks\' 192 for the one sample are divided by 3 (l. 199), 64');
    expect(c.headline).not.toContain('at batch 3');
  });
});

describe('average pooling: thop multiplies l_prod(x.shape[:-dims]), C unbatched, N·C batched', () => {
  it('avgPool2d k 3, s 2, p 1 on [3, 8, 8]: 4 windows of 3 per axis, 3·12·12 + 48 = 480 as on [1, 3, 8, 8] (it read C·H = 24: 3,504); 3·11·11 + 48 = 411 without countIncludePad', () => {
    const avg = { op: 'avgPool2d', kernelSize: 3, stride: 2, padding: 1 };
    expect(counts([3, 8, 8], avg)).toMatchObject({ thop: 480, ptflops: 192 / 3 + 192, calflops: 192, fvcore: 0, 'onnx-tool': 0, unsupported: ['onnx-tool'] });
    expect(counts([1, 3, 8, 8], avg)).toMatchObject({ thop: 480, ptflops: 384, calflops: 192, 'onnx-tool': 48 * 9, unsupported: [] });
    expect(counts([3, 8, 8], { ...avg, countIncludePad: false }).thop).toBe(411);
  });
  it('avgPool1d k 3, s 2, p 1 on [3, 8]: thop 3·12 + 12 = 48 (it read 3·8·12 + 12 = 300); ptflops 24/3 + 24 = 32, batched 48', () => {
    const avg = { op: 'avgPool1d', kernelSize: 3, stride: 2, padding: 1 };
    expect(counts([3, 8], avg)).toMatchObject({ thop: 48, ptflops: 32, calflops: 24, unsupported: ['onnx-tool'] });
    expect(counts([1, 3, 8], avg)).toMatchObject({ thop: 48, ptflops: 48, calflops: 24, 'onnx-tool': 12 * 3, unsupported: [] });
  });
  it('avgPool3d k 2 on [3, 4, 6, 6]: thop 3·(4·6·6) + 54 = 486 both ways; ptflops 432/3 + 432 = 576, batched 864', () => {
    expect(counts([3, 4, 6, 6], { op: 'avgPool3d', kernelSize: 2 })).toMatchObject({ thop: 486, ptflops: 576, calflops: 432, unsupported: ['onnx-tool'] });
    expect(counts([1, 3, 4, 6, 6], { op: 'avgPool3d', kernelSize: 2 })).toMatchObject({ thop: 486, ptflops: 864, calflops: 432 });
  });
});

describe('adaptive pooling: thop zips every axis; onnx-tool counts what torch.onnx writes', () => {
  it('adaptiveAvgPool2d 5×5 → 3 on [2, 5, 5]: thop 2·7·7 + 18 = 116 (it was NaN), fvcore and calflops 50, ptflops 50/2 + 50 = 75 (batched 100); onnx-tool: 5 % 3 ≠ 0, no export either way', () => {
    expect(counts([2, 5, 5], { op: 'adaptiveAvgPool2d', outputSize: 3 })).toMatchObject({ thop: 116, fvcore: 50, calflops: 50, ptflops: 75, unsupported: ['onnx-tool'] });
    // batched too: "output size that are not factor of input size" (it counted 9 outputs × ⌊5/3⌋² = 18)
    expect(counts([1, 2, 5, 5], { op: 'adaptiveAvgPool2d', outputSize: 3 })).toMatchObject({ thop: 116, fvcore: 50, calflops: 50, ptflops: 100, 'onnx-tool': 0, unsupported: ['onnx-tool'] });
  });
  it('to 1 on [2, 4, 4]: thop 32 + 2, fvcore 32; onnx-tool a GlobalAveragePool over [N 2, C 4, 4]: 32 + 4·8 = 64, batched 32 + 4·2 = 40', () => {
    expect(counts([2, 4, 4], { op: 'adaptiveAvgPool2d', outputSize: 1 })).toMatchObject({ thop: 34, fvcore: 32, ptflops: 48, 'onnx-tool': 64, unsupported: [] });
    expect(counts([1, 2, 4, 4], { op: 'adaptiveAvgPool2d', outputSize: 1 })).toMatchObject({ thop: 34, fvcore: 32, ptflops: 64, 'onnx-tool': 40 });
  });
  it("onnx-tool where sizes[2:] divide by the first output sizes: [3, 6, 8] to [2, 4] is an AveragePool [8/2] over [3, 6, 8]: [3, 6, 2]·4 = 144, the input; batched 24 outputs × 3·2 = 144", () => {
    expect(counts([3, 6, 8], { op: 'adaptiveAvgPool2d', outputSize: [2, 4] })['onnx-tool']).toBe(144);
    expect(counts([1, 3, 6, 8], { op: 'adaptiveAvgPool2d', outputSize: [2, 4] })['onnx-tool']).toBe(144);
  });
  it('adaptiveAvgPool1d on [3, 8]: to 3 thop 3·10 + 9 = 39, onnx-tool none (kernel_shape [] fails the checker); to 1 a GlobalAveragePool over [3, 8]: 24 + 4·24 = 120', () => {
    expect(counts([3, 8], { op: 'adaptiveAvgPool1d', outputSize: 3 })).toMatchObject({ thop: 39, ptflops: 32, calflops: 24, fvcore: 0, unsupported: ['onnx-tool'] });
    expect(counts([1, 3, 8], { op: 'adaptiveAvgPool1d', outputSize: 3 })).toMatchObject({ thop: 39, ptflops: 48, calflops: 24 });
    expect(counts([3, 8], { op: 'adaptiveAvgPool1d', outputSize: 1 })['onnx-tool']).toBe(120);
  });
  it('adaptiveAvgPool3d: [3, 4, 5, 6] to (2, 2, 3) thop 3·4·6·6 + 36 = 468, ptflops 360/3 + 360 = 480 (batched 720); onnx-tool [3, 4, 6, 6] to (2, 2, 3) 432, to 1: 192 + 4·12 = 240', () => {
    expect(counts([3, 4, 5, 6], { op: 'adaptiveAvgPool3d', outputSize: [2, 2, 3] })).toMatchObject({ thop: 468, ptflops: 480, calflops: 360, fvcore: 0, unsupported: ['onnx-tool'] });
    expect(counts([1, 3, 4, 5, 6], { op: 'adaptiveAvgPool3d', outputSize: [2, 2, 3] })).toMatchObject({ thop: 468, ptflops: 720, calflops: 360 });
    expect(counts([3, 4, 6, 6], { op: 'adaptiveAvgPool3d', outputSize: [2, 2, 3] })).toMatchObject({ 'onnx-tool': 432, unsupported: [] });
    expect(counts([3, 4, 4, 4], { op: 'adaptiveAvgPool3d', outputSize: 1 })['onnx-tool']).toBe(240);
  });
  it('adaptive max pooling: thop 0; onnx-tool 192 for [3, 8, 8] to 2 (MaxPool [4]) and [3, 4, 4, 4] to 2 (MaxPool [2, 2]); none for [3, 8, 8] to 3 (8 % 3) nor any 1-D', () => {
    expect(counts([3, 8, 8], { op: 'adaptiveMaxPool2d', outputSize: 2 })).toMatchObject({ thop: 0, ptflops: 256, calflops: 192, 'onnx-tool': 192, unsupported: [] });
    expect(counts([3, 4, 4, 4], { op: 'adaptiveMaxPool3d', outputSize: 2 })).toMatchObject({ 'onnx-tool': 192, unsupported: [] });
    expect(counts([3, 8, 8], { op: 'adaptiveMaxPool2d', outputSize: 3 }).unsupported).toEqual(['onnx-tool']);
    expect(counts([1, 3, 8, 8], { op: 'adaptiveMaxPool2d', outputSize: 3 }).unsupported).toEqual(['onnx-tool']);
    expect(counts([3, 8], { op: 'adaptiveMaxPool1d', outputSize: 1 }).unsupported).toEqual(['onnx-tool']);
  });
});

describe('explain: adaptive pools read C before the pooled axes of an unbatched sample', () => {
  it('adaptiveAvgPool2d [2, 5, 5] → 3: 98 = C 2 · Σ windows h 7 · Σ windows w 7 (it gave 0, disagreeing); [1, 2, 5, 5]: N·C 1·2', () => {
    const e = elementwise([2, 5, 5], { op: 'adaptiveAvgPool2d', outputSize: 3 });
    expect(e.elementwise.formula).toBe('98 = C 2 · Σ windows h 7 · Σ windows w 7');
    expect(e.agrees).toBe(true);
    expect(elementwise([1, 2, 5, 5], { op: 'adaptiveAvgPool2d', outputSize: 3 }).elementwise.formula).toBe('98 = N·C 1·2 · Σ windows h 7 · Σ windows w 7');
  });
  it('adaptiveAvgPool3d [3, 4, 5, 6] → (2, 2, 3): 432 = C 3 · Σ windows 4·6·6; adaptiveMaxPool2d [3, 8, 8] → 3: 3·10·10 − 27 = 273', () => {
    const avg = elementwise([3, 4, 5, 6], { op: 'adaptiveAvgPool3d', outputSize: [2, 2, 3] });
    expect(avg.elementwise.formula).toBe('432 = C 3 · Σ windows per axis 4·6·6');
    expect(avg.agrees).toBe(true);
    const max = elementwise([3, 8, 8], { op: 'adaptiveMaxPool2d', outputSize: 3 });
    expect(max.elementwise.formula).toBe('273 = C 3 · Σ windows per axis 10·10 − outputs 3·3·3');
    expect(max.agrees).toBe(true);
    expect(elementwise([1, 3, 8, 8], { op: 'adaptiveMaxPool2d', outputSize: 3 }).elementwise.formula).toBe('273 = N·C 1·3 · Σ windows per axis 10·10 − outputs 1·3·3·3');
  });
});

/** What each tool printed (scripts/convention_truth_cases.py unbatched → test/fixtures/conventions/cases.json). */
interface ToolRun {
  input: number[];
  thop: number;
  ptflops: { total: number; batch: number };
  fvcore: number;
  torchinfo: number;
  calflops: number;
  'calflops-macs': number;
  'onnx-tool': Record<'op13' | 'op17', { total?: number; error?: string }>;
}
const TRUTH = (JSON.parse(readFileSync(new URL('../fixtures/conventions/cases.json', import.meta.url), 'utf8')) as { unbatched: Record<string, Record<'unbatched' | 'batched', ToolRun>> }).unbatched;
/** The spec layer of each measured module. */
const LAYERS: Record<string, Record<string, unknown>> = {
  maxPool2d: { op: 'maxPool2d', kernelSize: 2 },
  avgPool2d: { op: 'avgPool2d', kernelSize: 3, stride: 2, padding: 1 },
  avgPool2dExcludePad: { op: 'avgPool2d', kernelSize: 3, stride: 2, padding: 1, countIncludePad: false },
  avgPool1d: { op: 'avgPool1d', kernelSize: 3, stride: 2, padding: 1 },
  avgPool3d: { op: 'avgPool3d', kernelSize: 2 },
  adaptiveAvgPool2d: { op: 'adaptiveAvgPool2d', outputSize: 3 },
  adaptiveAvgPool2dTo1: { op: 'adaptiveAvgPool2d', outputSize: 1 },
  adaptiveAvgPool2dDivisible: { op: 'adaptiveAvgPool2d', outputSize: [2, 4] },
  adaptiveAvgPool1d: { op: 'adaptiveAvgPool1d', outputSize: 3 },
  adaptiveAvgPool1dTo1: { op: 'adaptiveAvgPool1d', outputSize: 1 },
  adaptiveAvgPool3d: { op: 'adaptiveAvgPool3d', outputSize: [2, 2, 3] },
  adaptiveAvgPool3dDivisible: { op: 'adaptiveAvgPool3d', outputSize: [2, 2, 3] },
  adaptiveAvgPool3dTo1: { op: 'adaptiveAvgPool3d', outputSize: 1 },
  adaptiveMaxPool2d: { op: 'adaptiveMaxPool2d', outputSize: 2 },
  adaptiveMaxPool2dIndivisible: { op: 'adaptiveMaxPool2d', outputSize: 3 },
  adaptiveMaxPool3d: { op: 'adaptiveMaxPool3d', outputSize: 2 },
  adaptiveMaxPool1d: { op: 'adaptiveMaxPool1d', outputSize: 1 },
};

describe('every preset equals its tool on each measured pool, unbatched and as the batch of one (cases.json unbatched)', () => {
  it('the fixture measures every module listed here', () => expect(Object.keys(TRUTH).sort()).toEqual(Object.keys(LAYERS).sort()));
  for (const [name, runs] of Object.entries(TRUTH)) {
    for (const key of ['unbatched', 'batched'] as const) {
      const run = runs[key];
      it(`${name} on [${run.input.join(', ')}]: thop ${run.thop}, ptflops ${run.ptflops.total} (batch counter ${run.ptflops.batch}), fvcore ${run.fvcore}, calflops ${run.calflops}, onnx-tool ${run['onnx-tool'].op17.total ?? 'none'}`, () => {
        const input = analysed(net(run.input, LAYERS[name]));
        const total = (preset: string) => countWith(PRESETS_BY_NAME.get(preset)!, input);
        for (const tool of ['thop', 'fvcore', 'torchinfo', 'calflops', 'calflops-macs'] as const) expect([tool, total(tool).total]).toEqual([tool, run[tool]]);
        expect(total('ptflops').total).toBe(run.ptflops.total);
        expect(input.report.inputs[0].shape[0]).toBe(run.ptflops.batch);
        const onnx = total('onnx-tool');
        for (const opset of ['op13', 'op17'] as const) {
          const measured = run['onnx-tool'][opset];
          expect([opset, onnx.total, onnx.unsupported]).toEqual([opset, measured.total ?? 0, measured.error ? ['l0'] : []]);
        }
      });
    }
  }
});

describe("globalAvgPool2d in a JSON spec is nn.AdaptiveAvgPool2d(1): every preset equals its tool on the measured module (cases.json unbatched adaptiveAvgPool2dTo1)", () => {
  for (const key of ['unbatched', 'batched'] as const) {
    const run = TRUTH.adaptiveAvgPool2dTo1[key];
    it(`on [${run.input.join(', ')}]: thop ${run.thop}, ptflops ${run.ptflops.total}, onnx-tool ${run['onnx-tool'].op17.total} (a GlobalAveragePool over [x0, x1, …]: its divides per x0·x1; it counted one per output, C, unbatched)`, () => {
      const input = analysed(net(run.input, { op: 'globalAvgPool2d' }));
      const total = (preset: string) => countWith(PRESETS_BY_NAME.get(preset)!, input).total;
      for (const tool of ['thop', 'fvcore', 'torchinfo', 'calflops', 'calflops-macs'] as const) expect([tool, total(tool)]).toEqual([tool, run[tool]]);
      expect(total('ptflops')).toBe(run.ptflops.total);
      for (const opset of ['op13', 'op17'] as const) expect([opset, total('onnx-tool')]).toEqual([opset, run['onnx-tool'][opset].total]);
    });
  }
  it("ptflops' why on [3, 8, 8] says the first axis was read as the batch (as adaptiveAvgPool2d's does), not 'at batch 3'", () => {
    const c = countWith(PRESETS_BY_NAME.get('ptflops')!, analysed(net([3, 8, 8], { op: 'globalAvgPool2d' })));
    expect(c.byFamily[0].why).toContain("takes its first axis, 3, for the batch: the module hooks' 192 for the one sample are divided by 3 (l. 199), 64");
    expect(c.headline).not.toContain('at batch 3');
  });
});
