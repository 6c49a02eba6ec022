#!/usr/bin/env python3
"""ONNX sequence fixtures (test/fixtures/onnx/sequence/): the Loop/Sequence pattern torch.onnx writes
for torch.tensor_split, as torchvision's MViT uses it, small enough to commit; and the other sequence
operators written with onnx.helper. Each with the numbers and outputs it must give, from torch.

  tensor_split_pool.op13.onnx, .op17.onnx
      MViT's PositionalEncoding and Pool in miniature (torchvision 0.14 models/video/mvit.py): a
      class token, a temporal position table repeat_interleave'd (Expand of the counts, Split, and
      a Split of the table: its parameters are read by Split alone), a spatial one repeated; a Linear, then
      torch.tensor_split(x, (1,), dim=2) separates the class token (exported as SequenceEmpty, a
      Loop of trip count 1 whose body Slices and SequenceInserts, a SequenceInsert of the rest, and
      two SequenceAt), a MaxPool3d over the tokens as a T×H×W map, the class token concatenated
      back, a LayerNorm; exported by torch.onnx.export with weights (5 KB). Truth: PyTorch's
      parameters, MACs counted on ATen ops (scripts/export_catalog.py count_macs), output shape and
      values for a seeded input.
  sequence_ops.onnx
      SplitToSequence by a constant split, SequenceConstruct, SequenceInsert at position 0,
      SequenceErase of the last element, SequenceAt at −1, SequenceLength, ConcatFromSequence with
      new_axis = 1: y = the stacked parts (numpy computes it), and the length as a second output.
  sequence_computed.onnx
      a SequenceInsert at a position computed from the data (ArgMax): the sequence cannot be resolved
      at import, its nodes stay unsupported with the reason.
Run from the repository root: /usr/bin/python3 scripts/export_sequences.py
"""
import io
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "onnx" / "sequence"
sys.path.insert(0, str(ROOT / "scripts"))
from export_catalog import count_macs  # noqa: E402

THW = (2, 4, 4)
C = 8


class Pool(nn.Module):
    """torchvision 0.14 mvit's PositionalEncoding (a class token, a temporal table repeat_interleave'd
    over H·W positions plus a spatial one tiled over T) and Pool's forward (tensor_split of the class
    token, pool, cat) after a Linear, with a LayerNorm after."""

    def __init__(self):
        super().__init__()
        t, h, w = THW
        self.class_token = nn.Parameter(torch.randn(C))
        self.temporal_pos = nn.Parameter(torch.randn(t, C))
        self.spatial_pos = nn.Parameter(torch.randn(h * w, C))
        self.proj = nn.Linear(C, C)
        self.pool = nn.MaxPool3d((3, 3, 3), (1, 2, 2), (1, 1, 1))
        self.norm = nn.LayerNorm(C)

    def forward(self, x):
        t, h, w = THW
        x = x + torch.repeat_interleave(self.temporal_pos, h * w, dim=0) + self.spatial_pos.repeat(t, 1)
        x = torch.cat((self.class_token.expand(x.size(0), 1, -1), x), dim=1)
        x = self.proj(x).unsqueeze(1)  # [B, 1, 1 + T·H·W, C], as MultiscaleAttention's heads
        class_token, x = torch.tensor_split(x, indices=(1,), dim=2)
        x = x.transpose(2, 3)
        B, N, Ch = x.shape[:3]
        x = x.reshape((B * N, Ch) + THW).contiguous()
        x = self.pool(x)
        x = x.reshape(B, N, Ch, -1).transpose(2, 3)
        x = torch.cat((class_token, x), dim=2)
        return self.norm(x).squeeze(1)


def export_pool(truth):
    torch.manual_seed(0)
    m = Pool().eval()
    x = torch.randn(1, THW[0] * THW[1] * THW[2], C)
    macs, y = count_macs(m, x)
    entry = {"input": x.flatten().tolist(), "inputShape": list(x.shape), "params": sum(p.numel() for p in m.parameters()), "macs": macs,
             "output": y.detach().flatten().tolist(), "outputShape": list(y.shape), "files": {}}
    for opset in (13, 17):
        buf = io.BytesIO()
        torch.onnx.export(m, x, buf, opset_version=opset, input_names=["x"], output_names=["y"])
        model = onnx.load_from_string(buf.getvalue())
        ops = sorted({n.op_type for n in model.graph.node})
        assert "Loop" in ops and "SequenceEmpty" in ops and "SequenceAt" in ops, ops
        name = f"tensor_split_pool.op{opset}.onnx"
        onnx.save(model, str(OUT / name))
        entry["files"][str(opset)] = {"file": name, "ops": ops}
    truth["tensor_split_pool"] = entry


def export_sequence_ops(truth):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6)).astype(np.float32)
    nodes = [
        helper.make_node("SplitToSequence", ["x", "split"], ["parts"], axis=1, name="split"),  # [x[:, 0:2], x[:, 2:4], x[:, 4:6]]
        helper.make_node("SequenceAt", ["parts", "minus1"], ["last"], name="at_last"),  # x[:, 4:6]
        helper.make_node("Neg", ["last"], ["neg"], name="neg"),
        helper.make_node("SequenceInsert", ["parts", "neg", "zero"], ["with_neg"], name="insert_front"),  # [−x[:, 4:6], p0, p1, p2]
        helper.make_node("SequenceErase", ["with_neg"], ["erased"], name="erase_last"),  # [−x[:, 4:6], p0, p1]
        helper.make_node("SequenceConstruct", ["neg", "last"], ["pair"], name="construct"),
        helper.make_node("SequenceAt", ["pair", "one"], ["again"], name="at_one"),  # x[:, 4:6]
        helper.make_node("SequenceInsert", ["erased", "again"], ["all"], name="append"),  # [−x[:, 4:6], p0, p1, x[:, 4:6]]
        helper.make_node("ConcatFromSequence", ["all"], ["y"], axis=0, new_axis=1, name="stack"),  # [4, 2, 2]
        helper.make_node("SequenceLength", ["all"], ["n"], name="length"),
    ]
    inits = [numpy_helper.from_array(np.array([2, 2, 2], np.int64), "split"), numpy_helper.from_array(np.array(-1, np.int64), "minus1"),
             numpy_helper.from_array(np.array(0, np.int64), "zero"), numpy_helper.from_array(np.array(1, np.int64), "one")]
    graph = helper.make_graph(nodes, "sequence_ops", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 2, 2]), helper.make_tensor_value_info("n", TensorProto.INT64, [])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="convlens scripts/export_sequences.py")
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(OUT / "sequence_ops.onnx"))
    p = [x[:, 0:2], x[:, 2:4], x[:, 4:6]]
    y = np.stack([-p[2], p[0], p[1], p[2]], axis=0)
    truth["sequence_ops"] = {"input": x.flatten().tolist(), "inputShape": list(x.shape), "output": y.flatten().tolist(), "outputShape": list(y.shape), "length": 4}

    # a position computed from the data: not resolvable at import
    nodes = [
        helper.make_node("SplitToSequence", ["x", "split"], ["parts"], axis=1, name="split"),
        helper.make_node("ReduceMax", ["x"], ["mx"], keepdims=0, name="max"),
        helper.make_node("Cast", ["mx"], ["pos"], to=TensorProto.INT64, name="pos"),
        helper.make_node("SequenceInsert", ["parts", "x", "pos"], ["more"], name="insert_at_data"),
        helper.make_node("SequenceAt", ["more", "zero"], ["y"], name="at0"),
    ]
    graph = helper.make_graph(nodes, "sequence_computed", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])], inits[:1] + inits[2:3])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="convlens scripts/export_sequences.py")
    onnx.checker.check_model(model)
    onnx.save(model, str(OUT / "sequence_computed.onnx"))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    truth = {"torch": torch.__version__, "onnx": onnx.__version__}
    export_pool(truth)
    export_sequence_ops(truth)
    (OUT / "truth.json").write_text(json.dumps(truth) + "\n")
    print("wrote", sorted(p.name for p in OUT.iterdir()))


if __name__ == "__main__":
    main()
