/**
 * A command-line target → the network request the service would get: a zoo model name, a JSON
 * spec or an ONNX file; `-` is stdin.
 *
 * A file is a JSON spec when its first byte after whitespace is `{` (an ONNX ModelProto never
 * starts so: its first byte is a protobuf field tag, 0x08 for ir_version), else when its name ends
 * in `.json` (any case: its JSON error is then the answer), else an ONNX file.
 *
 * A size option the target does not read is INVALID_OPTION, as REST refuses it, at the REST
 * field's path (`$.inputShapes`: an ONNX file's dynamic inputs, for a zoo model or a spec;
 * `$.resolution`: a zoo model's size, for a file). The command's FlagPaths, the same map its
 * `withFlags` renames those paths with, name the options in the message: one map per command.
 */
import { MAX_TARGET_BYTES, STDIN, jsonText, readBounded } from './read-file.js';
import { ConvlensError } from '../errors.js';
import type { GraphSource } from '../graph/load.js';
import { ZOO_BY_NAME } from '../zoo/index.js';
import { inTargetFile } from './errors.js';
import type { FlagPaths } from './errors.js';
import { parseNetworkSpec } from '../graph/network.js';
import { jsonErrorText } from './one-line.js';
import { duplicateKeyMessage, jsonTextFault, looksLikeJson } from '../json-text.js';

/** A target read: what it is, and its bytes (null for a zoo model). */
export interface ReadTarget {
  target: string;
  kind: GraphSource['kind'];
  bytes: Buffer | null;
}

/** The target as error messages name it: `-` is stdin. */
export const targetLabel = (target: string) => (target === STDIN ? 'stdin' : target);


/**
 * What a command-line target is: a zoo model; with its bytes, a spec when they start with `{`;
 * else by its name, a spec (`.json`, any case) or an ONNX file (anything else).
 */
export function targetKind(target: string, bytes?: Uint8Array): GraphSource['kind'] {
  if (ZOO_BY_NAME.has(target)) return 'model';
  if (bytes && looksLikeJson(bytes)) return 'spec';
  return /\.json$/i.test(target) ? 'spec' : 'onnx';
}

/** The file a target reads (for refuseOverwrite), or undefined for a zoo model's name, which no file by that name shadows. */
export const targetFile = (target: string): string | undefined => (ZOO_BY_NAME.has(target) ? undefined : target);

/** `target` read (a file, or stdin for `-`) and its kind decided. A missing file is ENOENT from node:fs. */
export function readTarget(target: string): ReadTarget {
  if (ZOO_BY_NAME.has(target)) return { target, kind: 'model', bytes: null };
  const bytes = readBounded(target, MAX_TARGET_BYTES, targetLabel(target));
  return { target, kind: targetKind(target, bytes), bytes };
}

/** The sizes a command was given for its target: an ONNX file's dynamic input shape, a zoo model's resolution. */
export interface TargetSizes {
  /** The first input's shape, or shapes by input name ('' the first: `--input NAME=SHAPE`, io.ts inputShapesOption). */
  inputShape?: number[] | Record<string, number[]>;
  resolution?: number;
}

/**
 * `target` (a name, or a target already read) as a GraphSource. A missing file is ENOENT from
 * node:fs, for the caller to explain (a misspelt model name is a missing file, not an ONNX file).
 */
export function targetSource(given: string | ReadTarget, sizes: TargetSizes, flags: FlagPaths): GraphSource {
  const { target, kind, bytes } = typeof given === 'string' ? readTarget(given) : given;
  const label = targetLabel(target);
  // the option that gives a REST field; a command without one keeps the field's own name
  const option = (path: string) => flags[path] ?? path;
  const what = kind === 'model' ? `a built-in model (its size: ${option('$.resolution')})` : kind === 'spec' ? 'a JSON spec, which declares its input shapes' : `an ONNX file (its dynamic dimensions: ${option('$.inputShapes')})`;
  if (sizes.inputShape && kind !== 'onnx') {
    throw new ConvlensError('INVALID_OPTION', `${option('$.inputShapes')} gives the shapes of an ONNX file's dynamic inputs; '${label}' is ${what}`, { path: '$.inputShapes' });
  }
  if (sizes.resolution !== undefined && kind !== 'model') {
    throw new ConvlensError('INVALID_OPTION', `${option('$.resolution')} sets a built-in model's input size; '${label}' is ${what}`, { path: '$.resolution' });
  }
  if (bytes === null) return { kind: 'model', name: target, resolution: sizes.resolution, modelAt: label };
  if (kind === 'onnx') return { kind: 'onnx', bytes, inputShapes: !sizes.inputShape ? {} : Array.isArray(sizes.inputShape) ? { '': sizes.inputShape } : { ...sizes.inputShape }, at: label, ...(target !== '-' && { fileName: target }) };
  const text = jsonText(bytes, label);
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (e) {
    throw new ConvlensError('INVALID_JSON', `${label} is not JSON: ${jsonErrorText(e, text)}`, { path: label });
  }
  // as the service refuses it: JSON.parse kept the last of two equal keys silently
  const fault = jsonTextFault(text);
  if (fault?.kind === 'duplicate') throw new ConvlensError('INVALID_JSON', `${label}: ${duplicateKeyMessage(fault)}`, { path: fault.path });
  // a spec that does not parse is refused here, at its paths into the file: a misspelt top-level
  // key (`input`, `layer`) is not the option a request field of that name has (erf's --input, --layer)
  inTargetFile(() => parseNetworkSpec(spec));
  return { kind: 'spec', spec };
}
