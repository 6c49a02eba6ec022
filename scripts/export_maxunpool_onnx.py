#!/usr/bin/env python3
"""ONNX MaxUnpool fixtures, 1-, 2- and 3-D, opsets 13 and 17, no weights
(src/graph/onnx/map-conv-nd.ts → maxUnpool1d/2d/3d with indicesOver 'tensor').

torch 1.13's exporter writes no MaxUnpool at any opset: torch.onnx.export of nn.MaxUnpool1d/2d/3d
fails with "Exporting the operator 'aten::max_unpool2d' (or 3d) to ONNX opset version N is not
supported". So each model is torch.onnx's own export of nn.MaxPool{1,2,3}d(return_indices=True) (a
MaxPool whose Indices count over the whole tensor, minus a 1-wide MaxPool's sliced at each plane's
start: PyTorch's plane offsets, output "indices") with, added by onnx.helper, the MaxUnpool an
ONNX SegNet decoder holds: it reads the pooled values and that MaxPool's raw Indices (ONNX's
MaxUnpool counts over the whole output, as MaxPool's Indices do), twice:
  "u"        output_shape = Shape(x) (torch's output_size=x.size())
  "u_const"  output_shape an int64 initializer of the same sizes
PyTorch's F.max_unpoolNd(values, plane indices, output_size=x.size()) is the expected output of both.

Writes test/fixtures/onnx-nd/maxunpool_{1d,2d,3d}_op{13,17}.onnx and .json
(input, PyTorch's values, plane indices and unpooled output; read by test/graph/onnx-maxunpool.test.ts).

Run: /usr/bin/python3 scripts/export_maxunpool_onnx.py
"""
import io
import json
from pathlib import Path

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper

from golden_kit import enc, rnd

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx-nd"
HEADER = f"torch {torch.__version__}, onnx {onnx.__version__}"
torch.manual_seed(7301)

POOLS = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}
UNPOOL = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}
# (kernel, stride, padding, input shape): output_size = x.size(), one past the default on some axes
CASES = {
    1: (2, 2, 0, (2, 3, 9)),
    2: (3, 2, 1, (2, 3, 5, 7)),
    3: (2, 2, 0, (1, 2, 5, 4, 6)),
}


class Pool(nn.Module):
    def __init__(self, pool):
        super().__init__()
        self.pool = pool

    def forward(self, x):
        return self.pool(x)


def with_unpool(model, rank, k, s, p, shape):
    """torch's export plus MaxUnpool(y, the MaxPool's raw Indices, output_shape) as u and u_const."""
    g = model.graph
    raw = next(n for n in g.node if n.op_type == "MaxPool" and len(n.output) > 1 and list(onnx.helper.get_attribute_value(a) for a in n.attribute if a.name == "kernel_shape")[0] != [1] * rank)
    attrs = {"kernel_shape": [k] * rank, "strides": [s] * rank, "pads": [p] * (2 * rank)}
    g.initializer.append(helper.make_tensor("out_shape", TensorProto.INT64, [rank + 2], list(shape)))
    g.node.extend([
        helper.make_node("Shape", ["x"], ["x_shape"], name="shape_of_x"),
        helper.make_node("MaxUnpool", ["y", raw.output[1], "x_shape"], ["u"], name="unpool", **attrs),
        helper.make_node("MaxUnpool", ["y", raw.output[1], "out_shape"], ["u_const"], name="unpool_const", **attrs),
    ])
    g.output.extend([helper.make_tensor_value_info(n, TensorProto.FLOAT, list(shape)) for n in ("u", "u_const")])
    onnx.checker.check_model(model)
    return model


for rank, (k, s, p, shape) in CASES.items():
    pool = POOLS[rank](k, s, p, return_indices=True)
    x = rnd(*shape)
    y, idx = pool(x)
    u = UNPOOL[rank](y, idx, k, s, p, output_size=x.size())
    for opset in (13, 17):
        f = io.BytesIO()
        torch.onnx.export(Pool(pool), x, f, opset_version=opset, input_names=["x"], output_names=["y", "indices"])
        model = with_unpool(onnx.load_from_string(f.getvalue()), rank, k, s, p, shape)
        name = f"maxunpool_{rank}d_op{opset}"
        (OUT / f"{name}.onnx").write_bytes(model.SerializeToString())
        golden = {"torch": HEADER, "module": f"{pool!r} + F.max_unpool{rank}d(y, indices, {k}, {s}, {p}, output_size=x.size())",
                  "kernel": k, "stride": s, "padding": p, "input": enc(x), "values": enc(y),
                  "indices": [int(v) for v in idx.flatten().tolist()], "unpooled": enc(u)}
        (OUT / f"{name}.json").write_text(json.dumps(golden) + "\n")
        print(name, "nodes:", [n.op_type for n in model.graph.node])
