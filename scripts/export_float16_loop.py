#!/usr/bin/env python3
"""A float16 ONNX Loop kept whole (ops/loop.ts, graph/onnx/loop-body.ts): test/fixtures/float16/loop.onnx
and loop.json, for MAX_RUN_WORK's charge of the rounding of the body's FLOAT16 outputs
(test/runtime/work-float16.test.ts).

  loop.onnx   x FLOAT16 [4, 6], boxes INT64 [2, 4] (inclusive x1, y1, x2, y2), M = 2. The body sums
              the box's window of the carried value and adds it to every element:
                b = boxes[i]; s = v[b.y1 : b.y2 + 1, b.x1 : b.x2 + 1]; r = ReduceSum(s, keepdims);
                v' = v + r
              The window's size depends on the boxes' values, so the unrolled body cannot be
              analysed and the Loop is kept whole (analysed with each box at the whole image,
              [0, 0, 5, 3]: s [4, 6]). s, r and v' are typed FLOAT16 (value_info and the body's
              output), as an exporter writes them.
  loop.json   inputs and the output for boxes [0, 0, 0, 0] twice (the window is v[0, 0]) and x 1 at
              [0, 0], 2048 elsewhere. Truth: NumPy float16 arithmetic (each operation rounded to
              half): iteration 0 adds 1 (2048 + 1 = 2049, a tie, → 2048), iteration 1 adds 2 →
              [4, 2050, …]; a body left unrounded would give [4, 2051, …].

Run from the repository root: /usr/bin/python3 scripts/export_float16_loop.py
"""
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto as T, helper as h, numpy_helper as nh

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "float16"


def loop_model(height=4, width=6, trips=2, elem=T.FLOAT16):
    """The Loop above over x [height, width] of ONNX type `elem` (FLOAT16, or FLOAT for comparison), `trips` iterations."""
    ints = lambda name, values: nh.from_array(np.array(values, np.int64), name)
    body = h.make_graph(
        [h.make_node("Gather", ["boxes", "i"], ["b"], axis=0),
         h.make_node("Slice", ["b", "zero", "two"], ["starts"]),
         h.make_node("Slice", ["b", "two", "four"], ["last"]),
         h.make_node("Add", ["last", "one"], ["ends"]),
         h.make_node("Slice", ["v_in", "starts", "ends", "axes"], ["s"]),
         h.make_node("ReduceSum", ["s"], ["r"], keepdims=1),
         h.make_node("Add", ["v_in", "r"], ["v_out"]),
         h.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body",
        [h.make_tensor_value_info("i", T.INT64, []), h.make_tensor_value_info("cond_in", T.BOOL, []),
         h.make_tensor_value_info("v_in", elem, [height, width])],
        [h.make_tensor_value_info("cond_out", T.BOOL, []), h.make_tensor_value_info("v_out", elem, [height, width])],
        [ints("zero", [0]), ints("two", [2]), ints("four", [4]), ints("one", [1]), ints("axes", [1, 0])],
        value_info=[h.make_tensor_value_info("s", elem, None), h.make_tensor_value_info("r", elem, [1, 1])])
    graph = h.make_graph([h.make_node("Loop", ["M", "", "x"], ["y"], name="loop", body=body)], "float16-loop",
                         [h.make_tensor_value_info("x", elem, [height, width]), h.make_tensor_value_info("boxes", T.INT64, [trips, 4])],
                         [h.make_tensor_value_info("y", elem, [height, width])], [ints("M", trips)])
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)], producer_name="convlens scripts/export_float16_loop.py")
    onnx.checker.check_model(model)
    return model


def reference(x, boxes):
    """The loop in NumPy float16: every operation rounded to half."""
    v = x.astype(np.float16)
    for x1, y1, x2, y2 in boxes:
        r = v[y1:y2 + 1, x1:x2 + 1].sum(dtype=np.float16, keepdims=True).reshape(1, 1)
        v = (v + r).astype(np.float16)
    return v


def main():
    onnx.save(loop_model(), str(OUT / "loop.onnx"))
    x = np.full((4, 6), 2048, np.float16)
    x[0, 0] = 1
    boxes = np.zeros((2, 4), np.int64)
    y = reference(x, boxes)
    assert y[0, 0] == 4 and y[0, 1] == 2050
    truth = {"inputs": {"x": {"shape": list(x.shape), "data": x.astype(float).flatten().tolist()},
                        "boxes": {"shape": list(boxes.shape), "data": boxes.flatten().tolist()}},
             "output": {"shape": list(y.shape), "data": y.astype(float).flatten().tolist()},
             "truth": f"NumPy {np.__version__} float16 arithmetic", "onnx": onnx.__version__}
    (OUT / "loop.json").write_text(json.dumps(truth) + "\n")
    print("wrote loop.onnx, loop.json")


if __name__ == "__main__":
    main()
