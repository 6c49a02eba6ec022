#!/usr/bin/env python3
"""Network inputs of rank 4 read by a 3-D window: an unbatched clip [C, D, H, W] (PyTorch 1.13's 3-D
pools take one sample without its batch axis) or an [N, C, H, W] batch (test/analysis/input-layout-nd.test.ts).
Each case is a JSON spec and the PyTorch module it describes; the truth is autograd's footprint.

  pooled     [2, 13, 14, 16] unbatched: nn.MaxPool3d((3, 2, 3), (2, 1, 2), (1, 0, 1)), then
             nn.AvgPool3d(2): the field is over D, H and W (before, over H and W alone, the input
             read as N, C, H, W)
  adaptive   [2, 9, 10, 12] unbatched: nn.AdaptiveAvgPool3d((4, 3, 5))
  batched    [2, 9, 10, 12] the network batches itself: x[None], then nn.Conv3d(2, 3, 3, (1, 2, 2), 1)
  maxout     a control, [2, 6, 10, 12] an N, C, H, W batch: nn.Conv2d(6, 4, 3, padding=1), then
             nn.MaxPool3d((2, 1, 1)) over the 4-D tensor (torch reads it as one unbatched [C, D, H, W]:
             a max over channel pairs, maxout), then nn.Conv2d(2, 2, 3, 2): 2-D convs read the
             input as N, C, H, W, so the field stays over H and W

A max pool's gradient reaches one input of its window (the argmax), so its footprint is measured on
the same geometry averaged (every input of the window), as scripts/export_unbatched_inputs.py does.
Truth per case: the output's shape, and for its unit at (n − 1) // 2 on each of the field's axes
(the last `axes` of the output) and the next one, the input's extent with a nonzero gradient along
each of the input's last `axes` axes (all leading positions selected; positive weights and inputs).

    /usr/bin/python3 scripts/goldens_unbatched_clips.py > test/fixtures/layout/unbatched-clips.json
"""
import json

import torch
import torch.nn as nn


def spec(shape, *layers):
    return {"name": "t", "inputs": [{"name": "x", "shape": list(shape)}], "layers": [{"name": f"l{i}", **l} for i, l in enumerate(layers)]}


class Batched(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(2, 3, 3, (1, 2, 2), 1)

    def forward(self, x):
        return self.conv(x[None])


CASES = {
    "pooled": (
        spec([2, 13, 14, 16], {"op": "maxPool3d", "kernelSize": [3, 2, 3], "stride": [2, 1, 2], "padding": [1, 0, 1]}, {"op": "avgPool3d", "kernelSize": 2}),
        nn.Sequential(nn.AvgPool3d((3, 2, 3), (2, 1, 2), (1, 0, 1)), nn.AvgPool3d(2)),
        3,
    ),
    "adaptive": (
        spec([2, 9, 10, 12], {"op": "adaptiveAvgPool3d", "outputSize": [4, 3, 5]}),
        nn.AdaptiveAvgPool3d((4, 3, 5)),
        3,
    ),
    "batched": (
        spec([2, 9, 10, 12], {"op": "unsqueeze", "axes": [0]}, {"op": "conv3d", "outChannels": 3, "kernelSize": 3, "stride": [1, 2, 2], "padding": 1}),
        Batched(),
        3,
    ),
    "maxout": (
        spec([2, 6, 10, 12], {"op": "conv2d", "outChannels": 4, "kernelSize": 3, "padding": 1}, {"op": "maxPool3d", "kernelSize": [2, 1, 1]}, {"op": "conv2d", "outChannels": 2, "kernelSize": 3, "stride": 2}),
        nn.Sequential(nn.Conv2d(6, 4, 3, padding=1), nn.AvgPool3d((2, 1, 1)), nn.Conv2d(2, 2, 3, 2)),
        2,
    ),
}


def footprint(model, shape, unit, axes):
    """Per input axis among the last `axes`: the extent [lo, hi] with a nonzero gradient of output unit `unit` (over the output's last `axes`)."""
    x = (torch.rand(shape, dtype=torch.double) + 0.5).requires_grad_(True)
    y = model(x)
    sel = torch.zeros_like(y)
    sel[(Ellipsis,) + tuple(unit)] = 1.0
    g, = torch.autograd.grad((y * sel).sum(), x)
    nz = g != 0
    out = []
    for a in range(len(shape) - axes, len(shape)):
        other = tuple(d for d in range(len(shape)) if d != a)
        idx = nz.amax(dim=other).nonzero().flatten()
        out.append([int(idx.min()), int(idx.max())])
    return out


def main():
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "cases": {}}
    for name, (net, model, axes) in CASES.items():
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.rand_like(p) + 0.1)
        model = model.double().eval()
        shape = net["inputs"][0]["shape"]
        with torch.no_grad():
            y = model(torch.ones(shape, dtype=torch.double))
        mid = [(n - 1) // 2 for n in y.shape[-axes:]]
        nxt = [m + 1 for m in mid]
        out["cases"][name] = {"spec": net, "output": list(y.shape), "unit": mid, "footprint": footprint(model, shape, mid, axes), "next": footprint(model, shape, nxt, axes)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
