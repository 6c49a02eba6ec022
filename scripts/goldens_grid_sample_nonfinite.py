#!/usr/bin/env python3
"""PyTorch goldens for gridSample (src/ops/grid-sample.ts) at grid values of NaN and ±inf.

torch's CPU kernel (GridSamplerKernel.cpp, vectorised) clamps a NaN position to 0 under border and
reflection padding (its clip takes max(0, v) in that order, on purpose), reflects ±inf to NaN and so
to 0; under zeros padding bilinear gives NaN (the four tap weights are NaN, and the taps outside the
map, read as 0, are multiplied by them) and nearest 0 (no tap is inside).

x = 1..16 as [1, 1, 4, 4]; grid [1, 1, 5, 2]: (nan, 0), (0, nan), (0.3, 0.2), (inf, 0), (-inf, 0.5);
every mode, padding mode and alignCorners. Values are written as strings ("nan", "10.7"...) so NaN survives JSON.

Writes test/fixtures/grid-sample/nonfinite.json (not test/fixtures/operators/: its format is not the operator goldens').
Run: /usr/bin/python3 scripts/goldens_grid_sample_nonfinite.py
"""
import json
from pathlib import Path

import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "grid-sample" / "nonfinite.json"
GRID = [float("nan"), 0.0, 0.0, float("nan"), 0.3, 0.2, float("inf"), 0.0, float("-inf"), 0.5]


def main():
    x = torch.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    g = torch.tensor(GRID, dtype=torch.float32).reshape(1, 1, 5, 2)
    cases = []
    for mode in ["bilinear", "nearest"]:
        for pad in ["zeros", "border", "reflection"]:
            for ac in [False, True]:
                y = F.grid_sample(x, g, mode=mode, padding_mode=pad, align_corners=ac)
                cases.append({"mode": mode, "paddingMode": pad, "alignCorners": ac, "output": [repr(v) for v in y.flatten().tolist()]})
    OUT.write_text(json.dumps({"torch": torch.__version__, "x": list(range(1, 17)), "grid": [repr(v) for v in GRID], "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
