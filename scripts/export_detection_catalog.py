#!/usr/bin/env python3
"""torchvision 0.14's whole detection catalog as ONNX, with PyTorch's own numbers (issue 10).

Every builder of torchvision.models.detection that takes `weights` (12 in 0.14.1) is built untrained
(weights=None, weights_backbone=None, seed 0), in eval mode, and exported as scripts/export_detection.py
does (its recipe: torch.onnx.export of ([image],) for ONE 3×320×320 image, input "image"; its strip():
float initializers over 4 KB keep dims and type, lose their data), at opsets 13 and 17, with two
choices of this catalog: training=TrainingMode.PRESERVE so BatchNorm is not folded into the convs
(the file holds the module's own parameters, as scripts/export_catalog.py), and named outputs
(boxes, labels, scores; + masks; + keypoints, keypoints_scores). Untrained builders use nn.BatchNorm2d
(FrozenBatchNorm2d only comes with pretrained weights).

Truth per model (test/fixtures/detection-catalog/truth.json):
  params      sum of parameter sizes (buffers excluded): torchvision's num_params
  macs        conv + linear multiply-accumulates by forward hooks on the real modules (the
              torchvision_truth.py rule, bias excluded): Conv2d N·Cout·H'·W'·(Cin/g)·kh·kw,
              ConvTranspose2d N·Cin·H·W·(Cout/g)·kh·kw, Linear rows·in·out. The transform resizes the
              320×320 image first (R-CNN, RetinaNet, FCOS: min_size 800 → 800×800; the _320 model and
              SSDlite 320×320; SSD300 300×300), so these are the MACs at the internal size.
                independent   every module outside the RoI heads (backbone, FPN, RPN head, single-stage
                              heads over all anchors): what the forward computes whatever the data
                parts         the RoI heads, whose rows are data-dependent: per-row MACs (the head run on
                              one RoI) × the bound the export states — box_head + box_predictor over the
                              proposals (rpn post_nms_top_n, testing), mask/keypoint heads over the
                              detections (roi_heads.detections_per_img)
                total         independent + Σ parts: what an analysis at the bounds counts
              Cross-check: the same eager forward counted on the ATen ops it dispatches
              (export_catalog.count_macs: convolution, mm, addmm, bmm, baddbmm) equals the hooks' sum
              of that forward (atenMatches).
  outputs     output names and shapes at the export's bounds (detections_per_img rows; masks at the
              320×320 image) and, for information, the eager forward's own shapes on the seed-0 image.
  opsets      per opset: file, size, export seconds, committed, or the export's error.

Files go to tmp/detection/ (not in git); opset-17 files up to --commit-kb (1 MB) within --budget-kb
(4.5 MB), smallest first, are copied to test/fixtures/detection-catalog/ and marked committed.
test/zoo/detection-catalog.test.ts reads both places.

--run: ssdlite320_mobilenet_v3_large (seed 0, every parameter + seeded noise: see run_golden) exported WITH its weights to tmp/detection/ (not
committed, 14 MB) and its eager outputs on a fixed image (IMAGE_FORMULA, rebuilt by the test) written
to test/fixtures/detection-catalog/ssdlite320_run.json.

Run from the repository root, one model at a time (each in a child process):
  nice -n 15 /usr/bin/python3 scripts/export_detection_catalog.py [names…] [--force] [--run] [--select]
"""
import argparse
import io
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export_detection import strip  # noqa: E402  the recipe's stripping (float initializers over 4 KB)

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "tmp" / "detection"
FIXTURES = ROOT / "test" / "fixtures" / "detection-catalog"
TRUTH = FIXTURES / "truth.json"
OPSETS = (13, 17)
IMAGE = 320
# the RoI heads: their rows (proposals, detections) depend on the data; ONNX scopes follow module names
HEADS = {
    "roi_heads.box_head": "proposals", "roi_heads.box_predictor": "proposals",
    "roi_heads.mask_head": "detections", "roi_heads.mask_predictor": "detections",
    "roi_heads.keypoint_head": "detections", "roi_heads.keypoint_predictor": "detections",
}
IMAGE_FORMULA = "x[c, h, w] = ((7·h² + 13·w² + 3·h·w + 101·c) mod 1009) / 1008, float32 (quadratic: no two places alike, so no tied scores)"


def builders():
    import inspect
    import torchvision.models.detection as det
    return sorted(n for n in dir(det) if not n.startswith("_") and inspect.isfunction(getattr(det, n))
                  and "weights" in inspect.signature(getattr(det, n)).parameters)


def build(name):
    import torch
    import torchvision.models.detection as det
    torch.manual_seed(0)
    return getattr(det, name)(weights=None, weights_backbone=None).eval()


def output_names(detections):
    """The exporter flattens the output dict in its key order: R-CNN writes boxes, labels, scores (+ masks;
    + keypoints, keypoints_scores), SSD, RetinaNet and FCOS boxes, scores, labels."""
    return list(detections.keys())


def bound_shapes(model, h, w):
    rh = getattr(model, "roi_heads", None)
    d = rh.detections_per_img if rh is not None else model.detections_per_img
    out = {"boxes": [d, 4], "labels": [d], "scores": [d]}
    if rh is not None and rh.has_mask():
        out["masks"] = [d, 1, h, w]
    if rh is not None and rh.has_keypoint():
        k = rh.keypoint_predictor.kps_score_lowres.out_channels
        out["keypoints"] = [d, k, 3]
        out["keypoints_scores"] = [d, k]
    return out


class Hooks:
    """Conv2d / ConvTranspose2d / Linear MACs per module (bias excluded), with the rows each saw."""

    def __init__(self, model):
        import torch.nn as nn
        self.records = []
        self.handles = []
        for mname, mod in model.named_modules():
            if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                self.handles.append(mod.register_forward_hook(self.hook(mname)))

    def hook(self, mname):
        import torch.nn as nn

        def fn(mod, inp, out):
            x = inp[0]
            if isinstance(mod, nn.ConvTranspose2d):  # over input positions
                macs = x.numel() * (mod.out_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
            elif isinstance(mod, nn.Conv2d):
                macs = out.numel() * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
            else:
                macs = (x.numel() // x.shape[-1]) * mod.in_features * mod.out_features
            self.records.append((mname, int(macs), int(x.shape[0])))
        return fn

    def close(self):
        for h in self.handles:
            h.remove()


def head_of(mname):
    for prefix in HEADS:
        if mname == prefix or mname.startswith(prefix + "."):
            return prefix
    return None


def per_row_macs(model):
    """The RoI heads run on ONE RoI of the pooler's size: MACs per row, by head module."""
    import torch
    rh = model.roi_heads
    c = model.backbone.out_channels
    size = lambda pool: (pool.output_size, pool.output_size) if isinstance(pool.output_size, int) else tuple(pool.output_size)
    out = {}
    chains = [("box", rh.box_roi_pool, rh.box_head, rh.box_predictor)]
    if rh.has_mask():
        chains.append(("mask", rh.mask_roi_pool, rh.mask_head, rh.mask_predictor))
    if rh.has_keypoint():
        chains.append(("keypoint", rh.keypoint_roi_pool, rh.keypoint_head, rh.keypoint_predictor))
    for kind, pool, head, pred in chains:
        hooks = Hooks(model)
        with torch.no_grad():
            pred(head(torch.zeros(1, c, *size(pool))))
        hooks.close()
        for mname, macs, _ in hooks.records:
            out[head_of(mname)] = out.get(head_of(mname), 0) + macs
    return out


def measure(name, model, x):
    """params, MACs (independent + per-row heads at their bounds), outputs; see the module docstring."""
    import torch
    from export_catalog import count_macs

    res = {"builder": f"torchvision.models.detection.{name}", "input": list(x.shape), "params": sum(p.numel() for p in model.parameters())}
    hooks = Hooks(model)
    aten = None
    try:
        with torch.no_grad():
            aten, y = count_macs(model, [x])
    except Exception as e:  # noqa: BLE001 - the cross-check is information; the hooks still count
        res["atenError"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        hooks.records.clear()
        with torch.no_grad():
            y = model([x])
    hooks.close()
    independent = sum(m for n, m, _ in hooks.records if head_of(n) is None)
    eager = {}
    for n, m, rows in hooks.records:
        h = head_of(n)
        if h:
            e = eager.setdefault(h, {"macs": 0, "rows": rows})
            e["macs"] += m
    res["transformedSize"] = list(model.transform(([x]))[0].tensors.shape[-2:]) if hasattr(model, "transform") else None
    parts = []
    if hasattr(model, "roi_heads"):
        bounds = {"proposals": model.rpn._post_nms_top_n["testing"], "detections": model.roi_heads.detections_per_img}
        for head, per_row in per_row_macs(model).items():
            rows = HEADS[head]
            parts.append({"module": head, "onnxScope": "/" + head.replace(".", "/") + "/", "rows": rows, "bound": bounds[rows],
                          "perRow": per_row, "macs": per_row * bounds[rows], "eager": eager.get(head)})
    res["macs"] = {"independent": independent, "parts": parts, "total": independent + sum(p["macs"] for p in parts),
                   "eagerHooks": sum(m for _, m, _ in hooks.records), "eagerAten": aten}
    res["macs"]["atenMatches"] = aten == res["macs"]["eagerHooks"] if aten is not None else None
    det = y[0]
    names = output_names(det)
    res["outputs"] = {"names": names, "bounds": bound_shapes(model, x.shape[1], x.shape[2]),
                      "eager": {k: list(det[k].shape) for k in names}}
    return res


def export(model, x, names, opset, path, weights):
    import onnx
    import torch
    buf = io.BytesIO()
    torch.onnx.export(model, ([x],), buf, opset_version=opset, input_names=["image"], output_names=names,
                      training=torch.onnx.TrainingMode.PRESERVE)
    m = onnx.load_from_string(buf.getvalue())
    onnx.save(m, str(path))
    if not weights:
        strip(path)


def one(name):
    """Child process: measure one model and export it at every opset; prints one JSON line."""
    import torch
    torch.set_num_threads(1)
    model = build(name)
    torch.manual_seed(1)
    x = torch.rand(3, IMAGE, IMAGE)
    res = measure(name, model, x)
    res["opsets"] = {}
    WORK.mkdir(parents=True, exist_ok=True)
    for opset in OPSETS:
        file = f"{name}.op{opset}.onnx"
        t0 = time.time()
        try:
            export(model, x, res["outputs"]["names"], opset, WORK / file, weights=False)
            res["opsets"][str(opset)] = {"file": file, "bytes": (WORK / file).stat().st_size, "seconds": round(time.time() - t0, 1)}
        except Exception as e:  # noqa: BLE001 - recorded in the truth as the export's own error
            res["opsets"][str(opset)] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"}
    print(json.dumps(res))


def fixed_image():
    import torch
    c, h, w = torch.meshgrid(torch.arange(3), torch.arange(IMAGE), torch.arange(IMAGE), indexing="ij")
    return (((7 * h * h + 13 * w * w + 3 * h * w + 101 * c) % 1009).double() / 1008).float()


def run_golden():
    """ssdlite320_mobilenet_v3_large with its (seed-0, untrained) weights and PyTorch's detections on the fixed image."""
    import torch
    torch.set_num_threads(1)
    name = "ssdlite320_mobilenet_v3_large"
    model = build(name)
    # the builder's untrained weights give all 91 class scores the same value (1/91 everywhere): the
    # 300 kept would then be ties ordered by each implementation's sort. Noise N(0, 0.05²) added to
    # every parameter (seeded) makes the scores distinct, so the comparison means something.
    torch.manual_seed(2)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    x = fixed_image()
    with torch.no_grad():
        y = model([x])[0]
    names = output_names(y)
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"{name}.weights.op17.onnx"
    export(model, x, names, 17, path, weights=True)
    enc = lambda t: {"shape": list(t.shape), "data": t.flatten().tolist()}
    FIXTURES.mkdir(parents=True, exist_ok=True)
    (FIXTURES / "ssdlite320_run.json").write_text(json.dumps({
        "torch": torch.__version__, "model": name, "seed": 0, "noise": "every parameter + N(0, 0.05²), torch.manual_seed(2)", "file": path.name, "image": IMAGE_FORMULA, "input": [3, IMAGE, IMAGE],
        "outputs": {k: enc(y[k]) for k in names}}) + "\n")
    print("wrote", path, path.stat().st_size, "bytes;", {k: list(y[k].shape) for k in names})


def select(truth, commit_kb, budget_kb):
    """Commit opset-17 files under commit_kb, smallest first, within the budget."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for old in FIXTURES.glob("*.onnx"):
        old.unlink()
    sizes = []
    for name, t in truth["models"].items():
        for opset, o in t.get("opsets", {}).items():
            if "file" in o:
                o["committed"] = False
                if opset == "17" and o["bytes"] <= commit_kb * 1024 and (WORK / o["file"]).exists():
                    sizes.append((o["bytes"], name, o))
    spent = 0
    for size, name, o in sorted(sizes):
        if spent + size > budget_kb * 1024:
            continue
        spent += size
        shutil.copy(WORK / o["file"], FIXTURES / o["file"])
        o["committed"] = True
    truth["committed"] = {"bytes": spent, "commitKb": commit_kb, "budgetKb": budget_kb}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--one")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--select", action="store_true")
    ap.add_argument("--run", action="store_true")
    ap.add_argument("--commit-kb", type=int, default=1024)
    ap.add_argument("--budget-kb", type=int, default=4608)
    a = ap.parse_args()
    if a.one:
        one(a.one)
        return
    if a.run:
        run_golden()
        return
    import onnx
    import torch
    import torchvision
    truth = json.loads(TRUTH.read_text()) if TRUTH.exists() else {}
    truth.update({"torch": torch.__version__, "torchvision": torchvision.__version__, "onnx": onnx.__version__,
                  "image": [3, IMAGE, IMAGE], "opsets": list(OPSETS)})
    truth.setdefault("models", {})
    if not a.select:
        for name in a.names or builders():
            if name in truth["models"] and not a.force:
                continue
            t0 = time.time()
            p = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True)
            if p.returncode != 0:
                truth["models"][name] = {"error": (p.stderr.strip().splitlines() or ["?"])[-1][:300]}
            else:
                truth["models"][name] = json.loads(p.stdout.strip().splitlines()[-1])
            print(f"{name} {time.time() - t0:.0f}s", json.dumps(truth["models"][name]), flush=True)
            truth["models"] = dict(sorted(truth["models"].items()))
            FIXTURES.mkdir(parents=True, exist_ok=True)
            TRUTH.write_text(json.dumps(truth, indent=1) + "\n")
    select(truth, a.commit_kb, a.budget_kb)
    TRUTH.write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    main()
