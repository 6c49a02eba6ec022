#!/usr/bin/env python3
"""ONNX Resize nodes with the attributes exported models use beyond PyTorch's defaults, built by hand
with onnx.helper (one Resize over the graph input X, scales or sizes as initializers), and a seeded
input per case. The expected outputs come from onnxruntime (scripts/resize_goldens.mjs), which
implements the Resize spec), and from onnx's reference implementation ported to NumPy
(scripts/resize_reference.py: onnx 1.12 predates onnx.reference), which this script runs.

  cubic_a05_*          cubic_coeff_a −0.5 (TensorFlow's bicubic, as tf2onnx exports it)
  *_exclude*           exclude_outside 1: taps outside the input weigh 0, the rest renormalised
  axes_*               opset 18's axes: scales or sizes for a subset of the axes
  keep_*               opset 18's keep_aspect_ratio_policy (not_larger, not_smaller) on sizes
  aa_*                 opset 18's antialias 1 (linear and cubic, filter widened by 1/scale downscaling)
  crop_*               tf_crop_and_resize with roi and extrapolation_value
  symmetric_*          opset 19's half_pixel_symmetric
  r3_*, r5_*           rank 3 (N, C, L: audio) and rank 5 (N, C, D, H, W: video, 3-D UNets) with the
                       same attributes; onnxruntime runs linear and nearest there, cubic only in 2-D
                       (it refuses these graphs: the reference alone is their truth)
  nc_*                 the batch or channel axis resized (onnxruntime: nearest only)

Where PyTorch has the same resampling (F.interpolate linear, trilinear, nearest, by scale_factor or
size, align_corners) its output is kept too (`torch`): a third source. And two tiny 3-D networks
(Conv3d, trilinear F.interpolate, Conv3d) exported by torch.onnx.export at opsets 13 (scale_factor)
and 17 (size, align_corners), weights kept (a few hundred), with PyTorch's output (torch3d.json).

Writes test/fixtures/onnx/resize/<case>.onnx and inputs.json ({case: {opset, attrs, input, reference}}).
Run: /usr/bin/python3 scripts/export_resize_fixtures.py && node scripts/resize_goldens.mjs
(onnx 1.12's checker knows opsets ≤ 17: graphs of opset 18 and 19 are not checked here; onnxruntime
loads them.)
"""
import json
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

import resize_reference

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "onnx" / "resize"

# name: (input shape, opset, attributes, {"scales"|"sizes"|"roi": values})
CASES = {
    "cubic_a05_half_pixel": ([1, 2, 5, 6], 13, dict(mode="cubic", cubic_coeff_a=-0.5), dict(scales=[1, 1, 1.5, 2])),
    "cubic_a05_exclude_asymmetric": ([1, 2, 5, 6], 13, dict(mode="cubic", cubic_coeff_a=-0.5, exclude_outside=1, coordinate_transformation_mode="asymmetric"), dict(scales=[1, 1, 2, 1.5])),
    "cubic_a05_exclude_half_pixel_sizes": ([1, 2, 5, 6], 13, dict(mode="cubic", cubic_coeff_a=-0.5, exclude_outside=1), dict(sizes=[1, 2, 9, 11])),
    "cubic_exclude_down": ([1, 2, 7, 8], 13, dict(mode="cubic", exclude_outside=1), dict(sizes=[1, 2, 4, 3])),
    "cubic_a05_exclude_align_corners": ([1, 2, 5, 6], 13, dict(mode="cubic", cubic_coeff_a=-0.5, exclude_outside=1, coordinate_transformation_mode="align_corners"), dict(sizes=[1, 2, 8, 7])),
    "axes_23_scales_linear": ([1, 2, 5, 6], 18, dict(mode="linear", axes=[2, 3]), dict(scales=[2.0, 0.5])),
    "axes_last_sizes_linear": ([1, 2, 5, 6], 18, dict(mode="linear", axes=[-1]), dict(sizes=[10])),
    "axes_32_sizes_nearest": ([1, 2, 5, 6], 18, dict(mode="nearest", axes=[3, 2]), dict(sizes=[4, 8])),
    "keep_not_larger": ([1, 2, 4, 5], 18, dict(mode="linear", axes=[2, 3], keep_aspect_ratio_policy="not_larger"), dict(sizes=[2, 10])),
    "keep_not_smaller": ([1, 2, 6, 7], 18, dict(mode="linear", axes=[2, 3], keep_aspect_ratio_policy="not_smaller"), dict(sizes=[9, 9])),
    "keep_not_larger_all_axes": ([1, 2, 4, 5], 18, dict(mode="linear", keep_aspect_ratio_policy="not_larger"), dict(sizes=[1, 2, 8, 10])),
    "keep_not_smaller_cubic": ([1, 2, 6, 5], 18, dict(mode="cubic", axes=[2, 3], keep_aspect_ratio_policy="not_smaller"), dict(sizes=[3, 4])),
    "aa_linear_down": ([1, 2, 8, 9], 18, dict(mode="linear", antialias=1), dict(scales=[1, 1, 0.5, 0.6])),
    "aa_linear_mixed_asymmetric": ([1, 2, 10, 4], 18, dict(mode="linear", antialias=1, coordinate_transformation_mode="asymmetric"), dict(scales=[1, 1, 0.4, 1.5])),
    "aa_linear_align_corners_sizes": ([1, 2, 9, 8], 18, dict(mode="linear", antialias=1, coordinate_transformation_mode="align_corners"), dict(sizes=[1, 2, 4, 3])),
    "aa_cubic_down_sizes": ([1, 2, 9, 8], 18, dict(mode="cubic", antialias=1), dict(sizes=[1, 2, 3, 5])),
    "aa_cubic_a05_exclude": ([1, 2, 8, 9], 18, dict(mode="cubic", antialias=1, cubic_coeff_a=-0.5, exclude_outside=1, coordinate_transformation_mode="pytorch_half_pixel"), dict(scales=[1, 1, 0.5, 0.7])),
    "aa_cubic_up": ([1, 2, 4, 5], 18, dict(mode="cubic", antialias=1), dict(scales=[1, 1, 1.5, 2])),
    "crop_linear_inside": ([1, 2, 6, 7], 13, dict(mode="linear", coordinate_transformation_mode="tf_crop_and_resize"), dict(roi=[0, 0, 0.2, 0.1, 1, 1, 0.9, 0.8], sizes=[1, 2, 5, 4])),
    "crop_cubic_extrapolate": ([1, 2, 6, 7], 13, dict(mode="cubic", coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=7.0), dict(roi=[0, 0, -0.2, 0.3, 1, 1, 1.2, 0.9], sizes=[1, 2, 6, 5])),
    "crop_nearest_extrapolate": ([1, 2, 6, 7], 13, dict(mode="nearest", coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-3.0), dict(roi=[0, 0, -0.3, 0.1, 1, 1, 0.8, 1.3], sizes=[1, 2, 5, 6])),
    "symmetric_linear": ([1, 2, 5, 7], 19, dict(mode="linear", coordinate_transformation_mode="half_pixel_symmetric"), dict(scales=[1, 1, 1.7, 0.6])),
    "symmetric_cubic_sizes": ([1, 2, 5, 7], 19, dict(mode="cubic", coordinate_transformation_mode="half_pixel_symmetric"), dict(sizes=[1, 2, 8, 4])),
    "nearest_round_prefer_ceil_tf_nn": ([1, 2, 5, 6], 13, dict(mode="nearest", coordinate_transformation_mode="tf_half_pixel_for_nn", nearest_mode="round_prefer_ceil"), dict(scales=[1, 1, 1.5, 0.7])),
    # rank 3: N, C, L
    "r3_linear_half_pixel": ([1, 2, 7], 13, dict(mode="linear"), dict(scales=[1, 1, 2.5])),
    "r3_linear_align_corners_sizes": ([2, 3, 6], 13, dict(mode="linear", coordinate_transformation_mode="align_corners"), dict(sizes=[2, 3, 11])),
    "r3_nearest_asymmetric_floor_sizes": ([1, 2, 5], 13, dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"), dict(sizes=[1, 2, 12])),
    "r3_cubic_a05_exclude": ([1, 2, 6], 13, dict(mode="cubic", cubic_coeff_a=-0.5, exclude_outside=1), dict(scales=[1, 1, 1.5])),
    "r3_aa_linear_down_axes": ([1, 2, 12], 18, dict(mode="linear", antialias=1, axes=[2]), dict(scales=[0.4])),
    "r3_aa_cubic_down_sizes": ([1, 2, 13], 18, dict(mode="cubic", antialias=1, axes=[-1]), dict(sizes=[5])),
    "r3_crop_linear_extrapolate": ([1, 2, 8], 18, dict(mode="linear", coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=5.0, axes=[2]), dict(roi=[-0.2, 0.9], sizes=[7])),
    # rank 5: N, C, D, H, W
    "r5_linear_half_pixel": ([1, 2, 3, 4, 5], 13, dict(mode="linear"), dict(scales=[1, 1, 2, 2, 2])),
    "r5_linear_align_corners_sizes": ([1, 2, 3, 4, 3], 13, dict(mode="linear", coordinate_transformation_mode="align_corners"), dict(sizes=[1, 2, 5, 7, 6])),
    "r5_nearest_asymmetric_floor_sizes": ([1, 2, 3, 4, 2], 13, dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"), dict(sizes=[1, 2, 6, 9, 3])),
    "r5_nearest_round_prefer_ceil": ([1, 2, 3, 4, 5], 13, dict(mode="nearest", nearest_mode="round_prefer_ceil"), dict(scales=[1, 1, 1.5, 0.75, 1.6])),
    "r5_cubic_half_pixel": ([1, 1, 3, 4, 5], 13, dict(mode="cubic"), dict(scales=[1, 1, 1.5, 2, 1])),
    "r5_cubic_aa_a05_exclude_axes": ([1, 1, 6, 7, 8], 18, dict(mode="cubic", antialias=1, cubic_coeff_a=-0.5, exclude_outside=1, axes=[2, 3, 4]), dict(scales=[0.5, 0.7, 0.6])),
    "r5_aa_linear_down_sizes": ([1, 2, 6, 7, 8], 18, dict(mode="linear", antialias=1, axes=[-3, -2, -1]), dict(sizes=[3, 4, 3])),
    "r5_keep_not_smaller": ([1, 1, 3, 5, 4], 18, dict(mode="linear", axes=[2, 3, 4], keep_aspect_ratio_policy="not_smaller"), dict(sizes=[4, 4, 4])),
    "r5_keep_not_larger_sizes_nearest": ([1, 1, 3, 5, 4], 18, dict(mode="nearest", axes=[4, 2, 3], keep_aspect_ratio_policy="not_larger"), dict(sizes=[6, 9, 9])),
    "r5_crop_nearest_extrapolate": ([1, 2, 4, 5, 6], 13, dict(mode="nearest", coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-2.0), dict(roi=[0, 0, -0.2, 0.1, 0.3, 1, 1, 0.9, 1.2, 1.0], sizes=[1, 2, 4, 3, 5])),
    "r5_symmetric_linear": ([1, 1, 3, 4, 5], 19, dict(mode="linear", coordinate_transformation_mode="half_pixel_symmetric"), dict(scales=[1, 1, 1.7, 0.6, 1.3])),
    "r5_pytorch_half_pixel_linear_down": ([1, 2, 5, 6, 7], 13, dict(mode="linear", coordinate_transformation_mode="pytorch_half_pixel"), dict(sizes=[1, 2, 1, 3, 4])),
    # the batch or channel axis resized
    "nc_nearest_channels": ([1, 3, 4, 5], 13, dict(mode="nearest"), dict(scales=[1, 2, 1, 1])),
    "nc_nearest_batch_r5": ([2, 2, 2, 3, 3], 13, dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"), dict(scales=[1.5, 1, 2, 1, 1])),
    "nc_linear_batch_channels": ([2, 3, 3, 4], 13, dict(mode="linear"), dict(scales=[1.5, 2, 2, 1])),
    "nc_keep_not_smaller_all_axes": ([1, 3, 4, 6], 18, dict(mode="linear", keep_aspect_ratio_policy="not_smaller"), dict(sizes=[1, 3, 2, 12])),
    "nc_cubic_channels_r3": ([1, 4, 5], 13, dict(mode="cubic"), dict(scales=[1, 0.75, 2])),
}

DIM_NAMES = {3: ["n", "c", "l"], 4: ["n", "c", "h", "w"], 5: ["n", "c", "d", "h", "w"]}

# PyTorch's F.interpolate doing what the case does (kwargs), where it has it
TORCH = {
    "r3_linear_half_pixel": dict(mode="linear", scale_factor=2.5, align_corners=False),
    "r3_linear_align_corners_sizes": dict(mode="linear", size=11, align_corners=True),
    "r3_nearest_asymmetric_floor_sizes": dict(mode="nearest", size=12),
    "r5_linear_half_pixel": dict(mode="trilinear", scale_factor=2, align_corners=False),
    "r5_linear_align_corners_sizes": dict(mode="trilinear", size=(5, 7, 6), align_corners=True),
    "r5_nearest_asymmetric_floor_sizes": dict(mode="nearest", size=(6, 9, 3)),
}


class Tiny3d(torch.nn.Module):
    """A 3-D UNet's decoder step in miniature: conv, trilinear upsampling, conv."""

    def __init__(self, **interp):
        super().__init__()
        self.a = torch.nn.Conv3d(2, 3, 3, padding=1)
        self.b = torch.nn.Conv3d(3, 2, 1)
        self.interp = interp

    def forward(self, x):
        return self.b(F.interpolate(torch.relu(self.a(x)), mode="trilinear", **self.interp))


TORCH_MODELS = {
    "torch3d_trilinear_x2_opset13": (13, dict(scale_factor=2.0, align_corners=False)),
    "torch3d_trilinear_size_align_opset17": (17, dict(size=(5, 9, 7), align_corners=True)),
}


def torch_models(rng):
    out = {}
    for name, (opset, interp) in TORCH_MODELS.items():
        torch.manual_seed(len(out))
        model = Tiny3d(**interp).eval()
        x = torch.from_numpy(rng.standard_normal([1, 2, 3, 4, 5]).astype(np.float32))
        torch.onnx.export(model, (x,), str(OUT / f"{name}.onnx"), opset_version=opset, input_names=["X"], output_names=["Y"])
        with torch.no_grad():
            y = model(x)
        out[name] = {"opset": opset, "interpolate": {k: list(v) if isinstance(v, tuple) else v for k, v in interp.items()}, "torch": torch.__version__,
                     "input": {"shape": list(x.shape), "data": [float(v) for v in x.flatten()]}, "output": {"shape": list(y.shape), "data": [float(v) for v in y.flatten()]}}
    (OUT / "torch3d.json").write_text(json.dumps(out) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    inputs = {}
    for name, (shape, opset, attrs, params) in CASES.items():
        x = rng.standard_normal(shape).astype(np.float32)
        inits, names = [], []
        for key in ("roi", "scales", "sizes"):
            if key in params:
                arr = np.array(params[key], dtype=np.int64 if key == "sizes" else np.float32)
                inits.append(numpy_helper.from_array(arr, key))
                names.append(key)
            else:
                names.append("")
        while names and names[-1] == "":
            names.pop()
        node = helper.make_node("Resize", ["X"] + names, ["Y"], name="resize", **attrs)
        graph = helper.make_graph([node], name, [helper.make_tensor_value_info("X", TensorProto.FLOAT, shape)], [helper.make_tensor_value_info("Y", TensorProto.FLOAT, DIM_NAMES[len(shape)])], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="export_resize_fixtures.py")
        model.ir_version = 8 if opset <= 17 else 9
        if opset <= 17:
            onnx.checker.check_model(model)
        onnx.save(model, str(OUT / f"{name}.onnx"))
        # the reference reads the roi and scales the file holds: float32 (a roi of 0.3 puts a source at 1.50000006, not 1.5)
        stored = {k: [float(np.float32(v)) for v in vs] if k != "sizes" else vs for k, vs in params.items()}
        scales, size, roi, out = resize_reference.plan(shape, attrs, stored)
        ref = resize_reference.resize(x.astype(np.float64), attrs, scales, size, roi).astype(np.float32)
        assert list(ref.shape) == out
        inputs[name] = {"opset": opset, "attrs": attrs, **params, "input": {"shape": shape, "data": [float(v) for v in x.flatten()]}, "reference": {"shape": out, "data": [float(v) for v in ref.flatten()]}}
        if name in TORCH:
            y = F.interpolate(torch.from_numpy(x), **TORCH[name])
            inputs[name]["torch"] = {"interpolate": {k: list(v) if isinstance(v, tuple) else v for k, v in TORCH[name].items()}, "shape": list(y.shape), "data": [float(v) for v in y.flatten()]}
    (OUT / "inputs.json").write_text(json.dumps({"onnx": onnx.__version__, "torch": torch.__version__, "cases": inputs}) + "\n")
    torch_models(rng)


if __name__ == "__main__":
    main()
