#!/usr/bin/env python3
"""Vector-Jacobian goldens from PyTorch autograd, over the forward goldens' own cases.

Runs scripts/operator_goldens.py's main() with every random tensor it makes requiring a gradient,
and captures each case's inputs and outputs as autograd sees them; then, for random output
gradients g (one per differentiable output, from a generator of its own), the input gradients
torch.autograd.grad(outputs, inputs, g): the VJP contract of src/ops/types.ts (weights are held
constant: their gradients are never read). Extra cases below cover what the forward goldens do
not (rows a strided conv drops, padding beyond the kernel, …). Ops whose VJPs another script
covers (activations, normalisation: scripts/vjp_goldens_activation.py) are left out.

Writes test/fixtures/vjp/<family>.json = {"torch": ver, "cases": [{name, op, attributes, training,
inputs, weights, gradOutputs, gradInputs}]}; a gradient is null where PyTorch has none (indices,
shape tensors) or an output does not depend on the inputs.

Run: /usr/bin/python3 scripts/vjp_goldens.py
"""
import json
import sys
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parent))
import operator_goldens as og  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "vjp"
FAMILY = {
    "conv2d": "conv", "convTranspose2d": "conv", "deformConv2d": "conv",
    "maxPool2d": "pool", "avgPool2d": "pool", "globalAvgPool2d": "pool", "adaptiveAvgPool2d": "pool", "maxUnpool2d": "pool",
    "upsample": "upsample", "resize": "upsample",
    "linear": "plumbing", "flatten": "plumbing", "matmul": "plumbing",
    "add": "merge", "sub": "merge", "mul": "merge", "div": "merge", "concat": "merge", "channelShuffle": "merge",
    "reshape": "plumbing", "transpose": "plumbing", "slice": "plumbing", "split": "plumbing", "pad": "plumbing",
    "reduceMean": "plumbing", "gather": "plumbing", "expand": "plumbing", "squeeze": "plumbing", "unsqueeze": "plumbing",
    "identity": "plumbing", "cast": "plumbing", "shape": "plumbing", "reduceSum": "plumbing", "reduceMax": "plumbing", "reduceMin": "plumbing", "reduceL2": "plumbing", "reduceProd": "plumbing",
}
GRADS = torch.Generator().manual_seed(777)
CAPTURED = []


def grad_rnd(*shape):
    return torch.randn(tuple(shape), generator=GRADS).to(torch.float32)


def rnd(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).to(torch.float32).requires_grad_(True)


def capture(name, op, attrs, inputs, outputs, weights=None, training=False):
    CAPTURED.append((name, op, attrs, inputs, outputs, weights or {}, training))


def vjp_case(name, op, attrs, inputs, outputs, weights, training):
    wanted = [t for t in inputs if t.requires_grad]
    diff = [y for y in outputs if y.requires_grad]
    if len({id(t) for t in wanted}) < len(wanted):
        return "one tensor passed as two inputs (autograd sums their gradients)"
    gs = {id(y): grad_rnd(*y.shape) for y in diff}
    grads = torch.autograd.grad(diff, wanted, [gs[id(y)] for y in diff], allow_unused=True, retain_graph=True) if diff and wanted else []
    by_input = {id(t): g for t, g in zip(wanted, grads)}
    if any(g is None for g in grads):
        return "an input outside the graph of the outputs (the forward recomputed it)"
    enc = og.enc

    def maybe(t):
        return None if t is None else enc(t)
    return {
        "name": name, "op": op, "attributes": attrs, "training": training,
        "inputs": [enc(t) for t in inputs],
        "weights": {k: enc(v) for k, v in weights.items()},
        "gradOutputs": [enc(gs[id(y)]) if id(y) in gs else None for y in outputs],
        # no output depends differentiably on the inputs (a cast to an integer type): no gradient at all
        "gradInputs": [maybe(by_input.get(id(t), torch.zeros_like(t)) if t.requires_grad and diff else None) for t in inputs],
    }


def extra():
    """Cases the forward goldens do not need but a VJP does."""
    c = og.conv_case
    c("conv2d x=[1,2,8,8] k=3 s=2 p=0 (the last row and column dropped: zero gradient)", rnd(1, 2, 8, 8), 3, 3, stride=2)
    c("conv2d x=[1,2,6,7] k=3 p=3 (padding beyond the kernel: the transposed path)", rnd(1, 2, 6, 7), 2, 3, padding=3)
    c("conv2d x=[1,3,9,9] k=3 s=3 d=2 p=[2,1] g=3 (depthwise, strided, dilated)", rnd(1, 3, 9, 9), 3, 3, stride=3, padding=[2, 1], dilation=2, groups=3)
    c("conv2d x=[1,4,7,8] k=[3,1] s=[2,3] asymmetric padding [0,2,1,0] g=2", rnd(1, 4, 7, 8), 4, (3, 1), stride=[2, 3], groups=2, pads4=(0, 2, 1, 0))
    c("conv2d x=[2,2,6,6] k=3 s=2 p=1 mode=convolution", rnd(2, 2, 6, 6), 3, 3, stride=2, padding=1, mode="convolution")
    c("conv2d x=[1,2,7,7] k=3 asymmetric padding [2,1,0,2] stride 1", rnd(1, 2, 7, 7), 3, 3, pads4=(2, 1, 0, 2))
    x = rnd(1, 2, 7, 7)
    y, idx = F.max_pool2d(x, 2, 2, return_indices=True)
    capture("maxPool2d x=[1,2,7,7] k=2 s=2 with indices (last row dropped)", "maxPool2d", {"kernelSize": 2, "stride": 2, "returnIndices": True}, [x], [y, idx.float()])
    x = rnd(1, 2, 7, 6)
    capture("maxPool2d x=[1,2,7,6] k=3 s=2 p=1 d=2 ceilMode", "maxPool2d", {"kernelSize": 3, "stride": 2, "padding": 1, "dilation": 2, "ceilMode": True}, [x],
            [F.max_pool2d(x, 3, 2, 1, dilation=2, ceil_mode=True)])
    # the forward goldens' "add three inputs" passes a twice and "div" recomputes b: as separate tensors here
    a, c = rnd(2, 3, 4, 4), rnd(2, 3, 4, 4)
    a2 = a.detach().clone().requires_grad_(True)
    capture("add three inputs (a + c + a, the first and last separate tensors)", "add", {}, [a, c, a2], [a + c + a2])
    b = (rnd(1, 3, 1, 1).abs() + 0.5).detach().requires_grad_(True)
    capture("div broadcast [2,3,4,4] / [1,3,1,1]", "div", {}, [a, b], [a / b])
    c0 = c[0, 0, 0].detach().requires_grad_(True)
    capture("mul three inputs broadcast [2,3,4,4]·[1,3,1,1]·[4]", "mul", {}, [a, b, c0], [a * b * c0])
    c1 = c[0, :, :1].detach().requires_grad_(True)
    capture("sub broadcast [2,3,4,4] − [3,1,4]", "sub", {}, [a, c1], [a - c1])
    # transposed convolutions: depthwise, pointwise, dilated with output padding
    def convt(name, x, cout, k, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
        w = rnd(x.shape[1], cout // groups, k, k, scale=0.3)
        b = rnd(cout)
        attrs = {"outChannels": cout, "kernelSize": k, "stride": stride, "padding": padding, "outputPadding": output_padding, "dilation": dilation, "groups": groups}
        capture(name, "convTranspose2d", attrs, [x], [F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)], {"weight": w, "bias": b})
    convt("convTranspose2d x=[1,3,4,5] k=3 s=2 p=1 op=1 g=3 (depthwise)", rnd(1, 3, 4, 5), 3, 3, 2, 1, 1, groups=3)
    convt("convTranspose2d x=[2,4,3,3] k=1 (pointwise)", rnd(2, 4, 3, 3), 2, 1)
    convt("convTranspose2d x=[1,2,4,4] k=3 s=3 p=2 op=2 d=2", rnd(1, 2, 4, 4), 3, 3, 3, 2, 2, dilation=2)
    # ONNX Resize in the coordinate modes PyTorch's interpolate shares
    x = rnd(1, 2, 3, 5)
    capture("resize linear half_pixel sizes [1,2,6,10]", "resize", {"mode": "linear", "coordinateTransformationMode": "half_pixel", "sizes": [1, 2, 6, 10]}, [x],
            [F.interpolate(x, size=(6, 10), mode="bilinear", align_corners=False)])
    capture("resize nearest asymmetric floor scales [1,1,2,3]", "resize", {"mode": "nearest", "coordinateTransformationMode": "asymmetric", "nearestMode": "floor", "scales": [1, 1, 2, 3]}, [x],
            [F.interpolate(x, scale_factor=(2, 3), mode="nearest")])
    capture("resize cubic align_corners sizes [1,2,7,4]", "resize", {"mode": "cubic", "coordinateTransformationMode": "align_corners", "sizes": [1, 2, 7, 4]}, [x],
            [F.interpolate(x, size=(7, 4), mode="bicubic", align_corners=True)])
    capture("resize linear align_corners scales [1,1,1.5,0.6] (down in W)", "resize", {"mode": "linear", "coordinateTransformationMode": "align_corners", "scales": [1, 1, 1.5, 0.6]}, [x],
            [F.interpolate(x, size=(4, 3), mode="bilinear", align_corners=True)])
    # plumbing the forward goldens leave to hand-worked tests
    x = rnd(2, 1, 3, 1)
    capture("squeeze axes [1,3]", "squeeze", {"axes": [1, 3]}, [x], [x.squeeze(3).squeeze(1)])
    x = rnd(2, 3)
    capture("unsqueeze axes [0,2]", "unsqueeze", {"axes": [0, 2]}, [x], [x.unsqueeze(0).unsqueeze(2)])
    capture("identity", "identity", {}, [x], [x.clone()])
    capture("shape (no gradient: the output is the input's shape)", "shape", {}, [x], [torch.tensor(list(x.shape), dtype=torch.float32)])
    capture("cast to float32 (the identity)", "cast", {"to": "float32"}, [x], [x.to(torch.float32) * 1])
    capture("cast to int64 (no gradient)", "cast", {"to": "int64"}, [x], [x.to(torch.int64)])
    x = rnd(2, 5, 3)
    idx = torch.tensor([4.0, 1.0, 4.0, 0.0])
    capture("gather axis 1 repeated indices [4,1,4,0] (gradients add)", "gather", {"axis": 1}, [x, idx], [x.index_select(1, idx.long())])
    capture("transpose perm [2,0,1]", "transpose", {"perm": [2, 0, 1]}, [x], [x.permute(2, 0, 1)])
    capture("slice axis 2 step 2 and axis 0 1:", "slice", {"starts": [1, 0], "ends": [2, 3], "axes": [0, 2], "steps": [1, 2]}, [x], [x[1:, :, 0:3:2]])
    p, q = rnd(4), rnd(3, 4, 2)
    capture("matmul vector [4] @ [3,4,2]", "matmul", {}, [p, q], [torch.matmul(p, q)])
    p, q = rnd(2, 3, 3, 4), rnd(4)
    capture("matmul [2,3,3,4] @ vector [4]", "matmul", {}, [p, q], [torch.matmul(p, q)])
    x = rnd(2, 3, 4, 8)
    w, b = rnd(5, 8, scale=0.3), rnd(5)
    capture("linear x=[2,3,4,8] → 5 (NCHW, last dim)", "linear", {"outFeatures": 5}, [x], [F.linear(x, w, b)], {"weight": w, "bias": b})
    x = rnd(2, 3, 4, 5)
    capture("flatten startDim 2", "flatten", {"startDim": 2}, [x], [torch.flatten(x, 2)])
    capture("reduceMean all axes, keepDims false", "reduceMean", {"keepDims": False}, [x], [x.mean()])
    xp = rnd(2, 3, 4)
    with torch.no_grad():
        xp[0, 1, 2] = 0.0
        xp[1, 2, 0] = 0.0
        xp[1, 2, 3] = 0.0
    capture("reduceProd axis 2 with one zero in a row and two in another", "reduceProd", {"axes": [2], "keepDims": True}, [xp], [xp.prod(2, keepdim=True)])
    x = rnd(1, 2, 9, 7)
    capture("adaptiveAvgPool2d x=[1,2,9,7] → [4,3] (overlapping windows)", "adaptiveAvgPool2d", {"outputSize": [4, 3]}, [x], [F.adaptive_avg_pool2d(x, (4, 3))])


def main():
    batch_norm = F.batch_norm
    # running statistics are buffers: autograd refuses them as requiring a gradient
    F.batch_norm = lambda x, m, v, *a, **k: batch_norm(x, m.detach().clone(), v.detach().clone(), *a, **k)
    # torch 1.13 has no derivative for channel_shuffle: the same permutation as view/transpose
    torch.nn.ChannelShuffle = lambda g: (lambda x: x.reshape(x.shape[0], g, x.shape[1] // g, *x.shape[2:]).transpose(1, 2).reshape(x.shape))
    og.rnd = rnd
    og.case = capture
    og.OUT = Path(tempfile.mkdtemp()) / "goldens.json"
    late, og.LATE = og.LATE, []
    og.main()
    extra()
    # the forward goldens' late cases after the extras, so the extras' draws stay as they were
    for more in late:
        more()
    files = {}
    skipped = []
    for name, op, attrs, inputs, outputs, weights, training in CAPTURED:
        if op == "upsample" and attrs.get("mode") == "nearest" and "C=2" in name:
            # torch 1.13's upsample_nearest2d_backward reads nearest_idx (o at H' = H, o >> 1 at H' = 2H) whatever
            # the channels, its forward only for one channel: autograd is not the adjoint of the forward here
            print("skipped", repr(name) + ": torch's backward reads other taps than its forward for C > 1")
            continue
        fam = FAMILY.get(op)
        if fam is None:
            skipped.append(op)
            continue
        got = vjp_case(name, op, attrs, inputs, outputs, weights, training)
        if isinstance(got, str):
            print("skipped", repr(name) + ":", got)
            continue
        files.setdefault(fam, []).append(got)
    OUT.mkdir(parents=True, exist_ok=True)
    for fam, cases in files.items():
        path = OUT / f"{fam}.json"
        path.write_text(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__, "cases": cases}) + "\n")
        print(path.name, len(cases), "cases,", path.stat().st_size, "bytes")
    print("left to other scripts:", sorted(set(skipped)))


if __name__ == "__main__":
    main()
