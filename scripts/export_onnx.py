#!/usr/bin/env python3
"""ONNX fixtures exported by PyTorch, with PyTorch's own numbers recorded beside them.

Exported in inference mode without Conv+BN fusion (TrainingMode.PRESERVE on an eval model),
BN statistics randomised. Writes test/fixtures/onnx/<name>.onnx (weights stripped: initializers over 64 elements keep
their dims and type but no data) and test/fixtures/onnx/truth.json: PyTorch's parameter count,
conv/linear MACs from forward hooks (scripts/torchvision_truth.py's rule), output shape, and for
resnet18 the receptive field of the last feature map measured by autograd at 600×600.

  resnet18            opset 13, dynamic height and width (the test gives ?input=1,3,600,600)
  mobilenet_v2        opset 11, static 1×3×224×224
  shufflenet_v2_x1_0  opset 17, dynamic batch: torch writes Shape→Gather→Concat→Reshape for the
                      channel shuffle, which the importer must fold
  unet                opset 13, a small U-Net with ConvTranspose2d upsampling and concat skips

Run: /usr/bin/python3 scripts/export_onnx.py   (Debian python3-torch, python3-torchvision, python3-onnx)
"""
import json
from pathlib import Path

import onnx
import torch
import torch.nn as nn
import torchvision.models as tvm

from golden_kit import strip_weights as strip
from torchvision_truth import measure, rf_of

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx"


class DoubleConv(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        )


class UNet(nn.Module):
    """Ronneberger et al. 2015, 3 levels, base width 16: max-pool down, ConvTranspose2d up, concat skips."""

    def __init__(self, cin=3, classes=2, w=16):
        super().__init__()
        self.inc = DoubleConv(cin, w)
        self.down1 = nn.Sequential(nn.MaxPool2d(2), DoubleConv(w, 2 * w))
        self.down2 = nn.Sequential(nn.MaxPool2d(2), DoubleConv(2 * w, 4 * w))
        self.up1 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
        self.conv1 = DoubleConv(4 * w, 2 * w)
        self.up2 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.conv2 = DoubleConv(2 * w, w)
        self.outc = nn.Conv2d(w, classes, 1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        y = self.conv1(torch.cat([x2, self.up1(x3)], 1))
        y = self.conv2(torch.cat([x1, self.up2(y)], 1))
        return self.outc(y)


def randomize_bn(model):
    """Untrained BNs are all alike (γ 1, β 0, μ 0, σ² 1): torch's export would merge equal
    initializers behind Identity nodes, and BN would be a no-op. Random statistics avoid both."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)


def export(name, model, res, opset, dynamic=None):
    torch.manual_seed(0)
    randomize_bn(model)
    model.eval()
    x = torch.randn(1, 3, res, res)
    path = OUT / f"{name}.onnx"
    # PRESERVE on an eval model: inference semantics without the eval-mode Conv+BN fusion, so the
    # file holds the module as written and its parameter count is PyTorch's.
    torch.onnx.export(model, x, str(path), opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes=dynamic, do_constant_folding=True, training=torch.onnx.TrainingMode.PRESERVE)
    strip(path)
    truth = measure(model, res)
    truth.pop("shapes")
    truth.update({"opset": opset, "input": [1, 3, res, res], "bytes": path.stat().st_size})
    print(name, truth, flush=True)
    return truth


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    truth = {"torch": torch.__version__, "onnx": onnx.__version__, "models": {}}
    hw = {"input": {2: "height", 3: "width"}, "output": {}}
    batch = {"input": {0: "batch"}, "output": {0: "batch"}}
    truth["models"]["resnet18"] = export("resnet18", tvm.resnet18(), 224, 13, hw)
    truth["models"]["mobilenet_v2"] = export("mobilenet_v2", tvm.mobilenet_v2(), 224, 11)
    truth["models"]["shufflenet_v2_x1_0"] = export("shufflenet_v2_x1_0", tvm.shufflenet_v2_x1_0(), 224, 17, batch)
    truth["models"]["unet"] = export("unet", UNet(), 64, 13)
    m = tvm.resnet18()
    features = nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3, m.layer4)
    truth["models"]["resnet18"]["featureReceptiveField"] = rf_of(features)
    (OUT / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    main()
