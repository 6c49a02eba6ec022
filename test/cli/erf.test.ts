/**
 * `convlens erf`'s command-line rules (src/cli/erf.ts): `-` is stdout for --png, --svg and
 * --gradient as for --out, one output there at a time, binary never to a terminal.
 */
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';

async function cli(argv: string[], outIsTTY = false) {
  const out: string[] = [];
  const bytes: Buffer[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), outBytes: (d) => bytes.push(Buffer.from(d)), outIsTTY, err: (t) => err.push(t) });
  return { code, out: out.join('\n'), bytes: Buffer.concat(bytes), err: err.join('\n').trimEnd() };
}
const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-cli-erf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string) => path.join(tmp, name);

/** One 3×3 conv, padding 1: 1×1×5×5 → 1×1×5×5; its centre unit (2, 2) sees rows and columns 1…3. */
writeFileSync(file('net.json'), JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1, 5, 5] }], layers: [{ name: 'a', op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 1 }] }));
const base = () => ['erf', file('net.json'), '--samples', '1', '--no-stages', '--out', file('stats.txt')];

describe('erf: - is stdout for --png, --svg and --gradient', () => {
  it('--gradient - puts the .npy on stdout, only it; the statistics go to --out and the notice to stderr', async () => {
    const r = await cli([...base(), '--gradient', '-']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toBe(`convlens: wrote the table ERF statistics to ${file('stats.txt')} (${readFileSync(file('stats.txt')).length} bytes)`);
    expect(r.bytes.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
    const g = decodeNpy(new Uint8Array(r.bytes), 'stdout', 1 << 20);
    expect(g.shape).toEqual([1, 1, 5, 5]);
    // the unit (2, 2) of a 3×3 conv sees the 3×3 window at rows and columns 1…3: 16 of the 25 pixels have no gradient
    const zero = Array.from(g.data).map((v, i) => (v === 0 ? i : -1)).filter((i) => i >= 0);
    expect(zero).toEqual([0, 1, 2, 3, 4, 5, 9, 10, 14, 15, 19, 20, 21, 22, 23, 24]);
    expect(readFileSync(file('stats.txt'), 'utf8')).toMatch(/theoretical field\s+3×3: rows 1…3, columns 1…3/);
  });

  it('--png - is the PNG bytes (signature 89 50 4E 47); --svg - the SVG text', async () => {
    const png = await cli([...base(), '--png', '-']);
    expect(png.code).toBe(0);
    expect([...png.bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const svg = await cli([...base(), '--svg', '-']);
    expect(svg.code).toBe(0);
    expect(svg.bytes.toString('utf8')).toMatch(/^<svg /);
  });

  it('two outputs asking for stdout, or the statistics left there, are usage errors (exit 2), before any work', async () => {
    const two = await cli([...base(), '--png', '-', '--svg', '-']);
    expect([two.code, two.err]).toEqual([2, 'convlens: INVALID_OPTION: --png - and --svg - both ask for stdout, which holds one output: give one of them a file (at --png)']);
    const three = await cli([...base(), '--png', '-', '--svg', '-', '--gradient', '-']);
    expect([three.code, three.err]).toEqual([2, 'convlens: INVALID_OPTION: --png - and --svg - and --gradient - all ask for stdout, which holds one output: give all but one of them files (at --png)']);
    const stats = await cli(['erf', file('net.json'), '--samples', '1', '--gradient', '-']);
    expect([stats.code, stats.err]).toEqual([2, 'convlens: INVALID_OPTION: --gradient - writes to stdout, where the statistics go too: give --out FILE for them (or --out /dev/null) (at --gradient)']);
    const both = await cli(['erf', file('net.json'), '--samples', '1', '--out', '-', '--png', '-']);
    expect(both.code).toBe(2);
    expect(both.bytes.length + both.out.length).toBe(0);
  });

  // found by the fuzz round: `--gradient g.npy --out g.npy` exited 0 with the statistics table in g.npy, the gradient gone
  it('two outputs naming one file are a usage error (exit 2) before any work, the file untouched; /dev/null may take several', async () => {
    writeFileSync(file('same.npy'), 'kept');
    const r = await cli(['erf', file('net.json'), '--samples', '1', '--gradient', file('same.npy'), '--out', path.join(tmp, '.', 'same.npy')]);
    expect([r.code, r.out, r.err]).toEqual([2, '', `convlens: INVALID_OPTION: --gradient ${file('same.npy')} is the file --out writes: one would replace the other; give each its own file (at --gradient)`]);
    expect(readFileSync(file('same.npy'), 'utf8')).toBe('kept');
    const png = await cli(['erf', file('net.json'), '--samples', '1', '--png', file('h.img'), '--svg', file('h.img')]);
    expect([png.code, png.err]).toEqual([2, `convlens: INVALID_OPTION: --svg ${file('h.img')} is the file --png writes: one would replace the other; give each its own file (at --svg)`]);
    expect((await cli(['erf', file('net.json'), '--samples', '1', '--out', '/dev/null', '--png', '/dev/null'])).code).toBe(0);
  });

  it('another path to one output file is the same file: a symlink, a hard link, or a new file through a symlinked folder', async () => {
    writeFileSync(file('kept.npy'), 'kept');
    symlinkSync(file('kept.npy'), file('kept-link.npy'));
    linkSync(file('kept.npy'), file('kept-hard.npy'));
    for (const other of [file('kept-link.npy'), file('kept-hard.npy')]) {
      const r = await cli(['erf', file('net.json'), '--samples', '1', '--gradient', file('kept.npy'), '--out', other]);
      expect([r.code, r.out, r.err], other).toEqual([2, '', `convlens: INVALID_OPTION: --gradient ${file('kept.npy')} is the file --out writes: one would replace the other; give each its own file (at --gradient)`]);
    }
    expect(readFileSync(file('kept.npy'), 'utf8')).toBe('kept');
    mkdirSync(file('real'));
    symlinkSync(file('real'), file('alias'));
    const fresh = await cli(['erf', file('net.json'), '--samples', '1', '--png', path.join(file('real'), 'h.png'), '--svg', path.join(file('alias'), 'h.png')]);
    expect([fresh.code, fresh.err]).toEqual([2, `convlens: INVALID_OPTION: --svg ${path.join(file('alias'), 'h.png')} is the file --png writes: one would replace the other; give each its own file (at --svg)`]);
    expect(existsSync(path.join(file('real'), 'h.png'))).toBe(false);
    // a review: a symlink to a file not there yet is written through, so it names the other output's file too
    symlinkSync(file('later.png'), file('dangling.png'));
    const dangling = await cli(['erf', file('net.json'), '--samples', '1', '--png', file('later.png'), '--svg', file('dangling.png'), '--out', '/dev/null']);
    expect([dangling.code, dangling.err]).toEqual([2, `convlens: INVALID_OPTION: --svg ${file('dangling.png')} is the file --png writes: one would replace the other; give each its own file (at --svg)`]);
    expect(existsSync(file('later.png'))).toBe(false);
  });

  it('a PNG or .npy to a terminal is refused; SVG text there is allowed', async () => {
    const png = await cli([...base(), '--png', '-'], true);
    expect([png.code, png.err]).toEqual([2, 'convlens: INVALID_OPTION: --png - writes binary to stdout, which is a terminal: redirect it to a file or a pipe (at --png)']);
    expect((await cli([...base(), '--svg', '-'], true)).code).toBe(0);
  });
});

describe('erf: empty and out-of-range values are usage errors (exit 2)', () => {
  const erf = (...more: string[]) => cli(['erf', file('net.json'), '--samples', '1', ...more]);
  it("--seed '' is not seed 0; --seed -1 and 2^32 give the range 0 to 2^32 − 1", async () => {
    for (const [v, shown] of [['', '""'], ['-1', '"-1"'], ['4294967296', '"4294967296"']]) {
      const r = await erf('--seed', v);
      expect([r.code, r.err], v).toEqual([2, `convlens: INVALID_OPTION: option '--seed <n>' argument '${v}' is invalid. an integer from 0 to 4294967295 (2^32 − 1), got ${shown} (at --seed)`]);
    }
    expect((await erf('--seed', '4294967295', '--out', '/dev/null')).code).toBe(0);
  });

  it("--samples '' and --input '' are refused, not read as 0 samples or no input mode", async () => {
    const samples = await cli(['erf', file('net.json'), '--samples', '']);
    expect([samples.code, samples.err]).toEqual([2, `convlens: INVALID_OPTION: option '--samples <k>' argument '' is invalid. an integer from 1 to 64 (random inputs averaged over), got "" (at --samples)`]);
    const input = await erf('--input', '');
    expect([input.code, input.err]).toEqual([2, `convlens: INVALID_OPTION: option '--input <random|luo|[name=]file.npy>' argument '' is invalid. random, luo, a .npy file (a network of one input) or NAME=FILE.npy for each input, got "" (at --input)`]);
  });
});

describe('erf: options that contradict each other are usage errors (exit 2), not one silently ignored', () => {
  writeFileSync(file('x.npy'), encodeNpy(tensor([1, 1, 5, 5], new Float32Array(25).fill(1))));

  it('--samples with a .npy --input (one given input): refused; the same input without --samples runs', async () => {
    const r = await cli(['erf', file('net.json'), '--input', file('x.npy'), '--samples', '3']);
    expect([r.code, r.out, r.err]).toEqual([2, '', `convlens: INVALID_OPTION: --samples averages over random inputs; --input ${file('x.npy')} is one given input: leave --samples out, or use --input random (at --samples)`]);
    const ok = await cli(['erf', file('net.json'), '--input', file('x.npy'), '--no-stages']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^input\s+x: the given input$/m);
  });

  it('--weight-init file on a spec (or a zoo model): no file weights to read, refused; seed runs', async () => {
    const r = await cli(['erf', file('net.json'), '--samples', '1', '--weight-init', 'file']);
    expect([r.code, r.err]).toEqual([2, `convlens: INVALID_OPTION: --weight-init file reads an ONNX file's weights; '${file('net.json')}' is a JSON spec, which has none: its weights are seeded (--seed) (at --weight-init)`]);
    const zoo = await cli(['erf', 'resnet18', '--resolution', '32', '--samples', '1', '--weight-init', 'file']);
    expect([zoo.code, zoo.err]).toEqual([2, "convlens: INVALID_OPTION: --weight-init file reads an ONNX file's weights; 'resnet18' is a zoo model, which has none: its weights are seeded (--seed) (at --weight-init)"]);
    expect((await cli(['erf', file('net.json'), '--samples', '1', '--weight-init', 'seed'])).code).toBe(0);
  });
});
