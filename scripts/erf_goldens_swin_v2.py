#!/usr/bin/env python3
"""Effective-receptive-field goldens of a small Swin V2: PyTorch's input gradients through its window attention.

The network and input of test/fixtures/networks/swin_v2_spec_tiny.json (scripts/goldens_swin_v2_network.py:
torchvision's SwinTransformer with SwinTransformerBlockV2 and PatchMergingV2, patch 4, embed 8, depths [2, 2],
heads [1, 2], window 4, 40 px; its state_dict loaded back and checked against the stored logits), and
x.grad of y[0, channels, i, j].sum() for y the final 5×5 map after the permute back to [N, C, H, W]
(convlens's layer `permute`), for units whose gradient crosses all four cosine-attention blocks (both
shifted ones with their masks, stage 1's map padded 10 → 12, stage 2's 5 → 8). Writes
test/fixtures/erf/swin_v2.json = {"torch", "network", "cases": [{name, layer, channels (null: all),
position [i, j], gradient {shape, data}}]}.

Run: cd scripts && nice -n 10 /usr/bin/python3 erf_goldens_swin_v2.py
"""
import json
from pathlib import Path

import torch
from torchvision.models.swin_transformer import PatchMergingV2, SwinTransformer, SwinTransformerBlockV2

from golden_kit import enc

ROOT = Path(__file__).resolve().parent.parent
NETWORK = ROOT / "test" / "fixtures" / "networks" / "swin_v2_spec_tiny.json"
OUT = ROOT / "test" / "fixtures" / "erf" / "swin_v2.json"


def wire(w):
    return torch.tensor(w["data"], dtype=torch.float32).reshape(w["shape"])


def build():
    g = json.loads(NETWORK.read_text())
    cfg = g["config"]
    m = SwinTransformer(patch_size=[4, 4], embed_dim=cfg["embedDim"], depths=cfg["depths"], num_heads=cfg["heads"],
                        window_size=[cfg["window"]] * 2, stochastic_depth_prob=0.0, num_classes=g["numClasses"],
                        block=SwinTransformerBlockV2, downsample_layer=PatchMergingV2).eval()
    state = {k: wire(g["stateDict"][k]).to(v.dtype) for k, v in m.state_dict().items()}
    m.load_state_dict(state)
    x = wire(g["input"])
    with torch.no_grad():
        y = m(x)
    assert torch.allclose(y, wire(g["output"]), atol=1e-5), "the state_dict loaded back does not give the stored logits"
    return m, x


def gradient(model, x, channels, position):
    x = x.clone().requires_grad_(True)
    seen = {}
    handle = model.permute.register_forward_hook(lambda m, i, o: seen.setdefault("y", o))
    model(x)
    handle.remove()
    y = seen["y"]
    i, j = position
    unit = y[0, :, i, j] if channels is None else y[0, channels, i, j]
    unit.sum().backward()
    return enc(x.grad)


def main():
    model, x = build()
    cases = []
    for label, channels, pos in [
        ("final map (permute) unit (2, 3), all channels", None, [2, 3]),
        ("final map (permute) unit (4, 0), channels 3 and 11", [3, 11], [4, 0]),
    ]:
        cases.append({"name": f"swin_v2_spec_tiny {label}", "layer": "permute", "channels": channels, "position": pos,
                      "gradient": gradient(model, x, channels, pos)})
    OUT.write_text(json.dumps({"torch": torch.__version__, "network": "swin_v2_spec_tiny.json", "cases": cases}, separators=(",", ":")) + "\n")
    print(f"{len(cases)} cases → {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
