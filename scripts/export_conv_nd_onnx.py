#!/usr/bin/env python3
"""Tiny audio (1-D) and video (3-D) CNNs exported by torch.onnx.export (opsets 13 and 17), with
their weights, one input and PyTorch's output: test/graph/onnx-conv-nd.test.ts analyses them
(parameters equal to PyTorch's, MACs by hand) and runs them (outputs ≤ 1e-4 of scale).
Also torchvision's r3d_18 at 1×3×16×112×112 with its weights stripped (shapes only).

Writes test/fixtures/onnx-nd/{audio1d,video3d}_op{13,17}.onnx + .json, r3d_18_op17.onnx.
Run: /usr/bin/python3 scripts/export_conv_nd_onnx.py
"""
import io
import json
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
import torchvision

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx-nd"


def enc(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(repr(np.float32(v))) for v in t.flatten().tolist()]}


class Audio(nn.Module):
    """conv (strided front end) → BN → ReLU → maxpool → grouped dilated conv → avgpool → depthwise conv."""

    def __init__(self):
        super().__init__()
        self.front = nn.Conv1d(1, 8, 9, stride=4, padding=4)
        self.bn = nn.BatchNorm1d(8)
        self.pool = nn.MaxPool1d(3, 2, 1)
        self.mid = nn.Conv1d(8, 8, 3, padding=2, dilation=2, groups=2, bias=False)
        self.avg = nn.AvgPool1d(2)
        self.dw = nn.Conv1d(8, 16, 3, padding=1, groups=8)

    def forward(self, x):
        return self.dw(self.avg(torch.relu(self.mid(self.pool(torch.relu(self.bn(self.front(x))))))))


class Video(nn.Module):
    """r3d-style stem (3×7×7, stride 1×2×2), maxpool 3-D, a (2+1)-D factorised conv, avg pool, asymmetric-kernel conv."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv3d(3, 8, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False)
        self.bn = nn.BatchNorm3d(8)
        self.pool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))
        self.spatial = nn.Conv3d(8, 12, (1, 3, 3), padding=(0, 1, 1))
        self.temporal = nn.Conv3d(12, 8, (3, 1, 1), padding=(1, 0, 0))
        self.avg = nn.AvgPool3d(2, ceil_mode=True, count_include_pad=False)
        self.out = nn.Conv3d(8, 4, (2, 1, 1), stride=(1, 1, 1))

    def forward(self, x):
        y = self.pool(torch.relu(self.bn(self.stem(x))))
        y = torch.relu(self.temporal(torch.relu(self.spatial(y))))
        return self.out(self.avg(y))


def randomize_bn(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm3d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)


def export(name, model, x, opset):
    model.eval()
    path = OUT / f"{name}_op{opset}.onnx"
    torch.onnx.export(model, x, str(path), opset_version=opset, input_names=["x"], output_names=["y"])
    with torch.no_grad():
        y = model(x)
    params = sum(p.numel() for p in model.parameters())
    (OUT / f"{name}_op{opset}.json").write_text(json.dumps({"torch": torch.__version__, "params": params, "input": enc(x), "output": enc(y)}, separators=(",", ":")) + "\n")
    print(name, opset, list(y.shape), params, path.stat().st_size)


def strip(path):
    m = onnx.load(str(path))
    for t in m.graph.initializer:
        if int(np.prod(t.dims)) > 64:
            t.ClearField("raw_data")
            t.ClearField("float_data")
    onnx.save(m, str(path))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(7)
    audio, video = Audio(), Video()
    randomize_bn(audio)
    randomize_bn(video)
    xa = torch.randn(1, 1, 200)
    xv = torch.randn(1, 3, 4, 16, 16)
    for opset in (13, 17):
        export("audio1d", audio, xa, opset)
        export("video3d", video, xv, opset)
    r3d = torchvision.models.video.r3d_18().eval()
    path = OUT / "r3d_18_op17.onnx"
    torch.onnx.export(r3d, torch.randn(1, 3, 16, 112, 112), str(path), opset_version=17, input_names=["x"], output_names=["y"])
    strip(path)
    print("r3d_18", sum(p.numel() for p in r3d.parameters()), path.stat().st_size)


if __name__ == "__main__":
    main()
