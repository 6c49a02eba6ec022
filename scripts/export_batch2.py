#!/usr/bin/env python3
"""A representative set of the torchvision catalog at batch 2, fixed and with a dynamic batch axis, with PyTorch's numbers.

scripts/export_catalog.py measures every builder at batch 1; this script checks that nothing in an
import or a report depends on N = 1 (a Reshape with a hard-coded 1, Flatten, attention and window
reshapes). Each model below is built as the catalog builds it (its builders, BUILDER_KW, segmentation's
main output, NO_FOLDING for Swin and MaxViT, BatchNorm preserved, weights stripped: export_catalog.strip),
measured at batch 2 (export_catalog.count_macs: conv + linear + matmul MACs on the ATen ops a forward
dispatches) and exported by torch.onnx.export at opset 17 twice, both traced at batch 2:
  fixed     the batch is 2 in the file
  dynamic   dynamic_axes={'input': {0: 'N'}, 'output': {0: 'N'}}: the file's batch is a symbol the
            analyser is given at 2 (the service's ?input=, the CLI's --input)

Truth (test/fixtures/catalog-batch2/truth.json) per model: params, MACs at batch 2, output shapes, the input,
and the model's batch-1 MACs from test/fixtures/catalog/truth.json (the catalog's own measure), so the
test can say where batch 2 is exactly twice batch 1. Files go to tmp/catalog-batch2/ (not in git); those
up to --commit-kb each within --budget-kb together are copied to test/fixtures/catalog-batch2/;
test/zoo/catalog-batch2.test.ts reads both places and skips, with the reason, what is in neither.

Run: /usr/bin/python3 scripts/export_batch2.py [names…] [--force]   (each model in a child process)
"""
import argparse
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import export_catalog as cat

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "tmp" / "catalog-batch2"
FIXTURES = ROOT / "test" / "fixtures" / "catalog-batch2"
TRUTH = FIXTURES / "truth.json"
OPSET = 17
BATCH = 2
# one of each family the catalog covers, the transformers (attention and window reshapes) included;
# swin_v2_t: its position-bias MLP runs once per forward, so its MACs at 2 are not twice those at 1
MODELS = ("resnet18", "squeezenet1_1", "mobilenet_v3_small", "shufflenet_v2_x0_5", "googlenet", "regnet_y_400mf",
          "efficientnet_b0", "densenet121", "convnext_tiny", "vit_b_32", "lraspp_mobilenet_v3_large", "r3d_18",
          "swin_t", "maxvit_t", "swin_v2_t")
FORMS = {"fixed": None, "dynamic": {"input": {0: "N"}, "output": {0: "N"}}}


def one(name):
    """Child process: measure one model at batch 2 and export both forms; prints one JSON line."""
    import onnx
    import resource
    import torch
    import torchvision.models as tvm
    import torchvision.models.segmentation as seg
    import torchvision.models.video as video

    torch.set_num_threads(1)
    torch.manual_seed(0)
    cat.register_zero_symbolic()
    task, qual = cat.builders()[name]
    ctor = getattr({"segmentation": seg, "video": video}.get(task, tvm), name)
    if task == "video":
        resource.setrlimit(resource.RLIMIT_AS, (cat.VIDEO_ADDRESS_SPACE, cat.VIDEO_ADDRESS_SPACE))
    kw = dict(cat.BUILDER_KW.get(name, {}))
    if task == "segmentation":
        kw["weights_backbone"] = None
    model = ctor(weights=None, **kw)
    if task == "segmentation":
        model = cat.MainOutput(model)
    model.eval()
    one_shape = cat.VIDEO_INPUT if task == "video" else [1, 3, cat.RESOLUTION, cat.RESOLUTION]
    shape = [BATCH] + one_shape[1:]
    res = {"task": task, "builder": qual, "input": shape, "params": sum(p.numel() for p in model.parameters()), "forms": {}}
    x = torch.randn(*shape)
    WORK.mkdir(parents=True, exist_ok=True)
    for form, axes in FORMS.items():
        file = f"{name}.b{BATCH}.{form}.op{OPSET}.onnx"
        t0 = time.time()
        try:
            buf = io.BytesIO()
            torch.onnx.export(model, x, buf, opset_version=OPSET, input_names=["input"], output_names=["output"],
                              dynamic_axes=axes, do_constant_folding=not name.startswith(cat.NO_FOLDING),
                              training=torch.onnx.TrainingMode.PRESERVE)
            m = cat.strip(onnx.load_from_string(buf.getvalue()))
            onnx.save(m, str(WORK / file))
            res["forms"][form] = {"file": file, "bytes": (WORK / file).stat().st_size, "seconds": round(time.time() - t0, 1)}
        except Exception as e:  # noqa: BLE001 - recorded as the export's own error
            res["forms"][form] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"}
    macs, y = cat.count_macs(model, x)
    res["macs"] = macs
    res["outputs"] = [list(y.shape)]
    print(json.dumps(res))


def select(truth, commit_kb, budget_kb):
    """Commit the models whose two files are each under commit_kb, in MODELS' order, within the budget."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    source = lambda f: WORK / f if (WORK / f).exists() else (FIXTURES / f if (FIXTURES / f).exists() else None)
    spent, taken = 0, []
    for name in sorted(truth["models"], key=lambda n: MODELS.index(n) if n in MODELS else len(MODELS)):
        files = [o for o in truth["models"][name].get("forms", {}).values() if "file" in o]
        ok = files and all(o["bytes"] <= commit_kb * 1024 and source(o["file"]) for o in files)
        size = sum(o["bytes"] for o in files)
        take = bool(ok) and spent + size <= budget_kb * 1024
        spent += size if take else 0
        taken += [(o, take) for o in files]
    cat.commit_files(taken, WORK, FIXTURES)
    truth["committed"] = {"bytes": spent, "commitKb": commit_kb, "budgetKb": budget_kb}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--one")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--commit-kb", type=int, default=300)
    ap.add_argument("--budget-kb", type=int, default=2560)
    a = ap.parse_args()
    if a.one:
        one(a.one)
        return
    import onnx
    import torch
    batch1 = json.loads(cat.TRUTH.read_text())["models"]
    truth = json.loads(TRUTH.read_text()) if TRUTH.exists() else {}
    truth.update({"torch": torch.__version__, "onnx": onnx.__version__, "batch": BATCH, "opset": OPSET, "forms": list(FORMS)})
    truth.setdefault("models", {})
    for name in a.names or MODELS:
        if name in truth["models"] and not a.force:
            continue
        t0 = time.time()
        p = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True)
        if p.returncode != 0:
            truth["models"][name] = {"error": (p.stderr.strip().splitlines() or ["?"])[-1][:300]}
        else:
            res = json.loads(p.stdout.strip().splitlines()[-1])
            one_ = batch1.get(name, {})
            res["batch1"] = {"input": one_.get("input"), "params": one_.get("params"), "macs": one_.get("macs"), "outputs": one_.get("outputs")}
            truth["models"][name] = res
        print(f"{name} {time.time() - t0:.0f}s", json.dumps({k: v for k, v in truth["models"][name].items() if k != "builder"}), flush=True)
        TRUTH.parent.mkdir(parents=True, exist_ok=True)
        TRUTH.write_text(json.dumps(truth, indent=1) + "\n")
    select(truth, a.commit_kb, a.budget_kb)
    TRUTH.write_text(json.dumps(truth, indent=1) + "\n")


if __name__ == "__main__":
    main()
