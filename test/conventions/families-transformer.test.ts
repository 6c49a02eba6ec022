/**
 * The transformer families (rmsNorm, rotaryEmbedding, sdpa) under every preset, on small specs with
 * hand-worked figures: what each tool's source at the release its preset cites does with nn.RMSNorm,
 * a rotary embedding and F.scaled_dot_product_attention (or, for onnx-tool, ONNX RMSNormalization,
 * RotaryEmbedding and Attention of opset 23). None of these run on the torch 1.13 of the truth
 * scripts (nn.RMSNorm is torch ≥ 2.4, F.scaled_dot_product_attention ≥ 2.0): the figures are read
 * from the tools' code, cited in each rule.
 */
import { describe, expect, it } from 'vitest';
import { PRESETS, PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import type { ConventionCount, Family } from '../../src/conventions/index.js';
import { net } from '../helpers.js';
import { analysed } from './helpers.js';

const counted = (preset: string, spec: unknown, functional: string[] = []): ConventionCount => countWith(PRESETS_BY_NAME.get(preset)!, analysed(spec), { functional });
const family = (c: ConventionCount, f: Family) => c.byFamily.find((x) => x.family === f)!;

// RMS norm over the last dim of 2×5×6: 60 elements, 10 rows, γ of 6
const RMS = net([2, 5, 6], { op: 'rmsNorm', normalizedShape: [6] });
const RMS_PLAIN = net([2, 5, 6], { op: 'rmsNorm', normalizedShape: [6], elementwiseAffine: false });

// rotary embedding of x (1, 2, 3, 8): 2 heads, 3 positions, head size 8 all rotated; caches (1, 3, 4)
const ROTARY = {
  name: 'rope',
  inputs: [
    { name: 'x', shape: [1, 2, 3, 8] },
    { name: 'cos', shape: [1, 3, 4] },
    { name: 'sin', shape: [1, 3, 4] },
  ],
  layers: [{ name: 'l0', op: 'rotaryEmbedding', inputs: ['x', 'cos', 'sin'] }],
};

// F.scaled_dot_product_attention of q, k, v (1, 2, 3, 4): 2 heads, 3 queries, 3 keys, d 4
const SDPA = {
  name: 'sdpa',
  inputs: ['q', 'k', 'v'].map((name) => ({ name, shape: [1, 2, 3, 4] })),
  layers: [{ name: 'l0', op: 'scaledDotProductAttention', inputs: ['q', 'k', 'v'] }],
};
// convlens: q·kᵀ 2·3·3·4 = 72 and the weights times v 72
const SDPA_MACS = 144;

describe('rmsNorm (nn.RMSNorm, F.rms_norm) under the presets', () => {
  it('thop: the norms\' hook (nn.RMSNorm registered on torch ≥ 2.4): 2 per element, doubled with elementwise_affine; F.rms_norm 0', () => {
    expect(counted('thop', RMS).total).toBe(2 * 60 * 2);
    expect(counted('thop', RMS_PLAIN).total).toBe(2 * 60);
    expect(counted('thop', RMS, ['l0']).total).toBe(0);
    expect(family(counted('thop', RMS), 'rmsNorm').source).toContain('profile.py l. 124-125');
  });

  it('torchinfo: a leaf module with parameters, γ elements × N = 6·2; no γ, or F.rms_norm: 0', () => {
    expect(counted('torchinfo', RMS).total).toBe(6 * 2);
    expect(counted('torchinfo', RMS_PLAIN).total).toBe(0);
    expect(counted('torchinfo', RMS, ['l0']).total).toBe(0);
  });

  it('fvcore, ptflops (both backends), calflops: 0, each saying why (no handle, no hook, not patched)', () => {
    expect(counted('fvcore', RMS).total).toBe(0);
    expect(family(counted('fvcore', RMS), 'rmsNorm').why).toContain('aten::rms_norm');
    expect(family(counted('fvcore', RMS), 'rmsNorm').why).toContain('unsupported operator');
    expect(counted('ptflops', RMS).total).toBe(0);
    expect(family(counted('ptflops', RMS), 'rmsNorm').why).toContain('not in MODULES_MAPPING');
    expect(counted('ptflops-aten', RMS).total).toBe(0);
    expect(family(counted('ptflops-aten', RMS), 'rmsNorm').why).toContain('ATEN_OPS_MAPPING');
    expect(counted('calflops', RMS).total).toBe(0);
    expect(family(counted('calflops', RMS), 'rmsNorm').why).toContain('F.rms_norm is not patched');
  });

  it('onnx-tool: no node class for RMSNormalization, its shape inference fails: listed as unsupported, 0', () => {
    const c = counted('onnx-tool', RMS);
    expect(c.total).toBe(0);
    expect(c.unsupported).toEqual(['l0']);
    expect(family(c, 'rmsNorm').why).toContain('no node class for ONNX RMSNormalization');
  });
});

describe('rotaryEmbedding under the presets: no tool counts it', () => {
  it('every preset 0; fvcore, thop, ptflops, calflops and torchinfo say why, onnx-tool cannot profile RotaryEmbedding', () => {
    for (const p of ['fvcore', 'thop', 'ptflops', 'ptflops-aten', 'calflops', 'torchinfo']) {
      const c = counted(p, ROTARY);
      expect(c.total, p).toBe(0);
      expect(c.unsupported, p).toEqual([]);
      expect(family(c, 'rotaryEmbedding').why, p).not.toMatch(/has no rule/);
    }
    const o = counted('onnx-tool', ROTARY);
    expect(o.unsupported).toEqual(['l0']);
    expect(family(o, 'rotaryEmbedding').why).toContain("'Rope'");
  });
});

describe('sdpa (F.scaled_dot_product_attention, ONNX Attention) under the presets', () => {
  it('convlens counts q·kᵀ and attn·v, 144 MACs; fvcore, thop, ptflops, calflops (both figures) and torchinfo count 0 and say why', () => {
    for (const p of ['fvcore', 'thop', 'ptflops', 'calflops', 'calflops-macs', 'torchinfo']) {
      const c = counted(p, SDPA);
      expect(c.convlensMacs, p).toBe(SDPA_MACS);
      expect(c.total, p).toBe(0);
      expect(c.difference, p).toBe(-SDPA_MACS);
      expect(family(c, 'sdpa').why, p).not.toMatch(/has no rule/);
    }
    expect(family(counted('fvcore', SDPA), 'sdpa').why).toContain('aten::scaled_dot_product_attention');
    expect(family(counted('ptflops', SDPA), 'sdpa').why).toContain('not in FUNCTIONAL_MAPPING');
  });

  it('onnx-tool: no node class for ONNX Attention (its own SDPA op type is another): unsupported, 0', () => {
    const c = counted('onnx-tool', SDPA);
    expect(c.total).toBe(0);
    expect(c.unsupported).toEqual(['l0']);
    expect(family(c, 'sdpa').source).toContain("NODE_REGISTRY.get('AttentionNode')");
  });

  it('left without a rule, as their sources do not settle it: torchvision (all three) and ptflops-aten on sdpa (which aten ops it reaches depends on the torch build\'s SDPA backend)', () => {
    // calflops-macs leaves every family without MACs ruleless (its layerNorm, softmax …), so its rmsNorm and rotaryEmbedding too
    const noRule = PRESETS.filter((p) => p.name !== 'calflops-macs').flatMap((p) => (['rmsNorm', 'rotaryEmbedding', 'sdpa'] as const).filter((f) => !p.rules[f]).map((f) => `${p.name}:${f}`));
    expect(noRule).toEqual(['torchvision:rmsNorm', 'torchvision:rotaryEmbedding', 'torchvision:sdpa', 'ptflops-aten:sdpa']);
  });
});
