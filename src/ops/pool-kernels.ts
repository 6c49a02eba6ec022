/**
 * The max-pooling kernels of pool.ts: with indices (training, maxUnpool2d, the VJP) and values only
 * (inference: no index bookkeeping, 3×3 windows written out). Same taps, same values.
 */
import { ConvlensError } from '../errors.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import type { AxisGeometry } from './geometry.js';
import { poolPlanesSimd } from './pool-simd.js';

/**
 * PyTorch's max_pool2d: taps at start + t·d inside the input (padding is −∞), NaN wins (the last
 * NaN of the window, as PyTorch's CPU kernel), ties keep the first; indices are flat positions
 * h·W + w in the input plane, as maxUnpool2d reads them (a float32 tensor: exact up to 2^24).
 */
export function maxPoolForward(x: Tensor, geo: AxisGeometry[]): [Tensor, Tensor] {
  const idx = new Float32Array(x.shape[0] * x.shape[1] * geo[0].out * geo[1].out);
  const values = maxPoolArgmax(x, geo, idx);
  return [values, tensor(values.shape, idx)];
}

/**
 * Flat indices into a plane are float32 tensors here (runtime tensors are float32), exact for
 * integers up to 2^24: a plane of more than 2^24 + 1 elements would have indices past it round (an
 * odd one to its even neighbour), silently; PyTorch's are int64. So maxPool2d and adaptive max
 * pooling refuse returnIndices over such a plane, and maxUnpool2d such an output plane, at run
 * time (analysis needs no index values). `plane` is the plane's dims, `path` the attribute or input
 * under the layer (`$.returnIndices`, `$.inputs[1]`: a spec's layer or an operator call places it).
 */
export function refuseInexactIndices(plane: readonly number[], path: string, what: string, over: 'plane' | 'tensor' = 'plane'): void {
  const elements = plane.reduce((a, b) => a * b, 1);
  if (elements - 1 <= 2 ** 24) return;
  const theirs = over === 'plane' ? "PyTorch's are int64" : "ONNX's are int64";
  throw new ConvlensError(
    'UNSUPPORTED_OPERATOR',
    `${what} over a ${plane.join('×')} ${over} (${elements} elements): convlens holds indices as float32, exact only up to 2^24 = 16777216, so flat indices past it would round (${theirs}); ${over}s of at most 2^24 + 1 elements run`,
    { path },
  );
}

/**
 * ONNX MaxPool's Indices count across the whole input (N·C·H·W, row-major: the ONNX operator
 * spec, "the values in indices are in [0, N x C x D1 x ... x Dn)"), PyTorch's within each (n, c)
 * plane: adds each plane's offset (n·C + c)·H·W to its indices, in place.
 */
export function indicesOverTensor(idx: Float32Array, planes: number, outPlane: number, inPlane: number): void {
  for (let p = 0; p < planes; p++) {
    const offset = p * inPlane;
    for (let k = p * outPlane; k < (p + 1) * outPlane; k++) idx[k] += offset;
  }
}

/** maxPoolForward's argmax alone, as the VJP finds it again (Int32Array: exact past 2^24). */
export function maxPoolArgmaxAgain(x: Tensor, geo: AxisGeometry[]): Int32Array {
  const idx = new Int32Array(x.shape[0] * x.shape[1] * geo[0].out * geo[1].out);
  maxPoolArgmax(x, geo, idx);
  return idx;
}

/**
 * maxPoolForward's values, its argmax written into `idx` (the output's length): an Int32Array for
 * the VJP, whose indices stay exact past 2^24 where a float32 one rounds.
 */
export function maxPoolArgmax(x: Tensor, geo: AxisGeometry[], idx: Float32Array | Int32Array): Tensor {
  const [n, c, H, W] = x.shape;
  const [gh, gw] = geo;
  const [OH, OW] = [gh.out, gw.out];
  const out = new Float32Array(n * c * OH * OW);
  const xd = x.data;
  for (let p = 0; p < n * c; p++) {
    const xp = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      let hs = oy * gh.stride - gh.padBegin;
      const he = Math.min(hs + (gh.kernel - 1) * gh.dilation + 1, H);
      while (hs < 0) hs += gh.dilation;
      for (let ox = 0; ox < OW; ox++) {
        let ws = ox * gw.stride - gw.padBegin;
        const we = Math.min(ws + (gw.kernel - 1) * gw.dilation + 1, W);
        while (ws < 0) ws += gw.dilation;
        let best = -Infinity;
        let at = hs * W + ws;
        for (let h = hs; h < he; h += gh.dilation) {
          for (let w = ws; w < we; w += gw.dilation) {
            const v = xd[xp + h * W + w];
            // every NaN takes the window (v > NaN is false after it), so the last NaN is the argmax:
            // PyTorch's (val > maxval || isnan(val)); x [1, NaN, 2, NaN, 0.5, −1] k=[1,6] → index 3
            if (v > best || Number.isNaN(v)) {
              best = v;
              at = h * W + w;
            }
          }
        }
        const o = (p * OH + oy) * OW + ox;
        out[o] = best;
        idx[o] = at;
      }
    }
  }
  return tensor([n, c, OH, OW], out);
}

/**
 * maxPoolForward's values without the indices (inference, the common case): the same taps and
 * the same NaN rule (a NaN, once met, is kept: v > NaN and v ≠ v are both false after it), each
 * window's row bounds hoisted; no index bookkeeping, no Number.isNaN call per tap. A whole 3×3
 * window (ResNet's stem pool, away from the border) compares its nine taps written out.
 */
export function maxPoolValues(x: Tensor, geo: AxisGeometry[]): Tensor {
  const [n, c, H, W] = x.shape;
  const out = new Float32Array(n * c * geo[0].out * geo[1].out);
  maxPoolPlanes(x.data, H, W, geo, out, 0, n * c);
  return tensor([n, c, geo[0].out, geo[1].out], out);
}

/**
 * maxPoolValues of input planes [p0, p1) (image·channel, each H×W in xd) into the same planes of
 * `out` (the whole output): a plane's values depend on that plane alone, so a team splits the
 * planes between threads (runtime/team-kernels.ts) and gets the one-thread bits. In WebAssembly
 * SIMD where the geometry fits (pool-simd.ts: dilation 1, strides 1 and 2; the same values up to a
 * NaN's payload), else maxPoolPlanesJs.
 */
export function maxPoolPlanes(xd: Float32Array, H: number, W: number, geo: AxisGeometry[], out: Float32Array, p0: number, p1: number): void {
  if (!poolPlanesSimd(xd, H, W, geo, out, p0, p1, null)) maxPoolPlanesJs(xd, H, W, geo, out, p0, p1);
}

/** maxPoolPlanes in JavaScript: any geometry; the reference of the SIMD kernel's specs. */
export function maxPoolPlanesJs(xd: Float32Array, H: number, W: number, geo: AxisGeometry[], out: Float32Array, p0: number, p1: number): void {
  const [gh, gw] = geo;
  const [OH, OW] = [gh.out, gw.out];
  const [sy, sx, dy, dx] = [gh.stride, gw.stride, gh.dilation, gw.dilation];
  // per output column, its first tap inside the row and its end (computed once for all rows)
  const wsOf = new Int32Array(OW);
  const weOf = new Int32Array(OW);
  for (let ox = 0; ox < OW; ox++) {
    let ws = ox * sx - gw.padBegin;
    weOf[ox] = Math.min(ws + (gw.kernel - 1) * dx + 1, W);
    while (ws < 0) ws += dx;
    wsOf[ox] = ws;
  }
  // columns whose 3-wide window (dilation 1) lies inside the row
  const full3 = Uint8Array.from(wsOf, (ws, ox) => (gw.kernel === 3 && dx === 1 && ws === ox * sx - gw.padBegin && weOf[ox] - ws === 3 ? 1 : 0));
  let o = p0 * OH * OW;
  for (let p = p0; p < p1; p++) {
    const xp = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      let hs = oy * sy - gh.padBegin;
      const he = Math.min(hs + (gh.kernel - 1) * dy + 1, H);
      while (hs < 0) hs += dy;
      // a whole 3×3 window (dilation 1, inside the map): the nine taps written out, in the same order
      const rows3 = gh.kernel === 3 && dy === 1 && hs === oy * sy - gh.padBegin && he - hs === 3;
      for (let ox = 0; ox < OW; ox++, o++) {
        const ws = wsOf[ox];
        const we = weOf[ox];
        if (rows3 && full3[ox]) {
          const a = xp + hs * W + ws;
          const [b0, c0] = [a + W, a + 2 * W];
          let m = xd[a];
          let v = xd[a + 1];
          if (v > m || v !== v) m = v;
          v = xd[a + 2];
          if (v > m || v !== v) m = v;
          v = xd[b0];
          if (v > m || v !== v) m = v;
          v = xd[b0 + 1];
          if (v > m || v !== v) m = v;
          v = xd[b0 + 2];
          if (v > m || v !== v) m = v;
          v = xd[c0];
          if (v > m || v !== v) m = v;
          v = xd[c0 + 1];
          if (v > m || v !== v) m = v;
          v = xd[c0 + 2];
          if (v > m || v !== v) m = v;
          out[o] = m;
          continue;
        }
        let best = -Infinity;
        for (let h = hs; h < he; h += dy) {
          const row = xp + h * W;
          for (let w = row + ws, end = row + we; w < end; w += dx) {
            const v = xd[w];
            if (v > best || v !== v) best = v;
          }
        }
        out[o] = best;
      }
    }
  }
}

/**
 * PyTorch avg_pool2d's divisor of every output of a plane (OH×OW, the same for every plane):
 * divisorOverride, else the window clipped to the padded input (countIncludePad: ceil mode's
 * overhang past the end padding not counted) or to the input. An empty window (nothing inside the
 * input) gets 1: its sum is 0 and its output 0, as the JS loop's.
 */
export function avgDivisors(geo: AxisGeometry[], countIncludePad: boolean, divisorOverride: number | undefined): Float32Array {
  const [gh, gw] = geo;
  const [H, W, OH, OW] = [gh.in, gw.in, gh.out, gw.out];
  const div = new Float32Array(OH * OW);
  for (let oy = 0; oy < OH; oy++) {
    const hs0 = oy * gh.stride - gh.padBegin;
    const he0 = Math.min(hs0 + gh.kernel, H + gh.padEnd);
    const [hs, he] = [Math.max(hs0, 0), Math.min(he0, H)];
    for (let ox = 0; ox < OW; ox++) {
      const ws0 = ox * gw.stride - gw.padBegin;
      const we0 = Math.min(ws0 + gw.kernel, W + gw.padEnd);
      const [ws, we] = [Math.max(ws0, 0), Math.min(we0, W)];
      const empty = hs >= he || ws >= we;
      div[oy * OW + ox] = empty ? 1 : (divisorOverride ?? (countIncludePad ? (he0 - hs0) * (we0 - ws0) : (he - hs) * (we - ws)));
    }
  }
  return div;
}

/**
 * Average pooling (PyTorch avg_pool2d, dilation 1) of planes [p0, p1) of xd (each H×W) into the
 * same planes of out: in WebAssembly SIMD where the strides fit (pool-simd.ts, the same bits), else
 * avgPoolPlanesJs. `divisors`: avgDivisors.
 */
export function avgPoolPlanes(xd: Float32Array, H: number, W: number, geo: AxisGeometry[], divisors: Float32Array, out: Float32Array, p0: number, p1: number): void {
  if (!poolPlanesSimd(xd, H, W, geo, out, p0, p1, divisors)) avgPoolPlanesJs(xd, H, W, geo, divisors, out, p0, p1);
}

/**
 * avgPoolPlanes in JavaScript: the window clipped to the input for the sum (in double, row-major),
 * then one division by its divisor; an empty window gives 0. Any stride.
 */
export function avgPoolPlanesJs(xd: Float32Array, H: number, W: number, geo: AxisGeometry[], divisors: Float32Array, out: Float32Array, p0: number, p1: number): void {
  const [gh, gw] = geo;
  const [OH, OW] = [gh.out, gw.out];
  for (let p = p0; p < p1; p++) {
    const xp = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const hs0 = oy * gh.stride - gh.padBegin;
      const hs = Math.max(hs0, 0);
      const he = Math.min(hs0 + gh.kernel, H);
      for (let ox = 0; ox < OW; ox++) {
        const ws0 = ox * gw.stride - gw.padBegin;
        const ws = Math.max(ws0, 0);
        const we = Math.min(ws0 + gw.kernel, W);
        const o = (p * OH + oy) * OW + ox;
        if (hs >= he || ws >= we) {
          out[o] = 0;
          continue;
        }
        let sum = 0;
        for (let h = hs; h < he; h++) for (let w = ws; w < we; w++) sum += xd[xp + h * W + w];
        out[o] = sum / divisors[oy * OW + ox];
      }
    }
  }
}

/** Global average pooling of planes [p0, p1) (each `plane` floats of xd) into out[p]: the sum in order, then one division. */
export function planeMeans(xd: Float32Array, plane: number, out: Float32Array, p0: number, p1: number): void {
  for (let p = p0; p < p1; p++) {
    let sum = 0;
    for (let i = p * plane, end = i + plane; i < end; i++) sum += xd[i];
    out[p] = sum / plane;
  }
}
