/**
 * `convlens erf`: statistics as a table and JSON, heatmap and gradient files, a given .npy input,
 * and exit code 2 with the catalog code for bad input.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { decodeNpy, encodeNpy } from '../src/tensor/encoding.js';
import { tensor } from '../src/tensor/tensor.js';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-erf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string) => path.join(tmp, name);

/** Two 3×3 convs with a stride-2 one between: 1×1×9×9 → 9×9 → 4×4 (stride 2) → 4×4. */
const spec = {
  inputs: [{ name: 'x', shape: [1, 1, 9, 9] }],
  layers: [
    { name: 'a', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 },
    { name: 'b', op: 'conv2d', outChannels: 2, kernelSize: 3, stride: 2 },
    { name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 },
  ],
};
writeFileSync(file('net.json'), JSON.stringify(spec));

describe('convlens erf', () => {
  it('a table of the statistics and the growth along depth; PNG, SVG and .npy files', async () => {
    const r = await cli('erf', file('net.json'), '--samples', '2', '--png', file('h.png'), '--svg', file('h.svg'), '--gradient', file('g.npy'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // c at (2, 2): r = 1 + 2 + 2 + 2·2 = 9, stride 2, padding 1 + 0 + 1·2 = 3 → rows 2·2 − 3 = 1 … 9 (one past the input)
    expect(r.out).toMatch(/theoretical field\s+9×9: rows 1…9, columns 1…9/);
    expect(r.out).toContain('inside the theoretical field');
    // the growth along depth in aligned columns under a rule, as the other tables (it was tab-separated, out of line past 8 characters)
    expect(r.out).not.toContain('\t');
    expect(r.out).toMatch(/^layer {2}stride {2}theoretical +r50 +r95 {2}σ +area ratio\n-{5} {2}-{6} {2}-{11} {2}-+ {2}-+ {2}-+ {2}-{10}$/m);
    expect(r.out).toMatch(/^a {6}1×1 {5}3×3 {10} *\d+\.\d\d +\d+\.\d\d  \d+\.\d\d×\d+\.\d\d +\d\.\d{4}$/m);
    expect(r.out).toMatch(/^c {6}2×2 {5}9×9 {10} *\d+\.\d\d +\d+\.\d\d  /m);
    expect(readFileSync(file('h.png')).subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(readFileSync(file('h.svg'), 'utf8')).toMatch(/^<svg /);
    const g = decodeNpy(new Uint8Array(readFileSync(file('g.npy'))), 'g', 1 << 20);
    expect(g.shape).toEqual([1, 1, 9, 9]);
    // row 0 lies outside every unit's field of (2, 2): zero gradient there
    expect(Array.from(g.data.subarray(0, 9))).toEqual(new Array(9).fill(0));
  });

  it('--format json with a given .npy input, a chosen layer, unit and channel', async () => {
    writeFileSync(file('x.npy'), encodeNpy(tensor([1, 1, 9, 9], new Float32Array(81).fill(1))));
    const r = await cli('erf', file('net.json'), '--input', file('x.npy'), '--layer', 'a', '--position', '0,8', '--channels', '1', '--format', 'json', '--no-stages');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ layer: 'a', unit: { channels: [1], position: [0, 8] }, input: { mode: 'given', samples: 1 }, stages: [] });
    expect(j.statistics.theoretical.box).toEqual({ top: -1, left: 7, bottom: 1, right: 9 });
    expect(j.statistics.support.box).toEqual({ top: 0, left: 7, bottom: 1, right: 8 });
  });

  it('a unit outside the map (--position 4,0 of c\'s 4×4) is exit 2 with the catalog code, at --position (it was at $.position[0], the REST path)', async () => {
    const r = await cli('erf', file('net.json'), '--position', '4,0');
    expect(r.code).toBe(2);
    expect(r.err).toBe("convlens: INVALID_OPTION: --position: position 4 is outside 'c' [1, 2, 4, 4] along rows (0–3) (at --position, value 1)");
  });

  it.each([
    // its length checked against the map it indexes, the map's shape named (t,row,column is a clip's map's)
    [['--position', '1,2,3'], "--position: position has 3 entries; 'c' [1, 2, 4, 4] is a map: give [row, column] (at --position)"],
  ])('%j is exit 2 with the reason on stderr, at the option (it said no place)', async (flags, says) => {
    const r = await cli('erf', file('net.json'), ...flags);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`convlens: INVALID_OPTION: ${says}`);
  });

  it("a clip's network (conv3d k3 p1, then k3 stride 2 p1 over [1, 1, 8, 8, 8]): unit t,row,column, the frames it sees and each one's share; the growth table's stride t×h×w", async () => {
    const video = {
      inputs: [{ name: 'x', shape: [1, 1, 8, 8, 8] }],
      layers: [
        { name: 'a', op: 'conv3d', outChannels: 2, kernelSize: 3, padding: 1 },
        { name: 'b', op: 'conv3d', outChannels: 2, kernelSize: 3, stride: 2, padding: 1 },
      ],
    };
    writeFileSync(file('video.json'), JSON.stringify(video));
    const r = await cli('erf', file('video.json'), '--samples', '2', '--position', '0,2,2');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^unit +b 1×2×4×4×4, unit 0, 2, 2, all channels$/m);
    // b's T axis: r 3 + 2·1 = 5, j 2, p 1 + 1 = 2: unit 0 covers −2 … 2, frames 0…2 of the clip
    expect(r.out).toMatch(/theoretical frames\s+0…2 of 8 \(field 5 frames\)/);
    expect(r.out).toMatch(/share of \|gradient\| per frame\s+0\.\d{3} 0\.\d{3} 0\.\d{3} 0\.000 0\.000 0\.000 0\.000 0\.000$/m);
    expect(r.out).toMatch(/^a +1×1×1 +3×3 /m);
    const j = JSON.parse((await cli('erf', file('video.json'), '--samples', '2', '--format', 'json')).out);
    expect(j.unit.position).toEqual([2, 2, 2]);
    expect(j.temporal.theoretical).toEqual({ global: false, size: 5, from: 2, to: 6 });
    expect(j.stages.map((s: { layer: string; stride: number[]; temporalStride: number }) => [s.layer, s.temporalStride, s.stride])).toEqual([
      ['a', 1, [1, 1]],
      ['b', 2, [2, 2]],
    ]);
  });

  // one message for every value outside 1–64, refused as the options are read (1.5 said "a non-negative integer up to 2^53 − 1")
  it.each(['65', '0', '1.5'])('--samples %s is exit 2: an integer from 1 to 64, at --samples', async (k) => {
    const r = await cli('erf', file('net.json'), '--samples', k);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`convlens: INVALID_OPTION: option '--samples <k>' argument '${k}' is invalid. an integer from 1 to 64 (random inputs averaged over), got "${k}" (at --samples)\n`);
  });

  it.each(['--svg', '--png', '--gradient', '--out'])('%s onto a directory is exit 2 before any work: before the layer is looked up (it failed with EISDIR only once the gradients were computed)', async (flag) => {
    // --layer nosuch is refused when the ERF is built: an output checked only when written never gets that far
    const r = await cli('erf', file('net.json'), '--layer', 'nosuch', flag, tmp, ...(flag === '--out' ? [] : ['--out', '/dev/null']));
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`convlens: INVALID_OPTION: ${flag} ${tmp}: illegal operation on a directory (EISDIR) (at ${flag})`);
  });

  it('analyze --format html --erf adds the ERF section; --erf without html is exit 2', async () => {
    const r = await cli('analyze', file('net.json'), '--format', 'html', '--erf');
    expect(r.code).toBe(0);
    expect(r.out).toContain('<section id="erf"><h2>Effective receptive field</h2>');
    const bad = await cli('analyze', file('net.json'), '--erf');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--format html');
  });

  it.each([
    ['--channels ""', ['--channels', ''], '--channels: non-negative integers separated by commas, got ""'],
    ['--channels 0,,1', ['--channels', '0,,1'], '--channels: non-negative integers separated by commas, got "0,,1"'],
    ['--position ,', ['--position', ','], '--position: non-negative integers separated by commas, got ","'],
    ['--layer ""', ['--layer', ''], '--layer: a layer name, got ""; leave --layer out for the final feature map'],
  ])('an empty value (%s, as "$UNSET" gives) is a usage error, exit 2: it was channel 0, row 0 or the default layer', async (_, flag, says) => {
    const r = await cli('erf', file('net.json'), '--samples', '1', ...flag);
    expect(r.code).toBe(2);
    expect(r.err).toContain(says);
  });

  it.each([
    ['--channels 1e0', ['--channels', '1e0'], '--channels: non-negative integers separated by commas, got "1e0"'],
    ['--channels 0x1', ['--channels', '0x1'], '--channels: non-negative integers separated by commas, got "0x1"'],
    ['--position +1,1', ['--position', '+1,1'], '--position: non-negative integers separated by commas, got "+1,1"'],
    ['--position 1.0,1', ['--position', '1.0,1'], '--position: non-negative integers separated by commas, got "1.0,1"'],
    ['--seed 0x10', ['--seed', '0x10'], 'an integer from 0 to 4294967295 (2^32 − 1), got "0x10"'],
    ['--seed 1e3', ['--seed', '1e3'], 'an integer from 0 to 4294967295 (2^32 − 1), got "1e3"'],
  ])('an index or seed in another spelling than decimal digits (%s) is a usage error, exit 2: Number() read it as 1, 1, 1, 1, 16 and 1000', async (_, flag, says) => {
    const r = await cli('erf', file('net.json'), '--samples', '1', ...flag);
    expect(r.code).toBe(2);
    expect(r.err).toContain(says);
  });

  it('a truncated --input .npy is INVALID_TENSOR at --input, naming the file (it was at the file\'s path)', async () => {
    const npy = file('short.npy');
    writeFileSync(npy, Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]));
    const r = await cli('erf', file('net.json'), '--input', npy);
    expect(r.code).toBe(2);
    expect(r.err.startsWith(`convlens: INVALID_TENSOR: --input: ${npy}: not a valid .npy file: `)).toBe(true);
    expect(r.err.endsWith('(at --input)')).toBe(true);
  });

  it('an ONNX file with stripped weights names --weight-init seed, the command line\'s way to seed them', async () => {
    const r = await cli('erf', path.join(import.meta.dirname, 'fixtures', 'onnx', 'mobilenet_v2.onnx'), '--samples', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^convlens: INVALID_TENSOR: --weight-init: the model file carries no data for .*weights stripped\); seed the weights instead \(weightInit "seed"; on the command line --weight-init seed\) or give it in "weights"/);
  });
});
