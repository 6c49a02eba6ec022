#!/usr/bin/env python3
"""PyTorch goldens for multiscaleAttention (src/ops/multiscale-attention.ts).

Each case runs torchvision.models.video.mvit.MultiscaleAttention (torchvision 0.14) as MViT builds it
(norm_layer LayerNorm eps 1e-6) on tokens [N, 1 + T·H·W, C], a class token first: q, k, v from the qkv
Linear, pooled (depthwise Conv3d + LayerNorm, the class token split off and put back), scaled scores,
v2's decomposed relative-position bias (_add_rel_pos: rel_pos_h/w/t, interpolated where the table is
not 2·max(Sq, Sk) − 1 long), softmax, v2's residual pooling (with or without the class token), the
project Linear. The LayerNorms' affine weights, the biases and the relative tables are drawn from
N(0, 1)·0.5 so that each part moves the output. Weights are given under the op's roles (the
state_dict's names relative to the module: qkvWeight, project.0.weight, pool_q.pool.weight, relPosH …).
And spatioTemporalPositionEncoding (src/ops/spatiotemporal-position.ts) against PositionalEncoding, with
and without its tables (mvit_v1_b's, mvit_v2_s's), every parameter drawn from N(0, 1).
Writes test/fixtures/operators/mvit.json.

Run: nice -n 10 /usr/bin/python3 scripts/goldens_mvit.py
"""
import json
from functools import partial
from pathlib import Path

import torch
import torch.nn as nn
from torchvision.models.video.mvit import MultiscaleAttention, PositionalEncoding

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "mvit.json"
torch.manual_seed(2028)
CASES = []


def case(name, n, thw, c, heads, kq, kkv, sq, skv, out=None, residual_pool=False, with_cls=True, rel_pos=False):
    out = out or c
    m = MultiscaleAttention(list(thw), c, out, heads, list(kq), list(kkv), list(sq), list(skv), residual_pool, with_cls, rel_pos,
                            norm_layer=partial(nn.LayerNorm, eps=1e-6)).eval()
    weights = {}
    with torch.no_grad():
        for key, p in m.named_parameters():
            if "norm_act" in key or key.endswith("bias") or key.startswith("rel_pos"):
                p.copy_(torch.randn(p.shape) * 0.5 + (1.0 if key.endswith("norm_act.0.weight") else 0.0))
        x = torch.randn(n, 1 + thw[0] * thw[1] * thw[2], c)
        y, y_thw = m(x, tuple(thw))
    roles = {"qkv.weight": "qkvWeight", "qkv.bias": "qkvBias", "rel_pos_h": "relPosH", "rel_pos_w": "relPosW", "rel_pos_t": "relPosT"}
    for key, p in m.named_parameters():
        weights[roles.get(key, key)] = enc(p)
    attrs = {"inputSize": list(thw), "numHeads": heads, "outputDim": out, "kernelQ": list(kq), "kernelKv": list(kkv), "strideQ": list(sq),
             "strideKv": list(skv), "residualPool": residual_pool, "residualWithClsEmbed": with_cls, "relPos": rel_pos}
    CASES.append({"name": f"{name} (torch thw out {list(y_thw)})", "op": "multiscaleAttention", "attributes": attrs, "training": False,
                  "inputs": [enc(x)], "weights": weights, "outputs": [enc(y)]})


def position(name, n, thw, c, tables):
    m = PositionalEncoding(c, (thw[1], thw[2]), thw[0], rel_pos_embed=not tables).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape))
        x = torch.randn(n, thw[0] * thw[1] * thw[2], c)
        y = m(x.clone())
    roles = {"class_token": "classToken", "spatial_pos": "spatialPos", "temporal_pos": "temporalPos", "class_pos": "classPos"}
    CASES.append({"name": name, "op": "spatioTemporalPositionEncoding", "attributes": {"inputSize": list(thw), "tables": tables}, "training": False,
                  "inputs": [enc(x)], "weights": {roles[k]: enc(p) for k, p in m.named_parameters()}, "outputs": [enc(y)]})


def main():
    case("multiscaleAttention v1 x=[1,1+2·4·4,8] h=2 kernel 3 strideQ [1,2,2] strideKv [1,2,2]", 1, (2, 4, 4), 8, 2, (3, 3, 3), (3, 3, 3), (1, 2, 2), (1, 2, 2))
    case("multiscaleAttention v1 x=[2,1+2·4·4,8] h=1 no pooling (kernels and strides 1)", 2, (2, 4, 4), 8, 1, (1, 1, 1), (1, 1, 1), (1, 1, 1), (1, 1, 1))
    case("multiscaleAttention v1 x=[1,1+4·6·6,8] h=2 q unpooled, kv kernel 3 stride [1,4,4] (mvit_v1_b's first blocks)", 1, (4, 6, 6), 8, 2, (1, 1, 1), (3, 3, 3), (1, 1, 1), (1, 4, 4))
    case("multiscaleAttention v2 x=[1,1+2·4·4,8] h=2 D=16 relPos residualPool (no cls) strideQ [1,2,2] strideKv [1,2,2]", 1, (2, 4, 4), 8, 2, (3, 3, 3), (3, 3, 3), (1, 2, 2), (1, 2, 2),
         out=16, residual_pool=True, with_cls=False, rel_pos=True)
    case("multiscaleAttention v2 x=[1,1+2·4·4,8] h=2 relPos residualPool with cls, q kernel 3 stride 1, kv stride [1,4,4] (ratio 4)", 1, (2, 4, 4), 8, 2, (3, 3, 3), (3, 3, 3), (1, 1, 1), (1, 4, 4),
         residual_pool=True, with_cls=True, rel_pos=True)
    case("multiscaleAttention v2 x=[2,1+4·5·3,6] h=3 relPos non-square, strideQ [2,2,2] strideKv [1,2,1] (interpolated tables, ratio 5/3)", 2, (4, 5, 3), 6, 3, (3, 3, 3), (3, 3, 3), (2, 2, 2), (1, 2, 1),
         residual_pool=True, with_cls=False, rel_pos=True)
    position("spatioTemporalPositionEncoding x=[2,2·3·4,5] tables (v1)", 2, (2, 3, 4), 5, True)
    position("spatioTemporalPositionEncoding x=[1,2·3·4,5] class token only (v2)", 1, (2, 3, 4), 5, False)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, separators=(",", ":")) + "\n")
    print(f"{len(CASES)} cases → {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
