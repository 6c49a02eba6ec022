/** A one-Conv ONNX model (weights as raw float32 initializers), encoded with the official onnx.proto. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = protobuf.loadSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'schema', 'onnx', 'onnx.proto'));
const Model = root.lookupType('onnx.ModelProto');

const raw = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function convModel(x: number[], w: Float32Array, wShape: number[], bias: Float32Array, group: number, pad: number, stride = 1): Uint8Array {
  const msg = Model.fromObject({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'conv',
      node: [
        {
          opType: 'Conv',
          input: ['x', 'W', 'B'],
          output: ['y'],
          attribute: [
            { name: 'group', type: 2, i: group },
            { name: 'pads', type: 7, ints: [pad, pad, pad, pad] },
            { name: 'strides', type: 7, ints: [stride, stride] },
          ],
        },
      ],
      initializer: [
        { name: 'W', dims: wShape, dataType: 1, rawData: raw(w) },
        { name: 'B', dims: [bias.length], dataType: 1, rawData: raw(bias) },
      ],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: x.map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: 'y' }],
    },
  });
  return Model.encode(msg).finish();
}
