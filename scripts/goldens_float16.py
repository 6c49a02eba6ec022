#!/usr/bin/env python3
"""float16 ONNX graphs and what they must give (runtime/float16-run.ts): test/fixtures/float16/.

Each model is a small graph with FLOAT16 tensors; truth.json holds its inputs and outputs as
little-endian bytes in base64 (`<f2` for float16, `<f4` for float32), with the source of each
expected output:

  add.onnx       torch.onnx.export of a + b, half inputs [8] and [1] (the hunt's 2048 + 1 = 2048:
                 2049 is a tie between 2048 and 2050). Truth: PyTorch 1.13's CPU half add.
  arith.onnx     a + b, a − b, a · b, a / b, a^b (|a|) of half [512] over the whole half range
                 (overflow to ±inf, subnormals, ties). Truth: PyTorch's CPU half kernels.
  sums.onnx      (x·x).sum(1) and x.sum(1) of half [2, 200, 3], batch 0 at scale 20 (the squares
                 sum past 65504: inf in half, ~80,000 in float32), batch 1 at scale 1. Truth: PyTorch
                 (a half sum accumulates in float32 and rounds once).
  mean.onnx      x.mean(1) of half [4, 200, 16] (ReduceMean). Truth: ONNX semantics, the float32 mean
                 rounded once; `torch` holds PyTorch's own, which rounds the sum to half first and
                 then divides: the fixture records how many of its elements differ (the README says so).
  cast.onnx      float32 x → x.half() · 3 → .float(): Cast to FLOAT16, a half Mul, Cast back to FLOAT
                 (output float32, its values halves). Truth: PyTorch.
  convnet.onnx   a float32 export (Conv → BN → ReLU → Conv + residual Add → MaxPool → Flatten → Gemm
                 → Softmax) converted to float16 (initializers, input and output to FLOAT16, BN folded
                 by the export). PyTorch 1.13 has no CPU half conv ("slow_conv2d_cpu" not implemented
                 for 'Half') nor matmul, so truth is ONNX semantics: each node computed by torch's
                 float32 kernels on the graph's half values and rounded to half (`onnx_semantics`,
                 a node-by-node interpreter here, independent of convlens).

Run from the repository root: /usr/bin/python3 scripts/goldens_float16.py
"""
import base64
import io
import json
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, numpy_helper

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "float16"
OUT.mkdir(parents=True, exist_ok=True)


def b64(t):
    a = t.detach().contiguous().numpy() if isinstance(t, torch.Tensor) else np.ascontiguousarray(t)
    dtype = {np.dtype("float16"): "float16", np.dtype("float32"): "float32"}[a.dtype]
    return {"shape": list(a.shape), "dtype": dtype, "base64": base64.b64encode(a.astype(a.dtype.newbyteorder("<")).tobytes()).decode()}


def export(module, args, names, outs, opset=13):
    f = io.BytesIO()
    torch.onnx.export(module, args, f, opset_version=opset, input_names=names, output_names=outs)
    return f.getvalue()


class Add(nn.Module):
    def forward(self, a, b):
        return a + b


class Arith(nn.Module):
    def forward(self, a, b):
        return a + b, a - b, a * b, a / b, a.abs() ** b


class Sums(nn.Module):
    def forward(self, x):
        return (x * x).sum(1), x.sum(1)


class Mean(nn.Module):
    def forward(self, x):
        return x.mean(1)


class CastMul(nn.Module):
    def forward(self, x):
        return (x.half() * 3).float()


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = y + self.conv2(y)
        y = F.max_pool2d(y, 2)
        return F.softmax(self.fc(torch.flatten(y, 1)), dim=1)


def half_values(n, gen):
    """n halves over the whole range: random bit patterns (no NaN, no inf), both signs."""
    bits = torch.randint(0, 0x7C00, (n,), generator=gen, dtype=torch.int32)
    sign = torch.randint(0, 2, (n,), generator=gen, dtype=torch.int32) << 15
    return (bits | sign).to(torch.int16).view(torch.float16)


def to_float16(model_bytes):
    """A float32 ONNX model with its initializers, float Constants, inputs and outputs made FLOAT16."""
    m = onnx.load_from_string(model_bytes)
    g = m.graph
    for t in g.initializer:
        if t.data_type == TensorProto.FLOAT:
            t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name))
    for n in g.node:
        for a in n.attribute:
            if a.name == "value" and a.t.data_type == TensorProto.FLOAT:
                a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float16)))
    for v in list(g.input) + list(g.output):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = TensorProto.FLOAT16
    del g.value_info[:]
    onnx.checker.check_model(m)
    return m.SerializeToString()


def onnx_semantics(model_bytes, feeds):
    """The graph evaluated node by node: torch's float32 kernels on float16 values, each output rounded to half."""
    m = onnx.load_from_string(model_bytes)
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).astype(np.float32)) for t in m.graph.initializer}
    env.update({k: v.float() for k, v in feeds.items()})
    for n in m.graph.node:
        a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
        i = [env[x] for x in n.input]
        if n.op_type == "Conv":
            pads = a.get("pads", [0, 0, 0, 0])
            y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, stride=a.get("strides", [1, 1]), padding=pads[:2], dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))
        elif n.op_type == "Relu":
            y = F.relu(i[0])
        elif n.op_type == "Add":
            y = i[0] + i[1]
        elif n.op_type == "MaxPool":
            y = F.max_pool2d(i[0], a["kernel_shape"], a.get("strides"))
        elif n.op_type == "Flatten":
            y = torch.flatten(i[0], a.get("axis", 1))
        elif n.op_type == "Gemm":
            y = F.linear(i[0], i[1] if a.get("transB", 0) else i[1].t(), i[2])
        elif n.op_type == "Softmax":
            y = F.softmax(i[0], dim=a.get("axis", -1))
        else:
            raise ValueError(f"no reference for {n.op_type}")
        env[n.output[0]] = y.half().float()
    return [env[o.name].half() for o in m.graph.output]


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    truth = {"torch": torch.__version__}

    a = torch.tensor([2048, 2050, 65504, -65504, 2 ** -24, 1, 0.1, 1024], dtype=torch.half)
    b = torch.tensor([1], dtype=torch.half)
    (OUT / "add.onnx").write_bytes(export(Add(), (a, b), ["a", "b"], ["y"]))
    truth["add"] = {"inputs": {"a": b64(a), "b": b64(b)}, "outputs": {"y": b64(Add()(a, b))}, "truth": "torch"}

    a, b = half_values(512, gen), half_values(512, gen)
    # exponents for a^b: small, so some results stay finite
    e = (torch.randn(512, generator=gen) * 2).half()
    names = ["sum", "difference", "product", "quotient", "power"]
    (OUT / "arith.onnx").write_bytes(export(Arith(), (a, b), ["a", "b"], names))
    ys = Arith()(a, b)
    truth["arith"] = {"inputs": {"a": b64(a), "b": b64(b)}, "outputs": {k: b64(y) for k, y in zip(names, ys)}, "truth": "torch"}
    # the same graph at small exponents: a^b finite
    ys = Arith()(a, e)
    truth["arith_small_exponents"] = {"model": "arith", "inputs": {"a": b64(a), "b": b64(e)}, "outputs": {k: b64(y) for k, y in zip(names, ys)}, "truth": "torch"}

    x = torch.cat([torch.randn(1, 200, 3, generator=gen) * 20, torch.randn(1, 200, 3, generator=gen)]).half()
    (OUT / "sums.onnx").write_bytes(export(Sums(), (x,), ["x"], ["sumsq", "sum"]))
    sq, s = Sums()(x)
    truth["sums"] = {"inputs": {"x": b64(x)}, "outputs": {"sumsq": b64(sq), "sum": b64(s)}, "truth": "torch",
                     "float32": {"sumsq": b64((x.float() * x.float()).sum(1))}}

    # rows at scales 0.01, 1, 30, and around 500 (its sum, ~100,000, overflows half: torch's mean is inf there)
    x = (torch.randn(4, 200, 16, generator=gen) * torch.tensor([0.01, 1, 30, 20]).view(4, 1, 1) + torch.tensor([0, 0, 0, 500]).view(4, 1, 1)).half()
    (OUT / "mean.onnx").write_bytes(export(Mean(), (x,), ["x"], ["y"]))
    onnx_mean = x.float().mean(1).half()
    torch_mean = Mean()(x)
    differ = int((onnx_mean.view(torch.int16) != torch_mean.view(torch.int16)).sum())
    truth["mean"] = {"inputs": {"x": b64(x)}, "outputs": {"y": b64(onnx_mean)}, "truth": "onnx", "torch": {"y": b64(torch_mean)}, "torchDiffers": differ}

    x = torch.tensor([0.1, 1 / 3, 21845.5, 30000, -2 ** -25, 1e-7, 2049, 7], dtype=torch.float32)
    (OUT / "cast.onnx").write_bytes(export(CastMul(), (x,), ["x"], ["y"]))
    truth["cast"] = {"inputs": {"x": b64(x)}, "outputs": {"y": b64(CastMul()(x))}, "truth": "torch"}

    net = ConvNet().eval()
    with torch.no_grad():
        net.bn1.running_mean.uniform_(-0.5, 0.5)
        net.bn1.running_var.uniform_(0.5, 2)
        net.bn1.weight.uniform_(0.5, 1.5)
    x = (torch.randn(2, 3, 8, 8, generator=gen) * 2).half()
    model = to_float16(export(net, (x.float(),), ["x"], ["y"]))
    (OUT / "convnet.onnx").write_bytes(model)
    (y,) = onnx_semantics(model, {"x": x})
    truth["convnet"] = {"inputs": {"x": b64(x)}, "outputs": {"y": b64(y)}, "truth": "onnx",
                        "ops": [n.op_type for n in onnx.load_from_string(model).graph.node]}

    (OUT / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    main()
