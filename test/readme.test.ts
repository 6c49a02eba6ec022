/**
 * The README works: every fenced `sh` block runs verbatim in bash (set -euo pipefail, from the
 * repository root) against a live service, so a command that fails, or a pipeline whose output
 * `jq` cannot parse, fails here. The one substitution: `localhost:3000` becomes this test's port.
 * A block preceded by `<!-- readme-test: skip: <reason> -->` is not run (it starts a long-lived
 * process, needs Docker, Python or the network); the reason is required and printed.
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

function bash(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, timeout: 120_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('every command the README shows runs verbatim', () => {
  let app: FastifyInstance;
  let port = 0;
  beforeAll(async () => {
    app = await testApp();
    await app.listen({ host: 'localhost', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => app.close());

  it('the README has runnable blocks, and every skipped one says why', () => {
    expect(blocks.filter((b) => !b.skip).length).toBeGreaterThan(5);
    for (const b of blocks.filter((x) => x.skip)) expect(b.skip!.length, `README line ${b.line}`).toBeGreaterThan(10);
  });

  it.each(blocks.filter((b) => !b.skip).map((b) => [b.line, b] as const))('README.md:%i', async (_, b) => {
    const script = b.code.replaceAll('localhost:3000', `localhost:${port}`);
    const r = await bash(script);
    expect(r.code, `README line ${b.line}:\n${b.code}\n--- stdout\n${r.stdout.slice(-2000)}\n--- stderr\n${r.stderr.slice(-2000)}`).toBe(0);
  }, 180_000);
});
