#!/usr/bin/env python3
"""ONNX BatchNormalization in training mode: what torch.onnx.export writes for a model left in train().

Conv2d(3, 4, 3, p=1) → BatchNorm2d(4) → ReLU, running statistics set away from the batch's, exported
with TrainingMode.PRESERVE and no constant folding: opset 17 writes training_mode=1, opset 13 the
node's five outputs. Both normalise by the batch's statistics (ONNX's definition, PyTorch's train()
forward); the truth holds that output and the eval() one, which differ.

Writes test/fixtures/onnx/norm_activation/bn_training_op{13,17}.onnx and bn_training.json.
Run: /usr/bin/python3 scripts/export_bn_training_onnx.py
"""
import io
import json
from pathlib import Path

import torch
import torch.nn as nn

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "norm_activation"


def main():
    torch.manual_seed(5)
    m = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
    with torch.no_grad():
        m[1].running_mean.normal_(0, 1)
        m[1].running_var.uniform_(0.2, 3)
        m[1].weight.uniform_(0.5, 1.5)
        m[1].bias.normal_(0, 0.3)
    x = torch.randn(2, 3, 5, 6)
    state = {k: v.clone() for k, v in m.state_dict().items()}
    truth = {"torch": torch.__version__, "input": enc(x)}
    for opset in (13, 17):
        m.load_state_dict(state)
        m.train()
        f = io.BytesIO()
        torch.onnx.export(m, x, f, opset_version=opset, input_names=["x"], output_names=["y"], training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
        (OUT / f"bn_training_op{opset}.onnx").write_bytes(f.getvalue())
    m.load_state_dict(state)
    m.train()
    with torch.no_grad():
        truth["train"] = enc(m(x))
    m.load_state_dict(state)
    m.eval()
    with torch.no_grad():
        truth["eval"] = enc(m(x))
    (OUT / "bn_training.json").write_text(json.dumps(truth, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
