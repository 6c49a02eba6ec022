/**
 * A command-line target → the network request the service would get: a zoo model name, a JSON
 * spec (`.json`) or an ONNX file (anything else).
 *
 * A size option the target does not read is INVALID_OPTION, as REST refuses it, at the REST
 * field's path (`$.inputShapes`: an ONNX file's dynamic inputs, for a zoo model or a spec;
 * `$.resolution`: a zoo model's size, for a file). The command's FlagPaths, the same map its
 * `withFlags` renames those paths with, name the options in the message: one map per command.
 */
import { MAX_TARGET_BYTES, jsonText, readBounded } from './read-file.js';
import { ConvlensError } from '../errors.js';
import type { GraphSource } from '../graph/load.js';
import { ZOO_BY_NAME } from '../zoo/index.js';
import type { FlagPaths } from './errors.js';

/** What a command-line target names: a zoo model, a JSON spec (`.json`) or an ONNX file (anything else). */
export function targetKind(target: string): GraphSource['kind'] {
  if (ZOO_BY_NAME.has(target)) return 'model';
  return target.endsWith('.json') ? 'spec' : 'onnx';
}

/** The sizes a command was given for its target: an ONNX file's dynamic input shape, a zoo model's resolution. */
export interface TargetSizes {
  inputShape?: number[];
  resolution?: number;
}

/**
 * `target` read as a GraphSource. A missing file is ENOENT from node:fs, for the caller to explain
 * (a misspelt model name is a missing file, not an ONNX file).
 */
export function targetSource(target: string, sizes: TargetSizes, flags: FlagPaths): GraphSource {
  const kind = targetKind(target);
  // the option that gives a REST field; a command without one keeps the field's own name
  const option = (path: string) => flags[path] ?? path;
  const bytes = kind === 'model' ? null : readBounded(target, MAX_TARGET_BYTES, target);
  const what = kind === 'model' ? `a built-in model (its size: ${option('$.resolution')})` : kind === 'spec' ? 'a JSON spec, which declares its input shapes' : `an ONNX file (its dynamic dimensions: ${option('$.inputShapes')})`;
  if (sizes.inputShape && kind !== 'onnx') {
    throw new ConvlensError('INVALID_OPTION', `${option('$.inputShapes')} gives the shapes of an ONNX file's dynamic inputs; '${target}' is ${what}`, { path: '$.inputShapes' });
  }
  if (sizes.resolution !== undefined && kind !== 'model') {
    throw new ConvlensError('INVALID_OPTION', `${option('$.resolution')} sets a built-in model's input size; '${target}' is ${what}`, { path: '$.resolution' });
  }
  if (bytes === null) return { kind: 'model', name: target, resolution: sizes.resolution };
  if (kind === 'onnx') return { kind: 'onnx', bytes, inputShapes: sizes.inputShape ? { '': sizes.inputShape } : {}, at: target };
  try {
    return { kind: 'spec', spec: JSON.parse(jsonText(bytes)) };
  } catch (e) {
    throw new ConvlensError('INVALID_JSON', `${target} is not JSON: ${(e as Error).message}`, { path: target });
  }
}
