#!/usr/bin/env python3
"""Real detectors for the importer's detection and control-flow paths (test/fixtures/onnx/detection/).

  fasterrcnn_mobilenet_v3_large_320_fpn_stripped.onnx  torchvision's (random weights), opset 11, one
      3×320×320 image: NonMaxSuppression inside If branches (batched_nms), RoiAlign
      (MultiScaleRoIAlign), TopK, NonZero, Range, ScatterElements and If on computed conditions.
  maskrcnn_resnet50_fpn_stripped.onnx  torchvision's maskrcnn_resnet50_fpn (random weights), opset 17,
      torch.onnx.export of ([img],) in eval mode on one 3×320×320 image: everything above plus the
      paste loop (roi_heads.paste_masks_in_image → _onnx_paste_masks_in_image_loop), a Loop whose
      trip count is the number of detections and whose body resizes each mask to its box.
  paste_masks.onnx + paste_masks.json  a tiny module around that same torchvision function (3 masks
      of 28×28 pasted by their boxes into a 20×24 image), opset 17, with inputs and PyTorch's output
      (eager torchvision.models.detection.roi_heads.paste_masks_in_image) for run goldens.
  heatmaps_to_keypoints.onnx  keypoint R-CNN's heatmaps_to_keypoints (2 ROIs, 17 heatmaps of 56×56):
      its Loop starts from zeros(0, 3, 17) and resizes each heatmap to its ROI's size (float widths).
  heatmaps_to_keypoints.json  its run golden: the ROIs and eager torchvision's keypoints and scores for
      heatmaps given by a formula (keypoint_maps: exact in float32 in any language, so the 107k values
      need not be stored); `--keypoints-golden` writes only this file.
Float initializers over 4 KB are stripped (shapes only: those tests analyse, they do not run).
Run from the repository root: nice -n 10 /usr/bin/python3 scripts/export_detection.py
"""
import json
from pathlib import Path

import numpy as np
import onnx
import torch
import torchvision
from torchvision.models.detection.roi_heads import heatmaps_to_keypoints, paste_masks_in_image

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "detection"


def strip(path):
    model = onnx.load(str(path))
    for t in model.graph.initializer:
        if t.data_type == onnx.TensorProto.FLOAT and len(t.raw_data) > 4096:
            t.ClearField("raw_data")
    onnx.save(model, str(path))
    print("wrote", path, path.stat().st_size, "bytes")


class Paste(torch.nn.Module):
    """What mask R-CNN's postprocess does with its masks: paste_masks_in_image at the image size."""

    def __init__(self, h, w):
        super().__init__()
        self.size = (h, w)

    def forward(self, masks, boxes):
        return paste_masks_in_image(masks, boxes, self.size, padding=1)


def paste_fixture():
    g = torch.Generator().manual_seed(10)
    masks = torch.rand(3, 1, 28, 28, generator=g)
    # inside the image; touching its top-left corner (zero-size padding in the body); past its bottom-right
    boxes = torch.tensor([[3.2, 4.7, 15.1, 12.9], [0.0, 0.0, 9.6, 18.4], [14.5, 6.0, 27.0, 23.5]])
    m = Paste(20, 24).eval()
    with torch.no_grad():
        y = m(masks, boxes)
    path = OUT / "paste_masks.onnx"
    torch.onnx.export(m, (masks, boxes), str(path), opset_version=17, input_names=["masks", "boxes"], output_names=["pasted"])
    enc = lambda t: {"shape": list(t.shape), "data": t.flatten().tolist()}
    (OUT / "paste_masks.json").write_text(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__,
                                                      "inputs": {"masks": enc(masks), "boxes": enc(boxes)}, "output": enc(y)}) + "\n")
    print("wrote", path, path.stat().st_size, "bytes", "output", list(y.shape))


class Keypoints(torch.nn.Module):
    """What keypoint R-CNN's postprocess does with its heatmaps: heatmaps_to_keypoints, a Loop under export."""

    def forward(self, maps, rois):
        return heatmaps_to_keypoints(maps, rois)


def keypoints_fixture():
    g = torch.Generator().manual_seed(11)
    maps = torch.rand(2, 17, 56, 56, generator=g)
    rois = torch.tensor([[3.0, 4.0, 40.0, 30.0], [10.0, 2.0, 25.0, 60.0]])
    path = OUT / "heatmaps_to_keypoints.onnx"
    torch.onnx.export(Keypoints().eval(), (maps, rois), str(path), opset_version=17, input_names=["maps", "rois"], output_names=["xy_preds", "end_scores"])
    print("wrote", path, path.stat().st_size, "bytes")


def keypoint_maps(n, k, h, w):
    """maps[i, c, y, x] = ((((i·k + c)·h + y)·w + x) · 2654435761 mod 1000003) / 1000003, rounded to float32 once."""
    idx = np.arange(n * k * h * w, dtype=np.int64)
    return torch.from_numpy(((idx * 2654435761) % 1000003 / 1000003).astype(np.float32).reshape(n, k, h, w))


def keypoints_golden():
    maps = keypoint_maps(2, 17, 56, 56)
    rois = torch.tensor([[3.0, 4.0, 40.0, 30.0], [10.0, 2.0, 25.0, 60.0]])
    with torch.no_grad():
        xy, scores = heatmaps_to_keypoints(maps, rois)
    enc = lambda t: {"shape": list(t.shape), "data": t.flatten().tolist()}
    path = OUT / "heatmaps_to_keypoints.json"
    path.write_text(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__,
                                "maps": {"shape": list(maps.shape), "formula": "((((i*k + c)*h + y)*w + x) * 2654435761 mod 1000003) / 1000003, float32"},
                                "inputs": {"rois": enc(rois)}, "outputs": {"xy_preds": enc(xy), "end_scores": enc(scores)}}) + "\n")
    print("wrote", path, path.stat().st_size, "bytes")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    m = torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn(weights=None, weights_backbone=None).eval()
    path = OUT / "fasterrcnn_mobilenet_v3_large_320_fpn_stripped.onnx"
    torch.onnx.export(m, ([torch.rand(3, 320, 320)],), str(path), opset_version=11, input_names=["image"])
    strip(path)

    torch.manual_seed(0)
    m = torchvision.models.detection.maskrcnn_resnet50_fpn(weights=None, weights_backbone=None).eval()
    print("maskrcnn_resnet50_fpn params", sum(p.numel() for p in m.parameters()))
    path = OUT / "maskrcnn_resnet50_fpn_stripped.onnx"
    torch.onnx.export(m, ([torch.rand(3, 320, 320)],), str(path), opset_version=17, input_names=["image"],
                      output_names=["boxes", "labels", "scores", "masks"])
    strip(path)

    paste_fixture()
    keypoints_fixture()
    keypoints_golden()


if __name__ == "__main__":
    import sys
    keypoints_golden() if "--keypoints-golden" in sys.argv else main()
