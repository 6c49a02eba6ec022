#!/usr/bin/env node
/**
 * Checks the ONNX MaxUnpool fixtures (scripts/export_maxunpool_onnx.py) against onnxruntime-node,
 * from bench/node_modules (the benchmarks' own dependency): each maxunpool_{1d,2d,3d}_op{13,17}.onnx
 * run on its JSON's input must give PyTorch's unpooled output (both MaxUnpools, "u" and "u_const")
 * and plane indices bit for bit. Then the asymmetric-pads fixtures (scripts/export_maxunpool_asym_onnx.py):
 * each maxunpool_asym_{1d,2d,3d}_op17.onnx and maxunpool_asym_2d_op22.onnx must give PyTorch's pooled
 * values, whole-tensor Indices and unpooled output ("u_shape", and "u" where the model has it).
 * Prints one line per model; exits 1 on a difference.
 * Run: node scripts/maxunpool_ort_check.mjs
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const DIR = new URL('../test/fixtures/onnx-nd/', import.meta.url);
const require = createRequire(new URL('../bench/package.json', import.meta.url));
const ort = require('onnxruntime-node');
const version = require('onnxruntime-node/package.json').version;

let failed = false;
for (const rank of [1, 2, 3]) {
  for (const opset of [13, 17]) {
    const name = `maxunpool_${rank}d_op${opset}`;
    const g = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8'));
    const session = await ort.InferenceSession.create(new URL(`${name}.onnx`, DIR).pathname);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(g.input.data), g.input.shape) });
    const want = Float32Array.from(g.unpooled.data);
    const same = (t) => t.data.length === want.length && t.data.every((v, i) => v === want[i]);
    const ok = same(out.u) && same(out.u_const) && Array.from(out.indices.data, Number).every((v, i) => v === g.indices[i]);
    failed ||= !ok;
    console.log(`${name}: onnxruntime ${version} ${ok ? "equals PyTorch's" : "DIFFERS from PyTorch's"} output [${out.u.dims.join(', ')}]`);
  }
}
for (const name of ['maxunpool_asym_1d_op17', 'maxunpool_asym_2d_op17', 'maxunpool_asym_2d_op22', 'maxunpool_asym_3d_op17']) {
  const g = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8'));
  const session = await ort.InferenceSession.create(new URL(`${name}.onnx`, DIR).pathname);
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(g.input.data), g.input.shape) });
  const equal = (t, want) => t.data.length === want.length && Array.from(t.data, Number).every((v, i) => v === want[i]);
  const unpooled = Float32Array.from(g.unpooled.data);
  const checks = {
    y: equal(out.y, Float32Array.from(g.values.data)),
    indices: equal(out.indices, g.indices),
    u_shape: equal(out.u_shape, unpooled) && out.u_shape.dims.join() === g.unpooled.shape.join(),
    ...(g.withDefault && { u: equal(out.u, unpooled) && out.u.dims.join() === g.unpooled.shape.join() }),
  };
  const bad = Object.keys(checks).filter((k) => !checks[k]);
  failed ||= bad.length > 0;
  console.log(`${name} (pads [${g.pads.join(', ')}]): onnxruntime ${version} ${bad.length ? `DIFFERS from PyTorch's at ${bad.join(', ')}` : `equals PyTorch's ${Object.keys(checks).join(', ')}`} [${out.u_shape.dims.join(', ')}]`);
}
process.exit(failed ? 1 : 0);
