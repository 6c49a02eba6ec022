/**
 * Statements in the docs that other files decide: the Node versions (package.json's engines), what
 * the Docker image holds (the Dockerfile, for docker-compose.yml's comments), the benchmark log's
 * date range (its dated sections), and what the README quotes a command as printing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';

// the README's --out command writes here (removed after the file's tests, as test/temp-dirs.test.ts asks)
const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-docs-facts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const read = (p: string) => readFileSync(new URL(`../${p}`, import.meta.url), 'utf8');

describe('docs agree with the files that decide them', () => {
  it("the README's Node versions are package.json's engines: ^20.19.0 || ^22.13.0 || >=24.0.0", () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe('^20.19.0 || ^22.13.0 || >=24.0.0');
    expect(read('README.md')).toContain('Node 20 (20.19 or later), 22 (22.13 or later) or 24 and later');
  });

  it('docker-compose.yml says bin/convlens.mjs is in the image only if the Dockerfile copies bin/', () => {
    const copiesBin = /^COPY\s+(--\S+\s+)*bin\b/m.test(read('Dockerfile'));
    expect(copiesBin).toBe(false);
    expect(read('docker-compose.yml')).not.toMatch(/image's bin\/convlens\.mjs runs/);
  });

  it("the benchmark log's header range ends at its last dated section (it said 2026-12-01 with entries of 2026-12-02 below)", () => {
    const log = read('docs/benchmarks-log.md');
    const dates = [...log.matchAll(/^## (\d{4}-\d{2}-\d{2})/gm)].map((m) => m[1]).sort();
    const header = /as they were taken, (\d{4}-\d{2}-\d{2}) to\s+(\d{4}-\d{2}-\d{2}):/.exec(log);
    // the log starts before its first dated section (the table of 2026-11-29's runs); it ends at its last
    expect(header?.[2]).toBe(dates.at(-1));
  });

  it("the README's --out notice is what its command prints: `analyze resnet50 --format md --depth 2 --out /tmp/resnet50.md` (it said 6,644 bytes; the report is 6,673)", async () => {
    const readme = read('README.md');
    const quoted = /`convlens: wrote the md report to (\S+) \(([\d,]+) bytes\)`/.exec(readme);
    expect(quoted).not.toBeNull();
    const [, file, bytes] = quoted!;
    // the command the README shows writing that file, run as the CLI runs it, into a temporary folder
    const shown = readme.split('\n').find((l) => l.startsWith('npx convlens analyze') && l.includes(`--out ${file}`));
    expect(shown).toBeDefined();
    const out = path.join(tmp, path.basename(file));
    const argv = shown!.replace(/#.*$/, '').trim().split(/\s+/).slice(2).map((a) => (a === file ? out : a));
    const err: string[] = [];
    expect(await main(argv, { out: () => {}, err: (t) => err.push(t) })).toBe(0);
    expect(err).toEqual([`convlens: wrote the md report to ${out} (${bytes} bytes)`]);
  });
});
