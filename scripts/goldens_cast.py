#!/usr/bin/env python3
"""PyTorch's element-type conversions (torch.Tensor.to) for the cast operator (src/tensor/cast.ts).

Writes test/fixtures/operators/cast.json: float32 inputs chosen at the edges (half's largest
finite 65504 and its overflow from 65520, subnormal halves, bfloat16 ties, integers out of range,
-0, NaN, ±inf) and, per element type, PyTorch's values converted back to float64. Non-finite
numbers are written as the strings "nan", "inf", "-inf". Out-of-range float → integer
conversions are undefined in C++; these are PyTorch 1.13's on x86 (the CPU the service runs on).

Run: /usr/bin/python3 scripts/goldens_cast.py
"""
import json
import math
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "operators" / "cast.json"
VALUES = [328.1243, 70000, 0.1, 300, -3, 1000, 65504, 65519, 65520, 1e-8, 6e-8, 3e-5, -0.0, 2.5, -2.5, 1e10, -1e10,
          3.0000001, 1.00390625, 1.01171875, -129.7, 255.9, 40000.5, -40000.5, 3e9, -3e9,
          float("nan"), float("inf"), float("-inf")]
TYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "int8": torch.int8, "uint8": torch.uint8,
         "int16": torch.int16, "int32": torch.int32, "int64": torch.int64, "bool": torch.bool}


def enc(values):
    return [v if math.isfinite(v) else str(v) for v in values]


def main():
    x = torch.tensor(VALUES, dtype=torch.float32)
    out = {"torch": torch.__version__, "input": enc(x.tolist()), "to": {}}
    for name, dt in TYPES.items():
        out["to"][name] = enc(x.to(dt).to(torch.float64).tolist())
    OUT.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
