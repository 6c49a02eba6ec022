/**
 * The command line's bounded read (cli/read-file.ts): a file whole, a device that never ends
 * refused past the bound, a pipe read to its end, a directory's error naming it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonText, readBounded } from '../../src/cli/read-file.js';
import { errorOf } from '../helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'convlens-read-'));

describe('readBounded', () => {
  it('a 10-byte file under a bound of 10: its bytes', () => {
    const f = path.join(dir, 'ten.bin');
    writeFileSync(f, Buffer.from('0123456789'));
    expect(readBounded(f, 10, '--input').toString()).toBe('0123456789');
  });

  it('the same file under a bound of 9: PAYLOAD_TOO_LARGE at the option, from its size', () => {
    const f = path.join(dir, 'ten.bin');
    expect(errorOf(() => readBounded(f, 9, '--input'))).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { path: '--input' } });
  });

  it('/dev/zero (a device that never ends) under a bound of 4,096: PAYLOAD_TOO_LARGE after 4,097 bytes, not a read without end', () => {
    const e = errorOf(() => readBounded('/dev/zero', 4096, '/dev/zero'));
    expect(e).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: '/dev/zero holds more than 4,096 bytes, more than this reads (a device that never ends, such as /dev/zero, never will)', details: { path: '/dev/zero' } });
  });

  it('/dev/null (a device that ends at once): no bytes', () => {
    expect(readBounded('/dev/null', 4096, '--input').length).toBe(0);
  });

  it('a directory: EISDIR with the directory as its path (Node\'s readFileSync gave none)', () => {
    let thrown: NodeJS.ErrnoException | null = null;
    try {
      readBounded(dir, 4096, '--device');
    } catch (e) {
      thrown = e as NodeJS.ErrnoException;
    }
    expect(thrown).toMatchObject({ code: 'EISDIR', path: dir, message: `EISDIR: illegal operation on a directory, read '${dir}'` });
  });

  it('jsonText drops a UTF-8 byte-order mark (EF BB BF), which JSON.parse refused as an invisible token', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]);
    expect(() => JSON.parse(bom.toString('utf8'))).toThrow();
    expect(JSON.parse(jsonText(bom))).toEqual({ a: 1 });
  });
});
