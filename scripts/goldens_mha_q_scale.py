#!/usr/bin/env python3
"""PyTorch's q scaling in nn.MultiheadAttention, bit for bit (src/ops/attention-kernels.ts mhaQDivisor).

torch 1.13's F.multi_head_attention_forward (torch/nn/functional.py) scales q as
`q_scaled = q / math.sqrt(E)`: a float32 tensor over a Python float, the scalar taken as float32.
For q from N(0, 1), [4, d] at d = 48 and 80 (head dims where the rules below differ), writes
`qScaled` = that expression's values, and for an upstream gradient g of q_scaled, `gradQ` = q.grad
from autograd (DivBackward: g / √E). It also counts, to document them, the values where other rules
give other bits: the double 1/√d times q rounded to float32 (convlens's rule before), and torch's
inference fast path (torch._native_multi_head_attention, taken in eval under no_grad with an even
number of heads; its first step torch._transform_bias_rescale_qkv multiplies by fl32(1/fl32(√d))).
Writes test/fixtures/attention/mha_q_scale.json = {"torch", "cases": [{d, q, qScaled, g, gradQ,
differ: {doubleReciprocal, fastPath}}]} (tensors as {shape, data}).

Run: cd scripts && nice -n 10 /usr/bin/python3 goldens_mha_q_scale.py
"""
import json
import math
from pathlib import Path

import numpy as np
import torch

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "attention" / "mha_q_scale.json"


def case(d):
    q = torch.randn(4, d)
    qs = q / math.sqrt(d)  # functional.py: q_scaled = q / math.sqrt(E)
    leaf = q.clone().requires_grad_(True)
    g = torch.randn(4, d)
    (leaf / math.sqrt(d)).backward(g)
    assert torch.equal((leaf / math.sqrt(d)).detach(), qs)
    double_rec = (q.double() * (1 / math.sqrt(d))).float()
    # the fast path's first step over one sequence of 4 tokens, 2 heads of d (head 0's q is q)
    qkv = torch.zeros(1, 4, 6 * d)
    qkv[0, :, :d] = q
    fast_q = torch._transform_bias_rescale_qkv(qkv, torch.zeros(6 * d), 2)[0][0, 0]
    assert np.array_equal(qs.numpy(), q.numpy() / np.float32(math.sqrt(d)))
    differ = {"doubleReciprocal": int((double_rec != qs).sum()), "fastPath": int((fast_q != qs).sum())}
    print(f"d={d}: values whose bits differ from q / math.sqrt(d): {differ} of {4 * d}")
    return {"d": d, "q": enc(q), "qScaled": enc(qs), "g": enc(g), "gradQ": enc(leaf.grad), "differ": differ}


def main():
    torch.manual_seed(48)
    cases = [case(48), case(80)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"{len(cases)} cases → {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
