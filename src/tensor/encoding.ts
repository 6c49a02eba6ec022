/**
 * Tensors over the wire: JSON `{ shape, data }` with nested or flat numbers; `{ shape, dtype:
 * "float32", base64 }` (little-endian); and NumPy `.npy` (version 1–3, C order; every NumPy type
 * of tensor/dtype.ts: float16/32/64, int8–64, uint8–64, bool). Everything becomes a float32 tensor.
 */
import { z } from 'zod';
import { ConvlensError } from '../errors.js';
import { DTYPE_INFO, DTYPE_NAMES, decodeToFloat32, dtypeOfNpy } from './dtype.js';
import { numel } from './tensor.js';
import type { Tensor } from './tensor.js';

const Dims = z.array(z.number().int().nonnegative()).max(8);
type Nested = number | Nested[];
const NestedNumbers: z.ZodType<Nested> = z.lazy(() => z.union([z.number(), z.array(NestedNumbers)]));

export const TensorJson = z.union([
  z.strictObject({ shape: Dims, data: NestedNumbers }),
  z.strictObject({ shape: Dims, dtype: z.literal('float32').default('float32'), base64: z.string() }),
]);
export type TensorJson = z.input<typeof TensorJson>;


function flatten(data: Nested, out: number[], path: string): void {
  if (typeof data === 'number') {
    out.push(data);
    return;
  }
  for (const d of data) flatten(d, out, path);
}

export function decodeTensor(raw: unknown, path: string, maxElements: number): Tensor {
  const parsed = TensorJson.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConvlensError('INVALID_TENSOR', `${path}: a tensor is { shape, data } or { shape, dtype: "float32", base64 } (${issue.message})`, { path });
  }
  const t = parsed.data;
  const n = numel(t.shape);
  if (n > maxElements) throw new ConvlensError('TENSOR_TOO_LARGE', `${path}: ${n} elements is over the ${maxElements}-element limit`, { path, shapes: { tensor: t.shape } });
  if ('base64' in t) {
    const bytes = Buffer.from(t.base64, 'base64');
    if (bytes.byteLength !== n * 4) {
      throw new ConvlensError('INVALID_TENSOR', `${path}: shape [${t.shape.join(', ')}] needs ${n * 4} bytes of float32, the base64 holds ${bytes.byteLength}`, { path });
    }
    const data = new Float32Array(n);
    new Uint8Array(data.buffer).set(bytes);
    return { shape: [...t.shape], data };
  }
  const flat: number[] = [];
  flatten(t.data, flat, path);
  if (flat.length !== n) {
    throw new ConvlensError('INVALID_TENSOR', `${path}: shape [${t.shape.join(', ')}] needs ${n} values, got ${flat.length}`, { path, shapes: { tensor: t.shape } });
  }
  return { shape: [...t.shape], data: Float32Array.from(flat) };
}

export interface TensorStats {
  min: number;
  max: number;
  mean: number;
  std: number;
}

export function stats(t: Tensor): TensorStats {
  const d = t.data;
  if (d.length === 0) return { min: 0, max: 0, mean: 0, std: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const mean = sum / d.length;
  let sq = 0;
  for (let i = 0; i < d.length; i++) sq += (d[i] - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(sq / d.length) };
}

function nest(data: Float32Array, shape: readonly number[], offset = 0, dim = 0): Nested {
  if (shape.length === 0) return data[0];
  if (dim === shape.length - 1) return Array.from(data.subarray(offset, offset + shape[dim]));
  const inner = numel(shape.slice(dim + 1));
  return Array.from({ length: shape[dim] }, (_, i) => nest(data, shape, offset + i * inner, dim + 1));
}

/** JSON encodings of a result tensor; `.npy` is written by `encodeNpy`. */
export function encodeTensor(t: Tensor, format: 'json' | 'base64', nested = true): Record<string, unknown> {
  if (format === 'base64') {
    return { shape: t.shape, dtype: 'float32', base64: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64') };
  }
  return { shape: t.shape, data: nested ? nest(t.data, t.shape) : Array.from(t.data) };
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function decodeNpy(bytes: Uint8Array, path: string, maxElements: number): Tensor {
  const bad = (why: string) => new ConvlensError('INVALID_TENSOR', `${path}: not a valid .npy file: ${why}`, { path });
  if (bytes.byteLength < 10 || NPY_MAGIC.some((m, i) => bytes[i] !== m)) throw bad('no \\x93NUMPY magic');
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.byteLength) throw bad('the header is truncated');
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + start, headerLen).toString('latin1');
  const descr = /'descr'\s*:\s*'([<>|=])([a-z]\d)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) throw bad(`unreadable header ${JSON.stringify(header.trim())}`);
  if (fortran[1] === 'True') throw bad('Fortran order; save it with np.ascontiguousarray');
  const dtype = dtypeOfNpy(descr[2]);
  if (!dtype) throw bad(`dtype ${descr[1]}${descr[2]} is not supported (${DTYPE_NAMES.filter((d) => DTYPE_INFO[d].npy).join(', ')})`);
  const size = DTYPE_INFO[dtype].bytes;
  const shape = shapeM[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const n = numel(shape);
  if (n > maxElements) throw new ConvlensError('TENSOR_TOO_LARGE', `${path}: ${n} elements is over the ${maxElements}-element limit`, { path });
  const dataStart = start + headerLen;
  const data = decodeToFloat32(dtype, bytes.subarray(dataStart), n, descr[1] !== '>');
  if (!data) throw bad(`shape (${shape.join(', ')}) needs ${n * size} data bytes, the file has ${bytes.byteLength - dataStart}`);
  return { shape, data };
}

export function encodeNpy(t: Tensor): Buffer {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const out = Buffer.alloc(10 + header.length + t.data.byteLength);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), 10 + header.length);
  return out;
}

/** Moved to tensor/dtype.ts; re-exported for the modules that import it from here. */
export { halfToFloat } from './dtype.js';
