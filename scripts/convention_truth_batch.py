#!/usr/bin/env python3
"""Ground truth for the convention presets at batch N > 1: what the real tools print for one module,
or a whole torchvision model, fed a batch of 2 (and 3 where a rule could read the batch apart from
the other leading axes: nn.Linear and nn.LayerNorm on [N, T, C], nn.MultiheadAttention), run from
their sources as scripts/convention_truth.py runs them (same `--tools` folder, same stubs, torch 1.13).
Writes test/fixtures/conventions/batch.json:

  ops     one module as the child `layer` of a model that also holds an unused parameter (calflops
          reads the device of the first parameter, calflops/flops_counter.py l. 121), at batch 1, 2
          (and 3): conv2d (with and without bias, grouped, depthwise), convTranspose2d, linear on
          [N, C] and [N, T, C], batchNorm2d, maxPool2d, avgPool2d, adaptiveAvgPool2d (6×6 to 3, as torch.onnx
          exports only a divisible one, and 4×4 to 1),
          upsample (nearest ×2, bilinear to a size, nearest by a per-axis scale (2, 3) at batch 1, 2 and 3:
          calflops raises unless the batch is the tuple's length), relu, relu then `+ x` (reluAdd: the `+` in the
          model's forward), layerNorm, and nn.MultiheadAttention (convention_truth_ops.Attention, on a map's
          x.flatten(2).transpose(1, 2); attentionTokens, on the input tokens [N, 16, 8] themselves).
          Per batch, every tool's total: thop, ptflops (pytorch backend: the batch through
          input_constructor, as convention_truth_cases.run_ptflops_batched: total, batch counter,
          hooks, functions), ptflops-aten (the batch through input_constructor: the aten backend
          divides by nothing), fvcore, torchinfo, calflops (FLOPs and MACs), onnx-tool (the export at
          that batch, opset 17).
  models  torchvision's resnet18, mobilenet_v2, vit_b_32, maxvit_t (2×3×224×224) and swin_v2_t (2×3×256×256)
          through every tool: totals and per-module figures as convention_truth.measure (ptflops as above;
          a tool that fails records why).
  swin    the one-stage padded Swin of convention_truth_cases.swin_modules (test/fixtures/onnx-math/
          swin_tiny_pad_op17.onnx's model) at 1×3×36×44 and 2×3×36×44, likewise; onnx-tool on this
          script's export at that batch, its shape arithmetic told apart by data flow (profile_onnx).

  /usr/bin/python3 scripts/convention_truth_batch.py --tools /tmp/tools             # every case
  /usr/bin/python3 scripts/convention_truth_batch.py --tools /tmp/tools ops         # only these, merged
  /usr/bin/python3 scripts/convention_truth_batch.py --tools /tmp/tools maxvit_t    # one model, merged
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import convention_truth as ct  # noqa: E402
import convention_truth_cases as ctc  # noqa: E402
import convention_truth_ops as cto  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torchvision.models as tvm  # noqa: E402

OUT = ct.ROOT / "test" / "fixtures" / "conventions" / "batch.json"


class ReluAdd(nn.Module):
    """nn.ReLU, then the model's own `+`: relu(x) + x."""

    def __init__(self):
        super().__init__()
        self.layer = nn.ReLU()

    def forward(self, x):
        return self.layer(x) + x


class Tokens(nn.Module):
    """nn.MultiheadAttention(8, 2, batch_first=True) on the model's input tokens themselves, contiguous [N, L, E]:
    its (L, N, E) transpose is contiguous by torch's rule at N = 1 (a size-1 axis), a strided view at N > 1."""

    def __init__(self):
        super().__init__()
        self.layer = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x):
        return self.layer(x, x, x, need_weights=False)[0]


# (name, module, one sample's shape, batches): test/conventions/batch.test.ts writes each as a spec
OPS = [
    ("conv2d", lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), (3, 8, 8), (1, 2)),
    ("conv2dNoBias", lambda: nn.Conv2d(3, 4, 3, bias=False), (3, 8, 8), (1, 2)),
    ("conv2dGrouped", lambda: nn.Conv2d(4, 6, 3, groups=2), (4, 6, 6), (1, 2)),
    ("conv2dDepthwise", lambda: nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False), (4, 6, 6), (1, 2)),
    ("convTranspose2d", lambda: nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1), (4, 5, 5), (1, 2)),
    ("linear", lambda: nn.Linear(6, 5), (6,), (1, 2, 3)),
    ("linear3d", lambda: nn.Linear(6, 5), (4, 6), (1, 2, 3)),
    ("batchNorm2d", lambda: nn.BatchNorm2d(3), (3, 4, 4), (1, 2)),
    ("maxPool2d", lambda: nn.MaxPool2d(2), (3, 8, 8), (1, 2)),
    ("avgPool2d", lambda: nn.AvgPool2d(3, 2, 1), (3, 8, 8), (1, 2)),
    ("adaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d(3), (2, 6, 6), (1, 2)),
    ("adaptiveAvgPool2dTo1", lambda: nn.AdaptiveAvgPool2d(1), (2, 4, 4), (1, 2)),
    ("upsampleNearest", lambda: nn.Upsample(scale_factor=2, mode="nearest"), (2, 5, 5), (1, 2)),
    ("upsampleBilinear", lambda: nn.Upsample(size=(7, 9), mode="bilinear"), (2, 5, 5), (1, 2)),
    # a per-axis scale: calflops' _upsample_flops_compute compares the tuple's length with len(input), the batch
    ("upsampleScaleTuple", lambda: nn.Upsample(scale_factor=(2, 3), mode="nearest"), (2, 5, 5), (1, 2, 3)),
    ("relu", lambda: nn.ReLU(), (3, 4, 4), (1, 2)),
    ("reluAdd", None, (3, 4, 4), (1, 2)),
    ("layerNorm", lambda: nn.LayerNorm(6), (4, 6), (1, 2, 3)),
    ("attention", None, (8, 4, 4), (1, 2, 3)),
    ("attentionTokens", None, (16, 8), (1, 2, 3)),
]


def model_of(name, ctor):
    """The module as the child `layer` (ReluAdd, Attention: their own models), with the unused parameter."""
    torch.manual_seed(0)
    if name == "reluAdd":
        return cto.anchored(ReluAdd()).eval()
    if name == "attention":
        return cto.anchored(cto.Attention()).eval()
    if name == "attentionTokens":
        return Tokens().eval()
    return ctc.Pool(ctor(), param=True).eval()


def onnx_tool_by_data_flow(model, x):
    """onnx-tool on the export at x's batch, shape arithmetic told apart by data flow (convention_truth_cases.profile_onnx:
    the shifted-window mask, computed from a float map, stays in the layers)."""
    import os
    import tempfile
    import numpy as np
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        ct.export_onnx(model, x, path)
        r = ctc.profile_onnx(path, {"input": np.zeros(tuple(x.shape), dtype=np.float32)})
    return r["total"], r["layers"], r["byOpType"], r["shapeArithmetic"]


def every_tool(model, x, layers=False, data_flow=False):
    """Every tool on the model at x's batch: totals (and with `layers`, per-module figures as convention_truth.measure;
    with `data_flow`, onnx-tool's shape arithmetic by convention_truth_cases.profile_onnx's rule)."""
    out = {}
    pick = (lambda t, ls: {"total": t, "layers": ls}) if layers else (lambda t, _ls: t)
    runs = {
        "thop": lambda: pick(*ct.run_thop(model, x)),
        "ptflops": lambda: ctc.run_ptflops_batched(model, x) if layers else {k: v for k, v in ctc.run_ptflops_batched(model, x).items() if k in ("total", "batch")},
        "ptflops-aten": lambda: pick(*ct.run_ptflops_aten(model, x, batched=True)),
        "fvcore": lambda: pick(*ct.run_fvcore(model, x)),
        "torchinfo": lambda: pick(*ct.run_torchinfo(model, x, device="cpu")),
    }
    for tool, run in runs.items():
        try:
            with ctc.restored():
                out[tool] = run()
        except Exception as e:  # noqa: BLE001 - a tool's refusal is the fixture's datum
            out[tool] = {"error": ctc.refusal(e)}
    try:
        with ctc.restored():
            (f, fl), (m, ml) = ct.run_calflops(model, x)
        out["calflops"], out["calflops-macs"] = pick(f, fl), pick(m, ml)
    except Exception as e:  # noqa: BLE001
        out["calflops"] = out["calflops-macs"] = {"error": ctc.refusal(e)}
    try:
        t, ls, by_op, shape_arithmetic = (onnx_tool_by_data_flow if data_flow else ct.run_onnx_tool)(model.eval(), x)
        out["onnx-tool"] = {"total": t, "shapeArithmetic": shape_arithmetic, **({"layers": ls, "byOpType": by_op} if layers else {})}
    except Exception as e:  # noqa: BLE001 - the exporter's or onnx-tool's refusal is the fixture's datum
        out["onnx-tool"] = {"error": ctc.refusal(e)}
    return out


def ops():
    out = {}
    for name, ctor, shape, batches in OPS:
        out[name] = {}
        for n in batches:
            x = torch.ones(n, *shape)
            r = {"input": list(x.shape), **every_tool(model_of(name, ctor), x)}
            out[name][str(n)] = r
            print(name, n, json.dumps(r), flush=True)
    return out


# torchvision's models at batch 2: (constructor, resolution); the attention models' rules read tokens,
# windows and position-bias MLPs whose cost need not be N times one image's
MODELS = {
    "resnet18": (tvm.resnet18, 224),
    "mobilenet_v2": (tvm.mobilenet_v2, 224),
    "vit_b_32": (tvm.vit_b_32, 224),
    "maxvit_t": (tvm.maxvit_t, 224),
    "swin_v2_t": (tvm.swin_v2_t, 256),
}


def models(only=None):
    out = {}
    for name, (ctor, res) in MODELS.items():
        if only and name not in only:
            continue
        x = torch.ones(2, 3, res, res)
        out[name] = {"input": list(x.shape), **every_tool(ctc.built(ctor), x, layers=True)}
        print(name, {k: v.get("total") for k, v in out[name].items() if isinstance(v, dict)}, flush=True)
    return out


def swin():
    """convention_truth_cases.swin_modules' one-stage padded Swin (embed 8, 2 heads, window 7, the second block
    shifted; 36×44 in: a 9×11 patch grid padded to 14×14) at batch 1 and 2: the shifted block's mask is built
    from the padded map, once per forward whatever the batch, and added to every image's scores."""
    from torchvision.models.swin_transformer import SwinTransformer
    out = {}
    for n in (1, 2):
        torch.manual_seed(10)
        model = SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[2], num_heads=[2], window_size=[7, 7], num_classes=5).eval()
        x = torch.ones(n, 3, 36, 44)
        out[str(n)] = {"input": list(x.shape), **every_tool(model, x, layers=True, data_flow=True)}
        print("swin_tiny_pad", n, {k: v["total"] for k, v in out[str(n)].items() if isinstance(v, dict)}, flush=True)
    return out


CASES = {"ops": ops, "models": models, "swin": swin}


def main():
    args = ct.start("cases", f"any of {', '.join(CASES)} (default: all)")
    unknown = set(args.cases) - set(CASES) - set(MODELS)
    if unknown:
        args.parser.error(f"unknown cases {sorted(unknown)}: {', '.join(CASES)}, or models {', '.join(MODELS)}")
    out = json.loads(OUT.read_text()) if args.cases and OUT.exists() else {"torch": torch.__version__, "tools": {}}
    ct.stamp_tools(out, args.tools)
    named = set(args.cases) & set(MODELS)
    if named:
        # models by name: measured alone, merged into `models`
        out["models"] = {**out.get("models", {}), **models(named)}
        ct.write(OUT, out)
    ct.run_cases(CASES, args.cases, out, OUT)


if __name__ == "__main__":
    main()
