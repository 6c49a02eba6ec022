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

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "vjp" / "activation.json"
torch.manual_seed(4321)
CASES = []


def enc(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(repr(np.float32(v))) for v in t.flatten().tolist()]}


def rnd(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).to(torch.float32)


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


def main():
    activations()
    batch_norm()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, separators=(",", ":")) + "\n")
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
