/** Conv plans for the team and band specs (not a test file). */
import type { ConvPlan } from '../../src/ops/conv.js';

/** A conv plan: n images of cin channels at h×w, cout kernels k×k, stride s, padding (k − 1)/2, groups g. */
export function convPlan(n: number, cin: number, h: number, w: number, cout: number, k: number, s = 1, g = 1): ConvPlan {
  const axis = (size: number) => {
    const pad = (k - 1) >> 1;
    return { in: size, kernel: k, stride: s, dilation: 1, effKernel: k, padBegin: pad, padEnd: pad, out: Math.floor((size + 2 * pad - k) / s) + 1 };
  };
  return { n, cin, cout, groups: g, geo: [axis(h), axis(w)] };
}
