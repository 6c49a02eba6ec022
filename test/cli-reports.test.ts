import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEVICES_BY_ID } from '../src/analysis/devices.js';
import { main } from '../src/cli.js';
import type { Io } from '../src/cli.js';

async function cli(argv: string[], extra: Partial<Io> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t), ...extra });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const fixture = (p: string) => fileURLToPath(new URL(`./fixtures/${p}`, import.meta.url));
const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-cli-reports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// resnet18: 11,689,512 params, 1,814,073,344 MACs; resnet34: 21,797,672 params (torchvision), 3,663,761,408 MACs
describe('convlens compare OLD NEW (issue 11)', () => {
  it('resnet18 → resnet34 without gates: exit 0, params +10,108,160 (+86.47%) in the table', async () => {
    const r = await cli(['compare', 'resnet18', 'resnet34']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^params\s+11,689,512\s+21,797,672\s+\+10,108,160\s+\+86\.47%$/m);
    expect(r.out).toMatch(/^MACs\s+1,814,073,344\s+3,663,761,408\s+\+1,849,688,064\s+\+101\.96%$/m);
    expect(r.out).toMatch(/layers: \d+ matched .* added, 0 removed/);
  });

  it('--max-params-increase 10% fails (exit 1, +86.47% > 10%) and names the gate on stderr; 100% passes', async () => {
    const r = await cli(['compare', 'resnet18', 'resnet34', '--max-params-increase', '10%']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('gate failed: params 11,689,512 → 21,797,672 (+10,108,160, +86.47%) exceeds --max-params-increase 10%');
    expect((await cli(['compare', 'resnet18', 'resnet34', '--max-params-increase', '100%', '--max-macs-increase', '2e9'])).code).toBe(0);
  });

  it('--format md: the pull-request comment with the gate verdict and the summary table', async () => {
    const r = await cli(['compare', 'resnet18', 'resnet34', '--format', 'md', '--max-macs-increase', '5%']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('## convlens: `resnet18` → `resnet34`');
    expect(r.out).toContain('❌ **The gate failed.**');
    expect(r.out).toMatch(/^\| params \| 11,689,512 \| 21,797,672 \| ▲ \+10,108,160 \| \+86\.47% \|$/m);
  });

  it('--format json: the comparison and the gates; a model against itself changes nothing (--max-params-increase 0 passes)', async () => {
    const r = await cli(['compare', 'resnet18', 'resnet18', '--format', 'json', '--max-params-increase', '0']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.comparison.totals.find((t: { metric: string }) => t.metric === 'params')).toEqual({ metric: 'params', before: 11_689_512, after: 11_689_512, delta: 0, percent: 0 });
    expect(j.comparison.layers.added).toEqual([]);
    expect(j.gates.passed).toBe(true);
    // the CLI names a gate by its flag, as given
    expect(j.gates.results).toMatchObject([{ metric: 'params', givenAs: '--max-params-increase', flag: '--max-params-increase' }]);
  });

  it('an ONNX file against its zoo model with --input-old: layers paired by module path, params equal', async () => {
    const r = await cli(['compare', fixture('onnx/resnet18.onnx'), 'resnet18', '--input-old', '1,3,224,224', '--format', 'json', '--max-params-increase', '0']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.comparison.totals.find((t: { metric: string }) => t.metric === 'params').delta).toBe(0);
    expect(j.comparison.layers.matched.some((d: { matchedBy: string }) => d.matchedBy === 'path')).toBe(true);
  });

  it('misuse exits 2: a limit that is not a number, --max-latency-increase without --device, a missing file', async () => {
    const bad = await cli(['compare', 'resnet18', 'resnet34', '--max-macs-increase', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("'lots' is not an increase limit");
    const noDevice = await cli(['compare', 'resnet18', 'resnet34', '--max-latency-increase', '5%']);
    expect(noDevice.code).toBe(2);
    expect(noDevice.err).toContain('--max-latency-increase needs --device');
    expect((await cli(['compare', 'resnet18', path.join(tmp, 'missing.onnx')])).code).toBe(2);
  });

  it('peak memory and latency gates compute their analyses: resnet34 is slower on the Pi (--max-latency-increase 0 fails)', async () => {
    const r = await cli(['compare', 'resnet18', 'resnet34', '--device', 'raspberry-pi-5', '--max-latency-increase', '0', '--max-peak-memory-increase', '0', '--format', 'json']);
    expect(r.code).toBe(1);
    const gates = JSON.parse(r.out).gates.results;
    expect(gates.map((g: { metric: string; status: string }) => [g.metric, g.status])).toEqual([
      ['peakMemoryBytes', 'pass'], // both peak at the stem: conv1 and bn1 outputs + the input
      ['latencySeconds', 'fail'],
    ]);
  });
});

describe('the text tables name what they hold', () => {
  it('compare resnet18 resnet18 --device raspberry-pi-5: a latency change of nothing reads 0 s (it read 0.000 ns)', async () => {
    const r = await cli(['compare', 'resnet18', 'resnet18', '--device', 'raspberry-pi-5']);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('0.000 ns');
    expect(r.out).toMatch(/^latency[^\n]*\s0 s\s/m);
  });

  it('sweep resnet18 --sizes 64: the column of peak activations says so (it said peak memory: weights are not in it)', async () => {
    const r = await cli(['sweep', 'resnet18', '--sizes', '64']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^size\s+valid\s+params\s+MACs\s+peak activations \(float32\)\s/m);
  });

  it('sweep resnet18 --sizes 64 --in-place: the peak column says in place (the table did not say which count it held)', async () => {
    const r = await cli(['sweep', 'resnet18', '--sizes', '64', '--in-place']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^size\s+valid\s+params\s+MACs\s+peak activations \(float32, in place\)\s/m);
  });
});

describe('PyTorch exports are all named torch_jit: the CLI names them by their file', () => {
  it("compare resnet18.onnx resnet18_folded.onnx: the title is `resnet18` → `resnet18_folded` (it was `torch_jit` → `torch_jit`); analyze's report is named resnet18", async () => {
    const r = await cli(['compare', fixture('onnx/resnet18.onnx'), fixture('onnx/resnet18_folded.onnx'), '--input', '1,3,224,224', '--format', 'md']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('## convlens: `resnet18` → `resnet18_folded`');
    const a = await cli(['analyze', fixture('onnx/resnet18.onnx'), '--input', '1,3,224,224', '--format', 'json']);
    expect(JSON.parse(a.out).name).toBe('resnet18');
  });
});

describe('convlens analyze: extra analyses and formats (issue 11)', () => {
  it('resnet18 --memory --device raspberry-pi-5 --format json: memory.peak and roofline.totals, the roofline recomputed from the layers', async () => {
    const r = await cli(['analyze', 'resnet18', '--memory', '--device', 'raspberry-pi-5', '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    // the peak is at bn1: the input 3·224² + conv1's and bn1's outputs 64·112² each, float32
    expect(j.memory.peak).toMatchObject({ layer: 'bn1', bytes: (3 * 224 * 224 + 2 * 64 * 112 * 112) * 4 });
    expect(j.memory.torchinfo.lines[2]).toBe('Params size (MB): 46.76');
    const pi = DEVICES_BY_ID.get('raspberry-pi-5')!;
    const conv1 = j.roofline.layers[0];
    expect(conv1.name).toBe('conv1');
    expect(conv1.seconds).toBeCloseTo(Math.max((2 * 118_013_952) / pi.peaks.float32, (conv1.bytes as number) / pi.bandwidth), 15);
    expect(j.roofline.totals.seconds).toBeCloseTo(j.roofline.layers.reduce((s: number, l: { seconds: number }) => s + l.seconds, 0), 12);
    expect(j.totals.params).toBe(11_689_512);
  });

  it('the table prints the peak with its layer, the latency lower bound with the slowest layers, and the module tree at --depth 1', async () => {
    const r = await cli(['analyze', 'resnet18', '--memory', '--device', 'raspberry-pi-5', '--depth', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('peak activation memory: 7,024,640 B (7.025 MB, float32) at layer bn1 (step 1)');
    expect(r.out).toMatch(/^latency on Raspberry Pi 5 .*: at least \d+\.\d+ ms/m);
    expect(r.out).toContain('slowest layers:');
    expect(r.out).toMatch(/^layer1\s+14\s+148\.0 k\s+462\.422 M\s+25\.49%$/m);
  });

  it('--convention thop: the headline and the families that differ', async () => {
    const r = await cli(['analyze', 'resnet18', '--convention', 'thop', '--format', 'json']);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out).convention;
    expect(c.preset).toBe('thop');
    expect(c.convlensMacs).toBe(1_814_073_344);
    expect(c.headline).toContain('where convlens counts 1,814,073,344 MACs');
    const table = await cli(['analyze', 'resnet18', '--convention', 'thop']);
    expect(table.out).toMatch(/^convention thop .*where convlens counts 1,814,073,344 MACs/m);
    expect(table.out).toMatch(/^family\s+layers\s+MACs\s+convlens MACs\s+difference\s+why$/m);
    const unknown = await cli(['analyze', 'resnet18', '--convention', 'thopp']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("did you mean 'thop'?");
  });

  it('--explain adds every layer\'s formula: conv1 of resnet18 is 118,013,952 MACs', async () => {
    const r = await cli(['analyze', 'resnet18', '--explain', '--format', 'json']);
    expect(r.code).toBe(0);
    const layers = JSON.parse(r.out).explain.layers as { name: string; macs: { value: number } | null }[];
    expect(layers.find((l) => l.name === 'conv1')?.macs?.value).toBe(118_013_952);
  });

  it('--format md: the report as Markdown with the totals, and memory when asked', async () => {
    const r = await cli(['analyze', 'resnet18', '--format', 'md', '--depth', '2', '--memory']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('## convlens report: `resnet18`');
    expect(r.out).toContain('### Modules (depth 2)');
    expect(r.out).toContain('11,689,512');
    expect(r.out).toMatch(/^\| peak activations \(at `bn1`\) \| 7,024,640 \|$/m);
  });

  it('--format netron on the resnet18 ONNX file: a Netron attachment with conv1\'s metrics', async () => {
    const r = await cli(['analyze', fixture('onnx/resnet18.onnx'), '--input', '1,3,224,224', '--format', 'netron']);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.out);
    expect(a.signature).toBe('netron:attachment');
    const conv1 = a.metrics.filter((m: { kind: string; target: string }) => m.kind === 'node' && m.target === '/conv1/Conv');
    expect(conv1.find((m: { name: string }) => m.name === 'macs').value).toBe(118_013_952);
    expect(conv1.find((m: { name: string }) => m.name === 'params').value).toBe(9408);
  });

  it('--format netron on a zoo model or a JSON spec is misuse: exit 2, nothing on stdout', async () => {
    const r = await cli(['analyze', 'resnet18', '--format', 'netron']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('--format netron annotates the nodes of an ONNX file');
    expect((await cli(['analyze', fixture('specs/mobilenet_v2.json'), '--format', 'netron'])).code).toBe(2);
  });

  it('--out writes the report to the file and prints one line on stderr saying where, nothing on stdout (md, html, json)', async () => {
    const md = path.join(tmp, 'resnet18.md');
    const r = await cli(['analyze', 'resnet18', '--format', 'md', '--out', md]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(`^convlens: wrote the md report to ${md.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\([\\d,]+ bytes\\)$`));
    expect(readFileSync(md, 'utf8')).toContain('## convlens report: `resnet18`');
    const html = path.join(tmp, 'resnet18.html');
    expect((await cli(['analyze', 'resnet18', '--format', 'html', '--device', 'jetson-orin-nano-8gb', '--out', html])).code).toBe(0);
    const doc = readFileSync(html, 'utf8');
    expect(doc.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(doc).toContain('<svg');
    expect(doc).not.toMatch(/<script/i);
    const json = path.join(tmp, 'resnet18.json');
    expect((await cli(['analyze', 'resnet18', '--format', 'json', '--out', json])).code).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8')).totals.macs).toBe(1_814_073_344);
  });
});

describe('convlens analyze: memory and latency gates (issue 11)', () => {
  it('--max-latency needs --device: exit 2', async () => {
    const r = await cli(['analyze', 'resnet18', '--max-latency', '0.1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--max-latency needs --device');
  });

  it('--max-latency on the Pi: 1 ms fails (exit 1, the lower bound is ~27 ms), 1 s passes', async () => {
    const over = await cli(['analyze', 'resnet18', '--device', 'raspberry-pi-5', '--max-latency', '0.001']);
    expect(over.code).toBe(1);
    // in ms as the roofline prints it (it was 0.0267557233091165 s > 0.001 s)
    expect(over.err).toMatch(/budget exceeded: latency lower bound 26\.\d\d ms > 1\.000 ms$/m);
    expect((await cli(['analyze', 'resnet18', '--device', 'raspberry-pi-5', '--max-latency', '1'])).code).toBe(0);
  });

  it('--max-peak-memory runs the memory analysis: 7,024,640 B passes at 7024640 and fails at 7024639', async () => {
    expect((await cli(['analyze', 'resnet18', '--max-peak-memory', '7024640'])).code).toBe(0);
    const over = await cli(['analyze', 'resnet18', '--max-peak-memory', '7024639']);
    expect(over.code).toBe(1);
    expect(over.err).toContain('budget exceeded: peak activation memory 7,024,640 B > 7,024,639 B');
    // rounded alike, a latency is given in full: 26.76 ms > 26.76 ms would say nothing
    const near = await cli(['analyze', 'resnet18', '--device', 'raspberry-pi-5', '--max-latency', '0.026755']);
    expect(near.err).toMatch(/budget exceeded: latency lower bound 0\.02675\d+ s > 0\.026755 s$/m);
    // --max-memory is memory access (bytes moved), said so beside peak memory (it said `memory 116954688 B`);
    // 116,950,592 since 2026-12-06: the flatten before fc is a view, no longer 512 read + 512 written (4,096 B)
    expect((await cli(['analyze', 'resnet18', '--max-memory', '1e8'])).err).toContain('budget exceeded: memory access 116,950,592 B > 100,000,000 B');
  });

  it("--in-place: resnet18's ReLUs overwrite their input, its batch norms do not (PyTorch's); the peak stays at bn1, 602,112 + 2 · 3,211,264 B, with or without", async () => {
    const plain = JSON.parse((await cli(['analyze', 'resnet18', '--memory', '--format', 'json'])).out).memory;
    const inPlace = JSON.parse((await cli(['analyze', 'resnet18', '--in-place', '--format', 'json'])).out).memory;
    expect(inPlace.inPlace).toBe(true);
    const allocated = (m: { timeline: { layer: string; allocatedBytes: number }[] }, layer: string) => m.timeline.find((t) => t.layer === layer)!.allocatedBytes;
    expect([allocated(inPlace, 'bn1'), allocated(inPlace, 'relu')]).toEqual([3_211_264, 0]);
    expect(allocated(plain, 'relu')).toBe(3_211_264);
    expect([plain.peak.bytes, inPlace.peak.bytes]).toEqual([7_024_640, 7_024_640]);
  });
});
