#!/usr/bin/env python3
"""PyTorch goldens for gridSample mode bicubic (src/ops/grid-sample.ts, grid-sample-bicubic.ts).

torch's CPU kernel (GridSamplerKernel.cpp, ApplyGridSample<..., Bicubic>) unnormalises the grid
value without padding it, and pads each of the 4x4 taps on its own (get_value_bounded); weights are
Keys' cubic convolution with A = -0.75. Its backward gives the grid sum(g * x[tap] * d(wx wy)/dt)
times the unnormalisation scale, with no factor from the padding.

x = randn [2, 3, 5, 7] (batch 2, channels 3, non-square); grid [2, 4, 5, 2]: batch 0 chosen points
(interior; on the borders, g = +-1; far outside, |g| up to 3; just outside; half pixels for
alignCorners false, (k + 0.5 = ((g + 1) W - 1) / 2), and true, (k + 0.5 = (g + 1) (W - 1) / 2); a
pixel centre), batch 1 uniform in [-3, 3]; every padding mode and alignCorners. For each: the
output, and autograd's gradients of x and the grid for a random output gradient.
Also: grid values NaN and +-inf (x = 1..16 as [1, 1, 4, 4]; strings, so NaN survives JSON), and
torch's refusal of a 5-D input.

How the float32 rounding was matched: the kernel's products and sums were emulated in numpy
float32, each multiply-add either fused (one rounding, as GCC contracts it in the AVX2 build) or
not, and every combination compared with F.grid_sample on 600 random points (and 300 grid
gradients): one combination gives every point's bits (src/ops/grid-sample-bicubic.ts says which).

Writes test/fixtures/grid-sample/bicubic.json.
Run: /usr/bin/python3 scripts/goldens_grid_sample_bicubic.py
"""
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from golden_kit import enc, rnd

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "grid-sample" / "bicubic.json"
H, W = 5, 7

# batch 0: (x, y) grid values, 20 points = a 4 x 5 grid
CHOSEN = [
    (0.13, -0.42), (-0.61, 0.27), (0.77, 0.55),                        # inside
    (-1.0, -1.0), (1.0, 1.0), (-1.0, 0.3), (0.2, 1.0), (1.0, -0.6),    # on the borders
    (-3.0, 0.1), (2.7, -2.2), (0.4, 3.0), (-2.5, -3.0), (3.0, 3.0),    # far outside
    (1.05, -1.1), (-1.2, 0.9),                                         # just outside
    (-3 / 7, 0.2), (3 / 7, -0.6),                                      # half pixels, alignCorners false: x 1.5 and 4.5, y 2.5 and 0.5
    (-1 / 6, -0.25), (0.5, 0.75),                                      # half pixels, alignCorners true: x 2.5 and 4.5, y 1.5 and 3.5
    (0.0, 0.0),                                                        # a pixel centre (alignCorners false: (3, 2))
]
NONFINITE = [float("nan"), 0.0, 0.0, float("nan"), float("inf"), 0.0, float("-inf"), 0.5, 0.3, 0.2]


def main():
    torch.manual_seed(0)
    x = rnd(2, 3, H, W)
    grid = torch.empty(2, 4, 5, 2)
    grid[0] = torch.tensor(CHOSEN, dtype=torch.float32).reshape(4, 5, 2)
    grid[1] = torch.rand(4, 5, 2) * 6 - 3
    gout = rnd(2, 3, 4, 5)
    cases = []
    for pad in ["zeros", "border", "reflection"]:
        for ac in [False, True]:
            xi = x.clone().requires_grad_(True)
            gi = grid.clone().requires_grad_(True)
            y = F.grid_sample(xi, gi, mode="bicubic", padding_mode=pad, align_corners=ac)
            y.backward(gout)
            cases.append({"paddingMode": pad, "alignCorners": ac, "output": enc(y), "gradX": enc(xi.grad), "gradGrid": enc(gi.grad)})

    xs = torch.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    gn = torch.tensor(NONFINITE, dtype=torch.float32).reshape(1, 1, 5, 2)
    nonfinite = []
    for pad in ["zeros", "border", "reflection"]:
        for ac in [False, True]:
            y = F.grid_sample(xs, gn, mode="bicubic", padding_mode=pad, align_corners=ac)
            nonfinite.append({"paddingMode": pad, "alignCorners": ac, "output": [repr(v) for v in y.flatten().tolist()]})

    try:
        F.grid_sample(torch.zeros(1, 1, 2, 2, 2), torch.zeros(1, 1, 1, 1, 3), mode="bicubic", align_corners=False)
        refusal = None
    except RuntimeError as e:
        refusal = str(e)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "torch": torch.__version__,
        "x": enc(x), "grid": enc(grid), "gradOutput": enc(gout), "cases": cases,
        "nonfinite": {"grid": [repr(v) for v in NONFINITE], "cases": nonfinite},
        "refusal5d": refusal,
    }) + "\n")
    print(OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
