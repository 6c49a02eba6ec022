/**
 * Tensors over the wire: JSON `{ shape, data }` with numbers nested as the shape or flat; `{ shape, dtype:
 * "float32", base64 }` (little-endian); and NumPy `.npy` (version 1–3, C order; every NumPy type
 * of tensor/dtype.ts: float16/32/64, int8–64, uint8–64, bool). Everything becomes a float32 tensor.
 * Answers are float32, or float16 for a tensor a run typed so (answerDtype: `<f2`, 2-byte base64).
 *
 * Decoding makes no intermediate copy: base64 is decoded straight into the tensor's storage, JSON
 * numbers are written straight into a Float32Array (no number[] on the way), and a little-endian
 * float32 .npy the caller owns becomes a view of its bytes (decodeNpy's `view`).
 */
import { z } from 'zod';
import { ConvlensError } from '../errors.js';
import { DTYPE_INFO, DTYPE_NAMES, decodeToFloat32, dtypeOfNpy } from './dtype.js';
import { parseNpyHeader } from './npy-header.js';
import { float16Bytes } from './float16.js';
import { numel } from './tensor.js';
import type { Tensor } from './tensor.js';

const Dims = z.array(z.number().int().nonnegative()).max(8);
type Nested = number | Nested[];
const NestedNumbers: z.ZodType<Nested> = z.lazy(() => z.union([z.number(), z.array(NestedNumbers)]));

/** The wire form, for documentation (http/requests.ts); decodeTensor checks `data` by hand, in one pass. */
export const TensorJson = z.union([
  z.strictObject({ shape: Dims, data: NestedNumbers }),
  z.strictObject({ shape: Dims, dtype: z.literal('float32').default('float32'), base64: z.string() }),
]);
export type TensorJson = z.input<typeof TensorJson>;

/** TensorJson with `data` only required to be present: validating millions of numbers through zod takes seconds. */
const TensorEnvelope = z.union([
  z.strictObject({ shape: Dims, data: z.custom<unknown>((v) => v !== undefined, { error: 'data is required' }) }),
  z.strictObject({ shape: Dims, dtype: z.literal('float32').default('float32'), base64: z.string() }),
]);

/** Deepest nesting of `data` read: a rank-8 tensor needs 8; deeper input is malformed. */
const MAX_DATA_DEPTH = 64;

/** An element count as digits while they are exact; past 2^53 as a magnitude (55340232221128655000 was 2^65·1.5 rounded). */
const elementCount = (n: number) => (n <= Number.MAX_SAFE_INTEGER ? String(n) : n.toExponential(2));

/** Nested arrays of sizes `dims` hold a tensor of `shape` in its order: the same sizes, axes of size 1 aside, up to the shape's first 0. */
function sameNesting(dims: readonly number[], shape: readonly number[]): boolean {
  const zero = shape.indexOf(0);
  const wanted = (zero >= 0 ? shape.slice(0, zero + 1) : shape).filter((d) => d !== 1);
  const given = dims.filter((d) => d !== 1);
  return given.length === wanted.length && given.every((d, k) => d === wanted[k]);
}

/** `data` (a number, or nested or flat arrays of numbers) written into a Float32Array of n elements, checked on the way. */
function readData(data: unknown, n: number, shape: readonly number[], path: string): Float32Array {
  const bad = (why: string) => new ConvlensError('INVALID_TENSOR', `${path}: data ${why}`, { path, shapes: { tensor: shape } });
  const count = (got: number) =>
    new ConvlensError('INVALID_TENSOR', `${path}: shape [${shape.join(', ')}] needs ${n} values, got ${got}`, { path, shapes: { tensor: shape } });
  // a finite number past float32's range would become ±Infinity in the tensor
  const beyond = (v: number) => bad(`holds ${v}, beyond float32's range (±3.4028235e38)`);
  if (typeof data === 'number') {
    if (!Number.isFinite(data)) throw bad('holds a number that is not finite');
    if (n !== 1) throw count(1);
    const one = Float32Array.of(data);
    if (!Number.isFinite(one[0])) throw beyond(data);
    return one;
  }
  if (!Array.isArray(data)) throw bad(`must be numbers (nested arrays following the shape, or one flat array), not ${data === null ? 'null' : typeof data}`);
  // the nesting, read down the first elements: rectangular arrays of these sizes, as numpy.array
  // reads them; a flat list, or nested as the shape (sameNesting, checked once they are known rectangular)
  const dims: number[] = [];
  for (let v: unknown = data; Array.isArray(v); v = v[0]) {
    if (dims.length >= MAX_DATA_DEPTH) throw bad(`nests deeper than ${MAX_DATA_DEPTH} levels`);
    dims.push(v.length);
    if (v.length === 0) break;
  }
  const out = new Float32Array(n);
  let at = 0;
  // ragged arrays were flattened: [[1, 2, 3], [4]] read as [2, 2]; each array now has its level's
  // size. The indices down to the element are kept in one array, its path written only for an error.
  const index: number[] = [];
  const wrong = (depth: number, why: string) => {
    const shaped = `${path}.data${index.slice(0, depth).map((i) => `[${i}]`).join('')}`;
    return new ConvlensError('INVALID_TENSOR', `${shaped} ${why}: nested data must be rectangular (a flat list, or arrays nested as the shape)`, { path: shaped, shapes: { tensor: shape } });
  };
  const first = (depth: number) => `data${'[0]'.repeat(depth)}`;
  const walk = (v: unknown, depth: number): void => {
    if (depth === dims.length) {
      if (typeof v !== 'number') throw wrong(depth, Array.isArray(v) ? `is an array where ${first(depth)} is a number` : `is ${v === null ? 'null' : typeof v}, not a number`);
      if (!Number.isFinite(v)) throw bad('holds a number that is not finite');
      if (at < n) {
        out[at] = v;
        if (!Number.isFinite(out[at])) throw beyond(v);
      }
      at++;
      return;
    }
    if (!Array.isArray(v)) throw wrong(depth, `is ${typeof v === 'number' ? 'a number' : v === null ? 'null' : typeof v} where ${first(depth)} is an array`);
    if (v.length !== dims[depth]) throw wrong(depth, `holds ${v.length} values where ${first(depth)} holds ${dims[depth]}`);
    for (let i = 0; i < v.length; i++) {
      index[depth] = i;
      walk(v[i], depth + 1);
    }
  };
  walk(data, 0);
  // another rectangular nesting was read flat: an NHWC image [1, 2, 2, 3] given for shape [1, 3, 2, 2]
  // ran as NCHW, 200 (a fuzz, 2026-12-05). Axes of size 1 aside, which leave the order as it is (a
  // CHW image's tolist() for [1, C, H, W]); an empty tensor's nesting stops at the shape's first 0
  if (dims.length > 1 && !sameNesting(dims, shape)) {
    throw new ConvlensError('INVALID_TENSOR', `${path}.data is nested as [${dims.join(', ')}] where the shape is [${shape.join(', ')}]: give it nested as the shape (axes of size 1 may be left out or added), or as one flat list of ${n} values in the shape's order`, {
      path: `${path}.data`,
      shapes: { tensor: shape, data: dims },
    });
  }
  if (at !== n) throw count(at);
  return out;
}

/**
 * What makes `text` not base64 (its first such character, with its index), or null. Line breaks
 * and spaces (MIME), no padding and the URL-safe alphabet are read; any other character, or text
 * after the = padding, is a fault (Node's decoder skips the one and stops at the other silently).
 * Linear scans: a pattern with a repeated group after "=" backtracks, quadratic in a run of "=".
 * Shared by tensors (readBase64) and ONNX files (http/body.ts onnxFromBase64).
 */
export function base64Fault(text: string): string | null {
  const stray = /[^A-Za-z0-9+/_\-=\s]/.exec(text);
  const padding = text.indexOf('=');
  const AFTER = /[^\s=]/g;
  AFTER.lastIndex = padding < 0 ? text.length : padding;
  const after = padding < 0 ? null : AFTER.exec(text);
  if (stray && (!after || stray.index < after.index)) return `${JSON.stringify(stray[0])} at character ${stray.index}`;
  return after ? `${JSON.stringify(after[0])} at character ${after.index}, after the = padding` : null;
}

/** base64 float32 bytes decoded straight into the tensor's storage (one copy only for unusual text, e.g. with line breaks). */
function readBase64(text: string, n: number, shape: readonly number[], path: string): Float32Array {
  const wrong = (bytes: number) =>
    new ConvlensError('INVALID_TENSOR', `${path}: shape [${shape.join(', ')}] needs ${n * 4} bytes of float32, the base64 holds ${bytes}`, { path });
  const data = new Float32Array(n);
  const into = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (Buffer.byteLength(text, 'base64') === n * 4) {
    // the length is exact for canonical base64; a shorter decode means characters were skipped
    const written = into.write(text, 'base64');
    if (written === n * 4) return data;
  }
  const fault = base64Fault(text);
  if (fault) throw new ConvlensError('INVALID_TENSOR', `${path}: not base64: ${fault}`, { path });
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== n * 4) throw wrong(bytes.byteLength);
  into.set(bytes);
  return data;
}

export function decodeTensor(raw: unknown, path: string, maxElements: number): Tensor {
  const parsed = TensorEnvelope.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConvlensError('INVALID_TENSOR', `${path}: a tensor is { shape, data } or { shape, dtype: "float32", base64 } (${issue.message})`, { path });
  }
  const t = parsed.data;
  const n = numel(t.shape);
  if (n > maxElements) throw new ConvlensError('TENSOR_TOO_LARGE', `${path}: ${elementCount(n)} elements is over the ${maxElements}-element limit`, { path, shapes: { tensor: t.shape } });
  const data = 'base64' in t ? readBase64(t.base64, n, t.shape, path) : readData(t.data, n, t.shape, path);
  return { shape: [...t.shape], data };
}

function nest(data: Float32Array, shape: readonly number[], offset = 0, dim = 0): Nested {
  if (shape.length === 0) return data[0];
  if (dim === shape.length - 1) return Array.from(data.subarray(offset, offset + shape[dim]));
  const inner = numel(shape.slice(dim + 1));
  return Array.from({ length: shape[dim] }, (_, i) => nest(data, shape, offset + i * inner, dim + 1));
}

/** The element types an answer carries a tensor in. */
export type AnswerDtype = 'float32' | 'float16';

/** The element type to answer a tensor in: float16 when the run typed it so (Tensor.dtype: an ONNX graph's FLOAT16 tensor), else float32. */
export function answerDtype(t: Tensor): AnswerDtype {
  return t.dtype === 'float16' ? 'float16' : 'float32';
}

/** A tensor's elements as bytes of `dtype`, little-endian: float32 its own memory (no copy), float16 two bytes an element (a copy; tensor/float16.ts). */
export function answerBytes(t: Tensor, dtype: AnswerDtype = answerDtype(t)): Uint8Array {
  return dtype === 'float16' ? float16Bytes(t.data) : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/**
 * JSON encodings of a result tensor; `.npy` is written by `encodeNpy`. base64 holds the elements as
 * `dtype` (default float32; answerDtype(t) answers a float16 tensor in 2-byte elements), named so.
 */
export function encodeTensor(t: Tensor, format: 'json' | 'base64', nested = true, dtype: AnswerDtype = 'float32'): Record<string, unknown> {
  if (format === 'base64') {
    const bytes = answerBytes(t, dtype);
    return { shape: t.shape, dtype, base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  }
  return { shape: t.shape, data: nested ? nest(t.data, t.shape) : Array.from(t.data) };
}

/**
 * Longest JSON text of one float32 value: 17 significant digits, a sign, a point and the zeros of
 * the fixed notation JavaScript keeps down to 1e-6 (`-0.0000012345678901234567`, 25 characters);
 * exponent forms are shorter (`-1.1754943508222875e-38`, 23), NaN and ±Infinity are `null`.
 */
export const JSON_NUMBER_MAX_CHARS = 25;

/** Arrays in the nested JSON of a shape without zero dimensions: 1 + d0 + d0·d1 + … + d0·…·d(k−2). */
function arrayCount(shape: readonly number[]): number {
  let arrays = shape.length > 0 ? 1 : 0;
  let outer = 1;
  for (let i = 0; i < shape.length - 1; i++) {
    outer *= shape[i];
    arrays += outer;
  }
  return arrays;
}

/**
 * An upper bound of the bytes of a tensor's `data` (json nested, flat) or `base64` value, from its
 * shape alone: JSON_NUMBER_MAX_CHARS per value, a comma between siblings, two brackets per array;
 * base64 is exact (with its quotes).
 */
export function encodedBytesBound(shape: readonly number[], format: 'json' | 'flat' | 'base64'): number {
  const n = numel(shape);
  if (format === 'base64') return 4 * Math.ceil((4 * n) / 3) + 2;
  // no values: the empty arrays down to the first zero dimension, with their brackets and commas
  if (n === 0) return 3 * Math.max(1, format === 'flat' ? 1 : arrayCount(shape.slice(0, shape.indexOf(0) + 1)));
  const arrays = format === 'flat' ? 1 : shape.length === 0 ? 0 : arrayCount(shape);
  return n * JSON_NUMBER_MAX_CHARS + (n - 1) + 2 * arrays;
}

const jsonNumber = (v: number): string => (Number.isFinite(v) ? String(v) : 'null');

/**
 * The JSON text of a tensor's data, as JSON.stringify would write encodeTensor's `data`, in pieces
 * of about `perPiece` values: nested following the shape, or flat. No whole-tensor string or array.
 */
export function* jsonDataPieces(t: Tensor, nested: boolean, perPiece = 1 << 16): Generator<string> {
  const { data, shape } = t;
  if (data.length === 0 || (nested && shape.length === 0)) {
    yield JSON.stringify(nested ? nest(data, shape) : Array.from(data));
    return;
  }
  const row = nested ? shape[shape.length - 1] : data.length;
  const outer = nested ? shape.slice(0, -1) : [];
  const index = outer.map(() => 0);
  const rows = data.length / row;
  let parts: string[] = [];
  let pending = 0;
  for (let r = 0; r < rows; r++) {
    // arrays that open before this row: the dimensions whose index and all inner indices are 0
    let opens = 0;
    while (opens < index.length && index[index.length - 1 - opens] === 0) opens++;
    let head = (r > 0 ? ',' : '') + '['.repeat(opens) + '[';
    for (let from = r * row, end = from + row; from < end; ) {
      const to = Math.min(end, from + perPiece - pending);
      let text = head;
      head = '';
      for (let i = from; i < to; i++) text += (i > r * row ? ',' : '') + jsonNumber(data[i]);
      parts.push(text);
      pending += to - from;
      from = to;
      if (pending >= perPiece) {
        yield parts.join('');
        parts = [];
        pending = 0;
      }
    }
    // arrays that close after it: the dimensions at their last index, innermost first
    let closes = 0;
    while (closes < index.length && index[index.length - 1 - closes] === outer[outer.length - 1 - closes] - 1) closes++;
    parts.push(']'.repeat(1 + closes));
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < outer[d]) break;
      index[d] = 0;
    }
  }
  if (parts.length) yield parts.join('');
}

/**
 * The base64 text of a tensor's bytes as `dtype` (default float32, read from its own memory; float16:
 * answerBytes' copy) in pieces of `3 × 2^18` bytes (1 MiB of text).
 */
export function* base64Pieces(t: Tensor, bytesPerPiece = 3 << 18, dtype: AnswerDtype = 'float32'): Generator<string> {
  const raw = answerBytes(t, dtype);
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let from = 0; from < bytes.length; from += bytesPerPiece) yield bytes.subarray(from, Math.min(bytes.length, from + bytesPerPiece)).toString('base64');
  if (bytes.length === 0) yield '';
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/**
 * A .npy file as a float32 tensor. With `view`, a caller that owns `bytes` (nobody else reads or
 * transfers its ArrayBuffer) gets little-endian float32 data as a view of them, without a copy.
 */
export function decodeNpy(bytes: Uint8Array, path: string, maxElements: number, opts: { view?: boolean } = {}): Tensor {
  const bad = (why: string) => new ConvlensError('INVALID_TENSOR', `${path}: not a valid .npy file: ${why}`, { path });
  if (bytes.byteLength < 10 || NPY_MAGIC.some((m, i) => bytes[i] !== m)) throw bad('no \\x93NUMPY magic');
  const [major, minor] = [bytes[6], bytes[7]];
  if (major < 1 || major > 3 || minor !== 0) throw bad(`format version ${major}.${minor}; NumPy writes 1.0, 2.0 and 3.0`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = major === 1 ? 10 : 12;
  if (bytes.byteLength < start) throw bad('the header is truncated');
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (start + headerLen > bytes.byteLength) throw bad('the header is truncated');
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + start, headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const parsed = parseNpyHeader(header);
  // a tensor over the element limit is that, whatever else is wrong with its header
  if (parsed.shape && numel(parsed.shape) > maxElements) {
    throw new ConvlensError('TENSOR_TOO_LARGE', `${path}: ${elementCount(numel(parsed.shape))} elements is over the ${maxElements}-element limit`, { path });
  }
  if ('error' in parsed) throw bad(`${parsed.error} (header ${JSON.stringify(header.trim().slice(0, 200))})`);
  const { order, typestr, shape } = parsed;
  if (parsed.fortran) throw bad('Fortran order; save it with np.ascontiguousarray');
  const dtype = dtypeOfNpy(typestr);
  if (!dtype) throw bad(`dtype ${order}${typestr} is not supported (${DTYPE_NAMES.filter((d) => DTYPE_INFO[d].npy).join(', ')})`);
  const size = DTYPE_INFO[dtype].bytes;
  const n = numel(shape);
  if (n > maxElements) throw new ConvlensError('TENSOR_TOO_LARGE', `${path}: ${elementCount(n)} elements is over the ${maxElements}-element limit`, { path });
  const dataStart = start + headerLen;
  const at = bytes.byteOffset + dataStart;
  if (opts.view && dtype === 'float32' && order !== '>' && at % 4 === 0 && (bytes.buffer instanceof ArrayBuffer || bytes.buffer instanceof SharedArrayBuffer) && bytes.byteLength - dataStart >= n * 4) {
    return { shape, data: new Float32Array(bytes.buffer, at, n) };
  }
  const data = decodeToFloat32(dtype, bytes.subarray(dataStart), n, order !== '>');
  if (!data) throw bad(`shape (${shape.join(', ')}) needs ${n * size} data bytes, the file has ${bytes.byteLength - dataStart}`);
  return { shape, data };
}

/** The magic, version and header of a little-endian .npy file of this shape, `<f4` or `<f2` (its data follows, 64-byte aligned). */
export function npyHeader(shape: readonly number[], dtype: AnswerDtype = 'float32'): Buffer {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<${DTYPE_INFO[dtype].npy}', 'fortran_order': False, 'shape': ${dims}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const out = Buffer.alloc(10 + header.length);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  return out;
}

/** A tensor as a .npy file, in its answerDtype (`<f2` for a float16 tensor, else `<f4`). */
export function encodeNpy(t: Tensor): Buffer {
  const dtype = answerDtype(t);
  const header = npyHeader(t.shape, dtype);
  const bytes = answerBytes(t, dtype);
  const out = Buffer.alloc(header.length + bytes.byteLength);
  out.set(header, 0);
  out.set(bytes, header.length);
  return out;
}

/** Moved to tensor/dtype.ts; re-exported for the modules that import it from here. */
export { halfToFloat } from './dtype.js';
