"""Receptive fields of windowed multi-head self-attention (convlens's multiHeadAttention with
`window`: the map cut into wh×ww windows, each attended on its own, as Swin's partition without shift
or bias) against PyTorch autograd. A stride-2 2×2 conv (all-ones kernel) makes a map of stride 2,
then nn.MultiheadAttention(batch_first=True) over each window's tokens (every projection weight
positive, 1/C, biases 0, so no gradient cancels), optionally a 3×3 conv padded 1 after it.
golden_kit.footprint_boxes gives each output unit's input box per axis along the diagonal; a unit
reads the window that holds it, not one centred on it (test/ops/attention-window-field.test.ts).

    /usr/bin/python3 scripts/goldens_rf_window_attention.py > test/fixtures/rf-nd/window_attention.json
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

from golden_kit import footprint_boxes

D = torch.double
C = 4


def attention():
    m = nn.MultiheadAttention(C, 1, batch_first=True).double()
    with torch.no_grad():
        m.in_proj_weight.fill_(1.0 / C)
        m.in_proj_bias.zero_()
        m.out_proj.weight.fill_(1.0 / C)
        m.out_proj.bias.zero_()
    return m


def windowed(x, win, mha):
    n, c, h, w = x.shape
    wh, ww = win
    t = x.reshape(n, c, h // wh, wh, w // ww, ww).permute(0, 2, 4, 3, 5, 1).reshape(-1, wh * ww, c)
    y, _ = mha(t, t, t, need_weights=False)
    return y.reshape(n, h // wh, w // ww, wh, ww, c).permute(0, 5, 1, 3, 2, 4).reshape(n, c, h, w)


def case(win, conv_after):
    mha = attention()

    def run(x):
        y = F.conv2d(x, torch.ones(C, x.shape[1], 2, 2, dtype=D), stride=2)
        y = windowed(y, win, mha)
        return F.conv2d(y, torch.ones(C, C, 3, 3, dtype=D), padding=1) if conv_after else y
    return run


CASES = {
    'window3': ([1, C, 12, 12], [3, 3], False),
    'window2x3': ([1, C, 12, 12], [2, 3], False),
    'window3_conv': ([1, C, 12, 12], [3, 3], True),
}

if __name__ == '__main__':
    out = {}
    for name, (shape, win, conv_after) in CASES.items():
        size, boxes = footprint_boxes(case(win, conv_after), shape)
        out[name] = {'input': shape, 'window': win, 'convAfter': conv_after, 'output': size, 'boxes': boxes}
    print(json.dumps({'torch': torch.__version__, 'cases': out}, separators=(',', ':')))
