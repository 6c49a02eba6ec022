/**
 * multiscaleAttention's q scaling as torchvision 0.14's MultiscaleAttention does it:
 * `self.scaler * q` with scaler = 1.0 / math.sqrt(head_dim), a Python float times a float32 tensor,
 * which PyTorch computes with the scalar rounded to float32 (fl(fl32(s)·q)); its autograd scales the
 * gradient by the same float32 scalar. Scaling by the double rounds 9 of the 40 values below
 * differently (torch 1.13: ((q.double()·s).float() != s·q).sum() = 9).
 */
import { describe, expect, it } from 'vitest';
import { attendMultiscaleHead, headScratch } from '../../src/ops/multiscale-attention-kernels.js';
import type { MultiscaleAttentionPlan, MultiscaleKernels, MultiscaleRunAttrs } from '../../src/ops/multiscale-attention-kernels.js';
import { backScratch, headBackward } from '../../src/ops/multiscale-attention-vjp.js';

// torch.manual_seed(0); q = torch.randn(5, 8); s = 1.0 / math.sqrt(8); torch's s * q
const Q = [
  -1.1258398294448853, -1.152360200881958, -0.2505785822868347, -0.4338788092136383, 0.8487103581428528, 0.6920091509819031, -0.31601276993751526, -2.1152193546295166,
  0.32227492332458496, -1.2633347511291504, 0.34998318552970886, 0.30813392996788025, 0.11984150856733322, 1.237657904624939, 1.1167771816253662, -0.2472781538963318,
  -1.3526537418365479, -1.6959311962127686, 0.5666506290435791, 0.7935083508491516, 0.5988394618034363, -1.5550950765609741, -0.3413603901863098, 1.85300612449646,
  -0.21586325764656067, -0.7425481677055359, 0.5627213716506958, 0.25962740182876587, -0.17396099865436554, -0.678746223449707, 0.9382607340812683, 0.4888698160648346,
  1.203223705291748, 0.08453469723463058, -1.2001394033432007, -0.004785737954080105, -0.5180748105049133, -0.30670419335365295, -1.580993890762329, 1.7066433429718018,
];
const TORCH_QS = [
  -0.39804449677467346, -0.4074208438396454, -0.08859290927648544, -0.15339931845664978, 0.30006441473960876, 0.24466218054294586, -0.11172738671302795, -0.7478429675102234,
  0.11394138634204865, -0.4466562867164612, 0.12373773753643036, 0.10894179344177246, 0.04237037152051926, 0.43757814168930054, 0.3948403596878052, -0.08742602914571762,
  -0.47823530435562134, -0.599602222442627, 0.20034125447273254, 0.280547559261322, 0.21172171831130981, -0.5498090982437134, -0.12068912386894226, 0.6551365852355957,
  -0.07631918787956238, -0.2625304162502289, 0.19895204901695251, 0.09179214388132095, -0.06150449812412262, -0.2399730235338211, 0.33172526955604553, 0.17284157872200012,
  0.42540380358695984, 0.029887529090046883, -0.42431333661079407, -0.0016920138150453568, -0.18316709995269775, -0.10843630880117416, -0.5589657425880432, 0.6033895015716553,
];

// one head of d = 8 over thw [1, 2, 2] (5 tokens with the class token), no pools, no relative tables
const D = 8;
const L = 5;
const plan: MultiscaleAttentionPlan = { n: 1, c: D, dim: D, heads: 1, d: D, thw: [1, 2, 2], poolQ: null, poolKv: null, qThw: [1, 2, 2], kThw: [1, 2, 2], tables: null };
const attrs: MultiscaleRunAttrs = { residualPool: false, residualWithClsEmbed: false, eps: 1e-6 };
const kern: MultiscaleKernels = { q: null, k: null, v: null, rel: null };
/** A fixed pseudo-random float32 in [−1, 1) (an LCG), for k, v and the output gradient. */
const lcg = (seed: number) => () => Math.fround(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 30) - 1);

/** qkv [L, 3D] with q = Q, v pseudo-random, k pseudo-random in its last row and zero in the others (see the VJP case). */
function tokens(): Float32Array {
  const next = lcg(7);
  const qkv = new Float32Array(L * 3 * D);
  for (let i = 0; i < L; i++) {
    for (let e = 0; e < D; e++) {
      qkv[i * 3 * D + e] = Q[i * D + e];
      qkv[i * 3 * D + D + e] = i === L - 1 ? next() : 0;
      qkv[i * 3 * D + 2 * D + e] = next();
    }
  }
  return qkv;
}

describe("multiscaleAttention scales q by the float32 1/√d, as torchvision's self.scaler * q", () => {
  it('d=8: the scaled q equals torch 1.13 s·q for all 40 values (9 of them differ from the double product rounded)', () => {
    const scr = headScratch(plan);
    attendMultiscaleHead(tokens(), 0, 0, plan, attrs, kern, scr, new Float32Array(L * D), 0, D);
    expect(Array.from(scr.qs)).toEqual(TORCH_QS);
    expect(Q.filter((q, i) => Math.fround(q * (1 / Math.sqrt(D))) !== TORCH_QS[i]).length).toBe(9);
  });

  it('d=8 VJP: ∂q = fl(fl(gS·k)·fl32(1/√8)); k zero but in its last row, so gS·k is one float32 product an entry, whatever the GEMM\'s order', () => {
    const scr = headScratch(plan, true);
    attendMultiscaleHead(tokens(), 0, 0, plan, attrs, kern, scr, new Float32Array(L * D), 0, D);
    const next = lcg(11);
    const gAtt = Float32Array.from({ length: L * D }, next);
    const b = backScratch(plan);
    headBackward(gAtt, 0, plan, attrs, kern, scr, b);
    // b.gS holds gS after the call (one band: L rows); gq[i, e] = Σ_j gS[i, j]·k[j, e] = gS[i, L − 1]·k[L − 1, e]
    const s32 = Math.fround(1 / Math.sqrt(D));
    const want: number[] = [];
    let differ = 0;
    for (let i = 0; i < L; i++) {
      for (let e = 0; e < D; e++) {
        const raw = Math.fround(b.gS[i * L + L - 1] * scr.k[(L - 1) * D + e]);
        want.push(Math.fround(raw * s32));
        if (Math.fround(raw * (1 / Math.sqrt(D))) !== Math.fround(raw * s32)) differ++;
      }
    }
    expect(differ).toBeGreaterThan(0);
    expect(Array.from(b.gq)).toEqual(want);
  });
});
