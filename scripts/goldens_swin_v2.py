#!/usr/bin/env python3
"""PyTorch goldens for shiftedWindowAttentionV2 (src/ops/window-attention-v2.ts).

Each case runs torchvision.models.swin_transformer.ShiftedWindowAttentionV2 (torchvision 0.14: cosine
attention with a per-head logit scale clamped at ln 100, the continuous position bias MLP over the
log-spaced relative coordinates, 16·sigmoid, the k third of qkv.bias zeroed at forward; window
partition, cyclic shift with its mask, padding to a window multiple as v1) on a channels-last
[N, H, W, C] map. Its qkv.bias is drawn from N(0, 1) whole, the k third too (the forward must
ignore it), proj.bias likewise, logit_scale around ln 10 with one head above ln 100 (the clamp), and
cpb_mlp.2.weight scaled up so that the bias varies over several units. Weights are given under the
op's roles (the state_dict's names: qkvWeight … cpb_mlp.0.weight); one case leaves out the two
buffers (relative_coords_table, relative_position_index), which the op derives from the window.
Writes test/fixtures/operators/swin_v2.json, and the vector-Jacobian products of the same cases (PyTorch
autograd: x.requires_grad_(); y.backward(g); x.grad, g from its own generator so that the forward
fixture's draws are unchanged) to test/fixtures/vjp/swin_v2.json.

Run: nice -n 10 /usr/bin/python3 scripts/goldens_swin_v2.py
"""
import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.models.swin_transformer import ShiftedWindowAttentionV2

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "swin_v2.json"
VJP_OUT = OUT.parent.parent / "vjp" / "swin_v2.json"
torch.manual_seed(2027)
GRADS = torch.Generator().manual_seed(2028)
CASES = []
VJP = []


def case(name, shape, heads, window, shift, qkv_bias=True, proj_bias=True, buffers=True, tiny_token=False, forward=True, clamped=True):
    c = shape[3]
    m = ShiftedWindowAttentionV2(c, list(window), list(shift), heads, qkv_bias=qkv_bias, proj_bias=proj_bias).eval()
    with torch.no_grad():
        if qkv_bias:
            m.qkv.bias.normal_()
        if proj_bias:
            m.proj.bias.normal_()
        m.logit_scale.copy_(math.log(10) + torch.randn(heads, 1, 1) * 0.5)
        if clamped:
            m.logit_scale[0, 0, 0] = 5.0  # above ln 100 = 4.605: clamped
        m.cpb_mlp[2].weight.mul_(8)
        x = torch.randn(*shape)
        if tiny_token:
            # q and k of norm ~1e-13 < 1e-12: F.normalize's clamp_min, so ∂x = ∂x̂/1e-12, not (∂x̂ − x̂(x̂·∂x̂))/‖x‖,
            # and x̂ = x/1e-12 large enough (‖x̂‖ ~ 0.1) for the two to differ past the test's 1e-5
            x[0, 0, 0] *= 2e-13
            qk = F.linear(x[0, 0, 0], m.qkv.weight)[: 2 * c]
            assert all(0.01e-12 < float(v.norm()) < 1e-12 for v in qk.reshape(2, heads, -1).flatten(0, 1)), qk
        y = m(x)
    weights = {"qkvWeight": m.qkv.weight, "projWeight": m.proj.weight, "logitScale": m.logit_scale,
               "cpb_mlp.0.weight": m.cpb_mlp[0].weight, "cpb_mlp.0.bias": m.cpb_mlp[0].bias, "cpb_mlp.2.weight": m.cpb_mlp[2].weight}
    if buffers:
        weights["relativeCoordsTable"] = m.relative_coords_table
        weights["relativePositionIndex"] = m.relative_position_index.to(torch.float32)
    if qkv_bias:
        weights["qkvBias"] = m.qkv.bias
    if proj_bias:
        weights["projBias"] = m.proj.bias
    attrs = {"numHeads": heads, "window": list(window), "shift": list(shift), "qkvBias": qkv_bias, "projBias": proj_bias}
    w = {k: enc(v) for k, v in weights.items()}
    if forward:
        CASES.append({"name": name, "op": "shiftedWindowAttentionV2", "attributes": attrs, "training": False,
                      "inputs": [enc(x)], "weights": w, "outputs": [enc(y)]})
    xg = x.clone().requires_grad_()
    yg = m(xg)
    assert torch.equal(yg, y)
    g = torch.randn(yg.shape, generator=GRADS)
    yg.backward(g)
    VJP.append({"name": name, "op": "shiftedWindowAttentionV2", "attributes": attrs, "training": False, "inputs": [enc(x)], "weights": w,
                "gradOutputs": [enc(g)], "gradInputs": [enc(xg.grad)]})


def main():
    case("shiftedWindowAttentionV2 x=[1,4,4,8] h=2 window=2 shift=0 (4 windows)", (1, 4, 4, 8), 2, (2, 2), (0, 0))
    case("shiftedWindowAttentionV2 x=[1,4,4,8] h=2 window=2 shift=1 (masked)", (1, 4, 4, 8), 2, (2, 2), (1, 1))
    case("shiftedWindowAttentionV2 x=[2,5,7,6] h=3 window=[3,4] shift=[1,2] (padded to 6×8; buffers derived)", (2, 5, 7, 6), 3, (3, 4), (1, 2), buffers=False)
    case("shiftedWindowAttentionV2 x=[1,3,5,4] h=1 window=[2,3] shift=[1,1] qkvBias=false projBias=false (padded)", (1, 3, 5, 4), 1, (2, 3), (1, 1), False, False)
    case("shiftedWindowAttentionV2 x=[1,10,10,8] h=2 window=8 shift=4 (swin_v2's window: padded to 16, masked)", (1, 10, 10, 8), 2, (8, 8), (4, 4))
    case("shiftedWindowAttentionV2 x=[1,6,6,4] h=2 window=8 shift=4 (one padded window: shift dropped)", (1, 6, 6, 4), 2, (8, 8), (4, 4))
    # the gradient alone (drawn last, so the cases above keep their draws); its one head's scale left
    # unclamped (≈ 10): at 100, float32 PyTorch's own gradient there is 1.1e-5 of its scale off float64's (at ≈ 10, 6.3e-6)
    case("shiftedWindowAttentionV2 x=[1,2,4,4] h=1 window=2 shift=0 qkvBias=false, token (0, 0) × 2e-13 (its q and k norms under F.normalize's eps 1e-12)",
         (1, 2, 4, 4), 1, (2, 2), (0, 0), qkv_bias=False, tiny_token=True, forward=False, clamped=False)
    # a shift past the window, which torchvision runs (its mask slices overlap: the last one's label); drawn last
    case("shiftedWindowAttentionV2 x=[1,6,8,4] h=2 window=[2,3] shift=[3,5] (shift past the window: the last slice's label)", (1, 6, 8, 4), 2, (2, 3), (3, 5))
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}, separators=(",", ":")) + "\n")
    VJP_OUT.write_text(json.dumps({"torch": torch.__version__, "cases": VJP}, separators=(",", ":")) + "\n")
    print(f"{len(CASES)} cases → {OUT} ({OUT.stat().st_size} bytes), {len(VJP)} → {VJP_OUT} ({VJP_OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
