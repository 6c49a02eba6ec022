#!/usr/bin/env python3
"""Operator calls PyTorch refuses, and the accepted calls at the edge of each refusal.

Found by a random differential run of convlens's operators against PyTorch 1.13 (float32, CPU):
where PyTorch raises, convlens must answer a catalog 4xx rather than numbers. Writes
test/fixtures/operators/refusals.json:
  cases     accepted calls beside each refusal, with PyTorch's outputs (read by test/ops/goldens.test.ts)
  refusals  calls PyTorch raises on: PyTorch's message, and the catalog code and request path
            convlens answers with (read by test/ops/refusals.test.ts)

Run: /usr/bin/python3 scripts/goldens_refusals.py   (Debian python3-torch)
"""
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from golden_kit import enc, rnd

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "refusals.json"
torch.manual_seed(2026)
CASES = []
REFUSALS = []


def case(name, op, attrs, inputs, fn, weights=None, training=False):
    CASES.append({"name": name, "op": op, "attributes": attrs, "training": training, "inputs": [enc(t) for t in inputs],
                  "weights": {k: enc(v) for k, v in (weights or {}).items()}, "outputs": [enc(fn())]})


def refusal(name, op, attrs, inputs, fn, code, path, weights=None, training=False):
    try:
        fn()
    except (RuntimeError, ValueError) as e:
        message = str(e).split("\n")[0]
    else:
        raise SystemExit(f"PyTorch accepts {name}: not a refusal")
    REFUSALS.append({"name": name, "op": op, "attributes": attrs, "training": training, "inputs": [enc(t) for t in inputs],
                     "weights": {k: enc(v) for k, v in (weights or {}).items()}, "torchError": message, "code": code, "path": path})


def avg_pool3d():
    # avg_pool3d checks the unpadded input against the kernel (pool3d_shape_check, check_input_size);
    # padding or ceilMode would otherwise give windows. avg_pool1d/2d and max_pool3d do not check it.
    x = rnd(1, 1, 2, 3, 3)
    refusal("avgPool3d x=[1,1,2,3,3] k=[3,2,1] p=[1,0,0]: depth 2 < kernel 3 though the padded depth 4 fits", "avgPool3d",
            {"kernelSize": [3, 2, 1], "padding": [1, 0, 0], "stride": [3, 2, 2]}, [x],
            lambda: F.avg_pool3d(x, [3, 2, 1], [3, 2, 2], [1, 0, 0]), "KERNEL_TOO_LARGE", "$.attributes.kernelSize")
    x = rnd(1, 2, 1, 6, 6)
    refusal("avgPool3d x=[1,2,1,6,6] k=[2,2,3] p=[0,1,1] ceilMode: depth 1 < kernel 2", "avgPool3d",
            {"kernelSize": [2, 2, 3], "padding": [0, 1, 1], "ceilMode": True}, [x],
            lambda: F.avg_pool3d(x, [2, 2, 3], None, [0, 1, 1], ceil_mode=True), "KERNEL_TOO_LARGE", "$.attributes.kernelSize")
    x = rnd(2, 3, 4, 2, 5)
    refusal("avgPool3d x=[2,3,4,2,5] k=[1,3,3] p=[0,1,1] countIncludePad=false: height 2 < kernel 3", "avgPool3d",
            {"kernelSize": [1, 3, 3], "padding": [0, 1, 1], "stride": 1, "countIncludePad": False}, [x],
            lambda: F.avg_pool3d(x, [1, 3, 3], 1, [0, 1, 1], count_include_pad=False), "KERNEL_TOO_LARGE", "$.attributes.kernelSize")
    # the edge: an input exactly the kernel on every axis, padded, ceilMode: accepted
    x = rnd(1, 2, 3, 2, 3)
    case("avgPool3d x=[1,2,3,2,3] k=[3,2,3] p=1 s=2 ceilMode (input = kernel on every axis)", "avgPool3d",
         {"kernelSize": [3, 2, 3], "padding": 1, "stride": 2, "ceilMode": True}, [x], lambda: F.avg_pool3d(x, [3, 2, 3], 2, 1, ceil_mode=True))
    x = rnd(1, 3, 2, 2, 7)
    case("avgPool3d x=[1,3,2,2,7] k=2 s=[1,1,3] ceilMode countIncludePad=false (input = kernel on depth and height)", "avgPool3d",
         {"kernelSize": 2, "stride": [1, 1, 3], "ceilMode": True, "countIncludePad": False}, [x],
         lambda: F.avg_pool3d(x, 2, [1, 1, 3], ceil_mode=True, count_include_pad=False))


def norms():
    # F.group_norm: _verify_batch_size([N·C/G, G, *spatial]) refuses a product (without G) of 1
    x = rnd(1, 3, 1)
    refusal("groupNorm x=[1,3,1] numGroups=3: one value per group in the batch", "groupNorm", {"numGroups": 3}, [x],
            lambda: F.group_norm(x, 3), "INVALID_TENSOR", "$.attributes.numGroups")
    x = rnd(1, 4)
    g, b = rnd(4), rnd(4)
    refusal("groupNorm x=[1,4] numGroups=4 affine: one value per group in the batch", "groupNorm", {"numGroups": 4}, [x],
            lambda: F.group_norm(x, 4, g, b), "INVALID_TENSOR", "$.attributes.numGroups", {"weight": g, "bias": b})
    # F.instance_norm with the input's statistics: _verify_spatial_size refuses H·W = 1
    x = rnd(2, 3, 1, 1)
    refusal("instanceNorm2d x=[2,3,1,1]: a 1×1 map has no statistics", "instanceNorm2d", {}, [x],
            lambda: F.instance_norm(x), "INVALID_TENSOR", "$.inputs")
    x = rnd(1, 5, 1)
    refusal("instanceNorm1d x=[1,5,1] affine (one step)", "instanceNorm1d", {"affine": True}, [x],
            lambda: F.instance_norm(x, weight=torch.ones(5), bias=torch.zeros(5)), "INVALID_TENSOR", "$.inputs",
            {"weight": torch.ones(5), "bias": torch.zeros(5)})
    m, v = rnd(3), rnd(3).abs() + 0.5
    x = rnd(2, 3, 1, 1)
    refusal("instanceNorm2d x=[2,3,1,1] trackRunningStats in training (the input's statistics)", "instanceNorm2d", {"trackRunningStats": True}, [x],
            lambda: F.instance_norm(x, m.clone(), v.clone(), use_input_stats=True), "INVALID_TENSOR", "$",
            {"runningMean": m, "runningVar": v}, training=True)
    # the edge: the same 1×1 maps at inference with trackRunningStats normalise by the running statistics
    case("instanceNorm2d x=[2,3,1,1] trackRunningStats at inference (running statistics on 1×1 maps)", "instanceNorm2d",
         {"trackRunningStats": True}, [x], lambda: F.instance_norm(x, m, v, use_input_stats=False), {"runningMean": m, "runningVar": v})
    x = rnd(1, 3, 2, 1, scale=2)
    case("instanceNorm2d x=[1,3,2,1] (two values per map)", "instanceNorm2d", {}, [x], lambda: F.instance_norm(x))


def pad_wrap():
    # a wrap reads what the negative pad leaves: a pad of 2 over the 1 left after cropping 1 of 2 makes
    # PyTorch's circular pad copy the output onto itself (refused here; other such pads read memory it never wrote)
    x = rnd(1, 1, 2)
    refusal("pad wrap x=[1,1,2] pads [-1, 2]: a wrap of 2 over the 1 value the crop leaves", "pad", {"pads": [0, 0, -1, 0, 0, 2], "mode": "wrap"}, [x],
            lambda: F.pad(x, (-1, 2), mode="circular"), "INVALID_ATTRIBUTE", "$.attributes.pads")


def main():
    avg_pool3d()
    norms()
    pad_wrap()
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES, "refusals": REFUSALS}, indent=None) + "\n")
    print(f"wrote {OUT} ({len(CASES)} cases, {len(REFUSALS)} refusals)")


if __name__ == "__main__":
    main()
