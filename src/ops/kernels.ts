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
