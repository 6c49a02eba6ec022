#!/usr/bin/env python3
"""Whole-network golden for the Swin V2 spec (src/zoo/swin.ts, cfg.v2): torchvision's own
SwinTransformer with SwinTransformerBlockV2 and PatchMergingV2 at a small size, its state_dict as is
(keys as torchvision names them: the test binds them through graph/given-weights.ts), its input and logits.

The model: patch 4, embed_dim 8, depths [2, 2], heads [1, 2], window 4, 10 classes, 1×3×40×40 input:
stage 1 is 10×10 (padded to 12×12, shift 2 in its 2nd block), PatchMergingV2 to 5×5×16 (reduction,
then norm), stage 2 pads 5×5 to 8×8 (shift 2 kept), so the res-post-norm blocks, cosine attention,
the continuous position bias, padding, the shift mask, PatchMergingV2, the final norm, pooling and
head are all run. Biases and LayerNorm affines are drawn from N(0, 0.5²) so that every one matters
(qkv.bias whole: its k third must be ignored), logit scales around ln 10.

Writes test/fixtures/networks/swin_v2_spec_tiny.json:
  {"torch", "config": {...}, "resolution", "numClasses", "input", "output", "stateDict": {"<torchvision key>": tensor}}
Run: cd scripts && nice -n 10 /usr/bin/python3 goldens_swin_v2_network.py
"""
import json
import math
import re
from pathlib import Path

import torch
from torchvision.models.swin_transformer import PatchMergingV2, SwinTransformer, SwinTransformerBlockV2

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "networks" / "swin_v2_spec_tiny.json"
CONFIG = {"embedDim": 8, "depths": [2, 2], "heads": [1, 2], "window": 4, "v2": True}
RES, CLASSES = 40, 10


def main():
    torch.manual_seed(11)
    m = SwinTransformer(patch_size=[4, 4], embed_dim=CONFIG["embedDim"], depths=CONFIG["depths"], num_heads=CONFIG["heads"],
                        window_size=[CONFIG["window"]] * 2, stochastic_depth_prob=0.0, num_classes=CLASSES,
                        block=SwinTransformerBlockV2, downsample_layer=PatchMergingV2).eval()
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("logit_scale"):
                p.copy_(math.log(10) + torch.randn_like(p) * 0.5)
            elif "cpb_mlp" in name:
                continue  # the module's own init; its output layer scaled below
            elif re.search(r"bias$", name) or (p.dim() == 1 and "norm" in name):
                p.normal_(0, 0.5)
            elif p.dim() >= 2:
                p.normal_(0, 1.0 / p.shape[-1] ** 0.5 if p.dim() == 2 else 0.2)
        for name, p in m.named_parameters():
            if name.endswith("cpb_mlp.2.weight"):
                p.mul_(8)
        x = torch.randn(1, 3, RES, RES)
        y = m(x)
    state = m.state_dict()
    OUT.write_text(json.dumps({"torch": torch.__version__, "config": CONFIG, "resolution": RES, "numClasses": CLASSES,
                               "input": enc(x), "output": enc(y), "stateDict": {k: enc(v.to(torch.float32)) for k, v in state.items()}},
                              separators=(",", ":")) + "\n")
    print(f"{len(state)} keys, {sum(v.numel() for v in state.values())} values → {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
