#!/usr/bin/env python3
"""Random pooling calls against PyTorch 1.13 (max/avg pooling 1-D to 3-D; adaptive pooling in the
value cases), batched [N, C, …] and unbatched [C, …] alike, each attribute an int or a tuple at
random: kernel 1-4, stride 1-3 or the default, padding 0-2, dilation 1-2 (max), ceil_mode,
count_include_pad, divisor_override 3 (avg 2-D/3-D), maps of 1-7.

Writes test/fixtures/operators/pool_random.json:
  acceptance  200 calls: torch's output shape, or null where torch refuses the call (padding over
              half the kernel, an output size under 1, an input smaller than avg_pool3d's kernel …)
              or answers an empty tensor (read by test/ops/pool-unbatched.test.ts: convlens accepts
              exactly these, with these shapes)
  cases       40 calls torch answers, with values (read by test/ops/goldens.test.ts)

Run: /usr/bin/python3 scripts/goldens_pool_random.py
"""
import json
import random
import warnings
from pathlib import Path

import torch
import torch.nn as nn

from golden_kit import enc

warnings.filterwarnings("ignore")
OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "pool_random.json"
random.seed(4403)
torch.manual_seed(4404)


def some(rank, lo, hi):
    return random.randint(lo, hi) if random.random() < 0.4 else [random.randint(lo, hi) for _ in range(rank)]


def T(v):
    return v if isinstance(v, int) else tuple(v)


def call(kinds, max_side, max_channels):
    rank = random.choice([1, 2, 3])
    kind = random.choice(kinds)
    shape = ([] if random.random() < 0.5 else [random.randint(1, 2)]) + [random.randint(1, max_channels)] + [random.randint(1, max_side) for _ in range(rank)]
    if kind in ("amax", "aavg"):
        size = some(rank, 1, max_side + 1)
        module = (getattr(nn, f"AdaptiveMaxPool{rank}d") if kind == "amax" else getattr(nn, f"AdaptiveAvgPool{rank}d"))(T(size))
        return f"adaptive{'Max' if kind == 'amax' else 'Avg'}Pool{rank}d", {"outputSize": size}, shape, module
    k, p, ceil = some(rank, 1, 4), some(rank, 0, 2), random.random() < 0.4
    s = some(rank, 1, 3) if random.random() < 0.7 else None
    attrs = {"kernelSize": k, "padding": p, "ceilMode": ceil, **({"stride": s} if s is not None else {})}
    kw = dict(kernel_size=T(k), stride=None if s is None else T(s), padding=T(p), ceil_mode=ceil)
    if kind == "max":
        d = some(rank, 1, 2)
        attrs["dilation"], kw["dilation"] = d, T(d)
        return f"maxPool{rank}d", attrs, shape, getattr(nn, f"MaxPool{rank}d")(**kw)
    attrs["countIncludePad"] = kw["count_include_pad"] = random.random() < 0.5
    if rank > 1 and random.random() < 0.3:
        attrs["divisorOverride"] = kw["divisor_override"] = 3
    return f"avgPool{rank}d", attrs, shape, getattr(nn, f"AvgPool{rank}d")(**kw)


ACCEPTANCE = []
for _ in range(200):
    op, attrs, shape, module = call(["max", "avg"], 7, 3)
    try:
        y = module(torch.randn(*shape))
        out = list(y.shape) if y.numel() > 0 else None
    except RuntimeError:
        out = None
    ACCEPTANCE.append({"op": op, "attributes": attrs, "shape": shape, "out": out})

CASES = []
while len(CASES) < 40:
    op, attrs, shape, module = call(["max", "avg", "amax", "aavg"], 4, 2)
    x = torch.randn(*shape)
    try:
        y = module(x)
    except RuntimeError:
        continue
    if y.numel() == 0 or not torch.isfinite(y).all():
        continue
    CASES.append({"name": f"{op} random {len(CASES)} x={shape} {json.dumps(attrs)}", "op": op, "attributes": attrs, "inputs": [enc(x)], "outputs": [enc(y)]})

OUT.write_text(json.dumps({"torch": torch.__version__, "acceptance": ACCEPTANCE, "cases": CASES}) + "\n")
print(len(ACCEPTANCE), "calls,", sum(a["out"] is not None for a in ACCEPTANCE), "accepted;", len(CASES), "cases")
