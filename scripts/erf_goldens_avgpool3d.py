#!/usr/bin/env python3
"""Effective-receptive-field goldens through AvgPool3d (avgPool3d's vjp): PyTorch's clip gradients.

The network, module names as convlens's spec names them:
  conv0  Conv3d(2, 3, 3, padding 1)            [1, 2, 8, 12, 12] → [1, 3, 8, 12, 12]
  relu   ReLU
  pool   AvgPool3d(3, stride 2, padding 1, ceil_mode=True, count_include_pad=False)
                                               → [1, 3, 5, 7, 7]: on every axis the last window
                                               starts inside the input and ends past the padded
                                               edge (T: 7…9 against 0…8 padded; H, W: 11…13 against 0…12)
  conv1  Conv3d(3, 4, (1, 3, 3), padding (0, 1, 1))  → [1, 4, 5, 7, 7]
at the clip x[k] = sin(0.731·k + 0.2) [1, 2, 8, 12, 12] rounded to float32 (k the row-major index;
the tests compute the same clip, so the fixture holds no input). For each case, x.grad of
y[0, channels, t, i, j].sum() (y a module's output): the signed gradient [1, 2, 8, 12, 12] as is,
and as convlens's ERF reduces it, `frames` (each frame's share of Σ|g|) and `map` (Σ over channels
and frames of |g|, [12, 12]). Writes test/fixtures/erf/avgpool3d.json = {"torch", "stateDict",
"cases": [{name, layer, channels (null: all), position [t, i, j], gradient, frames, map}]}.

Run: cd scripts && nice -n 10 /usr/bin/python3 erf_goldens_avgpool3d.py
"""
import json
import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from golden_kit import enc

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "erf" / "avgpool3d.json"
SHAPE = (1, 2, 8, 12, 12)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv0 = nn.Conv3d(2, 3, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.AvgPool3d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.conv1 = nn.Conv3d(3, 4, (1, 3, 3), padding=(0, 1, 1))

    def forward(self, x):
        return self.conv1(self.pool(self.relu(self.conv0(x))))


def clip():
    n = int(np.prod(SHAPE))
    return torch.tensor(np.array([math.sin(0.731 * k + 0.2) for k in range(n)], dtype=np.float32)).reshape(SHAPE)


def main():
    torch.manual_seed(7)
    model = Net().eval()
    modules = dict(model.named_modules())
    cases = []
    for label, layer, channels, position in [
        ("conv1 (final map) centre [2, 3, 3], all channels", "conv1", None, [2, 3, 3]),
        ("conv1 unit [4, 6, 6] (the pool's last windows, past the padded edge on every axis), channels 1 and 3", "conv1", [1, 3], [4, 6, 6]),
        ("pool unit [0, 0, 0] (its first window, half in the padding), channel 2", "pool", [2], [0, 0, 0]),
    ]:
        x = clip().requires_grad_(True)
        seen = {}
        handle = modules[layer].register_forward_hook(lambda m, i, o: seen.setdefault("y", o))
        model(x)
        handle.remove()
        y = seen["y"][0] if channels is None else seen["y"][0, channels]
        y[(Ellipsis, *position)].sum().backward()
        a = x.grad[0].abs()
        per_frame = a.sum(dim=(0, 2, 3))
        frames = (per_frame / per_frame.sum()).tolist()
        cases.append({"name": label, "layer": layer, "channels": channels, "position": position, "gradient": enc(x.grad),
                      "frames": [float(repr(np.float32(v))) for v in frames], "map": enc(a.sum(dim=(0, 1)))})
        print(label, "y", list(seen["y"].shape), "frames seen", [t for t, v in enumerate(frames) if v > 0], "max |g|", float(a.max()))
    state = {k: enc(v) for k, v in model.state_dict().items()}
    OUT.write_text(json.dumps({"torch": torch.__version__, "stateDict": state, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"{len(cases)} cases → {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
