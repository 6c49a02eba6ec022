/** `convlens analyze`'s command-line rules (src/cli/analyze.ts): usage errors are exit 2, one line. */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n').trimEnd() };
}

describe('analyze: usage errors', () => {
  it('--depth "", " ", -1 and 1.5 are exit 2 saying the range, 0 to 64 (not depth 0, the module tree dropped)', async () => {
    for (const v of ['', ' ', '-1', '1.5']) {
      const r = await cli('analyze', 'resnet18', '--depth', v, '--format', 'md');
      expect([r.code, r.out, r.err], JSON.stringify(v)).toEqual([2, '', `convlens: INVALID_OPTION: option '--depth <n>' argument '${v}' is invalid. an integer from 0 to 64, got ${JSON.stringify(v)}`]);
    }
  });

  // found by the fuzz round: --depth 99999 with json, md or html was exit 3, "internal error: ZodError … Too big:
  // expected number to be <=64" and its stack (the table clamped it); REST's ?depth=99999 is a 400
  it('--depth past 64 is exit 2, one line, with every format; 64 runs', async () => {
    for (const format of ['table', 'json', 'md', 'html']) {
      const r = await cli('analyze', 'resnet18', '--resolution', '32', '--depth', '99999', '--format', format);
      expect([r.code, r.out, r.err], format).toEqual([2, '', `convlens: INVALID_OPTION: option '--depth <n>' argument '99999' is invalid. an integer from 0 to 64, got "99999"`]);
    }
    expect((await cli('analyze', 'resnet18', '--resolution', '32', '--depth', '64', '--format', 'json')).code).toBe(0);
  });
});
