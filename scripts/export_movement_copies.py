#!/usr/bin/env python3
"""What PyTorch copies when a permute or transpose is followed by reshape / contiguous / view, as
torchvision's Swin partitions windows (x.view(B, H/w, w, W/w, w, C).permute(0, 1, 3, 2, 4, 5)
.reshape(-1, w*w, C)) and attention splits heads (x.transpose(1, 2).contiguous().view(...)).

ONNX has no strides: torch.onnx.export writes Reshape, Transpose, Reshape, Transpose, Reshape; the
permute and transpose are views in PyTorch and the copy happens at reshape/contiguous, where ONNX
Runtime materialises the Transpose and aliases the Reshape (a view of its input's buffer).

PyTorch's truth is measured on the ATen ops a forward pass dispatches (a TorchDispatchMode): an op
whose output shares its input's storage is a view (nothing moved); any other reads its inputs and
writes its output, elements counted. Writes test/fixtures/onnx/movement/window_partition.onnx
(opset 17, no weights) and window_partition.json. Run: /usr/bin/python3 scripts/export_movement_copies.py
"""
import json
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "movement"


class WindowPartition(torch.nn.Module):
    """[1, 8, 8, 4] channels-last map → 4 windows of 4×4 tokens, then heads split as attention does."""

    def forward(self, x):
        w = x.view(1, 2, 4, 2, 4, 4).permute(0, 1, 3, 2, 4, 5).reshape(4, 16, 4)  # Swin's window partition
        return w.transpose(1, 2).contiguous().view(4, 64)  # .contiguous() after a transpose


class Moves(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.ops = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        ins = [a for a in tree_flatten(args)[0] if isinstance(a, torch.Tensor)]
        outs = [o for o in tree_flatten(out)[0] if isinstance(o, torch.Tensor)]
        view = all(any(o.storage().data_ptr() == i.storage().data_ptr() for i in ins) for o in outs)
        read = 0 if view else sum(i.numel() for i in ins)
        written = 0 if view else sum(o.numel() for o in outs)
        self.ops.append({"op": str(func), "view": view, "read": read, "written": written})
        return out


x = torch.arange(256, dtype=torch.float32).reshape(1, 8, 8, 4)
model = WindowPartition().eval()
with Moves() as m:
    y = model(x)
OUT.mkdir(parents=True, exist_ok=True)
torch.onnx.export(model, x, str(OUT / "window_partition.onnx"), opset_version=17, input_names=["x"], output_names=["y"])
import onnx

nodes = [n.op_type for n in onnx.load(str(OUT / "window_partition.onnx")).graph.node if n.op_type != "Constant"]
truth = {
    "source": "scripts/export_movement_copies.py, torch " + torch.__version__,
    "input": list(x.shape),
    "output": {"shape": list(y.shape), "data": y.flatten().tolist()},
    "onnxNodes": nodes,
    "aten": m.ops,
    "elementsRead": sum(o["read"] for o in m.ops),
    "elementsWritten": sum(o["written"] for o in m.ops),
}
(OUT / "window_partition.json").write_text(json.dumps(truth, indent=1) + "\n")
print(json.dumps({k: v for k, v in truth.items() if k != "output"}, indent=1))
