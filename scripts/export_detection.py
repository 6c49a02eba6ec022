#!/usr/bin/env python3
"""A real detector for the importer's detection and control-flow paths: torchvision's
fasterrcnn_mobilenet_v3_large_320_fpn (random weights), torch.onnx.export at opset 11 on one
3×320×320 image, float initializers over 4 KB stripped (shapes only: the test analyses, it does
not run). Its graph has NonMaxSuppression inside If branches (batched_nms), RoiAlign
(MultiScaleRoIAlign), TopK, NonZero, Range, ScatterElements and If on computed conditions.
Writes test/fixtures/onnx/detection/fasterrcnn_mobilenet_v3_large_320_fpn_stripped.onnx.
Run from the repository root: /usr/bin/python3 scripts/export_detection.py
"""
from pathlib import Path

import onnx
import torch
import torchvision

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "detection"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    m = torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn(weights=None, weights_backbone=None).eval()
    path = OUT / "fasterrcnn_mobilenet_v3_large_320_fpn_stripped.onnx"
    torch.onnx.export(m, ([torch.rand(3, 320, 320)],), str(path), opset_version=11, input_names=["image"])
    model = onnx.load(str(path))
    for t in model.graph.initializer:
        if t.data_type == onnx.TensorProto.FLOAT and len(t.raw_data) > 4096:
            t.ClearField("raw_data")
    onnx.save(model, str(path))
    print("wrote", path, path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
