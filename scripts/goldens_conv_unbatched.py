#!/usr/bin/env python3
"""PyTorch goldens for unbatched convolutions (src/ops/unbatched.ts): nn.Conv1d/2d/3d and
nn.ConvTranspose1d/2d/3d called on one sample without its batch axis, [C, …spatial], as PyTorch
1.13 accepts it (torch ≥ 1.11): values, and autograd's input gradient. Standard, grouped,
depthwise, dilated, strided, padded, padding="same", reflect padding, no bias; transposed with
output padding and groups.

Writes
  test/fixtures/operators/conv_unbatched.json  cases (read by test/ops/goldens.test.ts)
  test/fixtures/vjp/conv_unbatched.json        input gradients (read by test/ops/vjp.test.ts)

Run: /usr/bin/python3 scripts/goldens_conv_unbatched.py
"""
import json
from pathlib import Path

import torch
import torch.nn as nn

from golden_kit import enc, rnd

ROOT = Path(__file__).resolve().parent.parent / "test" / "fixtures"
torch.manual_seed(4501)
GRADS = torch.Generator().manual_seed(4502)
CASES, VJPS = [], []

CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
CONVT = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


def run(name, op, module, attrs, x):
    assert x.dim() == len(module.kernel_size) + 1, "an unbatched sample"
    with torch.no_grad():
        module.weight.copy_(rnd(*module.weight.shape, scale=0.3))
        if module.bias is not None:
            module.bias.copy_(rnd(*module.bias.shape))
        y = module(x)
    weights = {"weight": enc(module.weight), **({"bias": enc(module.bias)} if module.bias is not None else {})}
    CASES.append({"name": name, "op": op, "attributes": attrs, "inputs": [enc(x)], "weights": weights, "outputs": [enc(y)]})
    xg = x.detach().clone().requires_grad_(True)
    out = module(xg)
    g = torch.randn(out.shape, generator=GRADS)
    (gx,) = torch.autograd.grad(out, xg, g)
    VJPS.append({"name": name, "op": op, "attributes": attrs, "training": False, "inputs": [enc(x)], "weights": weights,
                 "gradOutputs": [enc(g)], "gradInputs": [enc(gx)]})


def conv(name, x, cout, k, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode="zeros"):
    rank = x.dim() - 1
    m = CONV[rank](x.shape[0], cout, k, stride, padding, dilation, groups, bias, padding_mode)
    attrs = {"outChannels": cout, "kernelSize": k, "stride": stride, "padding": padding, "dilation": dilation, "groups": groups, "bias": bias}
    if padding_mode != "zeros":
        attrs["paddingMode"] = padding_mode
    run(name, f"conv{rank}d", m, attrs, x)


def convt(name, x, cout, k, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1):
    rank = x.dim() - 1
    m = CONVT[rank](x.shape[0], cout, k, stride, padding, output_padding, groups, bias, dilation)
    attrs = {"outChannels": cout, "kernelSize": k, "stride": stride, "padding": padding, "outputPadding": output_padding,
             "dilation": dilation, "groups": groups, "bias": bias}
    run(name, f"convTranspose{rank}d", m, attrs, x)


conv("conv2d unbatched [3,7,6] k=3 cout=4", rnd(3, 7, 6), 4, 3)
conv("conv2d unbatched [4,9,8] k=3 s=2 p=1 cout=6 no bias", rnd(4, 9, 8), 6, 3, 2, 1, bias=False)
conv("conv2d unbatched [4,6,6] k=3 p=1 depthwise g=4", rnd(4, 6, 6), 4, 3, padding=1, groups=4)
conv("conv2d unbatched [4,8,7] k=(3,2) d=(2,1) g=2 cout=6", rnd(4, 8, 7), 6, (3, 2), dilation=(2, 1), groups=2)
conv("conv2d unbatched [16,6,6] k=3 p=1 cout=16 (Winograd's size)", rnd(16, 6, 6), 16, 3, padding=1)
conv('conv2d unbatched [2,5,6] k=3 padding="same" reflect', rnd(2, 5, 6), 3, 3, padding="same", padding_mode="reflect")
conv("conv1d unbatched [3,11] k=3 cout=4", rnd(3, 11), 4, 3)
conv("conv1d unbatched [4,13] k=3 s=2 p=1 depthwise g=4 cout=8", rnd(4, 13), 8, 3, 2, 1, groups=4)
conv("conv1d unbatched [2,10] k=4 d=2 p=3 replicate no bias", rnd(2, 10), 3, 4, padding=3, dilation=2, bias=False, padding_mode="replicate")
conv("conv3d unbatched [3,4,6,6] k=3 p=1 cout=4", rnd(3, 4, 6, 6), 4, 3, padding=1)
conv("conv3d unbatched [4,5,7,6] k=(1,3,3) s=(1,2,2) g=2 cout=6", rnd(4, 5, 7, 6), 6, (1, 3, 3), (1, 2, 2), groups=2)
convt("convTranspose2d unbatched [3,4,5] k=4 s=2 p=1 cout=2", rnd(3, 4, 5), 2, 4, 2, 1)
convt("convTranspose2d unbatched [4,3,3] k=3 s=2 op=1 g=2 cout=6 no bias", rnd(4, 3, 3), 6, 3, 2, 0, 1, groups=2, bias=False)
convt("convTranspose2d unbatched [2,4,4] k=3 d=2 p=1 cout=3", rnd(2, 4, 4), 3, 3, 1, 1, dilation=2)
convt("convTranspose1d unbatched [3,6] k=4 s=2 p=1 cout=4", rnd(3, 6), 4, 4, 2, 1)
convt("convTranspose1d unbatched [4,5] k=3 s=3 op=2 d=2 g=2 cout=6", rnd(4, 5), 6, 3, 3, 0, 2, groups=2, dilation=2)
convt("convTranspose3d unbatched [4,2,3,3] k=2 s=2 cout=3", rnd(4, 2, 3, 3), 3, 2, 2)
convt("convTranspose3d unbatched [2,3,4,4] k=3 s=(1,2,2) p=1 op=(0,1,1) cout=4", rnd(2, 3, 4, 4), 4, 3, (1, 2, 2), 1, (0, 1, 1))

HEADER = torch.__version__
(ROOT / "operators" / "conv_unbatched.json").write_text(json.dumps({"torch": HEADER, "cases": CASES}) + "\n")
(ROOT / "vjp" / "conv_unbatched.json").write_text(json.dumps({"torch": HEADER, "cases": VJPS}) + "\n")
print(len(CASES), "cases,", len(VJPS), "gradients")
