#!/usr/bin/env python3
"""PyTorch goldens for gridSample nearest (src/ops/grid-sample.ts) on identity affine grids.

F.affine_grid(identity) resampling a row of W pixels to Wo puts grid points on half pixels (the
float32 2/3 on a row of 6: (2/3 + 1)·3 − 0.5 = 4.5 exactly in float32, 4.50000006 in float64), where
the nearest tap depends on torch's float32 arithmetic and its round half to even.

x = 0..W−1 as [1, 1, 1, W]; grid = affine_grid(identity, [1, 1, 1, Wo]) for W in 2..9, Wo in 1..9,
every padding mode and alignCorners. The outputs are the picked pixels' indices (x holds them).

Writes test/fixtures/grid-sample/nearest-half-pixels.json.
Run: /usr/bin/python3 scripts/goldens_grid_sample_nearest.py
"""
import json
from pathlib import Path

import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "grid-sample" / "nearest-half-pixels.json"


def main():
    theta = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    cases = []
    for w in range(2, 10):
        x = torch.arange(float(w)).reshape(1, 1, 1, w)
        for wo in range(1, 10):
            for ac in [False, True]:
                g = F.affine_grid(theta, [1, 1, 1, wo], align_corners=ac)
                for pad in ["zeros", "border", "reflection"]:
                    y = F.grid_sample(x, g, mode="nearest", padding_mode=pad, align_corners=ac)
                    cases.append({"w": w, "paddingMode": pad, "alignCorners": ac, "grid": g.flatten().tolist(), "output": [int(v) for v in y.flatten().tolist()]})
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}) + "\n")


if __name__ == "__main__":
    main()
