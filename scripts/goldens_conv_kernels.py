#!/usr/bin/env python3
"""PyTorch goldens for the conv kernels' fast paths (src/ops/conv-im2col.ts, src/ops/depthwise.ts).

conv2d cases shaped so the WebAssembly im2col takes each of its paths: panels of 8 output
positions inside one output row at stride 1 (two vector loads per panel row) and stride 2 (even-lane
shuffles), panels crossing from one output row to the next and a partial last panel (column by
column), a 1×1 stride-1 conv (the plain GEMM of the input), grouped convs (per-group staging, the
bias as the GEMM's starting value); and depthwise 3×3 convs for the unrolled kernels: stride 1 two
output rows per pass (odd and even heights, rows of one 8-column step), stride 2 by shuffles; and
3×3 stride-1 convs that take Winograd F(2×2, 3×3) (src/ops/conv-winograd.ts: at least 8 input
channels per group and 64 output positions): odd sizes (partial tiles, a 4-tile step past a row's
end), no padding and padding 2, groups and a batch, and a bias-less conv.
y = torch.nn.functional.conv2d(x, w, b, stride, padding, dilation, groups).
Writes test/fixtures/operators/conv_kernels.json (checked by test/ops/goldens.test.ts).

Run: /usr/bin/python3 scripts/goldens_conv_kernels.py
"""
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from golden_kit import enc, rnd

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "conv_kernels.json"
torch.manual_seed(1212)
CASES = []


def conv_case(name, x, cout, k, stride=1, padding=0, dilation=1, groups=1, bias=True):
    w = rnd(cout, x.shape[1] // groups, k, k, scale=0.3)
    b = rnd(cout) if bias else None
    y = F.conv2d(x, w, b, stride, padding, dilation, groups)
    CASES.append({
        "name": name, "op": "conv2d", "training": False,
        "attributes": {"outChannels": cout, "kernelSize": [k, k], "stride": stride, "padding": padding,
                       "dilation": dilation, "groups": groups, "bias": bias},
        "inputs": [enc(x)],
        "weights": {"weight": enc(w), **({"bias": enc(b)} if bias else {})},
        "outputs": [enc(y)],
    })


def main():
    conv_case("conv kernels: 3×3 s1 p1 x=[1,4,5,20] → 6 (panels in a row, across rows, partial)", rnd(1, 4, 5, 20), 6, 3, padding=1)
    conv_case("conv kernels: 3×3 s2 p1 x=[1,3,6,34] → 4 (stride-2 shuffles, 17 columns)", rnd(1, 3, 6, 34), 4, 3, stride=2, padding=1)
    conv_case("conv kernels: 7×7 s2 p3 x=[1,3,8,32] → 4 (the stem's shape)", rnd(1, 3, 8, 32), 4, 7, stride=2, padding=3)
    conv_case("conv kernels: 1×1 s1 x=[2,8,3,19] → 5 (the plain GEMM of the input, batch 2)", rnd(2, 8, 3, 19), 5, 1)
    conv_case("conv kernels: 3×3 s1 p2 d2 x=[1,4,6,18] g=2 → 6 no bias (grouped, dilated)", rnd(1, 4, 6, 18), 6, 3, padding=2, dilation=2, groups=2, bias=False)
    conv_case("conv kernels: depthwise 3×3 s1 p1 x=[1,3,7,7] (two-row kernel, one 8-column step per row)", rnd(1, 3, 7, 7), 3, 3, padding=1, groups=3)
    conv_case("conv kernels: depthwise 3×3 s1 p1 x=[1,2,8,21] (row pairs only, three steps)", rnd(1, 2, 8, 21), 2, 3, padding=1, groups=2)
    conv_case("conv kernels: depthwise 3×3 s2 p1 x=[1,2,9,35] (stride-2 shuffles)", rnd(1, 2, 9, 35), 2, 3, stride=2, padding=1, groups=2)
    conv_case("conv kernels: depthwise 5×5 s1 p2 x=[1,2,6,13] multiplier 2 (tap-loop kernel)", rnd(1, 2, 6, 13), 4, 5, padding=2, groups=2)
    conv_case("conv kernels: Winograd 3×3 s1 p1 x=[1,16,13,14] → 12 (odd height, 7 tiles a row)", rnd(1, 16, 13, 14), 12, 3, padding=1)
    conv_case("conv kernels: Winograd 3×3 s1 p0 x=[1,8,10,11] → 5 (8×9 outputs, a partial block of 4 kernels)", rnd(1, 8, 10, 11), 5, 3)
    conv_case("conv kernels: Winograd 3×3 s1 p2 x=[2,16,9,9] g=2 → 8 no bias (11×11 outputs, groups, batch 2)", rnd(2, 16, 9, 9), 8, 3, padding=2, groups=2, bias=False)
    conv_case("conv kernels: Winograd 3×3 s1 p1 x=[1,24,10,10] → 16 (several 8-tile panels, 4 blocks of kernels)", rnd(1, 24, 10, 10), 16, 3, padding=1)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES}) + "\n")
    print(f"wrote {OUT.relative_to(OUT.parents[3])}: {len(CASES)} cases")


if __name__ == "__main__":
    main()
