#!/usr/bin/env python3
"""PyTorch goldens for upsample's recomputeScaleFactor (src/ops/upsample.ts, upsample-nd.ts):
F.interpolate(x, scale_factor=s, recompute_scale_factor=True) sizes the output floor(in·s) and then
interpolates as to that size (coordinates from in/out rather than 1/s). Every case uses a scale
whose recomputed in/out differs from 1/s, and the script checks that PyTorch's output then differs
from recompute_scale_factor=False (so each case tells the two rules apart); the input gradients of
every case by autograd (checked to be the transpose of torch's forward, ⟨g, f(v)⟩ = ⟨autograd(g), v⟩);
and the call PyTorch refuses (an explicit size beside it).

Writes
  test/fixtures/operators/upsample_recompute.json  cases (test/ops/goldens.test.ts) and refusals
                                                   (test/ops/upsample-recompute.test.ts)
  test/fixtures/vjp/upsample_recompute.json        input gradients (test/ops/vjp.test.ts)

Run: /usr/bin/python3 scripts/goldens_upsample_recompute.py
"""
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from golden_kit import enc, rnd

ROOT = Path(__file__).resolve().parent.parent / "test" / "fixtures"
torch.manual_seed(2035)
GRADS = torch.Generator().manual_seed(2036)
ADJOINT = torch.Generator().manual_seed(2037)
CASES, VJPS, REFUSALS = [], [], []
TORCH_MODE = {"linear": "linear", "trilinear": "trilinear", "bilinear": "bilinear", "bicubic": "bicubic", "nearest": "nearest", "nearest-exact": "nearest-exact"}


def case(name, x, mode, scale, align=None):
    rank = x.dim() - 2
    op = {1: "upsample1d", 2: "upsample", 3: "upsample3d"}[rank]
    kw = {"mode": TORCH_MODE[mode], "scale_factor": scale}
    if align is not None:
        kw["align_corners"] = align
    y = F.interpolate(x, recompute_scale_factor=True, **kw)
    plain = F.interpolate(x, **kw)
    if plain.shape == y.shape and torch.equal(plain, y):
        raise SystemExit(f"{name}: recompute_scale_factor changes nothing here")
    attrs = {"mode": mode, "scaleFactor": scale, "recomputeScaleFactor": True, **({"alignCorners": align} if align is not None else {})}
    common = {"name": name, "op": op, "attributes": attrs, "training": False, "inputs": [enc(x)], "weights": {}}
    CASES.append({**common, "outputs": [enc(y)]})
    # every case's g from GRADS in case order: the 2-D cases come first, so their draws stay as they were
    xg = x.clone().requires_grad_(True)
    yg = F.interpolate(xg, recompute_scale_factor=True, **kw)
    g = torch.randn(yg.shape, generator=GRADS)
    (gx,) = torch.autograd.grad(yg, xg, g)
    # the forward is linear in x: autograd must be its transpose (torch's nearest backward is not where it reads
    # nearest_idx and its forward does not, O = I or 2I; no case here has those sizes)
    v = torch.randn(x.shape, generator=ADJOINT).double()
    lhs = (g.double() * F.interpolate(v.float(), recompute_scale_factor=True, **kw).double()).sum().item()
    rhs = (gx.double() * v.float().double()).sum().item()
    if abs(lhs - rhs) > 1e-5 * (abs(lhs) + 1):
        raise SystemExit(f"{name}: torch's backward is not its forward's transpose ({lhs} against {rhs})")
    VJPS.append({**common, "gradOutputs": [enc(g)], "gradInputs": [enc(gx)]})


def refusal(name, x, op, attrs, kw, path):
    try:
        F.interpolate(x, recompute_scale_factor=True, **kw)
    except ValueError as e:
        message = str(e).split("\n")[0]
    else:
        raise SystemExit(f"PyTorch accepts {name}")
    REFUSALS.append({"name": name, "op": op, "attributes": attrs, "inputs": [enc(x)], "torchError": message, "code": "INVALID_ATTRIBUTE", "path": path})


def main():
    case("upsample bilinear x=[1,2,5,6] scale 1.7 recompute (8×10, coordinates ×5/8, ×6/10)", rnd(1, 2, 5, 6), "bilinear", 1.7)
    case("upsample bilinear x=[1,2,7,9] scale 0.6 recompute (4×5: a downsampling)", rnd(1, 2, 7, 9), "bilinear", 0.6)
    case("upsample bicubic x=[1,1,4,5] scale 2.3 recompute (9×11)", rnd(1, 1, 4, 5), "bicubic", 2.3)
    case("upsample nearest x=[1,3,4,5] scale 2.7 recompute (10×13, C > 1)", rnd(1, 3, 4, 5), "nearest", 2.7)
    case("upsample nearest x=[1,1,5,4] scale [1.4,2.6] recompute (7×10, one channel)", rnd(1, 1, 5, 4), "nearest", [1.4, 2.6])
    case("upsample nearest-exact x=[1,2,7,6] scale 1.3 recompute (9×7)", rnd(1, 2, 7, 6), "nearest-exact", 1.3)
    case("upsample1d linear x=[1,2,5] scale 1.5 recompute (7)", rnd(1, 2, 5), "linear", 1.5)
    case("upsample1d nearest x=[1,3,4] scale 2.7 recompute (10)", rnd(1, 3, 4), "nearest", 2.7)
    case("upsample3d trilinear x=[1,2,3,4,5] scale [1.5,1.3,2.2] recompute (4×5×11)", rnd(1, 2, 3, 4, 5), "trilinear", [1.5, 1.3, 2.2])
    case("upsample3d nearest x=[1,2,3,4,5] scale 1.6 recompute (4×6×8)", rnd(1, 2, 3, 4, 5), "nearest", 1.6)

    refusal("upsample x=[1,1,4,4] size 6 with recomputeScaleFactor", rnd(1, 1, 4, 4), "upsample", {"mode": "nearest", "size": 6, "recomputeScaleFactor": True},
            {"size": 6}, "$.attributes.recomputeScaleFactor")
    refusal("upsample3d x=[1,1,2,2,2] size 3 with recomputeScaleFactor", rnd(1, 1, 2, 2, 2), "upsample3d", {"mode": "nearest", "size": 3, "recomputeScaleFactor": True},
            {"size": 3}, "$.attributes.recomputeScaleFactor")

    (ROOT / "operators" / "upsample_recompute.json").write_text(json.dumps({"torch": torch.__version__, "cases": CASES, "refusals": REFUSALS}) + "\n")
    (ROOT / "vjp" / "upsample_recompute.json").write_text(json.dumps({"torch": torch.__version__, "cases": VJPS}) + "\n")
    print(len(CASES), "cases,", len(VJPS), "vjp cases,", len(REFUSALS), "refusals:", [r["torchError"] for r in REFUSALS])


if __name__ == "__main__":
    main()
