/**
 * The README works: every fenced `sh` block runs verbatim in bash (set -euo pipefail, from the
 * repository root) against a live service, so a command that fails, or a pipeline whose output
 * `jq` cannot parse, fails here. The one substitution: `localhost:3000` becomes this test's port.
 * A block preceded by `<!-- readme-test: skip: <reason> -->` is not run (it starts a long-lived
 * process, needs Docker, Python or the network); the reason is required and printed.
 * An answer a block quotes in a comment, a JSON value before a colon (`… | jq -c .data   # [37,47,67,77]:
 * flat data in, flat out`, or a comment line of its own after the command), must be a line of what
 * the block prints: the exit code alone let a quoted answer go stale.
 * Blocks run two at a time, each whole and in order within itself (their `npx convlens` commands are
 * most of this file's time, one CPU each: one block after another left the second CPU idle); each
 * case waits for its own block. No block reads a file another writes.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './http/app.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

interface Block {
  line: number;
  code: string;
  skip: string | null;
}

function shBlocks(text: string): Block[] {
  const lines = text.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```sh') continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) body.push(lines[i]);
    const marker = /<!--\s*readme-test:\s*skip:\s*(.+?)\s*-->/.exec(lines[start - 1] ?? '') ?? /<!--\s*readme-test:\s*skip:\s*(.+?)\s*-->/.exec(lines[start - 2] ?? '');
    out.push({ line: start + 1, code: body.join('\n'), skip: marker ? marker[1] : null });
  }
  return out;
}

const blocks = shBlocks(readme);

/**
 * The answers a block quotes: a comment (`# `, at a line's start or after a command) whose text
 * starts with a JSON array or object, up to the first `:` after which the rest is prose, that
 * parses as JSON. Returned as JSON.stringify gives it (jq -c prints the same).
 */
function quotedAnswers(code: string): string[] {
  const out: string[] = [];
  for (const line of code.split('\n')) {
    const m = /(?:^|\s)#\s+([[{].*)$/.exec(line);
    if (!m) continue;
    const text = m[1];
    // the value ends at a colon (a comment after it) or at the line's end
    const ends = [...text.matchAll(/:/g)].map((c) => c.index).concat(text.trimEnd().length);
    for (const end of ends) {
      try {
        out.push(JSON.stringify(JSON.parse(text.slice(0, end))));
        break;
      } catch {
        // not the colon that ends the value: a key's colon inside an object
      }
    }
  }
  return out;
}

function bash(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // a guard against a block that hangs, not a clock: the longest blocks took 90-100 s alone at load 11-16 (about 20 s on a quiet host)
    execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, timeout: 300_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** The runnable blocks, run `lanes` at a time in the order given, once `port` is known: each block's result, by block. */
function runBlocks(runnable: readonly Block[], port: number, lanes: number): Map<Block, Promise<{ code: number; stdout: string; stderr: string }>> {
  const results = new Map<Block, Promise<{ code: number; stdout: string; stderr: string }>>();
  const settle = new Map<Block, (r: { code: number; stdout: string; stderr: string }) => void>();
  for (const b of runnable) results.set(b, new Promise((resolve) => settle.set(b, resolve)));
  let next = 0;
  const lane = async () => {
    while (next < runnable.length) {
      const b = runnable[next++];
      settle.get(b)!(await bash(b.code.replaceAll('localhost:3000', `localhost:${port}`)));
    }
  };
  for (let i = 0; i < lanes; i++) void lane();
  return results;
}

describe('every command the README shows runs verbatim', () => {
  let app: FastifyInstance;
  let port = 0;
  // the blocks with most commands that start a process first (npx convlens, npm run: most of the
  // time), so that the two lanes end together; the cases run in the same order, each awaiting its own
  const spawns = (b: Block) => (b.code.match(/\b(?:npx convlens|npm run)\b/g) ?? []).length;
  const runnable = blocks.filter((b) => !b.skip).sort((a, b) => spawns(b) - spawns(a) || a.line - b.line);
  let results: ReturnType<typeof runBlocks>;
  beforeAll(async () => {
    app = await testApp();
    await app.listen({ host: 'localhost', port: 0 });
    port = (app.server.address() as AddressInfo).port;
    results = runBlocks(runnable, port, 2);
  });
  // every block has ended (each case awaits its own) before the service closes
  afterAll(async () => {
    await Promise.all(results?.values() ?? []);
    await app.close();
  });

  it('a quoted answer is read from a comment: [37,47,67,77] from `… | jq -c .x   # [37,47,67,77]: prose`, {"a":1} from `# {"a": 1}: prose`, and a value that ends its line', () => {
    expect(quotedAnswers("curl … | jq -c '.outputs[0].data'   # [37,47,67,77]: flat data in, flat out")).toEqual(['[37,47,67,77]']);
    expect(quotedAnswers('# {"a": 1, "b": [2]}: an object')).toEqual(['{"a":1,"b":[2]}']);
    expect(quotedAnswers("jq -c '.shape'   # [1,64,56,56]")).toEqual(['[1,64,56,56]']);
    expect(quotedAnswers('npx convlens analyze resnet50   # a table: layers, totals, warnings')).toEqual([]);
    expect(blocks.filter((b) => !b.skip).flatMap((b) => quotedAnswers(b.code)).length).toBeGreaterThanOrEqual(2);
  });

  it('the README has runnable blocks, and every skipped one says why', () => {
    expect(blocks.filter((b) => !b.skip).length).toBeGreaterThan(5);
    for (const b of blocks.filter((x) => x.skip)) expect(b.skip!.length, `README line ${b.line}`).toBeGreaterThan(10);
  });

  it.each(runnable.map((b) => [b.line, b] as const))('README.md:%i', async (_, b) => {
    const r = await results.get(b)!;
    expect(r.code, `README line ${b.line}:\n${b.code}\n--- stdout\n${r.stdout.slice(-2000)}\n--- stderr\n${r.stderr.slice(-2000)}`).toBe(0);
    const printed = r.stdout.split('\n');
    for (const answer of quotedAnswers(b.code)) expect(printed, `README line ${b.line} quotes ${answer}; the block printed:\n${r.stdout.slice(-2000)}`).toContain(answer);
  }, 360_000);
});
