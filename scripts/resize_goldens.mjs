#!/usr/bin/env node
/**
 * Expected outputs of the Resize fixtures (scripts/export_resize_fixtures.py writes the graphs and
 * inputs.json): each graph run by onnxruntime-node, from bench/node_modules (the benchmarks' own
 * dependency; onnxruntime implements Resize-10 to -19 fully, antialias and keep_aspect_ratio_policy
 * since 1.14, half_pixel_symmetric since 1.16). Writes test/fixtures/onnx/resize/truth.json: per case
 * the input, onnxruntime's output, the NumPy port of onnx's reference (`reference`, from inputs.json)
 * and the largest difference between the two. A graph onnxruntime refuses (its linear and cubic
 * resample only some axes: cubic in 2-D, nothing across batch or channels) has `output` null and
 * its reason in `onnxruntimeRefuses`: the reference is then the truth. Run: node scripts/resize_goldens.mjs
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const DIR = new URL('../test/fixtures/onnx/resize/', import.meta.url);
const require = createRequire(new URL('../bench/package.json', import.meta.url));
const ort = require('onnxruntime-node');
const version = require('onnxruntime-node/package.json').version;

const { cases } = JSON.parse(readFileSync(new URL('inputs.json', DIR), 'utf8'));
const truth = { onnxruntime: version, cases: {} };
for (const [name, c] of Object.entries(cases)) {
  let Y;
  try {
    const session = await ort.InferenceSession.create(new URL(`${name}.onnx`, DIR).pathname);
    const x = new ort.Tensor('float32', Float32Array.from(c.input.data), c.input.shape);
    ({ Y } = await session.run({ X: x }));
  } catch (e) {
    // at load (scales) or at the run (sizes): its own words, one line
    const m = String(e.message).replace(/\s+/g, ' ');
    const reason = m.match(/'(Linear|Cubic)' mode only supports.*?in the Resize operator/)?.[0] ?? m;
    truth.cases[name] = { ...c, output: null, onnxruntimeRefuses: reason };
    console.log(name, 'onnxruntime refuses:', reason);
    continue;
  }
  // float32 values written exactly (shortest repr of the float32)
  const output = { shape: [...Y.dims], data: Array.from(Y.data) };
  const agree = output.shape.join() === c.reference.shape.join() ? Math.max(...output.data.map((v, i) => Math.abs(v - c.reference.data[i]))) : Infinity;
  truth.cases[name] = { ...c, output, referenceDifference: agree };
  console.log(name, Y.dims.join('×'), 'onnxruntime − reference:', agree);
}
writeFileSync(new URL('truth.json', DIR), JSON.stringify(truth) + '\n');
// inputs.json is only the hand-over from the Python step: truth.json holds all of it
rmSync(new URL('inputs.json', DIR));
