#!/usr/bin/env python3
"""Goldens for the quantized operators (src/ops/quant.ts, src/ops/quant-linear.ts).

Two sources:
  1. the ONNX backend test cases that ship with the onnx package
     (onnx/backend/test/case/node/{quantizelinear,dequantizelinear,qlinearconv,qlinearmatmul,
     convinteger,matmulinteger}.py): their published inputs and outputs, captured by replacing
     their `expect`;
  2. cases over the attribute combinations those do not reach (int8, per-axis, ties, saturation,
     padding, groups, per-channel weight scales, bias, per-row/per-column zero points,
     broadcasting), computed by the ONNX spec's formulas in NumPy float32 (np.rint rounds half to
     even, like std::nearbyint) with the integer sums taken by torch's conv2d / matmul in float64
     (exact for these integers).
Writes test/fixtures/operators/quant.json. Run: /usr/bin/python3 scripts/goldens_quant.py
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from onnx import helper
from onnx.backend.test.case.node import (convinteger, dequantizelinear, dynamicquantizelinear, matmulinteger, qlinearconv,
                                         qlinearmatmul, quantizelinear)

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "quant.json"
RNG = np.random.default_rng(7)
CASES = []
RANGE = {"uint8": (0, 255), "int8": (-128, 127)}


def enc(a):
    a = np.asarray(a)
    w = {"shape": list(a.shape), "data": [float(np.float32(v)) for v in a.flatten().tolist()]}
    if a.dtype != np.float32:
        w["dtype"] = str(a.dtype)
    return w


def case(name, op, attrs, inputs, outputs, weights=None):
    CASES.append({"name": name, "op": op, "attributes": attrs, "training": False,
                  "inputs": [enc(t) for t in inputs], "weights": {k: enc(v) for k, v in (weights or {}).items()},
                  "outputs": [enc(t) for t in outputs]})


def conv_attrs(node, w, groups=1):
    a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
    pads = a.get("pads", [0, 0, 0, 0])
    return {"outChannels": int(w.shape[0]), "kernelSize": [int(w.shape[2]), int(w.shape[3])], "stride": list(a.get("strides", [1, 1])),
            "padding": [pads[0], pads[1], pads[2], pads[3]], "dilation": list(a.get("dilations", [1, 1])), "groups": int(a.get("group", groups))}


def onnx_case(node, inputs, outputs, name):
    """An ONNX backend case → a convlens case (scales and zero points stay inputs; weights bind by role)."""
    t = node.op_type
    label = f"{t} {name} (onnx backend test)"
    if t in ("QuantizeLinear", "DequantizeLinear"):
        zp = inputs[2] if len(inputs) > 2 else None
        dtype = str(np.asarray(zp).dtype) if zp is not None else ("uint8" if t == "QuantizeLinear" else str(inputs[0].dtype))
        op = "quantizeLinear" if t == "QuantizeLinear" else "dequantizeLinear"
        case(label, op, {"dtype": dtype}, [np.asarray(v) for v in inputs], outputs)
    elif t == "QLinearConv":
        x, sx, zx, w, sw, zw, sy, zy = inputs[:8]
        b = inputs[8] if len(inputs) > 8 else None
        attrs = {**conv_attrs(node, w), "bias": b is not None, "dtype": str(np.asarray(zy).dtype)}
        case(label, "qlinearConv", attrs, [x, np.asarray(sx), np.asarray(zx), np.asarray(sw), np.asarray(zw), np.asarray(sy), np.asarray(zy)], outputs,
             {"weight": w, **({"bias": b} if b is not None else {})})
    elif t == "QLinearMatMul":
        a, sa, za, b, sb, zb, sy, zy = inputs
        case(label, "qlinearMatMul", {"dtype": str(zy.dtype)}, [a, sa, za, b, sb, zb, sy, zy], outputs)
    elif t == "ConvInteger":
        x, w = inputs[:2]
        zps = [np.asarray(v) for v in inputs[2:]]
        case(label, "convInteger", conv_attrs(node, w), [x, *zps], outputs, {"weight": w})
    elif t == "MatMulInteger":
        case(label, "matMulInteger", {}, inputs, outputs)
    elif t == "DynamicQuantizeLinear":
        case(label, "dynamicQuantizeLinear", {}, inputs, outputs)


def collect(module, cls):
    def expect(node, inputs, outputs, name):
        onnx_case(node, [np.asarray(v) for v in inputs], [np.asarray(v) for v in outputs], name)
    module.expect = expect
    for attr in dir(cls):
        if attr.startswith("export"):
            getattr(cls, attr)()


# --- the ONNX spec's formulas (float32 arithmetic, round half to even, saturate)
def quantize(x, s, zp, dtype, axis=1):
    shape = [1] * x.ndim
    if np.ndim(s) == 1 and np.size(s) > 1:
        shape[axis] = -1
    s = np.asarray(s, np.float32).reshape(shape) if np.size(s) > 1 else np.float32(s)
    zp = np.asarray(zp, np.float32).reshape(shape) if np.size(zp) > 1 else np.float32(zp)
    lo, hi = RANGE[dtype]
    return np.clip(np.rint((x / s).astype(np.float32)) + zp, lo, hi).astype(dtype)


def requantize(acc, mult, zy, dtype):
    lo, hi = RANGE[dtype]
    return np.clip(np.rint((acc.astype(np.float32) * mult).astype(np.float32)) + np.float32(zy), lo, hi).astype(dtype)


def qints(shape, dtype):
    lo, hi = RANGE[dtype]
    return RNG.integers(lo, hi + 1, size=shape).astype(dtype)


def qconv_case(name, x_shape, cout, k, stride=1, pad=0, dilation=1, groups=1, bias=True, per_channel=True, dtype="uint8", wdtype="int8"):
    x = qints(x_shape, dtype)
    w = qints((cout, x_shape[1] // groups, k, k), wdtype)
    sx, zx = np.float32(0.02), np.asarray(RNG.integers(*RANGE[dtype]), dtype=dtype)
    sw = (RNG.random(cout) * 0.01 + 0.002).astype(np.float32) if per_channel else np.float32(0.004)
    zw = np.zeros(cout, wdtype) if per_channel else np.asarray(0, wdtype)
    sy, zy = np.float32(0.37), np.asarray(RANGE[dtype][0] + 100, dtype=dtype)
    b = RNG.integers(-2000, 2000, size=cout).astype(np.int32) if bias else None
    acc = F.conv2d(torch.tensor(x.astype(np.float64) - float(zx))[None][0], torch.tensor(w.astype(np.float64) - zw.astype(np.float64).reshape(-1, 1, 1, 1) if per_channel else w.astype(np.float64) - float(zw)),
                   torch.tensor(b.astype(np.float64)) if bias else None, stride, pad, dilation, groups).numpy()
    mult = (np.float32(sx) * np.asarray(sw, np.float32) / sy).astype(np.float32)
    mult = mult.reshape(1, -1, 1, 1) if per_channel else mult
    y = requantize(acc, mult, zy, dtype)
    attrs = {"outChannels": cout, "kernelSize": [k, k], "stride": stride, "padding": pad, "dilation": dilation, "groups": groups, "bias": bias, "dtype": dtype}
    case(name, "qlinearConv", attrs, [x, np.asarray(sx), zx, np.asarray(sw), zw, np.asarray(sy), zy], [y], {"weight": w, **({"bias": b} if bias else {})})


def main():
    collect(quantizelinear, quantizelinear.QuantizeLinear)
    collect(dequantizelinear, dequantizelinear.DequantizeLinear)
    collect(qlinearconv, qlinearconv.QLinearConv)
    collect(qlinearmatmul, qlinearmatmul.QLinearMatMul)
    collect(convinteger, convinteger.ConvInteger)
    collect(matmulinteger, matmulinteger.MatMulInteger)
    collect(dynamicquantizelinear, dynamicquantizelinear.DynamicQuantizeLinear)

    # quantize: ties go to even, saturation, int8, per axis
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.49, 300, -300], np.float32)
    case("quantizeLinear int8 s=1 z=0: ties to even (0.5→0, 1.5→2, 2.5→2, −2.5→−2), saturation at ±300", "quantizeLinear", {"dtype": "int8"},
         [x, np.float32(1), np.int8(0)], [quantize(x, 1, 0, "int8")])
    x = (RNG.standard_normal((2, 3, 2, 2)) * 3).astype(np.float32)
    s, z = np.array([0.05, 0.1, 0.02], np.float32), np.array([-3, 0, 5], np.int8)
    case("quantizeLinear int8 per axis 1 (3 channels), saturating", "quantizeLinear", {"dtype": "int8", "axis": 1}, [x, s, z], [quantize(x, s, z, "int8")])
    x = (RNG.standard_normal((4, 3)) * 2).astype(np.float32)
    s, z = np.array([0.01, 0.02, 0.03], np.float32), np.array([128, 100, 0], np.uint8)
    case("quantizeLinear uint8 per axis −1 ([4, 3], 3 columns)", "quantizeLinear", {"dtype": "uint8", "axis": -1}, [x, s, z], [quantize(x, s, z, "uint8", axis=1)])
    xq = qints((2, 3, 2, 2), "int8")
    case("dequantizeLinear int8 per axis 1", "dequantizeLinear", {"dtype": "int8", "axis": 1}, [xq, s, np.array([-3, 0, 5], np.int8)],
         [((xq.astype(np.float32) - np.array([-3, 0, 5], np.float32).reshape(1, 3, 1, 1)) * s.reshape(1, 3, 1, 1)).astype(np.float32)])
    b32 = np.array([-70000, 12, 0, 99999], np.int32)
    case("dequantizeLinear int32 bias, no zero point", "dequantizeLinear", {"dtype": "int32", "axis": 0}, [b32, np.float32(0.0003)], [(b32.astype(np.float32) * np.float32(0.0003)).astype(np.float32)])

    # quantized convolutions
    qconv_case("qlinearConv x=[1,3,6,6] k=3 p=1 uint8/int8 per-channel scales, bias", (1, 3, 6, 6), 4, 3, pad=1)
    qconv_case("qlinearConv x=[2,4,7,5] k=3 s=2 g=2 d=1 per-tensor, no bias", (2, 4, 7, 5), 6, 3, stride=2, groups=2, bias=False, per_channel=False)
    qconv_case("qlinearConv x=[1,4,8,8] k=3 p=2 d=2 depthwise (g=4) int8", (1, 4, 8, 8), 4, 3, pad=2, dilation=2, groups=4, dtype="int8")
    x = qints((1, 2, 5, 5), "uint8")
    w = qints((3, 2, 3, 3), "uint8")
    zw = np.array([100, 128, 90], np.uint8)
    acc = F.conv2d(torch.tensor(x.astype(np.float64) - 7), torch.tensor(w.astype(np.float64) - zw.astype(np.float64).reshape(-1, 1, 1, 1)), None, 1, 1).numpy()
    case("convInteger x=[1,2,5,5] k=3 p=1 per-channel weight zero points", "convInteger", {"outChannels": 3, "kernelSize": [3, 3], "padding": 1},
         [x, np.uint8(7), zw], [acc.astype(np.int32)], {"weight": w})

    # quantized matrix products: per-row A zero points, per-column B scales and zero points, batch broadcasting
    a = qints((2, 3, 4), "uint8")
    b = qints((4, 5), "int8")
    za = np.array([10, 128, 250], np.uint8)
    zb = np.array([0, 1, -2, 3, 0], np.int8)
    acc = np.matmul(a.astype(np.float64) - za.reshape(3, 1), b.astype(np.float64) - zb.reshape(1, 5))
    case("matMulInteger A=[2,3,4] B=[4,5] per-row za, per-column zb", "matMulInteger", {}, [a, b, za, zb], [acc.astype(np.int32)])
    sa, sb, sy, zy = np.float32(0.02), (RNG.random(5) * 0.01 + 0.001).astype(np.float32), np.float32(0.05), np.uint8(128)
    acc = np.matmul(a.astype(np.float64) - 128, b.astype(np.float64) - zb.reshape(1, 5))
    y = requantize(acc, (sa * sb / sy).astype(np.float32).reshape(1, 5), zy, "uint8")
    case("qlinearMatMul A=[2,3,4] B=[4,5] per-column b scales and zero points", "qlinearMatMul", {"dtype": "uint8"},
         [a, sa, np.uint8(128), b, sb, zb, sy, zy], [y])

    # QLinearAdd / QLinearMul (com.microsoft): the dequantized result requantized
    a = qints((2, 3, 4), "uint8")
    b = qints((3, 1), "uint8")
    sa, za, sb, zb, sy, zy = np.float32(0.1), np.uint8(120), np.float32(0.05), np.uint8(10), np.float32(0.2), np.uint8(128)
    fa = (sa * (a.astype(np.float32) - np.float32(za))).astype(np.float32)
    fb = (sb * (b.astype(np.float32) - np.float32(zb))).astype(np.float32)
    case("qlinearAdd a=[2,3,4] b=[3,1] broadcast uint8", "qlinearAdd", {"dtype": "uint8"}, [a, sa, za, b, sb, zb, sy, zy],
         [np.clip(np.rint(((fa + fb).astype(np.float32) / sy).astype(np.float32)) + 128, 0, 255).astype(np.uint8)])
    case("qlinearMul a=[2,3,4] b=[3,1] broadcast uint8", "qlinearMul", {"dtype": "uint8"}, [a, sa, za, b, sb, zb, sy, zy],
         [np.clip(np.rint(((fa * fb).astype(np.float32) / sy).astype(np.float32)) + 128, 0, 255).astype(np.uint8)])

    # com.microsoft QLinearGlobalAveragePool and QLinearConcat (ONNX Runtime's formulas, float32)
    x = qints((2, 3, 5, 4), "uint8")
    sx, zx, sy, zy = np.float32(0.05), np.uint8(100), np.float32(0.02), np.uint8(60)
    area = 20
    s = np.float32(sx / np.float32(sy * area))
    total = x.astype(np.int64).sum(axis=(2, 3), keepdims=True) - int(zx) * area
    y = np.clip(np.rint((total.astype(np.float32) * s).astype(np.float32)) + 60, 0, 255).astype(np.uint8)
    case("qlinearGlobalAvgPool x=[2,3,5,4] uint8 (ONNX Runtime's sum·sx/(sy·HW))", "qlinearGlobalAvgPool", {"dtype": "uint8"}, [x, sx, zx, sy, zy], [y])
    a = qints((1, 2, 3, 3), "uint8")
    b = qints((1, 3, 3, 3), "uint8")
    sa, za, sb, zb, sy, zy = np.float32(0.1), np.uint8(128), np.float32(0.03), np.uint8(5), np.float32(0.07), np.uint8(120)
    req = lambda v, s0, z0: np.clip(np.rint((((v.astype(np.float32) - np.float32(z0)) * s0).astype(np.float32) / sy).astype(np.float32)) + np.float32(zy), 0, 255).astype(np.uint8)
    case("qlinearConcat axis=1 of [1,2,3,3] and [1,3,3,3], each requantized", "qlinearConcat", {"axis": 1, "dtype": "uint8"},
         [np.asarray(sy), np.asarray(zy), a, np.asarray(sa), np.asarray(za), b, np.asarray(sb), np.asarray(zb)], [np.concatenate([req(a, sa, za), req(b, sb, zb)], 1)])

    OUT.write_text(json.dumps({"torch": torch.__version__, "source": "onnx backend test cases + ONNX spec formulas", "cases": CASES}, separators=(",", ":")) + "\n")
    print(f"{len(CASES)} cases → {OUT}")


if __name__ == "__main__":
    main()
