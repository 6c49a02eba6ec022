#!/usr/bin/env node
/**
 * Expected outputs of the ConvTranspose fixtures (scripts/export_conv_transpose_onnx.py writes the
 * graphs and inputs.json): each graph run by onnxruntime-node, from bench/node_modules (the
 * benchmarks' own dependency). Writes test/fixtures/onnx/conv-transpose/truth.json: per case the
 * input, onnxruntime's output, and its largest difference from the spec's formula worked with
 * PyTorch (`reference`, from inputs.json). Run: node scripts/conv_transpose_goldens.mjs
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const DIR = new URL('../test/fixtures/onnx/conv-transpose/', import.meta.url);
const require = createRequire(new URL('../bench/package.json', import.meta.url));
const ort = require('onnxruntime-node');
const version = require('onnxruntime-node/package.json').version;

const cases = JSON.parse(readFileSync(new URL('inputs.json', DIR), 'utf8'));
const truth = { onnxruntime: version, cases: {} };
for (const [name, c] of Object.entries(cases)) {
  const session = await ort.InferenceSession.create(new URL(`${name}.onnx`, DIR).pathname);
  const { Y } = await session.run({ X: new ort.Tensor('float32', Float32Array.from(c.input.data), c.input.shape) });
  const output = { shape: [...Y.dims], data: Array.from(Y.data) };
  const agree = output.shape.join() === c.reference.shape.join() ? Math.max(...output.data.map((v, i) => Math.abs(v - c.reference.data[i]))) : Infinity;
  truth.cases[name] = { attrs: c.attrs, input: c.input, output, referenceDifference: agree };
  console.log(name, Y.dims.join('×'), 'onnxruntime − reference:', agree);
}
writeFileSync(new URL('truth.json', DIR), JSON.stringify(truth));
rmSync(new URL('inputs.json', DIR));
