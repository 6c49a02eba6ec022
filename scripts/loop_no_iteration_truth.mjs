#!/usr/bin/env node
/**
 * What ONNX Runtime gives for the Loops of scripts/export_loop_no_iteration.py (M computed from
 * shapes, folding to 0 or −1): each file run by onnxruntime-node, from bench/node_modules (the
 * benchmarks' own dependency), on x = [[0.5, −1, 2], [3, 4, −5]]. Writes
 * test/fixtures/onnx/control/no_iteration_truth.json: per file each output's shape and values.
 * Run: node scripts/loop_no_iteration_truth.mjs
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const DIR = new URL('../test/fixtures/onnx/control/', import.meta.url);
const require = createRequire(new URL('../bench/package.json', import.meta.url));
const ort = require('onnxruntime-node');
const version = require('onnxruntime-node/package.json').version;

const X = [0.5, -1, 2, 3, 4, -5];
const truth = { onnxruntime: version, input: { shape: [2, 3], data: X }, cases: {} };
for (const name of ['loop_shapes_zero', 'loop_shapes_negative', 'loop_shapes_zero_scan', 'loop_const_negative_concat_scan']) {
  const session = await ort.InferenceSession.create(new URL(`${name}.onnx`, DIR).pathname);
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(X), [2, 3]) });
  truth.cases[name] = Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { shape: t.dims.map(Number), data: Array.from(t.data) }]));
}
writeFileSync(new URL('no_iteration_truth.json', DIR), `${JSON.stringify(truth, null, 1)}\n`);
console.log(JSON.stringify(truth));
