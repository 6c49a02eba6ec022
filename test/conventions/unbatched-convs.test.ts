/**
 * Convolutions of one sample without its batch axis, [C, …spatial] (src/ops/unbatched.ts), under
 * every preset (src/conventions/unbatched-convs.ts): no preset gives NaN, and each gives what its
 * tool printed on 11 such modules and on the batch of one, run from its source at the commit the
 * preset cites on torch 1.13 (scripts/convention_truth_cases.py unbatchedConvs → cases.json).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS, PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import { explainReport } from '../../src/conventions/explain.js';
import { net } from '../helpers.js';
import { analysed } from './helpers.js';

/** The measured modules as spec layers (UNBATCHED_CONVS in scripts/convention_truth_cases.py). */
const LAYERS: Record<string, Record<string, unknown>> = {
  conv1d: { op: 'conv1d', outChannels: 4, kernelSize: 3, padding: 1 },
  conv1dNoBias: { op: 'conv1d', outChannels: 4, kernelSize: 3, stride: 2, bias: false },
  conv2d: { op: 'conv2d', outChannels: 4, kernelSize: 3, stride: 2, padding: 1 },
  conv2dGrouped: { op: 'conv2d', outChannels: 6, kernelSize: 3, groups: 2, bias: false },
  conv3d: { op: 'conv3d', outChannels: 3, kernelSize: 3, padding: 1 },
  convTranspose1d: { op: 'convTranspose1d', outChannels: 2, kernelSize: 3, stride: 2 },
  convTranspose2d: { op: 'convTranspose2d', outChannels: 3, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1 },
  convTranspose2dGrouped: { op: 'convTranspose2d', outChannels: 6, kernelSize: 2, stride: 2, groups: 2, bias: false },
  convTranspose3d: { op: 'convTranspose3d', outChannels: 3, kernelSize: 2, stride: 2 },
  conv1dSizeIsCin: { op: 'conv1d', outChannels: 4, kernelSize: 3 },
  conv2dSizeIsCin: { op: 'conv2d', outChannels: 3, kernelSize: 3, stride: [1, 2], padding: 1 },
};
const FAILED = { error: expect.any(String) };

/** What each tool printed, or why it raised. */
type Figure = number | { error: string };
interface ToolRun {
  input: number[];
  thop: Figure;
  ptflops: { total: number; batch: number };
  fvcore: Figure;
  torchinfo: Figure;
  calflops: Figure;
  'calflops-macs': Figure;
  'onnx-tool': Record<'op13' | 'op17', { total?: number; error?: string }>;
}
const TRUTH = (JSON.parse(readFileSync(new URL('../fixtures/conventions/cases.json', import.meta.url), 'utf8')) as { unbatchedConvs: Record<string, Record<'unbatched' | 'batched', ToolRun>> }).unbatchedConvs;

describe('no preset gives NaN or a non-finite count for any layer of an unbatched conv network', () => {
  // each of the six ops on one sample, chained as a spec: conv2d → convTranspose2d → …
  const nets: [string, number[], Record<string, unknown>[]][] = [
    ['1-D', [3, 9], [{ op: 'conv1d', outChannels: 4, kernelSize: 3 }, { op: 'convTranspose1d', outChannels: 2, kernelSize: 3, stride: 2, groups: 2 }]],
    ['2-D', [3, 8, 8], [{ op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 }, { op: 'convTranspose2d', outChannels: 2, kernelSize: 2, stride: 2 }, { op: 'conv2d', outChannels: 2, kernelSize: 1, groups: 2, bias: false }]],
    ['3-D', [2, 4, 5, 5], [{ op: 'conv3d', outChannels: 3, kernelSize: 3, padding: 1 }, { op: 'convTranspose3d', outChannels: 2, kernelSize: 2, stride: 2, bias: false }]],
  ];
  for (const [rank, shape, layers] of nets) {
    it(`${rank} on [${shape.join(', ')}]: every preset, every layer finite, and the explain report`, () => {
      const input = analysed(net(shape, ...layers));
      for (const p of PRESETS) {
        for (const convTranspose of [undefined, 'input', 'output'] as const) {
          const c = countWith(p, input, convTranspose ? { convTranspose } : {});
          for (const l of c.layers) expect([p.name, convTranspose, l.name, Number.isFinite(l.count)]).toEqual([p.name, convTranspose, l.name, true]);
          expect([p.name, Number.isFinite(c.total)]).toEqual([p.name, true]);
          for (const fam of c.byFamily) expect([p.name, fam.family, fam.why.includes('NaN')]).toEqual([p.name, fam.family, false]);
        }
      }
      for (const l of explainReport(input).layers) expect([l.name, JSON.stringify(l).includes('NaN'), l.agrees]).toEqual([l.name, false, true]);
    });
  }
});

describe('hand-worked: conv1d 3 → 4, k 3, p 1 on [3, 8] (MACs 4·8·3·3 = 288, 32 bias adds) and on [1, 3, 8]', () => {
  const conv = LAYERS.conv1d;
  const total = (shape: number[], preset: string) => countWith(PRESETS_BY_NAME.get(preset)!, analysed(net(shape, conv)));
  it('thop and fvcore 288 both ways; onnx-tool 288 + 32 = 320 both ways', () => {
    for (const shape of [[3, 8], [1, 3, 8]]) expect([total(shape, 'thop').total, total(shape, 'fvcore').total, total(shape, 'onnx-tool').total]).toEqual([288, 288, 320]);
  });
  it('ptflops: the hook reads batch 3, output.shape[2:] = [] (1 position), bias batch·Π output.shape[1:] = 3·8: 36·3 + 24 = 132, divided by 3: 44; batched 320', () => {
    // per position ΠK·Cin·Cout/g = 3·3·4 = 36
    expect(total([3, 8], 'ptflops').total).toBe(44);
    expect(total([1, 3, 8], 'ptflops').total).toBe(320);
    const c = total([3, 8], 'ptflops');
    expect(c.byFamily[0].why).toContain("takes its first axis, 3, for the batch: the module hooks' 132 for the one sample are divided by 3 (l. 199), 44");
    expect(c.headline).not.toContain('at batch 3');
  });
  it('torchinfo: (36 + 4 parameters) × output_size[:1] + [2:] = [4]: 160; batched × [1, 8]: 320', () => {
    expect(total([3, 8], 'torchinfo').total).toBe(160);
    expect(total([1, 3, 8], 'torchinfo').total).toBe(320);
  });
  it("calflops: F.conv1d's assert weight.shape[1] 3 == input.shape[1] 8 fails: listed unsupported, 0; batched 2·288 + 32 = 608", () => {
    const c = total([3, 8], 'calflops');
    expect([c.total, c.unsupported]).toEqual([0, ['l0']]);
    expect(c.byFamily[0].why).toContain('F.conv*d raises');
    expect(c.byFamily[0].why).not.toContain('conv_transpose');
    expect(total([1, 3, 8], 'calflops')).toMatchObject({ total: 608, unsupported: [] });
  });
  it('calflops where the first spatial size equals Cin (conv1d 8 → 4, k 3 on [8, 8]: the assert passes): batch 8, channels 8, no positions: MACs 3·8·4·8 = 768, FLOPs 2·768 + 4·8 = 1568 (measured: cases.json conv1dSizeIsCin)', () => {
    const c = countWith(PRESETS_BY_NAME.get('calflops')!, analysed(net([8, 8], { op: 'conv1d', outChannels: 4, kernelSize: 3 })));
    expect([c.total, c.unsupported]).toEqual([1568, []]);
    expect(countWith(PRESETS_BY_NAME.get('calflops-macs')!, analysed(net([8, 8], { op: 'conv1d', outChannels: 4, kernelSize: 3 }))).total).toBe(768);
  });
});

describe('explain: an unbatched convolution is the batch of one (N 1), agreeing with the report', () => {
  it("conv2d 3 → 4, k 3, p 1 on [3, 8, 8]: 6,912 = N 1 · Cout 4 · H'W' 8·8 · Cin/g 3 · k 3·3 (it read N 3, Cout 8: NaN)", () => {
    const l = explainReport(analysed(net([3, 8, 8], { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 }))).layers[0];
    expect(l.macs.formula).toBe("6,912 = N 1 · Cout 4 · H'W' 8·8 · Cin/g 3 · k 3·3");
    expect(l.agrees).toBe(true);
  });
  it('convTranspose1d 3 → 2, k 3, s 2 on [3, 5]: 90 = N 1 · Cin 3 · ΠI 5 · Cout/g 2 · ΠK 3 (it read N 3, Cin 5)', () => {
    const l = explainReport(analysed(net([3, 5], LAYERS.convTranspose1d))).layers[0];
    expect(l.macs.formula).toBe('90 = N 1 · Cin 3 · ΠI 5 · Cout/g 2 · ΠK 3');
    expect(l.agrees).toBe(true);
  });
});

describe('every preset equals its tool on each measured convolution, unbatched and as the batch of one (cases.json unbatchedConvs)', () => {
  it('the fixture measures every module listed here', () => expect(Object.keys(TRUTH).sort()).toEqual(Object.keys(LAYERS).sort()));
  for (const [name, runs] of Object.entries(TRUTH)) {
    for (const key of ['unbatched', 'batched'] as const) {
      const run = runs[key];
      const show = (v: Figure) => (typeof v === 'number' ? v : 'raises');
      it(`${name} on [${run.input.join(', ')}]: thop ${show(run.thop)}, ptflops ${run.ptflops.total} (batch counter ${run.ptflops.batch}), fvcore ${show(run.fvcore)}, torchinfo ${show(run.torchinfo)}, calflops ${show(run.calflops)}, onnx-tool ${run['onnx-tool'].op17.total ?? 'none'}`, () => {
        const input = analysed(net(run.input, LAYERS[name]));
        const count = (preset: string) => countWith(PRESETS_BY_NAME.get(preset)!, input);
        for (const tool of ['thop', 'fvcore', 'torchinfo', 'calflops', 'calflops-macs'] as const) {
          const c = count(tool);
          const measured = run[tool];
          if (typeof measured === 'number') expect([tool, c.total, c.unsupported]).toEqual([tool, measured, []]);
          else expect([tool, c.total, c.unsupported, measured]).toEqual([tool, 0, ['l0'], FAILED]);
        }
        expect(count('ptflops').total).toBeCloseTo(run.ptflops.total, 9);
        expect(input.report.inputs[0].shape[0]).toBe(run.ptflops.batch);
        const onnx = count('onnx-tool');
        for (const opset of ['op13', 'op17'] as const) {
          const measured = run['onnx-tool'][opset];
          expect([opset, onnx.total, onnx.unsupported]).toEqual([opset, measured.total ?? 0, measured.error ? ['l0'] : []]);
        }
      });
    }
  }
});
