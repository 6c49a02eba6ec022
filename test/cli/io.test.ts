import { InvalidArgumentError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli.js';
import { emit, integer, shape } from '../../src/cli/io.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-emit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the CLI option parsers: shapes and integers', () => {
  it("--input 1,3,224,224, 1x3x224x224 and 1×3×224×224 are [1, 3, 224, 224]", () => {
    for (const v of ['1,3,224,224', '1x3x224x224', '1×3×224×224']) expect(shape(v)).toEqual([1, 3, 224, 224]);
  });

  it('--input 1,3,9007199254740993,1 is a usage error: 2^53 + 1 reads as 2^53, a size the user never gave', () => {
    expect(() => shape('1,3,9007199254740993,1')).toThrow(InvalidArgumentError);
    expect(() => shape('1,3,9007199254740993,1')).toThrow('positive integers in decimal digits up to 2^53 − 1, e.g. 1,3,224,224');
    // the largest safe integer is still a shape here: its size is for the analysis to refuse (SIZE_TOO_LARGE)
    expect(shape('1,9007199254740991')).toEqual([1, 9007199254740991]);
  });

  it('--input with 0, −1, 2.5, an empty part or a word is a usage error', () => {
    for (const v of ['1,0,4,4', '1,-1,4,4', '1,2.5,4', '1,,3', 'abc', '']) expect(() => shape(v), v).toThrow(InvalidArgumentError);
  });

  it('--input dimensions are decimal digits: 1e2, +64, 0x40, 0b1, 64.0 and 6_4 are usage errors (Number() read the first five as 100, 64, 64, 1 and 64)', () => {
    for (const v of ['1,3,1e2,64', '1,3,+64,64', '1,3,0x40,64', '0b1,3,64,64', '1,3,64.0,64', '1,3,6_4,64', 'Infinity']) expect(() => shape(v), v).toThrow(InvalidArgumentError);
    // digits with a leading zero are decimal still; blanks around a dimension are not part of it
    expect(shape('1, 3, 064, 64')).toEqual([1, 3, 64, 64]);
  });

  it('an integer option: 0 and 12 pass; −1, 1.5 and 2^53 + 1 are usage errors', () => {
    expect([integer('0'), integer('12')]).toEqual([0, 12]);
    for (const v of ['-1', '1.5', '9007199254740993']) expect(() => integer(v), v).toThrow('a non-negative integer up to 2^53 − 1');
  });

  it("an empty integer (\"$UNSET\") is a usage error, not 0 (Number('') and Number(' ') are 0)", () => {
    expect(Number('')).toBe(0);
    expect(() => integer('')).toThrow('a non-negative integer up to 2^53 − 1, got ""');
    expect(() => integer(' ')).toThrow('a non-negative integer up to 2^53 − 1, got " "');
  });
});

describe('emit: the report on stdout, or in a file with the notice on stderr', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
  };

  it('no file, or -, is stdout itself', () => {
    for (const file of [undefined, '-']) {
      const c = capture();
      emit(c.io, 'abc', file, 'md report');
      expect([c.out, c.err]).toEqual([['abc'], []]);
    }
  });

  it("a file gets the text and a line break (4 bytes for 'abc'); stdout gets nothing, stderr one line", () => {
    const file = path.join(tmp, 'r.md');
    const c = capture();
    emit(c.io, 'abc', file, 'md report');
    expect(readFileSync(file, 'utf8')).toBe('abc\n');
    expect(c.out).toEqual([]);
    expect(c.err).toEqual([`convlens: wrote the md report to ${file} (4 bytes)`]);
  });
});

// found by the fuzz round: commander kept the last of a repeated option without a word, so
// `analyze resnet18 --out a.txt --out b.txt` wrote only b.txt (exit 0, a.txt never written) and
// `--input 1,3,64,64 --input 1,3,32,32` analysed at 32
describe('an option of one value given twice with two values: a usage error (exit 2), as a gate given twice is', () => {
  const cli = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it.each([
    [['analyze', 'resnet18', '--out', path.join(tmp, 'a.txt'), '--out', path.join(tmp, 'b.txt')], `option '--out <file>' is given twice (${path.join(tmp, 'a.txt')}, then ${path.join(tmp, 'b.txt')})`],
    [['analyze', 'resnet18', '--resolution', '32', '--resolution=64'], "option '--resolution <pixels>' is given twice (32, then 64)"],
    [['analyze', 'resnet18', '--format', 'json', '--format', 'csv'], "option '--format <format>' is given twice (json, then csv)"],
    [['sweep', 'resnet18', '--sizes', '32', '--sizes', '64'], "option '--sizes <sizes>' is given twice (32, then 64)"],
    [['erf', 'resnet18', '--samples', '1', '--samples', '2'], "option '--samples <k>' is given twice (1, then 2)"],
    [['models', '--format', 'json', '--format', 'table'], "option '--format <format>' is given twice (json, then table)"],
  ])('%j: exit 2, nothing written or analysed', async (argv, said) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`convlens: INVALID_OPTION: ${said}: one value would be dropped without a word; give it once (at ${/'(--[\w-]+)/.exec(said)![1]})\n`);
    expect(existsSync(path.join(tmp, 'a.txt')) || existsSync(path.join(tmp, 'b.txt'))).toBe(false);
  });

  it('the same value twice contradicts nothing; a gate keeps its own message; --fail-on adds up', async () => {
    expect((await cli(['analyze', 'resnet18', '--resolution', '32', '--resolution', '32', '--format', 'json'])).code).toBe(0);
    expect((await cli(['analyze', 'resnet18', '--max-macs', '1e9', '--max-macs', '1e12'])).err).toBe(
      "convlens: INVALID_OPTION: option '--max-macs <n>' argument '1e12' is invalid. given twice (1000000000, then 1e12): a gate has one limit (at --max-macs)\n",
    );
    expect((await cli(['analyze', 'resnet18', '--resolution', '32', '--fail-on', 'FC_DOMINATES', '--fail-on', 'UNUSED_LAYER'])).code).toBe(0);
  });

  // found by a review: values were compared as typed, so one value spelt twice was refused, and a flag with its negation was last-wins
  it('one value spelt two ways is read once: --resolution 32 and 032, --sizes 8 and 08', async () => {
    expect((await cli(['analyze', 'resnet18', '--resolution', '32', '--resolution', '032', '--format', 'json'])).code).toBe(0);
    const spec = path.join(tmp, 'sweep.json');
    writeFileSync(spec, JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], layers: [{ name: 'r', op: 'relu' }] }));
    const r = await cli(['sweep', spec, '--sizes', '8', '--sizes', '08']);
    expect([r.code, r.err]).toEqual([0, '']);
  });

  // found by a hunt: --out a.md --out ./a.md was "given twice (a.md, then ./a.md)"
  it('one file spelt two ways (a.md, ./a.md, its absolute path) is written once, exit 0', async () => {
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      const r = await cli(['analyze', 'resnet18', '--resolution', '32', '--format', 'md', '--out', 'one.md', '--out', './one.md', '--out', path.join(tmp, 'one.md')]);
      expect([r.code, r.err]).toEqual([0, `convlens: wrote the md report to ${path.join(tmp, 'one.md')} (${readFileSync('one.md').byteLength.toLocaleString('en-US')} bytes)`]);
      expect(readFileSync('one.md', 'utf8')).toMatch(/^## /);
    } finally {
      process.chdir(cwd);
    }
  });

  it('a flag with its negation (--progress --no-progress, either order) is exit 2 naming both; a flag twice is read once', async () => {
    for (const [a, b] of [['--progress', '--no-progress'], ['--no-progress', '--progress']]) {
      const r = await cli(['analyze', 'resnet18', a, b]);
      expect([r.code, r.out, r.err]).toEqual([2, '', `convlens: INVALID_OPTION: options '${a}' and '${b}' contradict each other: one would win without a word; give one (at ${b})\n`]);
    }
    expect((await cli(['analyze', 'resnet18', '--no-progress', '--no-progress', '--format', 'json'])).code).toBe(0);
  });
});

// found by the fuzz round: `convlens analyze spec.json --out spec.json` exited 0 with the table report in
// spec.json, the spec gone
describe('an output naming a file the command reads: a usage error (exit 2) before any work, the file kept', () => {
  const cli = async (argv: string[]) => {
    const err: string[] = [];
    const code = await main(argv, { out: () => {}, err: (t) => err.push(t) });
    return { code, err: err.join('\n') };
  };
  const spec = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1, 8, 8] }], layers: [{ name: 'r', op: 'relu' }] });

  it.each([
    ['analyze', (f: string) => ['analyze', f, '--out', f]],
    ['sweep', (f: string) => ['sweep', f, '--sizes', '8', '--out', f]],
    ['compare (new)', (f: string) => ['compare', 'resnet18', f, '--out', f]],
    ['erf --png', (f: string) => ['erf', f, '--samples', '1', '--png', f]],
  ])('%s: --out (or --png) is the target', async (_, argv) => {
    const f = path.join(tmp, 'spec.json');
    writeFileSync(f, spec);
    const r = await cli(argv(f));
    const flag = argv(f).includes('--png') ? '--png' : '--out';
    expect([r.code, r.err]).toEqual([2, `convlens: INVALID_OPTION: ${flag} ${f} is a file this command reads: writing it would replace it; give another file (at ${flag})`]);
    expect(readFileSync(f, 'utf8')).toBe(spec);
  });

  // found by a review: a file named as a zoo model (or a built-in device) is not what the command reads: the zoo name wins
  it('a file named resnet18 beside `analyze resnet18 --out resnet18` is not read: written, exit 0; a built-in --device likewise', async () => {
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      writeFileSync('resnet18', 'x');
      writeFileSync('a100-sxm4-40gb', 'x');
      const r = await cli(['analyze', 'resnet18', '--resolution', '32', '--out', 'resnet18']);
      // the notice gives the bytes written, the report's (6,785 at 2026-12-04), not the 1-byte file's that was there
      const written = readFileSync('resnet18', 'utf8');
      expect(written).toMatch(/^layer\s+op/);
      expect(Buffer.byteLength(written)).toBeGreaterThan(6000);
      expect([r.code, r.err]).toEqual([0, `convlens: wrote the table report to resnet18 (${Buffer.byteLength(written).toLocaleString('en-US')} bytes)`]);
      expect((await cli(['analyze', 'resnet18', '--resolution', '32', '--device', 'a100-sxm4-40gb', '--out', 'a100-sxm4-40gb'])).code).toBe(0);
    } finally {
      process.chdir(cwd);
    }
  });

  // found by a hunt: `analyze - --out /dev/stdin < spec.json` replaced the spec with the report (exit 0)
  it('the target - read from a file (< spec.json): --out /dev/stdin or /proc/self/fd/0 is that file, refused; the spec is kept', () => {
    const f = path.join(tmp, 'stdin-spec.json');
    writeFileSync(f, spec);
    for (const out of ['/dev/stdin', '/proc/self/fd/0']) {
      const fd = openSync(f, 'r');
      try {
        const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../src/cli.ts', import.meta.url)), 'analyze', '-', '--out', out], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
        expect([r.status, r.stderr]).toEqual([2, `convlens: INVALID_OPTION: --out ${out} is stdin (-), this command reads: writing it would replace it; give another file (at --out)\n`]);
      } finally {
        closeSync(fd);
      }
      expect(readFileSync(f, 'utf8')).toBe(spec);
    }
  });

  it('another path to the target (a symlink), or the --device profile, is caught too; /dev/null and a new file are written', async () => {
    const f = path.join(tmp, 'net.json');
    writeFileSync(f, spec);
    symlinkSync(f, path.join(tmp, 'link.json'));
    const linked = await cli(['analyze', path.join(tmp, 'link.json'), '--out', f]);
    expect(linked.err).toBe(`convlens: INVALID_OPTION: --out ${f} is ${path.join(tmp, 'link.json')}, this command reads: writing it would replace it; give another file (at --out)`);
    const device = path.join(tmp, 'npu.json');
    writeFileSync(device, JSON.stringify({ name: 'npu', peaks: { float32: 1e12 }, bandwidth: 1e10 }));
    expect((await cli(['analyze', f, '--device', device, '--out', device])).code).toBe(2);
    expect((await cli(['analyze', f, '--out', '/dev/null'])).code).toBe(0);
    expect((await cli(['analyze', f, '--out', path.join(tmp, 'report.txt')])).code).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe(spec);
  });
});
