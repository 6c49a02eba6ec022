/**
 * The server process (src/server.ts) as it starts and stops with nothing in flight: configuration
 * errors, its log format, the node-flags warning, npm start's command. Nothing here is timed or
 * raced: each case boots a server, signals it and reads its output, so these run beside other files
 * (test/server.test.ts keeps the cases that race requests, bodies and signals against the grace).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../src/node-flags.js';
import { root, start } from './server-process.js';

describe('the server process', () => {
  // 90 s on the cases that only boot a server and read its output: a guard against a hang, not a
  // clock (the LOG_FORMAT case took 26 of its old 30 s at load 12, and failed it at load 17)
  // a server started with the default environment and no node flags, its output read by two cases
  // (its JSON lines; the missing-flags warning): started once, by whichever case comes first
  let plainStarted: Promise<{ stdout: string; code: number | null }> | undefined;
  const plainRun = () =>
    (plainStarted ??= (async () => {
      const s = start({});
      await s.listening;
      s.child.kill('SIGTERM');
      const code = await s.exited;
      return { stdout: s.output().stdout, code };
    })());

  it('a bad environment value stops it with exit 1 and a message naming the variable', async () => {
    const s = start({ PORT: 'eighty' });
    expect(await s.exited).toBe(1);
    expect(s.output().stderr).toMatch(/invalid configuration:\n\s+PORT: .*"eighty"/);
  });

  it('LOG_FORMAT=pretty: human-readable lines (level word, message), not JSON; the default is one JSON object per line', async () => {
    const pretty = start({ LOG_FORMAT: 'pretty' });
    await pretty.listening;
    pretty.child.kill('SIGTERM');
    expect(await pretty.exited).toBe(0);
    const lines = pretty.output().stdout.split('\n').filter((l) => l.includes('convlens ready'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/INFO.*convlens ready/);
    expect(() => JSON.parse(lines[0])).toThrow();

    const plain = await plainRun();
    expect(plain.code).toBe(0);
    const ready = plain.stdout.split('\n').find((l) => l.includes('convlens ready'))!;
    expect(JSON.parse(ready)).toMatchObject({ level: 30, msg: 'convlens ready' });
  }, 90_000);

  it('started without SERVER_NODE_FLAGS it warns once, naming them; with them (as npm start runs it) it does not', async () => {
    const warned = (stdout: string) => stdout.split('\n').filter((l) => l.includes('missingNodeFlags')).map((l) => JSON.parse(l));
    const bare = await plainRun();
    expect(bare.code).toBe(0);
    expect(warned(bare.stdout)).toEqual([expect.objectContaining({ level: 40, missingNodeFlags: ['--initial-old-space-size=128'] })]);

    const flagged = start({}, SERVER_NODE_FLAGS);
    await flagged.listening;
    flagged.child.kill('SIGTERM');
    expect(await flagged.exited).toBe(0);
    expect(flagged.output().stdout).toContain('convlens ready');
    expect(warned(flagged.output().stdout)).toEqual([]);
  }, 90_000);

  it("npm start's command, as npm runs it (sh -c): SIGTERM to it reaches the server, which closes and exits 0 (sh ran node as its child and died alone: the server kept the port)", async () => {
    // npm forwards its signals to the script's process, which is sh; `exec` makes it the server
    const script = (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')).scripts as Record<string, string>).start;
    expect(script).toMatch(/^exec node .*dist\/src\/server\.js$/);
    const s = start({}, [], script.replace('dist/src/server.js', '--import tsx src/server.ts'));
    await s.listening;
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.output().stdout).toContain('"signal":"SIGTERM"');
  }, 90_000);
});
