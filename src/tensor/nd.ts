/** N-dimensional data movement shared by the element-wise and tensor-plumbing kernels. */
import { numel, strides, tensor } from './tensor.js';
import type { Tensor } from './tensor.js';

/** Strides of `shape` read as `out` under NumPy broadcasting: 0 along broadcast dims. */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const own = strides(shape);
  const offset = out.length - shape.length;
  return out.map((_, d) => (d < offset || shape[d - offset] === 1 ? 0 : own[d - offset]));
}

/**
 * Calls `visit(outIndex, srcOffsets)` for every element of `out`, in order, with each source's
 * offset under the given strides; the last dimension runs in a tight inner loop.
 */
function walk(out: readonly number[], srcStrides: number[][], visit: (o: number, offsets: number[], inner: number, innerStrides: number[]) => void): void {
  const rank = out.length;
  if (rank === 0) {
    visit(0, srcStrides.map(() => 0), 1, srcStrides.map(() => 0));
    return;
  }
  const inner = out[rank - 1];
  const innerStrides = srcStrides.map((s) => s[rank - 1]);
  const outer = numel(out) / Math.max(inner, 1);
  const idx = new Array<number>(rank - 1).fill(0);
  const offsets = srcStrides.map(() => 0);
  for (let o = 0; o < outer; o++) {
    visit(o * inner, offsets, inner, innerStrides);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      for (let s = 0; s < offsets.length; s++) offsets[s] += srcStrides[s][d];
      if (idx[d] < out[d]) break;
      for (let s = 0; s < offsets.length; s++) offsets[s] -= srcStrides[s][d] * out[d];
      idx[d] = 0;
    }
  }
}

export function binaryBroadcast(a: Tensor, b: Tensor, out: readonly number[], f: (x: number, y: number) => number): Tensor {
  const res = new Float32Array(numel(out));
  const [ad, bd] = [a.data, b.data];
  if (a.data.length === res.length && b.data.length === res.length) {
    for (let i = 0; i < res.length; i++) res[i] = f(ad[i], bd[i]);
    return tensor(out, res);
  }
  walk(out, [broadcastStrides(a.shape, out), broadcastStrides(b.shape, out)], (o, [ao, bo], inner, [ai, bi]) => {
    for (let i = 0; i < inner; i++) res[o + i] = f(ad[ao + i * ai], bd[bo + i * bi]);
  });
  return tensor(out, res);
}

export function broadcastTo(x: Tensor, out: readonly number[]): Tensor {
  const res = new Float32Array(numel(out));
  walk(out, [broadcastStrides(x.shape, out)], (o, [xo], inner, [xi]) => {
    for (let i = 0; i < inner; i++) res[o + i] = x.data[xo + i * xi];
  });
  return tensor(out, res);
}

/**
 * x with its dims reordered: output dim d is input dim perm[d]. The output dims are collapsed
 * first (size-1 dims dropped, neighbours merged where the source is contiguous across them), so
 * NCHW → NHWC ([1, C, H, W], perm [0, 2, 3, 1]) is one [H·W × C] ← [C × H·W] transpose. When the
 * source's unit-stride dim is not the output's last, the copy runs in TILE × TILE blocks between
 * that dim and the last (each block's reads and writes stay in cache lines already fetched);
 * otherwise it copies rows.
 */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const own = strides(x.shape);
  const out = perm.map((p) => x.shape[p]);
  const res = new Float32Array(x.data.length);
  if (res.length === 0) return tensor(out, res);
  const src = x.data;
  const sizes: number[] = [];
  const st: number[] = [];
  perm.forEach((p, d) => {
    const n = out[d];
    if (n === 1) return;
    const last = sizes.length - 1;
    if (last >= 0 && st[last] === own[p] * n) {
      sizes[last] *= n;
      st[last] = own[p];
    } else {
      sizes.push(n);
      st.push(own[p]);
    }
  });
  const rank = sizes.length;
  if (rank === 0 || st[rank - 1] === 1) {
    // rows already contiguous in the source
    const inner = rank === 0 ? 1 : sizes[rank - 1];
    walk(rank === 0 ? [] : sizes, [rank === 0 ? [] : st], (o, [xo]) => res.set(src.subarray(xo, xo + inner), o));
    return tensor(out, res);
  }
  const k = st.indexOf(1);
  const [rowsN, colsN, colStride] = [sizes[k], sizes[rank - 1], st[rank - 1]];
  let rowOut = 1;
  for (let d = k + 1; d < rank; d++) rowOut *= sizes[d];
  // the other dims (outer to both, and between k and the last) as an odometer of block bases
  const others = sizes.map((_, d) => d).filter((d) => d !== k && d !== rank - 1);
  const outStrides = strides(sizes);
  const idx = others.map(() => 0);
  const count = others.reduce((n, d) => n * sizes[d], 1);
  let xo = 0;
  let oo = 0;
  for (let c = 0; c < count; c++) {
    for (let i0 = 0; i0 < rowsN; i0 += TILE) {
      const i1 = Math.min(i0 + TILE, rowsN);
      for (let j0 = 0; j0 < colsN; j0 += TILE) {
        const j1 = Math.min(j0 + TILE, colsN);
        for (let i = i0; i < i1; i++) {
          const o = oo + i * rowOut;
          const s0 = xo + i;
          for (let j = j0; j < j1; j++) res[o + j] = src[s0 + j * colStride];
        }
      }
    }
    for (let e = others.length - 1; e >= 0; e--) {
      const d = others[e];
      xo += st[d];
      oo += outStrides[d];
      if (++idx[e] < sizes[d]) break;
      xo -= st[d] * sizes[d];
      oo -= outStrides[d] * sizes[d];
      idx[e] = 0;
    }
  }
  return tensor(out, res);
}

/** Block edge of the tiled transposes: 32 × 32 floats, 4 KB read and 4 KB written per block. */
const TILE = 32;

/** Runs shorter than this are copied element by element: a subarray and a set cost more than they move. */
const RUN_MIN = 16;

/**
 * Elements x[start + i·step] along every axis (start and step per axis). Where the trailing axes
 * are taken whole and the one before them at step 1, the elements form runs contiguous in x (a
 * split along channels at batch 1 is one run per output), copied as blocks: ShuffleNet's channel
 * splits took 13–23 % of its forward element by element (2026-12-01), for no arithmetic at all.
 */
export function stridedSlice(x: Tensor, starts: readonly number[], steps: readonly number[], out: readonly number[]): Tensor {
  const own = strides(x.shape);
  const base = starts.reduce((s, st, d) => s + st * own[d], 0);
  // x's stride along each output axis
  const stepped = own.map((s, d) => s * steps[d]);
  const res = new Float32Array(numel(out));
  if (res.length === 0) return tensor(out, res);
  // axes [k, rank) form one contiguous run: all at step 1, all but axis k whole
  let k = out.length;
  while (k > 0 && steps[k - 1] === 1) {
    k--;
    if (out[k] !== x.shape[k]) break;
  }
  const run = numel(out.slice(k));
  if (run < RUN_MIN) {
    walk(out, [stepped], (o, [xo], inner, [xi]) => {
      for (let i = 0; i < inner; i++) res[o + i] = x.data[base + xo + i * xi];
    });
    return tensor(out, res);
  }
  // the axes before the run walked as usual, the run one innermost "element" of `run` floats
  walk([...out.slice(0, k), run], [[...stepped.slice(0, k), 1]], (o, [xo]) => res.set(x.data.subarray(base + xo, base + xo + run), o));
  return tensor(out, res);
}

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

/**
 * Source coordinate of padded coordinate c (begin pad b, end pad e, input size n), or −1 for the
 * constant. A wrap with a negative pad crops first and wraps what is left, [max(−b, 0), n − max(−e, 0)),
 * as PyTorch's circular padding does (its left pad copies the cropped run's end): pads [2, −1] on
 * [a b c d e f] give [d e a b c d e], not [e f a b c d e]. (The other modes read the same cells either
 * way within the pads they accept: edge and reflect read the side they pad.)
 */
export function padSource(c: number, b: number, e: number, n: number, mode: PadMode): number {
  let i = c - b;
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : n - 1;
    case 'wrap': {
      const lo = Math.max(-b, 0);
      const kept = n - lo - Math.max(-e, 0);
      return lo + ((((i - lo) % kept) + kept) % kept);
    }
    case 'reflect': {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      i = ((i % period) + period) % period;
      return i < n ? i : period - i;
    }
  }
}

/**
 * A pad walked by rows of its last axis, so that the middle of a row is one contiguous copy: before,
 * every element found its source through every axis's map (36 ns an element: a reflect pad of
 * 128×112×112 took 60 ms, more than the 3×3 128→128 conv after it).
 *
 * padColumns: `cols[c]`, output column c's source column in x's row (−1: the constant); columns
 * [lo, hi) are x's row from column lo − shift, contiguously (the others are pads, or crops).
 */
export interface PadColumns {
  cols: Int32Array;
  lo: number;
  hi: number;
  shift: number;
}

export function padColumns(shape: readonly number[], begin: readonly number[], out: readonly number[], mode: PadMode): PadColumns {
  const last = out.length - 1;
  const [width, n, shift] = [out[last], shape[last], begin[last]];
  const cols = Int32Array.from({ length: width }, (_, c) => padSource(c, shift, width - n - shift, n, mode));
  const [lo, hi] = [Math.max(0, shift), Math.min(width, shift + n)];
  return hi > lo ? { cols, lo, hi, shift } : { cols, lo: 0, hi: 0, shift };
}

/** padRows: `visit(o, src)` once per output row, in order: its offset in the output, and its source row's in x (−1 when an outer axis lies in a constant pad). */
export function padRows(shape: readonly number[], begin: readonly number[], out: readonly number[], mode: PadMode, visit: (o: number, src: number) => void): void {
  const last = out.length - 1;
  const own = strides(shape);
  // per outer axis, each output coordinate's source offset (−1: the constant)
  const maps = out.slice(0, last).map((m, d) =>
    Int32Array.from({ length: m }, (_, c) => {
      const s = padSource(c, begin[d], m - shape[d] - begin[d], shape[d], mode);
      return s < 0 ? -1 : s * own[d];
    }),
  );
  const idx = new Int32Array(last);
  const rows = out.slice(0, last).reduce((a, b) => a * b, 1);
  for (let r = 0; r < rows; r++) {
    let src = 0;
    for (let d = 0; d < last; d++) {
      const s = maps[d][idx[d]];
      if (s < 0) {
        src = -1;
        break;
      }
      src += s;
    }
    visit(r * out[last], src);
    for (let d = last - 1; d >= 0; d--) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
}

export function pad(x: Tensor, begin: readonly number[], out: readonly number[], mode: PadMode, value: number): Tensor {
  const res = new Float32Array(numel(out));
  if (out.length === 0) {
    res[0] = x.data[0];
    return tensor(out, res);
  }
  const xd = x.data;
  const width = out[out.length - 1];
  const { cols, lo, hi, shift } = padColumns(x.shape, begin, out, mode);
  padRows(x.shape, begin, out, mode, (o, src) => {
    if (src < 0) {
      if (value !== 0) res.fill(value, o, o + width);
      return;
    }
    for (let k = 0; k < lo; k++) res[o + k] = cols[k] < 0 ? value : xd[src + cols[k]];
    if (hi > lo) res.set(xd.subarray(src + lo - shift, src + hi - shift), o + lo);
    for (let k = hi; k < width; k++) res[o + k] = cols[k] < 0 ? value : xd[src + cols[k]];
  });
  return tensor(out, res);
}

/** The transpose of a row-major rows×cols matrix, in TILE × TILE blocks (into `out` when given). */
export function transpose2d(a: Float32Array, rows: number, cols: number, out: Float32Array = new Float32Array(a.length)): Float32Array {
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(r0 + TILE, rows);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(c0 + TILE, cols);
      for (let c = c0; c < c1; c++) {
        const o = c * rows;
        for (let r = r0; r < r1; r++) out[o + r] = a[r * cols + c];
      }
    }
  }
  return out;
}
