#!/usr/bin/env python3
"""Effective-receptive-field goldens of small MViTs: PyTorch's input gradients through multiscaleAttention.

The networks and inputs of test/fixtures/networks/mvit_v1_tiny.json and mvit_v2_tiny.json
(scripts/goldens_mvit_network.py: torchvision's MViT at 1×3×4×32×32, 3 blocks, 10 classes; v2 with
relative positions and residual pooling; its state_dict loaded back and checked against the stored
logits). x.grad of y[0, channels].sum() for x the clip [1, 3, 4, 32, 32] and y the logits (convlens's
layer head.1) or the class token's features after the final norm (class_flatten, norm(x)[:, 0]).
(Until convlens's ERF took a clip, this script fed frames [1, 12, 32, 32] reshaped to the clip: the
same numbers, the gradient's shape [1, 12, 32, 32].) Writes
test/fixtures/erf/mvit.json = {"torch", "cases": [{name, network, layer, channels (null: all), gradient {shape, data}}]}.

Run: cd scripts && nice -n 10 /usr/bin/python3 erf_goldens_mvit.py
"""
import json
from pathlib import Path

import torch
from torchvision.models.video.mvit import MSBlockConfig, MViT

from golden_kit import enc

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = ROOT / "test" / "fixtures" / "networks"
OUT = ROOT / "test" / "fixtures" / "erf" / "mvit.json"
ONE = [1, 1, 1]


def wire(w):
    return torch.tensor(w["data"], dtype=torch.float32).reshape(w["shape"])


def build(name):
    g = json.loads((NETWORKS / f"{name}.json").read_text())
    cfg = g["config"]
    pooled = lambda r: not (r["kernelQ"] == ONE and r["strideQ"] == ONE)
    setting = [MSBlockConfig(r["heads"], r["in"], r["out"], r["kernelQ"] if pooled(r) else [], r["kernelKv"], r["strideQ"] if pooled(r) else [], r["strideKv"])
               for r in cfg["blocks"]]
    v2 = cfg["v2"]
    m = MViT(spatial_size=(g["resolution"], g["resolution"]), temporal_size=cfg["frames"], block_setting=setting, residual_pool=v2,
             residual_with_cls_embed=False, rel_pos_embed=v2, proj_after_attn=v2, dropout=0.0, num_classes=g["numClasses"]).eval()
    m.load_state_dict({k: wire(g["stateDict"][k]).to(v.dtype) for k, v in m.state_dict().items()})
    x = wire(g["input"])
    with torch.no_grad():
        y = m(x)
    assert torch.allclose(y, wire(g["output"]), atol=1e-5), "the state_dict loaded back does not give the stored logits"
    return m, x


def gradient(model, clip, layer, channels):
    x = clip.clone().requires_grad_(True)
    seen = {}
    handle = model.norm.register_forward_hook(lambda m, i, o: seen.setdefault("norm", o))
    logits = model(x)
    handle.remove()
    y = logits if layer == "head.1" else seen["norm"][:, 0]
    unit = y[0] if channels is None else y[0, channels]
    unit.sum().backward()
    return enc(x.grad)


def main():
    cases = []
    for name, layer, channels in [
        ("mvit_v2_tiny", "head.1", None),
        ("mvit_v2_tiny", "head.1", [3, 7]),
        ("mvit_v2_tiny", "class_flatten", [5]),
        ("mvit_v1_tiny", "head.1", [0, 9]),
    ]:
        model, clip = build(name)
        which = "all channels" if channels is None else f"channels {channels}"
        cases.append({"name": f"{name} {layer}, {which}", "network": f"{name}.json", "layer": layer, "channels": channels,
                      "gradient": gradient(model, clip, layer, channels)})
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"{len(cases)} cases → {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
