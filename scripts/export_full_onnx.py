#!/usr/bin/env python3
"""Exports a torchvision model to ONNX with its (seeded, random) weights, for benchmarks.

  /usr/bin/python3 scripts/export_full_onnx.py resnet50 bench/.cache/resnet50.onnx [resolution]
"""
import sys

import torch
import torchvision.models as tvm


def main():
    name, out = sys.argv[1], sys.argv[2]
    res = int(sys.argv[3]) if len(sys.argv) > 3 else 224
    torch.manual_seed(0)
    model = getattr(tvm, name)(weights=None).eval()
    torch.onnx.export(model, torch.randn(1, 3, res, res), out, opset_version=13, input_names=["input"], output_names=["output"],
                      training=torch.onnx.TrainingMode.PRESERVE)


if __name__ == "__main__":
    main()
