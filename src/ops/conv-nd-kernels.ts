/**
 * Kernels of the 1-D/3-D convolutions (conv-nd.ts, conv-transpose-nd.ts), in one module because
 * each is the other's input gradient. Both run as 3-axis windows (geometry-nd.ts asThreeAxes).
 */
import type { AxisGeometry } from './geometry.js';
import { asThreeAxes, product } from './geometry-nd.js';
import { ConvlensError } from '../errors.js';
import { addBias } from './kernels.js';
import { stageConv, stagesWhole } from './conv-im2col.js';
import { gemm, gemmTiles } from './gemm-tiles.js';
import { gemmPacked, packA } from '../tensor/gemm.js';

/** Batch, channels, groups and per-axis geometry; for a transposed conv, cin/cout are its own (weight [cin, cout/g, …K]). */
export interface ConvNdPlan {
  n: number;
  cin: number;
  cout: number;
  groups: number;
  /** One entry per spatial axis (1 or 3). */
  geo: AxisGeometry[];
}

/** Floats of one im2col chunk (16 MiB): K rows × as many output positions as fit. */
const COLUMN_SCRATCH = 1 << 22;

/** The im2col chunk convNdForward allocates besides its output, [K, positions] (ops/conv-nd.ts declares it an intermediate: a run's charge counts it). */
export function columnChunk(p: ConvNdPlan): [number, number] {
  const plane = product(p.geo.map((g) => g.out));
  const K = (p.cin / p.groups) * product(p.geo.map((g) => g.kernel));
  return [K, Math.max(1, Math.min(plane, Math.floor(COLUMN_SCRATCH / K)))];
}

/**
 * im2col of output positions [p0, p0 + cols) of one image and group: row r = (c·KT + u)·KH·KW +
 * v·KW + w holds x[c, ot·st − pt + u·dt, oh·sh − ph + v·dh, ow·sw − pw + w·dw] (0 outside). Each
 * row is written one output row (fixed ot, oh) at a time, so the t/h bounds are checked per
 * segment and only the w index per element.
 */
function im2col(x: Float32Array, xOff: number, cinG: number, geo: readonly AxisGeometry[], p0: number, cols: number, B: Float32Array): void {
  const [gt, gh, gw] = asThreeAxes(geo);
  const [T, H, W] = [gt.in, gh.in, gw.in];
  const [OH, OW] = [gh.out, gw.out];
  let r = 0;
  for (let c = 0; c < cinG; c++) {
    const xc = xOff + c * T * H * W;
    for (let u = 0; u < gt.kernel; u++) {
      const dt = u * gt.dilation - gt.padBegin;
      for (let v = 0; v < gh.kernel; v++) {
        const dh = v * gh.dilation - gh.padBegin;
        for (let w = 0; w < gw.kernel; w++, r++) {
          const dw = w * gw.dilation - gw.padBegin;
          let dst = r * cols;
          let pos = p0;
          const end = p0 + cols;
          let ow = pos % OW;
          let oh = Math.floor(pos / OW) % OH;
          let ot = Math.floor(pos / (OW * OH));
          while (pos < end) {
            const n = Math.min(OW - ow, end - pos);
            const it = ot * gt.stride + dt;
            const ih = oh * gh.stride + dh;
            if (it >= 0 && it < T && ih >= 0 && ih < H) {
              const row = xc + (it * H + ih) * W;
              for (let j = 0, ix = ow * gw.stride + dw; j < n; j++, ix += gw.stride) B[dst + j] = ix >= 0 && ix < W ? x[row + ix] : 0;
            } else B.fill(0, dst, dst + n);
            dst += n;
            pos += n;
            ow = 0;
            if (++oh === OH) {
              oh = 0;
              ot++;
            }
          }
        }
      }
    }
  }
}

/** Whether convNdForward takes the staged path (the weight one GEMM tile, the staging within KERNEL_SCRATCH): no im2col chunk then. */
export function convNdStages(p: ConvNdPlan): boolean {
  const [gt, gh, gw] = asThreeAxes(p.geo);
  const planes = (p.cin / p.groups) * gt.kernel;
  const { mc, kc } = gemmTiles(p.cout / p.groups, planes * gh.kernel * gw.kernel);
  return mc === p.cout / p.groups && kc === planes * gh.kernel * gw.kernel && stagesWhole(planes, [gh, gw]);
}

/**
 * The conv as 2-D convs in WebAssembly (ops/conv-im2col.ts), one output depth slice at a time: for
 * output slice ot, the cin·KT input planes its taps read (x[c, ot·st − pt + u·dt], zeros outside)
 * are staged as the channels of a 2-D conv, whose im2col rows ((c·KT + u)·KH + v)·KW + w are the
 * weight's own [Cout, Cin/g, KT, KH, KW] order, so the packed weight serves every slice. About
 * 6× less time than the JavaScript im2col below, which took four fifths of a 3×3×3 conv of 32
 * channels at 16³ (2026-12-05). False (nothing written) where the staging does not fit or
 * the weight needs tiles; the sums start from the bias (as the 2-D conv's staged path).
 */
function convNdStaged(x: Float32Array, weight: Float32Array, bias: Float32Array | undefined, p: ConvNdPlan, out: Float32Array): boolean {
  if (!convNdStages(p)) return false;
  const [gt, gh, gw] = asThreeAxes(p.geo);
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const planes = cinG * gt.kernel;
  const K = planes * gh.kernel * gw.kernel;
  const xPlane = gh.in * gw.in;
  const slice = gh.out * gw.out;
  const plane = gt.out * slice;
  for (let g = 0; g < p.groups; g++) {
    const Ap = packA(coutG, K, weight, g * coutG * K, K);
    const staged = stageConv(planes, [gh, gw], Ap);
    // the same test as convNdStages's: unreachable
    if (!staged) throw new ConvlensError('INTERNAL', 'conv staging refused a conv convNdStages admitted');
    const fill = staged.fill(0);
    for (let b = 0; b < p.n; b++) {
      const xOff = (b * p.cin + g * cinG) * gt.in * xPlane;
      for (let ot = 0; ot < gt.out; ot++) {
        const t0 = ot * gt.stride - gt.padBegin;
        staged.loadPlanes(x, (q) => {
          const it = t0 + (q % gt.kernel) * gt.dilation;
          return it >= 0 && it < gt.in ? xOff + (Math.floor(q / gt.kernel) * gt.in + it) * xPlane : -1;
        });
        gemmPacked(slice, Ap, fill, out, (b * p.cout + g * coutG) * plane + ot * slice, plane, false, bias, g * coutG);
      }
    }
  }
  return true;
}

/** Convolution of x [N, Cin, …] by weight [Cout, Cin/g, …K] with a resolved plan. */
export function convNdForward(x: Float32Array, weight: Float32Array, bias: Float32Array | undefined, p: ConvNdPlan): Float32Array {
  const plane = product(p.geo.map((g) => g.out));
  const xPlane = product(p.geo.map((g) => g.in));
  const out = new Float32Array(p.n * p.cout * plane);
  if (convNdStaged(x, weight, bias, p, out)) return out;
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const [K, chunk] = columnChunk(p);
  const B = new Float32Array(K * chunk);
  for (let b = 0; b < p.n; b++) {
    for (let g = 0; g < p.groups; g++) {
      const xOff = (b * p.cin + g * cinG) * xPlane;
      const outOff = (b * p.cout + g * coutG) * plane;
      for (let p0 = 0; p0 < plane; p0 += chunk) {
        const cols = Math.min(chunk, plane - p0);
        im2col(x, xOff, cinG, p.geo, p0, cols, B);
        gemm(coutG, cols, K, weight, g * coutG * K, K, B, 0, cols, out, outOff + p0, plane, false);
      }
    }
  }
  addBias(out, bias, p.n, p.cout, plane);
  return out;
}

/** First and one-past-last input index i with 0 ≤ i·s + offset < out (offset = tap·d − pb). */
function inputRange(g: AxisGeometry, offset: number): [number, number] {
  const lo = Math.max(0, Math.ceil(-offset / g.stride));
  const hi = Math.min(g.in, Math.floor((g.out - 1 - offset) / g.stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/** y[n, co] += Σ w[ci, co − g·Cout/g, taps] · x[n, ci] scattered to i·s − pb + tap·d, per axis. */
export function convTransposeNdForward(x: Float32Array, weight: Float32Array, bias: Float32Array | undefined, p: ConvNdPlan): Float32Array {
  const [gt, gh, gw] = asThreeAxes(p.geo);
  const [T, H, W] = [gt.in, gh.in, gw.in];
  const [OT, OH, OW] = [gt.out, gh.out, gw.out];
  const xPlane = T * H * W;
  const oPlane = OT * OH * OW;
  const taps = gt.kernel * gh.kernel * gw.kernel;
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const out = new Float32Array(p.n * p.cout * oPlane);
  for (let b = 0; b < p.n; b++) {
    for (let ci = 0; ci < p.cin; ci++) {
      const g = Math.floor(ci / cinG);
      const xc = (b * p.cin + ci) * xPlane;
      for (let j = 0; j < coutG; j++) {
        const oc = (b * p.cout + g * coutG + j) * oPlane;
        const wBase = (ci * coutG + j) * taps;
        for (let u = 0; u < gt.kernel; u++) {
          const offT = u * gt.dilation - gt.padBegin;
          const [t0, t1] = inputRange(gt, offT);
          for (let v = 0; v < gh.kernel; v++) {
            const offH = v * gh.dilation - gh.padBegin;
            const [h0, h1] = inputRange(gh, offH);
            for (let k = 0; k < gw.kernel; k++) {
              const offW = k * gw.dilation - gw.padBegin;
              const [w0, w1] = inputRange(gw, offW);
              const wv = weight[wBase + (u * gh.kernel + v) * gw.kernel + k];
              if (w0 >= w1) continue;
              for (let it = t0; it < t1; it++) {
                const ot = it * gt.stride + offT;
                for (let ih = h0; ih < h1; ih++) {
                  const src = xc + (it * H + ih) * W;
                  const dst = oc + (ot * OH + ih * gh.stride + offH) * OW + offW;
                  for (let iw = w0; iw < w1; iw++) out[dst + iw * gw.stride] += wv * x[src + iw];
                }
              }
            }
          }
        }
      }
    }
  }
  addBias(out, bias, p.n, p.cout, oPlane);
  return out;
}
