#!/usr/bin/env python3
"""Exports a torchvision model to ONNX with its (seeded, random) weights, for benchmarks.

  /usr/bin/python3 scripts/export_full_onnx.py resnet50 bench/.cache/resnet50.onnx [resolution]

`convnext_blocks` is ConvNeXt-T's stem and first stage (4×4/4 conv, LayerNorm2d, three CNBlocks of
96 channels: 7×7 depthwise conv, LayerNorm, Linear 96→384, GELU, Linear 384→96, layer scale,
residual), exported at opset 17 so LayerNormalization is one node.
"""
import sys
from functools import partial

import torch
import torchvision.models as tvm
from torchvision.models.convnext import CNBlock, LayerNorm2d


def convnext_blocks():
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 96, 4, 4),
        LayerNorm2d(96, eps=1e-6),
        *[CNBlock(96, 1e-6, 0.0, partial(torch.nn.LayerNorm, eps=1e-6)) for _ in range(3)],
    )


def main():
    name, out = sys.argv[1], sys.argv[2]
    res = int(sys.argv[3]) if len(sys.argv) > 3 else 224
    torch.manual_seed(0)
    model = (convnext_blocks() if name == "convnext_blocks" else getattr(tvm, name)(weights=None)).eval()
    torch.onnx.export(model, torch.randn(1, 3, res, res), out, opset_version=17 if name == "convnext_blocks" else 13, input_names=["input"], output_names=["output"],
                      training=torch.onnx.TrainingMode.PRESERVE)


if __name__ == "__main__":
    main()
