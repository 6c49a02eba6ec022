import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { atFlags } from '../../src/cli/errors.js';
import { targetKind, targetSource } from '../../src/cli/target.js';
import type { ConvlensError } from '../../src/errors.js';
import { errorOf } from '../helpers.js';

const fixture = (p: string) => path.join(import.meta.dirname, '..', 'fixtures', p);

describe('targetSource: a command-line target as the request the service would get', () => {
  it.each([
    ['resnet18', 'model'],
    ['net.json', 'spec'],
    ['net.onnx', 'onnx'],
    ['weights.bin', 'onnx'],
  ])('%s is a %s target', (target, kind) => {
    expect(targetKind(target)).toBe(kind);
  });

  it('a zoo model at --resolution 96 is the model request at 96; an ONNX file with --input 1,3,64,64 sizes its one dynamic input', () => {
    expect(targetSource('resnet18', { resolution: 96 }, {})).toEqual({ kind: 'model', name: 'resnet18', resolution: 96 });
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
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'convlens-target-')), 'broken.json');
    writeFileSync(file, '{"layers": [');
    const e = errorOf(() => targetSource(file, {}, {}));
    expect(e.code).toBe('INVALID_JSON');
    expect(e.details.path).toBe(file);
  });

  it('a missing file is ENOENT from node:fs, for the command line to explain with the zoo names', () => {
    expect(() => targetSource('resnt50', {}, {})).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
