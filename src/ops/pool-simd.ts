/**
 * Max and average pooling in WebAssembly SIMD (wasm/pool.wat), for maxPool2d (values only, the
 * inference path) and avgPool2d: the JS loops cost 1.3–2.4 ns per tap (GoogLeNet's and
 * SqueezeNet's 3×3 max pools were 26–32 % of their forward time for 0.4 % of the work).
 *
 * A band of planes (contiguous in x) is copied into the module's memory in one piece and laid out
 * padded there by the module (−∞ borders for max, 0 for avg), covering every window, ceil mode's
 * overhang included: PH = (OH − 1)·sy + kh rows of PW = (OW − 1)·sx + kw floats. Then one uniform
 * kernel computes every output, four adjacent ones a step, and the band's outputs are copied out in
 * one piece. Handled: dilation 1, strides 1 and 2 on each axis, any kernel size, planes of up to
 * MAX_STAGED_PLANE staged floats; otherwise (false) the caller runs its JS loop.
 *
 * Semantics, against the JS loops of pool-kernels.ts:
 *  - max: the JS loop's compare (a tap replaces the max when greater: ties keep the first, −0
 *    before +0 stays −0) and NaN wins as in PyTorch: the JS loop's bits, except that a NaN output
 *    is always the quiet NaN 0x7fc00000 where the JS keeps the NaN tap's payload
 *    (test/ops/pool-simd.test.ts). −∞ borders never beat a tap (every
 *    window holds at least one tap inside the input: checkPoolPadding and ceil mode's rule).
 *  - avg: the taps summed in float64 in row-major order from +0, the border's zeros adding nothing,
 *    then divided in float64 by the divisor PyTorch uses (pool-kernels.ts avgDivisors) and rounded
 *    once to float32: the JS loop's bits exactly.
 * Bands of at most BAND floats staged (unless one plane is larger): the module's memory only grows,
 * and a bound keeps it near L2 size.
 */
import type { AxisGeometry } from './geometry.js';
import { WasmFloats, lazily, wasmInstance } from '../tensor/wasm-memory.js';

type Kernel = (...args: number[]) => void;
/** wasm/pool.wat, instantiated at its first use (tensor/wasm-memory.ts lazily). */
const kernels = lazily(() => {
  const instance = wasmInstance('pool.wasm');
  return {
    mem: new WasmFloats(instance.exports.memory as WebAssembly.Memory),
    maxPlanes: instance.exports.max_planes as Kernel,
    avgPlanes: instance.exports.avg_planes as Kernel,
    stage: instance.exports.stage as Kernel,
  };
});

/** Staged input floats per call (1 MiB; the raw copy about as much), unless one plane is larger. */
const BAND = 1 << 18;
/** Floats after each area: a row's last step reads up to 3·sx + 8 floats past its taps and stores 3 lanes past the row. */
const SLACK = 32;

/**
 * Largest staged plane (floats, 16 MiB): a plane is staged whole, and the module's memory, which
 * only grows, would keep about three times that for the process's life; larger planes run in JS.
 */
export const MAX_STAGED_PLANE = 1 << 22;

/** Whether the SIMD kernel takes this geometry: dilation 1, stride 1 or 2, on both axes, a staged plane of at most MAX_STAGED_PLANE floats. */
export function poolSimdFits(geo: AxisGeometry[]): boolean {
  const staged = geo.reduce((n, g) => n * ((g.out - 1) * g.stride + g.kernel), 1);
  return staged <= MAX_STAGED_PLANE && geo.every((g) => g.dilation === 1 && (g.stride === 1 || g.stride === 2));
}

/**
 * Pools planes [p0, p1) of xd (each H×W) into the same planes of out (each OH×OW), by the SIMD
 * kernel: max (border −∞) or, given the divisor map (OH×OW, same for every plane), avg (border 0).
 * False when the geometry does not fit (poolSimdFits): nothing written.
 */
export function poolPlanesSimd(
  xd: Float32Array, H: number, W: number, geo: AxisGeometry[], out: Float32Array, p0: number, p1: number, divisors: Float32Array | null,
): boolean {
  if (!poolSimdFits(geo) || p1 <= p0) return p1 <= p0;
  const [gh, gw] = geo;
  const [OH, OW, kh, kw, sy, sx] = [gh.out, gw.out, gh.kernel, gw.kernel, gh.stride, gw.stride];
  const PH = (OH - 1) * sy + kh;
  const PW = (OW - 1) * sx + kw;
  const staged = PH * PW;
  const perBand = Math.max(1, Math.min(p1 - p0, Math.floor(BAND / staged)));
  // layout in floats: [divisors | staged band | output band | raw band], each followed by SLACK, 4-aligned
  const align = (n: number) => (n + 3) & ~3;
  const divAt = 0;
  const inAt = divisors ? align(OH * OW + SLACK) : 0;
  const outAt = inAt + align(perBand * staged + SLACK);
  const rawAt = outAt + align(perBand * OH * OW + SLACK);
  const heap = kernels().mem.reserve((rawAt + perBand * H * W + SLACK) * 4);
  // no padding and every input row and column in a window (floor mode, or ceil mode without overhang): the raw planes are the staged ones
  const asIs = gh.padBegin === 0 && gw.padBegin === 0 && PH === H && PW === W;
  if (divisors) heap.set(divisors, divAt);
  const border = divisors ? 0 : -Infinity;
  for (let b0 = p0; b0 < p1; b0 += perBand) {
    const planes = Math.min(perBand, p1 - b0);
    // the band's planes are contiguous in xd: one copy in, padded by the module (a JS loop per row cost more than the kernel)
    heap.set(xd.subarray(b0 * H * W, (b0 + planes) * H * W), rawAt);
    if (!asIs) kernels().stage(rawAt * 4, inAt * 4, planes, H, W, PH, PW, gh.padBegin, gw.padBegin, border);
    const from = (asIs ? rawAt : inAt) * 4;
    if (divisors) kernels().avgPlanes(from, outAt * 4, divAt * 4, planes, PW, PH, OH, OW, kh, kw, sy, sx);
    else kernels().maxPlanes(from, outAt * 4, planes, PW, PH, OH, OW, kh, kw, sy, sx);
    out.set(heap.subarray(outAt, outAt + planes * OH * OW), b0 * OH * OW);
  }
  return true;
}
