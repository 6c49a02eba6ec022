#!/usr/bin/env python3
"""PyTorch goldens for einsum, topK, the block rearrangements (depthToSpace, spaceToDepth,
pixelShuffle, pixelUnshuffle) and gridSample (src/ops/einsum.ts, topk.ts, space-depth.ts,
grid-sample.ts).

Writes test/fixtures/operators/index.json in the format of scripts/operator_goldens.py.
ONNX DepthToSpace DCR and SpaceToDepth have no torch op: they are written as the reshape and
permute the ONNX spec defines them by.

Run: /usr/bin/python3 scripts/goldens_index.py
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from golden_kit import rnd

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "index.json"
torch.manual_seed(77)
CASES = []


def enc(t):
    dtype = None if t.dtype.is_floating_point else str(t.dtype).replace("torch.", "")
    t = t.detach().to(torch.float32).contiguous()
    w = {"shape": list(t.shape), "data": [float(repr(np.float32(v))) for v in t.flatten().tolist()]}
    if dtype:
        w["dtype"] = dtype
    return w


def case(name, op, attrs, inputs, outputs):
    CASES.append({"name": name, "op": op, "attributes": attrs, "inputs": [enc(t) for t in inputs], "outputs": [enc(t) for t in outputs]})


def dcr(x, b):
    n, c, h, w = x.shape
    return x.reshape(n, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c // (b * b), h * b, w * b)


def s2d(x, b):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // b, b, w // b, b).permute(0, 3, 5, 1, 2, 4).reshape(n, c * b * b, h // b, w // b)


def main():
    # --- einsum: the equations transformer exports write, and the general forms
    q, k, v = rnd(2, 3, 5, 4), rnd(2, 3, 6, 4), rnd(2, 3, 6, 4)
    case("einsum bhqd,bhkd->bhqk (attention scores)", "einsum", {"equation": "bhqd,bhkd->bhqk"}, [q, k], [torch.einsum("bhqd,bhkd->bhqk", q, k)])
    a = torch.softmax(torch.einsum("bhqd,bhkd->bhqk", q, k), -1)
    case("einsum bhqk,bhkd->bhqd (attention values)", "einsum", {"equation": "bhqk,bhkd->bhqd"}, [a, v], [torch.einsum("bhqk,bhkd->bhqd", a, v)])
    x, w = rnd(2, 5, 6), rnd(6, 3)
    case("einsum bij,jk->bik (a projection)", "einsum", {"equation": "bij,jk->bik"}, [x, w], [torch.einsum("bij,jk->bik", x, w)])
    e1, e2 = rnd(2, 1, 4, 3), rnd(5, 3, 2)
    case("einsum ...ij,...jk->...ik (broadcast batch)", "einsum", {"equation": "...ij,...jk->...ik"}, [e1, e2], [torch.einsum("...ij,...jk->...ik", e1, e2)])
    m = rnd(4, 4)
    case("einsum ii->i (diagonal)", "einsum", {"equation": "ii->i"}, [m], [torch.einsum("ii->i", m)])
    tr = rnd(3, 5)
    case("einsum ij->ji (transpose)", "einsum", {"equation": "ij->ji"}, [tr], [torch.einsum("ij->ji", tr)])
    t3 = rnd(2, 3, 4)
    case("einsum ijk->j (sum over i and k)", "einsum", {"equation": "ijk->j"}, [t3], [torch.einsum("ijk->j", t3)])
    u, vv = rnd(3), rnd(4)
    case("einsum i,j (implicit output ij: outer product)", "einsum", {"equation": "i,j"}, [u, vv], [torch.einsum("i,j", u, vv)])
    c1, c2, c3 = rnd(2, 3), rnd(3, 4), rnd(4, 2)
    case("einsum ij,jk,kl->il (three operands)", "einsum", {"equation": "ij,jk,kl->il"}, [c1, c2, c3], [torch.einsum("ij,jk,kl->il", c1, c2, c3)])

    # --- topK (no ties: values from randn)
    tx = rnd(2, 3, 7)
    vals, idx = torch.topk(tx, 3)
    case("topK [2,3,7] k=3 (a constant input) largest along the last dim", "topK", {}, [tx, torch.tensor([3.0])], [vals, idx])
    vals, idx = torch.topk(tx, 2, dim=1, largest=False)
    case("topK [2,3,7] k=2 dim 1 smallest (attribute k)", "topK", {"k": 2, "dim": 1, "largest": False}, [tx], [vals, idx])
    vals, idx = torch.topk(tx, 7, dim=-1)
    case("topK [2,3,7] k=7: the whole axis, sorted", "topK", {"k": 7}, [tx], [vals, idx])

    # --- block rearrangements
    bx = rnd(2, 8, 3, 2)
    case("depthToSpace [2,8,3,2] b=2 DCR (ONNX default)", "depthToSpace", {"blockSize": 2}, [bx], [dcr(bx, 2)])
    case("depthToSpace [2,8,3,2] b=2 CRD (= pixel shuffle)", "depthToSpace", {"blockSize": 2, "mode": "CRD"}, [bx], [F.pixel_shuffle(bx, 2)])
    px = rnd(1, 18, 2, 3)
    case("pixelShuffle [1,18,2,3] r=3", "pixelShuffle", {"upscaleFactor": 3}, [px], [F.pixel_shuffle(px, 3)])
    sx = rnd(2, 3, 4, 6)
    case("spaceToDepth [2,3,4,6] b=2 (ONNX: DCR's inverse)", "spaceToDepth", {"blockSize": 2}, [sx], [s2d(sx, 2)])
    case("pixelUnshuffle [2,3,4,6] r=2", "pixelUnshuffle", {"downscaleFactor": 2}, [sx], [F.pixel_unshuffle(sx, 2)])

    # --- gridSample: positions a little outside [-1, 1] exercise the padding modes
    gx = rnd(2, 3, 5, 6)
    grid = (torch.rand(2, 4, 7, 2) * 2.6 - 1.3).to(torch.float32)
    for mode in ("bilinear", "nearest"):
        for pad in ("zeros", "border", "reflection"):
            for ac in (False, True):
                y = F.grid_sample(gx, grid, mode=mode, padding_mode=pad, align_corners=ac)
                case(f"gridSample [2,3,5,6] grid [2,4,7,2] {mode} {pad} alignCorners={ac}", "gridSample",
                     {"mode": mode, "paddingMode": pad, "alignCorners": ac}, [gx, grid], [y])

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}) + "\n")
    print(len(CASES), "cases,", OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
