/** Tensors in requests and responses: the encoding a client used is the one it gets back, unless it asks. */
import type { FastifyReply } from 'fastify';
import { ConvlensError } from '../errors.js';
import { decodeNpy, decodeTensor, encodeNpy, encodeTensor, stats } from '../tensor/encoding.js';
import type { Tensor } from '../tensor/tensor.js';

export type Encoding = 'json' | 'flat' | 'base64' | 'npy';
export const ENCODINGS: Encoding[] = ['json', 'flat', 'base64', 'npy'];

export function encodingOf(raw: unknown): Encoding {
  if (raw && typeof raw === 'object' && 'base64' in raw) return 'base64';
  const data = (raw as { data?: unknown } | null)?.data;
  const shape = (raw as { shape?: unknown[] } | null)?.shape;
  return Array.isArray(data) && data.length > 0 && !Array.isArray(data[0]) && Array.isArray(shape) && shape.length > 1 ? 'flat' : 'json';
}

export function tensorIn(raw: unknown, path: string, max: number): { tensor: Tensor; encoding: Encoding } {
  return { tensor: decodeTensor(raw, path, max), encoding: encodingOf(raw) };
}

export function npyIn(bytes: Uint8Array, path: string, max: number): { tensor: Tensor; encoding: Encoding } {
  return { tensor: decodeNpy(bytes, path, max), encoding: 'npy' };
}

export function chooseEncoding(asked: unknown, fallback: Encoding): Encoding {
  if (asked === undefined || asked === null) return fallback;
  if (typeof asked !== 'string' || !ENCODINGS.includes(asked as Encoding)) {
    throw new ConvlensError('INVALID_OPTION', `format must be one of ${ENCODINGS.join(', ')}, got ${JSON.stringify(asked)}`, { path: '$.format' });
  }
  return asked as Encoding;
}

/** A tensor for a JSON response (npy falls back to base64 inside JSON), with summary statistics. */
export function tensorOut(t: Tensor, encoding: Encoding): Record<string, unknown> {
  const body = encoding === 'base64' || encoding === 'npy' ? encodeTensor(t, 'base64') : encodeTensor(t, 'json', encoding === 'json');
  return { ...body, stats: stats(t) };
}

/** A single tensor answered as a .npy file when that is the encoding, else null. */
export function sendNpy(reply: FastifyReply, tensors: Tensor[], encoding: Encoding): FastifyReply | null {
  if (encoding !== 'npy' || tensors.length !== 1) return null;
  const s = stats(tensors[0]);
  return reply
    .header('content-type', 'application/x-npy')
    .header('x-tensor-shape', tensors[0].shape.join(','))
    .header('x-tensor-stats', JSON.stringify(s))
    .send(encodeNpy(tensors[0]));
}
