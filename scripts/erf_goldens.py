#!/usr/bin/env python3
"""Effective-receptive-field goldens: PyTorch's input gradients of whole networks.

For the two networks of scripts/network_goldens.py (the same seeds rebuild the same weights as
test/fixtures/networks/<name>.onnx; checked against the stored output), and that file's input x:
x.grad of y[0, channels, i, j].sum() for y a feature map (a module's output), written as
test/fixtures/erf/networks.json = {"torch", "cases": [{name, network, layer (the ONNX node name of
y in convlens), channels (null: all), position [i, j], gradient {shape, dtype, base64}}]}.
Gradients are float32 little-endian in base64 (a 1x3x64x64 map is 48 KB of floats).

Run: cd scripts && /usr/bin/python3 erf_goldens.py
"""
import base64
import json
from pathlib import Path

import numpy as np
import torch

from network_goldens import prepared

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "erf"


def build(name):
    model, _, _ = prepared(name)
    stored = json.loads((ROOT / "test" / "fixtures" / "networks" / f"{name}.json").read_text())
    x = torch.tensor(stored["input"]["data"], dtype=torch.float32).reshape(stored["input"]["shape"])
    with torch.no_grad():
        y = model(x)
    want = torch.tensor(stored["output"]["data"]).reshape(stored["output"]["shape"])
    assert torch.allclose(y, want, atol=1e-4), f"{name}: rebuilt weights differ from the ONNX file's"
    return model, x


def gradient(model, module, x, channels, position):
    x = x.clone().requires_grad_(True)
    seen = {}
    handle = module.register_forward_hook(lambda m, i, o: seen.setdefault("y", o))
    model(x)
    handle.remove()
    y = seen["y"]
    i, j = position
    unit = y[0, :, i, j] if channels is None else y[0, channels, i, j]
    unit.sum().backward()
    g = x.grad.detach().to(torch.float32).contiguous().numpy()
    return {"shape": list(g.shape), "dtype": "float32", "base64": base64.b64encode(g.astype("<f4").tobytes()).decode()}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    cases = []
    resnet, x = build("resnet18_w16")
    for label, module, layer, channels, pos in [
        ("layer4 (final map) centre, all channels", resnet.layer4, "/layer4/layer4.1/relu_1/Relu", None, [1, 1]),
        ("layer2 unit (2, 5), channels 3 and 7", resnet.layer2, "/layer2/layer2.1/relu_1/Relu", [3, 7], [2, 5]),
    ]:
        cases.append({"name": f"resnet18_w16 {label}", "network": "resnet18_w16", "layer": layer, "channels": channels, "position": pos, "gradient": gradient(resnet, module, x, channels, pos)})
    mobilenet, x = build("mobilenet_v2_w050")
    for label, module, layer, channels, pos in [
        ("features.13 (residual add, stride 16) unit (1, 2), all channels", mobilenet.features[13], "/features/features.13/Add", None, [1, 2]),
        ("features.6 (residual add) unit (5, 2), channels 0 and 9", mobilenet.features[6], "/features/features.6/Add", [0, 9], [5, 2]),
    ]:
        cases.append({"name": f"mobilenet_v2_w050 {label}", "network": "mobilenet_v2_w050", "layer": layer, "channels": channels, "position": pos, "gradient": gradient(mobilenet, module, x, channels, pos)})
    (OUT / "networks.json").write_text(json.dumps({"torch": torch.__version__, "cases": cases}) + "\n")
    for c in cases:
        g = np.frombuffer(base64.b64decode(c["gradient"]["base64"]), dtype="<f4")
        print(c["name"], "max |g|", float(np.abs(g).max()), "non-zero", int((g != 0).sum()))


if __name__ == "__main__":
    main()
