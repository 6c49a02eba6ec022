#!/usr/bin/env python3
"""Quantized ONNX fixtures (test/fixtures/onnx/quant/): two small models, with their inputs and the
outputs they must give.

  qdq_torch.onnx  a real QDQ model from PyTorch's own int8 toolchain: an eager-mode model
                  (QuantStub → Conv+ReLU (fused) → Conv s2 → DeQuantStub) prepared, calibrated and
                  converted with the fbgemm qconfig (per-channel int8 weights, uint8 activations),
                  then torch.onnx.export (opset 13) — which writes QuantizeLinear/DequantizeLinear
                  around float Convs, weights as int8 Constants behind DequantizeLinear. Expected
                  output: the converted torch model's own (fbgemm int8 kernels).
  qop.onnx        a QOperator model written with onnx.helper: QuantizeLinear → QLinearConv (int8
                  per-channel weights, int32 bias) → QLinearAdd (com.microsoft, the residual) →
                  QLinearMatMul (constant B) → DequantizeLinear. Expected output from the ONNX
                  spec's formulas (scripts/goldens_quant.py's helpers).
  qresnet18_stripped.onnx  torchvision's quantizable ResNet-18 (random weights), fused, calibrated and
                  converted with fbgemm, exported (opset 13) as QDQ, its int8 weight Constants
                  stripped of their data (shapes only: the analysis test needs no values).
  qop_head.onnx   QuantizeLinear → QLinearConcat → QLinearGlobalAveragePool (com.microsoft) → DequantizeLinear.
Run from the repository root: /usr/bin/python3 scripts/export_quant.py [--resnet-only | --head-only]
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from goldens_quant import quantize, requantize  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "quant"
OUT.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)
RNG = np.random.default_rng(3)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 4, 3, stride=2)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.conv2(self.relu(self.conv(self.quant(x)))))


def torch_qdq():
    m = Net().eval()
    m.qconfig = torch.ao.quantization.get_default_qconfig("fbgemm")
    torch.ao.quantization.fuse_modules(m, [["conv", "relu"]], inplace=True)
    p = torch.ao.quantization.prepare(m)
    for _ in range(8):
        p(torch.randn(2, 3, 8, 8))
    q = torch.ao.quantization.convert(p)
    x = torch.randn(1, 3, 8, 8)
    y = q(x)
    path = OUT / "qdq_torch.onnx"
    torch.onnx.export(q, x, str(path), opset_version=13, input_names=["x"], output_names=["y"])
    return {"input": x.flatten().tolist(), "inputShape": list(x.shape), "output": y.flatten().tolist(), "outputShape": list(y.shape)}


def qop():
    x = (RNG.standard_normal((1, 3, 6, 6))).astype(np.float32)
    sx, zx = np.float32(0.03), np.uint8(128)
    w = RNG.integers(-127, 128, size=(3, 3, 3, 3)).astype(np.int8)
    sw = np.array([0.004, 0.006, 0.005], np.float32)
    zw = np.zeros(3, np.int8)
    b = RNG.integers(-500, 500, size=3).astype(np.int32)
    sy, zy = np.float32(0.05), np.uint8(120)
    sr, zr = np.float32(0.06), np.uint8(125)
    bm = RNG.integers(0, 256, size=(6, 5)).astype(np.uint8)
    sb, zb = np.float32(0.01), np.uint8(127)
    sm, zm = np.float32(0.2), np.uint8(100)

    nodes = [
        helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"], name="quant"),
        helper.make_node("QLinearConv", ["xq", "sx", "zx", "w", "sw", "zw", "sy", "zy", "b"], ["yq"], name="qconv", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("QLinearAdd", ["yq", "sy", "zy", "xq", "sx", "zx", "sr", "zr"], ["rq"], name="qadd", domain="com.microsoft"),
        helper.make_node("QLinearMatMul", ["rq", "sr", "zr", "bm", "sb", "zb", "sm", "zm"], ["mq"], name="qmatmul"),
        helper.make_node("DequantizeLinear", ["mq", "sm", "zm"], ["y"], name="dequant"),
    ]
    inits = [numpy_helper.from_array(np.asarray(v), n) for n, v in
             [("sx", sx), ("zx", zx), ("w", w), ("sw", sw), ("zw", zw), ("b", b), ("sy", sy), ("zy", zy), ("sr", sr), ("zr", zr),
              ("bm", bm), ("sb", sb), ("zb", zb), ("sm", sm), ("zm", zm)]]
    graph = helper.make_graph(nodes, "qop", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 6, 5])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)], producer_name="convlens scripts/export_quant.py")
    onnx.save(model, str(OUT / "qop.onnx"))

    # the ONNX spec's formulas, step by step
    xq = quantize(x, sx, zx, "uint8")
    acc = F.conv2d(torch.tensor(xq.astype(np.float64) - 128), torch.tensor(w.astype(np.float64)), torch.tensor(b.astype(np.float64)), 1, 1).numpy()
    yq = requantize(acc, (sx * sw / sy).astype(np.float32).reshape(1, 3, 1, 1), zy, "uint8")
    fa = (sy * (yq.astype(np.float32) - np.float32(zy))).astype(np.float32)
    fb = (sx * (xq.astype(np.float32) - np.float32(zx))).astype(np.float32)
    rq = np.clip(np.rint(((fa + fb).astype(np.float32) / sr).astype(np.float32)) + np.float32(zr), 0, 255).astype(np.uint8)
    acc = np.matmul(rq.astype(np.float64) - float(zr), bm.astype(np.float64) - float(zb))
    mq = requantize(acc, np.float32(sr * sb / sm), zm, "uint8")
    y = ((mq.astype(np.float32) - np.float32(zm)) * sm).astype(np.float32)
    return {"input": x.flatten().tolist(), "inputShape": list(x.shape), "output": y.flatten().tolist(), "outputShape": list(y.shape)}


def qresnet18():
    from torchvision.models.quantization import resnet18
    torch.manual_seed(0)
    m = resnet18(weights=None, quantize=False).eval()
    m.fuse_model()
    m.qconfig = torch.ao.quantization.get_default_qconfig("fbgemm")
    p = torch.ao.quantization.prepare(m)
    for _ in range(3):
        p(torch.randn(2, 3, 224, 224))
    q = torch.ao.quantization.convert(p)
    path = OUT / "qresnet18_stripped.onnx"
    torch.onnx.export(q, torch.randn(1, 3, 224, 224), str(path), opset_version=13, input_names=["x"], output_names=["y"])
    model = onnx.load(str(path))
    for n in model.graph.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and len(a.t.raw_data) > 4096:
                a.t.ClearField("raw_data")
    onnx.save(model, str(path))


def qop_head():
    """QuantizeLinear → QLinearConcat (com.microsoft, the input with itself at another scale) → QLinearGlobalAveragePool → DequantizeLinear."""
    x = RNG.standard_normal((1, 2, 4, 3)).astype(np.float32)
    sx, zx, sc, zc, sp, zp = np.float32(0.02), np.uint8(128), np.float32(0.03), np.uint8(120), np.float32(0.01), np.uint8(100)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"], name="quant"),
        helper.make_node("QLinearConcat", ["sc", "zc", "xq", "sx", "zx", "xq", "sx", "zx"], ["cq"], name="qconcat", domain="com.microsoft", axis=1),
        helper.make_node("QLinearGlobalAveragePool", ["cq", "sc", "zc", "sp", "zp"], ["pq"], name="qpool", domain="com.microsoft", channels_last=0),
        helper.make_node("DequantizeLinear", ["pq", "sp", "zp"], ["y"], name="dequant"),
    ]
    inits = [numpy_helper.from_array(np.asarray(v), n) for n, v in [("sx", sx), ("zx", zx), ("sc", sc), ("zc", zc), ("sp", sp), ("zp", zp)]]
    graph = helper.make_graph(nodes, "qop_head", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 1, 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)], producer_name="convlens scripts/export_quant.py")
    onnx.save(model, str(OUT / "qop_head.onnx"))
    xq = quantize(x, sx, zx, "uint8")
    req = np.clip(np.rint((((xq.astype(np.float32) - 128) * sx).astype(np.float32) / sc).astype(np.float32)) + 120, 0, 255).astype(np.uint8)
    cq = np.concatenate([req, req], 1)
    s = np.float32(sc / np.float32(sp * 12))
    total = cq.astype(np.int64).sum(axis=(2, 3), keepdims=True) - 120 * 12
    pq = np.clip(np.rint((total.astype(np.float32) * s).astype(np.float32)) + 100, 0, 255).astype(np.uint8)
    y = ((pq.astype(np.float32) - 100) * sp).astype(np.float32)
    return {"input": x.flatten().tolist(), "inputShape": list(x.shape), "output": y.flatten().tolist(), "outputShape": list(y.shape)}


def main():
    if "--head-only" in sys.argv:
        truth = json.loads((OUT / "truth.json").read_text())
        truth["qop_head"] = qop_head()
        (OUT / "truth.json").write_text(json.dumps(truth) + "\n")
        return
    qresnet18()
    if "--resnet-only" in sys.argv:
        return
    truth = {"torch": torch.__version__, "onnx": onnx.__version__, "qdq_torch": torch_qdq(), "qop": qop(), "qop_head": qop_head()}
    (OUT / "truth.json").write_text(json.dumps(truth) + "\n")
    print("wrote", sorted(p.name for p in OUT.iterdir()))


if __name__ == "__main__":
    main()
