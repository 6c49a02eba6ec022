#!/usr/bin/env python3
"""PyTorch goldens for unbatched pooling (src/ops/unbatched.ts): every pooling module convlens
has (MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d/3d, MaxUnpool2d,
and AdaptiveAvgPool2d(1), globalAvgPool2d)
called on one sample without its batch axis, [C, …spatial], as PyTorch 1.13 accepts it: values
(and indices), and autograd's input gradient. Attributes in each form PyTorch takes them (an int,
a tuple per axis), with ceil_mode, count_include_pad, divisor_override and padding up to half the
kernel.

Writes
  test/fixtures/operators/pool_unbatched.json  cases (read by test/ops/goldens.test.ts and
                                               test/ops/pool-unbatched.test.ts)
  test/fixtures/vjp/pool_unbatched.json        input gradients (read by test/ops/vjp.test.ts)

Run: /usr/bin/python3 scripts/goldens_pool_unbatched.py
"""
import json
from pathlib import Path

import torch
import torch.nn as nn

from golden_kit import enc, rnd

ROOT = Path(__file__).resolve().parent.parent / "test" / "fixtures"
torch.manual_seed(4401)
GRADS = torch.Generator().manual_seed(4402)
CASES, VJPS = [], []


def case(name, op, module, attrs, x, indices=False, vjp=True):
    outs = module(x)
    outs = [outs[0], outs[1].float()] if indices else [outs]
    CASES.append({"name": name, "op": op, "attributes": attrs, "inputs": [enc(x)], "outputs": [enc(t) for t in outs]})
    if vjp:
        xg = x.detach().clone().requires_grad_(True)
        out = module(xg)
        out = out[0] if indices else out
        g = torch.randn(out.shape, generator=GRADS)
        (gx,) = torch.autograd.grad(out, xg, g)
        VJPS.append({"name": name, "op": op, "attributes": attrs, "training": False, "inputs": [enc(x)], "weights": {},
                     "gradOutputs": [enc(g)] + ([None] if indices else []), "gradInputs": [enc(gx)]})


# max pooling
case("maxPool1d unbatched [2,7] k=3 s=2 p=1", "maxPool1d", nn.MaxPool1d(3, 2, 1), {"kernelSize": 3, "stride": 2, "padding": 1}, rnd(2, 7))
case("maxPool1d unbatched [2,8] k=3 s=2 ceil dilation 2", "maxPool1d", nn.MaxPool1d(3, 2, 0, dilation=2, ceil_mode=True),
     {"kernelSize": 3, "stride": 2, "dilation": 2, "ceilMode": True}, rnd(2, 8))
case("maxPool2d unbatched [2,5,6] k=3 s=2 p=1", "maxPool2d", nn.MaxPool2d(3, 2, 1), {"kernelSize": 3, "stride": 2, "padding": 1}, rnd(2, 5, 6))
case("maxPool2d unbatched [3,5,7] k=(2,3) s=(1,2) p=(1,1) ceil returnIndices", "maxPool2d",
     nn.MaxPool2d((2, 3), (1, 2), (1, 1), ceil_mode=True, return_indices=True),
     {"kernelSize": [2, 3], "stride": [1, 2], "padding": [1, 1], "ceilMode": True, "returnIndices": True}, rnd(3, 5, 7), indices=True)
case("maxPool3d unbatched [2,3,4,5] k=2 p=(0,1,1)", "maxPool3d", nn.MaxPool3d(2, padding=(0, 1, 1)), {"kernelSize": 2, "padding": [0, 1, 1]}, rnd(2, 3, 4, 5))
case("maxPool3d unbatched [1,4,5,5] k=(2,3,3) s=(1,2,2) p=(1,1,1) dilation (1,1,2) ceil", "maxPool3d",
     nn.MaxPool3d((2, 3, 3), (1, 2, 2), (1, 1, 1), dilation=(1, 1, 2), ceil_mode=True),
     {"kernelSize": [2, 3, 3], "stride": [1, 2, 2], "padding": [1, 1, 1], "dilation": [1, 1, 2], "ceilMode": True}, rnd(1, 4, 5, 5))

# average pooling
case("avgPool1d unbatched [2,7] k=3 s=2 p=1 countIncludePad=false ceil", "avgPool1d", nn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     {"kernelSize": 3, "stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": False}, rnd(2, 7))
case("avgPool1d unbatched [3,6] k=2", "avgPool1d", nn.AvgPool1d(2), {"kernelSize": 2}, rnd(3, 6))
case("avgPool2d unbatched [2,5,6] k=3 s=2 p=1 divisorOverride 5", "avgPool2d", nn.AvgPool2d(3, 2, 1, divisor_override=5),
     {"kernelSize": 3, "stride": 2, "padding": 1, "divisorOverride": 5}, rnd(2, 5, 6))
case("avgPool2d unbatched [2,5,7] k=(2,3) s=(2,2) p=(1,1) ceil", "avgPool2d", nn.AvgPool2d((2, 3), (2, 2), (1, 1), ceil_mode=True),
     {"kernelSize": [2, 3], "stride": [2, 2], "padding": [1, 1], "ceilMode": True}, rnd(2, 5, 7))
case("avgPool3d unbatched [2,4,5,6] k=2", "avgPool3d", nn.AvgPool3d(2), {"kernelSize": 2}, rnd(2, 4, 5, 6))
case("avgPool3d unbatched [2,3,5,5] k=(2,3,3) s=(1,2,2) p=(1,1,1) ceil countIncludePad=false", "avgPool3d",
     nn.AvgPool3d((2, 3, 3), (1, 2, 2), (1, 1, 1), ceil_mode=True, count_include_pad=False),
     {"kernelSize": [2, 3, 3], "stride": [1, 2, 2], "padding": [1, 1, 1], "ceilMode": True, "countIncludePad": False}, rnd(2, 3, 5, 5))
case("avgPool3d unbatched [1,3,4,4] k=3 s=1 p=1 divisorOverride 4", "avgPool3d", nn.AvgPool3d(3, 1, 1, divisor_override=4),
     {"kernelSize": 3, "stride": 1, "padding": 1, "divisorOverride": 4}, rnd(1, 3, 4, 4))

# adaptive pooling
case("adaptiveAvgPool1d unbatched [2,7] → 3", "adaptiveAvgPool1d", nn.AdaptiveAvgPool1d(3), {"outputSize": 3}, rnd(2, 7))
case("adaptiveAvgPool2d unbatched [2,5,7] → (3,4)", "adaptiveAvgPool2d", nn.AdaptiveAvgPool2d((3, 4)), {"outputSize": [3, 4]}, rnd(2, 5, 7))
case("adaptiveAvgPool2d unbatched [2,5,7] → (None,2)", "adaptiveAvgPool2d", nn.AdaptiveAvgPool2d((None, 2)), {"outputSize": [None, 2]}, rnd(2, 5, 7))
case("adaptiveAvgPool3d unbatched [2,3,5,7] → (2,3,4)", "adaptiveAvgPool3d", nn.AdaptiveAvgPool3d((2, 3, 4)), {"outputSize": [2, 3, 4]}, rnd(2, 3, 5, 7))
case("adaptiveAvgPool3d unbatched [2,3,4,5] → 1", "adaptiveAvgPool3d", nn.AdaptiveAvgPool3d(1), {"outputSize": 1}, rnd(2, 3, 4, 5))
case("adaptiveMaxPool1d unbatched [2,7] → 3 returnIndices", "adaptiveMaxPool1d", nn.AdaptiveMaxPool1d(3, return_indices=True),
     {"outputSize": 3, "returnIndices": True}, rnd(2, 7), indices=True)
case("adaptiveMaxPool2d unbatched [2,5,7] → (3,4) returnIndices", "adaptiveMaxPool2d", nn.AdaptiveMaxPool2d((3, 4), return_indices=True),
     {"outputSize": [3, 4], "returnIndices": True}, rnd(2, 5, 7), indices=True)
case("adaptiveMaxPool2d unbatched [2,5,7] → 2", "adaptiveMaxPool2d", nn.AdaptiveMaxPool2d(2), {"outputSize": 2}, rnd(2, 5, 7))
case("adaptiveMaxPool3d unbatched [2,3,5,7] → (2,3,4) returnIndices", "adaptiveMaxPool3d", nn.AdaptiveMaxPool3d((2, 3, 4), return_indices=True),
     {"outputSize": [2, 3, 4], "returnIndices": True}, rnd(2, 3, 5, 7), indices=True)

# max unpooling: a MaxPool2d's values and indices of one unbatched sample put back
x = rnd(2, 4, 6)
v, i = nn.MaxPool2d(2, return_indices=True)(x)
y = nn.MaxUnpool2d(2)(v, i)
CASES.append({"name": "maxUnpool2d unbatched [2,2,3] k=2 (of MaxPool2d(2) on [2,4,6])", "op": "maxUnpool2d", "attributes": {"kernelSize": 2},
              "inputs": [enc(v), enc(i.float())], "outputs": [enc(y)]})
x = rnd(1, 5, 5)
# windows that do not overlap: no index twice (a scatter's last write and its gradient's gather would disagree)
v, i = nn.MaxPool2d(2, 2, 1, return_indices=True)(x)
y = nn.MaxUnpool2d(2, 2, 1)(v, i, output_size=[5, 5])
CASES.append({"name": "maxUnpool2d unbatched [1,3,3] k=2 s=2 p=1 outputSize (5,5) (of MaxPool2d(2, 2, 1) on [1,5,5])", "op": "maxUnpool2d",
              "attributes": {"kernelSize": 2, "stride": 2, "padding": 1, "outputSize": [5, 5]}, "inputs": [enc(v), enc(i.float())], "outputs": [enc(y)]})

# global average pooling: globalAvgPool2d is nn.AdaptiveAvgPool2d(1), which reads a 3-D input as one
# unbatched [C, H, W] (an imported ONNX GlobalAveragePool reads it as N, C, L: test/ops/pool-global.test.ts)
case("globalAvgPool2d unbatched [3,5,4] (nn.AdaptiveAvgPool2d(1))", "globalAvgPool2d", nn.AdaptiveAvgPool2d(1), {}, rnd(3, 5, 4))
case("globalAvgPool2d unbatched [2,1,7] (nn.AdaptiveAvgPool2d(1))", "globalAvgPool2d", nn.AdaptiveAvgPool2d(1), {}, rnd(2, 1, 7))

HEADER = torch.__version__
(ROOT / "operators" / "pool_unbatched.json").write_text(json.dumps({"torch": HEADER, "cases": CASES}) + "\n")
(ROOT / "vjp" / "pool_unbatched.json").write_text(json.dumps({"torch": HEADER, "cases": VJPS}) + "\n")
print(len(CASES), "cases,", len(VJPS), "gradients")
