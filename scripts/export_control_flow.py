#!/usr/bin/env python3
"""ONNX If/Loop fixtures (test/fixtures/onnx/control/), written with onnx.helper, with the outputs
they must give computed by torch from the same weights.

  if_const.onnx     If on a constant true: Relu in then, Neg in else          → relu(x)
  if_dynamic.onnx   If on ReduceSum(x) > 0 (computed): then Conv 3×3, else Conv 1×1 (same shapes)
  loop_const.onnx   Loop M = 3, condition passed through: v ← Relu(Conv(v) + i) (the conv's weight
                    from the outer graph, i the iteration number), scan output v each iteration
  loop_early.onnx   Loop M = 4 whose body computes its condition (i < 10): unrolled to the bound
  loop_computed.onnx  Loop with M = Shape(x)[0]: computed, folded from shapes by the analysis, unrolled (1×)
  loop_data.onnx      Loop with M = Cast(ReduceMax(x)): computed from the data, cannot be unrolled
  loop_unanalysable.onnx  M from shapes, but the body reshapes by a computed shape: stays unsupported
  if_mixed.onnx     If on ReduceSum(x) > 0: then Conv 1×1 (MACs only), else Sigmoid·Sigmoid (FLOPs only)
Run from the repository root: /usr/bin/python3 scripts/export_control_flow.py
"""
import json
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "control"
OUT.mkdir(parents=True, exist_ok=True)
RNG = np.random.default_rng(5)
TRUTH = {}
X = RNG.standard_normal((1, 2, 4, 4)).astype(np.float32)


def save(name, nodes, inits, out_shape, output, opset=13):
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="convlens scripts/export_control_flow.py")
    onnx.checker.check_model(model)
    onnx.save(model, str(OUT / f"{name}.onnx"))
    if output is not None:
        TRUTH[name] = {"input": X.flatten().tolist(), "inputShape": list(X.shape), "output": np.asarray(output, np.float32).flatten().tolist(), "outputShape": list(np.shape(output))}


def branch(name, nodes, out, shape, inits=()):
    return helper.make_graph(nodes, name, [], [helper.make_tensor_value_info(out, TensorProto.FLOAT, shape)], list(inits))


def main():
    x = torch.tensor(X)
    # If on a constant
    then_g = branch("then", [helper.make_node("Relu", ["x"], ["t"])], "t", [1, 2, 4, 4])
    else_g = branch("else", [helper.make_node("Neg", ["x"], ["e"])], "e", [1, 2, 4, 4])
    save("if_const", [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_g, else_branch=else_g)],
         [numpy_helper.from_array(np.array(True), "c")], [1, 2, 4, 4], F.relu(x).numpy())

    # If on a computed condition: two convs, weights inside each branch
    w3 = RNG.standard_normal((3, 2, 3, 3)).astype(np.float32) * 0.3
    w1 = RNG.standard_normal((3, 2, 1, 1)).astype(np.float32)
    then_g = branch("then", [helper.make_node("Conv", ["x", "w3"], ["t"], pads=[1, 1, 1, 1], name="conv3")], "t", [1, 3, 4, 4], [numpy_helper.from_array(w3, "w3")])
    else_g = branch("else", [helper.make_node("Conv", ["x", "w1"], ["e"], name="conv1")], "e", [1, 3, 4, 4], [numpy_helper.from_array(w1, "w1")])
    cond_nodes = [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0), helper.make_node("Greater", ["s", "zero"], ["c"])]
    taken = F.conv2d(x, torch.tensor(w3), padding=1) if float(x.sum()) > 0 else F.conv2d(x, torch.tensor(w1))
    xn = -x
    other = F.conv2d(xn, torch.tensor(w3), padding=1) if float(xn.sum()) > 0 else F.conv2d(xn, torch.tensor(w1))
    TRUTH["if_dynamic_negated"] = {"input": (-X).flatten().tolist(), "inputShape": list(X.shape), "output": other.numpy().flatten().tolist(), "outputShape": list(other.shape)}
    save("if_dynamic", cond_nodes + [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_g, else_branch=else_g)],
         [numpy_helper.from_array(np.array(0, np.float32), "zero")], [1, 3, 4, 4], taken.numpy())

    # Loop with a constant trip count: v ← relu(conv(v) + i), scan v
    w = RNG.standard_normal((2, 2, 3, 3)).astype(np.float32) * 0.3
    body = helper.make_graph(
        [helper.make_node("Conv", ["v_in", "w"], ["c"], pads=[1, 1, 1, 1], name="conv"),
         helper.make_node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT),
         helper.make_node("Add", ["c", "fi"], ["a"]),
         helper.make_node("Relu", ["a"], ["v_out"]),
         helper.make_node("Identity", ["v_out"], ["scan"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [1, 2, 4, 4])],
        [helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []), helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [1, 2, 4, 4]),
         helper.make_tensor_value_info("scan", TensorProto.FLOAT, [1, 2, 4, 4])])
    v, scans = x, []
    for i in range(3):
        v = F.relu(F.conv2d(v, torch.tensor(w), padding=1) + i)
        scans.append(v)
    loop = helper.make_node("Loop", ["M", "", "x"], ["v_final", "y"], name="loop", body=body)
    save("loop_const", [loop], [numpy_helper.from_array(np.array(3, np.int64), "M"), numpy_helper.from_array(w, "w")], [3, 1, 2, 4, 4], torch.stack(scans).numpy())

    # Loop whose body computes its condition (i < 10): M = 4 is the bound
    body_early = helper.make_graph(
        [helper.make_node("Less", ["i", "ten"], ["cond_out"]), helper.make_node("Mul", ["v_in", "half"], ["v_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [1, 2, 4, 4])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [1, 2, 4, 4])],
        [numpy_helper.from_array(np.array(10, np.int64), "ten"), numpy_helper.from_array(np.array(0.5, np.float32), "half")])
    save("loop_early", [helper.make_node("Loop", ["M", "c0", "x"], ["y"], name="loop", body=body_early)],
         [numpy_helper.from_array(np.array(4, np.int64), "M"), numpy_helper.from_array(np.array(True), "c0")], [1, 2, 4, 4], (x * 0.5 ** 4).numpy())

    # Loop with a computed trip count
    save("loop_computed", [helper.make_node("Shape", ["x"], ["shp"]), helper.make_node("Gather", ["shp", "zero_i"], ["M"], axis=0),
                           helper.make_node("Loop", ["M", "", "x"], ["y"], name="loop", body=body_early)],
         [numpy_helper.from_array(np.array(0, np.int64), "zero_i")], [1, 2, 4, 4], (x * 0.5).numpy())

    # Loop with a trip count computed from the data (not foldable): stays unsupported
    save("loop_data", [helper.make_node("ReduceMax", ["x"], ["mx"], keepdims=0), helper.make_node("Cast", ["mx"], ["M"], to=TensorProto.INT64),
                       helper.make_node("Loop", ["M", "", "x"], ["y"], name="loop", body=body_early)], [], [1, 2, 4, 4], None)

    # Loop with M from shapes whose body reshapes by a computed shape (cannot be analysed): stays unsupported, saying so
    body_bad = helper.make_graph(
        [helper.make_node("ReduceMax", ["v_in"], ["mx"], keepdims=0), helper.make_node("Cast", ["mx"], ["mi"], to=TensorProto.INT64),
         helper.make_node("Unsqueeze", ["mi", "ax0"], ["newshape"]), helper.make_node("Reshape", ["v_in", "newshape"], ["v_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [1, 2, 4, 4])],
        [helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []), helper.make_tensor_value_info("v_out", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array([0], np.int64), "ax0")])
    save("loop_unanalysable", [helper.make_node("Shape", ["x"], ["shp"]), helper.make_node("Gather", ["shp", "zero_i"], ["M"], axis=0),
                               helper.make_node("Loop", ["M", "", "x"], ["y"], name="loop", body=body_bad)],
         [numpy_helper.from_array(np.array(0, np.int64), "zero_i")], [1, 2, 4, 4], None)

    # If on a computed condition whose branches differ in what they cost: then a 1×1 conv (64 MACs,
    # no element-wise FLOPs), else two sigmoids (0 MACs, 2·4·32 = 256 FLOPs): the totals count the
    # per-metric maximum, 64 MACs and 256 element-wise FLOPs, which neither branch has alone
    wm = RNG.standard_normal((2, 2, 1, 1)).astype(np.float32)
    then_g = branch("then", [helper.make_node("Conv", ["x", "wm"], ["t"], name="conv")], "t", [1, 2, 4, 4], [numpy_helper.from_array(wm, "wm")])
    else_g = branch("else", [helper.make_node("Sigmoid", ["x"], ["e1"], name="sig1"), helper.make_node("Sigmoid", ["e1"], ["e"], name="sig2")], "e", [1, 2, 4, 4])
    taken = F.conv2d(x, torch.tensor(wm)) if float(x.sum()) > 0 else torch.sigmoid(torch.sigmoid(x))
    other = F.conv2d(-x, torch.tensor(wm)) if float(-x.sum()) > 0 else torch.sigmoid(torch.sigmoid(-x))
    TRUTH["if_mixed_negated"] = {"input": (-X).flatten().tolist(), "inputShape": list(X.shape), "output": other.numpy().flatten().tolist(), "outputShape": list(other.shape)}
    save("if_mixed", cond_nodes + [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_g, else_branch=else_g)],
         [numpy_helper.from_array(np.array(0, np.float32), "zero")], [1, 2, 4, 4], taken.numpy())

    (OUT / "truth.json").write_text(json.dumps({"torch": torch.__version__, "onnx": onnx.__version__, **TRUTH}) + "\n")
    print("wrote", sorted(p.name for p in OUT.iterdir()))


if __name__ == "__main__":
    main()
