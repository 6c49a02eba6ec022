#!/usr/bin/env python3
"""Whole-network golden for the Swin spec (src/zoo/swin.ts): torchvision's own SwinTransformer (v1)
at a small size, its weights written under the spec's layer names, its input and logits.

The model: patch 4, embed_dim 8, depths [2, 2], heads [1, 2], window 4, 10 classes, 1×3×40×40 input:
stage 1 is 10×10 (padded to 12×12 for the windows, shift 2 in its 2nd block), PatchMerging to 5×5×16,
stage 2 pads 5×5 to 8×8 (shift 2 kept: the window does not cover 8), so padding, the cyclic shift and
its mask, the relative-position bias, PatchMerging, the final norm, pooling and head are all run.
Biases, LayerNorm affines and the bias tables are drawn from N(0, 0.5²) so that every one matters.

Writes test/fixtures/networks/swin_spec_tiny.json:
  {"torch", "config": {...}, "resolution", "numClasses", "input", "output", "weights": {"<layer>.<role>": tensor}}
Run: cd scripts && nice -n 10 /usr/bin/python3 goldens_swin_network.py
"""
import json
import re
from pathlib import Path

import torch
from torchvision.models.swin_transformer import SwinTransformer

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "networks" / "swin_spec_tiny.json"
CONFIG = {"embedDim": 8, "depths": [2, 2], "heads": [1, 2], "window": 4}
RES, CLASSES = 40, 10

# state_dict suffix → the spec's weight role (src/ops/window-attention.ts, linear, layerNorm, conv2d)
ROLES = {
    "attn.qkv.weight": ("attn", "qkvWeight"),
    "attn.qkv.bias": ("attn", "qkvBias"),
    "attn.proj.weight": ("attn", "projWeight"),
    "attn.proj.bias": ("attn", "projBias"),
    "attn.relative_position_bias_table": ("attn", "relativePositionBiasTable"),
    "attn.relative_position_index": ("attn", "relativePositionIndex"),
}


def spec_key(name):
    for suffix, (layer, role) in ROLES.items():
        if name.endswith(suffix):
            return name[: -len(suffix)] + f"{layer}.{role}"
    layer, role = name.rsplit(".", 1)
    return f"{layer}.{role}"


def main():
    torch.manual_seed(10)
    m = SwinTransformer(patch_size=[4, 4], embed_dim=CONFIG["embedDim"], depths=CONFIG["depths"], num_heads=CONFIG["heads"],
                        window_size=[CONFIG["window"]] * 2, stochastic_depth_prob=0.0, num_classes=CLASSES).eval()
    with torch.no_grad():
        for name, p in m.named_parameters():
            if re.search(r"(bias|relative_position_bias_table)$", name) or (p.dim() == 1 and "norm" in name):
                p.normal_(0, 0.5)
            elif p.dim() >= 2:
                p.normal_(0, 1.0 / p.shape[-1] ** 0.5 if p.dim() == 2 else 0.2)
        x = torch.randn(1, 3, RES, RES)
        y = m(x)
    state = m.state_dict()
    weights = {spec_key(k): enc(v.to(torch.float32)) for k, v in state.items()}
    OUT.write_text(json.dumps({"torch": torch.__version__, "config": CONFIG, "resolution": RES, "numClasses": CLASSES,
                               "input": enc(x), "output": enc(y), "weights": weights}, separators=(",", ":")) + "\n")
    print(f"{len(weights)} weights, {sum(v.numel() for v in state.values())} values → {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
