/**
 * The command line's --input NAME=SHAPE: each dynamic input of an ONNX file by name, repeated, in
 * analyze, sweep and compare (and --input-old / --input-new); MISSING_DIMENSION's hint names the form
 * that addresses the input left out. MACs worked by hand: a 3×3 conv 1→2 without padding over H×W
 * costs 2·9·(H − 2)(W − 2).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { onnxModel } from './graph/onnx-builder.js';

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-cli-shapes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, data: Uint8Array) => {
  const p = path.join(tmp, name);
  writeFileSync(p, data);
  return p;
};

// found by a hunt: --input set the first input only, so a file with two dynamic inputs (RAFT's images) could not be analysed,
// and MISSING_DIMENSION's hint (--input N,3,N,N) set the first input, not the one missing
describe('--input NAME=SHAPE, repeated: each dynamic input of an ONNX file by name', () => {
  const twoInputs = () =>
    file(
      'two-inputs.onnx',
      onnxModel({
        inputs: [
          { name: 'a', shape: [1, 1, 'h', 'w'] },
          { name: 'b', shape: [1, 1, 'h2', 'w2'] },
        ],
        outputs: ['ya', 'yb'],
        nodes: [
          { op: 'Conv', inputs: ['a', 'wa'], outputs: ['ya'], name: 'ca', attrs: { kernel_shape: { ints: [3, 3] } } },
          { op: 'Conv', inputs: ['b', 'wb'], outputs: ['yb'], name: 'cb', attrs: { kernel_shape: { ints: [3, 3] } } },
        ],
        initializers: [
          { name: 'wa', dims: [2, 1, 3, 3] },
          { name: 'wb', dims: [2, 1, 3, 3] },
        ],
      }),
    );

  it('analyze --input 1,1,8,8 --input b=1,1,16,16: ca [1, 2, 6, 6] (2·36·9 = 648 MACs) and cb [1, 2, 14, 14] (2·196·9 = 3,528)', async () => {
    const r = await cli(['analyze', twoInputs(), '--input', '1,1,8,8', '--input', 'b=1,1,16,16', '--format', 'json']);
    expect(r.err).toBe('');
    const report = JSON.parse(r.out);
    expect(report.layers.map((l: { name: string; outputShape: number[]; macs: number }) => [l.name, l.outputShape, l.macs])).toEqual([
      ['ca', [1, 2, 6, 6], 648],
      ['cb', [1, 2, 14, 14], 3528],
    ]);
    // by name both, or a second given twice
    const named = await cli(['analyze', twoInputs(), '--input', 'a=1,1,8,8', '--input', 'b=1,1,16,16', '--format', 'json']);
    expect(JSON.parse(named.out).totals.macs).toBe(648 + 3528);
    const twice = await cli(['analyze', twoInputs(), '--input', 'b=1,1,8,8', '--input', 'b=1,1,16,16']);
    expect(twice.code).toBe(2);
    expect(twice.err).toBe("convlens: INVALID_OPTION: option '--input <shape>' argument 'b=1,1,16,16' is invalid. input 'b' is given twice: give each input once (at --input)\n");
  });

  it('compare takes NAME=SHAPE too: --input 1,1,8,8 --input b=1,1,16,16 for both (4,176 MACs each); --input-new b=1,1,18,18 makes cb 2·256·9 = 4,608, +1,080', async () => {
    const both = await cli(['compare', twoInputs(), twoInputs(), '--input', '1,1,8,8', '--input', 'b=1,1,16,16', '--format', 'json']);
    expect(both.err).toBe('');
    const macsOf = (out: string) => (JSON.parse(out).comparison.totals as { metric: string; before: number; after: number; delta: number }[]).find((t) => t.metric === 'macs')!;
    const same = macsOf(both.out);
    expect([same.before, same.after]).toEqual([4176, 4176]);
    const sides = await cli(['compare', twoInputs(), twoInputs(), '--input-old', '1,1,8,8', '--input-old', 'b=1,1,16,16', '--input-new', 'a=1,1,8,8', '--input-new', 'b=1,1,18,18', '--format', 'json']);
    expect(sides.err).toBe('');
    const macs = macsOf(sides.out);
    expect([macs.before, macs.after, macs.delta]).toEqual([4176, 648 + 4608, 1080]);
  });

  it('a dynamic input left out: MISSING_DIMENSION whose command-line hint names it (--input b=…)', async () => {
    const r = await cli(['analyze', twoInputs(), '--input', '1,1,8,8']);
    expect(r.code).toBe(2);
    // only the named forms: ?input=, --input SHAPE and erf's --input-shape set the first input
    expect(r.err).toContain("input 'b' dimension 2 ('h2') is dynamic; give the input's shape with each N filled in: REST ?input.b=1,1,N,N; JSON bodies and GraphQL: inputShapes { \"b\": [1,1,N,N] }; the command line (analyze, sweep, compare): --input b=1,1,N,N");
  });
});