/**
 * Pooling kernels, ns per tap (issue 12: pooling is not the bottleneck of any zoo network): the
 * WebAssembly SIMD kernel (ops/pool-simd.ts, wasm/pool.wat, staging and copy-out included) against
 * the JavaScript loops it replaces (pool-kernels.ts maxPoolPlanesJs, avgPoolPlanesJs), on the zoo's
 * pooling layers: GoogLeNet's and SqueezeNet's 3×3 stride 2 ceil-mode and 3×3 stride 1 padding 1
 * max pools, ResNet's stem pool, Inception-v3's 3×3 stride 1 padding 1 average pools. Inputs are
 * uniform in [−1, 1) (random signs: the JS compares mispredict about as on activations after a
 * conv). One thread; a tap is one input value read by one window (outputs × kh·kw).
 *
 *   node --import tsx bench/pool.ts        (alone; also `npm run bench -- pool`)
 */
import { fileURLToPath } from 'node:url';
import type { AxisGeometry } from '../src/ops/geometry.js';
import { avgDivisors, avgPoolPlanes, avgPoolPlanesJs, maxPoolPlanes, maxPoolPlanesJs } from '../src/ops/pool-kernels.js';
import { rng } from '../src/tensor/random.js';
import { record, say, time } from './records.js';

/** One axis of a square pool, as windowGeometry gives it (ceil mode: the last window starts inside the input or the left padding). */
function axis(size: number, k: number, s: number, p: number, ceilMode: boolean): AxisGeometry {
  let out = (ceilMode ? Math.ceil : Math.floor)((size + 2 * p - k) / s) + 1;
  if (ceilMode && (out - 1) * s >= size + p) out--;
  return { in: size, kernel: k, stride: s, dilation: 1, effKernel: k, padBegin: p, padEnd: p, out };
}

/** [name, channels, size, kernel, stride, padding, ceilMode, average]. */
const LAYERS: [string, number, number, number, number, number, boolean, boolean][] = [
  ['GoogLeNet maxpool1 64×112² 3×3/2 ceil', 64, 112, 3, 2, 0, true, false],
  ['GoogLeNet 3a branch 192×28² 3×3/1 p1', 192, 28, 3, 1, 1, false, false],
  ['GoogLeNet 4b branch 512×14² 3×3/1 p1', 512, 14, 3, 1, 1, false, false],
  ['SqueezeNet maxpool 64×111² 3×3/2 ceil', 64, 111, 3, 2, 0, true, false],
  ['ResNet stem 64×112² 3×3/2 p1', 64, 112, 3, 2, 1, false, false],
  ['Inception-v3 5b avg 192×35² 3×3/1 p1', 192, 35, 3, 1, 1, false, true],
  ['Inception-v3 6b avg 768×17² 3×3/1 p1', 768, 17, 3, 1, 1, false, true],
];

export async function poolBench(): Promise<void> {
  say('\n## Pooling kernels: ns per tap, WebAssembly SIMD against the JS loops (one thread)');
  const r = rng(12);
  for (const [name, C, S, k, s, p, ceilMode, avg] of LAYERS) {
    const geo = [axis(S, k, s, p, ceilMode), axis(S, k, s, p, ceilMode)];
    const x = Float32Array.from({ length: C * S * S }, () => r() * 2 - 1);
    const out = new Float32Array(C * geo[0].out * geo[1].out);
    const taps = out.length * k * k;
    const div = avgDivisors(geo, true, undefined);
    const [simd, js] = avg
      ? [() => avgPoolPlanes(x, S, S, geo, div, out, 0, C), () => avgPoolPlanesJs(x, S, S, geo, div, out, 0, C)]
      : [() => maxPoolPlanes(x, S, S, geo, out, 0, C), () => maxPoolPlanesJs(x, S, S, geo, out, 0, C)];
    const tSimd = await time(simd, 0.5, 0.3);
    const tJs = await time(js, 0.5, 0.3);
    const ns = (t: number) => ((t * 1e9) / taps).toFixed(3);
    say(`${name.padEnd(40)} SIMD ${(tSimd * 1e3).toFixed(2).padStart(6)} ms ${ns(tSimd)} ns/tap   JS ${(tJs * 1e3).toFixed(2).padStart(6)} ms ${ns(tJs)} ns/tap   ${(tJs / tSimd).toFixed(1)}×`);
    record({ bench: 'pool', name, unit: 'ms', higherIsBetter: false, convlens: tSimd * 1e3, peers: { js: tJs * 1e3 }, against: 'js', extra: { taps } });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await poolBench();
