#!/usr/bin/env python3
"""Ground truth for four cases where a convention preset and its tool parted (src/conventions/):
what the real tools print, run from their sources as scripts/convention_truth.py runs them (same
`--tools` folder, same stubs, torch 1.13). Writes test/fixtures/conventions/cases.json:

  video    ptflops (pytorch backend) on torchvision's r3d_18, mc3_18 and r2plus1d_18 at
           1×3×16×112×112: the residual convs are Conv3DSimple / Conv3DNoTemporal (subclasses of
           nn.Conv3d) or Conv2Plus1D (an nn.Sequential of plain nn.Conv3d); ptflops looks its hook
           table up by exact type (pytorch_engine.py is_supported_instance l. 311-314), so the
           subclassed convs count 0. Total and per-module figures as convention_truth.run_ptflops.
  batch    ptflops (pytorch backend) at batch N > 1 (input_constructor returning an N×… tensor):
           get_flops_pytorch divides the module hooks' total by the batch counter
           (compute_average_flops_cost l. 180-199) and adds the patched functions' counts as they
           are (l. 69-71); nn.Upsample's hook counts output[0], one sample (pytorch_ops.py l. 21-27).
           Per model: the printed total, the batch counter, each module's raw hook count (`hooks`,
           before the division) and each calling module's patched-function count (`functions`).
           torchvision's resnet18, googlenet (F.relu in BasicConv2d), mobilenet_v2
           (F.adaptive_avg_pool2d), lraspp_mobilenet_v3_large (F.interpolate), and the small models of
           convention_truth_ops.py: `resample2d` (nn.Upsample ×1.5 bilinear, to 12 nearest, ×2
           bicubic, F.interpolate to (30, 28) in `interp`) and `attention` (nn.MultiheadAttention).
  swin     onnx-tool on torchvision's swin_t exported as convention_truth.run_onnx_tool exports it
           (opset 17, training=PRESERVE, 1×3×224×224), and on the committed export
           test/fixtures/onnx-math/swin_tiny_pad_op17.onnx (scripts/onnx_math_fixtures.py: one stage,
           embed 8, 2 heads, window 7, the second block shifted, a 36×44 input whose 9×11 patch grid
           is padded to 14×14). Total, per-op-type and per-node figures. `shapeArithmetic` here is
           what onnx-tool charged the nodes computing from shapes alone (a view's sizes, the pad
           amounts): a node none of whose inputs holds data, where data is a graph input, a float
           tensor a ConstantOfShape fills (the shift mask's x.new_zeros((pad_H, pad_W))), or anything
           computed from data except through Shape. The shifted blocks' mask (Sub, Equal, Not on that
           float map) is data by that rule and stays in the layers: convention_truth.run_onnx_tool's
           dtype rule counted its Equal and Not (bool outputs) as shape arithmetic.

  onnx     the tools on PyTorch models whose torch.onnx export convlens imports, where a module is
           written as several nodes the importer cannot map to one layer (nn.MultiheadAttention:
           MatMul/Gemm, Slice, Reshape, Transpose, Div, MatMul, Softmax, MatMul, Gemm): torchvision's
           vit_b_32 (exports in test/fixtures/catalog) and convention_truth_ops.Attention, exported
           here at opsets 13 and 17 (test/fixtures/conventions/attention.op*.onnx). Totals and
           per-module figures as convention_truth.measure (ptflops-aten included).

  swinModules  the tools that read the PyTorch module tree (thop, ptflops on both backends, fvcore,
           torchinfo, calflops) on the Swins whose exports convlens imports: the one-stage padded
           model of test/fixtures/onnx-math/swin_tiny_pad_op13/op17.onnx (scripts/onnx_math_fixtures.py's
           SwinTransformer, 1×3×36×44; onnx-tool too, on this script's own export of it) and
           torchvision's swin_t at 1×3×224×224 (onnx-tool: the swin case). ShiftedWindowAttention applies
           its qkv and proj weights with F.linear and F.softmax, not through its nn.Linear children.
           Totals and per-module figures as convention_truth.measure.

  linearStrided  every tool on convention_truth_ops.LinearStrided (nn.Linear on a transposed 3-D view and
           on contiguous ones), exported to test/fixtures/conventions/linear_strided.op17.onnx: aten::linear
           takes addmm (ptflops-aten counts the bias) only for a contiguous 3-D input.

  unbatched  every tool on one pooling module (max, average, adaptive; 1-, 2-, 3-D) fed one sample without
           its batch axis, [C, …spatial], as PyTorch's pools take it, and the batch of one: ptflops through
           input_constructor (its batch counter reads the sample's first axis), onnx-tool on the opset 13
           and 17 exports, or why it gives nothing (the export fails, or its shape inference raises).

  unbatchedConvs  the same on one convolution (conv1d/2d/3d, convTranspose1d/2d/3d, grouped, with and without
           bias) fed one unbatched [C, …spatial] sample, as PyTorch's convolutions take it, and the batch of one;
           a tool that raises on it records why.

  /usr/bin/python3 scripts/convention_truth_cases.py --tools /tmp/tools            # every case
  /usr/bin/python3 scripts/convention_truth_cases.py --tools /tmp/tools video swin # only these, merged
"""
import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import convention_truth as ct  # noqa: E402
import convention_truth_ops as cto  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision.models as tvm  # noqa: E402
import torchvision.models.video as tvv  # noqa: E402

OUT = ct.ROOT / "test" / "fixtures" / "conventions" / "cases.json"
SWIN_PAD = ct.ROOT / "test" / "fixtures" / "onnx-math" / "swin_tiny_pad_op17.onnx"


def built(ctor, **kw):
    torch.manual_seed(0)
    return ctor(weights=None, **kw).eval()


def video():
    out = {}
    for name in ("r3d_18", "mc3_18", "r2plus1d_18"):
        x = torch.ones(1, 3, 16, 112, 112)
        total, layers = ct.run_ptflops(built(getattr(tvv, name)), x)
        out[name] = {"input": list(x.shape), "ptflops": {"total": total, "layers": layers}}
        print(name, total, flush=True)
    return out


def run_ptflops_batched(model, x):
    """get_model_complexity_info on x (batch included) through input_constructor: the printed total,
    the batch counter, and per module the raw hook counts and the patched-function counts."""
    import ptflops.pytorch_engine as engine
    import ptflops.pytorch_ops as ops
    from ptflops import get_model_complexity_info
    hooks, functions, counter = {}, {}, {}
    names = {id(m): n for n, m in model.named_modules() if n}
    original_remove = engine.remove_flops_counter_variables
    original_average = engine.compute_average_flops_cost

    def record(module):
        if hasattr(module, "__flops__") and id(module) in names and module.__flops__:
            hooks[names[id(module)]] = hooks.get(names[id(module)], 0) + module.__flops__
        original_remove(module)

    def average(self):
        counter["batch"] = self.__batch_counter__
        return original_average(self)

    with ct.module_stack(model) as stack:
        def attributed(handler):
            def wrapped(*args, **kwargs):
                flops = handler(*args, **kwargs)
                functions[stack[-1]] = functions.get(stack[-1], 0) + float(flops)
                return flops
            return wrapped

        saved = (dict(ops.FUNCTIONAL_MAPPING), dict(ops.TENSOR_OPS_MAPPING))
        for table in (ops.FUNCTIONAL_MAPPING, ops.TENSOR_OPS_MAPPING):
            for k in table:
                table[k] = attributed(table[k])
        engine.remove_flops_counter_variables = record
        engine.compute_average_flops_cost = average
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                macs, _ = get_model_complexity_info(model, tuple(x.shape[1:]), as_strings=False, print_per_layer_stat=False,
                                                    backend="pytorch", input_constructor=lambda _res: x)
        finally:
            engine.remove_flops_counter_variables = original_remove
            engine.compute_average_flops_cost = original_average
            ops.FUNCTIONAL_MAPPING.clear()
            ops.FUNCTIONAL_MAPPING.update(saved[0])
            ops.TENSOR_OPS_MAPPING.clear()
            ops.TENSOR_OPS_MAPPING.update(saved[1])
    if macs is None:
        # get_model_complexity_info prints the exception and returns None (ptflops' MultiheadAttention hook on
        # torchvision's ViT, which calls the module with keywords: the hook's positional input is empty)
        return {"total": None, "error": "get_model_complexity_info failed and returned None"}
    # the tool's own arithmetic, re-done from the parts: int(Σ hooks / batch + Σ functions)
    assert int(sum(hooks.values()) / counter["batch"] + sum(functions.values())) == macs, (hooks, functions, macs)
    return {"total": int(macs), "batch": counter["batch"], "hooks": hooks, "functions": functions}


def batch(only=None):
    """ptflops at batch N by its own input_constructor route; `only`: these cases alone (to merge one in)."""
    cases = {
        "resnet18": (lambda: built(tvm.resnet18), (2, 3, 224, 224)),
        "googlenet": (lambda: built(tvm.googlenet, aux_logits=False, init_weights=False), (3, 3, 224, 224)),
        "mobilenet_v2": (lambda: built(tvm.mobilenet_v2), (2, 3, 224, 224)),
        "lraspp_mobilenet_v3_large": (lambda: built(tvm.segmentation.lraspp_mobilenet_v3_large, weights_backbone=None), (2, 3, 520, 520)),
        "resample2d": (lambda: cto.anchored(cto.Resample2d()).eval(), (3, 2, 5, 5)),
        "attention": (lambda: cto.Attention().eval(), (2, 8, 4, 4)),
        # Swin V2: the position-bias MLP runs once per forward, its modules' hooks divided by the batch all the same
        "swin_v2_t": (lambda: built(tvm.swin_v2_t), (2, 3, 256, 256)),
    }
    out = {}
    for name, (make, shape) in cases.items():
        if only and name not in only:
            continue
        torch.manual_seed(0)
        model = make()
        r = run_ptflops_batched(model, torch.ones(*shape))
        # the same model at batch 1, printed by the same route: what one sample costs in the tool's own rules
        r["batch1"] = run_ptflops_batched(model, torch.ones(1, *shape[1:]))["total"]
        out[name] = {"input": list(shape), "ptflops": r}
        print(name, shape, r["total"], "batch 1:", r["batch1"], flush=True)
    return out


def profile_onnx(path, inputs):
    """onnx-tool on a file: total, per op type, per node (shape arithmetic apart, by data flow)."""
    import onnx_tool
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        m = onnx_tool.Model(str(path))
        m.graph.shape_infer(inputs)
        m.graph.profile()
    g = m.graph
    data = set(inputs)
    for node in g.nodemap.values():  # nodemap is in topological order
        if node.op_type == "Shape":
            continue
        filled = node.op_type == "ConstantOfShape" and np.issubdtype(g.tensormap[node.output[0]].dtype, np.floating)
        if filled or any(i in data for i in node.input):
            data.update(node.output)
    layers, ops, shape_arithmetic = {}, {}, 0
    for name, node in g.nodemap.items():
        macs = int(node.macs[0]) if hasattr(node.macs, "__len__") else int(node.macs)
        if not macs:
            continue
        ops[node.op_type] = ops.get(node.op_type, 0) + macs
        if any(i in data for i in node.input):
            layers[name] = macs
        else:
            shape_arithmetic += macs
    return {"total": int(round(g.macs[0])), "layers": layers, "byOpType": ops, "shapeArithmetic": shape_arithmetic}


def swin():
    out = {}
    torch.set_grad_enabled(True)
    model = built(tvm.swin_t)
    x = torch.ones(1, 3, 224, 224)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        ct.export_onnx(model, x, path)
        out["swin_t"] = {"input": list(x.shape), "onnx-tool": profile_onnx(path, {"input": np.zeros(tuple(x.shape), dtype=np.float32)})}
    out["swin_tiny_pad_op17"] = {"input": [1, 3, 36, 44], "file": "test/fixtures/onnx-math/swin_tiny_pad_op17.onnx",
                                 "onnx-tool": profile_onnx(SWIN_PAD, {"image": np.zeros((1, 3, 36, 44), dtype=np.float32)})}
    for k, v in out.items():
        print(k, v["onnx-tool"]["total"], "shape arithmetic", v["onnx-tool"]["shapeArithmetic"], flush=True)
    return out


def onnx_modules():
    """The tools on PyTorch models whose ONNX export convlens imports (test/conventions/onnx-modules.test.ts):
    torchvision's vit_b_32 (its exports test/fixtures/catalog/vit_b_32.op13/op17.onnx, by
    scripts/export_catalog.py, weights stripped) and convention_truth_ops.Attention, exported here at
    opsets 13 and 17 to test/fixtures/conventions/attention.op13/op17.onnx (1×8×4×4: 288 parameters, kept)."""
    out = {}
    torch.manual_seed(0)
    x = torch.ones(1, 3, 224, 224)
    out["vit_b_32"] = {"input": list(x.shape), "files": [f"test/fixtures/catalog/vit_b_32.op{o}.onnx" for o in (13, 17)],
                       **ct.measure(built(tvm.vit_b_32), x, aten=True)}
    torch.manual_seed(0)
    model, x = cto.Attention().eval(), torch.ones(1, 8, 4, 4)
    files = []
    for opset in (13, 17):
        files.append(f"test/fixtures/conventions/attention.op{opset}.onnx")
        ct.export_onnx(model, x, ct.ROOT / files[-1], opset)
    out["attention"] = {"input": list(x.shape), "files": files, **ct.measure(model, x, aten=True)}
    for k, v in out.items():
        print(k, {t: r["total"] for t, r in v.items() if isinstance(r, dict)}, flush=True)
    return out


def swin_modules():
    from torchvision.models.swin_transformer import SwinTransformer
    out = {}
    torch.manual_seed(10)
    tiny = SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[2], num_heads=[2], window_size=[7, 7], num_classes=5).eval()
    x = torch.ones(1, 3, 36, 44)
    out["swin_tiny_pad"] = {"input": list(x.shape), "files": [f"test/fixtures/onnx-math/swin_tiny_pad_op{o}.onnx" for o in (13, 17)],
                            **ct.measure(tiny, x, aten=True)}
    x = torch.ones(1, 3, 224, 224)
    out["swin_t"] = {"input": list(x.shape), **ct.measure(built(tvm.swin_t), x, aten=True, onnx=False)}
    for k, v in out.items():
        print(k, {t: r["total"] for t, r in v.items() if isinstance(r, dict)}, flush=True)
    return out


def linear_strided():
    """convention_truth_ops.LinearStrided, exported to test/fixtures/conventions/linear_strided.op17.onnx."""
    torch.manual_seed(0)
    model, x = cto.LinearStrided().eval(), torch.ones(1, 4, 5)
    file = "test/fixtures/conventions/linear_strided.op17.onnx"
    ct.export_onnx(model, x, ct.ROOT / file)
    out = {"linear_strided": {"input": list(x.shape), "files": [file], **ct.measure(model, x, aten=True)}}
    print({t: r["total"] for t, r in out["linear_strided"].items() if isinstance(r, dict)}, flush=True)
    return out


# (name, module, the unbatched sample's shape): test/conventions/unbatched-pools.test.ts
UNBATCHED = [
    ("maxPool2d", lambda: torch.nn.MaxPool2d(2), (3, 8, 8)),
    ("avgPool2d", lambda: torch.nn.AvgPool2d(3, 2, 1), (3, 8, 8)),
    ("avgPool2dExcludePad", lambda: torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False), (3, 8, 8)),
    ("avgPool1d", lambda: torch.nn.AvgPool1d(3, 2, 1), (3, 8)),
    ("avgPool3d", lambda: torch.nn.AvgPool3d(2), (3, 4, 6, 6)),
    ("adaptiveAvgPool2d", lambda: torch.nn.AdaptiveAvgPool2d(3), (2, 5, 5)),
    ("adaptiveAvgPool2dTo1", lambda: torch.nn.AdaptiveAvgPool2d(1), (2, 4, 4)),
    ("adaptiveAvgPool2dDivisible", lambda: torch.nn.AdaptiveAvgPool2d((2, 4)), (3, 6, 8)),
    ("adaptiveAvgPool1d", lambda: torch.nn.AdaptiveAvgPool1d(3), (3, 8)),
    ("adaptiveAvgPool1dTo1", lambda: torch.nn.AdaptiveAvgPool1d(1), (3, 8)),
    ("adaptiveAvgPool3d", lambda: torch.nn.AdaptiveAvgPool3d((2, 2, 3)), (3, 4, 5, 6)),
    ("adaptiveAvgPool3dDivisible", lambda: torch.nn.AdaptiveAvgPool3d((2, 2, 3)), (3, 4, 6, 6)),
    ("adaptiveAvgPool3dTo1", lambda: torch.nn.AdaptiveAvgPool3d(1), (3, 4, 4, 4)),
    ("adaptiveMaxPool2d", lambda: torch.nn.AdaptiveMaxPool2d(2), (3, 8, 8)),
    ("adaptiveMaxPool2dIndivisible", lambda: torch.nn.AdaptiveMaxPool2d(3), (3, 8, 8)),
    ("adaptiveMaxPool3d", lambda: torch.nn.AdaptiveMaxPool3d(2), (3, 4, 4, 4)),
    ("adaptiveMaxPool1d", lambda: torch.nn.AdaptiveMaxPool1d(1), (3, 8)),
]


class Pool(torch.nn.Module):
    """One pooling module as a model's child `pool`; with `param`, an unused parameter (calflops reads
    next(model.parameters()) for the device and fails on a model without one)."""

    def __init__(self, pool, param=False):
        super().__init__()
        self.pool = pool
        if param:
            self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.pool(x)


def onnx_tool_or_error(model, x, opset):
    """onnx-tool's total on torch.onnx's export at `opset`, or why there is none (the export fails, or
    onnx-tool's shape inference raises)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        try:
            ct.export_onnx(model, x, path, opset=opset)
        except Exception as e:  # noqa: BLE001 - the exporter's refusal is the fixture's datum
            return {"error": f"export: {type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]}"}
        try:
            return {"total": profile_onnx(path, {"input": np.zeros(tuple(x.shape), dtype=np.float32)})["total"]}
        except ValueError as e:
            return {"error": f"onnx-tool: {(str(e).splitlines() or [''])[0][:160]}"}


def unbatched():
    """Every tool on one pooling module fed one unbatched [C, …spatial] sample and the batch of one
    (src/conventions/onnx-tool-pools.ts, ptflops-defects.ts): ptflops through input_constructor (the
    sample as it is: the batch counter reads its first axis), onnx-tool on the opset 13 and 17 exports."""
    out = {}
    for name, ctor, shape in UNBATCHED:
        out[name] = {}
        for key, s in (("unbatched", shape), ("batched", (1, *shape))):
            x = torch.ones(*s)
            r = {"input": list(s)}
            r["thop"] = ct.run_thop(Pool(ctor()), x)[0]
            pt = run_ptflops_batched(Pool(ctor()), x)
            r["ptflops"] = {"total": pt["total"], "batch": pt["batch"]}
            r["fvcore"] = ct.run_fvcore(Pool(ctor()), x)[0]
            r["torchinfo"] = ct.run_torchinfo(Pool(ctor()), x, device="cpu")[0]
            (flops, _), (macs, _) = ct.run_calflops(Pool(ctor(), param=True), x)
            r["calflops"], r["calflops-macs"] = flops, macs
            r["onnx-tool"] = {f"op{o}": onnx_tool_or_error(Pool(ctor()).eval(), x, o) for o in (13, 17)}
            out[name][key] = r
            print(name, key, json.dumps(r), flush=True)
    return out


# (name, module, the unbatched sample's shape): test/conventions/unbatched-convs.test.ts
UNBATCHED_CONVS = [
    ("conv1d", lambda: torch.nn.Conv1d(3, 4, 3, padding=1), (3, 8)),
    ("conv1dNoBias", lambda: torch.nn.Conv1d(3, 4, 3, stride=2, bias=False), (3, 9)),
    ("conv2d", lambda: torch.nn.Conv2d(3, 4, 3, stride=2, padding=1), (3, 8, 8)),
    ("conv2dGrouped", lambda: torch.nn.Conv2d(4, 6, 3, groups=2, bias=False), (4, 6, 6)),
    ("conv3d", lambda: torch.nn.Conv3d(2, 3, 3, padding=1), (2, 4, 5, 5)),
    ("convTranspose1d", lambda: torch.nn.ConvTranspose1d(3, 2, 3, stride=2), (3, 5)),
    ("convTranspose2d", lambda: torch.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1), (4, 5, 5)),
    ("convTranspose2dGrouped", lambda: torch.nn.ConvTranspose2d(4, 6, 2, stride=2, groups=2, bias=False), (4, 3, 3)),
    ("convTranspose3d", lambda: torch.nn.ConvTranspose3d(2, 3, 2, stride=2), (2, 3, 3, 3)),
    # the first spatial size equal to Cin: calflops' assert passes and it counts C as the batch
    ("conv1dSizeIsCin", lambda: torch.nn.Conv1d(8, 4, 3), (8, 8)),
    ("conv2dSizeIsCin", lambda: torch.nn.Conv2d(4, 3, 3, stride=(1, 2), padding=1), (4, 4, 6)),
]


def refusal(e):
    """Why a tool raised: the exception, its message's first line, and the tool's line that raised."""
    import traceback
    frame = traceback.extract_tb(e.__traceback__)[-1]
    where = f"{'/'.join(Path(frame.filename).parts[-2:])} l. {frame.lineno}: {frame.line}"
    return f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]} ({where})"


@contextlib.contextmanager
def restored():
    """torch's functions, Tensor methods and torch.nn.functional as they were, after a tool that raised
    mid-count (calflops leaves F.conv1d … patched when its forward fails)."""
    owners = (torch, torch.Tensor, torch.nn.functional)
    saved = [(o, dict(vars(o))) for o in owners]
    try:
        yield
    finally:
        for o, attrs in saved:
            for k, v in attrs.items():
                if vars(o).get(k) is not v:
                    try:
                        setattr(o, k, v)
                    except (AttributeError, TypeError):
                        pass


def unbatched_convs():
    """Every tool on one convolution (conv1d/2d/3d, convTranspose1d/2d/3d; one grouped each way, with and
    without bias) fed one unbatched [C, …spatial] sample and the batch of one, as unbatched() runs the
    pools (src/conventions/families.ts, ptflops-defects.ts, onnx-tool.ts)."""
    out = {}
    for name, ctor, shape in UNBATCHED_CONVS:
        out[name] = {}
        for key, s in (("unbatched", shape), ("batched", (1, *shape))):
            x = torch.ones(*s)
            r = {"input": list(s)}
            for tool, run in (("thop", lambda: ct.run_thop(Pool(ctor()), x)[0]),
                              ("ptflops", lambda: {k: v for k, v in run_ptflops_batched(Pool(ctor()), x).items() if k in ("total", "batch")}),
                              ("fvcore", lambda: ct.run_fvcore(Pool(ctor()), x)[0]),
                              ("torchinfo", lambda: ct.run_torchinfo(Pool(ctor()), x, device="cpu")[0])):
                try:
                    with restored():
                        r[tool] = run()
                except Exception as e:  # noqa: BLE001 - a tool's refusal is the fixture's datum
                    r[tool] = {"error": refusal(e)}
            try:
                with restored():
                    (flops, _), (macs, _) = ct.run_calflops(Pool(ctor()), x)
                r["calflops"], r["calflops-macs"] = flops, macs
            except Exception as e:  # noqa: BLE001
                r["calflops"] = r["calflops-macs"] = {"error": refusal(e)}
            r["onnx-tool"] = {f"op{o}": onnx_tool_or_error(Pool(ctor()).eval(), x, o) for o in (13, 17)}
            out[name][key] = r
            print(name, key, json.dumps(r), flush=True)
    return out


CASES = {"video": video, "batch": batch, "swin": swin, "onnx": onnx_modules, "swinModules": swin_modules, "linearStrided": linear_strided, "unbatched": unbatched, "unbatchedConvs": unbatched_convs}


def main():
    args = ct.start("cases", f"any of {', '.join(CASES)} (default: all)")
    unknown = set(args.cases) - set(CASES)
    if unknown:
        args.parser.error(f"unknown cases {sorted(unknown)}: {', '.join(CASES)}")
    out = json.loads(OUT.read_text()) if args.cases and OUT.exists() else {"torch": torch.__version__, "tools": {}}
    every = {"onnx", "swinModules", "linearStrided", "unbatched", "unbatchedConvs"} & set(args.cases or CASES)
    ct.stamp_tools(out, args.tools, None if every else ("ptflops", "onnx-tool"))
    ct.run_cases(CASES, args.cases, out, OUT)


if __name__ == "__main__":
    main()
