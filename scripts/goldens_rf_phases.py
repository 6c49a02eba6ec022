"""Receptive fields of a map cut into its stride's phases and concatenated along the channels (a
space-to-depth written as strided slices): YOLOv5's Focus stem (x[..., ::2, ::2], x[..., 1::2, ::2],
x[..., ::2, 1::2], x[..., 1::2, 1::2] joined along C) and Swin's PatchMerging (the same four slices
of a channels-last [N, H, W, C] map, after the stride-4 patch embedding), against PyTorch autograd;
and two controls that are no full grid of phases: the diagonal pieces alone ((0, 0) and (1, 1)), and
phases 0 and 1 of a stride-3 slice (x[..., ::3, :], x[..., 1::3, :]: pixel 2 of every 3 is never read).

Measured as scripts/goldens_rf_resampling.py measures (golden_kit.footprint_boxes: positive weights,
every conv's kernel all ones, double precision, inputs in [0.5, 1.5), so no gradient cancels): for
each case, per axis, each output unit's input box [lo, hi] along the diagonal (unit t on every axis).
test/analysis/receptive-phases.test.ts checks the spec's field holds every unit's box, tightly.

    /usr/bin/python3 scripts/goldens_rf_phases.py > test/fixtures/rf-nd/phases.json
"""
import json

import torch
import torch.nn.functional as F

from golden_kit import footprint_boxes

D = torch.double


def ones_conv(x, out, k, stride=1, padding=0):
    w = torch.ones(out, x.shape[1], k, k, dtype=D)
    return F.conv2d(x, w, stride=stride, padding=padding)


def focus(x):
    return torch.cat([x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]], 1)


def focus_conv(x):
    return ones_conv(focus(x), 2, 3, padding=1)


def patch_merging(x):
    y = ones_conv(x, 2, 4, stride=4).permute(0, 2, 3, 1)
    y = torch.cat([y[:, 0::2, 0::2, :], y[:, 1::2, 0::2, :], y[:, 0::2, 1::2, :], y[:, 1::2, 1::2, :]], -1)
    return y.permute(0, 3, 1, 2)  # measured as N, C, H, W


def diagonal(x):
    return torch.cat([x[..., ::2, ::2], x[..., 1::2, 1::2]], 1)


def two_of_three(x):
    return torch.cat([x[..., ::3, :], x[..., 1::3, :]], 1)


CASES = {
    'focus': (focus, [1, 3, 8, 8]),
    'focus_conv': (focus_conv, [1, 3, 8, 8]),
    'patch_merging': (patch_merging, [1, 3, 32, 32]),
    'diagonal': (diagonal, [1, 2, 8, 8]),
    'two_of_three': (two_of_three, [1, 1, 9, 6]),
}

if __name__ == '__main__':
    out = {}
    for name, (run, shape) in CASES.items():
        size, boxes = footprint_boxes(run, shape)
        out[name] = {'input': shape, 'output': size, 'boxes': boxes}
    print(json.dumps({'torch': torch.__version__, 'cases': out}, separators=(',', ':')))
