/**
 * The command line in a pipe whose reader stops early (`convlens … 2>&1 | head -1`): the exit code
 * is the command's own, whichever of stdout and stderr the reader closed. stdout's EPIPE was
 * already ignored; stderr's was an unhandled 'error' event, so the process exited 1, which a
 * pipeline reads as a failed gate.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'convlens-pipes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The CLI with stdout to /dev/null and stderr into a pipe this end closes at once; its exit code. */
function exitWithStderrClosed(args: string[]): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.destroy();
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('stderr closed by its reader', () => {
  it('`analyze resnet18 --format md --out FILE` (its one stderr line: where the report went): exit 0, the report written (it exited 1)', async () => {
    const out = path.join(work, 'r.md');
    expect(await exitWithStderrClosed(['analyze', 'resnet18', '--format', 'md', '--out', out])).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('resnet18');
  }, 60_000);

  it('`analyze resnet18 --max-params 1` (a budget exceeded, said on stderr): exit 1 still, the verdict', async () => {
    expect(await exitWithStderrClosed(['analyze', 'resnet18', '--max-params', '1'])).toBe(1);
  }, 60_000);
});
