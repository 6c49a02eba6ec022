/**
 * `convlens erf --input-name`: the ERF of a chosen input of a two-input spec
 * (test/fixtures/erf/two-streams.json: rgb through a 3×3 conv, depth through a 3×3 conv of dilation
 * 2, added), seeded weights and random inputs (every input drawn). The sum's centre unit (4, 4)
 * reads rgb at rows and columns 3…5 (all 9 pixels) and depth at the even rows and columns 2…6 (9 of
 * its 25): where the gradient is non-zero tells the inputs apart. An unknown name is a usage error at
 * --input-name listing the inputs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), outBytes: () => {}, outIsTTY: false, err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n').trimEnd() };
}
const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-cli-erf-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const SPEC = fileURLToPath(new URL('../fixtures/erf/two-streams.json', import.meta.url));

/** The pixels (row·9 + column) where the .npy gradient written to `file` is non-zero. */
const nonZero = (file: string) => Array.from(decodeNpy(new Uint8Array(readFileSync(file)), file, 1 << 20).data).flatMap((v, i) => (v !== 0 ? [i] : []));
const square = (rows: number[]) => rows.flatMap((r) => rows.map((c) => r * 9 + c));

describe('convlens erf --input-name', () => {
  it('two-streams: without it rgb (rows and columns 3…5), --input-name depth (the even rows and columns 2…6); JSON names the input', async () => {
    const rgbFile = path.join(tmp, 'rgb.npy');
    const first = await cli(['erf', SPEC, '--samples', '2', '--format', 'json', '--gradient', rgbFile]);
    expect([first.code, first.err]).toEqual([0, '']);
    expect(JSON.parse(first.out).input).toEqual({ name: 'rgb', mode: 'random', samples: 2 });
    expect(nonZero(rgbFile)).toEqual(square([3, 4, 5]));
    const depthFile = path.join(tmp, 'depth.npy');
    const second = await cli(['erf', SPEC, '--input-name', 'depth', '--samples', '2', '--format', 'json', '--gradient', depthFile]);
    expect([second.code, second.err]).toEqual([0, '']);
    const r = JSON.parse(second.out);
    expect(r).toMatchObject({ layer: 'sum', input: { name: 'depth', mode: 'random', samples: 2 } });
    expect(r.statistics.support).toEqual({ box: { top: 2, left: 2, bottom: 6, right: 6 }, pixels: 9, insideTheoretical: true });
    expect(nonZero(depthFile)).toEqual(square([2, 4, 6]));
  });

  it('the table names the measured input', async () => {
    const r = await cli(['erf', SPEC, '--input-name', 'depth', '--samples', '1', '--no-stages']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^input\s+depth: mean \|gradient\| over 1 seeded random inputs$/m);
  });

  it('an unknown name: exit 2, INVALID_OPTION at --input-name listing the inputs; an empty one is refused by the option', async () => {
    const r = await cli(['erf', SPEC, '--input-name', 'dpeth', '--samples', '1']);
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toBe("convlens: INVALID_OPTION: --input-name: the network has no input 'dpeth' (did you mean 'depth'?); its inputs are 'rgb' [1, 1, 9, 9], 'depth' [1, 1, 9, 9] (at --input-name)");
    const empty = await cli(['erf', SPEC, '--input-name', '', '--samples', '1']);
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('--input-name: an input of the network, got ""');
  });

  it('one bare .npy --input on the two-input network: INVALID_TENSOR at --input saying one .npy feeds a network of one input, and what does (a file for each input, by name)', async () => {
    const npy = path.join(tmp, 'x.npy');
    writeFileSync(npy, encodeNpy(tensor([1, 1, 9, 9], new Float32Array(81).fill(1))));
    const r = await cli(['erf', SPEC, '--input', npy, '--input-name', 'depth']);
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toBe(
      `convlens: INVALID_TENSOR: --input ${npy}: one .npy file feeds a network of one input; this one has 2, 'rgb' [1, 1, 9, 9], 'depth' [1, 1, 9, 9]: give a file for each, --input rgb=FILE.npy --input depth=FILE.npy (or --input random or luo: every input drawn, --input-name the one measured) (at --input)`,
    );
  });

  it('a .npy for each input by name (--input rgb=… --input depth=…) and --input-name depth: the gradient at depth, |cb.weight| at the even rows and columns 2…6', async () => {
    const [rgb, depth] = [path.join(tmp, 'rgb-in.npy'), path.join(tmp, 'depth-in.npy')];
    writeFileSync(rgb, encodeNpy(tensor([1, 1, 9, 9], new Float32Array(81).fill(1))));
    writeFileSync(depth, encodeNpy(tensor([1, 1, 9, 9], new Float32Array(81).fill(2))));
    const g = path.join(tmp, 'given-depth.npy');
    const r = await cli(['erf', SPEC, '--input', `rgb=${rgb}`, '--input', `depth=${depth}`, '--input-name', 'depth', '--format', 'json', '--gradient', g]);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(JSON.parse(r.out).input).toEqual({ name: 'depth', mode: 'given', samples: 1 });
    expect(nonZero(g)).toEqual(square([2, 4, 6]));
  });
});
