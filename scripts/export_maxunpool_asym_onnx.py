#!/usr/bin/env python3
"""ONNX MaxUnpool fixtures with asymmetric pads (begin ≠ end), 1-, 2- and 3-D at opset 17 and the
2-D one again at opset 22, no weights (src/graph/onnx/map-conv-nd.ts → maxUnpool1d/2d/3d with the
2N padding [b1 … bN, e1 … eN]; sibling of export_maxunpool_onnx.py).

PyTorch's pools pad both ends alike, so neither torch.onnx nor nn.MaxPoolNd makes these: each model
is built with onnx.helper, an ONNX MaxPool (pads P, Indices out) whose values and Indices feed a
MaxUnpool of the same kernel, strides and pads, twice:
  "u"        no output_shape: ONNX's default (I − 1)·s + k − pb − pe per axis (only where that is
             x's own size, so the Indices, over the whole x, land where they came from)
  "u_shape"  output_shape = Shape(x)
The expected output is PyTorch's, computed independently of ONNX: x padded by F.pad with −inf at
the same asymmetric pads, F.max_poolNd(return_indices=True) of that (indices in the padded plane),
each index moved back to the unpadded plane (minus the begin pads per axis) and made flat over the
whole N·C·…spatial tensor (ONNX's Indices), then the values scattered into zeros of x's shape.
scripts/maxunpool_ort_check.mjs checks onnxruntime-node gives the same, bit for bit.

onnx 1.12 (here) knows opsets up to 17: it writes the opset-22 model (its nodes are plain protobuf)
and its checker passes it, but against MaxPool-12 and MaxUnpool-11, the newest schemas it has; the
opset-22 schemas only widen the element types (bfloat16 among them), attributes unchanged.
onnxruntime 1.30 runs it (the check script). IR version 8 throughout (onnx 1.12's newest).

Writes test/fixtures/onnx-nd/maxunpool_asym_{1d,2d,3d}_op17.{onnx,json} and
maxunpool_asym_2d_op22.{onnx,json} (read by test/graph/onnx-maxunpool-asym.test.ts).

Run: /usr/bin/python3 scripts/export_maxunpool_asym_onnx.py
"""
import json
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper

from golden_kit import enc, rnd

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx-nd"
HEADER = f"torch {torch.__version__}, onnx {onnx.__version__}"
torch.manual_seed(7302)

POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
# (kernel, strides, pads [b1 … bN, e1 … eN], x's shape): the default is x's size on every axis but
# 2-D's height (4 for 5: only u_shape there)
CASES = {
    1: ([3], [2], [0, 1], (2, 3, 10)),
    2: ([3, 2], [2, 2], [1, 0, 0, 1], (2, 2, 5, 7)),
    3: ([2, 2, 2], [2, 2, 2], [1, 0, 1, 0, 1, 0], (1, 2, 5, 5, 7)),
}


def default_size(n_in, k, s, pads):
    rank = len(k)
    return [(n_in[a] - 1) * s[a] + k[a] - pads[a] - pads[rank + a] for a in range(rank)]


def torch_reference(x, k, s, pads):
    """PyTorch's pooled values, ONNX-style Indices (flat over the whole unpadded x) and the unpooled output."""
    rank = len(k)
    spatial = list(x.shape[2:])
    # F.pad lists the last axis first: (w_begin, w_end, h_begin, h_end, …)
    fpad = []
    for a in reversed(range(rank)):
        fpad += [pads[a], pads[rank + a]]
    xp = F.pad(x, fpad, value=float("-inf"))
    y, idx = POOL[rank](xp, k, s, return_indices=True)
    padded = list(xp.shape[2:])
    # plane offset in the padded plane → coordinates → unpadded coordinates → flat over N·C·spatial
    coords = np.unravel_index(idx.numpy(), padded)
    plane_off = np.ravel_multi_index(tuple(c - pads[a] for a, c in enumerate(coords)), spatial)
    n, c = x.shape[:2]
    planes = np.arange(n * c).reshape(n, c, *([1] * rank))
    flat = plane_off + planes * int(np.prod(spatial))
    u = torch.zeros(x.numel())
    u[torch.from_numpy(flat.reshape(-1))] = y.reshape(-1)
    return y, flat, u.reshape(x.shape)


def model(rank, k, s, pads, shape, opset):
    pooled = [(n + pads[a] + pads[rank + a] - k[a]) // s[a] + 1 for a, n in enumerate(shape[2:])]
    default = default_size(pooled, k, s, pads)
    with_default = default == list(shape[2:])
    attrs = {"kernel_shape": k, "strides": s, "pads": pads}
    nodes = [
        helper.make_node("MaxPool", ["x"], ["y", "indices"], name="pool", **attrs),
        helper.make_node("Shape", ["x"], ["x_shape"], name="shape_of_x"),
        helper.make_node("MaxUnpool", ["y", "indices", "x_shape"], ["u_shape"], name="unpool_shape", **attrs),
    ]
    outs = ["y", "indices", "u_shape"]
    if with_default:
        nodes.append(helper.make_node("MaxUnpool", ["y", "indices"], ["u"], name="unpool", **attrs))
        outs.append("u")
    shapes = {"y": list(shape[:2]) + pooled, "indices": list(shape[:2]) + pooled, "u_shape": list(shape), "u": list(shape)}
    types = {"y": TensorProto.FLOAT, "indices": TensorProto.INT64, "u_shape": TensorProto.FLOAT, "u": TensorProto.FLOAT}
    graph = helper.make_graph(nodes, "maxunpool_asym", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))], [helper.make_tensor_value_info(o, types[o], shapes[o]) for o in outs])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="export_maxunpool_asym_onnx.py")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m, default, with_default


for rank, (k, s, pads, shape) in CASES.items():
    x = rnd(*shape)
    y, flat, u = torch_reference(x, k, s, pads)
    for opset in (17, 22) if rank == 2 else (17,):
        m, default, with_default = model(rank, k, s, pads, shape, opset)
        name = f"maxunpool_asym_{rank}d_op{opset}"
        (OUT / f"{name}.onnx").write_bytes(m.SerializeToString())
        golden = {"torch": HEADER, "how": "F.pad(x, pads, -inf) + F.max_pool%dd(return_indices=True), indices moved to the unpadded x and made flat over N·C·spatial, values scattered into zeros of x's shape" % rank,
                  "kernel": k, "strides": s, "pads": pads, "default": default, "withDefault": with_default,
                  "input": enc(x), "values": enc(y), "indices": [int(v) for v in flat.reshape(-1).tolist()], "unpooled": enc(u)}
        (OUT / f"{name}.json").write_text(json.dumps(golden) + "\n")
        print(name, "default", default, "x", list(shape[2:]), "nodes:", [n.op_type for n in m.graph.node])
