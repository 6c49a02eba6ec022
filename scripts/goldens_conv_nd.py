#!/usr/bin/env python3
"""Golden outputs from PyTorch for convlens's 1-D and 3-D operators (audio and video CNNs):
conv1d/conv3d (standard, grouped, depthwise, dilated, strided, padded, asymmetric pads, "same",
no bias), and the 1-D/3-D pooling (max, average, adaptive average).

Writes test/fixtures/operators/conv_nd.json ({"torch": version, "cases": [...]}, the case layout
of scripts/operator_goldens.py). Inputs are rounded to float32 before PyTorch sees them.
Input gradients (test/fixtures/vjp/conv_nd.json): the convolutions' by autograd, and upsample1d's
and upsample3d's over every forward case of theirs and the VJP-only cases of upsample_vjp_cases,
their g (and those cases' x) from generators of their own, so the forward cases' draws stay as
they were.

Run: /usr/bin/python3 scripts/goldens_conv_nd.py
"""
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "conv_nd.json"
# input gradients of the convolutions by PyTorch autograd (x.requires_grad_(); y.backward(g))
VJP_OUT = OUT.parent.parent / "vjp" / "conv_nd.json"
VJP_CASES = []
torch.manual_seed(310)
CASES = []


def enc(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(repr(np.float32(v))) for v in t.flatten().tolist()]}


def rnd(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).to(torch.float32)


def case(name, op, attrs, inputs, outputs, weights=None, training=False):
    CASES.append({
        "name": name, "op": op, "attributes": attrs, "training": training,
        "inputs": [enc(t) for t in inputs],
        "weights": {k: enc(v) for k, v in (weights or {}).items()},
        "outputs": [enc(t) for t in outputs],
    })


CONV = {1: F.conv1d, 3: F.conv3d}
# upsample1d/3d's output gradients, and the inputs of the VJP-only cases: apart from torch's global generator
UP_G = torch.Generator().manual_seed(311)
UP_X = torch.Generator().manual_seed(312)
UP_VJP_CASES = []


def vjp_case(name, op, attrs, x, f, weights):
    """f(x) → y; records PyTorch's ∂(g·y)/∂x for a random g."""
    xg = x.clone().requires_grad_()
    y = f(xg)
    g = torch.randn_like(y)
    y.backward(g)
    VJP_CASES.append({
        "name": "vjp " + name, "op": op, "attributes": attrs,
        "inputs": [enc(x)], "weights": {k: enc(v) for k, v in weights.items()},
        "gradOutputs": [enc(g)], "gradInputs": [enc(xg.grad)],
    })


def conv_case(name, x, cout, k, stride=1, padding=0, dilation=1, groups=1, bias=True, pads=None):
    """pads: explicit [b1..bN, e1..eN] (ONNX order), applied with F.pad before an unpadded conv."""
    rank = x.dim() - 2
    ks = [k] * rank if isinstance(k, int) else list(k)
    w = rnd(cout, x.shape[1] // groups, *ks, scale=0.3)
    b = rnd(cout) if bias else None
    attrs = {"outChannels": cout, "kernelSize": ks if rank > 1 else ks[0], "stride": stride, "dilation": dilation, "groups": groups, "bias": bias}
    if pads is not None:
        # F.pad takes (last axis begin, end, previous axis begin, end, ...)
        fp = []
        for a in reversed(range(rank)):
            fp += [pads[a], pads[rank + a]]
        fn = lambda t: CONV[rank](F.pad(t, fp), w, b, stride, 0, dilation, groups)
        attrs["padding"] = list(pads)
    else:
        fn = lambda t: CONV[rank](t, w, b, stride, padding, dilation, groups)
        attrs["padding"] = padding
    weights = {"weight": w, **({"bias": b} if bias else {})}
    with torch.no_grad():
        y = fn(x)
    case(name, f"conv{rank}d", attrs, [x], [y], weights)
    vjp_case(name, f"conv{rank}d", attrs, x, fn, weights)


def conv_cases():
    conv_case("conv1d x=[2,3,11] k=3 cout=4", rnd(2, 3, 11), 4, 3)
    conv_case("conv1d x=[1,4,16] k=5 s=2 p=2 d=1", rnd(1, 4, 16), 6, 5, stride=2, padding=2)
    conv_case("conv1d x=[1,4,20] k=3 d=3 p=3 (dilated, length kept)", rnd(1, 4, 20), 4, 3, padding=3, dilation=3)
    conv_case("conv1d x=[1,6,9] k=3 g=2 cout=4 no bias", rnd(1, 6, 9), 4, 3, groups=2, bias=False)
    conv_case("conv1d x=[2,4,13] k=3 depthwise g=4 cout=8 s=2 p=1", rnd(2, 4, 13), 8, 3, stride=2, padding=1, groups=4)
    conv_case("conv1d x=[1,2,10] k=4 pads=[1,2] (asymmetric)", rnd(1, 2, 10), 3, 4, pads=[1, 2])
    conv_case('conv1d x=[1,3,12] k=4 d=2 padding="same"', rnd(1, 3, 12), 2, 4, padding="same", dilation=2)
    conv_case("conv1d x=[1,1,40] k=10 s=5 (audio front end)", rnd(1, 1, 40), 4, 10, stride=5)
    conv_case("conv3d x=[1,3,4,6,6] k=3 cout=4 p=1 (r3d block conv)", rnd(1, 3, 4, 6, 6), 4, 3, padding=1)
    conv_case("conv3d x=[1,3,8,10,10] k=[3,7,7] s=[1,2,2] p=[1,3,3] (r3d_18 stem)", rnd(1, 3, 8, 10, 10), 4, [3, 7, 7], stride=[1, 2, 2], padding=[1, 3, 3])
    conv_case("conv3d x=[2,4,5,7,6] k=1 s=2 cout=3 (r3d downsample)", rnd(2, 4, 5, 7, 6), 3, 1, stride=2)
    conv_case("conv3d x=[1,4,5,6,6] k=3 g=2 d=[1,2,2] p=[1,2,2] no bias", rnd(1, 4, 5, 6, 6), 6, 3, dilation=[1, 2, 2], padding=[1, 2, 2], groups=2, bias=False)
    conv_case("conv3d x=[1,3,4,5,5] depthwise g=3 cout=6 k=[3,1,1] (temporal, (2+1)D)", rnd(1, 3, 4, 5, 5), 6, [3, 1, 1], padding=[1, 0, 0], groups=3)
    conv_case("conv3d x=[1,2,4,5,6] k=[1,3,3] s=[1,2,2] pads=[0,1,0, 0,2,1] (asymmetric)", rnd(1, 2, 4, 5, 6), 3, [1, 3, 3], stride=[1, 2, 2], pads=[0, 1, 0, 0, 2, 1])


MAXPOOL = {1: F.max_pool1d, 3: F.max_pool3d}
AVGPOOL = {1: F.avg_pool1d, 3: F.avg_pool3d}
ADAPTIVE = {1: F.adaptive_avg_pool1d, 3: F.adaptive_avg_pool3d}


def pool_cases():
    def mp(name, x, k, stride=None, padding=0, dilation=1, ceil=False):
        rank = x.dim() - 2
        y = MAXPOOL[rank](x, k, stride, padding, dilation, ceil_mode=ceil)
        attrs = {"kernelSize": k, "padding": padding, "dilation": dilation, "ceilMode": ceil, **({"stride": stride} if stride is not None else {})}
        case(name, f"maxPool{rank}d", attrs, [x], [y])

    def ap(name, x, k, stride=None, padding=0, ceil=False, include=True, divisor=None):
        rank = x.dim() - 2
        y = AVGPOOL[rank](x, k, stride, padding, ceil_mode=ceil, count_include_pad=include, **({"divisor_override": divisor} if divisor else {}))
        attrs = {"kernelSize": k, "padding": padding, "ceilMode": ceil, "countIncludePad": include, **({"stride": stride} if stride is not None else {}), **({"divisorOverride": divisor} if divisor else {})}
        case(name, f"avgPool{rank}d", attrs, [x], [y])

    def ad(name, x, size):
        rank = x.dim() - 2
        case(name, f"adaptiveAvgPool{rank}d", {"outputSize": size}, [x], [ADAPTIVE[rank](x, size)])

    mp("maxPool1d x=[2,3,10] k=3 (stride = kernel)", rnd(2, 3, 10), 3)
    mp("maxPool1d x=[1,2,11] k=3 s=2 p=1 d=2 ceil", rnd(1, 2, 11), 3, 2, 1, 2, True)
    mp("maxPool3d x=[1,2,5,6,6] k=[1,3,3] s=[1,2,2] p=[0,1,1]", rnd(1, 2, 5, 6, 6), [1, 3, 3], [1, 2, 2], [0, 1, 1])
    mp("maxPool3d x=[1,2,5,7,7] k=2 s=2 ceil (odd sizes)", rnd(1, 2, 5, 7, 7), 2, 2, 0, 1, True)
    mp("maxPool3d x=[1,1,4,6,6] k=3 s=1 p=1 d=[1,2,2]", rnd(1, 1, 4, 6, 6), 3, 1, 1, [1, 2, 2])
    ap("avgPool1d x=[2,3,9] k=3 s=2 p=1 countIncludePad", rnd(2, 3, 9), 3, 2, 1)
    ap("avgPool1d x=[1,2,9] k=4 s=3 p=2 ceil, pad excluded", rnd(1, 2, 9), 4, 3, 2, True, False)
    ap("avgPool3d x=[1,2,4,6,6] k=2 (stride = kernel)", rnd(1, 2, 4, 6, 6), 2)
    ap("avgPool3d x=[1,2,5,5,5] k=3 s=2 p=1 pad excluded ceil", rnd(1, 2, 5, 5, 5), 3, 2, 1, True, False)
    ap("avgPool3d x=[1,1,3,4,4] k=[1,2,2] divisorOverride=3", rnd(1, 1, 3, 4, 4), [1, 2, 2], divisor=3)
    ad("adaptiveAvgPool1d x=[2,3,10] → 4 (uneven windows)", rnd(2, 3, 10), 4)
    ad("adaptiveAvgPool3d x=[1,3,4,7,7] → 1 (r3d_18 head)", rnd(1, 3, 4, 7, 7), 1)
    ad("adaptiveAvgPool3d x=[1,2,5,7,6] → [2,3,4]", rnd(1, 2, 5, 7, 6), [2, 3, 4])


CONVT = {1: F.conv_transpose1d, 3: F.conv_transpose3d}


def convt_case(name, x, cout, k, stride=1, padding=0, output_padding=0, dilation=1, groups=1, bias=True):
    rank = x.dim() - 2
    ks = [k] * rank if isinstance(k, int) else list(k)
    w = rnd(x.shape[1], cout // groups, *ks, scale=0.3)
    b = rnd(cout) if bias else None
    fn = lambda t: CONVT[rank](t, w, b, stride, padding, output_padding, groups, dilation)
    with torch.no_grad():
        y = fn(x)
    attrs = {"outChannels": cout, "kernelSize": ks if rank > 1 else ks[0], "stride": stride, "padding": padding, "outputPadding": output_padding, "dilation": dilation, "groups": groups, "bias": bias}
    weights = {"weight": w, **({"bias": b} if bias else {})}
    case(name, f"convTranspose{rank}d", attrs, [x], [y], weights)
    vjp_case(name, f"convTranspose{rank}d", attrs, x, fn, weights)


def convt_cases():
    convt_case("convTranspose1d x=[1,3,6] k=4 s=2 p=1 → 12 (2× upsampling)", rnd(1, 3, 6), 4, 4, 2, 1)
    convt_case("convTranspose1d x=[2,4,5] k=3 s=3 op=2 d=2 g=2 no bias", rnd(2, 4, 5), 6, 3, 3, 0, 2, 2, 2, False)
    convt_case("convTranspose1d x=[1,2,7] k=5 s=1 p=2 (same length)", rnd(1, 2, 7), 3, 5, 1, 2)
    convt_case("convTranspose3d x=[1,4,2,3,3] k=[2,2,2] s=2 → [4,6,6]", rnd(1, 4, 2, 3, 3), 3, 2, 2)
    convt_case("convTranspose3d x=[1,2,3,4,4] k=3 s=[1,2,2] p=1 op=[0,1,1]", rnd(1, 2, 3, 4, 4), 4, 3, [1, 2, 2], 1, [0, 1, 1])
    convt_case("convTranspose3d x=[1,4,2,3,3] k=[1,3,3] s=[1,2,2] g=2 d=[1,2,2] p=[0,1,1]", rnd(1, 4, 2, 3, 3), 4, [1, 3, 3], [1, 2, 2], [0, 1, 1], 0, [1, 2, 2], 2)


def upsample_vjp(name, attrs, x, kw):
    """PyTorch's ∂(g·y)/∂x of y = F.interpolate(x, **kw), g from UP_G. Where torch 1.13's nearest backward
    reads other taps than its forward (nearest_idx: o at O = I, o >> 1 at O = 2I, in 1-D and in 3-D with
    C > 1, whose forward reads floor(o·float32(1/scale))), autograd is not the transpose of the forward,
    and the case holds the forward's transpose Jᵀg (J column by column: the forward of each unit
    vector), named so; src/ops/upsample-nd.ts takes the forward's side, as upsample.ts does."""
    xg = x.clone().requires_grad_()
    y = F.interpolate(xg, **kw)
    g = torch.randn(y.shape, generator=UP_G)
    (gx,) = torch.autograd.grad(y, xg, g)
    with torch.no_grad():
        jt_g = torch.zeros(x.numel(), dtype=torch.float64)
        for i in range(x.numel()):
            e = torch.zeros(x.numel())
            e[i] = 1
            jt_g[i] = (F.interpolate(e.reshape(x.shape), **kw).double() * g.double()).sum()
        jt_g = jt_g.reshape(x.shape)
    if (gx.double() - jt_g).abs().max() > 1e-5 * max(1.0, jt_g.abs().max().item()):
        print(f"  {name}: torch's backward is not its forward's transpose (max difference {(gx.double() - jt_g).abs().max().item():.3g}): Jᵀg kept")
        name += " (Jᵀg of torch's forward: torch 1.13's nearest backward reads o, o >> 1 here)"
        gx = jt_g
    op = f"upsample{x.dim() - 2}d"
    UP_VJP_CASES.append({"name": "vjp " + name, "op": op, "attributes": attrs, "inputs": [enc(x)], "weights": {}, "gradOutputs": [enc(g)], "gradInputs": [enc(gx)]})


def up_kw(mode, scale=None, size=None, align=None):
    """F.interpolate's keywords and convlens's attributes for one upsampling."""
    kw = {"mode": mode, **({"scale_factor": scale} if scale is not None else {}), **({"size": size} if size is not None else {}), **({"align_corners": align} if align is not None else {})}
    attrs = {"mode": mode, **({"scaleFactor": scale} if scale is not None else {}), **({"size": size} if size is not None else {}), **({"alignCorners": align} if align is not None else {})}
    return kw, attrs


def upsample_cases():
    def up(name, x, mode, scale=None, size=None, align=None):
        rank = x.dim() - 2
        y = F.interpolate(x, size=size, scale_factor=scale, mode=mode, **({"align_corners": align} if align is not None else {}))
        attrs = {"mode": mode, **({"scaleFactor": scale} if scale is not None else {}), **({"size": size} if size is not None else {}), **({"alignCorners": align} if align is not None else {})}
        case(name, f"upsample{rank}d", attrs, [x], [y])
        upsample_vjp(name, attrs, x, up_kw(mode, scale, size, align)[0])

    up("upsample1d nearest x=[1,2,5] ×2", rnd(1, 2, 5), "nearest", scale=2)
    up("upsample1d nearest x=[1,2,5] size=7 (non-integer ratio)", rnd(1, 2, 5), "nearest", size=7)
    up("upsample1d linear x=[2,2,6] ×2.5", rnd(2, 2, 6), "linear", scale=2.5)
    up("upsample1d linear x=[1,3,4] size=9 alignCorners", rnd(1, 3, 4), "linear", size=9, align=True)
    up("upsample3d nearest x=[1,2,2,3,3] ×[1,2,2]", rnd(1, 2, 2, 3, 3), "nearest", scale=[1.0, 2.0, 2.0])
    up("upsample3d trilinear x=[1,2,3,4,4] ×2", rnd(1, 2, 3, 4, 4), "trilinear", scale=2)
    up("upsample3d trilinear x=[1,1,3,3,4] size=[5,6,5] alignCorners", rnd(1, 1, 3, 3, 4), "trilinear", size=[5, 6, 5], align=True)


def upsample_size_rule_cases():
    """By size, whatever the scale (UpSample.h, torch 1.13 CPU): 3-D nearest reads o at O = I and o >> 1 at
    O = 2I; 1-D nearest has no such rule (floor(o/scale)); linear and trilinear copy an axis at O = I.
    Drawn after every other case, so their inputs stay as they were."""
    def up(name, x, mode, scale, align=None):
        rank = x.dim() - 2
        y = F.interpolate(x, scale_factor=scale, mode=mode, **({"align_corners": align} if align is not None else {}))
        case(name, f"upsample{rank}d", {"mode": mode, "scaleFactor": scale, **({"alignCorners": align} if align is not None else {})}, [x], [y])
        kw, attrs = up_kw(mode, scale, align=align)
        upsample_vjp(name, attrs, x, kw)

    up("upsample1d nearest x=[1,2,7] ×1.1 (O = I, no copy rule in 1-D)", rnd(1, 2, 7), "nearest", 1.1)
    up("upsample1d nearest x=[1,2,5] ×2.1 (O = 2I, no o >> 1 rule in 1-D)", rnd(1, 2, 5), "nearest", 2.1)
    up("upsample1d linear x=[1,2,4] ×1.1 (O = I: a copy)", rnd(1, 2, 4), "linear", 1.1)
    up("upsample1d linear x=[1,2,4] ×1.1 alignCorners (O = I: a copy)", rnd(1, 2, 4), "linear", 1.1, True)
    up("upsample3d nearest x=[2,1,3,4,5] ×[2.1,1.1,1.5] (one channel: o >> 1, copy, floor)", rnd(2, 1, 3, 4, 5), "nearest", [2.1, 1.1, 1.5])
    up("upsample3d nearest x=[1,2,3,4,5] ×[2.1,1.1,1.5] (two channels: floor(o/scale) on every axis)", rnd(1, 2, 3, 4, 5), "nearest", [2.1, 1.1, 1.5])
    up("upsample3d trilinear x=[1,2,3,4,5] ×[1.1,2,1.5] (T kept: a copy)", rnd(1, 2, 3, 4, 5), "trilinear", [1.1, 2.0, 1.5])


def upsample_float32_cases():
    """Nearest source indices as ATen computes them, in float32, and mode nearest-exact (found by a differential run)."""
    def up(name, x, mode, scale=None, size=None):
        rank = x.dim() - 2
        y = F.interpolate(x, size=size, scale_factor=scale, mode=mode)
        case(name, f"upsample{rank}d", {"mode": mode, **({"scaleFactor": scale} if scale is not None else {}), **({"size": size} if size is not None else {})}, [x], [y])
        kw, attrs = up_kw(mode, scale, size)
        upsample_vjp(name, attrs, x, kw)

    # floorf(o·float32(1/2.72)): 68·0.36764705 rounds to 25.0 in float32 (float64: 24.99…96, index 24)
    up("upsample1d nearest x=[1,2,28] ×2.72 (output 68 reads 25: floor of the float32 product)", rnd(1, 2, 28), "nearest", 2.72)
    up("upsample3d nearest x=[1,2,2,1,28] ×[1,1,2.72] (two channels: the float32 product on every axis)", rnd(1, 2, 2, 1, 28), "nearest", [1.0, 1.0, 2.72])
    up("upsample1d nearest-exact x=[1,2,7] size=12 (floor((o + 0.5)·7/12))", rnd(1, 2, 7), "nearest-exact", size=12)
    up("upsample1d nearest-exact x=[2,3,10] ×0.6", rnd(2, 3, 10), "nearest-exact", 0.6)
    up("upsample3d nearest-exact x=[1,1,3,4,5] ×[2,1,1.5] (one channel: no o >> 1 or copy rule)", rnd(1, 1, 3, 4, 5), "nearest-exact", [2.0, 1.0, 1.5])
    up("upsample3d nearest-exact x=[1,2,2,5,3] size=[3,2,7]", rnd(1, 2, 2, 5, 3), "nearest-exact", size=[3, 2, 7])


def upsample_vjp_cases():
    """Input gradients the forward cases do not reach: sizes and scales per mode with alignCorners either way,
    downsampling (inputs no output reads get 0), one output, batches (recomputeScaleFactor's:
    scripts/goldens_upsample_recompute.py)."""
    def up(name, shape, mode, scale=None, size=None, align=None):
        x = torch.randn(shape, generator=UP_X)
        kw, attrs = up_kw(mode, scale, size, align)
        upsample_vjp(name, attrs, x, kw)

    up("upsample1d linear x=[2,3,7] size=12 alignCorners=False", (2, 3, 7), "linear", size=12, align=False)
    up("upsample1d linear x=[1,2,5] ×3 alignCorners=True", (1, 2, 5), "linear", scale=3, align=True)
    up("upsample1d linear x=[1,2,10] ×0.4 (downsampling: inputs 2 and 7 unread)", (1, 2, 10), "linear", scale=0.4)
    up("upsample1d linear x=[1,2,3] size=1 alignCorners=True (one output: source 0)", (1, 2, 3), "linear", size=1, align=True)
    up("upsample1d linear x=[1,2,3] size=1 alignCorners=False (one output: source 1)", (1, 2, 3), "linear", size=1, align=False)
    up("upsample1d nearest x=[2,2,9] size=4 (downsampling)", (2, 2, 9), "nearest", size=4)
    up("upsample1d nearest x=[1,3,6] ×2.5", (1, 3, 6), "nearest", scale=2.5)
    up("upsample1d nearest x=[1,1,6] ×2.1 (one channel: O = 2I, torch's backward o >> 1)", (1, 1, 6), "nearest", scale=2.1)
    up("upsample1d nearest-exact x=[1,2,5] ×2.5", (1, 2, 5), "nearest-exact", scale=2.5)
    up("upsample1d nearest-exact x=[1,2,9] size=4 (downsampling)", (1, 2, 9), "nearest-exact", size=4)
    up("upsample3d trilinear x=[2,1,2,3,4] size=[3,4,5] alignCorners=False", (2, 1, 2, 3, 4), "trilinear", size=[3, 4, 5], align=False)
    up("upsample3d trilinear x=[1,2,3,3,4] ×[2,1.5,0.5] alignCorners=True", (1, 2, 3, 3, 4), "trilinear", scale=[2.0, 1.5, 0.5], align=True)
    up("upsample3d trilinear x=[1,1,4,5,6] ×0.6 (downsampling)", (1, 1, 4, 5, 6), "trilinear", scale=0.6)
    up("upsample3d trilinear x=[1,2,2,3,3] ×[1,2.5,1.1] alignCorners=True (T and W kept: copies)", (1, 2, 2, 3, 3), "trilinear", scale=[1.0, 2.5, 1.1], align=True)
    up("upsample3d nearest x=[1,2,2,2,3] size=[3,3,5]", (1, 2, 2, 2, 3), "nearest", size=[3, 3, 5])
    up("upsample3d nearest x=[1,2,2,4,3] ×[1.6,0.5,2.5] (two channels)", (1, 2, 2, 4, 3), "nearest", scale=[1.6, 0.5, 2.5])
    up("upsample3d nearest x=[2,1,3,2,4] ×[2.1,1.1,0.75] (one channel: o >> 1, copy, floor)", (2, 1, 3, 2, 4), "nearest", scale=[2.1, 1.1, 0.75])
    up("upsample3d nearest-exact x=[2,2,3,2,4] ×[1.5,2,0.7]", (2, 2, 3, 2, 4), "nearest-exact", scale=[1.5, 2.0, 0.7])
    up("upsample3d nearest-exact x=[1,1,2,3,3] size=[4,6,5] (one channel: no o >> 1 or copy rule)", (1, 1, 2, 3, 3), "nearest-exact", size=[4, 6, 5])


def edge(v):
    """A value JSON cannot hold as a number, as a string: "inf", "-inf", "nan", "-0"."""
    return str(v) if not math.isfinite(v) else "-0" if v == 0 and math.copysign(1, v) < 0 else v


def upsample_edges():
    """±inf and −0 through upsample1d/3d (the cases' numbers must be finite)."""
    inf = float("inf")
    out = []
    for name, data, shape, attrs in (
        ("upsample1d nearest ×2 of ±inf", [1.0, inf, -inf, 2.0], (1, 1, 4), {"mode": "nearest", "scaleFactor": 2}),
        ("upsample1d nearest ×2 keeps −0", [-0.0, 1.0], (1, 1, 2), {"mode": "nearest", "scaleFactor": 2}),
        ("upsample1d linear size 5 alignCorners of inf (0·inf at o = 0)", [0.0, inf, 2.0], (1, 1, 3), {"mode": "linear", "size": 5, "alignCorners": True}),
        ("upsample1d linear ×2 of inf", [0.0, inf, 2.0], (1, 1, 3), {"mode": "linear", "scaleFactor": 2}),
        ("upsample1d linear ×2 keeps −0", [-0.0, -0.0], (1, 1, 2), {"mode": "linear", "scaleFactor": 2}),
        ("upsample3d nearest ×[1,2,2] of ±inf", [1.0, inf, -inf, 2.0], (1, 1, 1, 2, 2), {"mode": "nearest", "scaleFactor": [1, 2, 2]}),
        ("upsample3d nearest ×2 keeps −0", [-0.0, 1.0], (1, 1, 1, 1, 2), {"mode": "nearest", "scaleFactor": 2}),
        ("upsample3d trilinear ×[1,2,2] of ±inf", [1.0, inf, -inf, 2.0], (1, 1, 1, 2, 2), {"mode": "trilinear", "scaleFactor": [1, 2, 2]}),
    ):
        x = torch.tensor(data, dtype=torch.float32).reshape(shape)
        kw = {"scale_factor": attrs["scaleFactor"]} if "scaleFactor" in attrs else {"size": attrs["size"]}
        y = F.interpolate(x, mode=attrs["mode"], **kw, **({"align_corners": True} if attrs.get("alignCorners") else {}))
        out.append({"name": name, "op": f"upsample{len(shape) - 2}d", "attributes": attrs, "input": {"shape": list(shape), "data": [edge(v) for v in data]},
                    "output": {"shape": list(y.shape), "data": [edge(v) for v in y.flatten().tolist()]}})
    return out


def main():
    conv_cases()
    upsample_cases()
    convt_cases()
    pool_cases()
    upsample_size_rule_cases()
    upsample_float32_cases()
    upsample_vjp_cases()
    VJP_CASES.extend(UP_VJP_CASES)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES, "edges": upsample_edges()}, separators=(",", ":")) + "\n")
    print(f"{len(CASES)} cases → {OUT}")
    VJP_OUT.write_text(json.dumps({"torch": torch.__version__, "cases": VJP_CASES}, separators=(",", ":")) + "\n")
    print(f"{len(VJP_CASES)} vjp cases → {VJP_OUT}")


if __name__ == "__main__":
    main()
