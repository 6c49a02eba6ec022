#!/usr/bin/env python3
"""ONNX normalisations over groups of one value, built with onnx.helper (as a TF/Keras converter
writes them), and ONNX's result there: β.

F.group_norm and F.instance_norm refuse these inputs; ONNX's GroupNormalization and
InstanceNormalization define y = scale·(x − mean)/√(var + ε) + B, which over one value is B
(onnxruntime computes it so). The expected outputs are that formula evaluated in numpy float64,
not convlens's code. Writes test/fixtures/onnx/norm_activation/single_value_*.onnx and
single_value.json (read by test/graph/onnx-norm-single-value.test.ts).

Run: /usr/bin/python3 scripts/export_norm_single_value_onnx.py
"""
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "norm_activation"
rng = np.random.default_rng(1813)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def onnx_norm(x, scale, bias, groups, eps):
    """ONNX's formula over [N, groups, rest] (InstanceNormalization: groups = C), scale and bias per channel."""
    n, c = x.shape[:2]
    g = x.astype(np.float64).reshape(n, groups, -1)
    mean = g.mean(axis=2, keepdims=True)
    var = ((g - mean) ** 2).mean(axis=2, keepdims=True)
    y = ((g - mean) / np.sqrt(var + eps)).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return y * scale.astype(np.float64).reshape(shape) + bias.astype(np.float64).reshape(shape)


def save(name, nodes, x, inits, opset, y):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(y.shape))],
        [numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="onnx.helper")
    if opset <= 17:  # onnx 1.12's checker knows opsets up to 17 (GroupNormalization is 18)
        onnx.checker.check_model(model)
    onnx.save(model, str(OUT / f"{name}.onnx"))
    return {"file": f"{name}.onnx", "opset": opset, "input": enc(x), "output": enc(y)}


def enc(a):
    return {"shape": list(a.shape), "data": [float(repr(np.float32(v))) for v in a.flatten().tolist()]}


def main():
    models = {}
    # a squeeze-and-excitation style tail: GlobalAveragePool to 1×1 maps, then InstanceNormalization (affine)
    x = f32(2, 3, 4, 4)
    scale, bias = f32(3) + 1.5, f32(3)
    pooled = x.astype(np.float64).mean(axis=(2, 3), keepdims=True)
    models["instance"] = save("single_value_instance", [
        helper.make_node("GlobalAveragePool", ["x"], ["p"], name="gap"),
        helper.make_node("InstanceNormalization", ["p", "S", "B"], ["y"], name="norm", epsilon=1e-5),
    ], x, {"S": scale, "B": bias}, 13, onnx_norm(pooled, scale, bias, 3, 1e-5))
    # InstanceNormalization with ones and zeros (no affine map): β = 0
    x = f32(1, 4, 1, 1)
    ones, zeros = np.ones(4, np.float32), np.zeros(4, np.float32)
    models["instance_plain"] = save("single_value_instance_plain", [
        helper.make_node("InstanceNormalization", ["x", "S", "B"], ["y"], name="norm"),
    ], x, {"S": ones, "B": zeros}, 13, onnx_norm(x, ones, zeros, 4, 1e-5))
    # GroupNormalization (opset 18) with one channel per group on 1×1 maps, batch 1: N·C/G·H·W = 1
    x = f32(1, 4, 1, 1)
    scale, bias = f32(4) + 1.5, f32(4)
    models["group"] = save("single_value_group", [
        helper.make_node("GroupNormalization", ["x", "S", "B"], ["y"], name="norm", num_groups=4, epsilon=1e-5),
    ], x, {"S": scale, "B": bias}, 18, onnx_norm(x, scale, bias, 4, 1e-5))
    (OUT / "single_value.json").write_text(json.dumps({"onnx": onnx.__version__, "models": models}) + "\n")
    print(f"wrote {len(models)} models to {OUT}")


if __name__ == "__main__":
    main()
