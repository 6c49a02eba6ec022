#!/usr/bin/env python3
"""Goldens for nonMaxSuppression and roiAlign (src/ops/detection.ts).

Sources: the ONNX backend test cases shipped with the onnx package
(onnx/backend/test/case/node/{nonmaxsuppression,roialign}.py, their published outputs, captured by
replacing their `expect`), torchvision.ops.nms (boxes converted from [x1, y1, x2, y2] to ONNX's
[y1, x1, y2, x2]) and torchvision.ops.roi_align (avg; aligned=True is half_pixel, aligned=False
output_half_pixel).

NonMaxSuppression's output size depends on the scores; the analysis sizes it at its upper bound.
Cases where the selection fills that bound go to test/fixtures/operators/detection.json (checked
with every operator); the others to test/fixtures/detection/nms.json, which
test/ops/detection.test.ts checks against the run's [K, 3] output; the backend's RoiAlign cases, published
to 4 decimals, to test/fixtures/detection/roialign-onnx.json (checked there to 1e-4).
torchvision's roi_align gradients (autograd: x.grad for a random output gradient) go to
test/fixtures/vjp/detection.json.
Run: /usr/bin/python3 scripts/goldens_detection.py
"""
import json
from pathlib import Path

import numpy as np
import torch
import torchvision
from onnx import helper
from onnx.backend.test.case.node import nonmaxsuppression, roialign

ROOT = Path(__file__).resolve().parent.parent / "test" / "fixtures"
torch.manual_seed(11)
FULL, PARTIAL, ROUNDED, VJP = [], [], [], []


def enc(a):
    a = np.asarray(a)
    w = {"shape": list(a.shape), "data": [float(np.float32(v)) for v in a.flatten().tolist()]}
    if a.dtype != np.float32:
        w["dtype"] = str(a.dtype)
    return w


def case(name, op, attrs, inputs, outputs, bound=None):
    c = {"name": name, "op": op, "attributes": attrs, "training": False, "inputs": [enc(t) for t in inputs], "weights": {}, "outputs": [enc(t) for t in outputs]}
    if bound is not None and np.asarray(outputs[0]).shape[0] != bound:
        c["bound"] = [bound, 3]
        PARTIAL.append(c)
    else:
        FULL.append(c)


def nms_case(name, attrs, inputs, selected):
    boxes, scores = inputs[0], inputs[1]
    mx = int(np.asarray(inputs[2]).flatten()[0]) if len(inputs) > 2 else 0
    bound = boxes.shape[0] * scores.shape[1] * min(boxes.shape[1], mx)
    case(name, "nonMaxSuppression", attrs, [np.asarray(v) for v in inputs], [np.asarray(selected)], bound)


def collect():
    def expect(node, inputs, outputs, name):
        a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
        label = f"{node.op_type} {name} (onnx backend test)"
        if node.op_type == "NonMaxSuppression":
            nms_case(label, {"centerPointBox": int(a.get("center_point_box", 0))}, inputs, outputs[0])
        else:
            attrs = {"mode": a.get("mode", b"avg").decode() if isinstance(a.get("mode", "avg"), bytes) else a.get("mode", "avg"),
                     "outputHeight": a.get("output_height", 1), "outputWidth": a.get("output_width", 1), "samplingRatio": a.get("sampling_ratio", 0),
                     "spatialScale": a.get("spatial_scale", 1.0),
                     "coordinateTransformationMode": (a.get("coordinate_transformation_mode", b"half_pixel")).decode() if isinstance(a.get("coordinate_transformation_mode", b""), bytes) else a.get("coordinate_transformation_mode", "half_pixel")}
            # the backend test publishes its RoiAlign outputs to 4 decimals: checked at that precision
            ROUNDED.append({"name": label, "op": "roiAlign", "attributes": attrs, "inputs": [enc(t) for t in inputs], "weights": {}, "outputs": [enc(t) for t in outputs]})
    nonmaxsuppression.expect = expect
    roialign.expect = expect
    for mod, cls in ((nonmaxsuppression, nonmaxsuppression.NonMaxSuppression), (roialign, roialign.RoiAlign)):
        for attr in dir(cls):
            if attr.startswith("export"):
                getattr(cls, attr)()


def random_boxes(n, size=20.0):
    xy = torch.rand(n, 2) * size
    wh = torch.rand(n, 2) * size / 2 + 1
    return torch.cat([xy, xy + wh], 1)


def main():
    collect()
    # torchvision.ops.nms: one batch, one class, every box kept that the greedy pass keeps
    for n, iou in ((12, 0.3), (20, 0.5)):
        b = random_boxes(n)
        s = torch.rand(n)
        keep = torchvision.ops.nms(b, s, iou).numpy()
        onnx_boxes = b[:, [1, 0, 3, 2]].numpy()[None]
        sel = np.stack([np.zeros_like(keep), np.zeros_like(keep), keep], 1).astype(np.int64)
        nms_case(f"nonMaxSuppression {n} boxes iou={iou} (torchvision.ops.nms)", {"centerPointBox": 0},
                 [onnx_boxes.astype(np.float32), s.numpy()[None, None].astype(np.float32), np.array([n], np.int64), np.array([iou], np.float32)], sel)

    # torchvision.ops.roi_align (avg): aligned both ways, fixed and adaptive sampling, a scale, two images
    x = torch.randn(2, 2, 9, 7)
    rois = torch.tensor([[1.0, 2.0, 6.5, 8.0], [0.0, 0.0, 13.0, 17.0], [3.3, 4.1, 5.2, 6.9], [-2.0, -1.0, 4.0, 3.0]])
    bidx = torch.tensor([0, 1, 1, 0])
    for aligned in (True, False):
        for ratio, scale, out in ((2, 1.0, (3, 3)), (0, 0.5, (2, 4)), (1, 0.5, (4, 2))):
            boxes = torch.cat([bidx[:, None].float(), rois], 1)
            xg = x.clone().requires_grad_()
            y = torchvision.ops.roi_align(xg, boxes, out, spatial_scale=scale, sampling_ratio=ratio, aligned=aligned)
            g = torch.randn_like(y)
            y.backward(g)
            y = y.detach()
            mode = "half_pixel" if aligned else "output_half_pixel"
            case(f"roiAlign x=[2,2,9,7] 4 rois out={list(out)} ratio={ratio} scale={scale} {mode} (torchvision.ops.roi_align)", "roiAlign",
                 {"outputHeight": out[0], "outputWidth": out[1], "samplingRatio": ratio, "spatialScale": scale, "coordinateTransformationMode": mode},
                 [x.numpy(), rois.numpy(), bidx.numpy().astype(np.int64)], [y.numpy()])
            VJP.append({"name": FULL[-1]["name"], "op": "roiAlign", "attributes": FULL[-1]["attributes"], "inputs": FULL[-1]["inputs"], "weights": {},
                        "gradOutputs": [enc(g.numpy())], "gradInputs": [enc(xg.grad.numpy()), None, None]})

    meta = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    (ROOT / "operators" / "detection.json").write_text(json.dumps({**meta, "cases": FULL}, separators=(",", ":")) + "\n")
    (ROOT / "detection" / "nms.json").write_text(json.dumps({**meta, "cases": PARTIAL}, separators=(",", ":")) + "\n")
    (ROOT / "vjp" / "detection.json").write_text(json.dumps({**meta, "cases": VJP}, separators=(",", ":")) + "\n")
    (ROOT / "detection" / "roialign-onnx.json").write_text(json.dumps({**meta, "decimals": 4, "cases": ROUNDED}, separators=(",", ":")) + "\n")
    print(len(FULL), "full-bound cases,", len(PARTIAL), "data-dependent NMS cases")


if __name__ == "__main__":
    main()
