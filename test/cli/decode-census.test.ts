/**
 * The command line judges an ONNX file before it decodes it, as the service does
 * (graph/onnx/proto.ts decodeModel → graph/onnx/census.ts checkDecode): a small hostile file is one
 * error line with the catalog's code and exit 2, in bounded time and memory. Before, the CLI had no
 * census: `analyze` of a 16 MB file of 8·10^6 empty initializers ran 68 s to 3.2 GB resident, a
 * sweep of 3 sizes of a 2 MB one 36 s to 1.3 GB, and 3·10^6 packed int64s (3 MB) under a 128 MB
 * heap ended in V8's fatal out-of-memory abort (signal 6) after 29 s (2026-12-05).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { withEmptyInitializers, withInt64Initializer } from '../graph/hostile-onnx.js';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const from = performance.now();
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n'), ms: performance.now() - from };
}

const dir = mkdtempSync(path.join(tmpdir(), 'convlens-census-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Uint8Array) => {
  const f = path.join(dir, name);
  writeFileSync(f, bytes);
  return f;
};

// 10^6 empty initializers (2 MB): 1,000,102 tensors × 0.2 + 222 other messages × 0.02 = 200,025 units a decode and import
const million = file('million.onnx', withEmptyInitializers(1_000_000));

describe('the CLI refuses a hostile ONNX file before decoding it', () => {
  it('analyze of 3.5·10^6 empty initializers (7 MB, 700,025 units over MAX_ANALYSIS_WORK 600,000): ANALYSIS_TOO_LARGE, exit 2, no report, in seconds', async () => {
    const f = file('empties.onnx', withEmptyInitializers(3_500_000));
    const r = await cli('analyze', f, '--input', '1,3,64,64', '--format', 'json');
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toBe(
      "convlens: ANALYSIS_TOO_LARGE: decoding and importing the ONNX file's 3500324 messages (3500102 of them tensors) would cost about 700025 units of work (one unit: a layer's plain analysis), over the limit of 600000 (MAX_ANALYSIS_WORK); a file with fewer initializers (fold or merge its constants) fits",
    );
    expect(r.ms).toBeLessThan(5000);
  }, 20_000);

  it('compare names the side: the new network is refused the same way', async () => {
    const f = file('empties-new.onnx', withEmptyInitializers(3_500_000));
    const r = await cli('compare', 'resnet18', f, '--input', '1,3,64,64');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^convlens: new network .*empties-new\.onnx: ANALYSIS_TOO_LARGE: decoding and importing the ONNX file's 3500324 messages/);
    expect(r.ms).toBeLessThan(5000);
  }, 20_000);

  it("sweep of 3 sizes of 10^6 empty initializers: one decode, four imports (800,100 units): ANALYSIS_TOO_LARGE at the file, exit 2; 1 size (400,050) goes on", async () => {
    const r = await cli('sweep', million, '--input', '1,3,64,64', '--sizes', '32,64,96', '--format', 'json');
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toMatch(/^convlens: ANALYSIS_TOO_LARGE: decoding and importing the ONNX file's 1000324 messages \(1000102 of them tensors\) 4 times .* about 800100 units of work/);
    expect(r.ms).toBeLessThan(5000);
  }, 20_000);

  it("erf of 4 samples of 10^6 empty initializers: each sample a decode (800,100 units), refused before the first; they were not counted", async () => {
    const r = await cli('erf', million, '--input-shape', '1,3,64,64', '--samples', '4', '--weight-init', 'seed', '--no-stages');
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toMatch(/^convlens: ANALYSIS_TOO_LARGE: decoding and importing the ONNX file's 1000324 messages \(1000102 of them tensors\) 4 times .* about 800100 units of work/);
    expect(r.ms).toBeLessThan(5000);
  }, 30_000);

  it('3·10^6 packed int64s (3 MB, 184 MB decoded) under a 128 MB heap: WORKER_OUT_OF_MEMORY, exit 2, one line (V8 aborted the process)', () => {
    const f = file('int64.onnx', withInt64Initializer(3_000_000));
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const r = spawnSync(process.execPath, ['--max-old-space-size=128', '--import', 'tsx', 'src/cli.ts', 'analyze', f, '--input', '1,3,64,64'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.signal, r.stdout]).toEqual([2, null, '']);
    expect(r.stderr).toMatch(/^convlens: WORKER_OUT_OF_MEMORY: decoding the ONNX file's 325 messages \(103 of them tensors\) and 3000372 packed integers would hold about 184 MB, more than the \d+ MB this process's heap has left \(of \d+ MB; node's --max-old-space-size\); .*\n$/);
  }, 70_000);
});
