#!/usr/bin/env python3
"""Effective-receptive-field goldens of an image run as a one-frame clip: PyTorch's image gradients.

The network, module names as the test's spec names them (test/runtime/erf-lifted.test.ts):
  x [1, 2, 8, 8] -> unsqueeze(2) [1, 2, 1, 8, 8]
  conv  Conv3d(2, 3, (1, 3, 3), padding (0, 1, 1)) -> relu
  pool  AvgPool3d((1, 3, 3), stride (1, 2, 2), padding (0, 1, 1), count_include_pad=False)  [1, 3, 1, 4, 4]
  head  Conv3d(3, 2, (1, 3, 3), padding (0, 1, 1))                                             [1, 2, 1, 4, 4]
Maps [N, C, 1, H, W] whose receptive field is over their last two axes, of a 4-D input: convlens's
ERF refused them ("a channels-last map") until the unit's [row, column] were read from its last
coordinates. At x[k] = sin(0.613 k + 0.4) (float32; the test computes the same), for each case x.grad
of y[0, channels, 0, i, j].sum(). Writes test/fixtures/erf/lifted.json =
{"torch", "stateDict", "cases": [{name, layer, channels (null: all), position [d, i, j], gradient}]}.

Run: cd scripts && nice -n 10 /usr/bin/python3 erf_goldens_lifted.py
"""
import json
import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from golden_kit import enc

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "erf" / "lifted.json"
SHAPE = (1, 2, 8, 8)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(2, 3, (1, 3, 3), padding=(0, 1, 1))
        self.pool = nn.AvgPool3d((1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), count_include_pad=False)
        self.head = nn.Conv3d(3, 2, (1, 3, 3), padding=(0, 1, 1))

    def forward(self, x, seen):
        p = self.pool(torch.relu(self.conv(x.unsqueeze(2))))
        seen["pool"] = p
        seen["head"] = self.head(p)
        return seen["head"]


def main():
    torch.manual_seed(5)
    model = Net().eval()
    cases = []
    for label, layer, channels, position in [
        ("head (final map) unit [0, 2, 1], all channels", "head", None, [0, 2, 1]),
        ("pool unit [0, 0, 3] (its window half in the padding), channel 1", "pool", [1], [0, 0, 3]),
    ]:
        n = int(np.prod(SHAPE))
        x = torch.tensor(np.array([math.sin(0.613 * k + 0.4) for k in range(n)], dtype=np.float32)).reshape(SHAPE).requires_grad_(True)
        seen = {}
        model(x, seen)
        y = seen[layer][0] if channels is None else seen[layer][0, channels]
        y[(Ellipsis, *position)].sum().backward()
        cases.append({"name": label, "layer": layer, "channels": channels, "position": position, "gradient": enc(x.grad)})
        nz = (x.grad[0].abs().sum(0) != 0).nonzero()
        print(label, "rows", int(nz[:, 0].min()), "…", int(nz[:, 0].max()), "columns", int(nz[:, 1].min()), "…", int(nz[:, 1].max()))
    state = {k: enc(v) for k, v in model.state_dict().items()}
    OUT.write_text(json.dumps({"torch": torch.__version__, "stateDict": state, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"{len(cases)} cases -> {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
