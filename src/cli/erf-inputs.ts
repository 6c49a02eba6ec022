/**
 * erf's --input: `random`, `luo`, one .npy file (a network of one input), or `NAME=FILE.npy`,
 * repeated, one for each input of a network of several, as POST /v1/erf's `inputs` by name.
 *
 * - Parsed by a collector (commander passes the value so far): a name given twice with two files,
 *   a mode with files, a bare file with another file are usage errors at --input (exit 2).
 * - Each file is read and decoded as the single file is (decodeNpy: its dtypes, its limit), its
 *   errors naming the file and the input.
 * - The tensors go to the ERF by name, and the runtime checks them as it checks REST's (runtime/
 *   checks.ts feedInputs and checkInputs: a name the network lacks, an input left without a
 *   tensor, a shape the input refuses); an ONNX file's dynamic inputs are sized by their files, as
 *   a run's tensors size them (runtime/tasks.ts runTask). Those errors, at `$.inputs.<name>`, come
 *   back here (`explain`) to name the option value they came from, `--input depth=d.npy`; a name
 *   the network lacks lists its inputs with their shapes.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { ConvlensError, fmtShape, jsonPath, movePaths } from '../errors.js';
import type { GraphSource } from '../graph/load.js';
import { loadGraph } from '../graph/load.js';
import { isUnnamedInput } from '../runtime/checks.js';
import { decodeNpy } from '../tensor/encoding.js';
import type { Tensor } from '../tensor/tensor.js';
import { fileProblem } from './errors.js';
import { MAX_TARGET_BYTES, STDIN, readBounded } from './read-file.js';

/** One .npy file of --input: `name` null for a bare `--input FILE.npy`; `arg` as typed. */
export interface NpyArg {
  name: string | null;
  file: string;
  arg: string;
}

/** What --input holds: a mode that draws the inputs, or .npy files. */
export type ErfInput = { mode: 'random' | 'luo' } | { files: NpyArg[] };

/** The default (`random`), told from a `--input random` typed: the first value typed replaces it. */
export const DEFAULT_INPUT: ErfInput = Object.freeze({ mode: 'random' as const });

const usage = 'random, luo, a .npy file (a network of one input) or NAME=FILE.npy for each input';

/** `name=file.npy`, or a bare file: the name is before the first '='; a file that exists by the whole value is that file. */
function npyArg(v: string): NpyArg {
  const at = v.indexOf('=');
  if (at < 0) return { name: null, file: v, arg: v };
  const [name, file] = [v.slice(0, at), v.slice(at + 1)];
  // `./a=b.npy` names a file when there is one and no input form reads otherwise
  if (statSync(v, { throwIfNoEntry: false })?.isFile() && !statSync(file, { throwIfNoEntry: false })) return { name: null, file: v, arg: v };
  if (name.trim() === '') throw new InvalidArgumentError(`NAME=FILE.npy needs the input's name before '=', got ${JSON.stringify(v)}`);
  if (file.trim() === '') throw new InvalidArgumentError(`NAME=FILE.npy needs the .npy file after '=', got ${JSON.stringify(v)}`);
  return { name, file, arg: v };
}

/** The file as the command reads it: - is stdin, any other spelling of a path is the path. */
const where = (file: string) => (file === STDIN ? STDIN : path.resolve(file));

/** The collector: commander calls it for each --input with the value so far. */
export function erfInputOption(v: string, previous: ErfInput = DEFAULT_INPUT): ErfInput {
  if (v.trim() === '') throw new InvalidArgumentError(`${usage}, got ""`);
  const next: ErfInput = v === 'random' || v === 'luo' ? { mode: v } : { files: [npyArg(v)] };
  if (previous === DEFAULT_INPUT) return next;
  if ('mode' in previous || 'mode' in next) {
    // the same mode twice contradicts nothing (refuseRepeats' rule)
    if ('mode' in previous && 'mode' in next) {
      if (previous.mode === next.mode) return previous;
      throw new InvalidArgumentError(`given twice (${previous.mode}, then ${next.mode}): one mode draws the inputs, the other would be dropped without a word; give one`);
    }
    const [mode, other] = 'mode' in previous ? [previous.mode, v] : [(next as { mode: string }).mode, previous.files[0].arg];
    throw new InvalidArgumentError(`--input ${mode} draws every input, and --input ${other} gives one: give the mode or .npy files, not both`);
  }
  const added = next.files[0];
  const same = previous.files.find((f) => f.name === added.name);
  if (same && where(same.file) === where(added.file)) return previous;
  if (added.name === null || previous.files.some((f) => f.name === null)) {
    throw new InvalidArgumentError(`a bare .npy file feeds a network of one input; for a network of several, name each input's file: --input NAME=FILE.npy, repeated`);
  }
  if (same) throw new InvalidArgumentError(`input '${added.name}' is given twice (${same.file}, then ${added.file}): give each input once`);
  return { files: [...previous.files, added] };
}

/** The .npy files --input gives (none for random and luo). */
export const npyArgs = (input: ErfInput): NpyArg[] => ('files' in input ? input.files : []);

/**
 * Before any file is read: at most one of the target and the files is stdin (it holds one file).
 */
export function checkStdin(target: string, files: readonly NpyArg[]): void {
  const readers = [...(target === STDIN ? ['the target -'] : []), ...files.filter((f) => f.file === STDIN).map((f) => `--input ${f.arg}`)];
  if (readers.length < 2) return;
  // the target's own message as before, a file the other
  if (target === STDIN && files.length === 1) throw new ConvlensError('INVALID_OPTION', '--input - and the target - both read stdin, which holds one file: give one of them as a file', { path: '--input' });
  throw new ConvlensError('INVALID_OPTION', `${readers.join(' and ')} all read stdin, which holds one file: give all but one of them as files`, { path: '--input' });
}

/** A file of --input read and decoded: its errors name the file (and the input), at --input. */
function readNpy(f: NpyArg, maxElements: number): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readBounded(f.file, MAX_TARGET_BYTES, '--input'));
  } catch (e) {
    const fsError = e as NodeJS.ErrnoException;
    // a bare file's system error is answered by the file's option (cli/errors.ts answerError); NAME=FILE's names the value
    if (f.name === null || e instanceof ConvlensError || typeof fsError.code !== 'string') throw e;
    throw new ConvlensError('INVALID_OPTION', `--input ${f.arg}: ${fileProblem(fsError)}`, { path: '--input' });
  }
  try {
    return decodeNpy(bytes, f.name === null ? f.file : `--input ${f.arg}`, maxElements);
  } catch (e) {
    throw e instanceof ConvlensError ? movePaths(e, () => '--input') : e;
  }
}

/** The tensors by input name, as the ERF takes them (`input`: a bare file, the only input). */
export function readInputs(files: readonly NpyArg[], maxElements: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = Object.create(null);
  for (const f of files) out[f.name ?? 'input'] = readNpy(f, maxElements);
  return out;
}

/** The network's inputs (loaded without the shape of `unknown`, a name it lacks), or null when it does not load so. */
function networkInputs(source: GraphSource, unknown: string): { name: string; shape: number[] }[] | null {
  try {
    const known = source.kind === 'onnx' ? { ...source, inputShapes: Object.fromEntries(Object.entries(source.inputShapes).filter(([k]) => k !== unknown)) } : source;
    return loadGraph(known).graph.inputs;
  } catch {
    return null;
  }
}

const listed = (inputs: readonly { name: string; shape: number[] }[]) => inputs.map((i) => `'${i.name}' ${fmtShape(i.shape)}`).join(', ');
const eachFile = (inputs: readonly { name: string }[]) => inputs.map((i) => `--input ${i.name}=FILE.npy`).join(' ');
const DRAWN = '--input random or luo: every input drawn, --input-name the one measured';

/** A name the network has no input for: its inputs with their shapes, and a file for each. */
function unknownInput(e: ConvlensError, source: GraphSource, given: NpyArg): string {
  const inputs = networkInputs(source, given.name ?? 'input');
  if (given.name === null) {
    // a bare file stood for the only input ('input'), of a network of several
    if (!inputs) return `${e.message}: --input FILE.npy feeds a network of one input; give a file for each input, --input NAME=FILE.npy, repeated (or ${DRAWN})`;
    return `one .npy file feeds a network of one input; this one has ${inputs.length}, ${listed(inputs)}: give a file for each, ${eachFile(inputs)} (or ${DRAWN})`;
  }
  if (!inputs) return e.message;
  return `${e.message.replace(/; its inputs are .*$/s, '')}; its inputs are ${listed(inputs)}${inputs.length > 1 ? `: give a file for each, ${eachFile(inputs)}` : ''}`;
}

/**
 * An error of the ERF at a given input (`$.inputs.<name>`, or `$.inputs.input` for a bare file),
 * as the option value it came from: `--input depth=d.npy: input 'depth' must be …`; a name the
 * network lacks lists its inputs and their shapes; an input left without a file says which.
 * Other errors as they are (withFlags names their options).
 */
export function explain(e: unknown, source: GraphSource, files: readonly NpyArg[]): unknown {
  if (!(e instanceof ConvlensError) || files.length === 0) return e;
  const at = typeof e.details.path === 'string' ? e.details.path : '';
  // an input with no file (runtime/checks.ts checkInputs): `no tensor for input 'depth' [1, 1, 8, 8]`
  const missing = e.code === 'INVALID_TENSOR' && at.startsWith('$.inputs') ? /^no tensor for input '(.*)' (\[.*\])$/s.exec(e.message) : null;
  if (missing) return new ConvlensError(e.code, `--input: no .npy file for input '${missing[1]}' ${missing[2]}: give it one, --input ${missing[1]}=FILE.npy (each input of the network needs a file)`, { ...e.details, path: '--input' });
  // an ONNX file's dynamic input that no file sized
  const dynamic = e.details.input;
  if (e.code === 'MISSING_DIMENSION' && typeof dynamic === 'string' && !files.some((f) => f.name === dynamic) && files.some((f) => f.name !== null)) {
    return new ConvlensError(e.code, `--input: no .npy file for input '${dynamic}', whose shape the ONNX file leaves dynamic: give it one, --input ${dynamic}=FILE.npy (each input of the network needs a file)`, { ...e.details, path: '--input' });
  }
  const under = (p: string) => at === p || at.startsWith(`${p}.`) || at.startsWith(`${p}[`);
  // a lone unnamed file (or `input=`) stands for the only input whatever its name (runtime/checks.ts
  // feedInputs: `$.inputs.x`), or sizes the first (runtime/checks.ts sizedByTensors: `$.inputs[""]`)
  const lone = files.length === 1 && (files[0].name === null || isUnnamedInput(files[0].name)) && /^\$\.inputs[.[]/.test(at) ? files[0] : undefined;
  const given = files.find((f) => under(jsonPath(['inputs', f.name ?? 'input']))) ?? lone;
  if (!given) return e;
  const message = e.code === 'INVALID_TENSOR' && /has no input '/.test(e.message) ? unknownInput(e, source, given) : e.message;
  const lead = `--input ${given.arg}`;
  return movePaths(e, () => '--input', message.startsWith(lead) ? message : `${lead}: ${message}`);
}
