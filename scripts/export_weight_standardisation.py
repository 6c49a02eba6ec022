#!/usr/bin/env python3
"""Weight-standardised convolutions as torch.onnx.export writes them without constant folding: the
stored weight, and the nodes that standardise it on its way into the Conv (graph/fold-constants.ts
folds them at import).

A small network, 1×3×16×16 → 10 classes, one layer of each form:
  stem    timm's StdConv2d (3 → 8, 3×3, stride 2, pad 1, ε 1e-6): F.batch_norm of the weight reshaped
          to [1, out, −1], training=True, then reshape_as(weight); the export computes the batch's
          mean and variance (ReduceMean, Sub, Mul, ReduceMean) and feeds them to a BatchNormalization
  bit     BiT's StdConv2d (8 → 8, 3×3, pad 1, groups 2): var_mean over [1, 2, 3], (w − m)/√(v + 1e-10):
          ReduceMean, Sub, Mul, ReduceMean, Sub, Add(ε), Sqrt, Div
  scaled  timm's ScaledStdConv2d (NFNet; 8 → 16, 3×3, stride 2, pad 1, γ 1.7015, ε 1e-6): F.batch_norm
          with weight = (gain·γ·fan_in^−½).reshape(−1), the gain a [16, 1, 1, 1] parameter (random)
  inorm   the same standardisation by F.instance_norm of the reshaped weight (16 → 16, 1×1, no bias):
          InstanceNormalization with a scale of ones and a bias of zeros
  deconv  a ConvTranspose2d (16 → 8, 2×2, stride 2) whose weight [16, 8, 2, 2] is standardised per
          input channel (dims 1, 2, 3), as `bit`
  head    global average pooling, then a Linear (8 → 10) whose weight is standardised per output
          feature (F.linear: a Gemm whose B the graph computes, transB 1)

Writes test/fixtures/onnx/ws/ws_<opset>.onnx (opsets 13 and 17, weights kept), ws_17_stripped.onnx
(every initializer over 64 elements loses its data: the gains stay) and truth.json (tests read it;
they never run Python):
  params   PyTorch's sum(p.numel()) over the model and per module (the raw weight, bias and gain)
  macs     per module, with forward hooks: Conv2d output elements × (in/groups)·kh·kw;
           ConvTranspose2d input elements × (out/groups)·kh·kw; Linear rows × in × out
  shapes   each module's output shape
  weights  the standardised weights PyTorch computes (stem and scaled), to compare with the folds
  input, output   one seeded input and the model's output

Past the generic folding caps (65,536 values a fold, MAX_FOLDED_ELEMENTS a graph: src/limits.ts), the
weights a file's float initializers are standardised from fold within limits those initializers set
(graph/fold-budget.ts). `--big` writes the fixture that crosses the first (committed, ~300 KB):
  ws_big_17.onnx   1×3×16×16 → StdConv2d(3 → 64, 3×3, pad 1) → ReLU → StdConv2d(64 → 128, 3×3, stride 2,
                   pad 1: a weight of 73,728 values) → ReLU → mean over H, W → Linear(128 → 10)
  truth_big.json   params, the big conv's standardised weight (its first 64 values and each output
                   channel's sum of squares), input and output

`--resnet50 DIR` writes what is too large to commit (DIR/resnet50_std.onnx, 98 MB, and
DIR/resnet50_std.json: input and output): torchvision's ResNet-50 with every Conv2d a timm StdConv2d
(eps 1e-6, weights kept, opset 17, 224×224), its BatchNorms' running statistics calibrated on random
batches so the activations stay finite (scripts/fold-resnet50.ts runs it: a probe of import, fold and run time, peak RSS and max abs difference, not a bench).

Run: /usr/bin/python3 scripts/export_weight_standardisation.py [--big | --resnet50 DIR]   (Debian python3-torch, python3-onnx)
"""
import argparse
import json
from pathlib import Path

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

from golden_kit import enc, strip_weights

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "ws"


class StdConv2d(nn.Conv2d):
    """timm.layers.std_conv.StdConv2d: the weight standardised by F.batch_norm over [1, out, −1]."""

    def __init__(self, *args, eps=1e-6, **kwargs):
        super().__init__(*args, **kwargs)
        self.eps = eps

    def standardised(self):
        return F.batch_norm(self.weight.reshape(1, self.out_channels, -1), None, None, training=True, momentum=0.0, eps=self.eps).reshape_as(self.weight)

    def forward(self, x):
        return F.conv2d(x, self.standardised(), self.bias, self.stride, self.padding, self.dilation, self.groups)


class BitStdConv2d(nn.Conv2d):
    """big_transfer's StdConv2d: (w − mean)/√(var + 1e-10) per output channel, written out."""

    def forward(self, x):
        v, m = torch.var_mean(self.weight, dim=[1, 2, 3], keepdim=True, unbiased=False)
        w = (self.weight - m) / torch.sqrt(v + 1e-10)
        return F.conv2d(x, w, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ScaledStdConv2d(nn.Conv2d):
    """timm.layers.std_conv.ScaledStdConv2d (NFNets): gain·γ·fan_in^−½ as the batch norm's weight."""

    def __init__(self, *args, gamma=1.0, eps=1e-6, **kwargs):
        super().__init__(*args, **kwargs)
        self.gain = nn.Parameter(torch.full((self.out_channels, 1, 1, 1), 1.0))
        self.scale = gamma * self.weight[0].numel() ** -0.5
        self.eps = eps

    def standardised(self):
        return F.batch_norm(self.weight.reshape(1, self.out_channels, -1), None, None, weight=(self.gain * self.scale).reshape(-1), training=True, momentum=0.0, eps=self.eps).reshape_as(self.weight)

    def forward(self, x):
        return F.conv2d(x, self.standardised(), self.bias, self.stride, self.padding, self.dilation, self.groups)


class InstanceStdConv2d(nn.Conv2d):
    """The standardisation by F.instance_norm of the weight reshaped to [1, out, −1]."""

    def forward(self, x):
        w = F.instance_norm(self.weight.reshape(1, self.out_channels, -1), eps=1e-5).reshape_as(self.weight)
        return F.conv2d(x, w, self.bias, self.stride, self.padding, self.dilation, self.groups)


class StdConvTranspose2d(nn.ConvTranspose2d):
    def forward(self, x):
        v, m = torch.var_mean(self.weight, dim=[1, 2, 3], keepdim=True, unbiased=False)
        w = (self.weight - m) / torch.sqrt(v + 1e-5)
        return F.conv_transpose2d(x, w, self.bias, self.stride, self.padding, self.output_padding, self.groups, self.dilation)


class StdLinear(nn.Linear):
    def forward(self, x):
        v, m = torch.var_mean(self.weight, dim=1, keepdim=True, unbiased=False)
        return F.linear(x, (self.weight - m) / torch.sqrt(v + 1e-5), self.bias)


class WSNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = StdConv2d(3, 8, 3, stride=2, padding=1, eps=1e-6)
        self.bit = BitStdConv2d(8, 8, 3, padding=1, groups=2)
        self.scaled = ScaledStdConv2d(8, 16, 3, stride=2, padding=1, gamma=1.7015, eps=1e-6)
        self.inorm = InstanceStdConv2d(16, 16, 1, bias=False)
        self.deconv = StdConvTranspose2d(16, 8, 2, stride=2)
        self.head = StdLinear(8, 10)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = F.relu(self.bit(x))
        x = F.relu(self.scaled(x))
        x = F.relu(self.inorm(x))
        x = F.relu(self.deconv(x))
        return self.head(x.mean(dim=(2, 3)))


def macs_of(module, inp, out):
    if isinstance(module, nn.ConvTranspose2d):
        return inp[0].numel() * module.out_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
    if isinstance(module, nn.Conv2d):
        return out.numel() * module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
    return out.numel() * module.in_features


def small():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(11)
    model = WSNet().eval()
    with torch.no_grad():
        model.scaled.gain.uniform_(0.5, 1.5)
    x = torch.randn(1, 3, 16, 16)
    modules, hooks = {}, []
    for name, m in model.named_children():
        hooks.append(m.register_forward_hook(lambda mod, i, o, name=name: modules.__setitem__(name, {"params": sum(p.numel() for p in mod.parameters()), "macs": macs_of(mod, i, o), "outputShape": list(o.shape)})))
    with torch.no_grad():
        y = model(x)
    for h in hooks:
        h.remove()
    truth = {
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "params": sum(p.numel() for p in model.parameters()),
        "modules": modules,
        "weights": {"stem": enc(model.stem.standardised().detach()), "scaled": enc(model.scaled.standardised().detach())},
        "input": enc(x),
        "output": enc(y),
        "files": {},
    }
    for opset in (13, 17):
        path = OUT / f"ws_{opset}.onnx"
        torch.onnx.export(model, x, str(path), opset_version=opset, do_constant_folding=False, input_names=["input"], output_names=["output"])
        g = onnx.load(str(path)).graph
        truth["files"][path.name] = {"opset": opset, "nodes": sorted({n.op_type for n in g.node}), "initializers": sorted(t.name for t in g.initializer)}
    stripped = OUT / "ws_17_stripped.onnx"
    stripped.write_bytes((OUT / "ws_17.onnx").read_bytes())
    strip_weights(stripped)
    (OUT / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    print({k: v for k, v in truth.items() if k not in ("input", "output", "weights")})


class BigNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = StdConv2d(3, 64, 3, padding=1, eps=1e-6)
        self.big = StdConv2d(64, 128, 3, stride=2, padding=1, eps=1e-6)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.big(F.relu(self.stem(x))))
        return self.head(x.mean(dim=(2, 3)))


def big():
    torch.manual_seed(12)
    model = BigNet().eval()
    x = torch.randn(1, 3, 16, 16)
    with torch.no_grad():
        y = model(x)
        w = model.big.standardised()
    path = OUT / "ws_big_17.onnx"
    torch.onnx.export(model, x, str(path), opset_version=17, do_constant_folding=False, input_names=["input"], output_names=["output"])
    truth = {
        "torch": torch.__version__,
        "params": sum(p.numel() for p in model.parameters()),
        "bigWeight": {"shape": list(w.shape), "first": enc(w.flatten()[:64])["data"], "sumSquares": enc(w.pow(2).sum(dim=(1, 2, 3)))["data"]},
        "input": enc(x),
        "output": enc(y),
    }
    (OUT / "truth_big.json").write_text(json.dumps(truth, indent=1) + "\n")
    print({"bytes": path.stat().st_size, "params": truth["params"]})


def std_resnet50():
    """torchvision's ResNet-50 with each Conv2d a StdConv2d of the same geometry and weight."""
    import torchvision

    model = torchvision.models.resnet50(weights=None)

    def swap(parent):
        for name, child in parent.named_children():
            if isinstance(child, nn.Conv2d):
                std = StdConv2d(child.in_channels, child.out_channels, child.kernel_size, stride=child.stride, padding=child.padding, dilation=child.dilation, groups=child.groups, bias=child.bias is not None, eps=1e-6)
                std.load_state_dict(child.state_dict())
                setattr(parent, name, std)
            else:
                swap(child)

    swap(model)
    return model


def resnet50(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(50)
    model = std_resnet50()
    # running statistics from random batches (cumulative average), so eval-mode activations stay finite
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(4, 3, 224, 224))
    model.eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        y = model(x)
    path = out / "resnet50_std.onnx"
    torch.onnx.export(model, x, str(path), opset_version=17, do_constant_folding=False, input_names=["input"], output_names=["output"])
    (out / "resnet50_std.json").write_text(json.dumps({"torch": torch.__version__, "params": sum(p.numel() for p in model.parameters()), "input": enc(x), "output": enc(y)}) + "\n")
    print({"bytes": path.stat().st_size, "convs": sum(isinstance(m, StdConv2d) for m in model.modules()), "output range": [float(y.min()), float(y.max())]})


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", action="store_true", help="only the fixture past 65,536 values (ws_big_17.onnx, truth_big.json)")
    ap.add_argument("--resnet50", metavar="DIR", help="only ResNet-50 with StdConv2d, into DIR (not a fixture: 98 MB)")
    args = ap.parse_args()
    if args.resnet50:
        resnet50(args.resnet50)
    elif args.big:
        big()
    else:
        small()
        big()
