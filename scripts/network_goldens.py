#!/usr/bin/env python3
"""Whole-network goldens: ONNX files with their (seeded) weights and PyTorch's outputs.

Writes test/fixtures/networks/<name>.onnx and <name>.json ({input, output} tensors). Smaller
width variants keep the files near 3 MB: ResNet-18's topology at base width 16 and
MobileNetV2 at width 0.5, both with 10 classes, BN statistics randomised, 1×3×64×64 input;
a ConvNeXt block stack (torchvision's stem, LayerNorm2d and CNBlocks: 7×7 depthwise conv,
LayerNorm, Linear, GELU, Linear, layer scale, residual; 32 channels, layer scale 0.5 so the
blocks matter) and a small ViT (torchvision's VisionTransformer: 32×32 input, patch 8, 2 layers,
4 heads, hidden 64, MLP 128, 10 classes), both at opset 17 (LayerNormalization, Erf).

Run: cd scripts && /usr/bin/python3 network_goldens.py   (Debian python3-torch, python3-torchvision)
"""
import json
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torchvision.models as tvm
from torchvision.models.resnet import BasicBlock

from functools import partial

from torchvision.models.convnext import CNBlock, LayerNorm2d
from torchvision.models.vision_transformer import VisionTransformer

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


def convnext_blocks(dim=32, depth=3):
    """ConvNeXt-T's stem and a stage of `depth` CNBlocks at `dim` channels."""
    return nn.Sequential(
        nn.Conv2d(3, dim, 4, 4),
        LayerNorm2d(dim, eps=1e-6),
        *[CNBlock(dim, 0.5, 0.0, partial(nn.LayerNorm, eps=1e-6)) for _ in range(depth)],
    )


def measured_bn(model, x):
    """BN running statistics measured on a batch (x and 3 seeded N(0, 1) images), as training would
    leave them: with random statistics MobileNetV2's output hardly depends on its input (its
    logits moved by 5e-7 of their scale between x and zeros), so a kernel bug would still match."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: after one batch, that batch's statistics
    g = torch.Generator().manual_seed(1)
    model.train()
    with torch.no_grad():
        model(torch.cat([x, torch.randn(3, *x.shape[1:], generator=g)]))
    for m in bns:
        m.momentum = 0.1


def prepared(name):
    """The network `name` as its golden is made: weights from the seeds, its BN statistics, its input x; in eval mode."""
    build, opset, options = next((b, o, k) for n, b, o, k in NETWORKS if n == name)
    torch.manual_seed(0)
    model = build()
    torch.manual_seed(7)
    randomize_bn(model)
    size = options.get("size", 64)
    x = torch.randn(1, 3, size, size)
    if options.get("measure_bn"):
        measured_bn(model, x)
    model.eval()
    return model, x, opset


def golden(name):
    model, x, opset = prepared(name)
    with torch.no_grad():
        y = model(x)
        # the output must depend on the input, or the comparison tests nothing
        effect = float((y - model(torch.zeros_like(x))).abs().max() / y.abs().max())
    assert effect >= 0.05, f"{name}: the output hardly depends on the input ({effect:.2g} of its scale)"
    torch.onnx.export(model, x, str(OUT / f"{name}.onnx"), opset_version=opset, input_names=["input"], output_names=["output"],
                      training=torch.onnx.TrainingMode.PRESERVE)
    (OUT / f"{name}.json").write_text(json.dumps({"torch": torch.__version__, "input": enc(x), "output": enc(y)}) + "\n")
    print(name, (OUT / f"{name}.onnx").stat().st_size, "bytes; input effect", round(effect, 3))


def vit_tiny():
    vit = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=10)
    with torch.no_grad():  # torchvision initialises the class token and the head to zeros: give them values
        vit.class_token.normal_()
        vit.heads.head.weight.normal_(std=0.1)
        vit.heads.head.bias.normal_(std=0.1)
    return vit


# name, builder, opset, options (input size, BN statistics measured); each built after torch.manual_seed(0)
NETWORKS = [
    ("resnet18_w16", SlimResNet18, 13, {}),
    ("mobilenet_v2_w050", lambda: tvm.mobilenet_v2(width_mult=0.5, num_classes=10), 13, {"measure_bn": True}),
    ("convnext_blocks_d32", convnext_blocks, 17, {}),
    ("vit_tiny", vit_tiny, 17, {"size": 32}),
]


def main():
    """`network_goldens.py [name …]`: those networks only; all by default."""
    OUT.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])
    for name, *_ in NETWORKS:
        if not only or name in only:
            golden(name)


if __name__ == "__main__":
    main()
