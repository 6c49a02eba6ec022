#!/usr/bin/env python3
"""ONNX Loops whose trip count M is computed from shapes and folds to 0 or below
(test/fixtures/onnx/control/), written with onnx.helper; scripts/loop_no_iteration_truth.mjs runs
them with onnxruntime-node and records what they give.

  x [2, 3] float; s = Shape(x); M = Sub(Gather(s, a), Gather(s, b)); Loop(M, '', x), body v <- v + 1
  loop_shapes_zero.onnx          M = 2 - 2 = 0, one loop-carried value
  loop_shapes_negative.onnx      M = 2 - 3 = -1, one loop-carried value
  loop_shapes_zero_scan.onnx     M = 0, and the body scans v + 1 too (ONNX Runtime: a [0, 2, 3] output)
  loop_const_negative_concat_scan.onnx   a constant M = -5, the body scanning Concat(v + 1, v + 1) on
                                 axis 0, its scan output's sizes not declared (symbolic) (ONNX Runtime: [0, 4, 3])
Run from the repository root: /usr/bin/python3 scripts/export_loop_no_iteration.py
"""
from pathlib import Path

import onnx
from onnx import TensorProto, helper

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "control"
OUT.mkdir(parents=True, exist_ok=True)


def save(name, second_axis, scan):
    body_outputs = [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []), helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [2, 3])]
    body_nodes = [helper.make_node("Identity", ["c_in"], ["c_out"], name="cond"), helper.make_node("Add", ["v_in", "one"], ["v_out"], name="add")]
    if scan:
        body_nodes.append(helper.make_node("Identity", ["v_out"], ["v_scan"], name="scan"))
        body_outputs.append(helper.make_tensor_value_info("v_scan", TensorProto.FLOAT, [2, 3]))
    body = helper.make_graph(
        body_nodes,
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("c_in", TensorProto.BOOL, []), helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [2, 3])],
        body_outputs,
    )
    inits = [
        helper.make_tensor("a", TensorProto.INT64, [], [0]),
        helper.make_tensor("b", TensorProto.INT64, [], [second_axis]),
        helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0]),
    ]
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "a"], ["da"], name="dim_a"),
        helper.make_node("Gather", ["s", "b"], ["db"], name="dim_b"),
        helper.make_node("Sub", ["da", "db"], ["M"], name="trip_count"),
        helper.make_node("Loop", ["M", "", "x"], ["y", "ys"] if scan else ["y"], name="loop", body=body),
    ]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])]
    if scan:
        outputs.append(helper.make_tensor_value_info("ys", TensorProto.FLOAT, [None, 2, 3]))
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])], outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="convlens scripts/export_loop_no_iteration.py")
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, str(OUT / f"{name}.onnx"))


save("loop_shapes_zero", 0, False)
save("loop_shapes_negative", 1, False)
save("loop_shapes_zero_scan", 0, True)


def save_concat_scan(name, m):
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["c_in"], ["c_out"], name="cond"),
            helper.make_node("Add", ["v_in", "one"], ["v_out"], name="add"),
            helper.make_node("Concat", ["v_out", "v_out"], ["v_scan"], name="scan", axis=0),
        ],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("c_in", TensorProto.BOOL, []), helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []), helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [2, 3]), helper.make_tensor_value_info("v_scan", TensorProto.FLOAT, ["rows", "cols"])],
    )
    inits = [helper.make_tensor("M", TensorProto.INT64, [], [m]), helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])]
    nodes = [helper.make_node("Loop", ["M", "", "x"], ["y", "ys"], name="loop", body=body)]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3]), helper.make_tensor_value_info("ys", TensorProto.FLOAT, ["iterations", "rows", "cols"])]
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])], outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="convlens scripts/export_loop_no_iteration.py")
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, str(OUT / f"{name}.onnx"))


save_concat_scan("loop_const_negative_concat_scan", -5)
