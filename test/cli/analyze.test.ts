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
  it('--depth "" and --depth " " are exit 2, not depth 0 (the module tree dropped)', async () => {
    for (const v of ['', ' ']) {
      const r = await cli('analyze', 'resnet18', '--depth', v, '--format', 'md');
      expect([r.code, r.out, r.err], JSON.stringify(v)).toEqual([2, '', `convlens: INVALID_OPTION: option '--depth <n>' argument '${v}' is invalid. a non-negative integer up to 2^53 − 1, got ${JSON.stringify(v)}`]);
    }
  });
});
