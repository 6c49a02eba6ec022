#!/usr/bin/env python3
"""The whole torchvision classification, segmentation and video catalog as ONNX, with PyTorch's own numbers.

torchvision 0.14 has no models.list_models(): the builders are enumerated as the public functions of
torchvision.models, torchvision.models.segmentation and torchvision.models.video that take a `weights`
argument (80 + 6 + 6 in 0.14.1). Each model is built untrained (weights=None, the builder's defaults:
no auxiliary heads), in eval mode, at 1×3×224×224 (video: a clip of 1×3×16×224×224, VIDEO_INPUT), and exported by torch.onnx.export at opsets 13 and 17 as a user would
(export_params=True, constant folding on, except for Swin and MaxViT: see NO_FOLDING) but with training=TrainingMode.PRESERVE, so BatchNorm is
not folded into the convs and the file holds the module's own parameters (as scripts/export_onnx.py).
Weights are then stripped: floating-point initializers over 64 elements keep their dims and type but
lose their data (integer initializers, e.g. index tables and shapes, keep theirs).

Two additions to torch 1.13's exporter, neither of which changes what the model computes:
  aten::zero   Swin V2's attention clones its qkv bias and zeroes the key third in place
               (qkv_bias[length:2*length].zero_(), torchvision 0.14 shifted_window_attention); the
               exporter turns the in-place op into aten::zero, for which torch 1.13 has no symbolic.
               It is registered here as ONNX ConstantOfShape(Shape(x), 0) of x's dtype: the zeros
               are then scattered into the clone (ScatterND) exactly as the in-place write does.
  > 2 GB       a model whose weights pass protobuf's 2 GB limit (vit_h_14, 632 M parameters) is
               exported to a file path, so torch writes the weights as external data; the file is
               then read without them and stripped like the others (over LARGE parameters).
  memory       video models are exported with the address space limited (VIDEO_ADDRESS_SPACE), one
               opset per child process, before the MAC count: torch 1.13's ONNX shape inference tries to constant-fold a
               node of mvit_v2_s's relative-position path into a 417 GB tensor; unlimited, the
               allocation starts and the OOM killer ends the export at the machine's memory (24 GB
               here); limited, it fails at once, torch warns ("Constant folding in symbolic shape
               inference fails") and exports the node unfolded. A second export in the same process
               (what the first left allocated) or a higher limit (16 GB) instead failed with a 0.5 or
               10 GB allocation error.

Truth per model (test/fixtures/catalog/truth.json):
  params   sum of parameter sizes (buffers excluded), torchvision's num_params
  macs     multiply-accumulates of convolution, linear and matrix products, counted on the ATen ops a
           forward pass dispatches (a TorchDispatchMode, so functional calls count too: torchvision's
           Swin calls F.linear, MultiheadAttention uses its in_proj_weight directly):
             convolution  N·Cout·spatial(out)·(Cin/g)·prod(k)   (transposed: over input positions)
             mm/addmm     M·K·N;  bmm/baddbmm  B·M·K·N          (bias excluded)
           The forward runs with autograd on, so nn.MultiheadAttention takes its composite path
           (bmm) rather than the fused _native_multi_head_attention.
  outputs  the shapes of the model's outputs (segmentation: the "out" map)
  input    the shape the model is measured and exported at
  opsets   per opset: the file name, its size, whether it is committed, or the export error

Files go to tmp/catalog/ (not in git); those up to --commit-kb (both opsets; default 260 KB) within a
total budget of --budget-kb (3.5 MB), one of each family first (PREFERRED), are copied to test/fixtures/catalog/. test/zoo/catalog.test.ts reads both places.

Run: /usr/bin/python3 scripts/export_catalog.py [names…] [--force]   (each model in a child process;
results merge into the existing truth; --select only re-chooses the committed files; parallel
workers: `export_catalog.py --one NAME` prints one JSON line, and --merge FILE… folds lines
{"name": NAME, "result": <that line>} into the truth)
"""
import argparse
import inspect
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "tmp" / "catalog"
FIXTURES = ROOT / "test" / "fixtures" / "catalog"
TRUTH = FIXTURES / "truth.json"
OPSETS = (13, 17)
RESOLUTION = 224
# Video models take a clip (N, C, T, H, W): MViT's position tables and relative-position sizes are built
# for 16×224×224 (torchvision's mvit_v1_b and mvit_v2_s fix spatial_size and temporal_size), S3D's
# default; r3d_18, mc3_18 and r2plus1d_18 take any clip and are measured at the same one.
VIDEO_INPUT = [1, 3, 16, 224, 224]
VIDEO_ADDRESS_SPACE = 12_000_000 << 10
# Swin and MaxViT index a relative-position table [(2w−1)², heads] by a constant index buffer; with
# constant folding torch writes the gathered bias [heads, w², w²] as a new float constant, which no
# analyser can tell from a learned parameter (swin_t: 28,571,602 "parameters" for 28,288,354). These
# are exported without constant folding, which keeps the Gather of the table (the importer folds the
# shape arithmetic itself).
NO_FOLDING = ("swin_", "maxvit_")
# Inception's training-only auxiliary classifiers are not in an eval-mode export: build without them
# (torchvision's own published googlenet count is without them too); skip the slow truncnorm init.
BUILDER_KW = {"googlenet": {"aux_logits": False, "init_weights": False}, "inception_v3": {"aux_logits": False, "init_weights": False}}
# Over this many parameters the weights approach protobuf's 2 GB limit: export to a file with
# external data (torch 1.13 writes a model over 2 GB only that way), then strip (vit_h_14: 632 M).
LARGE = 400_000_000


def register_zero_symbolic():
    """aten::zero (what the exporter makes of an in-place zero_) as ConstantOfShape(Shape(x)) of x's dtype."""
    import torch
    from torch.onnx import register_custom_op_symbolic

    dtypes = {"Float": torch.float32, "Double": torch.float64, "Half": torch.float16, "Long": torch.int64, "Int": torch.int32}

    def zero(g, x):
        dtype = dtypes[x.type().scalarType() or "Float"]
        return g.op("ConstantOfShape", g.op("Shape", x), value_t=torch.zeros(1, dtype=dtype))

    for opset in OPSETS:
        register_custom_op_symbolic("aten::zero", zero, opset)


def builders():
    import torchvision.models as tvm
    import torchvision.models.segmentation as seg
    import torchvision.models.video as video

    def public(mod):
        return sorted(
            n for n in dir(mod)
            if not n.startswith("_") and inspect.isfunction(getattr(mod, n))
            and "weights" in inspect.signature(getattr(mod, n)).parameters
        )
    out = {n: ("classification", f"torchvision.models.{n}") for n in public(tvm)}
    out.update({n: ("segmentation", f"torchvision.models.segmentation.{n}") for n in public(seg)})
    out.update({n: ("video", f"torchvision.models.video.{n}") for n in public(video)})
    return out


def count_macs(model, x):
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    aten = torch.ops.aten
    prod = lambda s: int(torch.Size(s).numel())

    class Counter(TorchDispatchMode):
        macs = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            p = func.overloadpacket
            if p is aten.convolution:
                x_, w = args[0], args[1]
                transposed = args[6]
                k = prod(w.shape[2:])
                Counter.macs += prod(x_.shape) * w.shape[1] * k if transposed else prod(out.shape) * w.shape[1] * k
            elif p is aten.mm:
                Counter.macs += args[0].shape[0] * args[0].shape[1] * args[1].shape[1]
            elif p is aten.addmm:
                Counter.macs += args[1].shape[0] * args[1].shape[1] * args[2].shape[1]
            elif p is aten.bmm:
                Counter.macs += args[0].shape[0] * args[0].shape[1] * args[0].shape[2] * args[1].shape[2]
            elif p is aten.baddbmm:
                Counter.macs += args[1].shape[0] * args[1].shape[1] * args[1].shape[2] * args[2].shape[2]
            elif p in (aten._native_multi_head_attention, aten.mv, aten.dot, aten.addmv, aten.addbmm):
                raise RuntimeError(f"MAC counter: {func} not counted")
            return out

    with Counter():
        y = model(x)
    return Counter.macs, y


class MainOutput(__import__("torch").nn.Module):
    """Segmentation models return {"out": …}; export and count the main map."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)["out"]


def strip(m, external_dir=None):
    """Float initializers over 64 elements lose their data; read without external data (external_dir),
    those are dropped from the file and the rest (integer tables, small floats) read back in."""
    import onnx
    from onnx.external_data_helper import load_external_data_for_tensor, uses_external_data
    floats = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE, onnx.TensorProto.BFLOAT16}
    for t in m.graph.initializer:
        n = 1
        for d in t.dims:
            n *= d
        if n > 64 and t.data_type in floats:
            for f in ("raw_data", "float_data", "double_data", "int32_data", "external_data", "data_location"):
                t.ClearField(f)
        elif uses_external_data(t):
            load_external_data_for_tensor(t, str(external_dir))
            t.ClearField("external_data")
            t.ClearField("data_location")
    return m


def one(name, opsets=OPSETS):
    """Child process: measure one model and export it at every opset; prints one JSON line."""
    import onnx
    import torch
    import resource
    import torchvision.models as tvm
    import torchvision.models.segmentation as seg
    import torchvision.models.video as video

    torch.set_num_threads(1)
    torch.manual_seed(0)
    register_zero_symbolic()
    task, qual = builders()[name]
    ctor = getattr({"segmentation": seg, "video": video}.get(task, tvm), name)
    if task == "video":
        resource.setrlimit(resource.RLIMIT_AS, (VIDEO_ADDRESS_SPACE, VIDEO_ADDRESS_SPACE))
    kw = dict(BUILDER_KW.get(name, {}))
    if task == "segmentation":
        kw["weights_backbone"] = None  # the default would download ImageNet weights for the backbone
    model = ctor(weights=None, **kw)
    if task == "segmentation":
        model = MainOutput(model)
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    shape = VIDEO_INPUT if task == "video" else [1, 3, RESOLUTION, RESOLUTION]
    res = {"task": task, "builder": qual, "input": shape, "params": params, "opsets": {}}
    x = torch.randn(*shape)
    WORK.mkdir(parents=True, exist_ok=True)
    for opset in opsets:
        file = f"{name}.op{opset}.onnx"
        t0 = time.time()
        try:
            # autograd stays on: under no_grad nn.MultiheadAttention takes its fused fast path
            # (aten::_native_multi_head_attention), which torch 1.13 cannot export
            kw = dict(opset_version=opset, input_names=["input"], output_names=["output"],
                      do_constant_folding=not name.startswith(NO_FOLDING), training=torch.onnx.TrainingMode.PRESERVE)
            if params > LARGE:
                # weights over 2 GB: torch writes them as external data next to a file path
                with tempfile.TemporaryDirectory(dir=WORK) as d:
                    torch.onnx.export(model, x, str(Path(d) / file), **kw)
                    m = strip(onnx.load(str(Path(d) / file), load_external_data=False), Path(d))
            else:
                buf = io.BytesIO()
                torch.onnx.export(model, x, buf, **kw)
                m = strip(onnx.load_from_string(buf.getvalue()))
                del buf
            onnx.save(m, str(WORK / file))
            res["opsets"][str(opset)] = {"file": file, "bytes": (WORK / file).stat().st_size, "seconds": round(time.time() - t0, 1)}
            if name.startswith(NO_FOLDING):
                res["opsets"][str(opset)]["constantFolding"] = False
        except Exception as e:  # noqa: BLE001 - recorded in the truth as the export's own error
            res["opsets"][str(opset)] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"}
    # counted after the exports, so each export starts from the memory a fresh process has (video models)
    macs, y = count_macs(model, x)
    res["macs"] = macs
    res["outputs"] = [list(y.shape)]
    print(json.dumps(res))


# One of each family first (so the committed set covers every kind of graph), then the smallest.
PREFERRED = ("resnet18", "mobilenet_v2", "convnext_tiny", "vit_b_32", "efficientnet_b0", "regnet_y_400mf",
             "densenet121", "inception_v3", "googlenet", "shufflenet_v2_x1_0", "squeezenet1_1", "vgg16", "alexnet",
             "mnasnet1_0", "mobilenet_v3_large", "efficientnet_v2_s", "wide_resnet50_2", "resnext50_32x4d",
             "fcn_resnet50", "lraspp_mobilenet_v3_large", "deeplabv3_resnet50", "deeplabv3_mobilenet_v3_large")


def commit_files(files, work, fixtures):
    """Mark each (truth entry with a "file", taken) committed or not; copy a taken file into fixtures when
    work has it (else the committed copy stays); delete the .onnx fixtures no longer taken."""
    keep = set()
    for o, take in files:
        o["committed"] = take
        if take:
            keep.add(o["file"])
            if (work / o["file"]).exists():
                shutil.copy(work / o["file"], fixtures / o["file"])
    for old in fixtures.glob("*.onnx"):
        if old.name not in keep:
            old.unlink()


def select(truth, commit_kb, budget_kb):
    """Commit the preferred models, then the smallest (both opsets under commit_kb each) within the budget.
    A file is taken from tmp/catalog/, else from the fixtures already committed (a checkout where only
    some models were exported here keeps the others' committed files)."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    source = lambda f: WORK / f if (WORK / f).exists() else (FIXTURES / f if (FIXTURES / f).exists() else None)
    sizes = []
    for name, t in truth["models"].items():
        files = [o for o in t.get("opsets", {}).values() if "file" in o]
        if files and all(o["bytes"] <= commit_kb * 1024 for o in files) and all(source(o["file"]) for o in files):
            rank = PREFERRED.index(name) if name in PREFERRED else len(PREFERRED)
            sizes.append((rank, sum(o["bytes"] for o in files), name))
    spent = 0
    chosen = set()
    for _, size, name in sorted(sizes):
        if spent + size > budget_kb * 1024:
            continue
        spent += size
        chosen.add(name)
    commit_files([(o, name in chosen) for name, t in truth["models"].items() for o in t.get("opsets", {}).values() if "file" in o], WORK, FIXTURES)
    truth["committed"] = {"bytes": spent, "commitKb": commit_kb, "budgetKb": budget_kb}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--one")
    ap.add_argument("--opsets", type=int, nargs="+", default=list(OPSETS), help="with --one: the opsets to export")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--select", action="store_true")
    ap.add_argument("--merge", nargs="+", default=[], help='JSON-lines files of {"name", "result": <a --one line>} from parallel workers')
    ap.add_argument("--commit-kb", type=int, default=260)
    ap.add_argument("--budget-kb", type=int, default=3584)
    a = ap.parse_args()
    if a.one:
        one(a.one, a.opsets)
        return
    import onnx
    import torch
    truth = json.loads(TRUTH.read_text()) if TRUTH.exists() else {}
    truth.update({"torch": torch.__version__, "onnx": onnx.__version__, "resolution": RESOLUTION, "opsets": list(OPSETS)})
    truth.setdefault("models", {})
    for path in a.merge:
        for line in Path(path).read_text().splitlines():
            rec = json.loads(line)
            if rec["result"]:
                truth["models"][rec["name"]] = rec["result"]
        truth["models"] = dict(sorted(truth["models"].items()))
    if not a.select and not a.merge:
        names = a.names or list(builders())
        # the big ones last, so an interrupted run already has the fixtures that get committed
        big = ("vit_h", "vit_l", "128gf", "32gf", "16gf", "_b", "_l", "_m", "b6", "b7", "large", "101", "152", "161", "201")
        for name in sorted(names, key=lambda n: any(t in n for t in big)):
            if name in truth["models"] and not a.force:
                continue
            t0 = time.time()
            # video models one opset per process (memory, above); the others all opsets in one
            groups = [[o] for o in OPSETS] if builders()[name][0] == "video" else [list(OPSETS)]
            for k, group in enumerate(groups):
                p = subprocess.run([sys.executable, __file__, "--one", name, "--opsets", *map(str, group)], capture_output=True, text=True)
                if p.returncode != 0:
                    truth["models"][name] = {"error": (p.stderr.strip().splitlines() or ["?"])[-1][:300]}
                    break
                res = json.loads(p.stdout.strip().splitlines()[-1])
                if k == 0:
                    truth["models"][name] = res
                else:
                    truth["models"][name]["opsets"].update(res["opsets"])
            print(f"{name} {time.time() - t0:.0f}s", json.dumps({k: v for k, v in truth["models"][name].items() if k != "builder"}), flush=True)
            truth["models"] = dict(sorted(truth["models"].items()))
            TRUTH.parent.mkdir(parents=True, exist_ok=True)
            TRUTH.write_text(json.dumps(truth, indent=1) + "\n")
    select(truth, a.commit_kb, a.budget_kb)
    TRUTH.write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    main()
