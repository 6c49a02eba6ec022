#!/usr/bin/env python3
"""Whole-network ONNX fixtures for the math, logic and index-arithmetic ops: a one-stage Swin
Transformer (torchvision's SwinTransformer class, embed_dim 8, 2 blocks, window 7, the second
shifted) on a 36×44 input, whose 9×11 patch grid is padded to 14×14 windows, exported by
torch.onnx.export with its weights at opset 13 (LayerNorm written as ReduceMean/Sub/Pow/Sqrt/Div)
and 17. The export's shape subgraphs use Mod, Range, ConstantOfShape, Equal, Where, Not,
ScatterND and multi-dimensional Slice/Transpose of pads: convlens must fold them and run the
rest to PyTorch's output.

Writes test/fixtures/onnx-math/swin_tiny_pad_op{13,17}.onnx and .json ({torch, input, output}).

And torchvision's ssd300_vgg16 (random weights) exported at opset 17 with its weights stripped
(float initializers over 64 elements keep their shapes only): its post-processing writes TopK,
NonZero and GatherND per class, and a Loop-free NMS; convlens must analyse it completely at
torchvision's published figures (35,641,826 parameters, 34.86 GFLOPS) with the data-dependent sizes
at their bounds. Writes test/fixtures/onnx-math/ssd300_vgg16_op17_stripped.onnx.
Run: /usr/bin/python3 scripts/onnx_math_fixtures.py
"""
import json
from pathlib import Path

import numpy as np
import torch
from torchvision.models.swin_transformer import SwinTransformer

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx-math"


def main():
    torch.manual_seed(10)
    m = SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[2], num_heads=[2], window_size=[7, 7], num_classes=5).eval()
    for name, p in m.named_parameters():
        if "head" in name:  # torchvision zero-initialises the head's bias only; make every output informative
            torch.nn.init.normal_(p, std=0.5)
    x = torch.randn(1, 3, 36, 44)
    with torch.no_grad():
        y = m(x)
    OUT.mkdir(parents=True, exist_ok=True)
    for opset in (13, 17):
        path = OUT / f"swin_tiny_pad_op{opset}.onnx"
        torch.onnx.export(m, x, str(path), opset_version=opset, input_names=["image"], output_names=["logits"])
        (OUT / f"swin_tiny_pad_op{opset}.json").write_text(json.dumps({
            "torch": torch.__version__, "params": sum(p.numel() for p in m.parameters()), "input": enc(x), "output": enc(y)}) + "\n")
        print(path.name, path.stat().st_size, "bytes")


def ssd300():
    import onnx
    import torchvision
    m = torchvision.models.detection.ssd300_vgg16(weights=None, weights_backbone=None).eval()
    path = OUT / "ssd300_vgg16_op17_stripped.onnx"
    torch.onnx.export(m, ([torch.randn(3, 300, 300)],), str(path), opset_version=17, input_names=["image"])
    model = onnx.load(str(path))
    for t in model.graph.initializer:
        if t.data_type == onnx.TensorProto.FLOAT and int(np.prod(t.dims)) > 64:
            t.ClearField("raw_data")
            t.ClearField("float_data")
    onnx.save(model, str(path))
    print(path.name, path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
    ssd300()
