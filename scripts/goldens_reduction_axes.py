#!/usr/bin/env python3
"""PyTorch goldens for the reductions (src/ops/reduction.ts) over the axis sets the kernel walks
differently: leading axes kept and trailing reduced (weight standardisation's mean over [1,2,3] of a
[Cout,Cin,kh,kw] weight), leading reduced and trailing kept ([0]), middle axes reduced or kept
([1,2], [0,3]), alternating axes of rank 5 ([0,2,4]), size-1 dims between reduced ones, and all
axes, for mean, sum, max, min, L2 and prod (torch.mean, sum, amax, amin, linalg.vector_norm, prod).

Writes test/fixtures/operators/reduction_axes.json in the format of scripts/operator_goldens.py.

Run: /usr/bin/python3 scripts/goldens_reduction_axes.py
"""
import json
from pathlib import Path

import torch

from golden_kit import enc, rnd

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "reduction_axes.json"
torch.manual_seed(2028)
CASES = []

TORCH = {
    "reduceMean": lambda x, a, k: x.mean(a, keepdim=k),
    "reduceSum": lambda x, a, k: x.sum(a, keepdim=k),
    "reduceMax": lambda x, a, k: torch.amax(x, a, keepdim=k),
    "reduceMin": lambda x, a, k: torch.amin(x, a, keepdim=k),
    "reduceL2": lambda x, a, k: torch.linalg.vector_norm(x, 2, a, keepdim=k),
    "reduceProd": lambda x, a, k: prod(x, a, k),
}


def prod(x, axes, keep):
    # torch.prod takes one dim: reduce the axes one at a time, last first, so the indices stay put
    for a in sorted(axes, reverse=True):
        x = x.prod(a, keepdim=True)
    return x if keep else x.squeeze(tuple(axes)) if len(axes) else x


def case(op, x, axes, keep=True):
    shape = list(x.shape)
    name = f"{op} {shape} axes {axes}{'' if keep else ' keepDims false'}"
    CASES.append({"name": name, "op": op, "attributes": {"axes": axes, "keepDims": keep}, "inputs": [enc(x)], "outputs": [enc(TORCH[op](x, tuple(axes), keep))]})


def main():
    w = rnd(8, 4, 3, 3)
    for op in ["reduceMean", "reduceSum", "reduceMax", "reduceMin", "reduceL2"]:
        case(op, w, [1, 2, 3])
        case(op, w, [0])
        case(op, w, [0, 1, 2, 3])
    case("reduceMean", w, [2, 3])
    case("reduceMean", w, [1], keep=False)
    x = rnd(2, 3, 4, 5)
    for op in ["reduceMean", "reduceMax", "reduceL2"]:
        case(op, x, [1, 2])
        case(op, x, [0, 3])
    case("reduceSum", x, [0, 1], keep=False)
    y = rnd(2, 3, 2, 3, 2)
    case("reduceSum", y, [0, 2, 4])
    case("reduceMin", y, [1, 3], keep=False)
    s = rnd(3, 1, 4, 1, 5)
    case("reduceMean", s, [1, 2, 3])
    case("reduceMax", s, [0, 1])
    p = (torch.rand(2, 3, 2, 2) + 0.5).to(torch.float32)
    case("reduceProd", p, [0, 2])
    case("reduceProd", p, [1, 2, 3])

    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}) + "\n")
    print(len(CASES), "cases,", OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
