#!/usr/bin/env python3
"""Whole-network goldens: ONNX files with their (seeded) weights and PyTorch's outputs.

Writes test/fixtures/networks/<name>.onnx and <name>.json ({input, output} tensors). Smaller
width variants keep the files near 3 MB: ResNet-18's topology at base width 16 and
MobileNetV2 at width 0.5, both with 10 classes, BN statistics randomised, 1×3×64×64 input.

Run: cd scripts && /usr/bin/python3 network_goldens.py   (Debian python3-torch, python3-torchvision)
"""
import json
from pathlib import Path

import torch
import torch.nn as nn
import torchvision.models as tvm
from torchvision.models.resnet import BasicBlock

from export_onnx import randomize_bn
from operator_goldens import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "networks"


class SlimResNet18(tvm.resnet.ResNet):
    """torchvision's ResNet-18 (its forward and _make_layer) at a base width other than 64."""

    def __init__(self, width=16, num_classes=10):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = width, 1, 1, 64
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(BasicBlock, width, 2)
        self.layer2 = self._make_layer(BasicBlock, width * 2, 2, stride=2)
        self.layer3 = self._make_layer(BasicBlock, width * 4, 2, stride=2)
        self.layer4 = self._make_layer(BasicBlock, width * 8, 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8, num_classes)


def golden(name, model, opset):
    torch.manual_seed(7)
    randomize_bn(model)
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, str(OUT / f"{name}.onnx"), opset_version=opset, input_names=["input"], output_names=["output"],
                      training=torch.onnx.TrainingMode.PRESERVE)
    (OUT / f"{name}.json").write_text(json.dumps({"torch": torch.__version__, "input": enc(x), "output": enc(y)}) + "\n")
    print(name, (OUT / f"{name}.onnx").stat().st_size, "bytes")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    golden("resnet18_w16", SlimResNet18(), 13)
    torch.manual_seed(0)
    golden("mobilenet_v2_w050", tvm.mobilenet_v2(width_mult=0.5, num_classes=10), 13)


if __name__ == "__main__":
    main()
