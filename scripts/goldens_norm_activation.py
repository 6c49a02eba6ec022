#!/usr/bin/env python3
"""PyTorch goldens for the normalisations (layerNorm, rmsNorm, groupNorm, instanceNorm2d, localResponseNorm) and the
activations of activation-more.ts and softmax.ts (gelu, tanh, erf, mish, elu, selu, celu,
softplus, softsign, hardTanh, prelu, logSoftmax), over their attribute combinations.

Writes test/fixtures/operators/norm_activation.json in scripts/operator_goldens.py's format
(test/ops/golden-cases.ts reads every file there; test/ops/goldens.test.ts checks ≤ 1e-5 of scale).
Inputs are rounded to float32 before PyTorch sees them.

Run: /usr/bin/python3 scripts/goldens_norm_activation.py
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "norm_activation.json"
torch.manual_seed(2026)
CASES = []


def rnd(*shape, scale=1.0, shift=0.0):
    return (torch.randn(*shape) * scale + shift).to(torch.float32)


def case(name, op, attrs, inputs, outputs, weights=None, training=False):
    CASES.append({
        "name": name, "op": op, "attributes": attrs, "training": training,
        "inputs": [enc(t) for t in inputs],
        "weights": {k: enc(v) for k, v in (weights or {}).items()},
        "outputs": [enc(t) for t in outputs],
    })


def activations():
    x = rnd(2, 3, 4, 4, scale=3)
    x.view(-1)[:6] = torch.tensor([0.0, 1.0, -1.0, 25.0, -25.0, 3.0])
    case("gelu approximate=none (exact, erf)", "gelu", {}, [x], [F.gelu(x)])
    case("gelu approximate=tanh", "gelu", {"approximate": "tanh"}, [x], [F.gelu(x, approximate="tanh")])
    case("tanh", "tanh", {}, [x], [torch.tanh(x)])
    case("erf", "erf", {}, [x], [torch.erf(x)])
    case("mish", "mish", {}, [x], [F.mish(x)])
    case("elu alpha=1", "elu", {}, [x], [F.elu(x)])
    case("elu alpha=0.5", "elu", {"alpha": 0.5}, [x], [F.elu(x, 0.5)])
    case("selu", "selu", {}, [x], [F.selu(x)])
    case("celu alpha=1", "celu", {}, [x], [F.celu(x)])
    case("celu alpha=2", "celu", {"alpha": 2.0}, [x], [F.celu(x, 2.0)])
    case("softplus beta=1 threshold=20", "softplus", {}, [x], [F.softplus(x)])
    case("softplus beta=2 threshold=1 (linear past x=0.5)", "softplus", {"beta": 2.0, "threshold": 1.0}, [x], [F.softplus(x, 2.0, 1.0)])
    case("softsign", "softsign", {}, [x], [F.softsign(x)])
    case("hardTanh [-1, 1]", "hardTanh", {}, [x], [F.hardtanh(x)])
    case("hardTanh [-2, 3]", "hardTanh", {"minVal": -2.0, "maxVal": 3.0}, [x], [F.hardtanh(x, -2.0, 3.0)])
    a1 = torch.tensor([0.25])
    case("prelu numParameters=1 (slope 0.25)", "prelu", {}, [x], [F.prelu(x, a1)], {"weight": a1})
    a3 = rnd(3, scale=0.3)
    case("prelu numParameters=3 (one slope per channel)", "prelu", {"numParameters": 3}, [x], [F.prelu(x, a3)], {"weight": a3})
    x3 = rnd(2, 3, 5)
    case("prelu numParameters=3 on [2,3,5] (PReLU on a sequence)", "prelu", {"numParameters": 3}, [x3], [F.prelu(x3, a3)], {"weight": a3})
    x2 = rnd(4, 3)
    case("prelu numParameters=3 on [4,3] (after a linear)", "prelu", {"numParameters": 3}, [x2], [F.prelu(x2, a3)], {"weight": a3})
    xs = rnd(2, 3, 4, 5, scale=2)
    case("logSoftmax dim=1", "logSoftmax", {"dim": 1}, [xs], [F.log_softmax(xs, 1)])
    case("logSoftmax dim=-1", "logSoftmax", {"dim": -1}, [xs], [F.log_softmax(xs, -1)])
    case("logSoftmax dim=0 large logits", "logSoftmax", {"dim": 0}, [xs * 40], [F.log_softmax(xs * 40, 0)])
    case("softmax dim=1 coerce2d (ONNX before opset 13: over C, H, W at once)", "softmax", {"dim": 1, "coerce2d": True}, [xs],
         [F.softmax(xs.flatten(1), 1).reshape(xs.shape)])
    case("logSoftmax dim=2 coerce2d", "logSoftmax", {"dim": 2, "coerce2d": True}, [xs], [F.log_softmax(xs.flatten(2), 2).reshape(xs.shape)])


def norms():
    x = rnd(2, 5, 8, scale=2, shift=1)
    g, b = rnd(8, scale=0.5, shift=1), rnd(8)
    case("layerNorm [2,5,8] normalizedShape=[8]", "layerNorm", {"normalizedShape": [8]}, [x], [F.layer_norm(x, [8], g, b)], {"weight": g, "bias": b})
    case("layerNorm [2,5,8] default (last dim) eps=1e-3", "layerNorm", {"eps": 1e-3}, [x], [F.layer_norm(x, [8], g, b, 1e-3)], {"weight": g, "bias": b})
    case("layerNorm [2,5,8] no bias", "layerNorm", {"bias": False}, [x], [F.layer_norm(x, [8], g, None)], {"weight": g})
    case("layerNorm [2,5,8] elementwiseAffine=false", "layerNorm", {"elementwiseAffine": False}, [x], [F.layer_norm(x, [8])])
    x4 = rnd(2, 3, 4, 5, scale=2, shift=-1)
    g2, b2 = rnd(4, 5, scale=0.5, shift=1), rnd(4, 5)
    case("layerNorm [2,3,4,5] normalizedShape=[4,5] (over H, W)", "layerNorm", {"normalizedShape": [4, 5]}, [x4], [F.layer_norm(x4, [4, 5], g2, b2)],
         {"weight": g2, "bias": b2})
    g3, b3 = rnd(3, 4, 5, scale=0.5, shift=1), rnd(3, 4, 5)
    case("layerNorm [2,3,4,5] axis=1 (ONNX: over C, H, W)", "layerNorm", {"axis": 1}, [x4], [F.layer_norm(x4, [3, 4, 5], g3, b3)], {"weight": g3, "bias": b3})
    xc = rnd(2, 6, 4, 5, scale=2, shift=0.5)
    gc, bc = rnd(6, scale=0.5, shift=1), rnd(6)
    ref = F.layer_norm(xc.permute(0, 2, 3, 1), [6], gc, bc, 1e-6).permute(0, 3, 1, 2)
    case("layerNorm over=channels [2,6,4,5] eps=1e-6 (ConvNeXt LayerNorm2d)", "layerNorm", {"over": "channels", "eps": 1e-6}, [xc], [ref], {"weight": gc, "bias": bc})

    x = rnd(2, 6, 4, 4, scale=2, shift=1)
    g, b = rnd(6, scale=0.5, shift=1), rnd(6)
    case("groupNorm G=2 C=6 affine", "groupNorm", {"numGroups": 2}, [x], [F.group_norm(x, 2, g, b)], {"weight": g, "bias": b})
    case("groupNorm G=1 (over C, H, W)", "groupNorm", {"numGroups": 1, "eps": 1e-3}, [x], [F.group_norm(x, 1, g, b, 1e-3)], {"weight": g, "bias": b})
    case("groupNorm G=6 (one channel per group) affine=false", "groupNorm", {"numGroups": 6, "affine": False}, [x], [F.group_norm(x, 6)])
    gg, bg = rnd(2, scale=0.5, shift=1), rnd(2)
    ref = F.group_norm(x, 2).reshape(2, 2, 3, 4, 4) * gg.reshape(1, 2, 1, 1, 1) + bg.reshape(1, 2, 1, 1, 1)
    case("groupNorm G=2 affinePer=group (ONNX opset 18: γ, β per group)", "groupNorm", {"numGroups": 2, "affinePer": "group"}, [x], [ref.reshape(x.shape)],
         {"weight": gg, "bias": bg})
    x3 = rnd(2, 4, 7, shift=2)
    g4, b4 = rnd(4, scale=0.5, shift=1), rnd(4)
    case("groupNorm G=2 on [2,4,7]", "groupNorm", {"numGroups": 2}, [x3], [F.group_norm(x3, 2, g4, b4)], {"weight": g4, "bias": b4})

    x = rnd(2, 3, 5, 4, scale=2, shift=1)
    g, b, m, v = rnd(3, scale=0.5, shift=1), rnd(3), rnd(3), rnd(3).abs() + 0.5
    case("instanceNorm2d affine=false", "instanceNorm2d", {}, [x], [F.instance_norm(x)])
    case("instanceNorm2d affine=true eps=1e-3", "instanceNorm2d", {"affine": True, "eps": 1e-3}, [x], [F.instance_norm(x, weight=g, bias=b, eps=1e-3)],
         {"weight": g, "bias": b})
    case("instanceNorm2d trackRunningStats=true at inference (running statistics)", "instanceNorm2d", {"affine": True, "trackRunningStats": True}, [x],
         [F.instance_norm(x, m, v, g, b, use_input_stats=False)], {"weight": g, "bias": b, "runningMean": m, "runningVar": v})
    x1 = rnd(2, 3, 9, shift=-1)
    # F.instance_norm on (N, C, L) is nn.InstanceNorm1d (nn.InstanceNorm2d reads a 3-D input as one sample)
    case("instanceNorm1d on [2,3,9] (F.instance_norm)", "instanceNorm1d", {}, [x1], [F.instance_norm(x1)])


def onnx_lrn(x, size, alpha=1e-4, beta=0.75, bias=1.0):
    """ONNX LRN as its spec states it: square_sum over [c − floor((size − 1)/2), c + ceil((size − 1)/2)]."""
    x = x.double().numpy()
    c = x.shape[1]
    lo, hi = (size - 1) // 2, -(-(size - 1) // 2)
    sq = np.zeros_like(x)
    for ch in range(c):
        sq[:, ch] = (x[:, max(0, ch - lo):min(c - 1, ch + hi) + 1] ** 2).sum(axis=1)
    return torch.from_numpy(x / (bias + alpha / size * sq) ** beta).float()


def lrn():
    # after the others, so their random inputs stay as they were
    x = rnd(2, 7, 3, 4, scale=4)
    for size in (1, 2, 3, 5):
        case(f"localResponseNorm size={size} [2,7,3,4] (PyTorch's window)", "localResponseNorm", {"size": size}, [x], [F.local_response_norm(x, size)])
    case("localResponseNorm size=4 alpha=0.5 beta=0.6 k=2 (even: 2 before, 1 after)", "localResponseNorm", {"size": 4, "alpha": 0.5, "beta": 0.6, "k": 2},
         [x], [F.local_response_norm(x, 4, 0.5, 0.6, 2.0)])
    case("localResponseNorm size=9 > C=7 alpha=1 (window past both ends)", "localResponseNorm", {"size": 9, "alpha": 1.0}, [x], [F.local_response_norm(x, 9, 1.0)])
    x3 = rnd(2, 5, 6, scale=3)
    case("localResponseNorm size=3 on [2,5,6] (1-D)", "localResponseNorm", {"size": 3, "alpha": 0.3}, [x3], [F.local_response_norm(x3, 3, 0.3)])
    x5 = rnd(1, 6, 2, 3, 2, scale=3)
    case("localResponseNorm size=5 on [1,6,2,3,2] (3-D)", "localResponseNorm", {"size": 5, "alpha": 0.2, "beta": 0.9}, [x5], [F.local_response_norm(x5, 5, 0.2, 0.9)])
    for size in (2, 4):
        case(f"localResponseNorm size={size} channelsBefore={(size - 1) // 2} alpha=0.5 (ONNX LRN's window)", "localResponseNorm",
             {"size": size, "alpha": 0.5, "channelsBefore": (size - 1) // 2}, [x], [onnx_lrn(x, size, alpha=0.5)])


def large_logits():
    # after the others, so their random inputs stay as they were: logits far above log Σ, where
    # x − (m + log Σ) loses log Σ to m's rounding (each row its own case: the check is relative to the output's scale)
    for row in ([1e12, 1e12, 1e12], [3e38, 3e38]):
        x = torch.tensor([row], dtype=torch.float32)
        case(f"logSoftmax dim=1 logits {row} ((x − m) − log Σ)", "logSoftmax", {"dim": 1}, [x], [F.log_softmax(x, 1)])


def rms_norms():
    # after the others, so their random inputs stay as they were. torch 1.13 has no nn.RMSNorm (2.4+):
    # its formula, x·rsqrt(mean(x²) + ε)·γ, as F.rms_norm computes it
    def rms(t, dims, g, eps):
        y = t * torch.rsqrt(t.pow(2).mean(dims, keepdim=True) + eps)
        return y * g if g is not None else y
    x = rnd(2, 5, 8, scale=2, shift=1)
    g = rnd(8, scale=0.5, shift=1)
    case("rmsNorm [2,5,8] normalizedShape=[8]", "rmsNorm", {"normalizedShape": [8]}, [x], [rms(x, [-1], g, 1e-5)], {"weight": g})
    case("rmsNorm [2,5,8] default (last dim) eps=0.5 elementwiseAffine=false", "rmsNorm", {"eps": 0.5, "elementwiseAffine": False}, [x], [rms(x, [-1], None, 0.5)])
    x4 = rnd(2, 3, 4, 5, scale=2, shift=-1)
    g3 = rnd(3, 4, 5, scale=0.5, shift=1)
    case("rmsNorm [2,3,4,5] axis=1 (ONNX RMSNormalization: over C, H, W)", "rmsNorm", {"axis": 1}, [x4], [rms(x4, [1, 2, 3], g3, 1e-5)], {"weight": g3})


def main():
    activations()
    norms()
    lrn()
    large_logits()
    rms_norms()
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, separators=(",", ":")) + "\n")
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
