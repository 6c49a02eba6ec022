#!/usr/bin/env python3
"""Effective-receptive-field goldens of a two-input network (inputName): PyTorch's gradients at each input.

The network, module names as the test's spec names them (test/runtime/erf-two-inputs.test.ts):
  rgb   [1, 2, 8, 8] -> ca  Conv2d(2, 3, 3, padding 1) -> relu
  depth [1, 1, 8, 8] -> cb  Conv2d(1, 3, 5, padding 2) -> sigmoid (gate)
  mix = relu(ca(rgb)) * sigmoid(cb(depth))                       [1, 3, 8, 8]
  head  Conv2d(3, 2, 3, stride 2, padding 1)                     [1, 2, 4, 4]
The product makes each input's gradient depend on the other input's values. At
rgb[k] = sin(0.731 k + 0.2), depth[k] = cos(0.417 k - 0.3) (k the row-major index, float32; the test
computes the same, so the fixture holds no input), for each case x.grad of y[0, channels, i, j].sum()
with respect to rgb and to depth. Writes test/fixtures/erf/two-inputs.json =
{"torch", "stateDict", "cases": [{name, layer, channels (null: all), position, rgb, depth}]}.

Run: cd scripts && nice -n 10 /usr/bin/python3 erf_goldens_two_inputs.py
"""
import json
import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from golden_kit import enc

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "erf" / "two-inputs.json"
RGB = (1, 2, 8, 8)
DEPTH = (1, 1, 8, 8)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.ca = nn.Conv2d(2, 3, 3, padding=1)
        self.cb = nn.Conv2d(1, 3, 5, padding=2)
        self.head = nn.Conv2d(3, 2, 3, stride=2, padding=1)

    def forward(self, rgb, depth, seen):
        mix = torch.relu(self.ca(rgb)) * torch.sigmoid(self.cb(depth))
        seen["mix"] = mix
        out = self.head(mix)
        seen["head"] = out
        return out


def pattern(shape, f):
    n = int(np.prod(shape))
    return torch.tensor(np.array([f(k) for k in range(n)], dtype=np.float32)).reshape(shape)


def main():
    torch.manual_seed(11)
    model = Net().eval()
    cases = []
    for label, layer, channels, position in [
        ("head (final map) centre [2, 2], all channels", "head", None, [2, 2]),
        ("head unit [0, 3], channel 1", "head", [1], [0, 3]),
        ("mix unit [5, 2], channels 0 and 2", "mix", [0, 2], [5, 2]),
    ]:
        rgb = pattern(RGB, lambda k: math.sin(0.731 * k + 0.2)).requires_grad_(True)
        depth = pattern(DEPTH, lambda k: math.cos(0.417 * k - 0.3)).requires_grad_(True)
        seen = {}
        model(rgb, depth, seen)
        y = seen[layer][0] if channels is None else seen[layer][0, channels]
        y[(Ellipsis, *position)].sum().backward()
        cases.append({"name": label, "layer": layer, "channels": channels, "position": position, "rgb": enc(rgb.grad), "depth": enc(depth.grad)})
        print(label, "non-zero rgb", int((rgb.grad != 0).sum()), "depth", int((depth.grad != 0).sum()))
    state = {k: enc(v) for k, v in model.state_dict().items()}
    OUT.write_text(json.dumps({"torch": torch.__version__, "stateDict": state, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"{len(cases)} cases -> {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
