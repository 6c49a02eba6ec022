#!/usr/bin/env python3
"""PyTorch goldens for the convolutions' paddingMode (src/ops/conv-padding-mode.ts): nn.Conv1d/2d/3d
with padding_mode 'reflect', 'replicate', 'circular' (the modules pad with F.pad, then convolve
unpadded), including reflect padding of the input size − 1, circular padding of the input size,
'same' padding with an even kernel (asymmetric), strides, dilation and groups; the input gradients
by autograd; and the paddings PyTorch refuses.

Writes
  test/fixtures/operators/conv_padding_mode.json  cases (test/ops/goldens.test.ts) and refusals:
                                                  PyTorch's message, the catalog code and request path
                                                  convlens answers (test/ops/conv-padding-mode.test.ts)
  test/fixtures/vjp/conv_padding_mode.json        input gradients (test/ops/vjp.test.ts)

Run: /usr/bin/python3 scripts/goldens_conv_padding_mode.py
"""
import json
from pathlib import Path

import torch
import torch.nn as nn

from golden_kit import enc, rnd

ROOT = Path(__file__).resolve().parent.parent / "test" / "fixtures"
torch.manual_seed(2033)
GRADS = torch.Generator().manual_seed(2034)
CASES, VJPS, REFUSALS = [], [], []
MODULE = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}


def module(rank, cin, cout, k, mode, padding, stride=1, dilation=1, groups=1, bias=True):
    m = MODULE[rank](cin, cout, k, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias, padding_mode=mode)
    with torch.no_grad():
        m.weight.copy_(rnd(*m.weight.shape, scale=0.4))
        if bias:
            m.bias.copy_(rnd(cout))
    return m


def attrs_of(cout, k, mode, padding, stride, dilation, groups, bias):
    a = {"outChannels": cout, "kernelSize": k, "padding": padding, "paddingMode": mode}
    if stride != 1:
        a["stride"] = stride
    if dilation != 1:
        a["dilation"] = dilation
    if groups != 1:
        a["groups"] = groups
    if not bias:
        a["bias"] = False
    return a


def case(name, x, cout, k, mode, padding, stride=1, dilation=1, groups=1, bias=True):
    rank = x.dim() - 2
    m = module(rank, x.shape[1], cout, k, mode, padding, stride, dilation, groups, bias)
    op = f"conv{rank}d"
    attrs = attrs_of(cout, k, mode, padding, stride, dilation, groups, bias)
    weights = {"weight": m.weight.detach(), **({"bias": m.bias.detach()} if bias else {})}
    xg = x.clone().requires_grad_(True)
    y = m(xg)
    g = torch.randn(y.shape, generator=GRADS)
    (gx,) = torch.autograd.grad(y, xg, g)
    common = {"name": name, "op": op, "attributes": attrs, "training": False, "inputs": [enc(x)], "weights": {k2: enc(v) for k2, v in weights.items()}}
    CASES.append({**common, "outputs": [enc(y)]})
    VJPS.append({**common, "gradOutputs": [enc(g)], "gradInputs": [enc(gx)]})


def refusal(name, x, cout, k, mode, padding, path="$.attributes.padding"):
    rank = x.dim() - 2
    m = module(rank, x.shape[1], cout, k, mode, padding)
    try:
        m(x)
    except (RuntimeError, ValueError, NotImplementedError) as e:
        message = str(e).split("\n")[0]
    else:
        raise SystemExit(f"PyTorch accepts {name}: not a refusal")
    REFUSALS.append({"name": name, "op": f"conv{rank}d", "attributes": attrs_of(cout, k, mode, padding, 1, 1, 1, True), "inputs": [enc(x)],
                     "weights": {"weight": enc(m.weight.detach()), "bias": enc(m.bias.detach())}, "torchError": message,
                     "code": "INVALID_ATTRIBUTE", "path": path})


def main():
    # 2-D
    case("conv2d x=[1,2,5,6] k=3 p=1 paddingMode=reflect", rnd(1, 2, 5, 6), 3, 3, "reflect", 1)
    case("conv2d x=[1,1,3,4] k=3 p=[2,3] reflect (padding = input size − 1 on both axes)", rnd(1, 1, 3, 4), 2, 3, "reflect", [2, 3])
    case("conv2d x=[1,4,4,5] k=5 s=2 p=4 g=2 replicate (padding beyond the input)", rnd(1, 4, 4, 5), 4, 5, "replicate", 4, stride=2, groups=2)
    case("conv2d x=[1,2,3,3] k=3 s=2 p=3 circular (padding = input size)", rnd(1, 2, 3, 3), 3, 3, "circular", 3, stride=2)
    case("conv2d x=[1,3,6,5] k=3 d=2 p=[2,1] g=3 circular, no bias (depthwise, dilated)", rnd(1, 3, 6, 5), 3, 3, "circular", [2, 1], dilation=2, groups=3, bias=False)
    case("conv2d x=[1,2,5,7] k=4 p=same reflect (even kernel: 1 before, 2 after)", rnd(1, 2, 5, 7), 2, 4, "reflect", "same")
    case("conv2d x=[2,8,6,6] k=3 p=1 replicate (GEMM path, 8 channels)", rnd(2, 8, 6, 6), 8, 3, "replicate", 1)
    # 1-D
    case("conv1d x=[2,3,5] k=3 d=2 p=4 reflect (padding = input size − 1)", rnd(2, 3, 5), 4, 3, "reflect", 4, dilation=2)
    case("conv1d x=[1,3,8] k=3 s=2 p=2 g=3 circular (depthwise)", rnd(1, 3, 8), 3, 3, "circular", 2, stride=2, groups=3)
    case("conv1d x=[1,2,4] k=2 p=3 replicate", rnd(1, 2, 4), 3, 2, "replicate", 3)
    # 3-D
    case("conv3d x=[1,2,3,4,5] k=3 p=1 reflect", rnd(1, 2, 3, 4, 5), 2, 3, "reflect", 1)
    case("conv3d x=[1,1,3,3,4] k=[3,2,3] p=[1,0,2] circular", rnd(1, 1, 3, 3, 4), 2, [3, 2, 3], "circular", [1, 0, 2])
    case("conv3d x=[1,2,2,3,3] k=3 s=2 p=[1,2,2] replicate", rnd(1, 2, 2, 3, 3), 2, 3, "replicate", [1, 2, 2], stride=2)
    case("conv3d x=[1,1,2,3,4] k=3 p=[1,2,3] reflect (padding = input size − 1 on every axis)", rnd(1, 1, 2, 3, 4), 1, 3, "reflect", [1, 2, 3])

    refusal("conv2d x=[1,1,3,5] k=3 p=3 reflect: padding = the height 3", rnd(1, 1, 3, 5), 1, 3, "reflect", 3)
    refusal("conv1d x=[1,2,4] k=3 p=4 reflect: padding = the length 4", rnd(1, 2, 4), 2, 3, "reflect", 4)
    refusal("conv3d x=[1,1,2,5,5] k=3 p=[2,1,1] reflect: padding 2 on depth 2", rnd(1, 1, 2, 5, 5), 1, 3, "reflect", [2, 1, 1])
    refusal("conv2d x=[1,1,3,3] k=3 p=4 circular: padding over the input size 3", rnd(1, 1, 3, 3), 1, 3, "circular", 4)

    (ROOT / "operators" / "conv_padding_mode.json").write_text(json.dumps({"torch": torch.__version__, "cases": CASES, "refusals": REFUSALS}) + "\n")
    (ROOT / "vjp" / "conv_padding_mode.json").write_text(json.dumps({"torch": torch.__version__, "cases": VJPS}) + "\n")
    print(len(CASES), "cases,", len(VJPS), "vjp cases,", len(REFUSALS), "refusals")
    for r in REFUSALS:
        print(" ", r["name"], "→", r["torchError"])


if __name__ == "__main__":
    main()
