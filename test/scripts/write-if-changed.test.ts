/** scripts/write-if-changed.ts: npm run schema and npm run wasm leave a current file untouched and replace a stale one whole. */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeIfChanged } from '../../scripts/write-if-changed.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-write-if-changed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('writeIfChanged', () => {
  it('the same text: false, and the file is not touched (its mtime set to 2001 stays)', () => {
    const file = path.join(tmp, 'same.json');
    writeFileSync(file, '{"a": 1}\n');
    utimesSync(file, new Date('2001-01-01T00:00:00Z'), new Date('2001-01-01T00:00:00Z'));
    expect(writeIfChanged(file, '{"a": 1}\n')).toBe(false);
    expect(statSync(file).mtime.toISOString()).toBe('2001-01-01T00:00:00.000Z');
  });

  it('other bytes ([0, 97, 115, 109] over [0, 97, 115]): true, the new bytes in place, no temporary file left beside it', () => {
    const dir = mkdtempSync(path.join(tmp, 'bytes-'));
    const file = path.join(dir, 'm.wasm');
    writeFileSync(file, Uint8Array.from([0, 97, 115]));
    expect(writeIfChanged(file, Uint8Array.from([0, 97, 115, 109]))).toBe(true);
    expect([...readFileSync(file)]).toEqual([0, 97, 115, 109]);
    expect(readdirSync(dir)).toEqual(['m.wasm']);
  });

  it('a file not there yet is written (true)', () => {
    const file = path.join(tmp, 'new.json');
    expect(writeIfChanged(file, 'x')).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('a directory that does not exist: throws ENOENT and leaves nothing behind', () => {
    expect(() => writeIfChanged(path.join(tmp, 'missing', 'f.json'), 'x')).toThrow(/ENOENT/);
    expect(readdirSync(tmp).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
