#!/usr/bin/env python3
"""A two-stage Swin (torchvision 0.14's SwinTransformer: patch 4, embed_dim 8, depths [1, 1], heads
[1, 2], window 7, 10 classes) at 1x3x56x56 exported by torch.onnx at opset 17, for what an ONNX file
of a Swin can tell (test/analysis/footprint-truth.test.ts):

  - structure width: the patch embedding (its only conv) has 8 kernels, stage 2's attention works at
    16 channels (num_features, the head's in_features);
  - parameters: each block's relative-position bias is exported as the table already gathered by the
    index, a constant [1, heads, 49, 49] added to the attention logits, where PyTorch holds the
    trainable table [169, heads] (and the int64 index [49*49] as a buffer, which the file does not
    hold).

Writes test/fixtures/memory/swin_two_stage.op17.onnx (weights kept: about 60 KB) and
test/fixtures/memory/swin_two_stage.json (PyTorch's parameter and buffer counts, the tables' and
indices' elements, the width). Run: /usr/bin/python3 scripts/export_swin_stages_onnx.py
"""
import json
from pathlib import Path

import torch
from torchvision.models.swin_transformer import SwinTransformer

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "memory"

torch.manual_seed(0)
model = SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[1, 1], num_heads=[1, 2], window_size=[7, 7], num_classes=10).eval()
x = torch.randn(1, 3, 56, 56)
OUT.mkdir(parents=True, exist_ok=True)
torch.onnx.export(model, x, str(OUT / "swin_two_stage.op17.onnx"), opset_version=17, input_names=["image"], output_names=["logits"],
                  do_constant_folding=True)
named = dict(model.named_parameters())
tables = {n: list(p.shape) for n, p in named.items() if n.endswith("relative_position_bias_table")}
indices = {n: list(b.shape) for n, b in model.named_buffers() if n.endswith("relative_position_index")}
truth = {
    "source": "scripts/export_swin_stages_onnx.py: torchvision 0.14 SwinTransformer(embed_dim=8, depths=[1, 1], num_heads=[1, 2], window_size=[7, 7]), torch 1.13",
    "input": list(x.shape),
    "params": sum(p.numel() for p in model.parameters()),
    "buffers": sum(b.numel() for b in model.buffers()),
    "biasTables": tables,
    "biasIndices": indices,
    "headIn": model.head.in_features,
    "patchEmbedKernels": model.features[0][0].out_channels,
}
(OUT / "swin_two_stage.json").write_text(json.dumps(truth, indent=1) + "\n")
print(truth)
