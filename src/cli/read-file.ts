/**
 * Reading a file the command line names (the target, --input's .npy, --device's profile): at most
 * a bound of bytes, so that a pipe that never ends is refused instead of filling memory, a
 * character device (`/dev/zero`, `/dev/urandom`, a terminal) at once, and a directory's error names it (Node's readFileSync throws EISDIR
 * without a path, so the answer could not say which file or option was meant).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ConvlensError } from '../errors.js';

/** The most a target may hold: protobuf's own limit for an ONNX file (2 GiB), more than any spec. */
export const MAX_TARGET_BYTES = 2 ** 31 - 1;
/** A device profile is a few hundred bytes of JSON. */
export const MAX_PROFILE_BYTES = 1 << 20;

const CHUNK = 1 << 20;

/** The file name that means stdin (the command line's targets, erf's --input). */
export const STDIN = '-';

/**
 * The bytes of `file` (`-`: stdin), at most `limit`. Past it, PAYLOAD_TOO_LARGE at `path` (the option, or the
 * target itself); a directory is EISDIR with the file as its path (cli/errors.ts answers it as
 * that file's error, naming the option that gave it).
 */
export function readBounded(file: string, limit: number, path: string): Buffer {
  // `-` is stdin (as `--out -` is stdout): a pipe, a redirected file, never closed here
  const stdin = file === STDIN;
  const fd = stdin ? 0 : openSync(file, 'r');
  try {
    const stat = fstatSync(fd);
    if (stdin && stat.isCharacterDevice()) throw new ConvlensError('INVALID_OPTION', `- reads stdin, which is a terminal (or /dev/null): pipe the file in, e.g. \`cat model.onnx | convlens analyze -\``, { path });
    if (stat.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${file}'`), { code: 'EISDIR', errno: -21, syscall: 'read', path: file });
    // a character device (/dev/zero, /dev/urandom, a terminal) is no file of a network: /dev/zero was
    // read to the 2 GiB bound before its refusal; a pipe (`<(curl …)`) is read as it comes
    if (stat.isCharacterDevice()) throw new ConvlensError('INVALID_OPTION', `${file} is a character device (such as /dev/zero or a terminal), not a file to read`, { path });
    const tooLarge = () => new ConvlensError('PAYLOAD_TOO_LARGE', `${file} holds more than ${limit.toLocaleString('en-US')} bytes, more than this reads (a pipe that never ends never will)`, { path });
    // a regular file says its size; a pipe or device only ends (or not) as it is read
    if (stat.isFile() && stat.size > limit) throw tooLarge();
    if (stat.isFile()) {
      // read into one buffer of its size (a chunked read would hold a large model twice)
      const whole = Buffer.allocUnsafe(stat.size);
      let at = 0;
      for (let n = -1; at < whole.length && n !== 0; at += n) n = readSome(fd, whole, at, whole.length - at);
      return whole.subarray(0, at);
    }
    const chunks = readChunks((buffer, at, length) => readSome(fd, buffer, at, length), limit, tooLarge);
    return Buffer.concat(chunks);
  } finally {
    if (!stdin) closeSync(fd);
  }
}

/**
 * A stream's bytes as the pieces it was read into, by `read(buffer, at, length)` (0 at its end): each
 * piece of CHUNK bytes is filled before the next is allocated, so the pieces hold the bytes and at
 * most one piece's slack. A pipe gives at most its buffer a read (64 KiB on Linux): a new CHUNK for
 * each read held 1 MiB for every 64 KiB: a 553 MB model piped in (`cat vgg16.onnx | convlens analyze -`)
 * held 9.4 GB of buffers (1.1 GB now), and under `ulimit -v 3000000` V8 ran out of memory reading
 * it. Past `limit` bytes, `tooLarge()` is thrown.
 */
export function readChunks(read: (buffer: Buffer, at: number, length: number) => number, limit: number, tooLarge: () => Error): Buffer[] {
  const chunks: Buffer[] = [];
  let total = 0;
  let chunk = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1));
  let filled = 0;
  for (;;) {
    if (filled === chunk.length) {
      chunks.push(chunk);
      chunk = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
      filled = 0;
    }
    const n = read(chunk, filled, chunk.length - filled);
    if (n === 0) break;
    total += n;
    if (total > limit) throw tooLarge();
    filled += n;
  }
  if (filled > 0) chunks.push(chunk.subarray(0, filled));
  return chunks;
}

/** readSync, waiting out EAGAIN: stdin may be a pipe its writer left non-blocking. */
function readSome(fd: number, buffer: Buffer, at: number, length: number): number {
  for (;;) {
    try {
      return readSync(fd, buffer, at, length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

/**
 * A JSON file's text: UTF-8, its byte-order mark dropped (Windows editors write one; JSON.parse
 * refuses it as an invisible token). Bytes that are not UTF-8 are INVALID_JSON naming `label` (at `path`), as the
 * service refuses such a body (http/body.ts), not text with U+FFFD in the place of each bad byte.
 */
export function jsonText(bytes: Uint8Array, label: string, path = label): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const utf16 = bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
    const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
    if (utf16) throw new ConvlensError('INVALID_JSON', `${label}: its bytes are UTF-16 (byte-order mark ${hex(bytes[0])} ${hex(bytes[1])}), not UTF-8 (RFC 8259); save it as UTF-8`, { path });
    const at = firstNonUtf8(bytes);
    throw new ConvlensError('INVALID_JSON', `${label}: its bytes are not UTF-8 (RFC 8259): byte ${hex(bytes[at])} at offset ${at}; save it as UTF-8`, { path });
  }
}

/** The offset of the sequence that first fails to decode as UTF-8: its lead byte (or a stray continuation byte). */
function firstNonUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    try {
      // the sequence alone: also refuses overlong forms and surrogates
      decoder.decode(bytes.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return 0;
}
