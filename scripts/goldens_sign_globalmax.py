#!/usr/bin/env python3
"""PyTorch goldens for sign (src/ops/math.ts; ONNX Sign) and ONNX GlobalMaxPool as reduceMax
axesFrom 2 (src/ops/reduction.ts): torch.sign, F.adaptive_max_pool2d(x, 1), F.adaptive_max_pool1d
and F.adaptive_max_pool3d to 1.

Writes test/fixtures/operators/sign_globalmax.json in the format of scripts/operator_goldens.py.
Sign's inputs include 0, -0, NaN and ±inf (torch.sign gives 0 for NaN); NaN and ±inf are written
as the strings "nan", "inf", "-inf" in a separate `edges` list, since the cases' JSON holds numbers.

Run: /usr/bin/python3 scripts/goldens_sign_globalmax.py
"""
import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F

from golden_kit import enc, rnd

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "sign_globalmax.json"
torch.manual_seed(2027)
CASES = []


def case(name, op, attrs, inputs, outputs):
    CASES.append({"name": name, "op": op, "attributes": attrs, "inputs": [enc(t) for t in inputs], "outputs": [enc(t) for t in outputs]})


def main():
    x = rnd(2, 3, 4)
    x[0, 0, :2] = 0.0
    case("sign x=[2,3,4] with zeros", "sign", {}, [x], [torch.sign(x)])
    p = rnd(2, 3, 5, 7)
    case("GlobalMaxPool x=[2,3,5,7] (adaptive_max_pool2d to 1)", "reduceMax", {"axesFrom": 2, "keepDims": True}, [p], [F.adaptive_max_pool2d(p, 1)])
    q = rnd(1, 4, 9)
    case("GlobalMaxPool x=[1,4,9] (adaptive_max_pool1d to 1)", "reduceMax", {"axesFrom": 2, "keepDims": True}, [q], [F.adaptive_max_pool1d(q, 1)])
    r = rnd(1, 2, 3, 4, 5)
    case("GlobalMaxPool x=[1,2,3,4,5] (adaptive_max_pool3d to 1)", "reduceMax", {"axesFrom": 2, "keepDims": True}, [r], [F.adaptive_max_pool3d(r, 1)])

    values = [float("nan"), -0.0, 0.0, -2.5, 3.0, float("inf"), float("-inf"), 1e-45, -1e-45]
    signs = torch.sign(torch.tensor(values, dtype=torch.float32)).tolist()
    edges = {"input": [v if math.isfinite(v) else str(v) for v in values], "sign": signs}

    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": CASES, "edges": edges}) + "\n")
    print(len(CASES), "cases,", OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
