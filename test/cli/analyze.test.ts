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
      expect([r.code, r.out, r.err], JSON.stringify(v)).toEqual([2, '', `convlens: INVALID_OPTION: option '--depth <n>' argument '${v}' is invalid. an integer from 0 to 64, got ${JSON.stringify(v)} (at --depth)`]);
    }
  });

  // found by the fuzz round: --depth 99999 with json, md or html was exit 3, "internal error: ZodError … Too big:
  // expected number to be <=64" and its stack (the table clamped it); REST's ?depth=99999 is a 400
  it('--depth past 64 is exit 2, one line, with every format; 64 runs', async () => {
    for (const format of ['table', 'json', 'md', 'html']) {
      const r = await cli('analyze', 'resnet18', '--resolution', '32', '--depth', '99999', '--format', format);
      expect([r.code, r.out, r.err], format).toEqual([2, '', `convlens: INVALID_OPTION: option '--depth <n>' argument '99999' is invalid. an integer from 0 to 64, got "99999" (at --depth)`]);
    }
    expect((await cli('analyze', 'resnet18', '--resolution', '32', '--depth', '64', '--format', 'json')).code).toBe(0);
  });
});

describe('analyze --format md and html say what was analysed, as the service does', () => {
  // the renderings' source line (analysis/formats/source-line.ts) reads report.source, which the CLI gave only its JSON:
  // its md and html began at `input …`, where POST /v1/analyze?format=md and GraphQL's markdown say `built-in model …`
  it.each([
    [['resnet18', '--resolution', '64'], 'built-in model `resnet18` · input `input` 1×3×64×64 · output `fc` 1×1000', 'built-in model <code>resnet18</code> · input'],
    [['test/fixtures/onnx/resnet18.onnx', '--input', '1,3,64,64'], 'ONNX file (opset 13, pytorch 1.13.0, 22,792 bytes) · input `input` 1×3×64×64 · output `output` 1×1000', 'ONNX file (opset 13, pytorch 1.13.0, 22,792 bytes) · input'],
    [['examples/specs/conv-then-pool.json'], 'JSON spec · input `image` 1×3×32×32 · output `pool` 1×16×7×7', 'JSON spec · input'],
  ])('%j', async (target, mdLine, htmlStart) => {
    const md = await cli('analyze', ...target, '--format', 'md');
    expect(md.code).toBe(0);
    expect(md.out.split('\n')[2]).toBe(mdLine);
    const html = await cli('analyze', ...target, '--format', 'html');
    expect(html.code).toBe(0);
    expect(html.out).toContain(`<p class="source">${htmlStart}`);
  });
});
