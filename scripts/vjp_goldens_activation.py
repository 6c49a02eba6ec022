#!/usr/bin/env python3
"""Vector-Jacobian goldens from PyTorch autograd for the activations, normalisations and their kin.

Writes test/fixtures/vjp/activation.json: cases {name, op, attributes, inputs, weights, gradOutputs,
gradInputs} (the VJP contract of /tmp/team/rules.md and src/ops/types.ts): x.requires_grad_();
y = f(x); y.backward(g); gradInputs = [x.grad]. Weights are held constant (no gradient asked).
Inputs hold the kinks on purpose (0, ±1, ±3, 6 …): the derivative PyTorch takes there is part of
the contract (relu'(0) = 0, leakyRelu'(0) = slope, clamp's bounds count as inside).

Run: /usr/bin/python3 scripts/vjp_goldens_activation.py
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from golden_kit import enc, rnd

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "vjp" / "activation.json"
torch.manual_seed(4321)
CASES = []


def case(name, op, attrs, inputs, f, weights=None, training=False, grad_inputs=None):
    """f(*inputs) with autograd; the gradient of sum(g·y) for a random g is each input's VJP."""
    xs = [t.clone().requires_grad_(True) for t in inputs]
    y = f(*xs)
    g = rnd(*y.shape)
    y.backward(g)
    c = {
        "name": name, "op": op, "attributes": attrs,
        "inputs": [enc(t) for t in inputs],
        "weights": {k: enc(v) for k, v in (weights or {}).items()},
        "gradOutputs": [enc(g)],
        "gradInputs": [enc(x.grad) if x.grad is not None else None for x in xs],
    }
    if training:
        c["training"] = True
    CASES.append(c)


def with_kinks(*shape, scale=4.0, kinks=()):
    """Random values with the given kink points written over the first elements."""
    x = rnd(*shape, scale=scale).flatten()
    for i, k in enumerate(kinks):
        x[i] = k
    return x.reshape(shape)


def activations():
    kinks = (0.0, 6.0, -3.0, 3.0, -1.0, 1.0, 2.0, -6.0)
    x = with_kinks(2, 3, 4, 4, kinks=kinks)
    case("vjp relu (relu'(0) = 0)", "relu", {}, [x], F.relu)
    case("vjp relu6 (0 at 0 and 6: hardtanh's open interval)", "relu6", {}, [x], F.relu6)
    case("vjp leakyRelu slope 0.1 (slope at 0)", "leakyRelu", {"negativeSlope": 0.1}, [x], lambda t: F.leaky_relu(t, 0.1))
    case("vjp leakyRelu default 0.01", "leakyRelu", {}, [x], F.leaky_relu)
    case("vjp sigmoid", "sigmoid", {}, [x], torch.sigmoid)
    case("vjp sigmoidLut 256 entries (derivative of the exact sigmoid)", "sigmoidLut", {}, [x], torch.sigmoid)
    case("vjp sigmoidLut 64 interpolated (derivative of the exact sigmoid)", "sigmoidLut", {"tableSize": 64, "interpolate": True}, [x], torch.sigmoid)
    case("vjp swish (silu)", "swish", {}, [x], F.silu)
    case("vjp hardSigmoid pytorch (1/6 on the open interval (-3, 3))", "hardSigmoid", {"variant": "pytorch"}, [x], F.hardsigmoid)
    case("vjp hardSigmoid halfSlope: clamp((x+1)/2, 0, 1) (bounds inside)", "hardSigmoid", {"variant": "halfSlope"}, [x], lambda t: torch.clamp((t + 1) / 2, 0, 1))
    case("vjp hardSigmoid ONNX alpha=0.2 beta=0.5", "hardSigmoid", {"alpha": 0.2, "beta": 0.5}, [x], lambda t: torch.clamp(t * 0.2 + 0.5, 0, 1))
    case("vjp hardSwish (x/3 + 1/2 on [-3, 3])", "hardSwish", {}, [x], F.hardswish)
    case("vjp clip [-1, 2] (bounds inside)", "clip", {"min": -1, "max": 2}, [x], lambda t: torch.clamp(t, -1, 2))
    case("vjp clip min 0 only", "clip", {"min": 0}, [x], lambda t: torch.clamp(t, min=0))
    case("vjp clip max 2 only", "clip", {"max": 2}, [x], lambda t: torch.clamp(t, max=2))
    case("vjp dropout p=0.5 at inference (identity)", "dropout", {"p": 0.5}, [x], lambda t: F.dropout(t, 0.5, training=False))
    x = rnd(2, 3, 4, 5)
    case("vjp softmax dim=1", "softmax", {"dim": 1}, [x], lambda t: F.softmax(t, 1))
    case("vjp softmax dim=-1", "softmax", {"dim": -1}, [x], lambda t: F.softmax(t, -1))
    case("vjp softmax dim=0", "softmax", {"dim": 0}, [x], lambda t: F.softmax(t, 0))


def batch_norm():
    x = rnd(2, 3, 4, 5)
    g, b, m, v = rnd(3).abs() + 0.5, rnd(3), rnd(3), rnd(3).abs() + 0.5
    w = {"weight": g, "bias": b, "runningMean": m, "runningVar": v}
    case("vjp batchNorm2d inference (running stats: γ/√(var+ε) per channel)", "batchNorm2d", {"eps": 1e-5}, [x],
         lambda t: F.batch_norm(t, m, v, g, b, False, 0.1, 1e-5), w)
    case("vjp batchNorm2d inference eps=1e-3 affine=false", "batchNorm2d", {"eps": 1e-3, "affine": False}, [x],
         lambda t: F.batch_norm(t, m, v, None, None, False, 0.1, 1e-3), {"runningMean": m, "runningVar": v})
    case("vjp batchNorm2d training (batch statistics)", "batchNorm2d", {"eps": 1e-5}, [x],
         lambda t: F.batch_norm(t, m.clone(), v.clone(), g, b, True, 0.1, 1e-5), w, training=True)
    case("vjp batchNorm2d trackRunningStats=false (batch statistics at inference)", "batchNorm2d", {"trackRunningStats": False}, [x],
         lambda t: F.batch_norm(t, None, None, g, b, True, 0.1, 1e-5), {"weight": g, "bias": b})
    x3 = rnd(4, 3, 6)
    case("vjp batchNorm2d on [4,3,6] (BatchNorm1d) inference", "batchNorm2d", {}, [x3],
         lambda t: F.batch_norm(t, m, v, g, b, False, 0.1, 1e-5), w)


def modern_activations():
    x = with_kinks(2, 3, 4, 4, scale=3, kinks=(0.0, 1.0, -1.0, 2.0, -2.0, 3.0, 25.0, -25.0))
    case("vjp gelu exact", "gelu", {}, [x], F.gelu)
    case("vjp gelu tanh", "gelu", {"approximate": "tanh"}, [x], lambda t: F.gelu(t, approximate="tanh"))
    case("vjp tanh (1 − y²)", "tanh", {}, [x], torch.tanh)
    case("vjp erf", "erf", {}, [x], torch.erf)
    case("vjp mish", "mish", {}, [x], F.mish)
    case("vjp elu alpha=1 (alpha at 0)", "elu", {}, [x], F.elu)
    case("vjp elu alpha=0.5", "elu", {"alpha": 0.5}, [x], lambda t: F.elu(t, 0.5))
    case("vjp selu", "selu", {}, [x], F.selu)
    case("vjp celu alpha=2", "celu", {"alpha": 2.0}, [x], lambda t: F.celu(t, 2.0))
    case("vjp softplus beta=1", "softplus", {}, [x], F.softplus)
    case("vjp softplus beta=2 threshold=1 (1 past the threshold)", "softplus", {"beta": 2.0, "threshold": 1.0}, [x], lambda t: F.softplus(t, 2.0, 1.0))
    case("vjp softsign", "softsign", {}, [x], F.softsign)
    case("vjp hardTanh [-1, 1] (0 at both bounds)", "hardTanh", {}, [x], F.hardtanh)
    case("vjp hardTanh [-2, 3]", "hardTanh", {"minVal": -2.0, "maxVal": 3.0}, [x], lambda t: F.hardtanh(t, -2.0, 3.0))
    a1 = torch.tensor([0.25])
    case("vjp prelu numParameters=1 (slope at 0)", "prelu", {}, [x], lambda t: F.prelu(t, a1), {"weight": a1})
    a3 = rnd(3, scale=0.3)
    case("vjp prelu numParameters=3", "prelu", {"numParameters": 3}, [x], lambda t: F.prelu(t, a3), {"weight": a3})
    xs = rnd(2, 3, 4, 5, scale=2)
    case("vjp logSoftmax dim=1", "logSoftmax", {"dim": 1}, [xs], lambda t: F.log_softmax(t, 1))
    case("vjp logSoftmax dim=-1", "logSoftmax", {"dim": -1}, [xs], lambda t: F.log_softmax(t, -1))


def norms():
    x = rnd(2, 5, 8, scale=2) + 1
    g, b = rnd(8) * 0.5 + 1, rnd(8)
    case("vjp layerNorm normalizedShape=[8]", "layerNorm", {"normalizedShape": [8]}, [x], lambda t: F.layer_norm(t, [8], g, b), {"weight": g, "bias": b})
    case("vjp layerNorm elementwiseAffine=false", "layerNorm", {"elementwiseAffine": False}, [x], lambda t: F.layer_norm(t, [8]))
    x4 = rnd(2, 3, 4, 5, scale=2) - 1
    g2, b2 = rnd(4, 5) * 0.5 + 1, rnd(4, 5)
    case("vjp layerNorm normalizedShape=[4,5]", "layerNorm", {"normalizedShape": [4, 5]}, [x4], lambda t: F.layer_norm(t, [4, 5], g2, b2), {"weight": g2, "bias": b2})
    gc, bc = rnd(3) * 0.5 + 1, rnd(3)
    case("vjp layerNorm over=channels eps=1e-6", "layerNorm", {"over": "channels", "eps": 1e-6}, [x4],
         lambda t: F.layer_norm(t.permute(0, 2, 3, 1), [3], gc, bc, 1e-6).permute(0, 3, 1, 2), {"weight": gc, "bias": bc})
    x6 = rnd(2, 6, 3, 4, scale=2) + 1
    g6, b6 = rnd(6) * 0.5 + 1, rnd(6)
    case("vjp groupNorm G=2 affine", "groupNorm", {"numGroups": 2}, [x6], lambda t: F.group_norm(t, 2, g6, b6), {"weight": g6, "bias": b6})
    case("vjp groupNorm G=3 affine=false", "groupNorm", {"numGroups": 3, "affine": False}, [x6], lambda t: F.group_norm(t, 3))
    case("vjp instanceNorm2d", "instanceNorm2d", {}, [x6], lambda t: F.instance_norm(t))
    case("vjp instanceNorm2d affine", "instanceNorm2d", {"affine": True}, [x6], lambda t: F.instance_norm(t, weight=g6, bias=b6), {"weight": g6, "bias": b6})
    m6, v6 = rnd(6), rnd(6).abs() + 0.5
    case("vjp instanceNorm2d trackRunningStats at inference (constants)", "instanceNorm2d", {"affine": True, "trackRunningStats": True}, [x6],
         lambda t: F.instance_norm(t, m6, v6, g6, b6, use_input_stats=False), {"weight": g6, "bias": b6, "runningMean": m6, "runningVar": v6})


def lrn():
    # after the others, so their random inputs and gradients stay as they were
    x = rnd(2, 6, 3, 3) * 3
    case("vjp localResponseNorm size=3 alpha=0.5", "localResponseNorm", {"size": 3, "alpha": 0.5}, [x], lambda t: F.local_response_norm(t, 3, 0.5))
    case("vjp localResponseNorm size=4 alpha=0.8 beta=0.6 k=2 (even: 2 before, 1 after)", "localResponseNorm", {"size": 4, "alpha": 0.8, "beta": 0.6, "k": 2},
         [x], lambda t: F.local_response_norm(t, 4, 0.8, 0.6, 2.0))
    x3 = rnd(2, 5, 4) * 2
    case("vjp localResponseNorm size=5 on [2,5,4] alpha=1", "localResponseNorm", {"size": 5, "alpha": 1.0}, [x3], lambda t: F.local_response_norm(t, 5, 1.0))


def rms_norms():
    # after the others, so their random inputs and gradients stay as they were; torch 1.13 has no
    # nn.RMSNorm (2.4+): autograd through its formula, x·rsqrt(mean(x²) + ε)·γ
    x = rnd(2, 5, 8, scale=2) + 1
    g = rnd(8) * 0.5 + 1
    case("vjp rmsNorm normalizedShape=[8]", "rmsNorm", {"normalizedShape": [8]}, [x], lambda t: t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + 1e-5) * g, {"weight": g})
    x4 = rnd(2, 3, 4, 5, scale=2) - 1
    case("vjp rmsNorm axis=1 eps=0.5 elementwiseAffine=false", "rmsNorm", {"axis": 1, "eps": 0.5, "elementwiseAffine": False}, [x4],
         lambda t: t * torch.rsqrt(t.pow(2).mean([1, 2, 3], keepdim=True) + 0.5))


def main():
    activations()
    batch_norm()
    modern_activations()
    norms()
    lrn()
    rms_norms()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, separators=(",", ":")) + "\n")
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
