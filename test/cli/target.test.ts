import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { atFlags } from '../../src/cli/errors.js';
import { readTarget, targetKind, targetSource } from '../../src/cli/target.js';
import { looksLikeJson } from '../../src/json-text.js';
import type { ConvlensError } from '../../src/errors.js';
import { errorOf } from '../helpers.js';

const fixture = (p: string) => path.join(import.meta.dirname, '..', 'fixtures', p);
const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-target-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('targetSource: a command-line target as the request the service would get', () => {
  it.each([
    ['resnet18', 'model'],
    ['net.json', 'spec'],
    ['net.onnx', 'onnx'],
    ['weights.bin', 'onnx'],
    ['NET.JSON', 'spec'],
    ['-', 'onnx'],
  ])('%s is a %s target', (target, kind) => {
    expect(targetKind(target)).toBe(kind);
  });

  it('a zoo model at --resolution 96 is the model request at 96; an ONNX file with --input 1,3,64,64 sizes its one dynamic input', () => {
    expect(targetSource('resnet18', { resolution: 96 }, {})).toEqual({ kind: 'model', name: 'resnet18', resolution: 96, modelAt: 'resnet18' });
    const onnx = targetSource(fixture('onnx/resnet18.onnx'), { inputShape: [1, 3, 64, 64] }, {});
    expect(onnx).toMatchObject({ kind: 'onnx', inputShapes: { '': [1, 3, 64, 64] }, at: fixture('onnx/resnet18.onnx') });
  });

  it("a size the target does not read is INVALID_OPTION at the REST field's path, named in the message by the command's FlagPaths", () => {
    const flags = { '$.inputShapes': '--input-old', '$.resolution': '--sizes' };
    const e = errorOf(() => targetSource('resnet18', { inputShape: [1, 3, 64, 64] }, flags));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details.path).toBe('$.inputShapes');
    expect(e.message).toBe("--input-old gives the shapes of an ONNX file's dynamic inputs; 'resnet18' is a built-in model (its size: --sizes)");
    // the same map renames the path: the option is said once, where the user typed it
    expect((atFlags(e, flags) as ConvlensError).details.path).toBe('--input-old');
    const r = errorOf(() => targetSource(fixture('onnx/resnet18.onnx'), { resolution: 64 }, flags));
    expect(r.details.path).toBe('$.resolution');
    expect(r.message).toBe(`--sizes sets a built-in model's input size; '${fixture('onnx/resnet18.onnx')}' is an ONNX file (its dynamic dimensions: --input-old)`);
  });

  it('a command with no option for a field names the field itself', () => {
    const e = errorOf(() => targetSource('resnet18', { inputShape: [1, 3, 8, 8] }, {}));
    expect(e.message).toBe("$.inputShapes gives the shapes of an ONNX file's dynamic inputs; 'resnet18' is a built-in model (its size: $.resolution)");
  });

  it('a .json target that is not JSON is INVALID_JSON at the file', () => {
    const file = path.join(tmp, 'broken.json');
    writeFileSync(file, '{"layers": [');
    const e = errorOf(() => targetSource(file, {}, {}));
    expect(e.code).toBe('INVALID_JSON');
    expect(e.details.path).toBe(file);
  });

  it('a missing file is ENOENT from node:fs, for the command line to explain with the zoo names', () => {
    expect(() => targetSource('resnt50', {}, {})).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it("by content: a first byte `{` or `[` after whitespace (and a BOM) is JSON, whatever the name (an array then refused as a spec, not decoded as ONNX); an ONNX file's first byte is a field tag (0x08, ir_version)", () => {
    const onnx = readFileSync(fixture('onnx/resnet18.onnx'));
    expect(onnx[0]).toBe(0x08);
    expect(looksLikeJson(onnx)).toBe(false);
    expect(looksLikeJson(Buffer.from(' \n\t{"layers":[]}'))).toBe(true);
    expect(looksLikeJson(Buffer.from('\ufeff{}'))).toBe(true);
    expect(looksLikeJson(Buffer.from('[{}]'))).toBe(true);
    expect(looksLikeJson(Buffer.from('x{}'))).toBe(false);
    expect(looksLikeJson(Buffer.alloc(0))).toBe(false);
    expect(targetKind('-', Buffer.from('  {}'))).toBe('spec');
    expect(targetKind('model.txt', Buffer.from('{}'))).toBe('spec');
    expect(targetKind('-', onnx)).toBe('onnx');
    // a .json name keeps its JSON error for content that is not an object
    expect(targetKind('broken.json', Buffer.from('garbage'))).toBe('spec');
  });

  it('a spec named spec.txt (or SPEC.JSON) is read as a spec: conv-then-pool is 432 params, 15·15·16·3·9 = 97,200 MACs', () => {
    const dir = path.join(tmp, 'renamed');
    mkdirSync(dir);
    const spec = readFileSync(path.join(import.meta.dirname, '..', '..', 'examples', 'specs', 'conv-then-pool.json'));
    for (const name of ['spec.txt', 'SPEC.JSON']) {
      const file = path.join(dir, name);
      writeFileSync(file, spec);
      expect(readTarget(file).kind).toBe('spec');
      expect(targetSource(file, {}, {})).toMatchObject({ kind: 'spec', spec: { name: 'conv-then-pool' } });
    }
  });

  describe('- is stdin (a child process: the test runner owns its own stdin)', () => {
    const root = path.join(import.meta.dirname, '..', '..');
    const cli = (args: string[], input: Buffer | string) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, input, encoding: 'utf8', timeout: 60_000 });

    it('a spec piped in: 432 params and 97,200 MACs', () => {
      const r = cli(['analyze', '-', '--format', 'json'], readFileSync(path.join(root, 'examples', 'specs', 'conv-then-pool.json')));
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(JSON.parse(r.stdout).totals).toMatchObject({ params: 432, macs: 97_200 });
    });

    it("an ONNX file piped in: resnet18's 11,689,512 params and 1,814,073,344 MACs", () => {
      const r = cli(['analyze', '-', '--input', '1,3,224,224', '--format', 'json'], readFileSync(fixture('onnx/resnet18.onnx')));
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(JSON.parse(r.stdout).totals).toMatchObject({ params: 11_689_512, macs: 1_814_073_344 });
    });

    it('garbage piped in is ONNX_INVALID at stdin (not JSON: no `{`); a broken spec piped in is INVALID_JSON, not ONNX_INVALID', () => {
      const g = cli(['analyze', '-'], 'garbage\n');
      expect(g.status).toBe(2);
      expect(g.stderr).toMatch(/^convlens: ONNX_INVALID: .* \(at stdin\)\n$/);
      const j = cli(['analyze', '-'], '{"layers": [');
      expect(j.status).toBe(2);
      expect(j.stderr).toMatch(/^convlens: INVALID_JSON: stdin is not JSON: .* \(at stdin\)\n$/);
    });

    it('compare - -: stdin holds one file, exit 2', () => {
      const r = cli(['compare', '-', '-'], '{}');
      expect(r.status).toBe(2);
      expect(r.stderr).toBe('convlens: INVALID_OPTION: OLD and NEW are both - (stdin), which holds one file: give one of them as a file\n');
    });
  });
});
