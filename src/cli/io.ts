/**
 * What the CLI writes to, and the small pieces every command shares: where a report goes (stdout,
 * or a file with one line on stderr saying where), a progress line on stderr, and the option
 * parsers for shapes, numbers and devices.
 *
 * Progress: shown when stderr is a terminal (redrawn in place on one line with `\r`, cleared at the
 * end; on a dumb terminal, TERM=dumb, one line per step) or when --progress asks for it (then one
 * line per step, for logs); --no-progress hides it. Only a terminal that can redraw gets `\r` and
 * escape codes.
 */
import { existsSync, fstatSync, lstatSync, readlinkSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { MAX_PROFILE_BYTES, jsonText, readBounded } from './read-file.js';
import { InvalidArgumentError } from 'commander';
import type { Command, Option } from 'commander';
import { resolveDevice } from '../analysis/devices.js';
import type { BuiltInDevice, DeviceProfile } from '../analysis/devices.js';
import { ConvlensError } from '../errors.js';
import { MAX_RESOLUTION } from '../graph/load.js';
import { jsonErrorText } from './one-line.js';
import { duplicateKeyMessage, jsonTextFault } from '../json-text.js';

export interface Io {
  /** The report, and listings: stdout. */
  out(text: string): void;
  /** Bytes on stdout as they are (no line break added): a file option given `-` (erf --png -). */
  outBytes?(data: Uint8Array): void;
  /** stdout is a terminal: binary output there is refused. */
  outIsTTY?: boolean;
  /** Diagnostics: stderr, a line each. */
  err(text: string): void;
  /** stderr is a terminal: progress shows without --progress and redraws one line. */
  errIsTTY?: boolean;
  /** The terminal cannot redraw (TERM=dumb): progress there is lines, without `\r` or escape codes. */
  errDumb?: boolean;
  /** stderr without an added line break (progress redraws); absent: progress writes lines with err. */
  errWrite?(text: string): void;
  /**
   * Called after a write of a report written as it goes (sweep): when stdout's reader has gone (that
   * write failed with EPIPE) the process stops as a Unix tool's does, killed by SIGPIPE (cli.ts
   * streamIo); absent in-process (main() called by tests), where it goes on.
   */
  stopIfOutClosed?(): void;
}

/** A decimal number, with an exponent or not: Number('') and Number(' ') are 0, Number('0x10') 16. */
const DECIMAL = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export const number = (v: string) => {
  const n = Number(v);
  // `--max-macs "$UNSET"` is a usage error, not a budget of 0 that every network exceeds
  if (!DECIMAL.test(v.trim()) || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`a non-negative decimal number (1e9 works), got '${v}'`);
  return n;
};
export const shape = (v: string) => {
  const spelt = v.split(/[,xX×]/).map((d) => d.trim());
  const dims = spelt.map(Number);
  // decimal digits: Number() also reads 1e2, +64, 0x40 and 64.0 as sizes (?input's rule, report-answers.ts);
  // a safe integer: 9007199254740993 reads as …992, and the error would name a size never given
  if (spelt.some((d) => !/^[0-9]+$/.test(d)) || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw new InvalidArgumentError(`positive integers in decimal digits up to 2^53 − 1, e.g. 1,3,224,224`);
  }
  return dims;
};
/**
 * `--input 1,3,224,224` (the first input) or `--input image2=1,3,224,224` (an input by name),
 * repeated for each dynamic input (RAFT's two images): the shapes by name, '' for the first. A name
 * given twice is refused (commander would keep the last).
 */
export const inputShapesOption = (v: string, previous?: Record<string, number[]>): Record<string, number[]> => {
  const at = v.lastIndexOf('=');
  const name = at < 0 ? '' : v.slice(0, at);
  if (at === 0) throw new InvalidArgumentError(`NAME=SHAPE needs the input's name before '=', got ${JSON.stringify(v)}`);
  const out: Record<string, number[]> = Object.assign(Object.create(null), previous);
  const dims = shape(at < 0 ? v : v.slice(at + 1));
  // the same shape twice, however spelt (1,3,32,32 and 1x3x32x32), contradicts nothing (refuseRepeats' rule)
  if (name in out && out[name].join() !== dims.join()) throw new InvalidArgumentError(`${name === '' ? 'the first input\'s shape' : `input '${name}'`} is given twice: give each input once`);
  out[name] = dims;
  return out;
};

/** Parsers of options that add up over repeats, each refusing what contradicts (erf's --input NAME=FILE.npy): refuseRepeats leaves them be. */
const collectors = new WeakSet<object>();

/** `parse`, a collector (commander passes it the value so far): its option may be repeated (refuseRepeats). */
export function collector<T>(parse: (v: string, previous: T) => T): (v: string, previous: T) => T {
  collectors.add(parse);
  return parse;
}

/**
 * A gate's limit given once: commander keeps the last of a repeated option, so a pipeline that
 * appends `--max-macs-increase 500%` to its template's 5% would loosen the gate without a word.
 */
export const once =
  <T>(parse: (v: string) => T) =>
  (v: string, previous: T | undefined): T => {
    if (previous !== undefined) throw new InvalidArgumentError(`given twice (${String(previous)}, then ${v}): a gate has one limit`);
    return parse(v);
  };

/** An option value as the command reads it (its parser's result), to tell one value spelt twice (`32`, `032`) from two. */
function readAs(option: Option, value: string): string {
  // a file by where it is: a.md, ./a.md and $PWD/a.md are one file (- is stdout)
  if (option.parseArg === fileOption && value !== '-') return path.resolve(value);
  if (!option.parseArg) return value;
  try {
    return JSON.stringify(option.parseArg(value, undefined as never)) ?? value;
  } catch {
    return value; // commander reports the parse error itself
  }
}

/**
 * Every option of `cmd` that takes one value refuses a second, different one (`--out a.md --out
 * b.md`: a.md was never written; `--input 1,3,64,64 --input 1,3,32,32`, `--resolution 32
 * --resolution 64`: the first was dropped): commander keeps the last without a word. A usage
 * error, as a gate given twice is (`once`, whose own message comes first); the same value twice,
 * however spelt (`--input 1,3,32,32 --input 1x3x32x32`), contradicts nothing and is read once.
 * Variadic options (--fail-on) add up. A flag given with its negation (`--progress --no-progress`)
 * is refused too: the last won.
 */
export function refuseRepeats(cmd: Command): Command {
  const flags = new Map<string, { flag: string; on: boolean }>();
  for (const option of cmd.options) {
    if (!(option.required || option.optional)) {
      cmd.on(`option:${option.name()}`, () => {
        const on = !option.negate;
        const before = flags.get(option.attributeName());
        if (before && before.on !== on) {
          cmd.error(`error: options '${before.flag}' and '${option.long}' contradict each other: one would win without a word; give one`, { code: 'commander.optionRepeated', exitCode: 2 });
        }
        flags.set(option.attributeName(), { flag: option.long ?? option.flags, on });
      });
      continue;
    }
    // variadic options (--fail-on), --input's shapes by name (inputShapesOption, which refuses a name given twice) and collectors add up
    if (option.variadic || option.parseArg === inputShapesOption || (option.parseArg && collectors.has(option.parseArg))) continue;
    const given: { raw: string; read: string }[] = [];
    cmd.on(`option:${option.name()}`, (value: string) => {
      const read = readAs(option, value);
      if (given.length > 0 && !given.some((g) => g.read === read)) {
        cmd.error(`error: option '${option.flags}' is given twice (${given[0].raw}, then ${value}): one value would be dropped without a word; give it once`, {
          code: 'commander.optionRepeated',
          exitCode: 2,
        });
      }
      given.push({ raw: value, read });
    });
  }
  return cmd;
}

/** A regular file's identity (device and inode: another path to it is the same file), or undefined. */
const regularFileId = (s: Stats): string | undefined => (s.isFile() ? `${s.dev}:${s.ino}` : undefined);

/** The identity of the regular file at `file` (regularFileId), or undefined. */
function fileIdentity(file: string): string | undefined {
  try {
    return regularFileId(statSync(file));
  } catch {
    return undefined;
  }
}

/** What stdin reads (`-`) when it is a regular file (`< spec.json`): its identity, or undefined (a pipe, a terminal). */
function stdinIdentity(): string | undefined {
  try {
    return regularFileId(fstatSync(0));
  } catch {
    return undefined;
  }
}

/**
 * The file a write to `file` lands in: an existing regular file's identity; for a file not there
 * yet, its path through its folder's real path (a symlinked folder is the same folder); undefined
 * for `-` (stdout), a character device (/dev/null may take any number of outputs) or a pipe.
 */
function writeIdentity(file: string): string | undefined {
  if (file === '-') return undefined;
  let at = path.resolve(file);
  // a symlink not resolving yet (a dangling one) is written through: the file it names is the one made
  for (let hops = 0; hops < 40; hops++) {
    try {
      statSync(at);
      return fileIdentity(at);
    } catch {
      let link: string | null = null;
      try {
        if (lstatSync(at).isSymbolicLink()) link = readlinkSync(at);
      } catch {
        // not there at all
      }
      if (link === null) break;
      at = path.resolve(path.dirname(at), link);
    }
  }
  try {
    return path.join(realpathSync(path.dirname(at)), path.basename(at));
  } catch {
    return at; // its folder is not there either: the write fails with its own error
  }
}

/**
 * Output options that would destroy a file, refused before any work (exit 2, at the flag):
 * - two outputs naming one file (`erf --gradient g.npy --out g.npy`, or a symlink or hard link
 *   to it): the later write replaced the earlier;
 * - an output naming a file the command reads (`analyze spec.json --out spec.json`, a `--device`
 *   profile, erf's .npy `--input`): the output replaced it (exit 0, the spec gone, the report in
 *   its place). A file that is not there yet is read by nobody.
 * Files are compared by what they are, not by how they are spelt.
 */
export function refuseOverwrite(inputs: readonly (string | undefined)[], outputs: readonly (readonly [string, string | undefined])[]): void {
  const written = new Map<string, string>();
  for (const [flag, file] of outputs) {
    const id = file === undefined ? undefined : writeIdentity(file);
    if (id === undefined) continue;
    const other = written.get(id);
    if (other !== undefined) throw new ConvlensError('INVALID_OPTION', `${flag} ${file} is the file ${other} writes: one would replace the other; give each its own file`, { path: flag });
    written.set(id, flag);
  }
  const read = new Map<string, string>();
  for (const file of inputs) {
    // `-` is stdin: redirected from a file (`- < spec.json`), an output onto that file (--out /dev/stdin) replaced it
    const id = file === undefined ? undefined : file === '-' ? stdinIdentity() : fileIdentity(file);
    if (id !== undefined && !read.has(id)) read.set(id, file === '-' ? 'stdin (-)' : file!);
  }
  if (read.size === 0) return;
  for (const [flag, file] of outputs) {
    const id = file === undefined || file === '-' ? undefined : fileIdentity(file);
    const input = id === undefined ? undefined : read.get(id);
    if (input !== undefined) {
      throw new ConvlensError('INVALID_OPTION', `${flag} ${file} is ${input === file ? 'a file' : `${input},`} this command reads: writing it would replace it; give another file`, { path: flag });
    }
  }
}

/**
 * A file option's value: an empty one (`--out "$UNSET"`) would quietly write nothing, or the
 * report to stdout; `-` is stdout where the option says so.
 */
export const fileOption = (v: string): string => {
  if (v.trim() === '') throw new InvalidArgumentError(`a file path, got ${JSON.stringify(v)}`);
  // refused before any work, as the write would refuse it (the same answer: "--svg DIR: illegal operation on a
  // directory (EISDIR)"): erf's --svg onto a directory failed only once its gradients were computed
  if (v !== '-' && statSync(v, { throwIfNoEntry: false })?.isDirectory()) {
    throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${v}'`), { code: 'EISDIR', errno: -21, syscall: 'open', path: v });
  }
  return v;
};
/** `--resolution 224`: one side, the input's height and width (a zoo model's size), 1 to MAX_RESOLUTION. */
export const resolutionOption = (v: string) => {
  const n = Number(v);
  if (/[,x×]/.test(v)) throw new InvalidArgumentError(`one number, the input's height and width (e.g. 224), not a shape: an ONNX file's input shape goes in --input`);
  if (!Number.isInteger(n) || n < 1 || n > MAX_RESOLUTION) throw new InvalidArgumentError(`an integer from 1 to ${MAX_RESOLUTION} (the input's height and width, e.g. 224)`);
  return n;
};
export const integer = (v: string) => {
  const n = Number(v);
  // Number('') and Number(' ') are 0: `--depth "$UNSET"` is a usage error, not depth 0
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`a non-negative integer up to 2^53 − 1, got ${JSON.stringify(v)}`);
  return n;
};

/**
 * A --device value that names a file: a .json profile, or any path with a directory in it (no
 * built-in id has a slash: `--device ./npu` or a directory was "no device profile './npu'", not the
 * system's reason).
 */
const isProfileFile = (value: string): boolean => value.endsWith('.json') || /[\\/]/.test(value);

/**
 * `--device nvidia/a100`: a slash but neither a .json name nor a path spelt as one (./, ../, /, ~), and
 * no such file: most likely a built-in id mistyped, so answered with the ids (and the nearest one),
 * not ENOENT.
 */
const looksLikeMistypedId = (value: string): boolean => !value.endsWith('.json') && !/^(\.{1,2}[\\/]|[\\/]|~)/.test(value) && !existsSync(value);

/** The file --device reads (for refuseOverwrite): a profile file; a built-in id reads none. */
export const deviceFile = (value: string | undefined): string | undefined => (value !== undefined && isProfileFile(value) ? value : undefined);

/** `--device a100-sxm4-40gb` (a built-in id) or `--device my-npu.json` (a custom profile file). */
export function deviceOption(value: string): DeviceProfile | BuiltInDevice {
  if (!isProfileFile(value) || looksLikeMistypedId(value)) return resolveDevice(value, '--device');
  const text = jsonText(readBounded(value, MAX_PROFILE_BYTES, '--device'), value, '--device');
  let profile: unknown;
  try {
    profile = JSON.parse(text);
  } catch (e) {
    throw new ConvlensError('INVALID_JSON', `${value} is not JSON: ${jsonErrorText(e, text)}`, { path: '--device' });
  }
  const fault = jsonTextFault(text);
  if (fault?.kind === 'duplicate') throw new ConvlensError('INVALID_JSON', `${value}: ${duplicateKeyMessage(fault)}`, { path: '--device' });
  return resolveDevice(profile, '--device');
}

/**
 * writeFileSync, its error naming the file: a failed write (ENOSPC, EINVAL) carries no path of its
 * own, and the command line's error answer finds the option by it (cli.ts).
 */
export function writeNamed(file: string, data: string | Uint8Array): void {
  try {
    writeFileSync(file, data);
  } catch (e) {
    (e as NodeJS.ErrnoException).path ??= file;
    throw e;
  }
}

/** `data` written to `file`, or to stdout for `-` (erf's --png, --svg, --gradient). */
export function writeOutput(io: Io, file: string, data: string | Uint8Array): void {
  if (file !== '-') return writeNamed(file, data);
  if (io.outBytes) return io.outBytes(typeof data === 'string' ? Buffer.from(data) : data);
  io.out(typeof data === 'string' ? data : Buffer.from(data).toString('latin1'));
}

/** The report on stdout (no file, or `-`), or in `file` with one line on stderr saying where (stdout holds only what was asked for). */
export function emit(io: Io, text: string, file: string | undefined, what: string): void {
  if (!file || file === '-') return io.out(text);
  const body = text.endsWith('\n') ? text : `${text}\n`;
  writeNamed(file, body);
  io.err(`convlens: wrote the ${what} to ${file} (${Buffer.byteLength(body).toLocaleString('en-US')} bytes)`);
}

export interface Progress {
  /** A step without a known count: "importing ONNX". */
  phase(label: string): void;
  /** done of total, as a bar. */
  tick(done: number, total: number, label?: string): void;
  /** The end: a terminal line is cleared. */
  end(): void;
}

const silent: Progress = { phase() {}, tick() {}, end() {} };
const BAR = 24;

/** `flag` is --progress / --no-progress (undefined when neither); `worthIt` whether to show by itself on a terminal. */
export function progress(io: Io, flag: boolean | undefined, worthIt = true): Progress {
  const on = flag ?? (Boolean(io.errIsTTY) && worthIt);
  if (!on) return silent;
  const redraw = io.errIsTTY && !io.errDumb && io.errWrite ? io.errWrite.bind(io) : undefined;
  let drawn = false;
  const show = (text: string) => {
    if (redraw) {
      redraw(`\r\x1b[K${text}`);
      drawn = true;
    } else io.err(`convlens: ${text}`);
  };
  return {
    phase: (label) => show(`${label}…`),
    tick: (done, total, label) => {
      const filled = total > 0 ? Math.round((done / total) * BAR) : BAR;
      show(`[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${done}/${total}${label ? ` ${label}` : ''}`);
    },
    end: () => {
      if (redraw && drawn) redraw('\r\x1b[K');
      drawn = false;
    },
  };
}
