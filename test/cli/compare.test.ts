/** `convlens compare`'s command-line rules (src/cli/compare.ts): conflicting shape options are refused. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const resnet18 = fileURLToPath(new URL('../fixtures/onnx/resnet18.onnx', import.meta.url));

describe('compare: --input with --input-old or --input-new', () => {
  it.each([
    [['--input-old', '1,3,320,320'], '--input-old'],
    [['--input-new', '1,3,320,320'], '--input-new'],
    [['--input-old', '1,3,320,320', '--input-new', '1,3,320,320'], '--input-old and --input-new'],
  ])('--input 1,3,224,224 with %j: exit 2 (--input-old silently won for OLD)', async (more, named) => {
    const r = await cli('compare', resnet18, resnet18, '--input', '1,3,224,224', ...more);
    expect([r.code, r.out, r.err]).toEqual([2, '', `convlens: INVALID_OPTION: --input gives both networks' shapes and ${named} one side's: give --input-old and --input-new instead (at --input)`]);
  });

  it("--input-old and --input-new alone size each side: ResNet-18 at 224 is 1,814,073,344 MACs both sides, delta 0", async () => {
    const r = await cli('compare', resnet18, resnet18, '--input-old', '1,3,224,224', '--input-new', '1,3,224,224', '--format', 'json');
    expect(r.code).toBe(0);
    const macs = JSON.parse(r.out).comparison.totals.find((t: { metric: string }) => t.metric === 'macs');
    expect(macs).toMatchObject({ before: 1_814_073_344, after: 1_814_073_344, delta: 0 });
  });
});
