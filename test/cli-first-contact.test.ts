/**
 * The CLI on first contact (audit): errors name the option the user typed, not the REST path it
 * becomes; compare says which network failed; an output file that cannot be written is named; the
 * catalogs have JSON; progress puts no escape codes or `\r` on a dumb terminal or a pipe.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isMainModule, main, streamIo } from '../src/cli.js';
import type { Io } from '../src/cli.js';
import { conventionCatalog, deviceCatalog, modelCatalog, operatorCatalog } from '../src/http/catalog.js';
import { encodeNpy } from '../src/tensor/encoding.js';
import { tensor } from '../src/tensor/tensor.js';

async function cli(argv: string[], io: Partial<Io> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t), ...io });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const root = fileURLToPath(new URL('..', import.meta.url));
const onnx = fileURLToPath(new URL('./fixtures/onnx/resnet18.onnx', import.meta.url));
const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-cli-first-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, data?: string | Uint8Array) => {
  const p = path.join(tmp, name);
  if (data !== undefined) writeFileSync(p, data);
  return p;
};

/** Three 3×3 convs, 1×1×9×9 in: a → b (stride 2) → c. */
const net = () =>
  file(
    'net.json',
    JSON.stringify({
      inputs: [{ name: 'x', shape: [1, 1, 9, 9] }],
      layers: [
        { name: 'a', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 },
        { name: 'b', op: 'conv2d', outChannels: 2, kernelSize: 3, stride: 2 },
        { name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 },
      ],
    }),
  );

describe('an error from a value the user typed names its option, not the REST path (audit item 1)', () => {
  it('sweep of a network with no NCHW input, --input-name not given: the error is at the network\'s file (review: it blamed --input-name; then it said $.input)', async () => {
    const flat = file('flat.json', JSON.stringify({ inputs: [{ name: 'v', shape: [1, 16] }], layers: [{ name: 'fc', op: 'linear', outFeatures: 4 }] }));
    const r = await cli(['sweep', flat, '--sizes', '64']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`convlens: INVALID_OPTION: sweep: the network has no NCHW (or NCDHW) input to resize (at ${flat})`);
  });

  it.each([
    [['sweep', 'resnet18', '--sizes', '224', '--input-name', 'image'], "convlens: INVALID_OPTION: --input-name: sweep: no input 'image'; inputs: input (at --input-name)"],
    [['sweep', onnx, '--input', '1,3,224', '--sizes', '224'], "convlens: SHAPE_MISMATCH: --input: input 'input' has 4 dimensions in the model, but the shape given has 3: [1, 3, 224] (at --input)"],
    [['analyze', onnx, '--input', '2,3,224,224'], "convlens: SHAPE_MISMATCH: --input: input 'input' dimension 0 is 1 in the model, but 2 was given (at --input)"],
    [
      ['analyze', 'inception_v3', '--resolution', '16'],
      "convlens: KERNEL_TOO_LARGE: --resolution: inception_v3 at resolution 16: layer 'Conv2d_4a_3x3.conv': effective kernel 3 (kernel 3, dilation 1) is larger than the padded input height 2 (input 2, padding 0+0) (at --resolution)",
    ],
    [['erf', 'resnet18', '--resolution', '64', '--samples', '1', '--channels', '0,9999'], "convlens: INVALID_OPTION: --channels: channel 9999 is outside 'layer4.1.relu', which has 512 channels (0–511) (at --channels, value 2)"],
    [['erf', 'resnet18', '--resolution', '64', '--samples', '1', '--position', '1,99'], "convlens: INVALID_OPTION: --position: position 99 is outside 'layer4.1.relu' [1, 512, 2, 2] along columns (0–1) (at --position, value 2)"],
    [['erf', 'resnet18', '--resolution', '64', '--samples', '1', '--layer', 'fc', '--position', '0,0'], "convlens: INVALID_OPTION: --position: 'fc' [1, 1000] has no spatial axes; leave position out (at --position)"],
  ])('%j: exit 2, %s', async (argv, line) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(line);
  });

  it.each([
    [['sweep', 'resnet18', '--sizes', '224,99999'], "convlens: INVALID_OPTION: option '--sizes <sizes>' argument '224,99999' is invalid. '99999': each side is an integer from 1 to 8192 (at --sizes)"],
    // past 2^53 too (it said "<=9007199254740991"); an empty entry is refused, not skipped
    [['sweep', 'resnet18', '--sizes', '99999999999999999999'], "convlens: INVALID_OPTION: option '--sizes <sizes>' argument '99999999999999999999' is invalid. '99999999999999999999': each side is an integer from 1 to 8192 (at --sizes)"],
    [['sweep', 'resnet18', '--sizes', '224,,320'], "convlens: INVALID_OPTION: option '--sizes <sizes>' argument '224,,320' is invalid. '' is not a size: give sides (224) or H×W (224x320), comma-separated (at --sizes)"],
    [['erf', 'resnet18', '--resolution', '64', '--samples', '1', '--seed', '4294967296'], "convlens: INVALID_OPTION: option '--seed <n>' argument '4294967296' is invalid. an integer from 0 to 4294967295 (2^32 − 1), got \"4294967296\" (at --seed)"],
    // a gate given twice: commander kept the last, so an appended 500% loosened the template's 5%
    [['compare', 'resnet18', 'resnet34', '--max-macs-increase', '5%', '--max-macs-increase', '500%'], "convlens: INVALID_OPTION: option '--max-macs-increase <limit>' argument '500%' is invalid. given twice (5%, then 500%): a gate has one limit (at --max-macs-increase)"],
    [['analyze', 'resnet18', '--max-macs', '1e9', '--max-macs', '1e12'], "convlens: INVALID_OPTION: option '--max-macs <n>' argument '1e12' is invalid. given twice (1000000000, then 1e12): a gate has one limit (at --max-macs)"],
    [['analyze', 'resnet18', '--out', ''], "convlens: INVALID_OPTION: option '--out <file>' argument '' is invalid. a file path, got \"\" (at --out)"],
    [['erf', 'resnet18', '--resolution', '64', '--samples', '1', '--png', ''], "convlens: INVALID_OPTION: option '--png <file>' argument '' is invalid. a file path, got \"\" (at --png)"],
  ])('a value the option itself refuses, %j: exit 2, the usage line %s', async (argv, line) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`${line}\n`);
  });

  it('erf --layer nope on a spec of layers a, b, c: UNKNOWN_INPUT at --layer (it was at $.layer)', async () => {
    const r = await cli(['erf', net(), '--samples', '1', '--layer', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("convlens: UNKNOWN_INPUT: --layer: no layer or tensor named 'nope' to take the gradient of (layers: a, b, c) (at --layer)");
  });

  it('erf --input a 1×1×4×4 .npy for a 1×1×9×9 input: SHAPE_MISMATCH at --input (it was at $.inputs.x)', async () => {
    const npy = file('small.npy', encodeNpy(tensor([1, 1, 4, 4])));
    const r = await cli(['erf', net(), '--input', npy]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`convlens: SHAPE_MISMATCH: --input ${npy}: input 'x' must be [1, 1, 9, 9], got [1, 1, 4, 4] (at --input)`);
  });

  it('erf ONNX --input-shape 1,3,64 (3 of 4 dimensions): SHAPE_MISMATCH at --input-shape (it was at $.inputShapes[""])', async () => {
    const r = await cli(['erf', onnx, '--input-shape', '1,3,64']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("convlens: SHAPE_MISMATCH: --input-shape: input 'input' has 4 dimensions in the model, but the shape given has 3: [1, 3, 64] (at --input-shape)");
  });

  it('analyze --device <a directory>, analyze and sweep --device ./missing: the system\'s reason (EISDIR, ENOENT) at --device (a path was looked up as a built-in id: "no device profile \'/tmp/…\'")', async () => {
    const r = await cli(['analyze', 'resnet18', '--device', tmp]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`convlens: INVALID_OPTION: --device ${tmp}: illegal operation on a directory (EISDIR) (at --device)`);
    for (const command of [['analyze', 'resnet18'], ['sweep', 'resnet18', '--sizes', '224']]) {
      const missing = await cli([...command, '--device', './no-such-profile']);
      expect(missing.err, command[0]).toBe('convlens: INVALID_OPTION: --device ./no-such-profile: no such file or directory (ENOENT) (at --device)');
    }
  });

  // a leftover of the last session: a slash made any value a file, so a mistyped id answered ENOENT
  it('analyze and sweep --device nvidia/a100 (a slash, no such file, not spelt as a path): the built-in ids, and a profile file as the other way', async () => {
    for (const command of [['analyze', 'resnet18'], ['sweep', 'resnet18', '--sizes', '224']]) {
      const r = await cli([...command, '--device', 'nvidia/a100']);
      expect(r.code, command[0]).toBe(2);
      expect(r.err, command[0]).toBe(
        "convlens: INVALID_OPTION: --device: no device profile 'nvidia/a100' (built in: a100-sxm4-40gb, jetson-orin-nano-8gb, cortex-a78-3ghz, raspberry-pi-5; or give a profile file, --device my-device.json) (at --device)",
      );
    }
  });

  it('sweep --device raspberry-pi5 leads with --device and is at --device (it was at $.device), as analyze --device is', async () => {
    for (const argv of [['sweep', 'resnet18', '--sizes', '224', '--device', 'raspberry-pi5'], ['analyze', 'resnet18', '--device', 'raspberry-pi5']]) {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^convlens: INVALID_OPTION: --device: no device profile 'raspberry-pi5'; did you mean 'raspberry-pi-5'\? .* \(at --device\)$/);
    }
  });

  it.each([
    [['run', '--help'], "convlens: INVALID_OPTION: unknown command 'run'; convlens --help lists them"],
    [['help', 'run'], "convlens: INVALID_OPTION: unknown command 'run'; convlens --help lists them"],
    [['analyse', 'resnet18'], "convlens: INVALID_OPTION: unknown command 'analyse' (did you mean analyze?); convlens --help lists them"],
  ])('%j: an unknown command is exit 2 naming it, --help or not (run --help printed the main help, exit 0)', async (argv, line) => {
    const r = await cli(argv);
    expect([r.code, r.out, r.err]).toEqual([2, '', line]);
  });

  it('help analyze and --help still print their help, exit 0', async () => {
    expect((await cli(['help', 'analyze'])).code).toBe(0);
    expect((await cli(['--help'])).code).toBe(0);
  });

  it('a custom --device profile with a bad peak names the field once: (at --device.peaks.float32), not "at …" twice', async () => {
    const profile = file('npu.json', JSON.stringify({ name: 'npu', peaks: { float32: -1 }, bandwidth: 1e9 }));
    const r = await cli(['analyze', 'resnet18', '--device', profile]);
    expect(r.code).toBe(2);
    expect(r.err).toBe('convlens: INVALID_OPTION: --device: device profile: Too small: expected number to be >=1 (at --device.peaks.float32)');
  });
});

describe('compare says which network failed: old or new, and its file or model (audit item 2)', () => {
  const broken = () => file('broken.onnx', 'garbage\n');
  const ONNX_INVALID = 'ONNX_INVALID: the file is not an ONNX model, or is truncated (protobuf: invalid wire type 7 at offset 1)';

  it('a broken ONNX file as NEW, then as OLD: "new network FILE" / "old network FILE", exit 2', async () => {
    const b = broken();
    const asNew = await cli(['compare', 'resnet18', b]);
    expect([asNew.code, asNew.err]).toEqual([2, `convlens: new network ${b}: ${ONNX_INVALID}`]);
    const asOld = await cli(['compare', b, 'resnet18']);
    expect([asOld.code, asOld.err]).toEqual([2, `convlens: old network ${b}: ${ONNX_INVALID}`]);
  });

  it('a missing NEW file: "new network PATH: INVALID_OPTION: cannot read PATH: no such file or directory (ENOENT) … (at PATH)", exit 2 (Node\'s "ENOENT: …, open PATH" leaked through)', async () => {
    const missing = path.join(tmp, 'missing.onnx');
    const r = await cli(['compare', 'resnet18', missing]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^convlens: new network ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: INVALID_OPTION: cannot read .*missing\\.onnx: no such file or directory \\(ENOENT\\); give a \\.json spec.* \\(at .*missing\\.onnx\\)$`));
  });

  it('an invalid OLD spec keeps its path in the file: "old network FILE: SPEC_INVALID … (at $.layers[0].groups)"', async () => {
    const spec = file('bad.json', JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1, 8, 8] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3, groups: 0 }] }));
    const r = await cli(['compare', spec, 'resnet18']);
    expect([r.code, r.err]).toEqual([2, `convlens: old network ${spec}: SPEC_INVALID: layer 'c': groups: Too small: expected number to be >0 (at $.layers[0].groups)`]);
  });

  it('the same dynamic ONNX file on both sides, --input-new only: the OLD one misses its dimension', async () => {
    const r = await cli(['compare', onnx, onnx, '--input-new', '1,3,224,224']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^convlens: old network ${onnx.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: MISSING_DIMENSION: input 'input' dimension 2 \\('height'\\) is dynamic`));
  });

  it('a zoo model NEW that cannot be built at --resolution 9 (unet): "new network unet: … --resolution"', async () => {
    const r = await cli(['compare', 'resnet18', 'unet', '--resolution', '9']);
    expect([r.code, r.err]).toEqual([
      2,
      "convlens: new network unet: KERNEL_TOO_LARGE: --resolution: unet at resolution 9: layer 'down4.0': effective kernel 2 (kernel 2, dilation 1) is larger than the padded input height 1 (input 1, padding 0+0) (at --resolution)",
    ]);
  });
});

describe('an output file that cannot be written is named with its option (audit item 3)', () => {
  it.each([
    [['analyze', 'resnet18']],
    [['sweep', 'resnet18', '--sizes', '64']],
    [['compare', 'resnet18', 'resnet18']],
  ])('%j --out DIR (a directory): "--out DIR: illegal operation on a directory (EISDIR)", exit 2', async (argv) => {
    const r = await cli([...argv, '--out', tmp]);
    expect([r.code, r.out, r.err]).toEqual([2, '', `convlens: INVALID_OPTION: --out ${tmp}: illegal operation on a directory (EISDIR) (at --out)`]);
  });

  it('--out a Unix socket (ENXIO): "--out PATH: no such device or address (ENXIO)", exit 2 (it was an internal error with a stack, exit 3)', async () => {
    const sock = path.join(tmp, 'report.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const r = await cli(['analyze', 'resnet18', '--out', sock]);
      expect([r.code, r.err]).toEqual([2, `convlens: INVALID_OPTION: --out ${sock}: no such device or address (ENXIO) (at --out)`]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('the target itself a Unix socket (ENXIO on reading it): one line naming it, exit 2 (review: an internal error with a stack, exit 3)', async () => {
    const sock = path.join(tmp, 'model.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const r = await cli(['analyze', sock]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`^convlens: INVALID_OPTION: cannot read ${sock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no such device or address \\(ENXIO\\); give`));
      expect(r.err).not.toContain('internal error');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the catalogs as JSON: models, devices, conventions, operators --format json (audit item 4)', () => {
  const rest: Record<string, () => unknown> = {
    models: () => ({ models: modelCatalog() }),
    devices: () => deviceCatalog(),
    conventions: () => conventionCatalog(),
    operators: () => ({ operators: operatorCatalog() }),
  };
  it.each(Object.keys(rest).map((c) => [c, `/v1/${c}`]))('%s --format json: the JSON of GET %s on stdout, nothing on stderr', async (command) => {
    const r = await cli([command, '--format', 'json']);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(JSON.stringify(rest[command]())));
  });

  it('the table stays the default (models: resnet18 224 and its torchvision counts); --format yaml is exit 2 listing table, json', async () => {
    expect((await cli(['models'])).out).toMatch(/^model +resolution +torchvision params +GMACs\n-+ +-+ +-+ +-+\n[\s\S]*^resnet18 +224 +11,689,512 +1\.81$/m);
    // GMACs to 2 decimals, the points in one column (resnet101 printed 7.8 and mobilenet_v2 0.3, a column off 17.56 and 0.22)
    const models = (await cli(['models'])).out;
    expect(models).toMatch(/^resnet101 +224 +44,549,160 +7\.80$/m);
    expect(models).toMatch(/^mobilenet_v2 +224 +3,504,872 +0\.30$/m);
    const points = models.split('\n').filter((l) => /\d\.\d+$/.test(l)).map((l) => l.lastIndexOf('.'));
    expect(new Set(points).size).toBe(1);
    expect((await cli(['devices', '--format', 'table'])).out).toMatch(/^raspberry-pi-5\s+board-cpu\s/m);
    const bad = await cli(['devices', '--format', 'yaml']);
    expect([bad.code, bad.err]).toEqual([2, "convlens: INVALID_OPTION: option '--format <format>' argument 'yaml' is invalid. Allowed choices are table, json. (at --format)\n"]);
  });
});

describe('progress on a dumb terminal or a pipe: no escape codes, no carriage returns (audit item 5)', () => {
  const lines = [`convlens: [${'.'.repeat(24)}] 0/2 160×160\n`, `convlens: [${'#'.repeat(12)}${'.'.repeat(12)}] 1/2 224×224\n`, `convlens: [${'#'.repeat(24)}] 2/2 done\n`];
  const streams = (isTTY: boolean) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { stdout, stderr, out: { write: (t: string) => stdout.push(t), isTTY }, err: { write: (t: string) => stderr.push(t), isTTY } };
  };

  it('a terminal with TERM=dumb: sweep --sizes 160,224 shows its progress as 3 plain lines (it was redrawn with \\r\\x1b[K)', async () => {
    const s = streams(true);
    expect(await main(['sweep', 'resnet18', '--sizes', '160,224', '--format', 'json'], streamIo(s.out, s.err, { TERM: 'dumb' }))).toBe(0);
    expect(s.stderr).toEqual(lines);
    expect(JSON.parse(s.stdout.join('')).sizes).toHaveLength(2);
  });

  it('a terminal with TERM=xterm-256color still redraws one line and clears it', async () => {
    const s = streams(true);
    await main(['sweep', 'resnet18', '--sizes', '160,224', '--format', 'json'], streamIo(s.out, s.err, { TERM: 'xterm-256color' }));
    expect(s.stderr.at(-2)).toBe(`\r\x1b[K[${'#'.repeat(24)}] 2/2 done`);
    expect(s.stderr.at(-1)).toBe('\r\x1b[K');
  });

  it('a pipe: nothing by default, plain lines with --progress', async () => {
    const quiet = streams(false);
    await main(['sweep', 'resnet18', '--sizes', '160,224', '--format', 'json'], streamIo(quiet.out, quiet.err, { TERM: 'xterm-256color' }));
    expect(quiet.stderr).toEqual([]);
    const asked = streams(false);
    await main(['sweep', 'resnet18', '--sizes', '160,224', '--format', 'json', '--progress'], streamIo(asked.out, asked.err, { TERM: 'xterm-256color' }));
    expect(asked.stderr).toEqual(lines);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('the command on a real pseudo-terminal with TERM=dumb (util-linux script): no ESC byte, no \\r but the terminal\'s own \\r\\n', () => {
    const raw = execFileSync('script', ['-qec', 'node --import tsx src/cli.ts sweep resnet18 --sizes 160,224 --format json >/dev/null', '/dev/null'], {
      cwd: root,
      env: { ...process.env, TERM: 'dumb' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(raw).not.toMatch(/\x1b|\r(?!\n)/);
    expect(raw.replaceAll('\r\n', '\n')).toBe(lines.join(''));
  }, 60_000);
});

describe('options after a command are that command\'s', () => {
  it('compare a b -V: exit 2, unknown option (it printed the version, exit 0); convlens -V still prints it', async () => {
    const r = await cli(['compare', 'resnet18', 'resnet34', '-V']);
    expect([r.code, r.err.trim()]).toEqual([2, "convlens: INVALID_OPTION: unknown option '-V'"]);
    const v = await cli(['-V']);
    expect([v.code, v.out.trim()]).toEqual([0, JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version]);
  });
});

describe('help and the entry point', () => {
  it('--help documents the exit codes, 0 to 4', async () => {
    for (const argv of [['--help'], ['analyze', '--help']]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.out).toContain('Exit codes:');
      expect(r.out).toMatch(/^ {2}4 {2}a gate was given but the analysis is incomplete/m);
    }
    // sweep and erf have no gates: 0, 2 and 3 only, and when sweep is 2 (no size analysed)
    const sweep = await cli(['sweep', '--help']);
    expect(sweep.out).toMatch(/Exit codes:\n {2}0 {2}swept: at least one size analysed[^]*\n {2}2 {2}invalid input or usage[^\n]*or no size could be analysed\n {2}3 {2}internal error/);
    const erf = await cli(['erf', '--help']);
    expect(erf.out).toMatch(/Exit codes:\n {2}0 {2}computed\n {2}2 {2}invalid input or usage[^]*\n {2}3 {2}internal error/);
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.out).toBe('');
  });

  it('--version and -V print package.json\'s version, exit 0 (both were unknown options, exit 2)', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cli([flag]);
      expect([r.code, r.out.trim()]).toEqual([0, version]);
    }
  });

  it('the module is the entry point also when started through a symlink named otherwise (npm bin links: convlens -> cli.js)', () => {
    const real = file('cli.js', '');
    const link = path.join(tmp, 'convlens');
    symlinkSync(real, link);
    const url = pathToFileURL(real).href;
    expect(isMainModule(url, link)).toBe(true);
    expect(isMainModule(url, real)).toBe(true);
    expect(isMainModule(url, file('other.js', ''))).toBe(false);
    expect(isMainModule(url, path.join(tmp, 'missing.js'))).toBe(false);
    expect(isMainModule(url, undefined)).toBe(false);
  });
});

