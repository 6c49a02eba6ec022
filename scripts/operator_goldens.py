#!/usr/bin/env python3
"""Golden outputs from PyTorch for every convlens operator and attribute combination.

Writes test/fixtures/operators/goldens.json (and arange.npy, a NumPy-written .npy): a list of cases, each with convlens's operator name
and attributes, the input tensors, the weights by role, and PyTorch's output(s). Inputs are
rounded to float32 before PyTorch sees them, so both sides compute on identical values.

Run: /usr/bin/python3 scripts/operator_goldens.py   (Debian python3-torch, python3-torchvision)
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

from golden_kit import enc, rnd

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "goldens.json"
torch.manual_seed(1234)
CASES = []


def case(name, op, attrs, inputs, outputs, weights=None, training=False):
    CASES.append({
        "name": name, "op": op, "attributes": attrs, "training": training,
        "inputs": [enc(t) for t in inputs],
        "weights": {k: enc(v) for k, v in (weights or {}).items()},
        "outputs": [enc(t) for t in outputs],
    })


def conv_case(name, x, cout, k, stride=1, padding=0, dilation=1, groups=1, bias=True, pads4=None, mode=None):
    kh, kw = (k, k) if isinstance(k, int) else k
    w = rnd(cout, x.shape[1] // groups, kh, kw, scale=0.3)
    b = rnd(cout) if bias else None
    attrs = {"outChannels": cout, "kernelSize": [kh, kw], "stride": stride, "dilation": dilation, "groups": groups, "bias": bias}
    if pads4 is not None:
        t, l, bt, r = pads4
        y = F.conv2d(F.pad(x, (l, r, t, bt)), w, b, stride, 0, dilation, groups)
        attrs["padding"] = list(pads4)
    else:
        wy = w.flip(2, 3) if mode == "convolution" else w
        y = F.conv2d(x, wy, b, stride, padding, dilation, groups)
        attrs["padding"] = padding
    if mode:
        attrs["mode"] = mode
    case(name, "conv2d", attrs, [x], [y], {"weight": w, **({"bias": b} if bias else {})})


def main():
    # --- conv2d
    conv_case("conv2d x=[1,3,7,7] k=3 s=1 p=1", rnd(1, 3, 7, 7), 4, 3, padding=1)
    conv_case("conv2d x=[2,4,9,8] k=[3,2] s=[2,1] p=[1,0]", rnd(2, 4, 9, 8), 5, (3, 2), stride=[2, 1], padding=[1, 0])
    conv_case("conv2d x=[1,2,7,6] k=3 asymmetric padding [1,0,2,1]", rnd(1, 2, 7, 6), 3, 3, pads4=(1, 0, 2, 1))
    conv_case("conv2d x=[1,4,11,11] k=3 d=2 p=2 g=2 (grouped, dilated)", rnd(1, 4, 11, 11), 6, 3, padding=2, dilation=2, groups=2)
    conv_case("conv2d x=[1,6,10,10] k=3 s=2 p=1 g=6 (depthwise)", rnd(1, 6, 10, 10), 6, 3, stride=2, padding=1, groups=6)
    conv_case("conv2d x=[1,3,8,8] k=3 p=1 g=3 out=6 (depthwise, multiplier 2)", rnd(1, 3, 8, 8), 6, 3, padding=1, groups=3)
    conv_case("conv2d x=[1,4,9,12] k=5 d=2 p=[3,1] g=4 (depthwise, dilated, wide kernel)", rnd(1, 4, 9, 12), 4, 5, padding=[3, 1], dilation=2, groups=4)
    conv_case("conv2d x=[2,3,7,9] k=[3,2] s=[1,2] p=[1,2] g=3 (depthwise, rectangular, strided)", rnd(2, 3, 7, 9), 3, (3, 2), stride=[1, 2], padding=[1, 2], groups=3)
    conv_case("conv2d x=[1,2,10,9] k=4 padding=same", rnd(1, 2, 10, 9), 3, 4, padding="same", bias=False)
    conv_case("conv2d x=[1,2,6,6] k=3 padding=valid", rnd(1, 2, 6, 6), 2, 3, padding="valid")
    conv_case("conv2d x=[2,8,5,5] k=1 (pointwise)", rnd(2, 8, 5, 5), 4, 1)
    conv_case("conv2d x=[1,16,13,13] k=3 p=1 s=2 (wide)", rnd(1, 16, 13, 13), 12, 3, stride=2, padding=1)
    conv_case("conv2d x=[1,2,5,5] k=3 mode=convolution (flipped kernel)", rnd(1, 2, 5, 5), 2, 3, padding=1, mode="convolution")

    # --- convTranspose2d
    def convt(name, x, cout, k, stride=1, padding=0, output_padding=0, dilation=1, groups=1, bias=True):
        w = rnd(x.shape[1], cout // groups, k, k, scale=0.3)
        b = rnd(cout) if bias else None
        y = F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)
        attrs = {"outChannels": cout, "kernelSize": k, "stride": stride, "padding": padding, "outputPadding": output_padding,
                 "dilation": dilation, "groups": groups, "bias": bias}
        case(name, "convTranspose2d", attrs, [x], [y], {"weight": w, **({"bias": b} if bias else {})})
    convt("convTranspose2d x=[1,4,5,5] k=3 s=2 p=1 op=1", rnd(1, 4, 5, 5), 3, 3, 2, 1, 1)
    convt("convTranspose2d x=[1,4,4,4] k=3 s=2 p=1 d=2 g=2", rnd(1, 4, 4, 4), 6, 3, 2, 1, 0, 2, 2)
    convt("convTranspose2d x=[2,3,3,4] k=2 s=2 (U-Net)", rnd(2, 3, 3, 4), 2, 2, 2)
    convt("convTranspose2d x=[1,2,3,3] k=2 s=3 (gaps)", rnd(1, 2, 3, 3), 2, 2, 3, bias=False)

    # --- deformConv2d (torchvision.ops.deform_conv2d)
    def deform(name, x, cout, k, offset_groups, stride=1, padding=0, dilation=1, groups=1, masked=False):
        w = rnd(cout, x.shape[1] // groups, k, k, scale=0.3)
        b = rnd(cout)
        oh = (x.shape[2] + 2 * padding - dilation * (k - 1) - 1) // stride + 1
        ow = (x.shape[3] + 2 * padding - dilation * (k - 1) - 1) // stride + 1
        offset = rnd(x.shape[0], 2 * offset_groups * k * k, oh, ow, scale=1.7)
        mask = torch.sigmoid(rnd(x.shape[0], offset_groups * k * k, oh, ow)) if masked else None
        y = torchvision.ops.deform_conv2d(x, offset, w, b, stride, padding, dilation, mask)
        attrs = {"outChannels": cout, "kernelSize": k, "stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        ins = [x, offset] + ([mask] if masked else [])
        case(name, "deformConv2d", attrs, ins, [y], {"weight": w, "bias": b})
    deform("deformConv2d x=[1,4,6,6] k=3 p=1 fractional offsets", rnd(1, 4, 6, 6), 3, 3, 1, padding=1)
    deform("deformConv2d x=[1,4,7,7] k=3 s=2 p=1 offset groups 2, mask (v2)", rnd(1, 4, 7, 7), 4, 3, 2, stride=2, padding=1, masked=True)
    deform("deformConv2d x=[2,4,6,6] k=2 d=2 groups 2 mask", rnd(2, 4, 6, 6), 2, 2, 2, dilation=2, groups=2, masked=True)

    # --- pooling
    x = rnd(1, 2, 7, 7)
    y, idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    case("maxPool2d x=[1,2,7,7] k=3 s=2 p=1 with indices", "maxPool2d", {"kernelSize": 3, "stride": 2, "padding": 1, "returnIndices": True}, [x], [y, idx.float()])
    x = rnd(1, 2, 6, 6)
    case("maxPool2d x=[1,2,6,6] k=3 s=2 ceilMode (edge window)", "maxPool2d", {"kernelSize": 3, "stride": 2, "ceilMode": True}, [x], [F.max_pool2d(x, 3, 2, ceil_mode=True)])
    x = rnd(1, 1, 9, 8)
    case("maxPool2d x=[1,1,9,8] k=2 s=1 d=2", "maxPool2d", {"kernelSize": 2, "stride": 1, "dilation": 2}, [x], [F.max_pool2d(x, 2, 1, dilation=2)])
    x = rnd(1, 2, 7, 7)
    for cip in (True, False):
        case(f"avgPool2d x=[1,2,7,7] k=3 s=2 p=1 countIncludePad={cip}", "avgPool2d", {"kernelSize": 3, "stride": 2, "padding": 1, "countIncludePad": cip}, [x],
             [F.avg_pool2d(x, 3, 2, 1, count_include_pad=cip)])
        case(f"avgPool2d x=[1,2,7,7] k=2 s=2 p=1 ceilMode countIncludePad={cip}", "avgPool2d",
             {"kernelSize": 2, "stride": 2, "padding": 1, "ceilMode": True, "countIncludePad": cip}, [x],
             [F.avg_pool2d(x, 2, 2, 1, ceil_mode=True, count_include_pad=cip)])
    case("avgPool2d x=[1,2,7,7] k=3 s=3 ceilMode divisorOverride=2", "avgPool2d", {"kernelSize": 3, "stride": 3, "ceilMode": True, "divisorOverride": 2}, [x],
         [F.avg_pool2d(x, 3, 3, ceil_mode=True, divisor_override=2)])
    x = rnd(2, 3, 5, 4)
    case("globalAvgPool2d x=[2,3,5,4]", "globalAvgPool2d", {}, [x], [F.adaptive_avg_pool2d(x, 1)])
    x = rnd(1, 2, 7, 5)
    case("adaptiveAvgPool2d x=[1,2,7,5] → [3,2]", "adaptiveAvgPool2d", {"outputSize": [3, 2]}, [x], [F.adaptive_avg_pool2d(x, (3, 2))])
    x = rnd(1, 2, 6, 6)
    y, idx = F.max_pool2d(x, 2, 2, return_indices=True)
    case("maxUnpool2d from maxPool2d k=2 x=[1,2,6,6]", "maxUnpool2d", {"kernelSize": 2}, [y, idx.float()], [F.max_unpool2d(y, idx, 2)])

    # --- interpolation
    x = rnd(1, 2, 3, 4)
    case("upsample nearest ×2", "upsample", {"mode": "nearest", "scaleFactor": 2}, [x], [F.interpolate(x, scale_factor=2, mode="nearest")])
    case("upsample nearest to [7,5]", "upsample", {"mode": "nearest", "size": [7, 5]}, [x], [F.interpolate(x, size=(7, 5), mode="nearest")])
    case("upsample nearest ×1.5", "upsample", {"mode": "nearest", "scaleFactor": 1.5}, [x], [F.interpolate(x, scale_factor=1.5, mode="nearest")])
    for ac in (False, True):
        case(f"upsample bilinear ×2 alignCorners={ac}", "upsample", {"mode": "bilinear", "scaleFactor": 2, "alignCorners": ac}, [x],
             [F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=ac)])
        case(f"upsample bilinear to [5,9] alignCorners={ac}", "upsample", {"mode": "bilinear", "size": [5, 9], "alignCorners": ac}, [x],
             [F.interpolate(x, size=(5, 9), mode="bilinear", align_corners=ac)])
    for ac in (False, True):
        case(f"upsample bicubic ×2 alignCorners={ac}", "upsample", {"mode": "bicubic", "scaleFactor": 2, "alignCorners": ac}, [x],
             [F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=ac)])
    case("upsample bicubic to [5,9]", "upsample", {"mode": "bicubic", "size": [5, 9], "alignCorners": False}, [x],
         [F.interpolate(x, size=(5, 9), mode="bicubic", align_corners=False)])
    x = rnd(1, 1, 8, 7)
    case("upsample bilinear down to [3,4]", "upsample", {"mode": "bilinear", "size": [3, 4], "alignCorners": False}, [x],
         [F.interpolate(x, size=(3, 4), mode="bilinear", align_corners=False)])
    case("upsample bilinear ×1.7", "upsample", {"mode": "bilinear", "scaleFactor": 1.7, "alignCorners": False}, [x],
         [F.interpolate(x, scale_factor=1.7, mode="bilinear", align_corners=False)])

    # --- linear, flatten, softmax
    x = rnd(3, 8)
    w, b = rnd(5, 8, scale=0.3), rnd(5)
    case("linear x=[3,8] → 5", "linear", {"outFeatures": 5}, [x], [F.linear(x, w, b)], {"weight": w, "bias": b})
    x = rnd(2, 3, 8)
    case("linear x=[2,3,8] → 5 (last dim), no bias", "linear", {"outFeatures": 5, "bias": False}, [x], [F.linear(x, w)], {"weight": w})
    x = rnd(2, 3, 4, 5)
    case("flatten x=[2,3,4,5]", "flatten", {}, [x], [torch.flatten(x, 1)])
    case("softmax dim=1", "softmax", {"dim": 1}, [x], [F.softmax(x, 1)])
    case("softmax dim=-1", "softmax", {"dim": -1}, [x], [F.softmax(x, -1)])

    # --- activations
    x = rnd(2, 3, 4, 4, scale=4)
    case("relu", "relu", {}, [x], [F.relu(x)])
    case("relu6", "relu6", {}, [x], [F.relu6(x)])
    case("leakyRelu slope 0.1 (the notes)", "leakyRelu", {"negativeSlope": 0.1}, [x], [F.leaky_relu(x, 0.1)])
    case("leakyRelu default 0.01", "leakyRelu", {}, [x], [F.leaky_relu(x)])
    case("sigmoid", "sigmoid", {}, [x], [torch.sigmoid(x)])
    case("swish (silu)", "swish", {}, [x], [F.silu(x)])
    case("hardSigmoid pytorch: relu6(x+3)/6", "hardSigmoid", {"variant": "pytorch"}, [x], [F.hardsigmoid(x)])
    case("hardSigmoid notes: max(0, min(1, (x+1)/2))", "hardSigmoid", {"variant": "notes"}, [x], [torch.clamp((x + 1) / 2, 0, 1)])
    case("hardSwish", "hardSwish", {}, [x], [F.hardswish(x)])
    case("clip [-1, 2]", "clip", {"min": -1, "max": 2}, [x], [torch.clamp(x, -1, 2)])

    # --- batch norm
    x = rnd(2, 3, 4, 5)
    g, bb, m, v = rnd(3).abs() + 0.5, rnd(3), rnd(3), rnd(3).abs() + 0.5
    case("batchNorm2d inference (running stats)", "batchNorm2d", {"eps": 1e-5}, [x], [F.batch_norm(x, m, v, g, bb, False, 0.1, 1e-5)],
         {"weight": g, "bias": bb, "runningMean": m, "runningVar": v})
    case("batchNorm2d training (batch statistics)", "batchNorm2d", {"eps": 1e-5}, [x], [F.batch_norm(x, m.clone(), v.clone(), g, bb, True, 0.1, 1e-5)],
         {"weight": g, "bias": bb, "runningMean": m, "runningVar": v}, training=True)

    # --- merges, shuffle, matmul
    a, b4 = rnd(2, 3, 4, 4), rnd(1, 3, 1, 1)
    case("add broadcast [2,3,4,4] + [1,3,1,1]", "add", {}, [a, b4], [a + b4])
    c = rnd(2, 3, 4, 4)
    case("add three inputs", "add", {}, [a, c, a], [a + c + a])
    case("mul broadcast", "mul", {}, [a, b4], [a * b4])
    case("sub", "sub", {}, [a, c], [a - c])
    case("div", "div", {}, [a, b4.abs() + 0.5], [a / (b4.abs() + 0.5)])
    d = rnd(2, 5, 4, 4)
    case("concat dim=1 [2,3,4,4] + [2,5,4,4]", "concat", {"dim": 1}, [a, d], [torch.cat([a, d], 1)])
    e = rnd(2, 3, 2, 4)
    case("concat dim=2", "concat", {"dim": 2}, [a, e], [torch.cat([a, e], 2)])
    x = rnd(2, 6, 3, 3)
    case("channelShuffle groups=3 x=[2,6,3,3]", "channelShuffle", {"groups": 3}, [x], [torch.nn.ChannelShuffle(3)(x)])
    p, q = rnd(2, 1, 3, 4), rnd(3, 4, 5)
    case("matmul broadcast [2,1,3,4] @ [3,4,5]", "matmul", {}, [p, q], [torch.matmul(p, q)])

    # --- tensor plumbing
    x = rnd(2, 6, 3, 4)
    case("reshape [2,6,3,4] → [2,3,2,12]", "reshape", {"shape": [2, 3, 2, -1]}, [x], [x.reshape(2, 3, 2, 12)])
    case("transpose perm [0,2,3,1]", "transpose", {"perm": [0, 2, 3, 1]}, [x], [x.permute(0, 2, 3, 1)])
    case("slice W 1: step 2, C ::-2 is not used; C 1:5", "slice", {"starts": [1, 1], "ends": [5, 100], "axes": [1, 3], "steps": [1, 2]}, [x], [x[:, 1:5, :, 1::2]])
    case("split axis 1 [1,2,3]", "split", {"axis": 1, "split": [1, 2, 3]}, [x], list(torch.split(x, [1, 2, 3], 1)))
    for mode, tmode in (("constant", "constant"), ("reflect", "reflect"), ("edge", "replicate"), ("wrap", "circular")):
        pads = [0, 0, 1, 2, 0, 0, 2, 1]
        case(f"pad {mode} H 1/2 W 2/1", "pad", {"pads": pads, "mode": mode, "value": 0.5}, [x],
             [F.pad(x, (2, 1, 1, 2), mode=tmode, **({"value": 0.5} if tmode == "constant" else {}))])
    case("reduceMean axes [2,3] keepDims", "reduceMean", {"axes": [2, 3], "keepDims": True}, [x], [x.mean((2, 3), keepdim=True)])
    case("reduceMean axis 1 no keepDims", "reduceMean", {"axes": [1], "keepDims": False}, [x], [x.mean(1)])
    idx = torch.tensor([2.0, 0.0, 5.0])
    case("gather axis 1 [2,0,5]", "gather", {"axis": 1}, [x, idx], [x.index_select(1, idx.long())])
    y = rnd(1, 3, 1, 4)
    case("expand [1,3,1,4] → [2,3,5,4]", "expand", {}, [y, torch.tensor([2.0, 3.0, 5.0, 4.0])], [y.expand(2, 3, 5, 4)])

    for more in LATE:
        more()

    OUT.parent.mkdir(parents=True, exist_ok=True)
    # a .npy written by NumPy itself, for the decoder's test
    np.save(OUT.parent / "arange.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
    OUT.write_text(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__, "cases": CASES, "edges": upsample_edges()}) + "\n")
    print(len(CASES), "cases,", OUT.stat().st_size, "bytes")


def upsample_size_rules():
    """upsample by a scale whose output keeps an axis's size or doubles it: torch reads those axes by
    size (UpSample.h nearest_idx: o, o >> 1; bilinear compute_source_index_and_lambda: a copy);
    bicubic has no such rule. Drawn after every other case, so their inputs stay as they were."""
    x = rnd(1, 2, 3, 4)
    x1 = rnd(2, 1, 3, 4)
    for sf in ((2.1, 1.0), (1.0, 1.1), (2.05, 1.6)):
        # one channel: the channels-last kernel, nearest_idx; two: floor(o/scale) whatever the sizes
        case(f"upsample nearest scaleFactor {list(sf)} C=1 (by size: 2H reads o >> 1, a kept axis is a copy)", "upsample", {"mode": "nearest", "scaleFactor": list(sf)}, [x1],
             [F.interpolate(x1, scale_factor=sf, mode="nearest")])
        case(f"upsample nearest scaleFactor {list(sf)} C=2 (floor(o/scale))", "upsample", {"mode": "nearest", "scaleFactor": list(sf)}, [x],
             [F.interpolate(x, scale_factor=sf, mode="nearest")])
    for ac in (False, True):
        case(f"upsample bilinear scaleFactor [1.25, 2] alignCorners={ac} (H kept: a copy)", "upsample", {"mode": "bilinear", "scaleFactor": [1.25, 2], "alignCorners": ac}, [x],
             [F.interpolate(x, scale_factor=(1.25, 2), mode="bilinear", align_corners=ac)])
    case("upsample bilinear scaleFactor [1.7, 1.1] (W kept: a copy)", "upsample", {"mode": "bilinear", "scaleFactor": [1.7, 1.1], "alignCorners": False}, [x],
         [F.interpolate(x, scale_factor=(1.7, 1.1), mode="bilinear", align_corners=False)])
    case("upsample bicubic scaleFactor [1.25, 2] (no copy rule)", "upsample", {"mode": "bicubic", "scaleFactor": [1.25, 2], "alignCorners": False}, [x],
         [F.interpolate(x, scale_factor=(1.25, 2), mode="bicubic", align_corners=False)])


# cases drawn after all the others (scripts/vjp_goldens.py runs them after its own extras, for the same reason)
def upsample_nearest_exact():
    """mode nearest-exact (F.interpolate): the output pixel's centre, floor((o + 0.5)·float32(1/scale)); no size rule, one channel or many."""
    for shape, kw in (((1, 2, 5, 7), {"scale_factor": 1.7}), ((2, 1, 4, 3), {"scale_factor": (2.0, 3.0)}), ((1, 3, 9, 10), {"size": (4, 7)}),
                      ((1, 1, 3, 6), {"size": (6, 6)})):
        x = rnd(*shape)
        attrs = {"mode": "nearest-exact", **({"scaleFactor": kw["scale_factor"] if isinstance(kw["scale_factor"], float) else list(kw["scale_factor"])} if "scale_factor" in kw else {}),
                 **({"size": list(kw["size"])} if "size" in kw else {})}
        dims = lambda v: ",".join(f"{d:g}" for d in (v if isinstance(v, tuple) else (v,)))
        how = f"×[{dims(kw['scale_factor'])}]" if "scale_factor" in kw else f"size=[{dims(kw['size'])}]"
        case(f"upsample nearest-exact x=[{dims(shape)}] {how}", "upsample", attrs, [x], [F.interpolate(x, mode="nearest-exact", **kw)])


def pad_wrap_crops():
    """pad wrap with a negative pad: cropped first, then wrapped (F.pad circular: the left pad copies the cropped run's end)."""
    for shape, pads in (((1, 1, 6), [0, 0, 2, 0, 0, -1]), ((2, 3, 5), [0, 0, -2, 0, 0, 3]), ((1, 2, 4, 5), [0, 0, -1, 1, 0, 0, 2, -2]),
                        ((1, 1, 3, 4, 5), [0, 0, 1, -1, 2, 0, 0, -1, 2, -2])):
        x = rnd(*shape)
        r = len(shape)
        tp = []
        for a in reversed(range(2, r)):
            tp += [pads[a], pads[a + r]]
        case(f"pad wrap x=[{','.join(map(str, shape))}] pads=[{','.join(map(str, pads))}] (crop, then wrap what is left)", "pad", {"pads": pads, "mode": "wrap"}, [x],
             [F.pad(x, tp, mode="circular")])


LATE = [upsample_size_rules, upsample_nearest_exact, pad_wrap_crops]


def edge(v):
    """A value JSON cannot hold as a number, as a string: "inf", "-inf", "nan", "-0"."""
    return str(v) if not np.isfinite(v) else "-0" if v == 0 and np.signbit(v) else v


def upsample_edges():
    """±inf and −0 through upsample (not drawn at random: the cases' numbers must be finite)."""
    inf = float("inf")
    out = []
    for name, data, shape, attrs, kw in (
        ("nearest ×2 keeps −0", [-0.0, 1.0], (1, 1, 1, 2), {"scaleFactor": 2}, {"scale_factor": 2, "mode": "nearest"}),
        ("bilinear ×2 keeps −0", [-0.0, -0.0], (1, 1, 1, 2), {"mode": "bilinear", "scaleFactor": 2}, {"scale_factor": 2, "mode": "bilinear"}),
        ("bicubic ×2 of −0 is +0 (negative weights)", [-0.0, -0.0], (1, 1, 1, 2), {"mode": "bicubic", "scaleFactor": 2}, {"scale_factor": 2, "mode": "bicubic"}),
        ("nearest ×2 of ±inf", [1.0, inf, -inf, 2.0], (1, 1, 2, 2), {"scaleFactor": 2}, {"scale_factor": 2, "mode": "nearest"}),
        ("bilinear ×2 of ±inf (zero-weight taps give NaN)", [1.0, inf, -inf, 2.0], (1, 1, 2, 2), {"mode": "bilinear", "scaleFactor": 2}, {"scale_factor": 2, "mode": "bilinear"}),
        ("bilinear copy axis of inf (1·inf + 0·inf)", [1.0, inf, 3.0], (1, 1, 1, 3), {"mode": "bilinear", "scaleFactor": [1, 1.1]}, {"scale_factor": (1, 1.1), "mode": "bilinear"}),
    ):
        x = torch.tensor(data, dtype=torch.float32).reshape(shape)
        y = F.interpolate(x, **kw)
        out.append({"name": f"upsample {name}", "op": "upsample", "attributes": attrs, "input": {"shape": list(shape), "data": [edge(v) for v in data]},
                    "output": {"shape": list(y.shape), "data": [edge(v) for v in y.flatten().tolist()]}})
    return out


if __name__ == "__main__":
    main()
