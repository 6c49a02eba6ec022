#!/usr/bin/env python3
"""PyTorch autograd goldens of maxPool1d/3d's and adaptiveAvgPool1d/3d's input gradients (src/ops/pool-nd.ts's vjp).

x.grad of F.max_pool1d/3d(x, …).backward(g) for x and g from N(0, 1) (no ties): the gradient goes to
each window's argmax; padding, dilation, ceil mode, rows no window reads, overlapping windows (a tap
that is the maximum of two windows collects both), and MViT's pool_skip (kernel [1, 3, 3], stride
[1, 2, 2], padding [0, 1, 1]); adaptive average pooling's spreads each output's g evenly over its
window (windows of unequal length that overlap, None keeping an axis, r3d_18's head at 1). Writes test/fixtures/vjp/pool_nd.json
({"torch", "cases": [{name, op, attributes, training, inputs, weights, gradOutputs, gradInputs}]}).

Run: nice -n 10 /usr/bin/python3 scripts/vjp_goldens_pool_nd.py
"""
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "vjp" / "pool_nd.json"
torch.manual_seed(2032)
CASES = []


def case(name, rank, shape, kernel, stride=None, padding=0, dilation=1, ceil=False):
    x = torch.randn(shape).requires_grad_()
    pool = F.max_pool1d if rank == 1 else F.max_pool3d
    y = pool(x, kernel, stride, padding, dilation, ceil_mode=ceil)
    g = torch.randn(y.shape)
    y.backward(g)
    attrs = {"kernelSize": kernel, "padding": padding, "dilation": dilation, "ceilMode": ceil}
    if stride is not None:
        attrs["stride"] = stride
    CASES.append({"name": name, "op": f"maxPool{rank}d", "attributes": attrs, "training": False, "inputs": [enc(x)], "weights": {},
                  "gradOutputs": [enc(g)], "gradInputs": [enc(x.grad)]})


def adaptive(name, rank, shape, output_size):
    x = torch.randn(shape).requires_grad_()
    pool = F.adaptive_avg_pool1d if rank == 1 else F.adaptive_avg_pool3d
    y = pool(x, output_size)
    g = torch.randn(y.shape)
    y.backward(g)
    CASES.append({"name": name, "op": f"adaptiveAvgPool{rank}d", "attributes": {"outputSize": output_size}, "training": False, "inputs": [enc(x)],
                  "weights": {}, "gradOutputs": [enc(g)], "gradInputs": [enc(x.grad)]})


def main():
    case("maxPool3d x=[1,2,3,7,7] k=[1,3,3] s=[1,2,2] p=[0,1,1] (MViT's pool_skip)", 3, (1, 2, 3, 7, 7), [1, 3, 3], [1, 2, 2], [0, 1, 1])
    case("maxPool3d x=[2,2,5,6,5] k=3 s=2 p=1 d=[1,2,1] ceilMode", 3, (2, 2, 5, 6, 5), 3, 2, 1, [1, 2, 1], True)
    case("maxPool3d x=[1,1,4,5,4] k=2 (stride the kernel: the last row unread)", 3, (1, 1, 4, 5, 4), 2)
    case("maxPool3d x=[1,3,3,4,4] k=[2,3,3] s=1 p=[1,1,1] (overlapping windows)", 3, (1, 3, 3, 4, 4), [2, 3, 3], 1, [1, 1, 1])
    case("maxPool1d x=[2,3,11] k=3 s=2 p=1 d=2", 1, (2, 3, 11), 3, 2, 1, 2)
    case("maxPool1d x=[1,2,9] k=4 s=3 ceilMode", 1, (1, 2, 9), 4, 3, 0, 1, True)
    adaptive("adaptiveAvgPool3d x=[1,2,5,7,6] → [3,4,4] (windows of unequal length, overlapping)", 3, (1, 2, 5, 7, 6), [3, 4, 4])
    adaptive("adaptiveAvgPool3d x=[2,3,4,5,5] → 1 (r3d_18's head)", 3, (2, 3, 4, 5, 5), 1)
    adaptive("adaptiveAvgPool3d x=[1,2,3,6,5] → [None,4,2] (the frames kept)", 3, (1, 2, 3, 6, 5), [None, 4, 2])
    adaptive("adaptiveAvgPool1d x=[2,3,10] → 4", 1, (2, 3, 10), 4)
    adaptive("adaptiveAvgPool1d x=[1,2,7] → 3 (overlapping)", 1, (1, 2, 7), 3)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, separators=(",", ":")) + "\n")
    print(f"{len(CASES)} cases → {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
