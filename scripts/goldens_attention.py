#!/usr/bin/env python3
"""PyTorch goldens for multiHeadAttention (src/ops/attention.ts).

Each case: torch.nn.MultiheadAttention(C, h, bias, batch_first=True) over the map's tokens
t = x.flatten(2).transpose(1, 2) (or over [N, L, C] tokens directly), mha(t, t, t) transposed
back; windowed cases cut the map into wh×ww windows (Swin's partition), attend each, and put
them back. Writes test/fixtures/operators/attention.json, and the vector-Jacobian products of the
same cases (PyTorch autograd: x.requires_grad_(); y.backward(g); x.grad) to
test/fixtures/vjp/attention.json.

Run: /usr/bin/python3 scripts/goldens_attention.py
"""
import json
from pathlib import Path

import numpy as np
import torch

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "attention.json"
torch.manual_seed(2024)
CASES = []
VJP = []
VJP_OUT = OUT.parent.parent / "vjp" / "attention.json"


def case(name, op, attrs, inputs, outputs, weights=None):
    CASES.append({
        "name": name, "op": op, "attributes": attrs, "training": False,
        "inputs": [enc(t) for t in inputs],
        "weights": {k: enc(v) for k, v in (weights or {}).items()},
        "outputs": [enc(t) for t in outputs],
    })


def mha_case(name, x, heads, bias=True, window=None):
    spatial = x.dim() == 4
    c = x.shape[1] if spatial else x.shape[2]
    m = torch.nn.MultiheadAttention(c, heads, bias=bias, batch_first=True).eval()
    with torch.no_grad():
        if bias:  # PyTorch starts them at 0: random biases test that they are added
            m.in_proj_bias.normal_()
            m.out_proj.bias.normal_()
    x = x.clone().requires_grad_()
    if True:
        if not spatial:
            y = m(x, x, x, need_weights=False)[0]
        elif window is None:
            n, _, h, w = x.shape
            t = x.flatten(2).transpose(1, 2)
            y = m(t, t, t, need_weights=False)[0].transpose(1, 2).reshape(n, c, h, w)
        else:
            n, _, h, w = x.shape
            wh, ww = window
            t = x.permute(0, 2, 3, 1).reshape(n, h // wh, wh, w // ww, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, wh * ww, c)
            a = m(t, t, t, need_weights=False)[0]
            y = a.reshape(n, h // wh, w // ww, wh, ww, c).permute(0, 5, 1, 3, 2, 4).reshape(n, c, h, w)
    weights = {"inProjWeight": m.in_proj_weight, "outProjWeight": m.out_proj.weight}
    if bias:
        weights["inProjBias"] = m.in_proj_bias
        weights["outProjBias"] = m.out_proj.bias
    attrs = {"numHeads": heads, "bias": bias}
    if window is not None:
        attrs["window"] = list(window)
    case(name, "multiHeadAttention", attrs, [x], [y], weights)
    g = torch.randn_like(y)
    y.backward(g)
    VJP.append({"name": name, "op": "multiHeadAttention", "attributes": attrs, "inputs": [enc(x)], "weights": {k: enc(v) for k, v in weights.items()},
                "gradOutputs": [enc(g)], "gradInputs": [enc(x.grad)]})


def main():
    mha_case("multiHeadAttention x=[1,8,3,4] h=2 (global, 12 tokens)", torch.randn(1, 8, 3, 4), 2)
    mha_case("multiHeadAttention x=[2,6,2,3] h=3 bias=false", torch.randn(2, 6, 2, 3), 3, bias=False)
    mha_case("multiHeadAttention x=[1,4,5,5] h=1 (one head)", torch.randn(1, 4, 5, 5), 1)
    mha_case("multiHeadAttention x=[2,8,4,6] h=4 window=[2,3]", torch.randn(2, 8, 4, 6), 4, window=(2, 3))
    mha_case("multiHeadAttention x=[1,6,4,4] h=2 window=[4,2] (tall windows)", torch.randn(1, 6, 4, 4), 2, window=(4, 2))
    mha_case("multiHeadAttention tokens x=[2,5,12] h=3 ([N, L, C], batch_first)", torch.randn(2, 5, 12), 3)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, separators=(",", ":")) + "\n")
    VJP_OUT.write_text(json.dumps({"torch": torch.__version__, "cases": VJP}, separators=(",", ":")) + "\n")
    print(f"{len(CASES)} cases → {OUT}, {len(VJP)} → {VJP_OUT}")


if __name__ == "__main__":
    main()
