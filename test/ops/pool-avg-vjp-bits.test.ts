/**
 * Average pooling's input gradient bit for bit as PyTorch's: its CPU backward kernels
 * (avg_pool2d's cpu_avg_pool_backward, avg_pool3d_backward_out_frame) take each output's share as
 * a float32, grad_output / divide_factor, then add that float32 to each tap of the window, outputs
 * in order. A share kept as a double rounds each sum once from a different addend: the sums agree
 * to an ulp but not in their bits (147 of 243 values at avgPool3d k=3 s=1 p=1 countIncludePad false
 * on [1, 1, 3, 9, 9]). The goldens are PyTorch autograd's (test/fixtures/vjp/avg_pool_nd.json from
 * scripts/vjp_goldens_avg_pool_nd.py, pool.json from scripts/vjp_goldens.py), checked here for
 * equality where vjp.test.ts checks 1e-5 of the scale.
 */
import { describe, expect, it } from 'vitest';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Wire } from './golden-cases.js';
import { VJP_CASES } from './vjp-cases.js';

const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));
const AVG = VJP_CASES.filter((c) => ['avgPool1d', 'avgPool2d', 'avgPool3d', 'adaptiveAvgPool1d', 'adaptiveAvgPool2d', 'adaptiveAvgPool3d', 'globalAvgPool2d'].includes(c.op));

describe('avgPool1d/2d/3d, adaptive and global average pooling VJPs: each share a float32, as PyTorch, so the gradient is PyTorch autograd’s bit for bit', () => {
  it('the goldens hold cases of each rank, overlapping windows among them', () => {
    expect(new Set(AVG.map((c) => c.op))).toEqual(new Set(['avgPool1d', 'avgPool2d', 'avgPool3d', 'adaptiveAvgPool1d', 'adaptiveAvgPool2d', 'adaptiveAvgPool3d', 'globalAvgPool2d']));
  });

  it.each(AVG.map((c) => [`${c.file}: ${c.name}`, c] as const))('%s', (_, c) => {
    const res = vjpOperator({
      name: c.op,
      inputs: c.inputs.map(t),
      attributes: c.attributes,
      weights: {},
      training: c.training,
      seed: 0,
      maxElements: 1 << 24,
      gradOutputs: c.gradOutputs.map((g) => (g ? t(g) : null)),
    });
    expect(Array.from(res.gradInputs[0]!.data)).toEqual(Array.from(Float32Array.from(c.gradInputs[0]!.data)));
  });
});
