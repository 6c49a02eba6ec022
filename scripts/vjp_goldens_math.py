#!/usr/bin/env python3
"""Vector-Jacobian goldens from PyTorch autograd for the element-wise math, logic and index
operators (src/ops/math.ts, logic.ts, sequence.ts, scatter.ts, einsum.ts, topk.ts,
space-depth.ts, grid-sample.ts), in the contract format of src/ops/types.ts (scripts/vjp_goldens.py):
inputs, random output gradients g, and torch.autograd.grad(outputs, inputs, g); null where an
input has no gradient (indices, conditions, bool outputs) or an output does not reach L.

Writes test/fixtures/vjp/math.json.  Run: /usr/bin/python3 scripts/vjp_goldens_math.py
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from golden_kit import enc, rnd

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "vjp" / "math.json"
torch.manual_seed(4242)
GRADS = torch.Generator().manual_seed(99)
CASES = []


def case(name, op, attrs, inputs, fn, diff=None, out_grads=None):
    """inputs: tensors; diff: which inputs get gradients (default all float inputs); fn(*inputs) -> tensor or tuple."""
    diff = diff if diff is not None else [True] * len(inputs)
    xs = [x.clone().requires_grad_(d) for x, d in zip(inputs, diff)]
    ys = fn(*xs)
    ys = ys if isinstance(ys, tuple) else (ys,)
    out_grads = out_grads if out_grads is not None else [True] * len(ys)
    gs = [torch.randn(*y.shape, generator=GRADS).to(torch.float32) if og else None for y, og in zip(ys, out_grads)]
    pairs = [(y, g) for y, g in zip(ys, gs) if g is not None and y.requires_grad]
    wanted = [x for x, d in zip(xs, diff) if d]
    grads = torch.autograd.grad([y for y, _ in pairs], wanted, [g for _, g in pairs], allow_unused=True) if pairs and wanted else [None] * len(wanted)
    it = iter(grads)
    grad_inputs = []
    for x, d in zip(xs, diff):
        if not d:
            grad_inputs.append(None)
            continue
        gx = next(it)
        grad_inputs.append(enc(gx if gx is not None else torch.zeros_like(x)))
    CASES.append({
        "name": name, "op": op, "attributes": attrs, "training": False,
        "inputs": [enc(x) for x in inputs], "weights": {},
        "gradOutputs": [enc(g) if g is not None else None for g in gs],
        "gradInputs": grad_inputs,
    })


def main():
    x = rnd(2, 3, 4)
    pos = x.abs() + 0.2
    case("sqrt [2,3,4]", "sqrt", {}, [pos], torch.sqrt)
    case("exp [2,3,4]", "exp", {}, [x], torch.exp)
    case("log [2,3,4]", "log", {}, [pos], torch.log)
    case("neg [2,3,4]", "neg", {}, [x], torch.neg)
    case("abs [2,3,4]", "abs", {}, [x], torch.abs)
    case("reciprocal [2,3,4]", "reciprocal", {}, [pos], torch.reciprocal)
    y3 = (torch.randint(-4, 4, (2, 3, 4)) + 0.25 + 0.5 * torch.rand(2, 3, 4)).to(torch.float32)  # away from the steps
    case("floor [2,3,4]: zero gradient", "floor", {}, [y3], torch.floor)
    case("ceil [2,3,4]: zero gradient", "ceil", {}, [y3], torch.ceil)

    case("pow x [2,3,4] positive, exponent [2,3,4]", "pow", {}, [pos, rnd(2, 3, 4, scale=0.5)], torch.pow)
    case("pow x [2,3,4] positive, exponent [3,1] broadcast", "pow", {}, [pos, rnd(3, 1, scale=0.5)], torch.pow)
    # |b| ≈ 3–5 and a/b with fractional parts in [0.3, 0.7]: away from the remainder's jumps
    b = (torch.rand(2, 3, 4) * 2 + 3.0) * torch.sign(torch.randn(2, 3, 4))
    a = ((torch.randint(-2, 2, (2, 3, 4)) + 0.3 + 0.4 * torch.rand(2, 3, 4)) * b).to(torch.float32)
    case("mod (remainder) a [2,3,4], b [2,3,4]", "mod", {}, [a, b], torch.remainder)
    case("mod fmod a [2,3,4], b [2,3,4]", "mod", {"fmod": True}, [a, b], torch.fmod)
    p, q = rnd(2, 3, 4), rnd(3, 1)
    case("minimum [2,3,4] and [3,1]", "minimum", {}, [p, q], torch.minimum)
    case("maximum [2,3,4] and [3,1]", "maximum", {}, [p, q], torch.maximum)
    c = torch.randint(0, 2, (2, 1, 4)).float()
    case("where condition [2,1,4], input [2,3,4], other [3,1]", "where", {}, [c, rnd(2, 3, 4), rnd(3, 1)],
         lambda cc, u, v: torch.where(cc != 0, u, v), diff=[False, True, True])
    u, v = torch.randint(0, 3, (2, 3)).float(), torch.randint(0, 3, (2, 3)).float()
    case("equal [2,3]: a bool output, no input gradient", "equal", {}, [u, v], lambda s, t: torch.eq(s, t).float(), diff=[False, False])

    t = rnd(2, 3)
    case("tile [2,3] repeats [2,2]", "tile", {"repeats": [2, 2]}, [t], lambda z: z.repeat(2, 2))
    cx = rnd(2, 3, 4)
    case("cumSum [2,3,4] dim 1", "cumSum", {"dim": 1}, [cx], lambda z: torch.cumsum(z, 1))
    case("cumSum [2,3,4] dim 2 exclusive reverse", "cumSum", {"dim": 2, "exclusive": True, "reverse": True}, [cx],
         lambda z: torch.flip(torch.cumsum(torch.flip(z, [2]), 2), [2]) - z)
    m = rnd(2, 4, 5)
    case("trilu lower [2,4,5] diagonal 1", "trilu", {"upper": False, "diagonal": 1}, [m], lambda z: torch.tril(z, 1))

    gx = rnd(3, 4)
    gi = torch.tensor([[0, 2, 2, 1], [2, 2, 0, 0]])
    case("gatherElements data [3,4] indices [2,4] dim 0 (repeated reads add)", "gatherElements", {}, [gx, gi.float()],
         lambda d, i: torch.gather(d, 0, i.long()), diff=[True, False])
    sd, su = rnd(4, 5), rnd(3, 5)
    si = torch.tensor([[3], [0], [2]])

    def put(d, i, upd, acc):
        out = d.clone()
        idx = i.long()
        return out.index_put((idx[:, 0],), upd, accumulate=acc)
    case("scatterND data [4,5] indices [3,1] updates [3,5]", "scatterND", {}, [sd, si.float(), su],
         lambda d, i, upd: put(d, i, upd, False), diff=[True, False, True])
    si2 = torch.tensor([[1], [3], [1]])
    case("scatterND data [4,5] indices [3,1] updates [3,5] reduction add (a repeated row)", "scatterND", {"reduction": "add"},
         [sd, si2.float(), su], lambda d, i, upd: put(d, i, upd, True), diff=[True, False, True])

    gd = rnd(2, 3, 4)
    gi = torch.tensor([[1, 2], [0, 1], [1, 2]])
    case("gatherND data [2,3,4] indices [3,2] (a repeated row adds)", "gatherND", {}, [gd, gi.float()],
         lambda d, i: d[i[:, 0].long(), i[:, 1].long()], diff=[True, False])

    se, su = rnd(3, 4), rnd(2, 4)
    sidx = torch.tensor([[2, 0, 1, 2], [0, 1, 2, 0]])
    case("scatterElements data [3,4] indices [2,4] dim 0", "scatterElements", {}, [se, sidx.float(), su],
         lambda d, i, u: d.scatter(0, i.long(), u), diff=[True, False, True])
    sidx1 = torch.tensor([[1, 1, 3], [0, 2, 2], [3, 0, 0]])
    case("scatterElements data [3,4] indices [3,3] dim 1 reduction add", "scatterElements", {"dim": 1, "reduction": "add"}, [se, sidx1.float(), rnd(3, 3)],
         lambda d, i, u: d.scatter_add(1, i.long(), u), diff=[True, False, True])

    for red, torch_red in (("mul", "prod"), ("max", "amax")):
        case(f"scatterElements data [3,4] indices [3,3] dim 1 reduction {red}", "scatterElements", {"dim": 1, "reduction": red},
             [se, sidx1.float(), rnd(3, 3)], lambda d, i, u, r=torch_red: d.scatter_reduce(1, i.long(), u, reduce=r), diff=[True, False, True])

    q4, k4 = rnd(1, 2, 5, 4), rnd(1, 2, 6, 4)
    case("einsum bhqd,bhkd->bhqk", "einsum", {"equation": "bhqd,bhkd->bhqk"}, [q4, k4], lambda s, t: torch.einsum("bhqd,bhkd->bhqk", s, t))
    e1, e2 = rnd(2, 1, 4, 3), rnd(5, 3, 2)
    case("einsum ...ij,...jk->...ik (broadcast batch)", "einsum", {"equation": "...ij,...jk->...ik"}, [e1, e2], lambda s, t: torch.einsum("...ij,...jk->...ik", s, t))
    case("einsum ii->i (diagonal)", "einsum", {"equation": "ii->i"}, [rnd(4, 4)], lambda s: torch.einsum("ii->i", s))
    c1, c2, c3 = rnd(2, 3), rnd(3, 4), rnd(4, 2)
    case("einsum ij,jk,kl->il", "einsum", {"equation": "ij,jk,kl->il"}, [c1, c2, c3], lambda r, s, t: torch.einsum("ij,jk,kl->il", r, s, t))

    tx = rnd(2, 3, 7)
    case("topK [2,3,7] k=3 dim -1 (values' gradient; indices none)", "topK", {"k": 3}, [tx], lambda z: torch.topk(z, 3), out_grads=[True, False])
    case("topK [2,3,7] k=2 dim 1 smallest", "topK", {"k": 2, "dim": 1, "largest": False}, [tx], lambda z: torch.topk(z, 2, dim=1, largest=False), out_grads=[True, False])

    bx = rnd(2, 8, 3, 2)

    def dcr(z, b):
        n, ch, h, w = z.shape
        return z.reshape(n, b, b, ch // (b * b), h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, ch // (b * b), h * b, w * b)

    def s2d(z, b):
        n, ch, h, w = z.shape
        return z.reshape(n, ch, h // b, b, w // b, b).permute(0, 3, 5, 1, 2, 4).reshape(n, ch * b * b, h // b, w // b)
    case("depthToSpace [2,8,3,2] b=2 DCR", "depthToSpace", {"blockSize": 2}, [bx], lambda z: dcr(z, 2))
    case("pixelShuffle [2,8,3,2] r=2", "pixelShuffle", {"upscaleFactor": 2}, [bx], lambda z: F.pixel_shuffle(z, 2))
    sx = rnd(1, 2, 4, 6)
    case("spaceToDepth [1,2,4,6] b=2", "spaceToDepth", {"blockSize": 2}, [sx], lambda z: s2d(z, 2))
    case("pixelUnshuffle [1,2,4,6] r=2", "pixelUnshuffle", {"downscaleFactor": 2}, [sx], lambda z: F.pixel_unshuffle(z, 2))

    # grid positions at half-pixel source coordinates (bilinear) or whole ones (nearest), and at least
    # a pixel from every clamp and reflection edge: bilinear sampling has a kink at every integer
    # coordinate, nearest a jump at every half, so the central differences of
    # test/ops/vjp-adjoint.test.ts (noise 0.05, step 1e-3) stay on one linear piece
    img = rnd(1, 2, 4, 5)
    picks = torch.Generator().manual_seed(5)

    def grid_at(size_h, size_w, ac, offset):
        def norm(s, size):
            return 2 * s / (size - 1) - 1 if ac else (2 * s + 1) / size - 1
        ys = [-1.5, 0.5, 1.5, size_h - 1.5, size_h + 0.5]
        xs = [-1.5, 0.5, 1.5, 2.5, size_w - 1.5, size_w + 0.5]
        g = torch.zeros(1, 3, 4, 2)
        for i in range(3):
            for j in range(4):
                sy = ys[int(torch.randint(0, len(ys), (1,), generator=picks))] + offset
                sx = xs[int(torch.randint(0, len(xs), (1,), generator=picks))] + offset
                g[0, i, j, 0] = norm(sx, size_w)
                g[0, i, j, 1] = norm(sy, size_h)
        return g
    for pad in ("zeros", "border", "reflection"):
        for ac in (False, True):
            grid = grid_at(4, 5, ac, 0.0)
            case(f"gridSample bilinear {pad} alignCorners={ac}: input and grid gradients", "gridSample",
                 {"mode": "bilinear", "paddingMode": pad, "alignCorners": ac}, [img, grid],
                 lambda z, gr, pad=pad, ac=ac: F.grid_sample(z, gr, mode="bilinear", padding_mode=pad, align_corners=ac))
    grid = grid_at(4, 5, False, 0.5)
    case("gridSample nearest zeros: the grid has a zero gradient", "gridSample", {"mode": "nearest"}, [img, grid],
         lambda z, gr: F.grid_sample(z, gr, mode="nearest", padding_mode="zeros", align_corners=False))

    # sin, cos (appended: no random draws, so the cases above keep their values)
    case("sin [2,3,4]", "sin", {}, [x], torch.sin)
    case("cos [2,3,4]", "cos", {}, [x], torch.cos)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}) + "\n")
    print(len(CASES), "cases,", OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
