/**
 * The command line in a pipe whose reader stops early (`convlens … 2>&1 | head -1`): the exit code
 * is the command's own, whichever of stdout and stderr the reader closed. stdout's EPIPE was
 * already ignored; stderr's was an unhandled 'error' event, so the process exited 1, which a
 * pipeline reads as a failed gate.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
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

/**
 * The CLI with stdout into a named pipe (a pipe as the shell's `|` makes: spawn's 'pipe' is a
 * socket pair) that this end reads until the first line and then closes, as `| head -1` does; how
 * the process ended, how long after the close, and its stderr.
 */
async function readFirstLineThenClose(args: string[]) {
  const fifo = path.join(work, `out-${Math.random().toString(36).slice(2)}.fifo`);
  execFileSync('mkfifo', [fifo]);
  const reading = open(fifo, 'r'); // in the thread pool: opens once the writer below does
  const writeEnd = openSync(fifo, 'w');
  const child = spawn('nice', ['-n', '19', process.execPath, '--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, stdio: ['ignore', writeEnd, 'pipe'] });
  closeSync(writeEnd);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const handle = await reading;
  let first = '';
  for await (const chunk of handle.createReadStream({ encoding: 'utf8', autoClose: false })) {
    first += chunk;
    if (first.includes('\n')) break;
  }
  await handle.close(); // the only reader: the pipe has none from here
  const closedAt = Date.now();
  const end = await ended;
  return { ...end, afterClose: Date.now() - closedAt, firstLine: first.split('\n')[0], stderr };
}

describe('stdout closed by its reader while the work goes on', () => {
  it('`sweep resnet50 --sizes <12 sizes> | head -1`: the head line comes before any size, the sweep stops at the next row (killed by SIGPIPE, the shell\'s 141) instead of computing the 11 others', async () => {
    const sizes = Array.from({ length: 12 }, (_, k) => 128 + 32 * k).join(',');
    const r = await readFirstLineThenClose(['sweep', 'resnet50', '--sizes', sizes, '--progress']);
    expect(r.firstLine).toMatch(/^input 'input', built for 224×224/);
    expect(r).toMatchObject({ code: null, signal: 'SIGPIPE' });
    // progress lines on stderr: the last one is the size whose row found no reader (1/12, or 2/12 when the close came late), never 12/12
    const ticks = [...r.stderr.matchAll(/\] (\d+)\/12/g)].map((m) => Number(m[1]));
    expect(Math.max(...ticks)).toBeLessThanOrEqual(2);
    // a size of ResNet-50 up to 224² is about a second; the twelve, up to 480², took 40 s under nice on the shared machine
    expect(r.afterClose).toBeLessThan(15_000);
  }, 120_000);
});
