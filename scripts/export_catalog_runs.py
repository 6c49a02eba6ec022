#!/usr/bin/env python3
"""One builder of each torchvision 0.14 classification / segmentation family, RUN (issue 10).

For the smallest builder of each architecture family (FAMILIES), the model is built untrained
(weights=None, torch.manual_seed(0)), then its parameters are given values that make every layer
matter (perturb(), seeded):
  BatchNorm, LayerNorm, GroupNorm (incl. LayerNorm2d)   γ ~ U(0.5, 1.5), β ~ N(0, 0.1)
  any other parameter that is one constant (zero biases, ViT's class token and zero head, ConvNeXt's
              layer scale 1e-6, Swin V2's logit scale log 10): + N(0, 0.1)
  BatchNorm statistics: measured (calibrate()): one forward in training mode over a batch of the
              formula input and 3 seeded N(0, 1) images, momentum None (the batch's own mean and
              variance), the variance then raised by a floor (FLOORS: the first of 0, 0.1, 0.3 × the
              layer's median variance that keeps the model well conditioned; varianceFloor in the
              fixture). Untrained statistics (μ 0, σ² 1) make BN the identity, and random ones
              (scripts/export_onnx.py randomize_bn) do not normalise: through MobileNetV2's 17 blocks
              the input's part of the output fell to 1e-7 of it (every logit a constant of β's), so a
              kernel that ignored the input would have matched PyTorch.
The fixture states inputEffect = max |y(x) − y(0)| / max |y(x)|: how much of the compared output
depends on the input (the test demands ≥ 0.05), and float32Noise = max |y − y64| / max |y64|, PyTorch's
own float32 output against the same model run in float64: what rounding alone moves (≤ 3e-5 for
every family, against the test's tolerance of 1e-4).
The model is then put in eval mode and exported with torch.onnx.export at opset 17 WITH its weights to
tmp/catalog-runs/<name>.onnx (not in git: up to 530 MB for vgg11), training=PRESERVE as
scripts/export_catalog.py does (BatchNorm stays a node), constant folding on except for Swin and
MaxViT (export_catalog.NO_FOLDING; Swin V2's in-place zero through its aten::zero symbolic).
Segmentation models are exported with their "out" map only (the builders' default: no aux head).

Input: 1×3×S×S, S the smallest side the family takes (64 for CNNs; inception_v3 75; ViT, Swin and
MaxViT 224; AlexNet and VGG 224: torch 1.13 exports adaptive average pooling only to a factor of its
input size, and their pools go to 6×6 and 7×7), by a formula the test rebuilds without Python (INPUT_FORMULA). PyTorch's eager output for it
goes to test/fixtures/catalog-runs/<name>.json: every value when the output has ≤ 4096 elements,
otherwise every `stride`-th value (≤ 2048 of them) plus the first and last 64, and float64
statistics (sum, sum of squares, min, max) of the whole output.

Run from the repository root, one model at a time (exports of big models take minutes and GBs):
  nice -n 10 /usr/bin/python3 scripts/export_catalog_runs.py [names…] [--keep-onnx]   (default: all FAMILIES;
  --keep-onnx writes only the fixture where the file exists, for a model whose file it does not change)
"""
import copy
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torchvision
import torchvision.models as tvm
import torchvision.models.segmentation as seg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export_catalog import BUILDER_KW, NO_FOLDING, register_zero_symbolic  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "tmp" / "catalog-runs"
OUT = ROOT / "test" / "fixtures" / "catalog-runs"
OPSET = 17
INPUT_FORMULA = "x[i] = float32(sin(0.37·i) · (1 + (i mod 7) / 7)), i the flat NCHW index (float64 sin, then rounded to float32)"
# BatchNorm variance floors tried in turn (calibrate: + floor × the layer's median variance), the
# first that keeps PyTorch's own float32 rounding of the output ≤ MAX_NOISE of it and the input's part
# ≥ MIN_EFFECT is used. The measured statistics alone (floor 0) can be ill-conditioned: inception_v3's
# float32 output was 1.7e-4 from its float64 run (a 1e-4 comparison would test rounding, not
# kernels); a floor of 0.1 divides every channel by √1.1 more, which through MobileNetV3-Small's
# ~50 BNs shrinks the input's part of the output to 2% (the β-driven constant part stays).
FLOORS = (0.0, 0.1, 0.3)
MAX_NOISE = 3e-5
MIN_EFFECT = 0.05
FULL = 4096
SAMPLES = 2048
EDGE = 64

# family → (builder, input side): the smallest builder of each family, the smallest side it accepts
FAMILIES = {
    "alexnet": ("alexnet", 224),  # the exporter takes adaptive pooling only to a factor of its input: 6×6 features
    "vgg": ("vgg11", 224),  # 7×7 features (its AdaptiveAvgPool2d((7, 7)))
    "resnet": ("resnet18", 64),
    "resnext": ("resnext50_32x4d", 64),
    "wide_resnet": ("wide_resnet50_2", 64),
    "squeezenet1_0": ("squeezenet1_0", 64),
    "squeezenet1_1": ("squeezenet1_1", 64),
    "densenet": ("densenet121", 64),
    "googlenet": ("googlenet", 64),
    "inception": ("inception_v3", 75),
    "mobilenet_v2": ("mobilenet_v2", 64),
    "mobilenet_v3": ("mobilenet_v3_small", 64),
    "mnasnet": ("mnasnet0_5", 64),
    "shufflenet_v2": ("shufflenet_v2_x0_5", 64),
    "efficientnet": ("efficientnet_b0", 64),
    "efficientnet_v2": ("efficientnet_v2_s", 64),
    "regnet_x": ("regnet_x_400mf", 64),
    "regnet_y": ("regnet_y_400mf", 64),
    "convnext": ("convnext_tiny", 64),
    "vit": ("vit_b_32", 224),
    "swin": ("swin_t", 224),
    "swin_v2": ("swin_v2_t", 224),
    "maxvit": ("maxvit_t", 224),
    "fcn": ("fcn_resnet50", 64),
    "deeplabv3": ("deeplabv3_mobilenet_v3_large", 64),
    "lraspp": ("lraspp_mobilenet_v3_large", 64),
}

# more inputs for a family (file stem → family, builder, side): ResNet-18 at 224, whose 112×112 stem
# output and 56×56 maps take other kernel paths than at 64 (the service splits a conv over a map of
# ≥ 112 output rows by rows between threads)
VARIANTS = {"resnet18_224": ("resnet", "resnet18", 224)}


def make_input(side):
    i = np.arange(3 * side * side, dtype=np.float64)
    x = (np.sin(0.37 * i) * (1 + (i % 7) / 7)).astype(np.float32)
    return torch.from_numpy(x.reshape(1, 3, side, side))


def perturb(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm)) and m.weight is not None:
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
        normed = {id(p) for m in model.modules() if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm)) for p in m.parameters(recurse=False)}
        for p in model.parameters():
            if id(p) not in normed and p.numel() >= 1 and bool((p == p.flatten()[0]).all()):
                p.add_(torch.randn_like(p) * 0.1)


def calibrate(model, side, floor):
    """BatchNorm running statistics of a batch: the formula input and 3 seeded N(0, 1) images."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: after one batch, that batch's statistics
    torch.manual_seed(1)  # train mode: dropout and stochastic depth draw from the global generator
    g = torch.Generator().manual_seed(1)
    batch = torch.cat([make_input(side), torch.randn(3, 3, side, side, generator=g)])
    model.train()
    with torch.no_grad():
        model(batch)
    for m, momentum in zip(bns, momenta):
        m.momentum = momentum
        # + floor × the layer's median variance: see FLOORS
        m.running_var.add_(floor * float(m.running_var.median()))


class SegOut(nn.Module):
    """A segmentation model's "out" map (the builders' default has no auxiliary output)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def encode_output(y):
    flat = y.detach().double().flatten().numpy()
    n = flat.size
    out = {"shape": list(y.shape), "n": int(n)}
    f32 = lambda a: [float(str(v)) for v in a.astype(np.float32)]  # the shortest decimal that reads back as the float32
    if n <= FULL:
        out["data"] = f32(flat)
    else:
        stride = math.ceil(n / SAMPLES)
        out.update(stride=stride, sample=f32(flat[::stride]), first=f32(flat[:EDGE]), last=f32(flat[-EDGE:]))
    out["stats"] = {"sum": float(flat.sum()), "sumSquares": float((flat * flat).sum()), "min": float(flat.min()), "max": float(flat.max())}
    return out


def export(family, name, side, keep=False, stem=None):
    stem = stem or name
    kind = "segmentation" if hasattr(seg, name) else "classification"
    builder = getattr(seg if kind == "segmentation" else tvm, name)
    torch.manual_seed(0)
    kw = dict(BUILDER_KW.get(name, {}))
    if kind == "segmentation":
        kw["weights_backbone"] = None  # the default would download ImageNet weights for the backbone
    model = builder(weights=None, **kw)
    if kind == "segmentation":
        model = SegOut(model)
    perturb(model)
    params = sum(p.numel() for p in model.parameters())
    x = make_input(side)
    base = model
    for floor in FLOORS:
        model = copy.deepcopy(base)
        calibrate(model, side, floor)
        model.eval()
        t0 = time.time()
        with torch.no_grad():
            y = model(x)
        eager = time.time() - t0
        with torch.no_grad():
            effect = float((y - model(torch.zeros_like(x))).abs().max() / y.abs().max())
            y64 = copy.deepcopy(model).double()(x.double())
            noise = float((y.double() - y64).abs().max() / y64.abs().max())
        if noise <= MAX_NOISE and effect >= MIN_EFFECT:
            break
    else:
        raise RuntimeError(f"{name}: no variance floor of {FLOORS} gives float32 noise <= {MAX_NOISE} and input effect >= {MIN_EFFECT}")
    del base
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"{stem}.onnx"
    t0 = time.time()
    folding = not name.startswith(NO_FOLDING)
    if not (keep and path.exists()):
        torch.onnx.export(model, x, str(path), opset_version=OPSET, input_names=["input"], output_names=["output"],
                          do_constant_folding=folding, training=torch.onnx.TrainingMode.PRESERVE)
    seconds = time.time() - t0
    fixture_path = OUT / f"{stem}.json"
    if keep and seconds < 1 and fixture_path.exists():  # the file was kept: its export's time is the old fixture's
        seconds = json.loads(fixture_path.read_text()).get("exportSeconds", None)
    fixture = {
        "torch": torch.__version__, "torchvision": torchvision.__version__, "family": family, "model": name, "kind": kind,
        "params": params, "opset": OPSET, "constantFolding": folding, "file": f"tmp/catalog-runs/{stem}.onnx",
        "input": {"shape": list(x.shape), "formula": INPUT_FORMULA}, "varianceFloor": floor, "inputEffect": round(effect, 4), "float32Noise": float(f"{noise:.3g}"), "output": encode_output(y),
        "eagerSeconds": round(eager, 3), "exportSeconds": None if seconds is None else round(seconds, 1), "onnxBytes": path.stat().st_size,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    if stem != name:
        fixture["variant"] = stem
    fixture_path.write_text(json.dumps(fixture) + "\n")
    o = fixture["output"]
    print(f"{name}: {params:,} params, {x.shape[-1]}², output {o['shape']} max|y| {max(abs(o['stats']['min']), abs(o['stats']['max'])):.4g}, "
          f"floor {floor}, input effect {effect:.3f}, float32 noise {noise:.2e}, eager {eager:.2f}s, export {seconds if seconds is None else round(seconds, 1)}s, {path.stat().st_size / 1e6:.1f} MB", flush=True)


def main():
    register_zero_symbolic()
    keep = "--keep-onnx" in sys.argv  # only the fixture: a model without BatchNorm whose file is unchanged
    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    chosen = [(f, n, s, None) for f, (n, s) in FAMILIES.items() if not names or n in names or f in names]
    chosen += [(f, n, s, stem) for stem, (f, n, s) in VARIANTS.items() if not names or stem in names]
    failed = []
    for family, name, side, stem in chosen:
        try:
            export(family, name, side, keep, stem)
        except Exception as e:  # noqa: BLE001 — one failed export must not stop the others
            failed.append(name)
            print(f"{name}: FAILED {type(e).__name__}: {str(e).splitlines()[0][:300]}", flush=True)
    if failed:
        sys.exit(f"failed: {' '.join(failed)}")


if __name__ == "__main__":
    main()
