#!/usr/bin/env python3
"""An ONNX file as most users export it: torch.onnx.export of an eval-mode model with the defaults,
which folds every BatchNorm2d into the conv before it (the conv gains a bias, named by the exporter
onnx::Conv_<n>, and the BN disappears). Writes test/fixtures/onnx/resnet18_folded.onnx (weights
stripped) and test/fixtures/onnx/resnet18_folded.json: PyTorch's own parameter count, the number of
BatchNorm2d modules and their channels, so the test can check the BATCHNORM_FOLDED note.

Run: /usr/bin/python3 scripts/export_folded.py   (Debian python3-torch, python3-torchvision, python3-onnx)
"""
import json
from pathlib import Path

import torch
import torch.nn as nn
import torchvision.models as tvm

from export_onnx import strip

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx"


def main():
    torch.manual_seed(0)
    model = tvm.resnet18().eval()
    path = OUT / "resnet18_folded.onnx"
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), str(path), opset_version=13, input_names=["input"], output_names=["output"])
    strip(path)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    truth = {
        "torch": torch.__version__,
        "params": sum(p.numel() for p in model.parameters()),
        "batchNorms": len(bns),
        "batchNormChannels": sum(m.num_features for m in bns),
    }
    (OUT / "resnet18_folded.json").write_text(json.dumps(truth, indent=1) + "\n")
    print(truth)


if __name__ == "__main__":
    main()
