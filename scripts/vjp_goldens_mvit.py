#!/usr/bin/env python3
"""PyTorch autograd goldens of multiscaleAttention's input gradient (src/ops/multiscale-attention-vjp.ts).

Each case builds torchvision.models.video.mvit.MultiscaleAttention (torchvision 0.14) as MViT does
(norm_layer LayerNorm eps 1e-6), its LayerNorm affines, biases and relative tables drawn from N(0, 1)·0.5
(the affine weights around 1) as scripts/goldens_mvit.py draws them so that each part moves the
gradient, on tokens x [N, 1 + T·H·W, C] (a class token first), and records x.grad of y.backward(g) for g
drawn from N(0, 1): through the project Linear, probs·v, the softmax, the scaled scores, v2's relative
bias's dependence on q, residual pooling, the three pools (LayerNorm, depthwise Conv3d, the class token
around it) and the qkv Linear; the weights held constant. Writes test/fixtures/vjp/mvit.json
({"torch", "cases": [{name, op, attributes, training, inputs, weights, gradOutputs, gradInputs}]}).

Run: nice -n 10 /usr/bin/python3 scripts/vjp_goldens_mvit.py
"""
import json
from functools import partial
from pathlib import Path

import torch
import torch.nn as nn
from torchvision.models.video.mvit import MultiscaleAttention

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "vjp" / "mvit.json"
torch.manual_seed(2031)
CASES = []


def case(name, n, thw, c, heads, kq, kkv, sq, skv, out=None, residual_pool=False, with_cls=True, rel_pos=False):
    out = out or c
    m = MultiscaleAttention(list(thw), c, out, heads, list(kq), list(kkv), list(sq), list(skv), residual_pool, with_cls, rel_pos,
                            norm_layer=partial(nn.LayerNorm, eps=1e-6)).eval()
    with torch.no_grad():
        for key, p in m.named_parameters():
            if "norm_act" in key or key.endswith("bias") or key.startswith("rel_pos"):
                p.copy_(torch.randn(p.shape) * 0.5 + (1.0 if key.endswith("norm_act.0.weight") else 0.0))
    x = torch.randn(n, 1 + thw[0] * thw[1] * thw[2], c)
    xg = x.clone().requires_grad_()
    y, _ = m(xg, tuple(thw))
    g = torch.randn(y.shape)
    y.backward(g)
    roles = {"qkv.weight": "qkvWeight", "qkv.bias": "qkvBias", "rel_pos_h": "relPosH", "rel_pos_w": "relPosW", "rel_pos_t": "relPosT"}
    weights = {roles.get(key, key): enc(p) for key, p in m.named_parameters()}
    attrs = {"inputSize": list(thw), "numHeads": heads, "outputDim": out, "kernelQ": list(kq), "kernelKv": list(kkv), "strideQ": list(sq),
             "strideKv": list(skv), "residualPool": residual_pool, "residualWithClsEmbed": with_cls, "relPos": rel_pos}
    CASES.append({"name": name, "op": "multiscaleAttention", "attributes": attrs, "training": False, "inputs": [enc(x)], "weights": weights,
                  "gradOutputs": [enc(g)], "gradInputs": [enc(xg.grad)]})


def main():
    one, k3 = (1, 1, 1), (3, 3, 3)
    case("multiscaleAttention v1-like x=[1,1+2·4·4,8] h=2 q kernel 3 stride 1, kv kernel 3 stride [1,2,2]", 1, (2, 4, 4), 8, 2, k3, k3, one, (1, 2, 2))
    case("multiscaleAttention v1 x=[1,1+4·6·6,8] h=2 q unpooled, kv kernel 3 stride [1,4,4] (mvit_v1_b's first blocks)", 1, (4, 6, 6), 8, 2, one, k3, one, (1, 4, 4))
    case("multiscaleAttention x=[2,1+2·3·3,8] h=2 no pooling (kernels and strides 1)", 2, (2, 3, 3), 8, 2, one, one, one, one)
    case("multiscaleAttention v2 x=[1,1+2·4·4,8] h=2 D=16 relPos residualPool (no cls) strideQ [1,2,2] strideKv [1,2,2]", 1, (2, 4, 4), 8, 2, k3, k3, (1, 2, 2), (1, 2, 2),
         out=16, residual_pool=True, with_cls=False, rel_pos=True)
    case("multiscaleAttention v2 x=[1,1+2·4·4,8] h=2 relPos residualPool with cls, q kernel 3 stride 1, kv stride [1,4,4]", 1, (2, 4, 4), 8, 2, k3, k3, one, (1, 4, 4),
         residual_pool=True, with_cls=True, rel_pos=True)
    case("multiscaleAttention v2 x=[2,1+4·5·3,12] h=3 relPos non-square, strideQ [2,2,2] strideKv [1,2,1] (interpolated tables)", 2, (4, 5, 3), 12, 3, k3, k3, (2, 2, 2), (1, 2, 1),
         residual_pool=True, with_cls=False, rel_pos=True)
    case("multiscaleAttention x=[1,1+2·4·4,8] h=2 D=12 residualPool with cls, no relPos, q stride [1,2,2] kv stride [2,2,2]", 1, (2, 4, 4), 8, 2, k3, k3, (1, 2, 2), (2, 2, 2),
         out=12, residual_pool=True, with_cls=True)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, separators=(",", ":")) + "\n")
    print(f"{len(CASES)} cases → {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
