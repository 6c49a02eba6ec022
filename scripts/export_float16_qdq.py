#!/usr/bin/env python3
"""A float16 ONNX model with a Q/DQ pair: test/fixtures/float16/qdq.onnx, for the quantization
summary's bytes by stored type (analysis/quantization.ts, test/analysis/quantization-float16.test.ts).

  qdq.onnx   x FLOAT16 [1, 1, 4, 4] → Cast to FLOAT → QuantizeLinear (scale 0.25 FLOAT, zero point
             128 UINT8) → DequantizeLinear → Cast to FLOAT16 → Conv 3×3 (pad 1; W FLOAT16 [2, 1, 3, 3],
             B FLOAT16 [2]) → y FLOAT16 [1, 2, 4, 4]. Opset 13 (its QuantizeLinear takes float32,
             hence the Casts); the stored types: W and B float16 (18 + 2 elements, 2 bytes each),
             the scale float32 (1), the zero point uint8 (1).

Run from the repository root: /usr/bin/python3 scripts/export_float16_qdq.py
"""
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto as T, helper as h, numpy_helper as nh

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "float16"


def main():
    inits = [nh.from_array((np.arange(18, dtype=np.float32).reshape(2, 1, 3, 3) / 8).astype(np.float16), "W"),
             nh.from_array(np.array([0.5, -0.5], np.float16), "B"),
             nh.from_array(np.array(0.25, np.float32), "scale"),
             nh.from_array(np.array(128, np.uint8), "zero_point")]
    nodes = [h.make_node("Cast", ["x"], ["xf"], to=T.FLOAT),
             h.make_node("QuantizeLinear", ["xf", "scale", "zero_point"], ["q"]),
             h.make_node("DequantizeLinear", ["q", "scale", "zero_point"], ["dq"]),
             h.make_node("Cast", ["dq"], ["dqh"], to=T.FLOAT16),
             h.make_node("Conv", ["dqh", "W", "B"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])]
    graph = h.make_graph(nodes, "float16-qdq", [h.make_tensor_value_info("x", T.FLOAT16, [1, 1, 4, 4])],
                         [h.make_tensor_value_info("y", T.FLOAT16, [1, 2, 4, 4])], inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)], producer_name="convlens scripts/export_float16_qdq.py")
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(OUT / "qdq.onnx"))
    print("wrote qdq.onnx")


if __name__ == "__main__":
    main()
