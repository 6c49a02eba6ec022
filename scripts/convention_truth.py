#!/usr/bin/env python3
"""Ground truth for convlens's counting-convention presets (src/conventions/): what the real tools print.

Writes test/fixtures/conventions/truth.json: for each model (torchvision's, and a PyTorch U-Net built
exactly as src/zoo/segmentation.ts builds `unet`), per tool, the total and the count of every leaf
module (or ONNX node) that the tool charged a non-zero amount:

  thop          ultralytics-thop  thop.profile(model, (x,), ret_layer_info=True)            "MACs"
  ptflops       ptflops           get_model_complexity_info(..., backend='pytorch')          "MACs"
                                  (module hooks + patched torch.nn.functional / tensor ops)
  ptflops-aten  ptflops           get_model_complexity_info(..., backend='aten')             "MACs"
  fvcore        fvcore            FlopCountAnalysis(model.eval(), x).total() / by_module()   "flops" (= MACs)
  torchinfo     torchinfo         summary(model, input_size).total_mult_adds                 "mult-adds"
  calflops      calflops          calculate_flops(model, input_shape) -> flops               "FLOPs"
  calflops-macs calflops          calculate_flops(model, input_shape) -> macs                "MACs"
  onnx-tool     onnx-tool         Model(f).graph.shape_infer(); graph.profile(); graph.macs  "MACs"
                                  on torch.onnx.export(model, training=PRESERVE, opset 17)

The tools are run from source checkouts (none of them needs compiling): pass the folder holding them,
one sub-folder per repository named owner+name (as the search tool's fetch lays them out), e.g.

  /usr/bin/python3 scripts/convention_truth.py --tools /tmp/tools            # every model
  /usr/bin/python3 scripts/convention_truth.py --tools /tmp/tools resnet50   # only these, merged

  /tmp/tools/ultralytics+thop                  github.com/ultralytics/thop
  /tmp/tools/sovrasov+flops-counter.pytorch    github.com/sovrasov/flops-counter.pytorch
  /tmp/tools/facebookresearch+fvcore           github.com/facebookresearch/fvcore
  /tmp/tools/TylerYep+torchinfo                github.com/TylerYep/torchinfo
  /tmp/tools/MrYxJ+calculate-flops.pytorch     github.com/MrYxJ/calculate-flops.pytorch
  /tmp/tools/ThanatosShinji+onnx-tool          github.com/ThanatosShinji/onnx-tool

(a folder without .git, such as `git archive` output, may name its commit in a COMMIT file).
The video models (mvit_v1_b, mvit_v2_s) take 1×3×16×224×224, the zoo's clip, and each runs in a process
of its own with its address space limited (VIDEO_ADDRESS_SPACE); onnx-tool cannot read their export
(ONNX_TOOL_FAILS), so their onnx-tool entry is its error.
onnx-tool also reports `shapeArithmetic`: what it charged the export's integer shape computations
(a view's sizes), which convlens evaluates as constants (report.totals.folded) instead of layers.

Packages the tools import only to print tables, read files or load language models (tabulate,
termcolor, tqdm, iopath, transformers, accelerate, huggingface_hub) are stubbed when absent: no
counting code lives in them. Debian's python3-torch (1.13) and python3-torchvision, and onnx.
The tests read the JSON; nothing in CI runs Python.
"""
import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torchvision.models as tvm

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "conventions" / "truth.json"

REPOS = {
    "thop": "ultralytics+thop",
    "ptflops": "sovrasov+flops-counter.pytorch",
    "fvcore": "facebookresearch+fvcore",
    "torchinfo": "TylerYep+torchinfo",
    "calflops": "MrYxJ+calculate-flops.pytorch",
    "onnx-tool": "ThanatosShinji+onnx-tool",
}

MODELS = {
    "alexnet": (tvm.alexnet, 224, {}),
    "vgg11": (tvm.vgg11, 224, {}),
    "vgg16": (tvm.vgg16, 224, {}),
    "vgg16_bn": (tvm.vgg16_bn, 224, {}),
    "resnet18": (tvm.resnet18, 224, {}),
    "resnet34": (tvm.resnet34, 224, {}),
    "resnet50": (tvm.resnet50, 224, {}),
    "resnet101": (tvm.resnet101, 224, {}),
    "mobilenet_v2": (tvm.mobilenet_v2, 224, {}),
    "mobilenet_v3_large": (tvm.mobilenet_v3_large, 224, {}),
    "mobilenet_v3_small": (tvm.mobilenet_v3_small, 224, {}),
    "shufflenet_v2_x1_0": (tvm.shufflenet_v2_x1_0, 224, {}),
    "squeezenet1_1": (tvm.squeezenet1_1, 224, {}),
    "googlenet": (tvm.googlenet, 224, {"aux_logits": False, "init_weights": False}),
    "inception_v3": (tvm.inception_v3, 299, {"aux_logits": True, "init_weights": False}),
    "densenet121": (tvm.densenet121, 224, {}),
    "efficientnet_b0": (tvm.efficientnet_b0, 224, {}),
    "deeplabv3_resnet50": (tvm.segmentation.deeplabv3_resnet50, 520, {"weights_backbone": None, "aux_loss": True}),
    "unet": (None, 256, {}),
    "convnext_tiny": (tvm.convnext_tiny, 224, {}),
    "vit_b_16": (tvm.vit_b_16, 224, {}),
    "maxvit_t": (tvm.maxvit_t, 224, {}),
    "swin_v2_t": (tvm.swin_v2_t, 256, {}),
    "mvit_v1_b": (tvm.video.mvit_v1_b, 224, {}),
    "mvit_v2_s": (tvm.video.mvit_v2_s, 224, {}),
}

# video models: the clip length, input [1, 3, frames, side, side] (the zoo's: src/zoo/mvit.ts, 16 frames)
FRAMES = {"mvit_v1_b": 16, "mvit_v2_s": 16}


# models torch.onnx (1.13) refuses to export: onnx-tool's entry is the exporter's error, not a count
ONNX_REFUSED = {"swin_v2_t"}
# models whose export onnx-tool cannot read: its shape inference raises (MViT's Pool splits the class token
# off with torch.tensor_split, exported as SequenceEmpty + Loop + SequenceInsert + SequenceAt, and onnx-tool
# has no value_infer for SequenceEmpty): onnx-tool's entry is its error, not a count
ONNX_TOOL_FAILS = {"mvit_v1_b", "mvit_v2_s"}
# a video model's process runs with its address space limited (export_catalog.py's VIDEO_ADDRESS_SPACE):
# torch 1.13's ONNX shape inference tries to fold a node of mvit_v2_s's relative-position path into a
# 417 GB tensor, which, unlimited, grows until the OOM killer ends it; limited, torch exports it unfolded
VIDEO_ADDRESS_SPACE = 12_000_000 << 10


class UNet(nn.Module):
    """src/zoo/segmentation.ts `unet`: 4 levels, base 64, max-pool down, ConvTranspose2d(k 2, s 2) up,
    concat skips (skip first), double conv = (conv 3×3 no bias → BN → ReLU) × 2, 1×1 conv to 2 classes."""

    def __init__(self, base=64, depth=4, classes=2):
        super().__init__()

        def double(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                                 nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

        self.depth = depth
        self.inc = double(3, base)
        for i in range(1, depth + 1):
            setattr(self, f"down{i}", nn.Sequential(nn.MaxPool2d(2), double(base * 2 ** (i - 1), base * 2 ** i)))
        for i in range(1, depth + 1):
            w = base * 2 ** (depth - i)
            setattr(self, f"up{i}", nn.ConvTranspose2d(w * 2, w, 2, stride=2))
            setattr(self, f"conv{i}", double(w * 2, w))
        self.outc = nn.Conv2d(base, classes, 1)

    def forward(self, x):
        skips = [self.inc(x)]
        for i in range(1, self.depth + 1):
            skips.append(getattr(self, f"down{i}")(skips[-1]))
        x = skips[-1]
        for i in range(1, self.depth + 1):
            up = getattr(self, f"up{i}")(x)
            x = getattr(self, f"conv{i}")(torch.cat([skips[self.depth - i], up], 1))
        return self.outc(x)


def build(name):
    ctor, res, kw = MODELS[name]
    torch.manual_seed(0)
    model = UNet() if ctor is None else ctor(weights=None, **kw)
    return model.eval(), res


def stub(name, **attrs):
    """A stand-in for a package the tools import only for printing or language models."""
    if name in sys.modules:
        return
    try:
        __import__(name)
        return
    except ImportError:
        pass
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        mod_name = ".".join(parts[:i])
        if mod_name not in sys.modules:
            sys.modules[mod_name] = types.ModuleType(mod_name)
        if i > 1:
            setattr(sys.modules[".".join(parts[: i - 1])], parts[i - 1], sys.modules[mod_name])
    for k, v in attrs.items():
        setattr(sys.modules[name], k, v)


class _Anything:
    def __init__(self, *a, **k):
        pass

    def __call__(self, *a, **k):
        return self

    def __getattr__(self, _):
        return _Anything()


def prepare_imports(tools):
    for repo in REPOS.values():
        sys.path.insert(0, str(Path(tools) / repo))
    stub("tabulate", tabulate=lambda *a, **k: "")
    sys.modules["tabulate"].tabulate = getattr(sys.modules["tabulate"], "tabulate", lambda *a, **k: "")
    stub("termcolor", colored=lambda s, *a, **k: s)
    stub("tqdm", tqdm=lambda it=None, *a, **k: it)
    stub("iopath.common.file_io", HTTPURLHandler=_Anything, PathManager=_Anything)
    stub("transformers", AutoTokenizer=_Anything)
    stub("huggingface_hub", model_info=_Anything)
    stub("huggingface_hub.utils", GatedRepoError=Exception, RepositoryNotFoundError=Exception)
    stub("accelerate", init_empty_weights=_Anything)
    stub("accelerate.utils", is_timm_available=lambda: False, is_transformers_available=lambda: False)


def revision(tools, repo):
    """The checkout's commit: `git rev-parse HEAD`, or a COMMIT file beside an exported tree."""
    folder = Path(tools) / repo
    try:
        return subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        marker = folder / "COMMIT"
        return marker.read_text().strip() if marker.exists() else None


def leaf_names(model):
    return {id(m): n for n, m in model.named_modules() if not list(m.children())}


def nonzero(d):
    return {k: int(v) for k, v in d.items() if v}


@contextlib.contextmanager
def module_stack(model):
    """Tracks the module whose forward is running, to attribute functional calls to it."""
    stack = [""]
    names = {id(m): n for n, m in model.named_modules()}
    handles = []
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(lambda mod, inp: stack.append(names[id(mod)])))
        handles.append(m.register_forward_hook(lambda mod, inp, out: None if stack.pop() else None))
    try:
        yield stack
    finally:
        for h in handles:
            h.remove()


def run_thop(model, x):
    from thop import profile
    total, _params, tree = profile(model, inputs=(x,), verbose=False, ret_layer_info=True)
    layers = {}

    def walk(prefix, d):
        for k, (ops, _p, sub) in d.items():
            name = f"{prefix}{k}"
            if sub:
                walk(name + ".", sub)
            else:
                layers[name] = ops

    walk("", tree)
    return int(total), nonzero(layers)


def run_ptflops(model, x):
    import ptflops.pytorch_engine as engine
    import ptflops.pytorch_ops as ops
    from ptflops import get_model_complexity_info
    per_module = {}
    # every module, not only leaves: nn.MultiheadAttention holds out_proj yet has a hook of its own
    names = {id(m): n for n, m in model.named_modules() if n}
    original_remove = engine.remove_flops_counter_variables

    def record(module):
        if hasattr(module, "__flops__") and id(module) in names:
            per_module[names[id(module)]] = per_module.get(names[id(module)], 0) + module.__flops__
        original_remove(module)

    functional = {}
    with module_stack(model) as stack:
        def attributed(handler):
            def wrapped(*args, **kwargs):
                flops = handler(*args, **kwargs)
                functional[stack[-1]] = functional.get(stack[-1], 0) + int(flops)
                return flops
            return wrapped

        saved = (dict(ops.FUNCTIONAL_MAPPING), dict(ops.TENSOR_OPS_MAPPING))
        for table in (ops.FUNCTIONAL_MAPPING, ops.TENSOR_OPS_MAPPING):
            for k in table:
                table[k] = attributed(table[k])
        engine.remove_flops_counter_variables = record
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                macs, _ = get_model_complexity_info(model, tuple(x.shape[1:]), as_strings=False, print_per_layer_stat=False, backend="pytorch")
        finally:
            engine.remove_flops_counter_variables = original_remove
            ops.FUNCTIONAL_MAPPING.clear()
            ops.FUNCTIONAL_MAPPING.update(saved[0])
            ops.TENSOR_OPS_MAPPING.clear()
            ops.TENSOR_OPS_MAPPING.update(saved[1])
    if macs is None:
        # get_model_complexity_info prints the exception and returns None: torchvision's ViT calls its
        # nn.MultiheadAttention with keywords (query=, key=, value=), so the hook's positional `input` is empty
        return None, {}
    layers = dict(per_module)
    for k, v in functional.items():
        layers[k] = layers.get(k, 0) + v
    assert sum(layers.values()) == macs, (sum(layers.values()), macs)
    return int(macs), nonzero(layers)


def run_ptflops_aten(model, x, batched=False):
    """batched: x itself through input_constructor (the tool's route to a batch N > 1; the aten backend
    divides by nothing), not the tool's own batch of one."""
    from ptflops import get_model_complexity_info
    import ptflops.aten_engine as aten_engine
    per_op = {}
    original = aten_engine.FlopCounterMode.__torch_dispatch__

    with module_stack(model) as stack:
        def dispatch(self, func, types_, args=(), kwargs=None):
            before = sum(self.flop_counts["Global"].values())
            out = original(self, func, types_, args, kwargs)
            added = sum(self.flop_counts["Global"].values()) - before
            if added:
                per_op[stack[-1]] = per_op.get(stack[-1], 0) + added
            return out

        aten_engine.FlopCounterMode.__torch_dispatch__ = dispatch
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                macs, _ = get_model_complexity_info(model, tuple(x.shape[1:]), as_strings=False, print_per_layer_stat=False, backend="aten",
                                                    input_constructor=(lambda _res: x) if batched else None)
        finally:
            aten_engine.FlopCounterMode.__torch_dispatch__ = original
    if macs is None:
        return None, {}
    assert sum(per_op.values()) == macs, (sum(per_op.values()), macs)
    return int(macs), nonzero(per_op)


def run_fvcore(model, x):
    from fvcore.nn import FlopCountAnalysis
    fca = FlopCountAnalysis(model.eval(), (x,))
    fca.unsupported_ops_warnings(False)
    fca.uncalled_modules_warnings(False)
    fca.tracer_warnings("none")
    total = fca.total()
    by_module = fca.by_module()
    leaves = set(leaf_names(model).values())
    layers = {k: v for k, v in by_module.items() if k in leaves}
    # ops traced in a parent's own forward (functional calls) belong to no leaf
    rest = total - sum(layers.values())
    if rest:
        layers["<functional>"] = rest
    return int(total), nonzero(layers)


def run_torchinfo(model, x, device=None):
    """device: a model without parameters needs it on torch < 2.6 (torchinfo's get_device asks torch.accelerator then)."""
    from torchinfo import summary
    stats = summary(model, input_size=tuple(x.shape), verbose=0, col_names=("output_size", "num_params", "mult_adds"), depth=100, device=device)
    names = leaf_names(model)
    layers = {}
    for info in stats.summary_list:
        if info.is_leaf_layer and info.macs:
            layers[names.get(id(info.module), info.var_name)] = layers.get(names.get(id(info.module), info.var_name), 0) + info.macs
    return int(stats.total_mult_adds), nonzero(layers)


def run_calflops(model, x):
    from calflops import calculate_flops
    from calflops.calculate_pipline import CalFlopsPipline
    with contextlib.redirect_stdout(io.StringIO()):
        flops, macs, _ = calculate_flops(model=model, input_shape=tuple(x.shape), output_as_string=False, print_results=False, print_detailed=False)
    # the same pipeline by hand, to read each module's share before it is cleared
    pipe = CalFlopsPipline(model=model, include_backPropagation=False, compute_bp_factor=2.0, is_sparse=False)
    pipe.start_flops_calculate(ignore_list=None)
    model(x)  # in the grad mode calculate_flops itself runs in (it does not switch gradients off)
    layer_flops = {n or "<root>": m.__flops__ for n, m in model.named_modules()}
    layer_macs = {n or "<root>": m.__macs__ for n, m in model.named_modules()}
    assert pipe.get_total_flops() == flops and pipe.get_total_macs() == macs
    pipe.end_flops_calculate()
    return (int(flops), nonzero(layer_flops)), (int(macs), nonzero(layer_macs))


def export_onnx(model, x, path, opset=17):
    """torch.onnx.export as the tools' truth reads a model's export: input named `input`, training=PRESERVE
    (BatchNorm kept), with gradients on (nn.MultiheadAttention's Python path; the fast path does not export)."""
    with torch.enable_grad(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], training=torch.onnx.TrainingMode.PRESERVE)


def run_onnx_tool(model, x):
    import onnx_tool
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        export_onnx(model, x, path)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            m = onnx_tool.Model(path)
            m.graph.shape_infer({"input": np.zeros(tuple(x.shape), dtype=np.float32)})
            m.graph.profile()
        layers = {}
        ops = {}
        shape_arithmetic = 0
        for name, node in m.graph.nodemap.items():
            ops[node.op_type] = ops.get(node.op_type, 0) + int(node.macs)
            # integer or bool outputs: the export's shape arithmetic (view sizes; ViT's Equal(shape, -1) for an
            # Expand target, its attention's head-size arithmetic), which convlens folds away: not a layer's
            if node.macs and all(np.issubdtype(m.graph.tensormap[o].dtype, np.integer) or m.graph.tensormap[o].dtype == np.bool_ for o in node.output):
                shape_arithmetic += int(node.macs)
            elif node.macs:
                layers[name] = int(node.macs)
        return int(round(m.graph.macs[0])), layers, nonzero(ops), shape_arithmetic


def measure(model, x, aten=False, onnx=True, unsupported_onnx=True, onnx_tool_fails=False):
    """Every tool on one model: totals and per-module figures (ptflops-aten with `aten`; onnx-tool on its
    export unless `onnx` is False). With `unsupported_onnx`, an export torch 1.13 refuses
    (aten::_upsample_nearest_exact*) gives onnx-tool no graph, recorded as its error; with
    `onnx_tool_fails`, an export onnx-tool's shape inference cannot read (ValueError) likewise."""
    out = {}
    t, layers = run_thop(model, x)
    out["thop"] = {"total": t, "layers": layers}
    t, layers = run_ptflops(model, x)
    out["ptflops"] = {"total": t, "layers": layers}
    if aten:
        t, layers = run_ptflops_aten(model, x)
        out["ptflops-aten"] = {"total": t, "layers": layers}
    t, layers = run_fvcore(model, x)
    out["fvcore"] = {"total": t, "layers": layers}
    t, layers = run_torchinfo(model, x, device="cpu")
    out["torchinfo"] = {"total": t, "layers": layers}
    (f, fl), (m, ml) = run_calflops(model, x)
    out["calflops"] = {"total": f, "layers": fl}
    out["calflops-macs"] = {"total": m, "layers": ml}
    if not onnx:
        return out
    try:
        t, layers, by_op, shape_arithmetic = run_onnx_tool(model, x)
    except torch.onnx.errors.UnsupportedOperatorError as e:
        if not unsupported_onnx:
            raise
        out["onnx-tool"] = {"total": None, "layers": {}, "error": str(e).split(". ")[0]}
        return out
    except ValueError as e:
        if not onnx_tool_fails:
            raise
        out["onnx-tool"] = {"total": None, "layers": {}, "error": str(e)}
        return out
    out["onnx-tool"] = {"total": t, "layers": layers, "byOpType": by_op, "shapeArithmetic": shape_arithmetic}
    return out


def start(names="models", names_help=None):
    """The runner's command line (--tools, then names) and set-up, shared by the convention_truth*.py
    scripts: the tools importable from their checkouts, and the grad mode their users get."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--tools", required=True, help="folder with the tools' checkouts (owner+name sub-folders)")
    ap.add_argument(names, nargs="*", help=names_help)
    args = ap.parse_args()
    prepare_imports(args.tools)
    # Each tool runs in the grad mode its users get: the default (enabled) unless the tool switches it off
    # itself. It matters for nn.MultiheadAttention: without gradients, eval-mode torch takes its native
    # fast path (torch._native_multi_head_attention), which fvcore's tracer does not count and
    # torch.onnx cannot export; with them, the Python path's linear and bmm calls are what the tools see.
    torch.set_grad_enabled(True)
    args.parser = ap
    return args


def write(path, out):
    """A fixture as the scripts write them: compact JSON, one line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")


def stamp_tools(out, tools_dir, tools=None):
    """Each tool's repository and checked-out commit in the fixture's `tools` (all of REPOS by default)."""
    for tool in REPOS if tools is None else tools:
        out["tools"][tool] = {"repository": "github.com/" + REPOS[tool].replace("+", "/"), "commit": revision(tools_dir, REPOS[tool])}


def run_cases(cases, selected, out, path):
    """Each case of `cases` (all, or those `selected` names), its figures written to the fixture as soon as it is measured."""
    for name, run in cases.items():
        if selected and name not in selected:
            continue
        out[name] = run()
        write(path, out)


def main():
    args = start()
    out = {"torch": torch.__version__, "tools": {}, "models": {}}
    if args.models and OUT.exists():
        out = json.loads(OUT.read_text())
    for tool, repo in REPOS.items():
        out["tools"][tool] = {"repository": "github.com/" + repo.replace("+", "/"), "commit": revision(args.tools, repo)}
    alone = len(args.models) == 1
    if alone and args.models[0] in FRAMES:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (VIDEO_ADDRESS_SPACE, VIDEO_ADDRESS_SPACE))
    for name in MODELS:
        if args.models and name not in args.models:
            continue
        if name in FRAMES and not alone:
            # a video model in a process of its own (its address space limited), which merges its entry into OUT
            subprocess.run([sys.executable, __file__, "--tools", args.tools, name], check=True)
            out["models"][name] = json.loads(OUT.read_text())["models"][name]
            continue
        model, res = build(name)
        x = torch.ones(1, 3, res, res) if name not in FRAMES else torch.ones(1, 3, FRAMES[name], res, res)
        entry = {"resolution": res} if name not in FRAMES else {"resolution": res, "frames": FRAMES[name]}
        # torch 1.13 cannot export swin_v2_t (ShiftedWindowAttentionV2's forward zeroes a clone of its qkv bias's k
        # third, aten::zero, which has no ONNX symbolic): onnx-tool gets no graph, recorded as its error
        entry.update(measure(model, x, aten=True, unsupported_onnx=name in ONNX_REFUSED, onnx_tool_fails=name in ONNX_TOOL_FAILS))
        if entry["ptflops"]["total"] is None:
            entry["ptflops"]["error"] = "get_model_complexity_info failed and returned None"
        out["models"][name] = entry
        print(name, {k: v["total"] for k, v in entry.items() if isinstance(v, dict)}, flush=True)
        # written after every model, so a long run keeps what it measured
        write(OUT, out)


if __name__ == "__main__":
    main()
