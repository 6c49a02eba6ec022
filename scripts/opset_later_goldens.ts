#!/usr/bin/env -S npx tsx
/**
 * Fixtures of ai.onnx opsets after 21 (src/graph/onnx/opsets.ts) and their expected outputs from
 * onnxruntime-node (bench/node_modules, the benchmarks' own dependency): each model is written with
 * protobufjs and the official onnx.proto (test/graph/onnx-builder.ts; Python's onnx 1.12 knows opsets
 * to 17 only), run by onnxruntime, and its input and output kept in truth.json beside it. Inputs are
 * a fixed LCG's, so a rerun writes the same files. Run: npx tsx scripts/opset_later_goldens.ts
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { onnxModel } from '../test/graph/onnx-builder.js';
import type { InitSpec, NodeSpec } from '../test/graph/onnx-builder.js';

const DIR = new URL('../test/fixtures/onnx-opset-later/', import.meta.url);
const require = createRequire(new URL('../bench/package.json', import.meta.url));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ort = require('onnxruntime-node');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const version: string = require('onnxruntime-node/package.json').version;

let state = 12345;
/** Values in [−2, 2), 1/64 apart (exact in float32). */
const values = (n: number) =>
  Array.from({ length: n }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return Math.floor((state / 2147483648) * 256) / 64 - 2;
  });
/** The RotaryEmbedding caches' values, from an LCG of their own (the cases before keep theirs). */
let ropeState = 777;
const ropeValues = (n: number) =>
  Array.from({ length: n }, () => {
    ropeState = (ropeState * 1103515245 + 12345) % 2147483648;
    return Math.floor((ropeState / 2147483648) * 128) / 64 - 1;
  });
const numel = (s: number[]) => s.reduce((p, d) => p * d, 1);

interface Case {
  opset: number;
  input: number[];
  /** One node, x → y; or `nodes`, a chain from x to y. */
  node?: NodeSpec;
  nodes?: NodeSpec[];
  initializers?: InitSpec[];
}
const CASES: Record<string, Case> = {
  // RMSNormalization-23: axis −1, epsilon 1e-5 by default; scale [8]
  rms_norm_last: { opset: 23, input: [2, 3, 8], node: { op: 'RMSNormalization', inputs: ['x', 'scale'], outputs: ['y'], name: 'rms' }, initializers: [{ name: 'scale', dims: [8], data: values(8) }] },
  // over [1, rank) of an NCHW map: a row is a sample's C·H·W values; scale [C, H, W]; epsilon 0.5 (it shows)
  rms_norm_axis1: {
    opset: 23,
    input: [2, 4, 3, 3],
    node: { op: 'RMSNormalization', inputs: ['x', 'scale'], outputs: ['y'], name: 'rms', attrs: { axis: { i: 1 }, epsilon: { f: 0.5 } } },
    initializers: [{ name: 'scale', dims: [4, 3, 3], data: values(36) }],
  },
  // Swish-24: x·sigmoid(alpha·x), alpha 1 by default
  swish: { opset: 24, input: [2, 3, 5], node: { op: 'Swish', inputs: ['x'], outputs: ['y'], name: 'swish' } },
  // MaxPool-22 / AveragePool-22: a window that would start in the right padding is dropped (5 + 1 + 1 with k 2, s 2, ceil: 3 windows, not 4)
  max_pool_ceil: { opset: 22, input: [1, 1, 5, 5], node: { op: 'MaxPool', inputs: ['x'], outputs: ['y'], name: 'pool', attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] }, ceil_mode: { i: 1 } } } },
  avg_pool_ceil: {
    opset: 22,
    input: [1, 1, 5, 5],
    node: { op: 'AveragePool', inputs: ['x'], outputs: ['y'], name: 'pool', attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] }, ceil_mode: { i: 1 } } },
  },
  // (DequantizeLinear-23's output_dtype is not here: onnxruntime 1.30 fails on it, "Tensor type mismatch"
  // writing a FLOAT16 output for a FLOAT scale; test/graph/onnx-opset-later.test.ts works it by hand)
  // QuantizeLinear-23's precision FLOAT (the division's type; the scale FLOAT too), dequantized back
  quantize_precision_float: {
    opset: 23,
    input: [2, 6],
    nodes: [
      { op: 'QuantizeLinear', inputs: ['x', 's', 'zp'], outputs: ['q'], name: 'q', attrs: { precision: { i: 1 } } },
      { op: 'DequantizeLinear', inputs: ['q', 's', 'zp'], outputs: ['y'], name: 'dq' },
    ],
    initializers: [
      { name: 's', dims: [], data: [0.03] },
      { name: 'zp', dims: [], data: [128], type: 'uint8' },
    ],
  },
  // RotaryEmbedding-23, x (B, H, S, D) = (1, 2, 3, 8), caches (B, S, 4): full rotation, halves
  rotary_4d: {
    opset: 23,
    input: [1, 2, 3, 8],
    node: { op: 'RotaryEmbedding', inputs: ['x', 'cos', 'sin'], outputs: ['y'], name: 'rope' },
    initializers: [
      { name: 'cos', dims: [1, 3, 4], data: ropeValues(12) },
      { name: 'sin', dims: [1, 3, 4], data: ropeValues(12) },
    ],
  },
  // x (B, S, H·D) = (2, 3, 2·8) with num_heads 2, rotary_embedding_dim 4 (the rest passes), interleaved, caches (P, 2) by position_ids
  rotary_3d_positions_interleaved: {
    opset: 23,
    input: [2, 3, 16],
    node: {
      op: 'RotaryEmbedding',
      inputs: ['x', 'cos', 'sin', 'pos'],
      outputs: ['y'],
      name: 'rope',
      attrs: { num_heads: { i: 2 }, rotary_embedding_dim: { i: 4 }, interleaved: { i: 1 } },
    },
    initializers: [
      { name: 'cos', dims: [5, 2], data: ropeValues(10) },
      { name: 'sin', dims: [5, 2], data: ropeValues(10) },
      { name: 'pos', dims: [2, 3], data: [0, 1, 2, 4, 3, 0], type: 'int64' },
    ],
  },
  // Attention-23, 4-D: q from x (1, 4, 5, 8) with 4 heads, k and v constants with 2 heads (grouped-query), 6 keys, Dv 4
  attention_4d_gqa: {
    opset: 23,
    input: [1, 4, 5, 8],
    node: { op: 'Attention', inputs: ['x', 'k', 'v'], outputs: ['y'], name: 'attn' },
    initializers: [
      { name: 'k', dims: [1, 2, 6, 8], data: ropeValues(96) },
      { name: 'v', dims: [1, 2, 6, 4], data: ropeValues(48) },
    ],
  },
  // Attention-24, 3-D self-attention (q = k = v = x (2, 5, 12), 3 heads of 4), causal, scale 0.3
  attention_3d_causal: {
    opset: 24,
    input: [2, 5, 12],
    node: { op: 'Attention', inputs: ['x', 'x', 'x'], outputs: ['y'], name: 'attn', attrs: { q_num_heads: { i: 3 }, kv_num_heads: { i: 3 }, is_causal: { i: 1 }, scale: { f: 0.3 } } },
  },
  // Attention-23 with a float attn_mask (Sq, Sk) added to every batch's and head's scores, q = k = v = x (1, 2, 3, 4)
  attention_float_mask: {
    opset: 23,
    input: [1, 2, 3, 4],
    node: { op: 'Attention', inputs: ['x', 'x', 'x', 'mask'], outputs: ['y'], name: 'attn' },
    initializers: [{ name: 'mask', dims: [3, 3], data: [0, -1, -2, 0.5, 0, -1e9, -3, 1, 0] }],
  },
  // a boolean attn_mask (B, 1, Sq, Sk) hiding keys per query, with is_causal too (their conjunction)
  attention_bool_mask_causal: {
    opset: 24,
    input: [2, 2, 3, 4],
    node: { op: 'Attention', inputs: ['x', 'x', 'x', 'mask'], outputs: ['y'], name: 'attn', attrs: { is_causal: { i: 1 } } },
    initializers: [{ name: 'mask', dims: [2, 1, 3, 3], data: [1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0], type: 'bool' }],
  },
};

const truth: { onnxruntime: string; cases: Record<string, { opset: number; input: { shape: number[]; data: number[] }; output: { shape: number[]; data: number[] } }> } = { onnxruntime: version, cases: {} };
for (const [name, c] of Object.entries(CASES)) {
  const bytes = onnxModel({ inputs: [{ name: 'x', shape: c.input }], outputs: ['y'], nodes: c.nodes ?? [c.node!], initializers: c.initializers, opset: c.opset });
  writeFileSync(new URL(`${name}.onnx`, DIR), bytes);
  const input = { shape: c.input, data: values(numel(c.input)) };
  const session = await ort.InferenceSession.create(Buffer.from(bytes));
  const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.from(input.data), input.shape) });
  truth.cases[name] = { opset: c.opset, input, output: { shape: [...y.dims], data: Array.from(y.data as Float32Array) } };
  console.log(name, `opset ${c.opset}`, y.dims.join('×'));
}
writeFileSync(new URL('truth.json', DIR), JSON.stringify(truth));
