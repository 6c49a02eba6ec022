#!/usr/bin/env python3
"""PyTorch autograd goldens of avgPool1d's and avgPool3d's input gradients (src/ops/pool-nd.ts's vjp).

x.grad of F.avg_pool1d/3d(x, …).backward(g) for x and g from N(0, 1): each output's g divided by
the forward's divisor and added to every tap of its window inside the input. Cases cover odd sizes,
overlapping windows, rows no window reads, padding with countIncludePad true and false, ceil mode
with a last window reaching past the padded edge (its divisor clipped to the padded input), and
divisorOverride (positive and negative). F.avg_pool1d takes no divisor_override: PyTorch computes
avg_pool1d as avg_pool2d over [N, C, 1, L] with a (1, k) window (aten/src/ATen/native/AveragePool1d
… Pooling.cpp avg_pool1d), so that case's golden is avg_pool2d's on x.unsqueeze(2). Each case also
records the window geometry it exercises (printed). Writes test/fixtures/vjp/avg_pool_nd.json
({"torch", "cases": [{name, op, attributes, training, inputs, weights, gradOutputs, gradInputs}]}).

Run: nice -n 10 /usr/bin/python3 scripts/vjp_goldens_avg_pool_nd.py
"""
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "vjp" / "avg_pool_nd.json"
torch.manual_seed(2041)
CASES = []


def forward(rank, x, kernel, stride, padding, ceil, include, divisor):
    if rank == 3:
        return F.avg_pool3d(x, kernel, stride, padding, ceil, include, divisor)
    if divisor is None:
        return F.avg_pool1d(x, kernel, stride, padding, ceil, include)
    # avg_pool1d's own path (Pooling.cpp): avg_pool2d over [N, C, 1, L] with a (1, k) window
    s = kernel if stride is None else stride
    return F.avg_pool2d(x.unsqueeze(2), (1, kernel), (1, s), (0, padding), ceil, include, divisor).squeeze(2)


def case(name, rank, shape, kernel, stride=None, padding=0, ceil=False, include=True, divisor=None):
    x = torch.randn(shape).requires_grad_()
    y = forward(rank, x, kernel, stride, padding, ceil, include, divisor)
    g = torch.randn(y.shape)
    y.backward(g)
    attrs = {"kernelSize": kernel, "padding": padding, "ceilMode": ceil, "countIncludePad": include}
    if stride is not None:
        attrs["stride"] = stride
    if divisor is not None:
        attrs["divisorOverride"] = divisor
    print(f"{name}: y {list(y.shape)}")
    CASES.append({"name": name, "op": f"avgPool{rank}d", "attributes": attrs, "training": False, "inputs": [enc(x)], "weights": {},
                  "gradOutputs": [enc(g)], "gradInputs": [enc(x.grad)]})


def main():
    case("avgPool1d x=[2,3,11] k=3 s=2 p=1", 1, (2, 3, 11), 3, 2, 1)
    case("avgPool1d x=[1,2,9] k=4 s=3 p=1 ceilMode countIncludePad=false (last window 8…11 past the padded end 10)", 1, (1, 2, 9), 4, 3, 1, True, False)
    case("avgPool1d x=[1,2,10] k=3 s=2 p=1 ceilMode (last window 9…11, its divisor the padded 2)", 1, (1, 2, 10), 3, 2, 1, True, True)
    case("avgPool1d x=[1,2,7] k=3 s=1 (overlapping windows)", 1, (1, 2, 7), 3, 1)
    case("avgPool1d x=[2,2,9] k=2 (stride the kernel: the last element unread)", 1, (2, 2, 9), 2)
    case("avgPool1d x=[1,2,8] k=3 s=2 p=1 divisorOverride=2 (avg_pool2d over [N, C, 1, L], avg_pool1d's path)", 1, (1, 2, 8), 3, 2, 1, False, True, 2)
    case("avgPool3d x=[1,2,5,7,6] k=3 s=2 p=1", 3, (1, 2, 5, 7, 6), 3, 2, 1)
    case("avgPool3d x=[2,2,5,6,7] k=[2,3,3] s=[2,2,3] p=[1,1,1] ceilMode countIncludePad=false", 3, (2, 2, 5, 6, 7), [2, 3, 3], [2, 2, 3], [1, 1, 1], True, False)
    case("avgPool3d x=[1,1,4,6,8] k=3 s=2 p=1 ceilMode (the last window past the padded edge on every axis, its divisor 2·2·2)", 3, (1, 1, 4, 6, 8), 3, 2, 1, True, True)
    case("avgPool3d x=[1,3,3,5,5] k=[1,3,3] s=1 p=[0,1,1] divisorOverride=5 (overlapping)", 3, (1, 3, 3, 5, 5), [1, 3, 3], 1, [0, 1, 1], False, True, 5)
    case("avgPool3d x=[1,2,5,5,5] k=3 s=2 p=1 ceilMode countIncludePad=false divisorOverride=-7", 3, (1, 2, 5, 5, 5), 3, 2, 1, True, False, -7)
    case("avgPool3d x=[1,1,5,5,5] k=2 (stride the kernel: the last rows unread)", 3, (1, 1, 5, 5, 5), 2)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, separators=(",", ":")) + "\n")
    print(f"{len(CASES)} cases → {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
