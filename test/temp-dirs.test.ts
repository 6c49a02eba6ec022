/**
 * Tests leave no temporary directories behind: /tmp gathered a `convlens-emit-*`, `convlens-target-*`
 * and `convlens-read-*` directory for each run of test/cli/io.test.ts, target.test.ts and
 * read-file.test.ts (mkdtempSync, never removed). Every test file that makes one makes it once, at
 * the top (`const tmp = mkdtempSync(…)`), and removes it, recursively, in afterAll or afterEach;
 * a directory a test makes inside it (`mkdtempSync(path.join(tmp, …))`) goes with it.
 * Read from the sources, so a new test that forgets is caught without running it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const TEST_ROOT = import.meta.dirname;
const SELF = path.basename(import.meta.filename);

/** The .ts files under test/, relative to it (fixtures are data, not tests). */
function testSources(dir = TEST_ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testSources(full);
    return e.name.endsWith('.ts') ? [path.relative(TEST_ROOT, full)] : [];
  });
}

/** `file:line` of each mkdtemp call that nothing removes: not a top-level directory removed after the tests, nor inside one. */
function leakedTempDirs(file: string, source: string): string[] {
  const removed = (name: string) => new RegExp(`after(All|Each)\\(\\s*(async\\s*)?\\(\\)\\s*=>\\s*\\{?[^]*?rmSync\\(${name}, \\{ recursive: true`).test(source);
  const leaks: string[] = [];
  source.split('\n').forEach((line, i) => {
    for (const call of line.matchAll(/mkdtemp(Sync)?\(/g)) {
      const before = line.slice(0, call.index);
      const after = line.slice(call.index! + call[0].length);
      const inside = /^path\.join\((\w+),/.exec(after)?.[1];
      const top = /^const (\w+) = $/.exec(before)?.[1];
      const ok = (inside !== undefined && removed(inside)) || (top !== undefined && removed(top));
      if (!ok) leaks.push(`${file}:${i + 1}`);
    }
  });
  return leaks;
}

describe('temporary directories made by tests are removed after them', () => {
  it('the rule reads a leak as one: a dir made inside a test, or at the top and never removed; a removed one and one inside it are not', () => {
    const removedTop = "const tmp = mkdtempSync(path.join(tmpdir(), 'x-'));\nafterAll(() => rmSync(tmp, { recursive: true, force: true }));\nconst d = mkdtempSync(path.join(tmp, 'dir-'));";
    expect(leakedTempDirs('a.ts', removedTop)).toEqual([]);
    expect(leakedTempDirs('b.ts', "const dir = mkdtempSync(path.join(tmpdir(), 'x-'));")).toEqual(['b.ts:1']);
    expect(leakedTempDirs('c.ts', "it('x', () => {\n  const file = path.join(mkdtempSync(path.join(tmpdir(), 'x-')), 'r.md');\n});")).toEqual(['c.ts:2']);
  });

  it('every test file under test/: no mkdtemp whose directory outlives the file', () => {
    const leaks = testSources()
      .filter((f) => path.basename(f) !== SELF)
      .flatMap((f) => leakedTempDirs(f, readFileSync(path.join(TEST_ROOT, f), 'utf8')));
    expect(leaks).toEqual([]);
  });
});
