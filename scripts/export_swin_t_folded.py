#!/usr/bin/env python3
"""torchvision's swin_t at 1x3x224x224 exported by torch.onnx at opset 17 with and without constant
folding (do_constant_folding=True is torch.onnx.export's default), weights stripped as
scripts/export_catalog.py strips them, for the figures the fix/onnx commits quote (not committed:
1.3 MB each):

  node --import tsx src/cli.ts analyze tmp/swin/swin_t.op17.fold.onnx --input 1,3,224,224 --format json

With folding each block's relative-position bias is a constant onnx::Add_<n> [1, heads, 49, 49]
(table[index] gathered, reshaped, permuted), added to the scores; stage 1's shifted-window mask
[64, 49, 49] is written node by node. Prints PyTorch's parameter count and the folded constants.
Run: /usr/bin/python3 scripts/export_swin_t_folded.py
"""
import sys
from pathlib import Path

import onnx
import torch
import torchvision

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from export_catalog import strip  # noqa: E402

OUT = ROOT / "tmp" / "swin"
OUT.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)
model = torchvision.models.swin_t().eval()
x = torch.randn(1, 3, 224, 224)
print("torchvision params", sum(p.numel() for p in model.parameters()))
print("relative_position_bias_table entries", sum(p.numel() for n, p in model.named_parameters() if n.endswith("relative_position_bias_table")))
for fold in (True, False):
    path = OUT / f"swin_t.op17.{'fold' if fold else 'nofold'}.onnx"
    torch.onnx.export(model, x, str(path), opset_version=17, input_names=["input"], output_names=["logits"], do_constant_folding=fold)
    m = strip(onnx.load(str(path)))
    onnx.save(m, str(path))
    made = [(i.name, list(i.dims)) for i in m.graph.initializer if i.name.startswith("onnx::Add_") and len(i.dims) == 4]
    print(path.name, len(m.graph.node), "nodes;", len(made), "exporter-made [1, heads, T, T] constants,", sum(d[1] * d[2] * d[3] for _, d in made), "elements")
