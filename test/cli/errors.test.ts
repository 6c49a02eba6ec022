/**
 * The command line's error lines (src/cli/errors.ts, cli.ts): `convlens: CODE: message (at PLACE)`,
 * one line, exit 2, for usage errors, files that cannot be read and JSON that quotes its file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join(''), err: err.join('') };
}
const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-cli-errors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, data: string | Uint8Array) => {
  const f = path.join(tmp, name);
  writeFileSync(f, data);
  return f;
};

describe('error lines: convlens: CODE: message (at PLACE), one line, exit 2', () => {
  it.each([
    [['analyze', 'resnet18', '--bogus'], "convlens: INVALID_OPTION: unknown option '--bogus' (at --bogus)\n"],
    // commander's suggestion was a second line, "(Did you mean --format?)"
    [['analyze', 'resnet18', '--frmat', 'json'], "convlens: INVALID_OPTION: unknown option '--frmat' (did you mean --format?) (at --frmat)\n"],
    [['compare', 'resnet18', 'resnet34', '--max-mac-increase', '5%'], "convlens: INVALID_OPTION: unknown option '--max-mac-increase' (did you mean --max-macs-increase?) (at --max-mac-increase)\n"],
    [['analyze', 'resnet18', '--max-macs', '-1'], "convlens: INVALID_OPTION: option '--max-macs <n>' argument '-1' is invalid. a non-negative decimal number (1e9 works), got '-1' (at --max-macs)\n"],
    [['analyze', 'resnet18', '--max-latency', '1'], 'convlens: INVALID_OPTION: --max-latency needs --device (the latency is a roofline lower bound on a device; `convlens devices` lists them) (at --max-latency)'],
    [['analyze', 'resnet18', '--format', 'netron'], "convlens: INVALID_OPTION: --format netron annotates the nodes of an ONNX file in Netron; 'resnet18' is a zoo model: export it to ONNX first, or use --format json (at --format)"],
    [['analyze', 'resnet18', '--erf'], 'convlens: INVALID_OPTION: --erf adds a section to the HTML report (--format html); for the numbers use `convlens erf resnet18` (at --erf)'],
    [['compare', 'resnet18', 'resnet34', '--max-latency-increase', '5%'], 'convlens: INVALID_OPTION: --max-latency-increase needs --device (the latency is a roofline lower bound on a device; `convlens devices` lists them) (at --max-latency-increase)'],
    [['analyse', 'resnet18'], "convlens: INVALID_OPTION: unknown command 'analyse' (did you mean analyze?); convlens --help lists them"],
  ])('%j', async (argv, line) => {
    const r = await cli(...argv);
    expect([r.code, r.out, r.err]).toEqual([2, '', line]);
  });

  it("a misspelt zoo name is UNKNOWN_MODEL with the nearest name (it was node's ENOENT)", async () => {
    const r = await cli('analyze', 'resnet5');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^convlens: UNKNOWN_MODEL: no built-in model or file named 'resnet5' \(did you mean 'resnet50'\?\); give a \.json spec, an \.onnx file, - \(stdin\) or one of: alexnet, [^\n]*$/);
  });

  it('a missing file with a path is INVALID_OPTION quoting the file', async () => {
    const missing = path.join(tmp, 'missing.onnx');
    const r = await cli('analyze', missing);
    expect(r.code).toBe(2);
    expect(r.err.startsWith(`convlens: INVALID_OPTION: cannot read ${missing}: no such file or directory (ENOENT); give a .json spec`)).toBe(true);
    // the file named once, at the end, as every error names its place (Node's "stat 'x'" is gone)
    expect(r.err.endsWith(` (at ${missing})`)).toBe(true);
    expect(r.err).not.toContain('stat ');
  });

  it("a --device profile that is not JSON: one line, the file's line break escaped (it printed two lines)", async () => {
    const d = file('d.json', 'garbage\n');
    const r = await cli('analyze', 'resnet18', '--device', d);
    expect([r.code, r.err]).toEqual([2, `convlens: INVALID_JSON: --device: ${d} is not JSON: Unexpected token 'g', "garbage\\n" is not valid JSON at position 0 (line 1 column 1) (at --device)`]);
  });

  it("a spec file JSON.parse refuses names the line and column of the fault, as Node 22 does (Node 20 said only 'at position 133')", async () => {
    // the trailing comma after kernelSize's 3 on line 4: `}` is character 133, column 69 of that line
    const text = '{\n  "inputs": [{"name": "x", "shape": [1,3,8,8]}],\n  "layers": [\n    {"name": "c", "op": "conv2d", "outChannels": 4, "kernelSize": 3,}\n  ]\n}\n';
    expect(text.indexOf(',}') + 1).toBe(133);
    const f = file('trailing-comma.json', text);
    const r = await cli('analyze', f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^convlens: INVALID_JSON: ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not JSON: .* at position 133 \\(line 4 column 69\\) \\(at `));
    // a --device profile likewise, on its second line
    const d = file('device.json', '{"name": "npu",\n "peaks": {"float32": 1e12,}, "bandwidth": 1e10}');
    expect((await cli('analyze', 'resnet18', '--device', d)).err).toContain('at position 43 (line 2 column 28)');

    // a fault V8's message names no position for (`Unexpected token`): the position found, in the same form
    // (`npu` unquoted: V8 reads its `n` as null's and stops at the `p`)
    const c = file('unquoted.json', '{"peaks": {"float32": 1e12},\n "bandwidth": 1e10, "name": npu}');
    expect((await cli('analyze', 'resnet18', '--device', c)).err).toMatch(/Unexpected token 'p', .* is not valid JSON at position 58 \(line 2 column 30\) \(at --device\)$/);
  });

  it('a binary file named .json (a PNG signature, 0x89 not UTF-8): its first bad byte named, one line (it was JSON.parse\'s message over U+FFFD)', async () => {
    const g = file('g.json', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const r = await cli('analyze', g);
    expect([r.code, r.err]).toEqual([2, `convlens: INVALID_JSON: ${g}: its bytes are not UTF-8 (RFC 8259): byte 89 at offset 0; save it as UTF-8 (at ${g})`]);
  });

  it('a UTF-8 file that is not JSON, with control characters: they are escaped (0x1a: \\u001a), one line', async () => {
    const g = file('c.json', Buffer.from([0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const r = await cli('analyze', g);
    expect([r.code, r.err]).toEqual([2, `convlens: INVALID_JSON: ${g} is not JSON: Unexpected token 'P', "PNG\\r\\n\\u001a\\n" is not valid JSON at position 0 (line 1 column 1) (at ${g})`]);
  });
});

describe("a spec's own misspelt key keeps its path into the file, whatever option a request field of that name has", () => {
  // erf's --input and --layer, sweep's input (the target), analyze's none: the spec's `input` and
  // `layer` keys were reported as those options (`--input: the spec has no field input … (at --input)`)
  const spec = (key: string) => file(`${key}.json`, JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], layers: [{ name: 'a', op: 'relu' }], [key]: 1 }));
  it.each([
    [['erf'], 'input', 'the spec has no field input; did you mean inputs? (inputs is given too: remove input) (at $.input)'],
    [['erf'], 'layer', 'the spec has no field layer; did you mean layers? (layers is given too: remove layer) (at $.layer)'],
    [['erf'], 'seed', 'the spec has no field seed; its fields are name, description, inputs, layers, outputs, functional, subclassed (at $.seed)'],
    [['sweep', '--sizes', '32'], 'input', 'the spec has no field input; did you mean inputs? (inputs is given too: remove input) (at $.input)'],
    [['analyze'], 'inputShapes', 'the spec has no field inputShapes; its fields are name, description, inputs, layers, outputs, functional, subclassed (at $.inputShapes)'],
  ])('%j with a spec key %s', async (command, key, message) => {
    const [name, ...options] = command;
    const r = await cli(name, spec(key), ...options);
    expect([r.code, r.out, r.err]).toEqual([2, '', `convlens: SPEC_INVALID: ${message}`]);
  });

  it('an option the request field is given by is still named: erf --layer of a layer the spec lacks', async () => {
    const r = await cli('erf', file('ok.json', JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], layers: [{ name: 'a', op: 'relu' }] })), '--layer', 'b');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\(at --layer\)\n?$/);
  });
});
