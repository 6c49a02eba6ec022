#!/usr/bin/env python3
"""Rank-3 inputs that are not N,C,L: ONNX files whose input a 2-D network batches itself, with the
receptive field of the output measured by autograd (test/analysis/input-layout.test.ts).

  image        torchvision's detectors' recipe: one unbatched image [3, H, W] normalised, then
               image[None] and 2-D convs (a 3×5 stride-2 conv, ReLU, a 3×3 conv): the field is over
               H and W of the input (before the fix, over W alone, as if the input were N,C,L);
               H and W are dynamic (measured at 20×24), so a sweep can resize them
  spectrogram  an [N, F, T] spectrogram unsqueezed to [N, 1, F, T] for 2-D convs (5×3, then 3×3
               stride 2): the field is over F and T
  signal       a 1-D network, conv1d (k 5) twice on [N, C, L]: the field stays over L alone
               (a control: it must not turn 2-D)
  pooled       an [N, F, T] spectrogram unsqueezed to [N, 1, F, T] and max-pooled (3×5, stride 2):
               its only 2-D window a pool's, the field over F and T. A max pool's gradient reaches
               one input of its window (the argmax), so its footprint is measured on the same
               geometry averaged (AvgPool2d: every input of the window)
  unsqueezed   a conv1d written as 1×k conv2d (1×5, then 1×5 stride 2) on x.unsqueeze(2), squeezed
               back: [N, C, L] windowed in 2-D over a 1×L map, the field stays over L alone

Truth per model (test/fixtures/onnx/layout/truth.json): the output's shape, and for its unit at the
middle of each spatial axis the input rows/columns with a nonzero gradient (golden_kit's
footprint rule: positive weights and inputs), per input axis: the field's extent there; and the
stride, the footprint's shift between two neighbouring units. Weights are stripped (only shapes
matter). Run: /usr/bin/python3 scripts/export_unbatched_inputs.py
"""
import json
from pathlib import Path

import torch
import torch.nn as nn

from golden_kit import strip_weights

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "layout"


class Image(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 4, (3, 5), 2, (1, 2))
        self.c2 = nn.Conv2d(4, 4, 3, 1, 1)
        self.register_buffer("mean", torch.tensor([0.5, 0.4, 0.3]).view(3, 1, 1))

    def forward(self, image):
        return self.c2(torch.relu(self.c1((image - self.mean)[None])))


class Spectrogram(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, (5, 3), 1, (2, 1))
        self.c2 = nn.Conv2d(4, 4, 3, 2, 1)

    def forward(self, x):
        return self.c2(torch.relu(self.c1(x.unsqueeze(1))))


class Signal(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(6, 4, 5, padding=2)
        self.c2 = nn.Conv1d(4, 4, 5, 2, 2)

    def forward(self, x):
        return self.c2(torch.relu(self.c1(x)))


class Pooled(nn.Module):
    def __init__(self, pool=nn.MaxPool2d):
        super().__init__()
        self.pool = pool((3, 5), 2, (1, 2))

    def forward(self, x):
        return self.pool(x.unsqueeze(1))


class Unsqueezed(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(6, 4, (1, 5), 1, (0, 2))
        self.c2 = nn.Conv2d(4, 4, (1, 5), (1, 2), (0, 2))

    def forward(self, x):
        return self.c2(torch.relu(self.c1(x.unsqueeze(2)))).squeeze(2)


def footprint(model, shape, unit):
    """Input rows (per input axis after the first) with a nonzero gradient of output unit `unit` (all channels)."""
    x = (torch.rand(shape, dtype=torch.double) + 0.5).requires_grad_(True)
    y = model(x)
    sel = torch.zeros_like(y)
    sel[(0, slice(None)) + tuple(unit)] = 1.0
    g, = torch.autograd.grad((y * sel).sum(), x)
    nz = g != 0
    out = []
    for a in range(1, len(shape)):
        other = tuple(d for d in range(len(shape)) if d != a)
        idx = nz.amax(dim=other).nonzero().flatten()
        out.append([int(idx.min()), int(idx.max())])
    return out


def measure(model, shape):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.rand_like(p) + 0.1)
    model = model.double().eval()
    with torch.no_grad():
        y = model(torch.ones(shape, dtype=torch.double))
    spatial = list(y.shape[2:])
    mid = [n // 2 for n in spatial]
    nxt = [m + 1 for m in mid]
    a, b = footprint(model, shape, mid), footprint(model, shape, nxt)
    return {"input": list(shape), "output": list(y.shape), "unit": mid, "footprint": a, "next": b}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    truth = {"torch": torch.__version__, "models": {}}
    for name, model, shape, names in (("image", Image(), (3, 20, 24), ["image"]),
                                      ("spectrogram", Spectrogram(), (1, 16, 30), ["spec"]),
                                      ("signal", Signal(), (1, 6, 40), ["signal"]),
                                      ("pooled", Pooled(), (1, 16, 30), ["spec"]),
                                      ("unsqueezed", Unsqueezed(), (1, 6, 40), ["signal"])):
        model.eval()
        path = OUT / f"{name}.onnx"
        # the image's H and W dynamic, as a detector's (sweep resizes them)
        dynamic = {names[0]: {1: "h", 2: "w"}} if name == "image" else None
        torch.onnx.export(model, torch.rand(shape), str(path), opset_version=17, input_names=names, output_names=["out"], dynamic_axes=dynamic)
        strip_weights(path)
        # a max pool's footprint is its argmax's: the window's is its average's (the same geometry)
        truth["models"][name] = measure(Pooled(nn.AvgPool2d) if name == "pooled" else model, shape)
    (OUT / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    print(json.dumps(truth["models"]))


if __name__ == "__main__":
    main()
