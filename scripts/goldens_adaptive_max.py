#!/usr/bin/env python3
"""PyTorch goldens for adaptive max pooling (src/ops/pool-adaptive-max.ts): F.adaptive_max_pool1d/2d/3d
over sizes the output does not divide (overlapping windows of unequal lengths), outputs larger than the
input, ties, indices (return_indices) and their gradients (autograd). And None entries of output_size
(that axis keeps its input size; convlens's null) for adaptive max and average pooling alike, with the
calls PyTorch refuses: a lone None, and (None,) in 1-D.

Writes
  test/fixtures/operators/adaptive_max.json  cases (values and indices; read by test/ops/goldens.test.ts)
                                             and edges: NaN and −∞ inputs, their values written as the
                                             strings "nan", "inf", "-inf" (read by test/ops/pool-adaptive-max.test.ts)
  test/fixtures/vjp/adaptive_max.json        autograd's input gradients (read by test/ops/vjp.test.ts)
  test/fixtures/operators/adaptive_none.json None entries: cases (read by test/ops/goldens.test.ts) and
                                             refusals, PyTorch's TypeError (read by test/ops/adaptive-none.test.ts)
  test/fixtures/vjp/adaptive_none.json       their input gradients, where convlens has the VJP (adaptiveAvgPool2d,
                                             adaptiveMaxPool2d/3d; read by test/ops/vjp.test.ts)

Run: /usr/bin/python3 scripts/goldens_adaptive_max.py
"""
import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F

from golden_kit import enc, rnd

ROOT = Path(__file__).resolve().parent.parent / "test" / "fixtures"
torch.manual_seed(2031)
GRADS = torch.Generator().manual_seed(2032)
CASES, EDGES, VJPS = [], [], []
POOL = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
AVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
NONE_CASES, NONE_VJPS, NONE_REFUSALS = [], [], []


def case(name, x, size, indices=False, vjp=True):
    rank = x.dim() - 2
    attrs = {"outputSize": size, **({"returnIndices": True} if indices else {})}
    y, idx = POOL[rank](x, size, return_indices=True)
    outs = [y, idx.float()] if indices else [y]
    CASES.append({"name": name, "op": f"adaptiveMaxPool{rank}d", "attributes": attrs, "inputs": [enc(x)], "outputs": [enc(t) for t in outs]})
    if vjp:
        xg = x.detach().clone().requires_grad_(True)
        out = POOL[rank](xg, size)
        g = torch.randn(out.shape, generator=GRADS)
        (gx,) = torch.autograd.grad(out, xg, g)
        VJPS.append({"name": name, "op": f"adaptiveMaxPool{rank}d", "attributes": attrs, "training": False, "inputs": [enc(x)], "weights": {},
                     "gradOutputs": [enc(g)] + ([None] if indices else []), "gradInputs": [enc(gx)]})


def none_case(name, kind, x, size, indices=False, vjp=True):
    """A call with None in output_size (null in the fixture): values (and indices), and autograd's input gradient."""
    rank = x.dim() - 2
    op = f"adaptive{kind.capitalize()}Pool{rank}d"
    attrs = {"outputSize": size, **({"returnIndices": True} if indices else {})}
    fn = (lambda t: POOL[rank](t, size, return_indices=True)) if kind == "max" else (lambda t: (AVG[rank](t, size),))
    outs = fn(x)
    outs = [outs[0], outs[1].float()] if indices else [outs[0]]
    NONE_CASES.append({"name": name, "op": op, "attributes": attrs, "inputs": [enc(x)], "outputs": [enc(t) for t in outs]})
    if vjp:
        xg = x.detach().clone().requires_grad_(True)
        out = fn(xg)[0]
        g = torch.randn(out.shape, generator=GRADS)
        (gx,) = torch.autograd.grad(out, xg, g)
        NONE_VJPS.append({"name": name, "op": op, "attributes": attrs, "training": False, "inputs": [enc(x)], "weights": {},
                          "gradOutputs": [enc(g)] + ([None] if indices else []), "gradInputs": [enc(gx)]})


def none_refusal(name, kind, x, size):
    """A call PyTorch raises on: its message's first line."""
    rank = x.dim() - 2
    try:
        (POOL if kind == "max" else AVG)[rank](x, size)
    except (TypeError, RuntimeError) as e:
        message = str(e).split("\n")[0]
    else:
        raise SystemExit(f"PyTorch accepts {name}: not a refusal")
    NONE_REFUSALS.append({"name": name, "op": f"adaptive{kind.capitalize()}Pool{rank}d", "attributes": {"outputSize": size},
                          "inputShape": list(x.shape), "torchError": message})


def none_entries():
    torch.manual_seed(2033)  # after every draw of the cases above, which stay as they were
    none_case("adaptiveAvgPool2d x=[1,2,5,7] outputSize=[null,3] (None: the height stays 5)", "avg", rnd(1, 2, 5, 7), [None, 3])
    none_case("adaptiveAvgPool2d x=[2,1,6,4] outputSize=[4,null]", "avg", rnd(2, 1, 6, 4), [4, None])
    none_case("adaptiveAvgPool2d x=[1,2,3,4] outputSize=[null,null] (the identity)", "avg", rnd(1, 2, 3, 4), [None, None])
    none_case("adaptiveAvgPool3d x=[1,2,5,4,6] outputSize=[2,null,null]", "avg", rnd(1, 2, 5, 4, 6), [2, None, None], vjp=False)
    none_case("adaptiveAvgPool3d x=[1,1,3,5,4] outputSize=[null,3,null]", "avg", rnd(1, 1, 3, 5, 4), [None, 3, None], vjp=False)
    none_case("adaptiveMaxPool2d x=[1,2,5,7] outputSize=[null,3] with indices", "max", rnd(1, 2, 5, 7), [None, 3], indices=True)
    none_case("adaptiveMaxPool2d x=[2,1,6,4] outputSize=[4,null]", "max", rnd(2, 1, 6, 4), [4, None])
    none_case("adaptiveMaxPool3d x=[1,2,5,4,6] outputSize=[2,null,null] with indices", "max", rnd(1, 2, 5, 4, 6), [2, None, None], indices=True)
    none_case("adaptiveMaxPool3d x=[1,1,3,5,4] outputSize=[null,3,null]", "max", rnd(1, 1, 3, 5, 4), [None, 3, None])
    for kind in ("avg", "max"):
        none_refusal(f"{kind} 2-D outputSize=null (a lone None)", kind, rnd(1, 1, 4, 5), None)
        none_refusal(f"{kind} 3-D outputSize=null (a lone None)", kind, rnd(1, 1, 3, 4, 5), None)
        none_refusal(f"{kind} 1-D outputSize=[null] (1-D takes no None)", kind, rnd(1, 1, 5), [None])
        none_refusal(f"{kind} 1-D outputSize=null", kind, rnd(1, 1, 5), None)


def text(v):
    return v if math.isfinite(v) else str(v)


def edge(name, x, size):
    rank = x.dim() - 2
    y, idx = POOL[rank](x, size, return_indices=True)
    EDGES.append({"name": name, "op": f"adaptiveMaxPool{rank}d", "attributes": {"outputSize": size, "returnIndices": True},
                  "input": {"shape": list(x.shape), "data": [text(v) for v in x.flatten().tolist()]},
                  "values": {"shape": list(y.shape), "data": [text(v) for v in y.flatten().tolist()]},
                  "indices": idx.flatten().tolist()})


def main():
    case("adaptiveMaxPool1d x=[2,3,10] outputSize=4 (windows [0,3) [2,5) [5,8) [7,10))", rnd(2, 3, 10), 4)
    case("adaptiveMaxPool1d x=[1,2,7] outputSize=5 with indices (overlapping windows)", rnd(1, 2, 7), 5, indices=True)
    case("adaptiveMaxPool1d x=[1,2,3] outputSize=7 (output larger than the input)", rnd(1, 2, 3), 7)
    case("adaptiveMaxPool2d x=[1,2,7,9] outputSize=[3,4]", rnd(1, 2, 7, 9), [3, 4])
    case("adaptiveMaxPool2d x=[2,3,5,5] outputSize=4 with indices", rnd(2, 3, 5, 5), 4, indices=True)
    case("adaptiveMaxPool2d x=[1,2,6,5] outputSize=1 (global max)", rnd(1, 2, 6, 5), 1)
    case("adaptiveMaxPool2d x=[1,1,3,4] outputSize=[5,7] (output larger than the input)", rnd(1, 1, 3, 4), [5, 7], indices=True)
    ties = torch.randint(0, 3, (1, 2, 6, 7)).float()
    case("adaptiveMaxPool2d x=[1,2,6,7] values in {0,1,2} outputSize=[4,5] with indices (ties: the first tap)", ties, [4, 5], indices=True, vjp=False)
    case("adaptiveMaxPool3d x=[1,2,5,6,7] outputSize=[2,3,4] with indices", rnd(1, 2, 5, 6, 7), [2, 3, 4], indices=True)
    case("adaptiveMaxPool3d x=[2,1,4,5,3] outputSize=[3,2,2]", rnd(2, 1, 4, 5, 3), [3, 2, 2])
    case("adaptiveMaxPool3d x=[1,1,3,3,3] outputSize=1 (global max)", rnd(1, 1, 3, 3, 3), 1)

    nan, inf = float("nan"), float("inf")
    x = rnd(1, 1, 4, 5)
    x[0, 0, 0, 1] = nan
    x[0, 0, 1, 0] = nan
    x[0, 0, 3, 4] = nan
    x[0, 0, 2, 2] = inf
    edge("adaptiveMaxPool2d x=[1,1,4,5] two NaNs in one window, one in another, +∞ beside: outputSize=[2,2]", x, [2, 2])
    x = torch.full((1, 1, 3, 5), -inf)
    x[0, 0, 1, 4] = 1.0
    edge("adaptiveMaxPool2d x=[1,1,3,5] all −∞ but one: outputSize=[2,3] (an all −∞ window)", x, [2, 3])
    x = rnd(1, 2, 7)
    x[0, 1, 3] = nan
    edge("adaptiveMaxPool1d x=[1,2,7] NaN at 3 in channel 1: outputSize=3 (windows [0,3) [2,5) [4,7))", x, 3)
    x = rnd(1, 1, 3, 4, 5)
    x[0, 0, 1, 2, 3] = nan
    x[0, 0, 2, 3, 4] = nan
    edge("adaptiveMaxPool3d x=[1,1,3,4,5] two NaNs: outputSize=[2,2,2]", x, [2, 2, 2])

    none_entries()

    (ROOT / "operators" / "adaptive_max.json").write_text(json.dumps({"torch": torch.__version__, "cases": CASES, "edges": EDGES}) + "\n")
    (ROOT / "vjp" / "adaptive_max.json").write_text(json.dumps({"torch": torch.__version__, "cases": VJPS}) + "\n")
    (ROOT / "operators" / "adaptive_none.json").write_text(json.dumps({"torch": torch.__version__, "cases": NONE_CASES, "refusals": NONE_REFUSALS}) + "\n")
    (ROOT / "vjp" / "adaptive_none.json").write_text(json.dumps({"torch": torch.__version__, "cases": NONE_VJPS}) + "\n")
    print(len(CASES), "cases,", len(EDGES), "edges,", len(VJPS), "vjp cases;", len(NONE_CASES), "None cases,", len(NONE_REFUSALS), "refusals,", len(NONE_VJPS), "None vjp cases")


if __name__ == "__main__":
    main()
