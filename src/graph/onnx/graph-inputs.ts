/**
 * The graph's inputs as an ONNX import reads them: each input's shape from the file, its dynamic
 * dimensions from the request's inputShapes (by input name, or '' for the first), and every key of
 * inputShapes checked to name an input (graph/onnx/import.ts).
 */
import { ConvlensError, fmtShape, jsonPath } from '../../errors.js';
import { closest } from '../../suggest.js';
import { own } from '../../records.js';
import { MAX_COUNT } from '../../limits.js';
import { noSuchInput } from '../graph.js';
import type { GraphConstant, GraphInput } from '../graph.js';
import { dtypeOfOnnx, onnxTypeName } from '../../tensor/dtype.js';
import { inexactSize, num } from './proto.js';
import type { ValueInfoProto } from './proto.js';

/** What the request says of the inputs (OnnxImportOptions' fields). */
export interface InputShapeOptions {
  inputShapes?: Record<string, number[]>;
  shapesAt?: string;
}

/**
 * MISSING_DIMENSION's message: the dimension, and how each surface gives the shape (the import runs
 * for REST, GraphQL, jobs and the CLI alike). `shape`: the input's dimensions, N where dynamic.
 */
function missingDimension(input: string, first: boolean, k: number, dimParam: string | undefined, shape: string[], declared: number | null): string {
  const s = shape.join(',');
  // a dim_value of 0 or less is no size: some exporters write it for a dynamic one
  const what = declared !== null ? `is declared ${declared}, not a size (read as dynamic)` : `${dimParam ? `('${dimParam}') ` : ''}is dynamic`;
  const lead = `input '${input}' dimension ${k} ${what}; give the input's shape with each N filled in: `;
  // the unnamed forms (?input=, --input SHAPE, an ERF's inputShape) set the first input only: another is given by name
  if (!first) return `${lead}REST ?input.${input}=${s}; JSON bodies and GraphQL: inputShapes { "${input}": [${s}] }; the command line (analyze, sweep, compare): --input ${input}=${s}`;
  return `${lead}REST ?input=${s} or ?input.${input}=${s}; JSON bodies and GraphQL: inputShapes { "${input}": [${s}] } (an ERF's: inputShape [${s}]); the command line: --input ${s} (convlens erf: --input-shape ${s})`;
}

/** shapesAt of shapes a run takes from its input tensors (runtime/tasks.ts runTask): their keys are tensor names. */
const TENSOR_SHAPES = '$.inputs';

/**
 * A run's tensor under a name the file has no input for: INVALID_TENSOR at `$.inputs.<name>` with the
 * closest input, as a spec's or a zoo model's run answers (graph.ts noSuchInput). It was
 * INVALID_OPTION "inputShapes names 'X'", a field the request did not have.
 */
function notAnInput(key: string, names: readonly string[], constants: ReadonlyMap<string, GraphConstant>): ConvlensError {
  if (constants.has(key)) {
    const list = names.map((n) => `'${n}'`).join(', ');
    return new ConvlensError('INVALID_TENSOR', `'${key}' is a weight the model file stores, not an input; give it in "weights" (a form part 'weights.${key}'); its inputs are ${list}`, { path: jsonPath(['inputs', key]) });
  }
  return noSuchInput(key, names);
}

/**
 * Every inputShapes key names an input of the graph ("" is the first): a misspelt name is refused
 * at its key, with the closest input name, before the shape it left out is missed; so is the name
 * of a weight that an older export lists among its inputs (its shape is the file's).
 */
export function checkShapeNames(options: InputShapeOptions, names: string[], constants: ReadonlyMap<string, GraphConstant>): void {
  const at = (key: string) => shapeKeyPath(options, key);
  for (const key of Object.keys(options.inputShapes ?? {})) {
    if (key === '' || names.includes(key)) continue;
    if (options.shapesAt === TENSOR_SHAPES) throw notAnInput(key, names, constants);
    // older exports list their weights among the inputs too: a shape given for one would be ignored
    const stored = constants.get(key);
    if (stored) {
      throw new ConvlensError(
        'INVALID_OPTION',
        `inputShapes names '${key}', a weight the file stores (shape ${fmtShape(stored.shape)}), not an input the model is fed; its inputs: ${names.map((n) => `'${n}'`).join(', ')}`,
        { path: at(key), input: key, shape: stored.shape },
      );
    }
    const suggestion = closest(key, names);
    throw new ConvlensError(
      'INVALID_OPTION',
      `inputShapes names '${key}', which is not an input of this model${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; its inputs: ${names.map((n) => `'${n}'`).join(', ')}`,
      { path: at(key), input: key, ...(suggestion ? { suggestion } : {}) },
    );
  }
}

/**
 * Where the request gave the shape of inputShapes' `key` ('' for the first input: `?input=`,
 * `inputShapes[""]`, or an ERF's one `inputShape`, which has no keys: it was `$.inputShapes[""]`,
 * a field the ERF request does not have).
 */
export function shapeKeyPath(options: Pick<InputShapeOptions, 'shapesAt'>, key: string): string {
  const base = options.shapesAt ?? '$.inputShapes';
  return key === '' && (base.startsWith('query.') || base.endsWith('.inputShape')) ? base : base + jsonPath([key]).slice(1);
}

/** TensorProto.DataType names: the vendored proto's, and the 8-bit and 4-bit types of later ONNX releases (IR 9 to 11, 17–24). */
/** TypeProto's other kinds: the field as protobufjs names it, what it is, its name in onnx.proto. */
const NON_TENSOR = [
  ['sequenceType', 'a sequence', 'sequence_type'],
  ['mapType', 'a map', 'map_type'],
  ['optionalType', 'an optional', 'optional_type'],
  ['sparseTensorType', 'a sparse tensor', 'sparse_tensor_type'],
] as const;

/**
 * The input is a dense tensor of an element type convlens computes with: float, integer or bool (a
 * run feeds each as float32 values). A string, complex, 8-bit or 4-bit float or 4-bit integer input
 * was analysed and run as float32 numbers it does not hold (a fuzz, 2026-12-04), and so was a
 * sequence, map, optional or sparse input (its elem_type read as unset); an input whose type is
 * unset (no type, or elem_type 0) is read as float, as before.
 */
function checkElementType(v: ValueInfoProto, path: string): void {
  const kind = NON_TENSOR.find(([field]) => v.type?.[field] !== undefined && v.type?.[field] !== null);
  if (kind && !v.type?.tensorType) {
    throw new ConvlensError('UNSUPPORTED_DTYPE', `input '${v.name}' is ${kind[1]} (ONNX ${kind[2]}), not a dense tensor; ${COMPUTES_WITH}`, { path, input: v.name });
  }
  const elemType = v.type?.tensorType?.elemType ?? 0;
  if (elemType === 0 || dtypeOfOnnx(elemType) !== 'other') return;
  const name = onnxTypeName(elemType);
  throw new ConvlensError('UNSUPPORTED_DTYPE', `input '${v.name}' holds ${name ? `${name} (ONNX element type ${elemType})` : `ONNX element type ${elemType}`} values; ${COMPUTES_WITH}`, { path, input: v.name, elemType });
}

/** What an input may hold, for UNSUPPORTED_DTYPE's messages. */
const COMPUTES_WITH = 'convlens analyses and runs tensors of float (16, 32 and 64-bit, bfloat16), integer (8 to 64-bit) and bool elements';

export function graphInput(v: ValueInfoProto, index: number, options: InputShapeOptions): GraphInput {
  const path = `$.graph.input[${index}]`;
  const dims = v.type?.tensorType?.shape?.dim ?? null;
  const key = own(options.inputShapes, v.name) ? v.name : '';
  const given = own(options.inputShapes, v.name) ?? (index === 0 ? own(options.inputShapes, '') : undefined);
  // the first input's shape given both ways (?input= and ?input.<name>=), differently: refused (the named one won silently before)
  const unnamed = index === 0 && v.name !== '' ? own(options.inputShapes, '') : undefined;
  if (unnamed && given && fmtShape(unnamed) !== fmtShape(given)) {
    throw new ConvlensError('INVALID_OPTION', `input '${v.name}' is the first input, given ${fmtShape(unnamed)} for the first input and ${fmtShape(given)} by its name: give its shape once`, {
      path: shapeKeyPath(options, ''),
      input: v.name,
      shapes: { first: unnamed, named: given },
    });
  }
  // a shape given that the file's input refuses: the error is where it was given, the file's input named beside it
  const givenAt = { path: shapeKeyPath(options, key), modelPath: path };
  checkElementType(v, path);
  if (!dims) {
    if (given) return { name: v.name, shape: given, path };
    throw new ConvlensError('MISSING_DIMENSION', `input '${v.name}' has no shape in the model; give it as ?input=1,3,224,224 or ?input.${v.name}=…`, { path, input: v.name });
  }
  if (given && given.length !== dims.length) {
    throw new ConvlensError('SHAPE_MISMATCH', `input '${v.name}' has ${dims.length} dimensions in the model, but the shape given has ${given.length}: ${fmtShape(given)}`, {
      ...givenAt,
      input: v.name,
    });
  }
  dims.forEach((d, k) => {
    // 2^53 + 1 read as a number is 2^53: the message and the shapes would state a size the file does not hold
    const exact = inexactSize(d.dimValue);
    if (exact !== null && !exact.startsWith('-')) {
      throw new ConvlensError('SIZE_TOO_LARGE', `input '${v.name}' dimension ${k} is ${exact} in the model, over 2^53: more than convlens counts exactly`, { path, input: v.name, dimension: k });
    }
  });
  const shape = dims.map((d, k) => {
    const fixed = d.dimValue !== undefined && num(d.dimValue) > 0 ? num(d.dimValue) : null;
    if (given) {
      if (fixed !== null && given[k] !== fixed) {
        throw new ConvlensError('SHAPE_MISMATCH', `input '${v.name}' dimension ${k} is ${fixed} in the model, but ${given[k]} was given`, { ...givenAt, input: v.name, dimension: k });
      }
      return given[k];
    }
    if (fixed === null) {
      throw new ConvlensError(
        'MISSING_DIMENSION',
        missingDimension(v.name, index === 0, k, d.dimParam, dims.map((x) => (x.dimValue && num(x.dimValue) > 0 ? String(num(x.dimValue)) : 'N')), d.dimValue !== undefined && d.dimValue !== null && !d.dimParam ? num(d.dimValue) : null),
        { path, input: v.name, dimension: k, ...(d.dimParam ? { dimParam: d.dimParam } : {}) },
      );
    }
    return fixed;
  });
  // a shape given too large to count is refused where it was given (the analysis refuses it at the file's input)
  if (given && shape.reduce((n, d) => n * d, 1) > MAX_COUNT) {
    throw new ConvlensError('SIZE_TOO_LARGE', `input '${v.name}' ${fmtShape(shape)} has more elements than convlens counts exactly (2^53)`, { ...givenAt, input: v.name, shapes: { [v.name]: shape } });
  }
  return { name: v.name, shape, path };
}

