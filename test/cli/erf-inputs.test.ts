/**
 * `convlens erf --input NAME=FILE.npy`, repeated: a .npy file for each input of a network of several,
 * as POST /v1/erf's `inputs` by name. The network: relu(ca(rgb)) · sigmoid(cb(depth)) → head (3×3
 * stride 2), both inputs [1, 1, 8, 8], so each input's gradient depends on the other's values and a
 * file fed to the wrong input changes the numbers, though not the shapes. Files are hand-made:
 * rgb[k] = sin(0.731·k + 0.2), depth[k] = cos(0.417·k − 0.3); weights seeded (seed 0) on both sides.
 * The command line's gradient and statistics equal the service's for the same tensors, bit for bit.
 * Errors name the option value (`--input depth=d.npy: …`), and a name the network lacks lists its
 * inputs with their shapes. An ONNX file's dynamic inputs are sized by their files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';
import { testApp } from '../http/app.js';
import { WA, WB, placed, twoDynamicOnnx } from '../runtime/two-dynamic.js';

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), outBytes: () => {}, outIsTTY: false, err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n').trimEnd() };
}
const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-cli-erf-inputs-'));
const file = (name: string, data?: string | Uint8Array) => {
  const p = path.join(tmp, name);
  if (data !== undefined) writeFileSync(p, data);
  return p;
};

const spec = {
  name: 'gated-two-inputs',
  inputs: [{ name: 'rgb', shape: [1, 1, 8, 8] }, { name: 'depth', shape: [1, 1, 8, 8] }],
  layers: [
    { name: 'ca', op: 'conv2d', inputs: 'rgb', outChannels: 2, kernelSize: 3, padding: 1 },
    { name: 'ra', op: 'relu', inputs: 'ca' },
    { name: 'cb', op: 'conv2d', inputs: 'depth', outChannels: 2, kernelSize: 5, padding: 2 },
    { name: 'gb', op: 'sigmoid', inputs: 'cb' },
    { name: 'mix', op: 'mul', inputs: ['ra', 'gb'] },
    { name: 'head', op: 'conv2d', inputs: 'mix', outChannels: 2, kernelSize: 3, stride: 2, padding: 1 },
  ],
};
const SPEC = file('gated.json', JSON.stringify(spec));
const values = (f: (k: number) => number) => Array.from({ length: 64 }, (_, k) => Math.fround(f(k)));
const rgb = values((k) => Math.sin(0.731 * k + 0.2));
const depth = values((k) => Math.cos(0.417 * k - 0.3));
const npy = (name: string, data: number[], shape = [1, 1, 8, 8]) => file(name, encodeNpy(tensor(shape, Float32Array.from(data))));
const RGB = npy('rgb.npy', rgb);
const DEPTH = npy('depth.npy', depth);

/** The gradient the command line wrote to `g`, as numbers. */
const gradientIn = (g: string) => Array.from(decodeNpy(new Uint8Array(readFileSync(g)), g, 1 << 20).data);

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => {
  await app.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** POST /v1/erf with the same tensors by name, the gradient as flat numbers. */
const rest = (extra: Record<string, unknown> = {}) =>
  request(app.server)
    .post('/v1/erf')
    .send({ spec, inputs: { rgb: { shape: [1, 1, 8, 8], data: rgb }, depth: { shape: [1, 1, 8, 8], data: depth } }, format: 'flat', heatmap: false, stages: false, ...extra })
    .expect(200);

describe('erf --input NAME=FILE.npy, one for each input: the numbers POST /v1/erf answers for the same tensors', () => {
  it.each([
    ['rgb (the default)', [], 'rgb'],
    ['depth (--input-name depth)', ['--input-name', 'depth'], 'depth'],
  ])('measured at %s: files given in the other order, gradient and statistics equal to the service\'s', async (_, extra, measured) => {
    const g = file(`g-${measured}.npy`);
    // depth's file first: the files go by name, not by order
    const r = await cli(['erf', SPEC, '--input', `depth=${DEPTH}`, '--input', `rgb=${RGB}`, ...extra, '--no-stages', '--format', 'json', '--gradient', g]);
    expect([r.code, r.err]).toEqual([0, '']);
    const served = (await rest(measured === 'depth' ? { inputName: 'depth' } : {})).body;
    const ours = JSON.parse(r.out);
    expect(ours.input).toEqual({ name: measured, mode: 'given', samples: 1 });
    expect([ours.layer, ours.unit]).toEqual([served.layer, served.unit]);
    expect(ours.statistics).toEqual(served.statistics);
    const gradient = gradientIn(g);
    expect(gradient.length).toBe(64);
    expect(gradient).toEqual(Array.from(Float32Array.from(served.gradient.data)));
    expect(gradient.some((v) => v !== 0)).toBe(true);
  });

  it("the files' contents swapped (rgb's values to depth, depth's to rgb): another gradient, as the service's for those tensors", async () => {
    const g = file('g-swapped.npy');
    const r = await cli(['erf', SPEC, '--input', `rgb=${DEPTH}`, '--input', `depth=${RGB}`, '--no-stages', '--gradient', g, '--out', '/dev/null']);
    expect(r.code).toBe(0);
    const straight = file('g-straight.npy');
    expect((await cli(['erf', SPEC, '--input', `rgb=${RGB}`, '--input', `depth=${DEPTH}`, '--no-stages', '--gradient', straight, '--out', '/dev/null'])).code).toBe(0);
    expect(gradientIn(g)).not.toEqual(gradientIn(straight));
    const served = (await rest({ inputs: { rgb: { shape: [1, 1, 8, 8], data: depth }, depth: { shape: [1, 1, 8, 8], data: rgb } } })).body;
    expect(gradientIn(g)).toEqual(Array.from(Float32Array.from(served.gradient.data)));
  });

  it('a float64 .npy (<f8) reads as the single file does: values k/8, exact in float32, give the float32 file\'s gradient', async () => {
    const eighths = values((k) => (k % 16) / 8);
    const f32 = npy('eighths-f4.npy', eighths);
    const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 8, 8), }";
    // NumPy's layout: magic, version 1.0, the header's length, the header padded to a multiple of 64 bytes with its newline
    const padded = header.padEnd(128 - 10 - 1) + '\n';
    const f64 = file('eighths-f8.npy', Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, padded.length, 0]), Buffer.from(padded, 'latin1'), Buffer.from(new Float64Array(eighths).buffer)]));
    const [a, b] = [file('g-f4.npy'), file('g-f8.npy')];
    expect((await cli(['erf', SPEC, '--input', `rgb=${RGB}`, '--input', `depth=${f32}`, '--no-stages', '--gradient', a, '--out', '/dev/null'])).code).toBe(0);
    const r = await cli(['erf', SPEC, '--input', `rgb=${RGB}`, '--input', `depth=${f64}`, '--no-stages', '--gradient', b, '--out', '/dev/null']);
    expect(r.code).toBe(0);
    expect(gradientIn(b)).toEqual(gradientIn(a));
  });

  it('the same input and file twice (another spelling of the path) is read once; random and luo still draw every input', async () => {
    const twice = await cli(['erf', SPEC, '--input', `rgb=${RGB}`, '--input', `depth=${DEPTH}`, '--input', `rgb=${tmp}/./rgb.npy`, '--no-stages', '--format', 'json']);
    expect([twice.code, twice.err]).toEqual([0, '']);
    const random = await cli(['erf', SPEC, '--input', 'random', '--input', 'random', '--samples', '1', '--no-stages', '--format', 'json']);
    expect([random.code, JSON.parse(random.out).input]).toEqual([0, { name: 'rgb', mode: 'random', samples: 1 }]);
  });
});

describe('a file whose own name has = in it', () => {
  it('a=b.npy that exists (and b.npy does not) is one bare file: on a one-input spec it runs, as before', async () => {
    const one = file('one.json', JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1, 8, 8] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 1 }] }));
    const odd = npy('a=b.npy', rgb);
    const r = await cli(['erf', one, '--input', odd, '--no-stages', '--format', 'json']);
    expect([r.code, r.err, JSON.parse(r.out).input]).toEqual([0, '', { name: 'x', mode: 'given', samples: 1 }]);
  });
});

describe('erf --input NAME=FILE.npy: each error names the option value it came from (exit 2)', () => {
  const refused = async (argv: string[], line: string) => {
    const r = await cli(['erf', SPEC, ...argv]);
    expect([r.code, r.out, r.err]).toEqual([2, '', `convlens: ${line}`]);
  };

  it("a name the network has no input for: its inputs with their shapes, and a file for each", async () => {
    await refused(
      ['--input', `rgb=${RGB}`, '--input', `dpeth=${DEPTH}`],
      `INVALID_TENSOR: --input dpeth=${DEPTH}: the network has no input 'dpeth' (did you mean 'depth'?); its inputs are 'rgb' [1, 1, 8, 8], 'depth' [1, 1, 8, 8]: give a file for each, --input rgb=FILE.npy --input depth=FILE.npy (at --input)`,
    );
  });

  it('an input left without a file: which one, and its shape', async () => {
    await refused(['--input', `rgb=${RGB}`], "INVALID_TENSOR: --input: no .npy file for input 'depth' [1, 1, 8, 8]: give it one, --input depth=FILE.npy (each input of the network needs a file) (at --input)");
  });

  it("a file of another shape than its input's: SHAPE_MISMATCH naming the file and the input", async () => {
    const small = npy('small.npy', values((k) => k).slice(0, 36), [1, 1, 6, 6]);
    await refused(['--input', `rgb=${RGB}`, '--input', `depth=${small}`], `SHAPE_MISMATCH: --input depth=${small}: input 'depth' must be [1, 1, 8, 8], got [1, 1, 6, 6] (at --input)`);
  });

  it('a file that is no .npy, or is not there: the file and the input named', async () => {
    const text = file('notes.npy', 'not numpy');
    await refused(['--input', `rgb=${RGB}`, '--input', `depth=${text}`], `INVALID_TENSOR: --input depth=${text}: not a valid .npy file: no \\x93NUMPY magic (at --input)`);
    const gone = file('gone.npy');
    await refused(['--input', `rgb=${RGB}`, '--input', `depth=${gone}`], `INVALID_OPTION: --input depth=${gone}: no such file or directory (ENOENT) (at --input)`);
  });

  it('one bare .npy on the two-input network: a file for each input, by name, and the inputs\' shapes', async () => {
    await refused(
      ['--input', RGB],
      `INVALID_TENSOR: --input ${RGB}: one .npy file feeds a network of one input; this one has 2, 'rgb' [1, 1, 8, 8], 'depth' [1, 1, 8, 8]: give a file for each, --input rgb=FILE.npy --input depth=FILE.npy (or --input random or luo: every input drawn, --input-name the one measured) (at --input)`,
    );
  });

  it.each([
    ['an input given two files', [`rgb=${RGB}`, `rgb=${DEPTH}`], `input 'rgb' is given twice (${RGB}, then ${DEPTH}): give each input once`],
    ['two modes', ['random', 'luo'], 'given twice (random, then luo): one mode draws the inputs, the other would be dropped without a word; give one'],
    ['a mode with files', [`rgb=${RGB}`, 'luo'], `--input luo draws every input, and --input rgb=${RGB} gives one: give the mode or .npy files, not both`],
    ['a bare file with a named one', [RGB, `depth=${DEPTH}`], 'a bare .npy file feeds a network of one input; for a network of several, name each input\'s file: --input NAME=FILE.npy, repeated'],
    ['no name before =', [`=${RGB}`], `NAME=FILE.npy needs the input's name before '=', got ${JSON.stringify(`=${RGB}`)}`],
    ['no file after =', ['rgb='], `NAME=FILE.npy needs the .npy file after '=', got "rgb="`],
  ])('%s: a usage error at --input before any file is read', async (_, values, says) => {
    const argv = values.flatMap((v) => ['--input', v]);
    await refused(argv, `INVALID_OPTION: option '--input <random|luo|[name=]file.npy>' argument '${values.at(-1)}' is invalid. ${says} (at --input)`);
  });

  it('--samples with the files (given inputs): refused, naming them', async () => {
    await refused(['--input', `rgb=${RGB}`, '--input', `depth=${DEPTH}`, '--samples', '2'], `INVALID_OPTION: --samples averages over random inputs; --input rgb=${RGB}, depth=${DEPTH} are given inputs: leave --samples out, or use --input random (at --samples)`);
  });

  it('an output onto one of the files (another spelling of its path): refused before any work, the file kept', async () => {
    const before = readFileSync(DEPTH);
    const onto = `${tmp}/./depth.npy`;
    await refused(['--input', `rgb=${RGB}`, '--input', `depth=${DEPTH}`, '--gradient', onto], `INVALID_OPTION: --gradient ${onto} is ${DEPTH}, this command reads: writing it would replace it; give another file (at --gradient)`);
    expect(readFileSync(DEPTH)).toEqual(before);
  });

  it('two files and the target reading stdin (-): refused, stdin holds one file', async () => {
    await refused(['--input', 'rgb=-', '--input', 'depth=-'], 'INVALID_OPTION: --input rgb=- and --input depth=- all read stdin, which holds one file: give all but one of them as files (at --input)');
  });
});

describe("README's Command line section quotes these errors as the command prints them", () => {
  it('two-streams.json: an unknown name, an input left without a file, a file of the wrong shape (its path as d.npy)', async () => {
    const streams = path.join(import.meta.dirname, '..', 'fixtures', 'erf', 'two-streams.json');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const nine = npy('nine.npy', Array.from({ length: 81 }, (_, k) => k), [1, 1, 9, 9]);
    const d = npy('d.npy', values((k) => k), [1, 1, 8, 8]);
    const quoted = async (argv: string[]) => {
      const r = await cli(['erf', streams, ...argv]);
      expect(r.code).toBe(2);
      return r.err.replace(/^convlens: /, '').replace(/ \(at --input\)$/, '').replaceAll(d, 'd.npy').replaceAll(nine, 'd.npy');
    };
    const unknown = await quoted(['--input', `rgb=${nine}`, '--input', `dpeth=${nine}`]);
    expect(readme).toContain(unknown.slice(0, unknown.indexOf('give a file for each,') + 'give a file for each,'.length));
    expect(readme).toContain((await quoted(['--input', `rgb=${nine}`])).match(/no \.npy file for input 'depth' \[1, 1, 9, 9\]/)![0]);
    expect(readme).toContain(await quoted(['--input', `rgb=${nine}`, '--input', `depth=${d}`]));
  });
});

describe('erf on an ONNX file of two dynamic inputs: each file sizes its input', () => {
  const model = () => file('two-dynamic.onnx', twoDynamicOnnx());

  it('a and b 1×1×5×5: the sum 3×3, its unit (1, 1) reads a at rows and columns 1…3, wa there (hand-worked); at b (--input-name b), wb', async () => {
    const onnx = model();
    const [a, b] = [npy('a5.npy', values((k) => k).slice(0, 25), [1, 1, 5, 5]), npy('b5.npy', values((k) => -k).slice(0, 25), [1, 1, 5, 5])];
    const [ga, gb] = [file('ga.npy'), file('gb.npy')];
    const r = await cli(['erf', onnx, '--input', `a=${a}`, '--input', `b=${b}`, '--position', '1,1', '--no-stages', '--gradient', ga, '--format', 'json']);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(JSON.parse(r.out)).toMatchObject({ layer: 'add', shape: [1, 1, 3, 3], input: { name: 'a', mode: 'given' } });
    expect(gradientIn(ga)).toEqual(placed(WA));
    expect((await cli(['erf', onnx, '--input', `a=${a}`, '--input', `b=${b}`, '--input-name', 'b', '--position', '1,1', '--no-stages', '--gradient', gb, '--out', '/dev/null'])).code).toBe(0);
    expect(gradientIn(gb)).toEqual(placed(WB));
  });

  it("b left without a file: MISSING_DIMENSION saying b needs one; a 3-D file for the 4-D input b: SHAPE_MISMATCH naming the file", async () => {
    const onnx = model();
    const a = npy('a5b.npy', values((k) => k).slice(0, 25), [1, 1, 5, 5]);
    const r = await cli(['erf', onnx, '--input', `a=${a}`]);
    expect([r.code, r.err]).toEqual([2, "convlens: MISSING_DIMENSION: --input: no .npy file for input 'b', whose shape the ONNX file leaves dynamic: give it one, --input b=FILE.npy (each input of the network needs a file) (at --input)"]);
    const flat = npy('b3.npy', values((k) => k).slice(0, 25), [1, 5, 5]);
    const bad = await cli(['erf', onnx, '--input', `a=${a}`, '--input', `b=${flat}`]);
    expect([bad.code, bad.err]).toEqual([2, `convlens: SHAPE_MISMATCH: --input b=${flat}: input 'b' has 4 dimensions in the model, but the shape given has 3: [1, 5, 5] (at --input)`]);
  });
});
