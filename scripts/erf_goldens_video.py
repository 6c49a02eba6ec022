#!/usr/bin/env python3
"""Effective-receptive-field goldens of a small r3d-like video network: PyTorch's clip gradients.

The network (torchvision's VideoResNet in small, module paths as convlens's spec names them):
  stem      Conv3d(3, 4, (3, 7, 7), stride (1, 2, 2), padding (1, 3, 3), bias=False), BatchNorm3d, ReLU
  layer1.0  a BasicBlock of 4 channels: Conv3d 3×3×3 pad 1, BN, ReLU, Conv3d 3×3×3 pad 1, BN, + x, ReLU
  layer2.0  a BasicBlock 4 → 8 at stride 2 on every axis, its downsample Conv3d 1×1×1 stride 2 + BN
  head      AdaptiveAvgPool3d(1), flatten, Linear(8, 5)
in eval mode (BN's running statistics set from the seeded stream, not 0 and 1), at a clip
[1, 3, 16, 32, 32] whose values are x[k] = sin(0.731·k + 0.2) rounded to float32 (k the row-major
index: the test computes the same clip, so the fixture holds no input).

For each case, x.grad of y[0, channels, t, i, j].sum() (y a module's output) or of logits[0, channels].sum(),
reduced as convlens's ERF answers it: `frames`, the share of Σ|g| in each input frame (Σ over c, h, w),
and `map`, Σ over channels and frames of |g|, [32, 32]. Writes test/fixtures/erf/video.json =
{"torch", "stateDict" {key: {shape, data}}, "cases": [{name, layer, channels (null: all), position
([t, i, j], null for the logits), frames, map {shape, data}}]}.

Run: cd scripts && nice -n 10 /usr/bin/python3 erf_goldens_video.py
"""
import json
import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from golden_kit import enc

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "erf" / "video.json"
SHAPE = (1, 3, 16, 32, 32)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv3d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm3d(cout), nn.ReLU())
        self.conv2 = nn.Sequential(nn.Conv3d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm3d(cout))
        self.downsample = nn.Sequential(nn.Conv3d(cin, cout, 1, stride, bias=False), nn.BatchNorm3d(cout)) if stride != 1 or cin != cout else None
        self.relu = nn.ReLU()

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv2(self.conv1(x)) + identity)


class SmallR3d(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv3d(3, 4, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False), nn.BatchNorm3d(4), nn.ReLU())
        self.layer1 = nn.Sequential(Block(4, 4, 1))
        self.layer2 = nn.Sequential(Block(4, 8, 2))
        self.avgpool = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(self.avgpool(x).flatten(1))


def clip():
    n = int(np.prod(SHAPE))
    return torch.tensor(np.array([math.sin(0.731 * k + 0.2) for k in range(n)], dtype=np.float32)).reshape(SHAPE)


def build():
    torch.manual_seed(0)
    m = SmallR3d()
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm3d):
            c = mod.num_features
            mod.running_mean.copy_(torch.randn(c) * 0.1)
            mod.running_var.copy_(torch.rand(c) + 0.5)
            mod.weight.data.copy_(torch.rand(c) + 0.5)
            mod.bias.data.copy_(torch.randn(c) * 0.1)
    return m.eval()


def reduced(g):
    a = g[0].abs()
    per_frame = a.sum(dim=(0, 2, 3))
    return (per_frame / per_frame.sum()).tolist(), enc(a.sum(dim=(0, 1)))


def main():
    model = build()
    modules = dict(model.named_modules())
    cases = []
    for label, layer, channels, position in [
        ("layer2.0.relu (final map) centre [4, 4, 4], all channels", "layer2.0.relu", None, [4, 4, 4]),
        ("layer2.0.relu unit [1, 2, 5], channels 0 and 4", "layer2.0.relu", [0, 4], [1, 2, 5]),
        ("layer1.0.relu unit [15, 0, 9], channel 2", "layer1.0.relu", [2], [15, 0, 9]),
        ("fc (logits), channels 0 and 4", "fc", [0, 4], None),
    ]:
        x = clip().requires_grad_(True)
        seen = {}
        handle = modules[layer].register_forward_hook(lambda m, i, o: seen.setdefault("y", o))
        model(x)
        handle.remove()
        y = seen["y"][0] if channels is None else seen["y"][0, channels]
        unit = y if position is None else y[(Ellipsis, *position)]
        unit.sum().backward()
        frames, spatial = reduced(x.grad)
        cases.append({"name": label, "layer": layer, "channels": channels, "position": position, "frames": [float(repr(np.float32(v))) for v in frames], "map": spatial})
        print(label, "frames seen", [t for t, v in enumerate(frames) if v > 0])
    state = {k: enc(v.to(torch.float32)) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    OUT.write_text(json.dumps({"torch": torch.__version__, "stateDict": state, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"{len(cases)} cases → {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
