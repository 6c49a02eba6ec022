#!/usr/bin/env python3
"""PyTorch goldens for shiftedWindowAttention (src/ops/window-attention.ts).

Each case runs torchvision.models.swin_transformer.ShiftedWindowAttention (v1: window partition,
cyclic shift with its attention mask, relative-position bias table, padding to a window multiple,
shift set to 0 along an axis whose window covers the map) on a channels-last [N, H, W, C] map, its
biases and bias table drawn from N(0, 1) so that adding them is tested. Writes
test/fixtures/operators/swin.json, and the vector-Jacobian products of the same cases (PyTorch
autograd: x.requires_grad_(); y.backward(g); x.grad) to test/fixtures/vjp/swin.json.

Run: nice -n 10 /usr/bin/python3 scripts/goldens_swin.py
"""
import json
from pathlib import Path

import torch
from torchvision.models.swin_transformer import ShiftedWindowAttention

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "swin.json"
VJP_OUT = OUT.parent.parent / "vjp" / "swin.json"
torch.manual_seed(2026)
CASES = []
VJP = []


def swin_case(name, shape, heads, window, shift, qkv_bias=True, proj_bias=True):
    c = shape[3]
    m = ShiftedWindowAttention(c, list(window), list(shift), heads, qkv_bias=qkv_bias, proj_bias=proj_bias).eval()
    with torch.no_grad():
        m.relative_position_bias_table.normal_()
        if qkv_bias:
            m.qkv.bias.normal_()
        if proj_bias:
            m.proj.bias.normal_()
    x = torch.randn(*shape).requires_grad_()
    y = m(x)
    weights = {"qkvWeight": m.qkv.weight, "projWeight": m.proj.weight,
               "relativePositionBiasTable": m.relative_position_bias_table,
               "relativePositionIndex": m.relative_position_index.to(torch.float32)}
    if qkv_bias:
        weights["qkvBias"] = m.qkv.bias
    if proj_bias:
        weights["projBias"] = m.proj.bias
    attrs = {"numHeads": heads, "window": list(window), "shift": list(shift), "qkvBias": qkv_bias, "projBias": proj_bias}
    w = {k: enc(v) for k, v in weights.items()}
    CASES.append({"name": name, "op": "shiftedWindowAttention", "attributes": attrs, "training": False,
                  "inputs": [enc(x)], "weights": w, "outputs": [enc(y)]})
    g = torch.randn_like(y)
    y.backward(g)
    VJP.append({"name": name, "op": "shiftedWindowAttention", "attributes": attrs, "inputs": [enc(x)], "weights": w,
                "gradOutputs": [enc(g)], "gradInputs": [enc(x.grad)]})


def main():
    swin_case("shiftedWindowAttention x=[1,4,4,8] h=2 window=2 shift=0 (W-MSA, 4 windows)", (1, 4, 4, 8), 2, (2, 2), (0, 0))
    swin_case("shiftedWindowAttention x=[1,4,4,8] h=2 window=2 shift=1 (SW-MSA, masked)", (1, 4, 4, 8), 2, (2, 2), (1, 1))
    swin_case("shiftedWindowAttention x=[2,5,7,6] h=3 window=[3,4] shift=[1,2] (padded to 6×8)", (2, 5, 7, 6), 3, (3, 4), (1, 2))
    swin_case("shiftedWindowAttention x=[1,3,5,4] h=1 window=[2,3] shift=[1,1] qkvBias=false projBias=false (padded)", (1, 3, 5, 4), 1, (2, 3), (1, 1), False, False)
    swin_case("shiftedWindowAttention x=[1,3,3,4] h=2 window=4 shift=2 (one padded window: shift dropped)", (1, 3, 3, 4), 2, (4, 4), (2, 2))
    swin_case("shiftedWindowAttention x=[1,6,4,6] h=3 window=[3,4] shift=[1,2] (ww covers W: shift only along H)", (1, 6, 4, 6), 3, (3, 4), (1, 2))
    swin_case("shiftedWindowAttention x=[1,6,6,4] h=2 window=3 shift=1 qkvBias=true projBias=false", (1, 6, 6, 4), 2, (3, 3), (1, 1), True, False)
    # shifts of a window or more, which torchvision runs: its mask slices (0, −w), (−w, −s), (−s, None) per axis,
    # each position labelled by the last slice that holds it (found by a hunt: convlens refused these)
    swin_case("shiftedWindowAttention x=[1,6,6,4] h=2 window=2 shift=2 (shift = window: two mask regions per axis)", (1, 6, 6, 4), 2, (2, 2), (2, 2))
    swin_case("shiftedWindowAttention x=[1,6,8,4] h=2 window=[2,3] shift=[3,5] (shift past the window: the last slice's label)", (1, 6, 8, 4), 2, (2, 3), (3, 5))
    swin_case("shiftedWindowAttention x=[1,6,6,4] h=1 window=2 shift=7 (shift past the map: one region, rolled by 7 mod 6)", (1, 6, 6, 4), 1, (2, 2), (7, 7))
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, separators=(",", ":")) + "\n")
    VJP_OUT.write_text(json.dumps({"torch": torch.__version__, "cases": VJP}, separators=(",", ":")) + "\n")
    print(f"{len(CASES)} cases → {OUT}, {len(VJP)} → {VJP_OUT}")


if __name__ == "__main__":
    main()
