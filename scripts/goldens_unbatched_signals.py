#!/usr/bin/env python3
"""Rank-2 network inputs read by a 1-D window: an unbatched signal [C, L] (PyTorch 1.13's 1-D pools
take one sample without its batch axis) or one the network batches itself (x[None]), and a control
(test/analysis/input-layout-1d.test.ts). Each case is a JSON spec and the PyTorch module it
describes; the truth is autograd's footprint.

  pooled     [3, 29] unbatched: nn.MaxPool1d(5, 2, 2), then nn.AvgPool1d(3, 2, ceil_mode=True):
             the field is over L (before, a rank-2 input had no field at all)
  adaptive   [2, 17] unbatched: nn.AdaptiveAvgPool1d(5)
  batched    [2, 19] the network batches itself: x[None], then nn.Conv1d(2, 3, 3, 2, 1)
  maxout     a control, [4, 6] an [N, F] batch: nn.Linear(6, 8), then nn.MaxPool1d(2) over the
             features (torch reads the 2-D tensor as one unbatched [C, L]: a max over feature pairs):
             each output unit reads every input feature, so there is no field over L to report

A max pool's gradient reaches one input of its window (the argmax), so its footprint is measured on
the same geometry averaged (every input of the window), as scripts/goldens_unbatched_clips.py does.
Truth per case: the output's shape, and for its unit at (n − 1) // 2 on the last axis and the next
one, the input's extent with a nonzero gradient along its last axis (all channels selected;
positive weights and inputs).

    /usr/bin/python3 scripts/goldens_unbatched_signals.py > test/fixtures/layout/unbatched-signals.json
"""
import json

import torch
import torch.nn as nn


def spec(shape, *layers):
    return {"name": "t", "inputs": [{"name": "x", "shape": list(shape)}], "layers": [{"name": f"l{i}", **l} for i, l in enumerate(layers)]}


class Batched(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3, 2, 1)

    def forward(self, x):
        return self.conv(x[None])


CASES = {
    "pooled": (
        spec([3, 29], {"op": "maxPool1d", "kernelSize": 5, "stride": 2, "padding": 2}, {"op": "avgPool1d", "kernelSize": 3, "stride": 2, "ceilMode": True}),
        nn.Sequential(nn.AvgPool1d(5, 2, 2), nn.AvgPool1d(3, 2, ceil_mode=True)),
    ),
    "adaptive": (
        spec([2, 17], {"op": "adaptiveAvgPool1d", "outputSize": 5}),
        nn.AdaptiveAvgPool1d(5),
    ),
    "batched": (
        spec([2, 19], {"op": "unsqueeze", "axes": [0]}, {"op": "conv1d", "outChannels": 3, "kernelSize": 3, "stride": 2, "padding": 1}),
        Batched(),
    ),
    "maxout": (
        spec([4, 6], {"op": "linear", "outFeatures": 8}, {"op": "maxPool1d", "kernelSize": 2}),
        nn.Sequential(nn.Linear(6, 8), nn.AvgPool1d(2)),
    ),
}


def footprint(model, shape, unit):
    """The extent [lo, hi] along the input's last axis with a nonzero gradient of output unit `unit` (on the output's last axis)."""
    x = (torch.rand(shape, dtype=torch.double) + 0.5).requires_grad_(True)
    y = model(x)
    sel = torch.zeros_like(y)
    sel[..., unit] = 1.0
    g, = torch.autograd.grad((y * sel).sum(), x)
    idx = (g != 0).reshape(-1, shape[-1]).any(dim=0).nonzero().flatten()
    return [int(idx.min()), int(idx.max())]


def main():
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "cases": {}}
    for name, (net, model) in CASES.items():
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.rand_like(p) + 0.1)
        model = model.double().eval()
        shape = net["inputs"][0]["shape"]
        with torch.no_grad():
            y = model(torch.ones(shape, dtype=torch.double))
        mid = (y.shape[-1] - 1) // 2
        out["cases"][name] = {"spec": net, "output": list(y.shape), "unit": [mid], "footprint": [footprint(model, shape, mid)], "next": [footprint(model, shape, mid + 1)]}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
