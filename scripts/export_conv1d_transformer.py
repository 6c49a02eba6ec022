#!/usr/bin/env python3
"""A conv1d front end and one nn.TransformerEncoderLayer over its positions (a speech or sensor
model's shape: Conv1d(2, 8, 3, padding=1) on 1x2x16, the map transposed to 16 tokens of 8 features,
TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, batch_first=True)), exported by
torch.onnx at opset 17 as torch 1.13 writes it: the projections, q·kᵀ (MatMul), Softmax, attn·v
(MatMul). Autograd stays on, so the layer takes its composite path, not the fused fast path.

The field of the conv's map is local (3 positions); the attention makes every output unit read
every position. Autograd says so (printed, and kept in the JSON): the gradient of one output unit of
the encoder layer reaches all 16 input positions, and that of one unit of the conv only 3.

Writes test/fixtures/attention/conv1d_transformer.op17.onnx (weights stripped: dims and type kept)
and test/fixtures/attention/conv1d_transformer.json. Run: /usr/bin/python3 scripts/export_conv1d_transformer.py
"""
import json
from pathlib import Path

import torch
from torch import nn

from golden_kit import strip_weights

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "attention"


class ConvTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 8, 3, padding=1)
        self.encoder = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)

    def forward(self, x):
        return self.encoder(self.conv(x).transpose(1, 2))


def footprint(run, x, unit):
    """The input positions whose gradient reaches output position `unit`, over every feature (weighted
    by fixed random numbers: the layer's LayerNorm makes a plain sum over the features constant)."""
    x = x.clone().requires_grad_(True)
    y = run(x)
    at = y[0, unit] if y.shape[1] == 16 else y[0, :, unit]
    (at * torch.rand(at.shape, generator=torch.Generator().manual_seed(1))).sum().backward()
    return [i for i in range(x.shape[2]) if x.grad[0, :, i].abs().sum() > 0]


torch.manual_seed(0)
model = ConvTransformer().eval()
x = torch.randn(1, 2, 16)
OUT.mkdir(parents=True, exist_ok=True)
path = OUT / "conv1d_transformer.op17.onnx"
torch.onnx.export(model, x, str(path), opset_version=17, input_names=["signal"], output_names=["tokens"])
strip_weights(path)
truth = {
    "source": "scripts/export_conv1d_transformer.py: Conv1d(2, 8, 3, padding=1) then TransformerEncoderLayer(8, 2, 16, batch_first=True), torch 1.13, autograd",
    "input": list(x.shape),
    "convFootprint8": footprint(lambda t: model.conv(t), x, 8),
    "encoderFootprint8": footprint(model, x, 8),
}
(OUT / "conv1d_transformer.json").write_text(json.dumps(truth, indent=1) + "\n")
print(truth)
