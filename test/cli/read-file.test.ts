/**
 * The command line's bounded read (cli/read-file.ts): a file whole, a device that never ends
 * refused past the bound, a pipe read to its end, a directory's error naming it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonText, readBounded, readChunks } from '../../src/cli/read-file.js';
import { errorOf } from '../helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'convlens-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

  it('/dev/zero, /dev/null (character devices): INVALID_OPTION at once (/dev/zero was read to the 2 GiB bound first)', () => {
    for (const dev of ['/dev/zero', '/dev/null']) {
      expect(errorOf(() => readBounded(dev, 2 ** 31 - 1, dev))).toMatchObject({ code: 'INVALID_OPTION', message: `${dev} is a character device (such as /dev/zero or a terminal), not a file to read`, details: { path: dev } });
    }
  });

  it('a pipe that brings 10,000 bytes under a bound of 4,096: PAYLOAD_TOO_LARGE after 4,097, not a read to its end', () => {
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `head -c 10000 /dev/zero > ${fifo}`]);
    try {
      const e = errorOf(() => readBounded(fifo, 4096, '--input'));
      expect(e).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: `${fifo} holds more than 4,096 bytes, more than this reads (a pipe that never ends never will)`, details: { path: '--input' } });
    } finally {
      writer.kill();
    }
  });

  it('a pipe that brings 3 MiB of a counting pattern: every byte, in order (chunks of 1 MiB filled across reads)', () => {
    const fifo = path.join(dir, 'pattern');
    execFileSync('mkfifo', [fifo]);
    const source = path.join(dir, 'pattern.bin');
    const bytes = Buffer.alloc(3 * 2 ** 20 + 12_345, 0);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 16)) & 0xff;
    writeFileSync(source, bytes);
    const writer = spawn('sh', ['-c', `cat ${source} > ${fifo}`]);
    try {
      expect(readBounded(fifo, 2 ** 31 - 1, '-').equals(bytes)).toBe(true);
    } finally {
      writer.kill();
    }
  });

  it('readChunks over a pipe giving 64 KiB a read (Linux\'s pipe buffer), 5 MiB in all: pieces of ≤ 6 MiB in all, filled before another is taken (a 1 MiB piece per read held 80 MiB; a 553 MB ONNX piped in held 9.4 GB)', () => {
    const source = Buffer.alloc(5 * 2 ** 20);
    for (let i = 0; i < source.length; i++) source[i] = i % 251;
    let at = 0;
    const read = (buffer: Buffer, offset: number, length: number) => {
      const n = Math.min(length, 65_536, source.length - at);
      source.copy(buffer, offset, at, at + n);
      at += n;
      return n;
    };
    const chunks = readChunks(read, 2 ** 31 - 1, () => new Error('too large'));
    expect(Buffer.concat(chunks).equals(source)).toBe(true);
    expect(chunks.reduce((sum, c) => sum + c.buffer.byteLength, 0)).toBeLessThanOrEqual(6 * 2 ** 20);
  });

  it('readChunks with a bound of 100,000 over 64 KiB reads: throws its error once 100,001 bytes came, not at the end', () => {
    let reads = 0;
    const read = (_b: Buffer, _o: number, length: number) => {
      reads++;
      return Math.min(length, 65_536);
    };
    expect(() => readChunks(read, 100_000, () => new Error('too large'))).toThrow('too large');
    expect(reads).toBe(2);
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
    expect(JSON.parse(jsonText(bom, 'a.json'))).toEqual({ a: 1 });
  });

  // the service refuses a JSON body that is not UTF-8 (http/body.ts); the command line decoded each
  // bad byte as U+FFFD: a Latin-1 layer name 'caf\xe9' became 'caf\ufffd' without a word, and a
  // UTF-16 file (PowerShell's `>`) failed as "Unexpected token '\ufffd', \"\ufffd\ufffd{\u0000…"
  it.each([
    ['Latin-1 é (E9) in a name', Buffer.from('{"name":"caf\xe9"}', 'latin1'), "spec.json: its bytes are not UTF-8 (RFC 8259): byte E9 at offset 12; save it as UTF-8"],
    ['UTF-16 LE with its byte-order mark FF FE', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{}', 'utf16le')]), 'spec.json: its bytes are UTF-16 (byte-order mark FF FE), not UTF-8 (RFC 8259); save it as UTF-8'],
    ['UTF-16 BE with its byte-order mark FE FF', Buffer.from([0xfe, 0xff, 0, 0x7b, 0, 0x7d]), 'spec.json: its bytes are UTF-16 (byte-order mark FE FF), not UTF-8 (RFC 8259); save it as UTF-8'],
  ])('jsonText of bytes that are not UTF-8 (%s) is INVALID_JSON at the file, not text with U+FFFD', (_, bytes, message) => {
    const e = errorOf(() => jsonText(bytes, 'spec.json'));
    expect(e).toMatchObject({ code: 'INVALID_JSON', message, details: { path: 'spec.json' } });
  });
});
