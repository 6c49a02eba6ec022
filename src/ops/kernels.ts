/**
 * Small kernel utilities shared by the convolution family (conv2d, convTranspose2d, deformConv2d).
 * Flat row-major Float32Arrays, no allocation per element.
 *
 *   addBias       y[n, c, i] += b[c]  for i in [from, to) of every (n, c) plane (PyTorch adds the
 *                 bias once per output element: torch.nn.Conv2d, ConvTranspose2d, torchvision
 *                 deform_conv2d)
 *   flipKernels   w'[…, u, v] = w[…, Kh − 1 − u, Kw − 1 − v]: true (mathematical) convolution
 *                 computed as the cross-correlation PyTorch's conv2d performs
 */

/** Reverses each Kh×Kw kernel of a weight in both spatial axes: true convolution as cross-correlation. */
export function flipKernels(w: Float32Array, kh: number, kw: number): Float32Array {
  const out = new Float32Array(w.length);
  const area = kh * kw;
  // reversing a row-major Kh×Kw block end to end reverses both axes at once
  for (let base = 0; base < w.length; base += area) {
    for (let i = 0; i < area; i++) out[base + area - 1 - i] = w[base + i];
  }
  return out;
}

/** Adds bias[c] to positions [from, to) of every (n, c) plane of an [n, channels, plane] output. */
export function addBias(out: Float32Array, bias: Float32Array | undefined, n: number, channels: number, plane: number, from = 0, to = plane): void {
  if (!bias) return;
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < channels; c++) {
      const v = bias[c];
      const o = (b * channels + c) * plane;
      for (let i = o + from; i < o + to; i++) out[i] += v;
    }
  }
}

/** Side of the square tiles transposeUnits works in: a tile's source rows and destination rows stay in cache. */
const TILE = 32;

/**
 * dst[dOff + (c·rows + r)·unit + t'] = src[sOff + (r·cols + c)·unit + t] with t' = t, or unit − 1 − t
 * when `reverse`: a rows×cols matrix of `unit`-float blocks transposed (a conv weight's [Cout, Cin]
 * kernels to [Cin, Cout], reversed for the input gradient's flipped kernels). Tile by tile, so
 * neither side is walked with a large stride (a 2048×1024 weight: ~4× faster than row by row).
 */
export function transposeUnits(src: Float32Array, sOff: number, rows: number, cols: number, unit: number, dst: Float32Array, dOff: number, reverse: boolean): void {
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          const s = sOff + (r * cols + c) * unit;
          const d = dOff + (c * rows + r) * unit;
          if (unit === 1) dst[d] = src[s];
          else if (reverse) for (let t = 0; t < unit; t++) dst[d + unit - 1 - t] = src[s + t];
          else for (let t = 0; t < unit; t++) dst[d + t] = src[s + t];
        }
      }
    }
  }
}

/**
 * A weight with each output channel's rows scaled, w·k[c] rounded to float32 (RunContext.weightScale:
 * the values runtime/fuse.ts foldInto writes): for a kernel path that reads the weight itself
 * rather than packing it (which scales as it packs: tensor/gemm.ts RowScale).
 */
export function scaledWeight(w: Float32Array, k: Float64Array): Float32Array {
  const out = new Float32Array(w.length);
  const per = w.length / k.length;
  for (let c = 0; c < k.length; c++) {
    const f = k[c];
    for (let i = c * per; i < (c + 1) * per; i++) out[i] = w[i] * f;
  }
  return out;
}
