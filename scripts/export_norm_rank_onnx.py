#!/usr/bin/env python3
"""ONNX normalisations named by their input's rank (graph/onnx/map-norm.ts nameNormsByRank), and the
truth to run them against. Writes test/fixtures/onnx/norm-rank/ (a few KB; every weight kept):

  instance_norm1d_op13.onnx  torch.onnx.export of Conv1d(2, 3, 3, padding=1) → InstanceNorm1d(3, affine=True) on [1, 2, 8]
  instance_norm3d_op13.onnx  torch.onnx.export of Conv3d(1, 2, 1) → InstanceNorm3d(2) (no affine: scale 1, B 0) on [1, 1, 2, 3, 4]
  loop_bn_scan.onnx          onnx.helper: Loop M = 0 (a constant) scanning v ← BatchNormalization(v) on [1, 2, 5]:
                             kept whole (control-flow.ts: no iteration with a scan output), the body's BN of rank 3
  loop_bn_unrolled.onnx      the same body with M = 2: unrolled, BN applied twice
  if_norms.onnx              onnx.helper: If (ReduceSum(x) > 0) then BatchNormalization(x) else InstanceNormalization(x),
                             x [1, 2, 5]: both branches inlined (a computed condition)
  truth.json                 per file: the input, and PyTorch's output (the exports) or numpy's (the helper graphs);
                             if_norms_negated: −x, which takes the other branch

Run: /usr/bin/python3 scripts/export_norm_rank_onnx.py
"""
import io
import json
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

from golden_kit import enc

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "norm-rank"
OUT.mkdir(parents=True, exist_ok=True)
torch.manual_seed(31)
TRUTH = {}

# the BatchNormalization of the helper graphs: γ, β, μ, σ² over 2 channels
BN = {"scale": [2.0, 0.5], "B": [0.0, 1.0], "mean": [1.0, -1.0], "var": [4.0, 0.25]}
IN = {"s": [1.5, -1.0], "b": [0.25, 0.0]}


def export(name, module, x):
    module.eval()
    buf = io.BytesIO()
    torch.onnx.export(module, x, buf, opset_version=13, input_names=["x"], output_names=["y"], do_constant_folding=False)
    (OUT / f"{name}.onnx").write_bytes(buf.getvalue())
    with torch.no_grad():
        TRUTH[name] = {"input": enc(x), "output": enc(module(x))}


def bn_numpy(x):
    c = lambda k: np.array(BN[k], np.float64).reshape(1, 2, 1)
    return (x - c("mean")) / np.sqrt(c("var") + 1e-5) * c("scale") + c("B")


def in_numpy(x):
    m = x.mean(axis=2, keepdims=True)
    v = x.var(axis=2, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-5) * np.array(IN["s"]).reshape(1, 2, 1) + np.array(IN["b"]).reshape(1, 2, 1)


def bn_inits(prefix=""):
    return [numpy_helper.from_array(np.array(v, np.float32), prefix + k) for k, v in BN.items()]


def save(name, nodes, inits, outputs, x, y):
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5])], outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="convlens scripts/export_norm_rank_onnx.py")
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, str(OUT / f"{name}.onnx"))
    TRUTH[name] = {"input": {"shape": list(x.shape), "data": x.flatten().tolist()}, "output": {"shape": list(y.shape), "data": y.astype(np.float32).flatten().tolist()}}


def loop(name, m, x, y):
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["c_in"], ["c_out"], name="cond"),
            helper.make_node("BatchNormalization", ["v_in", "scale", "B", "mean", "var"], ["v_out"], name="bn"),
            helper.make_node("Identity", ["v_out"], ["v_scan"], name="scan"),
        ],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("c_in", TensorProto.BOOL, []), helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [1, 2, 5])],
        [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []), helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [1, 2, 5]), helper.make_tensor_value_info("v_scan", TensorProto.FLOAT, [1, 2, 5])],
        bn_inits(),
    )
    save(name, [helper.make_node("Loop", ["M", "", "x"], ["y", "ys"], name="loop", body=body)], [helper.make_tensor("M", TensorProto.INT64, [], [m])],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 5]), helper.make_tensor_value_info("ys", TensorProto.FLOAT, [m, 1, 2, 5])], x, y)


def main():
    seq = nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.InstanceNorm1d(3, affine=True))
    with torch.no_grad():
        seq[1].weight.copy_(torch.rand(3) + 0.5)
        seq[1].bias.copy_(torch.randn(3))
    export("instance_norm1d_op13", seq, torch.randn(1, 2, 8))
    export("instance_norm3d_op13", nn.Sequential(nn.Conv3d(1, 2, 1), nn.InstanceNorm3d(2)), torch.randn(1, 1, 2, 3, 4))

    x = np.random.default_rng(5).standard_normal((1, 2, 5)).astype(np.float32)
    loop("loop_bn_scan", 0, x, x)
    loop("loop_bn_unrolled", 2, x, bn_numpy(bn_numpy(x.astype(np.float64))))

    then_g = helper.make_graph([helper.make_node("BatchNormalization", ["x", "scale", "B", "mean", "var"], ["t"], name="bn")], "then", [],
                               [helper.make_tensor_value_info("t", TensorProto.FLOAT, [1, 2, 5])], bn_inits())
    else_g = helper.make_graph([helper.make_node("InstanceNormalization", ["x", "s", "b"], ["e"], name="inorm")], "else", [],
                               [helper.make_tensor_value_info("e", TensorProto.FLOAT, [1, 2, 5])],
                               [numpy_helper.from_array(np.array(v, np.float32), k) for k, v in IN.items()])
    cond = [helper.make_node("ReduceSum", ["x"], ["sum"], keepdims=0, name="sum"), helper.make_node("Greater", ["sum", "zero"], ["c"], name="positive")]
    xd = x.astype(np.float64)
    y = bn_numpy(xd) if xd.sum() > 0 else in_numpy(xd)
    save("if_norms", cond + [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_g, else_branch=else_g)],
         [numpy_helper.from_array(np.array(0, np.float32), "zero")], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 5])], x, y)
    TRUTH["if_norms"]["branch"] = "then" if xd.sum() > 0 else "else"
    # −x takes the other branch
    TRUTH["if_norms_negated"] = {"input": {"shape": [1, 2, 5], "data": (-x).flatten().tolist()}, "output": {"shape": [1, 2, 5], "data": (in_numpy(-xd) if xd.sum() > 0 else bn_numpy(-xd)).astype(np.float32).flatten().tolist()},
                                 "branch": "else" if xd.sum() > 0 else "then"}
    (OUT / "truth.json").write_text(json.dumps(TRUTH) + "\n")
    print(sorted(p.name for p in OUT.iterdir()))


if __name__ == "__main__":
    main()
