#!/usr/bin/env python3
"""Small blocks of modern networks as torch.onnx.export writes them, where a classic-CNN reading of
the graph goes wrong: attention added back to a map, pixel_unshuffle as a view and a permute,
torch.roll by zero, and parameters read through Slice or Concat.

Writes test/fixtures/onnx/modern/<name>.onnx and truth.json (test/graph/onnx-modern-blocks.test.ts):
per model PyTorch's parameter count, the input shape, and where it is measured
  - `support`: autograd's footprint of one output unit (rows and cols of the input with a nonzero
    gradient of the unit's channels summed), the receptive field's ground truth;
  - `input`, `output`: one seeded input and PyTorch's output (models with weights kept; a few KB).
Models whose numbers need only shapes (the parameter cases) have their weights over 64 elements
stripped (dims and type kept, no data).

  nonlocal     conv 3×3, then self-attention over the map's 20·18 positions added back (x + attn(x))
  unshuffle    F.pixel_unshuffle(x, 2) (Reshape, Transpose, Reshape at opset 17) then a conv 3×3
  roll_zero    torch.roll(shifts=(-3, 0)): the zero shift is a Slice to an empty tensor and a Concat
  clstok       ViT's class token at d = 64 (64 elements, read through Expand and Concat)
  slicedpos    a 400×32 position table sliced to the token count (exported without constant folding)
  crossmha     nn.MultiheadAttention with kdim = vdim = 48, and one with add_bias_kv (no folding)
  bifpn_fast   EfficientDet's BiFPN fast normalised fusion: relu(w) / (Σ relu(w) + ε) over three
               maps (the 3 weights are read by a Relu, then Div and Gather, before the Muls)
  bifpn_soft   BiFPN's softmax fusion: softmax(w) over two maps (the 2 weights read by a Softmax)
  sig_gate     a learned per-channel gate, x + sigmoid(g)·conv(x) (g read by a Sigmoid)
  sinepos      a conv, plus a sinusoidal position code computed in forward (arange, exp, sin, cos,
               slice assignment) over the 16·12 positions, exported without constant folding:
               Range, Sin, Cos, ScatterND stay in the graph
  preact_bn    conv-BN-ReLU, then a concat and a BN no conv precedes (DenseNet's): in eval mode the
               exporter folds the first BN into the conv and keeps the second

Run: /usr/bin/python3 scripts/export_modern_blocks.py   (Debian python3-torch, python3-onnx)
"""
import json
import math
from pathlib import Path

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

from golden_kit import enc, strip_weights as strip

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "modern"


class NonLocal(nn.Module):
    def __init__(self, c=8):
        super().__init__()
        self.c = nn.Conv2d(3, c, 3, padding=1)
        self.q, self.k, self.v = nn.Conv2d(c, c, 1), nn.Conv2d(c, c, 1), nn.Conv2d(c, c, 1)

    def forward(self, x):
        x = self.c(x)
        n, c, h, w = x.shape
        q = self.q(x).flatten(2).transpose(1, 2)
        k = self.k(x).flatten(2)
        v = self.v(x).flatten(2).transpose(1, 2)
        a = torch.softmax(q @ k / c ** 0.5, -1)
        return x + (a @ v).transpose(1, 2).reshape(n, c, h, w)


class Unshuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(12, 8, 3, padding=1)

    def forward(self, x):
        return self.c(F.pixel_unshuffle(x, 2))


class RollZero(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, x):
        return torch.roll(self.c(x), shifts=(-3, 0), dims=(2, 3))


class ClsTok(nn.Module):
    def __init__(self, d=64):
        super().__init__()
        self.c = nn.Conv2d(3, d, 16, 16)
        self.cls = nn.Parameter(torch.randn(1, 1, d))
        self.l = nn.Linear(d, 10)

    def forward(self, x):
        t = self.c(x).flatten(2).transpose(1, 2)
        return self.l(torch.cat([self.cls.expand(t.shape[0], -1, -1), t], 1)[:, 0])


class SlicedPos(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 32, 16, 16)
        self.pos = nn.Parameter(torch.randn(1, 400, 32))
        self.l = nn.Linear(32, 10)

    def forward(self, x):
        t = self.c(x).flatten(2).transpose(1, 2)
        return self.l(t + self.pos[:, : t.shape[1]])


class CrossMHA(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 32, 8, 8)
        self.ctx = nn.Parameter(torch.randn(1, 5, 48))
        self.a = nn.MultiheadAttention(32, 4, kdim=48, vdim=48, batch_first=True)
        self.a2 = nn.MultiheadAttention(32, 2, batch_first=True, bias=False, add_bias_kv=True)

    def forward(self, x):
        t = self.c(x).flatten(2).transpose(1, 2)
        c = self.ctx.expand(t.shape[0], -1, -1)
        t = t + self.a(t, c, c, need_weights=False)[0]
        return t + self.a2(t, t, t, need_weights=False)[0]


class BiFPNFast(nn.Module):
    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 8, 3, padding=1)
        self.c1 = nn.Conv2d(8, 8, 3, padding=1)
        self.down = nn.Conv2d(8, 8, 3, 2, 1)
        self.w = nn.Parameter(torch.tensor([0.7, -0.2, 1.3]))

    def forward(self, x):
        x = self.c0(x)
        w = F.relu(self.w)
        w = w / (w.sum() + 1e-4)
        return w[0] * x + w[1] * self.c1(x) + w[2] * F.interpolate(self.down(x), scale_factor=2.0, mode="nearest")


class BiFPNSoft(nn.Module):
    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 8, 3, padding=1)
        self.c1 = nn.Conv2d(8, 8, 1)
        self.w = nn.Parameter(torch.tensor([0.4, 1.1]))

    def forward(self, x):
        x = self.c0(x)
        w = torch.softmax(self.w, 0)
        return w[0] * x + w[1] * self.c1(x)


class SigGate(nn.Module):
    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 8, 3, padding=1)
        self.c1 = nn.Conv2d(8, 8, 1)
        self.g = nn.Parameter(torch.randn(1, 8, 1, 1))

    def forward(self, x):
        x = self.c0(x)
        return x + torch.sigmoid(self.g) * self.c1(x)


class SinePos(nn.Module):
    def __init__(self, c=8):
        super().__init__()
        self.c = nn.Conv2d(3, c, 3, padding=1)

    def forward(self, x):
        x = self.c(x)
        b, c, h, w = x.shape
        pos = torch.arange(h * w, dtype=torch.float32).unsqueeze(1)
        div = torch.exp(torch.arange(0, c, 2, dtype=torch.float32) * (-math.log(10000.0) / c))
        pe = torch.zeros(h * w, c)
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        return x + pe.t().reshape(1, c, h, w)


class PreActBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.b0 = nn.BatchNorm2d(8)
        self.b1 = nn.BatchNorm2d(16)
        self.c1 = nn.Conv2d(16, 8, 3, padding=1, bias=False)

    def forward(self, x):
        x = torch.relu(self.b0(self.c0(x)))
        return self.c1(torch.relu(self.b1(torch.cat([x, x], 1))))


# name: (module, input shape, constant folding, weights kept, unit whose footprint is measured)
MODELS = {
    "nonlocal": (NonLocal, [1, 3, 20, 18], True, True, (10, 9)),
    "unshuffle": (Unshuffle, [1, 3, 32, 30], True, True, (8, 7)),
    "roll_zero": (RollZero, [1, 3, 14, 7], True, True, (5, 3)),
    "clstok": (ClsTok, [1, 3, 224, 192], True, False, None),
    "slicedpos": (SlicedPos, [1, 3, 224, 192], False, False, None),
    "crossmha": (CrossMHA, [1, 3, 224, 192], False, False, None),
    "bifpn_fast": (BiFPNFast, [1, 3, 8, 8], True, True, None),
    "bifpn_soft": (BiFPNSoft, [1, 3, 8, 8], True, True, None),
    "sig_gate": (SigGate, [1, 3, 8, 8], True, True, None),
    "sinepos": (SinePos, [1, 3, 16, 12], False, True, None),
    "preact_bn": (PreActBN, [1, 3, 16, 16], True, False, None),
}


def support(model, x, unit):
    x = x.clone().requires_grad_(True)
    model(x)[0, :, unit[0], unit[1]].sum().backward()
    nz = torch.nonzero(x.grad[0].abs().sum(0) > 0)
    return {"unit": list(unit), "rows": [int(nz[:, 0].min()), int(nz[:, 0].max())], "cols": [int(nz[:, 1].min()), int(nz[:, 1].max())]}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    truth = {"torch": torch.__version__, "onnx": onnx.__version__, "models": {}}
    for name, (cls, shape, fold, keep, unit) in MODELS.items():
        torch.manual_seed(5)
        model = cls().eval()
        x = torch.randn(*shape)
        path = OUT / f"{name}.onnx"
        torch.onnx.export(model, x, str(path), opset_version=17, do_constant_folding=fold, input_names=["input"], output_names=["output"])
        entry = {"params": sum(p.numel() for p in model.parameters()), "inputShape": shape, "folding": fold,
                 "nodes": sorted({n.op_type for n in onnx.load(str(path)).graph.node})}
        if keep:
            with torch.no_grad():
                y = model(x)
            entry.update({"input": enc(x), "output": enc(y)})
        else:
            strip(path)
        if unit:
            entry["support"] = support(model, x, unit)
        entry["bytes"] = path.stat().st_size
        truth["models"][name] = entry
        print(name, {k: v for k, v in entry.items() if k not in ("input", "output")}, flush=True)
    (OUT / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    main()
