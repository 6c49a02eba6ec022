import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEVICES } from '../src/analysis/devices.js';
import { PRESETS } from '../src/conventions/index.js';
import { main } from '../src/cli.js';
import type { Io } from '../src/cli.js';
import { sizesOption } from '../src/cli/sweep.js';
import { sweepTable } from '../src/cli/sweep-stream.js';
import { sweepMarkdown } from '../src/analysis/formats/sweep-markdown.js';
import { AnalyzeOptionsSchema } from '../src/analysis/report.js';
import { sweepResolutions } from '../src/analysis/sweep.js';
import { hardmaxNet } from './graph/onnx-builder.js';

async function cli(argv: string[], extra: Partial<Io> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t), ...extra });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const fixture = (p: string) => fileURLToPath(new URL(`./fixtures/${p}`, import.meta.url));
const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-cli-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('convlens sweep TARGET --sizes (issue 11)', () => {
  it('resnet18 at 160 and 224 as JSON: MACs scale with the area (conv1 alone: 118,013,952 at 224, ·(160/224)² at 160), final maps 5×5 and 7×7', async () => {
    const r = await cli(['sweep', 'resnet18', '--sizes', '160,224', '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.sizes.map((s: { size: number[] }) => s.size)).toEqual([
      [160, 160],
      [224, 224],
    ]);
    const [s160, s224] = j.sizes;
    expect(s224).toMatchObject({ status: 'ok', valid: true, params: 11_689_512, macs: 1_814_073_344, finalFeatureMap: [7, 7], latencySeconds: null });
    expect(s160).toMatchObject({ status: 'ok', valid: true, params: 11_689_512, finalFeatureMap: [5, 5] });
    // every conv and pool output is (160/224)² of its 224 size here (160 = 5·32, 224 = 7·32); fc's 512,000 MACs do not scale
    expect(s160.macs).toBe(((1_814_073_344 - 512_000) * 25) / 49 + 512_000);
    expect(s160.peakActivationBytes).toBe((3 * 160 * 160 + 2 * 64 * 80 * 80) * 4);
  });

  it('--device adds the latency lower bound per size; a size not k·2^n (225) is listed as not valid in the table', async () => {
    const r = await cli(['sweep', 'resnet18', '--sizes', '224,225', '--device', 'raspberry-pi-5']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/latency: roofline lower bound on Raspberry Pi 5/);
    expect(r.out).toMatch(/^224×224\s+yes\s+11\.690 M\s+1\.814 G\s+7\.025 MB\s+\d+\.\d+ ms\s+7×7/m);
    expect(r.out).toMatch(/^225×225\s+no\s/m);
    expect(r.out).toMatch(/^225×225: input 225×225 is not k·2\^n/m);
  });

  it('exit 2 when no size could be analysed (a 3×3 conv without padding at 1×1 and 2×2: KERNEL_TOO_LARGE), 0 when one could (3×3)', async () => {
    const spec = path.join(tmp, 'kernel3.json');
    writeFileSync(spec, JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1, 3, 3] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 3 }] }));
    const none = await cli(['sweep', spec, '--sizes', '1,2']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^convlens: 1×1: .*KERNEL_TOO_LARGE|kernel/im);
    const some = await cli(['sweep', spec, '--sizes', '2,3']);
    expect(some.code).toBe(0);
    // 3×3: one output position, 9 MACs and 10 parameters; valid: the unpadded 3×3 loses a border of 2, and 3 = 1·2^0 + 2
    expect(some.out).toMatch(/^3×3\s+yes\s+10\s+9\s/m);
  });

  it("unet at 224 and 300×200: a zoo model that cannot be built at the height 300 (its skip concat meets 37 and 36) is that size's error row, exit 0 (it aborted the sweep: exit 2, the 224 row lost)", async () => {
    const r = await cli(['sweep', 'unet', '--sizes', '224,300x200']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^input 'input', built for 256×256/);
    expect(r.out).toMatch(/^224×224\s+yes\s+31\.038 M/m);
    expect(r.out).toMatch(/^300×200\s+error\s/m);
    expect(r.err).toContain('300×200: SHAPE_MISMATCH: unet at resolution 300');
  });

  it('--format md: a table with a row per size', async () => {
    const r = await cli(['sweep', 'resnet18', '--sizes', '160,224', '--format', 'md']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('## convlens sweep: `resnet18`, input `input` (built for 224×224)');
    expect(r.out).toMatch(/^\| 224×224 \| ✅ \| 11,689,512 \| 1,814,073,344 \|/m);
  });

  it('an ONNX file with --input: H and W swept, N and C kept', async () => {
    const r = await cli(['sweep', fixture('onnx/resnet18.onnx'), '--input', '1,3,224,224', '--sizes', '224', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).sizes[0]).toMatchObject({ size: [224, 224], macs: 1_814_073_344 });
  });

  it('a progress bar ticks once per size: lines with --progress off a terminal, one redrawn line on a terminal, nothing otherwise', async () => {
    const lines = await cli(['sweep', 'resnet18', '--sizes', '160,224', '--format', 'json', '--progress']);
    expect(lines.err.split('\n')).toEqual([
      `convlens: [${'.'.repeat(24)}] 0/2 160×160`,
      `convlens: [${'#'.repeat(12)}${'.'.repeat(12)}] 1/2 224×224`,
      `convlens: [${'#'.repeat(24)}] 2/2 done`,
    ]);
    expect(JSON.parse(lines.out).sizes).toHaveLength(2);
    const raw: string[] = [];
    const tty = await cli(['sweep', 'resnet18', '--sizes', '160,224'], { errIsTTY: true, errWrite: (t) => raw.push(t) });
    expect(tty.err).toBe('');
    expect(raw).toHaveLength(4);
    expect(raw[2]).toBe(`\r\x1b[K[${'#'.repeat(24)}] 2/2 done`);
    expect(raw[3]).toBe('\r\x1b[K');
    const quiet = await cli(['sweep', 'resnet18', '--sizes', '160,224', '--no-progress'], { errIsTTY: true, errWrite: (t) => raw.push(t) });
    expect(quiet.err).toBe('');
    expect(raw).toHaveLength(4);
    expect((await cli(['sweep', 'resnet18', '--sizes', '160'])).err).toBe('');
  });

  it('misuse exits 2: no --sizes, a size that is not a number, an unknown device (with a suggestion)', async () => {
    expect((await cli(['sweep', 'resnet18'])).code).toBe(2);
    const bad = await cli(['sweep', 'resnet18', '--sizes', '160,big']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("'big' is not a size");
    const device = await cli(['sweep', 'resnet18', '--sizes', '224', '--device', 'raspberry-pi5']);
    expect(device.code).toBe(2);
    expect(device.err).toContain("did you mean 'raspberry-pi-5'?");
  });
});

describe('progress of analyze on ONNX files', () => {
  it('--progress shows reading, importing and analysing; without it and off a terminal, nothing', async () => {
    const r = await cli(['analyze', fixture('onnx/resnet18.onnx'), '--input', '1,3,224,224', '--format', 'json', '--progress']);
    expect(r.code).toBe(0);
    const steps = r.err.split('\n');
    expect(steps[0]).toMatch(/^convlens: reading .*resnet18\.onnx \(\d+\.\d MB\)…$/);
    expect(steps.slice(1)).toEqual(['convlens: importing ONNX…', expect.stringMatching(/^convlens: analysing \d+ layers…$/)]);
    // a small file on a terminal: no progress (it shows by itself from 20 MB)
    const raw: string[] = [];
    await cli(['analyze', fixture('onnx/resnet18.onnx'), '--input', '1,3,224,224', '--format', 'json'], { errIsTTY: true, errWrite: (t) => raw.push(t) });
    expect(raw).toEqual([]);
  });
});

describe('convlens compare on incomplete analyses', () => {
  // conv0 (36 params) → Hardmax (unsupported: an ONNX op convlens does not model) → conv (not analysed)
  const model = () => {
    const file = path.join(tmp, 'hardmax.onnx');
    writeFileSync(file, hardmaxNet(4, 1));
    return file;
  };

  it('a gate on an incomplete analysis cannot pass: exit 4, and 0 with --allow-incomplete; no gate: exit 0', async () => {
    const f = model();
    const r = await cli(['compare', f, f, '--max-params-increase', '0']);
    expect(r.code).toBe(4);
    expect(r.err).toContain('gate not judged: params 36 → 36 (0, 0.00%): an analysis is incomplete');
    expect(r.err).toContain('--allow-incomplete');
    expect((await cli(['compare', f, f, '--max-params-increase', '0', '--allow-incomplete'])).code).toBe(0);
    expect((await cli(['compare', f, f])).code).toBe(0);
  });
});

describe('convlens devices and conventions', () => {
  it('devices lists every built-in profile with its float32 peak and bandwidth: the Pi 5 at 0.154 TFLOP/s and 17.07 GB/s', async () => {
    const r = await cli(['devices']);
    expect(r.code).toBe(0);
    for (const d of DEVICES) expect(r.out).toContain(d.id);
    expect(r.out).toMatch(/^raspberry-pi-5\s+board-cpu\s+0\.154 TFLOP\/s\s+0\.307 TFLOP\/s\s+-\s+0\.614 TOP\/s\s+17\.07 GB\/s/m);
    expect(r.out).toMatch(/^a100-sxm4-40gb\s+datacenter-gpu\s+19\.5 TFLOP\/s\s+312 TFLOP\/s\s+312 TFLOP\/s\s+624 TOP\/s\s+1555 GB\/s/m);
  });

  it('conventions lists every preset with its tool, unit and version', async () => {
    const r = await cli(['conventions']);
    expect(r.code).toBe(0);
    for (const p of PRESETS) expect(r.out).toMatch(new RegExp(`^${p.name}\\s+`, 'm'));
  });

  it('--help lists the new commands', async () => {
    const r = await cli(['--help']);
    for (const c of ['analyze', 'compare', 'sweep', 'devices', 'conventions']) expect(r.out).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    const cmp = await cli(['compare', '--help']);
    expect(cmp.out).toContain('--max-macs-increase <limit>');
    expect(cmp.out).toMatch(/^ {2}4 {2}a gate could not be judged/m);
  });
});

describe('--sizes spellings', () => {
  it('224x160, 224X160 and 224×160 are one size (the capital X was refused); 160 is a side', () => {
    expect(sizesOption('224x160,224X160,224×160,160')).toEqual([[224, 160], [224, 160], [224, 160], 160]);
  });
});

describe('the report on stdout written as the sweep goes (cli/sweep-stream.ts)', () => {
  /** main() with stdout as streamIo writes it (a line break added where a write has none), and each write's text. */
  async function written(argv: string[]) {
    const writes: string[] = [];
    const code = await main(argv, { out: (t) => void writes.push(t.endsWith('\n') ? t : `${t}\n`), err: () => {} });
    return { code, text: writes.join(''), writes };
  }
  const source = { kind: 'model', name: 'resnet18' } as const;
  const sweepOf = (device?: string) => sweepResolutions(source, { sizes: [160, 225, [224, 320]], ...(device && { device }) }, AnalyzeOptionsSchema.parse({}));

  it('json: the bytes of JSON.stringify(report, null, 2), in 4 writes for 3 sizes (the head, then each size once the next, or the end, says whether a comma follows)', async () => {
    const r = await written(['sweep', 'resnet18', '--sizes', '160,225,224x320', '--format', 'json', '--device', 'raspberry-pi-5']);
    expect(r.code).toBe(0);
    expect(r.text).toBe(`${JSON.stringify(sweepOf('raspberry-pi-5'), null, 2)}\n`);
    expect(r.writes).toHaveLength(4);
    expect(r.writes[0]).toMatch(/"sizes": \[\n$/);
  });

  it('md: the bytes of sweepMarkdown(report), the head then a write per row', async () => {
    const r = await written(['sweep', 'resnet18', '--sizes', '160,225,224x320', '--format', 'md']);
    expect(r.text).toBe(sweepMarkdown(sweepOf()));
    expect(r.writes).toHaveLength(4);
  });

  it('table: the bytes of sweepTable(report) (what --out writes), columns fixed before the rows (params and MACs 9 wide, size as the widest asked for), the reasons last', async () => {
    const r = await written(['sweep', 'resnet18', '--sizes', '160,225,224x320']);
    expect(r.text).toBe(`${sweepTable(sweepOf())}\n`);
    expect(r.writes).toHaveLength(1 + 3 + 1);
    const file = path.join(tmp, 'sweep.txt');
    await written(['sweep', 'resnet18', '--sizes', '160,225,224x320', '--out', file]);
    expect(readFileSync(file, 'utf8')).toBe(r.text);
    // 11.690 M is 8 wide: right-aligned in 9; 925.798 M fills them
    expect(r.text).toMatch(/^160×160  yes     11\.690 M  925\.798 M {20}3\.584 MB  5×5        435×435\/32×32$/m);
    expect(r.text).toMatch(/\n\n225×225: input 225×225 is not k·2\^n: the final map 8×8 after stride 32×32 expects 256×256\n$/);
  });
});
