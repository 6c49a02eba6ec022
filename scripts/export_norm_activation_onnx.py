#!/usr/bin/env python3
"""Tiny modules with normalisations and activations, exported by torch.onnx.export at the opsets
users meet (11, 13, 17), with their weights, and PyTorch's output for one input.

Writes test/fixtures/onnx/norm_activation/<name>.onnx and truth.json: per model the opset, the
ONNX node types, PyTorch's parameter count, the input and PyTorch's output (test/graph/
onnx-norm-activation.test.ts imports, analyses and runs them). The files are a few KB each.

Run: /usr/bin/python3 scripts/export_norm_activation_onnx.py
"""
import io
import json
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "norm_activation"
torch.manual_seed(77)


class ConvNeXtBlock(nn.Module):
    """ConvNeXt's block in small: depthwise 7×7, LayerNorm over channels (NHWC), MLP with GELU, layer scale."""

    def __init__(self, c=8, approximate="none"):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = nn.LayerNorm(c, eps=1e-6)
        self.fc1 = nn.Linear(c, 4 * c)
        self.act = nn.GELU(approximate=approximate)
        self.fc2 = nn.Linear(4 * c, c)
        self.gamma = nn.Parameter(torch.rand(c) + 0.5)

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.fc2(self.act(self.fc1(self.norm(y)))) * self.gamma
        return x + y.permute(0, 3, 1, 2)


class LayerNorm2d(nn.LayerNorm):
    """torchvision's LayerNorm2d (ConvNeXt's downsampling): permute, LayerNorm over C, permute back."""

    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def with_random_affine(m):
    for mod in m.modules():
        if isinstance(mod, (nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm2d)) and getattr(mod, "weight", None) is not None:
            with torch.no_grad():
                mod.weight.copy_(torch.rand_like(mod.weight) + 0.5)
                mod.bias.copy_(torch.randn_like(mod.bias) * 0.3)
    return m


MODELS = {
    "convnext_block_op17": (lambda: ConvNeXtBlock(), 17, [1, 8, 6, 6]),
    "convnext_block_op13": (lambda: ConvNeXtBlock(), 13, [1, 8, 6, 6]),
    "convnext_block_gelu_tanh_op17": (lambda: ConvNeXtBlock(approximate="tanh"), 17, [1, 8, 6, 6]),
    "downsample_layernorm2d_op17": (lambda: nn.Sequential(LayerNorm2d(4, eps=1e-6), nn.Conv2d(4, 8, 2, stride=2)), 17, [1, 4, 6, 6]),
    "layernorm_chw_op17": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.LayerNorm([4, 5, 6])), 17, [2, 3, 5, 6]),
    "groupnorm_silu_op13": (lambda: nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.GroupNorm(2, 8), nn.SiLU()), 13, [1, 3, 5, 5]),
    "instancenorm_op13": (lambda: nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.InstanceNorm2d(6), nn.Conv2d(6, 6, 1), nn.InstanceNorm2d(6, affine=True)), 13, [2, 3, 4, 4]),
    "activations_op13": (lambda: nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.ELU(0.5), nn.Conv2d(6, 6, 1), nn.PReLU(6), nn.Conv2d(6, 6, 1), nn.SELU(), nn.CELU(2.0), nn.Tanh(),
        nn.Conv2d(6, 6, 1), nn.PReLU(), nn.Mish(), nn.Softplus(), nn.Hardtanh(-0.5, 0.5), nn.Softsign(), nn.LogSoftmax(1)), 13, [1, 3, 4, 5]),
    "logsoftmax_op11": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.LogSoftmax(1), nn.Conv2d(4, 4, 1), nn.Softmax(2)), 11, [1, 3, 3, 4]),
    # LayerNorm over H, W decomposed (opset < 17): its field is global, as LayerNormalization's
    "layernorm_hw_op13": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.LayerNorm([5, 6]), nn.Conv2d(4, 2, 1)), 13, [1, 3, 5, 6]),
    # over W only: a strip, as the fused LayerNormalization's
    "layernorm_w_op13": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.LayerNorm([6]), nn.Conv2d(4, 2, 1)), 13, [1, 3, 5, 6]),
}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    truth = {"torch": torch.__version__, "models": {}}
    for name, (make, opset, shape) in MODELS.items():
        m = with_random_affine(make()).eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            y = m(x)
        f = io.BytesIO()
        torch.onnx.export(m, x, f, opset_version=opset, input_names=["x"], output_names=["y"])
        model = onnx.load_from_string(f.getvalue())
        (OUT / f"{name}.onnx").write_bytes(f.getvalue())
        truth["models"][name] = {
            "opset": opset,
            "nodes": sorted({n.op_type for n in model.graph.node}),
            "params": sum(p.numel() for p in m.parameters()),
            "input": enc(x),
            "output": enc(y),
        }
        print(name, len(f.getvalue()), "bytes", truth["models"][name]["nodes"])
    (OUT / "truth.json").write_text(json.dumps(truth, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
