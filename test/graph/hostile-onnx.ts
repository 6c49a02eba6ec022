/**
 * ONNX files an attacker sends (graph/onnx/census.ts): resnet18.onnx's graph with entries appended
 * that cost little on the wire and much once decoded. They decode, and analyse as the fixture does.
 */
import { readFileSync } from 'node:fs';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}`, import.meta.url)));

/** protobuf varint */
export const varint = (v: number): number[] => {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  return [...out, v];
};

/** resnet18.onnx with `extra` (whole GraphProto fields) appended to its graph (field 7); its other model fields as they are. */
export function withGraphEntries(extra: Uint8Array): Uint8Array {
  const bytes = fixture('resnet18.onnx');
  const chunks: Uint8Array[] = [];
  let pos = 0;
  const read = () => {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[pos++];
      v += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return v;
    }
  };
  while (pos < bytes.length) {
    const start = pos;
    const tag = read();
    const wire = tag % 8;
    if (wire === 0) read();
    else if (wire === 2) {
      const len = read();
      if (tag >> 3 === 7) {
        chunks.push(new Uint8Array([...varint(7 * 8 + 2), ...varint(len + extra.length)]), bytes.subarray(pos, pos + len), extra);
        pos += len;
        continue;
      }
      pos += len;
    } else throw new Error(`wire type ${wire} in the fixture`);
    chunks.push(bytes.subarray(start, pos));
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) (out.set(c, at), (at += c.length));
  return out;
}

/** `empties` empty initializers appended (each 2 bytes: tag 0x2a, length 0): 10^6 of them, 2 MB, decoded to 383 MB in 3 s. */
export function withEmptyInitializers(empties: number): Uint8Array {
  const extra = new Uint8Array(2 * empties);
  for (let i = 0; i < extra.length; i += 2) extra[i] = 0x2a;
  return withGraphEntries(extra);
}

/**
 * One int64 initializer `big` of `count` ones appended, its int64_data packed (a byte each): one
 * tensor, so almost no work, but each element a Long object once decoded (8·10^6: 467 MB).
 */
export function withInt64Initializer(count: number): Uint8Array {
  const name = [...new TextEncoder().encode('big')];
  // TensorProto: dims 1 (packed), data_type 2 = INT64 (7), int64_data 7 (packed), name 8
  const head = [...[0x0a, ...varint(varint(count).length), ...varint(count)], 0x10, 7, 0x42, name.length, ...name, 0x3a, ...varint(count)];
  const tensor = new Uint8Array(head.length + count);
  tensor.set(head);
  tensor.fill(1, head.length);
  const field = [0x2a, ...varint(tensor.length)];
  const extra = new Uint8Array(field.length + tensor.length);
  extra.set(field);
  extra.set(tensor, field.length);
  return withGraphEntries(extra);
}
