/**
 * The command line's answer to an error: one line on stderr and an exit code (2 for what the user
 * gave: a catalog error, a file that cannot be read or written, an option refused; 3 for a bug).
 *
 * The analyses share their errors with the service, whose paths are REST JSON paths (`$.sizes[1]`,
 * `$.inputShapes[""]`, `$.layer`). A command names the options those fields came from
 * (`withFlags`), so the line says `--sizes` where the user typed `--sizes`; a command reading two
 * networks (compare) says which one failed (`OnTarget`): `old network a.onnx: …`.
 */
import { InvalidArgumentError } from 'commander';
import { ConvlensError, movePaths } from '../errors.js';
import { closest } from '../suggest.js';
import { ZOO } from '../zoo/index.js';
import { EXIT } from './gates.js';
import type { Io } from './io.js';
import { oneLine } from './one-line.js';

/** REST path → the option it came from: `{ '$.sizes': '--sizes' }`; a key ending in `.` matches its children only (`$.inputs.` → `$.inputs.x`). */
export type FlagPaths = Readonly<Record<string, string>>;

/** `path` as the option it came from (`$.sizes[1]` → `--sizes[1]`), or undefined when no key covers it. */
function flagPath(path: string, flags: FlagPaths): string | undefined {
  const key = Object.keys(flags)
    .filter((k) => path === k || (path.startsWith(k) && (k.endsWith('.') || path[k.length] === '[' || path[k.length] === '.')))
    .sort((a, b) => b.length - a.length)[0];
  if (key === undefined) return undefined;
  // an index into a list option is kept (the value of --sizes or --channels it is); a key into a map (inputShapes[""]) is not
  const index = /^\[\d+\]/.exec(path.slice(key.length));
  return flags[key] + (index ? index[0] : '');
}

/**
 * Errors of the network's own file (a spec's misspelt top-level key: `$.input`, `$.layer`): their
 * paths are into the file, whatever option a REST field of the same name has (erf's --input).
 */
const fileErrors = new WeakSet<ConvlensError>();

/** `read` (a target file's parse), its errors kept at their paths into the file by withFlags. */
export function inTargetFile<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof ConvlensError) fileErrors.add(e);
    throw e;
  }
}

/** The error with its REST paths as the options they came from; other errors as they are. */
export function atFlags(e: unknown, flags: FlagPaths): unknown {
  if (!(e instanceof ConvlensError) || typeof e.details.path !== 'string' || fileErrors.has(e)) return e;
  const path = e.details.path;
  const flag = flagPath(path, flags);
  if (flag === undefined) return e;
  // `sweep: Too big … at $.sizes[1]`: the place is said once, by the line's `(at …)`
  const message = e.message.endsWith(` at ${path}`) ? e.message.slice(0, -` at ${path}`.length) : e.message;
  return movePaths(e, (p) => flagPath(p, flags) ?? p, message);
}

/** `run`, its errors' REST paths named as the options they came from (sync or async). */
export function withFlags<T>(flags: FlagPaths, run: () => T): T {
  try {
    const result = run();
    if (result instanceof Promise) {
      return result.catch((e: unknown) => {
        throw atFlags(e, flags);
      }) as T;
    }
    return result;
  } catch (e) {
    throw atFlags(e, flags);
  }
}

/** An error of one of a command's networks: `label` says which (`old network a.onnx`), `target` is what the user typed. */
export class OnTarget extends Error {
  constructor(
    readonly label: string,
    readonly target: string,
    readonly error: unknown,
  ) {
    super(`${label}: ${(error as Error)?.message ?? error}`);
    this.name = 'OnTarget';
  }
}

/** `--sizes[1]` → `--sizes, value 2`; other paths as they are. */
const where = (path: string) => path.replace(/^(--[\w-]+)\[(\d+)\]$/, (_, flag: string, i: string) => `${flag}, value ${Number(i) + 1}`);

/** `CODE: [--flag: ]message (at place)`: an option's error leads with the option. */
function catalogLine(e: ConvlensError, target?: string): string {
  const path = typeof e.details.path === 'string' ? e.details.path : undefined;
  if (path === undefined) return `${e.code}: ${e.message}`;
  const flag = /^--[\w-]+/.exec(path)?.[0];
  const bare = e.message.endsWith(` at ${path}`) ? e.message.slice(0, -` at ${path}`.length) : e.message;
  const message = flag && !bare.startsWith(flag) ? `${flag}: ${bare}` : bare;
  // the network's own file, already named before the code
  return `${e.code}: ${message}${path === target ? '' : ` (at ${where(path)})`}`;
}

/** Errors of a file the command line named (to read or to write): one line and exit 2, not an internal error. */
const FILE_ERRORS = new Set(['ENOENT', 'EISDIR', 'EACCES', 'ENOTDIR', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EFBIG', 'EINVAL', 'EIO', 'ENAMETOOLONG', 'ELOOP', 'EMFILE', 'ENFILE']);

/** The options whose values are files (the commands' `<file>`, `<…profile.json>`, `<…file.npy>`). */
const FILE_OPTIONS = new Set(['--out', '--device', '--input', '--gradient', '--png', '--svg']);

/** The file option whose value is `file` (`--out x` or `--out=x`), or undefined (the target, or not from the command line). */
function optionNaming(argv: readonly string[], file: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], argv[i + 1]];
    if (FILE_OPTIONS.has(flag) && value === file) return flag;
  }
  return undefined;
}

/**
 * What went wrong with a file, without node:fs's system call and path: "no such file or directory
 * (ENOENT)" for "ENOENT: no such file or directory, stat 'x.onnx'" (the line names the file already).
 */
export function fileProblem(e: NodeJS.ErrnoException): string {
  // node:fs's form: "CODE: description, syscall" and the path(s) in quotes, if any
  const m = /^([A-Z0-9_]+): (.*?)(?:, \w+(?: '.*')?)?$/s.exec(e.message);
  return m && m[1] === e.code ? `${m[2]} (${m[1]})` : e.message;
}

/** One line on stderr for `e`, thrown by a command run with `argv`; the exit code. */
export function answerError(e: unknown, argv: readonly string[], io: Io): number {
  // `convlens: CODE: message (at PLACE)`, on one line whatever the message quotes
  const line = (text: string) => io.err(`convlens: ${oneLine(text)}`);
  let subject = '';
  let target: string | undefined;
  if (e instanceof OnTarget) {
    subject = `${e.label}: `;
    target = e.target;
    e = e.error;
  }
  // an option's value refused by a command's action, after commander parsed it (commander prints its own)
  if (e instanceof InvalidArgumentError) {
    line(`${subject}INVALID_OPTION: ${e.message}`);
    return EXIT.INVALID_INPUT;
  }
  const ce = e as { code?: string; exitCode?: number };
  if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) {
    // help asked for (`--help`, `help`) is a success; help shown for a usage error is not
    return ce.exitCode === 0 ? EXIT.OK : EXIT.INVALID_INPUT;
  }
  if (e instanceof ConvlensError) {
    line(`${subject}${catalogLine(e, target)}`);
    return EXIT.INVALID_INPUT;
  }
  const fsError = e as NodeJS.ErrnoException;
  const file = typeof fsError.path === 'string' ? fsError.path : undefined;
  // the option that named the file, if one did: `--out`, `--device`, `--input`, `--png`…
  const flag = file === undefined ? undefined : optionNaming(argv, file);
  // any failure on a file an option or the target named is that file's (ETXTBSY, ENXIO as well as ENOENT), not a bug
  if (fsError.code !== undefined && (FILE_ERRORS.has(fsError.code) || flag !== undefined || (file !== undefined && argv.includes(file)))) {
    if (flag) line(`${subject}INVALID_OPTION: ${flag} ${file}: ${fileProblem(fsError)} (at ${flag})`);
    else {
      const names = ZOO.map((z) => z.name);
      // a bare word that is not a file is most likely a misspelt zoo name
      const word = fsError.code === 'ENOENT' && file !== undefined && !/[./\\]/.test(file);
      const near = word ? closest(file, names) : null;
      const hint = `give a .json spec, an .onnx file, - (stdin) or one of: ${names.join(', ')}`;
      if (word) line(`${subject}UNKNOWN_MODEL: no built-in model or file named '${file}'${near ? ` (did you mean '${near}'?)` : ''}; ${hint}`);
      else line(`${subject}INVALID_OPTION: cannot read ${file ?? 'the network'}: ${fileProblem(fsError)}; ${hint}${file === undefined ? '' : ` (at ${file})`}`);
    }
    return EXIT.INVALID_INPUT;
  }
  io.err(`convlens: ${subject}internal error: ${(e as Error).stack ?? e}`);
  return EXIT.INTERNAL_ERROR;
}
