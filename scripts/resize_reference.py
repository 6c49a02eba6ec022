"""ONNX Resize as onnx's reference implementation computes it (onnx/reference/ops/op_resize.py, onnx
1.14+, which the installed onnx 1.12 does not ship), ported to NumPy in float64 for the fixtures of
export_resize_fixtures.py: a second source beside onnxruntime, written from the spec's reference
rather than from convlens. Over every axis of an input of any rank (N,C,L; N,C,H,W; N,C,D,H,W),
the batch and channel axes included. Each output along an axis is the 1-D interpolation, at
the source coordinate of the coordinate transform, of the n samples nearest it (edge-padded),
weighted by the mode's coefficients at ratio = x − ⌊x⌋ in (0, 1] (1 on an integer); N-D applies
the 1-D rule along the last axis for every line, then the one before, …, as the reference's
recursion does (innermost axis first). An axis kept at its size at scale 1 over the roi [0, 1] is
left as it is, as onnxruntime leaves it (the reference would move it by tf_half_pixel_for_nn's half
pixel; no fixture has that case).
"""
import numpy as np


def cubic_coeffs(ratio, scale, A):
    r = ratio
    return np.array([
        ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
        ((A + 2) * r - (A + 3)) * r * r + 1,
        ((A + 2) * (1 - r) - (A + 3)) * (1 - r) * (1 - r) + 1,
        ((A * ((1 - r) + 1) - 5 * A) * ((1 - r) + 1) + 8 * A) * ((1 - r) + 1) - 4 * A,
    ])


def cubic_coeffs_antialias(ratio, scale, A):
    scale = min(scale, 1.0)

    def coeff(x):
        x = abs(x)
        if x <= 1:
            return (A + 2) * x**3 - (A + 3) * x**2 + 1
        if x < 2:
            return A * x**3 - 5 * A * x**2 + 8 * A * x - 4 * A
        return 0.0

    start = int(np.floor(-2 / scale) + 1)
    c = np.array([coeff(scale * (i - ratio)) for i in range(start, 2 - start)])
    return c / c.sum()


def linear_coeffs(ratio, scale):
    return np.array([1 - ratio, ratio])


def linear_coeffs_antialias(ratio, scale):
    scale = min(scale, 1.0)
    start = int(np.floor(-1 / scale) + 1)
    footprint = 2 - 2 * start
    c = np.clip(1 - np.abs((np.arange(start, start + footprint) - ratio) * scale), 0, 1)
    return c / c.sum()


def nearest_coeffs(ratio, mode):
    if float(ratio).is_integer():
        return np.array([0, 1])
    return {
        "round_prefer_floor": np.array([ratio <= 0.5, ratio > 0.5]),
        "round_prefer_ceil": np.array([ratio < 0.5, ratio >= 0.5]),
        "floor": np.array([1, 0]),
        "ceil": np.array([0, 1]),
    }[mode].astype(float)


def neighbours(x, n, data):
    """The n samples of edge-padded data nearest x (ties to the lower index), and their indices."""
    pad = int(np.ceil(n / 2))
    padded = np.pad(data, pad, mode="edge")
    idx = sorted(sorted(range(len(padded)), key=lambda i: (abs(x + pad - i), i))[:n])
    return np.array(idx) - pad, padded[idx]


def source(x, scale, in_w, out_w, transform, roi):
    out_f = scale * in_w
    if transform == "align_corners":
        return 0.0 if out_f == 1 else x * (in_w - 1) / (out_f - 1)
    if transform == "asymmetric":
        return x / scale
    if transform == "tf_half_pixel_for_nn":
        return (x + 0.5) / scale
    if transform == "tf_crop_and_resize":
        r = (roi[1] - roi[0]) * (in_w - 1) / 2 if out_w == 1 else x * (roi[1] - roi[0]) * (in_w - 1) / (out_w - 1)
        return r + roi[0] * (in_w - 1)
    if transform == "pytorch_half_pixel":
        return -0.5 if out_f == 1 else (x + 0.5) / scale - 0.5
    if transform == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if transform == "half_pixel_symmetric":
        offset = in_w / 2 * (1 - out_w / out_f)
        return offset + (x + 0.5) / scale - 0.5
    raise ValueError(transform)


def interpolate_1d(data, scale, out_w, x, attrs, roi):
    in_w = len(data)
    transform = attrs.get("coordinate_transformation_mode", "half_pixel")
    xo = source(x, scale, in_w, out_w, transform, roi)
    if transform == "tf_crop_and_resize" and (xo < 0 or xo > in_w - 1):
        return attrs.get("extrapolation_value", 0.0)
    ratio = 1.0 if float(xo).is_integer() else xo - np.floor(xo)
    mode, A, aa = attrs.get("mode", "nearest"), attrs.get("cubic_coeff_a", -0.75), attrs.get("antialias", 0)
    if mode == "nearest":
        c = nearest_coeffs(ratio, attrs.get("nearest_mode", "round_prefer_floor"))
    elif mode == "linear":
        c = linear_coeffs_antialias(ratio, scale) if aa else linear_coeffs(ratio, scale)
    else:
        c = cubic_coeffs_antialias(ratio, scale, A) if aa else cubic_coeffs(ratio, scale, A)
    idx, pts = neighbours(xo, len(c), data)
    if attrs.get("exclude_outside", 0):
        c = np.where((idx < 0) | (idx >= in_w), 0.0, c)
        c = c / c.sum()
    return float(np.dot(c, pts))


def resize(x, attrs, scales, out_size, roi):
    """x float64 of any rank; scales, out_size, roi ([start, end]) per axis."""
    y = x
    for ax in reversed(range(x.ndim)):
        if out_size[ax] == x.shape[ax] and scales[ax] == 1 and list(roi[ax]) == [0.0, 1.0]:
            continue
        line = lambda v, ax=ax: np.array([interpolate_1d(v, scales[ax], out_size[ax], o, attrs, roi[ax]) for o in range(out_size[ax])])
        y = np.apply_along_axis(line, ax, y)
    return y


def plan(shape, attrs, params):
    """Output size, coordinate scale and roi of every axis from the Resize's inputs (the reference's _resize)."""
    rank = len(shape)
    axes = [a % rank for a in attrs.get("axes", range(rank))]
    scales = [1.0] * rank
    out = list(shape)
    roi = [[0.0, 1.0] for _ in range(rank)]
    if "roi" in params:
        r = params["roi"]
        for k, a in enumerate(axes):
            roi[a] = [r[k], r[len(axes) + k]]
    if "sizes" in params:
        ratios = [params["sizes"][k] / shape[a] for k, a in enumerate(axes)]
        policy = attrs.get("keep_aspect_ratio_policy", "stretch")
        for k, a in enumerate(axes):
            if policy == "stretch":
                out[a], scales[a] = params["sizes"][k], ratios[k]
            else:
                s = min(ratios) if policy == "not_larger" else max(ratios)
                out[a], scales[a] = int(np.floor(s * shape[a] + 0.5)), s
    else:
        for k, a in enumerate(axes):
            scales[a] = params["scales"][k]
            out[a] = int(np.floor(shape[a] * (roi[a][1] - roi[a][0]) * scales[a]))
    return scales, out, [[float(a), float(b)] for a, b in roi], out
