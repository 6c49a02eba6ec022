#!/usr/bin/env python3
"""PyTorch goldens for adaptive max pooling (src/ops/pool-adaptive-max.ts): F.adaptive_max_pool1d/2d/3d
over sizes the output does not divide (overlapping windows of unequal lengths), outputs larger than the
input, ties, indices (return_indices) and their gradients (autograd).

Writes
  test/fixtures/operators/adaptive_max.json  cases (values and indices; read by test/ops/goldens.test.ts)
                                             and edges: NaN and −∞ inputs, their values written as the
                                             strings "nan", "inf", "-inf" (read by test/ops/pool-adaptive-max.test.ts)
  test/fixtures/vjp/adaptive_max.json        autograd's input gradients (read by test/ops/vjp.test.ts)

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

    (ROOT / "operators" / "adaptive_max.json").write_text(json.dumps({"torch": torch.__version__, "cases": CASES, "edges": EDGES}) + "\n")
    (ROOT / "vjp" / "adaptive_max.json").write_text(json.dumps({"torch": torch.__version__, "cases": VJPS}) + "\n")
    print(len(CASES), "cases,", len(EDGES), "edges,", len(VJPS), "vjp cases")


if __name__ == "__main__":
    main()
