#!/usr/bin/env python3
"""PyTorch goldens for the learned-tensor ops (src/ops/learned.ts), as torchvision uses them.

  layerScale         ConvNeXt's CNBlock: layer_scale (nn.Parameter [C, 1, 1]) * x on NCHW; on
                     tokens [N, L, C] with a [C] scale (dim −1)
  positionEmbedding  ViT's Encoder: x + pos_embedding (nn.Parameter [1, L, C]), broadcast over N
  classToken         ViT's _process_input: torch.cat([class_token.expand(N, -1, -1), x], dim=1)

Writes test/fixtures/operators/learned.json. Run: /usr/bin/python3 scripts/goldens_learned.py
"""
import json
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "learned.json"
torch.manual_seed(2025)
CASES = []


def enc(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(repr(np.float32(v))) for v in t.flatten().tolist()]}


def case(name, op, attrs, inputs, outputs, weights=None, training=False):
    CASES.append({
        "name": name, "op": op, "attributes": attrs, "training": training,
        "inputs": [enc(t) for t in inputs],
        "weights": {k: enc(v) for k, v in (weights or {}).items()},
        "outputs": [enc(t) for t in outputs],
    })


def main():
    x = torch.randn(2, 3, 2, 4)
    g = torch.randn(3, 1, 1)
    case("layerScale x=[2,3,2,4] (ConvNeXt, γ [C,1,1] on NCHW)", "layerScale", {}, [x], [g * x], {"weight": g.flatten()})
    t = torch.randn(2, 5, 6)
    g = torch.randn(6)
    case("layerScale tokens x=[2,5,6] dim=-1", "layerScale", {"dim": -1}, [t], [g * t], {"weight": g})
    p = torch.nn.Parameter(torch.randn(1, 5, 6))
    case("positionEmbedding x=[2,5,6] (ViT pos_embedding [1,L,C] over a batch of 2)", "positionEmbedding", {}, [t], [t + p], {"weight": p})
    x = torch.randn(1, 4, 3, 3)
    q = torch.randn(1, 4, 3, 3)
    case("positionEmbedding x=[1,4,3,3] (a map)", "positionEmbedding", {}, [x], [x + q], {"weight": q})
    c = torch.randn(1, 1, 6)
    case("classToken x=[2,5,6] (ViT class_token [1,1,C], batch 2)", "classToken", {}, [t], [torch.cat([c.expand(2, -1, -1), t], dim=1)], {"weight": c})
    c2 = torch.randn(1, 2, 6)
    case("classToken tokens=2 x=[1,3,6]", "classToken", {"tokens": 2}, [t[:1, :3]], [torch.cat([c2, t[:1, :3]], dim=1)], {"weight": c2})
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, separators=(",", ":")) + "\n")
    print(f"{len(CASES)} cases → {OUT}")


if __name__ == "__main__":
    main()
